import pytest

from tests.people import person
from tests.programmes.factories import ProviderFactory


@pytest.fixture(scope="module")
def demo_for_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data loaded and committed once for a module whose tests read it, by `manage.py load_demo`
    (npqel/demo.py); the fixture's value is what the command printed. Each test's own writes roll back with its
    transaction, and the demo's files are kept in a folder of the module's own. Flushed when the module ends
    (also when loading failed half way), so later tests start from an empty database. With two processes a
    module's tests may be shared between them, and each then loads it once."""
    from io import StringIO

    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("demo-media"))):
        try:
            with django_db_blocker.unblock():
                printed = StringIO()
                call_command("load_demo", stdout=printed)
            yield printed.getvalue()
        finally:
            with django_db_blocker.unblock():
                call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and used TOTP codes live in the cache; each test starts clean.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def provider(db):
    return ProviderFactory(slug="olp", name="Outstanding Leaders Partnership")


@pytest.fixture
def other_provider(db):
    return ProviderFactory(slug="llse", name="University of Winchester with Leadership Learning South East")


@pytest.fixture
def make_person(db):
    return person


@pytest.fixture
def signed_in(client):
    """signed_in(user) → the test client, signed in as that user (second factor already set up)."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
