"""Pinned query counts for every HTML page: they must not grow with the number of rows."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from npqel.access import Role
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import (
    CohortFactory,
    ProgrammeFactory,
    ProviderFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.django_db


def grow(provider, admin, n: int) -> None:
    programme = provider.programmes.first() or ProgrammeFactory(provider=provider)
    for _ in range(n):
        cohort = CohortFactory(programme=programme)
        EnrolmentFactory(cohort=cohort)
        StaffMembershipFactory(provider=provider, role="coach")
        account_services.invitation_create(
            invited_by=admin, email=f"{cohort.code}@x.example", role="facilitator", provider=provider
        )
        ProviderFactory()


PAGES = [
    # (role, url name, needs provider slug, pinned queries)
    # Every signed-in page: session, user, roles (1), second-factor check; then the page's own reads.
    (Role.PROVIDER_ADMIN, "home", False, 5),
    (Role.PROVIDER_ADMIN, "provider_list", False, 5),
    (Role.PROVIDER_ADMIN, "provider_detail", True, 9),  # with the reviews waiting (issue 7)
    (Role.PROVIDER_ADMIN, "provider_people", True, 7),
    (Role.PROVIDER_ADMIN, "account", False, 5),
    # A participant: their places, status histories, deadline policies, components and sessions; each
    # place's engagement measured now (2 queries, however many places); the final assessment's tasks (here
    # none: with a scheme, 5 more, pinned in tests/participants/test_home.py).
    (Role.PARTICIPANT, "home", False, 12),
    (Role.PLATFORM_STAFF, "provider_list", False, 5),
    (Role.PLATFORM_STAFF, "platform_people", False, 5),
]


@pytest.mark.parametrize(
    ("role", "name", "with_slug", "queries"), PAGES, ids=[f"{r}-{n}" for r, n, _, _ in PAGES]
)
def test_page_query_count_is_pinned_and_flat(
    client, django_assert_num_queries, provider, role, name, with_slug, queries
):
    admin = StaffMembershipFactory(provider=provider, role="provider_admin").user
    user = admin if role == Role.PROVIDER_ADMIN else None
    from tests.people import person

    user = user or person(role, provider)
    if role == Role.PROVIDER_ADMIN:
        from tests.accounts.factories import give_totp

        give_totp(user)
    client.force_login(user)
    url = reverse(name, args=[provider.slug] if with_slug else [])
    grow(provider, admin, 2)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    grow(provider, admin, 10)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
