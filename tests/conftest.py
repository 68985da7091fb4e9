import pytest

from tests.people import person
from tests.programmes.factories import ProviderFactory


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
