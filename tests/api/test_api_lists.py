"""API lists: pagination, filters, scoping to the caller's providers, and pinned query counts."""

import datetime

import pytest

from accounts import services as account_services
from accounts.services import api_token_create
from npqel.access import Role
from participants.models import Enrolment
from programmes.models import Cohort
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ProgrammeFactory,
    ProviderFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.django_db

NOT_FOUND = {
    "error": {
        "status": 404,
        "code": "not_found",
        "message": "Not found. It may not exist, or you may not have access to it.",
        "fields": {},
    }
}


@pytest.fixture
def api(client):
    """api(user) → a function GETting an API path with a fresh key of that user."""

    def for_user(user):
        _, key = api_token_create(user=user, name="Tests")

        def get(path, **params):
            return client.get(path, params, HTTP_AUTHORIZATION=f"Token {key}")

        return get

    return for_user


def grow(provider, admin, n: int) -> None:
    """n more of every listed thing at `provider`: cohorts, enrolments, invitations, and providers."""
    programme = provider.programmes.first() or ProgrammeFactory(provider=provider)
    for _ in range(n):
        cohort = CohortFactory(programme=programme)
        EnrolmentFactory(cohort=cohort)
        account_services.invitation_create(
            invited_by=admin, email=f"{cohort.code}@invited.example", role="coach", provider=provider
        )
        # The admin also works at a new provider, so their provider list grows too.
        StaffMembershipFactory(user=admin, provider=ProviderFactory(), role="facilitator")


# --- Pagination --------------------------------------------------------------------------------


def many_cohorts(provider, n: int) -> None:
    programme = ProgrammeFactory(provider=provider)
    start = datetime.date(2022, 1, 3)
    Cohort.objects.bulk_create(
        Cohort(
            programme=programme,
            code=f"c-{i:03d}",
            intake=Cohort.Intake.AUTUMN,
            start_date=start + datetime.timedelta(days=i),
            end_date=start + datetime.timedelta(days=i + 500),
        )
        for i in range(n)
    )


def test_lists_are_paginated_with_count_and_next_links(api, provider):
    many_cohorts(provider, 5)
    get = api(person(Role.PROVIDER_ADMIN, provider))

    first = get("/api/v1/cohorts/", page_size=2).json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/cohorts/?page=2&page_size=2"

    last = get("/api/v1/cohorts/", page_size=2, page=3).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert last["previous"] == "http://testserver/api/v1/cohorts/?page=2&page_size=2"
    seen = [
        c["id"]
        for page in (1, 2, 3)
        for c in get("/api/v1/cohorts/", page_size=2, page=page).json()["results"]
    ]
    assert len(set(seen)) == 5  # every row once: the order is stable across pages


def test_page_size_defaults_to_50_and_is_capped_at_200(api, provider):
    many_cohorts(provider, 201)
    get = api(person(Role.PROVIDER_ADMIN, provider))

    assert len(get("/api/v1/cohorts/").json()["results"]) == 50
    assert len(get("/api/v1/cohorts/", page_size=120).json()["results"]) == 120
    capped = get("/api/v1/cohorts/", page_size=1000).json()
    assert capped["count"] == 201 and len(capped["results"]) == 200 and capped["next"]
    # Nonsense sizes fall back to the default rather than failing.
    for nonsense in (0, -5, "lots"):
        assert len(get("/api/v1/cohorts/", page_size=nonsense).json()["results"]) == 50


def test_a_page_past_the_end_is_404_in_the_error_shape(api, provider):
    many_cohorts(provider, 3)
    response = api(person(Role.PROVIDER_ADMIN, provider))("/api/v1/cohorts/", page=9)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found" and response.json()["error"]["message"]


# --- Filters -----------------------------------------------------------------------------------


def test_cohorts_filter_by_intake(api, provider):
    programme = ProgrammeFactory(provider=provider)
    CohortFactory(programme=programme, code="autumn-one", intake=Cohort.Intake.AUTUMN)
    CohortFactory(programme=programme, code="spring-one", intake=Cohort.Intake.SPRING)
    get = api(person(Role.PROVIDER_ADMIN, provider))

    assert [c["code"] for c in get("/api/v1/cohorts/", intake="spring").json()["results"]] == ["spring-one"]
    assert [c["code"] for c in get("/api/v1/cohorts/", intake="autumn").json()["results"]] == ["autumn-one"]
    assert get("/api/v1/cohorts/").json()["count"] == 2

    bad = get("/api/v1/cohorts/", intake="winter")
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "invalid" and "winter" in error["fields"]["intake"][0]


def test_enrolments_filter_by_status(api, provider):
    cohort = CohortFactory(programme=ProgrammeFactory(provider=provider))
    active = EnrolmentFactory(cohort=cohort, status=Enrolment.Status.ACTIVE)
    withdrawn = EnrolmentFactory(cohort=cohort, status=Enrolment.Status.WITHDRAWN)
    get = api(person(Role.PROVIDER_ADMIN, provider))

    assert [e["id"] for e in get("/api/v1/enrolments/", status="withdrawn").json()["results"]] == [
        withdrawn.pk
    ]
    assert [e["id"] for e in get("/api/v1/enrolments/", status="active").json()["results"]] == [active.pk]
    assert get("/api/v1/enrolments/", status="expelled").json()["error"]["fields"]["status"]


def test_invitations_filter_by_role(api, provider):
    admin = person(Role.PROVIDER_ADMIN, provider)
    for role in ("coach", "facilitator"):
        account_services.invitation_create(
            invited_by=admin, email=f"{role}@school.example", role=role, provider=provider
        )
    get = api(admin)

    assert [i["email"] for i in get("/api/v1/invitations/", role="coach").json()["results"]] == [
        "coach@school.example"
    ]
    assert get("/api/v1/invitations/").json()["count"] == 2


# --- Scoping: another provider's rows ------------------------------------------------------------


@pytest.fixture
def two_providers(provider, other_provider):
    """One of everything at each provider; returns (admin of `provider`, {name: (own, other)} paths)."""
    rows = {}
    for p in (provider, other_provider):
        admin = person(Role.PROVIDER_ADMIN, p)
        cohort = CohortFactory(programme=ProgrammeFactory(provider=p))
        enrolment = EnrolmentFactory(cohort=cohort)
        invitation = account_services.invitation_create(
            invited_by=admin, email=f"invitee@{p.slug}.example", role="coach", provider=p
        )
        rows[p.slug] = {
            "admin": admin,
            "providers": p.slug,
            "cohorts": cohort.pk,
            "enrolments": enrolment.pk,
            "invitations": invitation.pk,
        }
    return rows[provider.slug], rows[other_provider.slug]


@pytest.mark.parametrize("kind", ["providers", "cohorts", "enrolments", "invitations"])
def test_another_providers_object_is_404_exactly_like_a_missing_one(api, two_providers, kind):
    own, other = two_providers
    get = api(own["admin"])

    assert get(f"/api/v1/{kind}/{own[kind]}/").status_code == 200
    response = get(f"/api/v1/{kind}/{other[kind]}/")
    missing = get(f"/api/v1/{kind}/{'no-such-provider' if kind == 'providers' else 987654321}/")

    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json() == NOT_FOUND


@pytest.mark.parametrize("kind", ["providers", "cohorts", "enrolments", "invitations"])
def test_lists_leave_out_another_providers_rows(api, two_providers, kind):
    own, other = two_providers
    key = "slug" if kind == "providers" else "id"

    listed = [row[key] for row in api(own["admin"])(f"/api/v1/{kind}/").json()["results"]]

    assert listed == [own[kind]]
    assert other[kind] not in listed


def test_unknown_api_paths_answer_404_in_the_error_shape(api, provider):
    get = api(person(Role.PROVIDER_ADMIN, provider))

    for path in ("/api/v1/cohorts/1.5/", "/api/v1/nothing-here/", "/api/v1/"):
        response = get(path)
        assert response.status_code == 404 and response.json() == NOT_FOUND, path


# --- Query counts ------------------------------------------------------------------------------

# (role, list, pinned queries) — with a key: the key and its user (1), the user's roles (1), then the
# list's count (1) and its page (1). Nothing per row.
LIST_QUERIES = [
    (Role.PROVIDER_ADMIN, "providers", 4),
    (Role.PROVIDER_ADMIN, "cohorts", 4),
    # Enrolments: the page's ids, then its rows, and for the page: engagement, whether each has presented,
    # status changes, programmes and their deadline policies.
    (Role.PROVIDER_ADMIN, "enrolments", 10),
    (Role.PROVIDER_ADMIN, "invitations", 4),
    (Role.PLATFORM_STAFF, "providers", 4),
    (Role.PLATFORM_STAFF, "cohorts", 4),
    (Role.PLATFORM_STAFF, "enrolments", 10),
    (Role.PLATFORM_STAFF, "invitations", 4),
]


@pytest.mark.parametrize(
    ("role", "kind", "queries"), LIST_QUERIES, ids=[f"{r}-{k}" for r, k, _ in LIST_QUERIES]
)
def test_list_query_count_is_pinned_and_does_not_grow_with_rows(
    api, django_assert_num_queries, provider, role, kind, queries
):
    admin = person(Role.PROVIDER_ADMIN, provider)
    get = api(admin if role == Role.PROVIDER_ADMIN else person(role, provider))
    get("/api/v1/me/")  # records the key's first use, a write made at most once a minute

    grow(provider, admin, 3)
    with django_assert_num_queries(queries):
        few = get(f"/api/v1/{kind}/", page_size=100)
    grow(provider, admin, 27)
    with django_assert_num_queries(queries):
        many = get(f"/api/v1/{kind}/", page_size=100)

    assert few.status_code == many.status_code == 200
    # Every row really was serialised: 27 more of them, all on the page.
    assert many.json()["count"] - few.json()["count"] == 27
    assert len(many.json()["results"]) == many.json()["count"] >= 30


def test_participants_own_enrolments_query_count_is_pinned(api, django_assert_num_queries, provider):
    participant = person(Role.PARTICIPANT, provider)
    get = api(participant)
    get("/api/v1/me/")
    with django_assert_num_queries(10):
        few = get("/api/v1/enrolments/")
    programme = provider.programmes.first()
    for _ in range(10):
        EnrolmentFactory(participant=participant.participant, cohort=CohortFactory(programme=programme))
    with django_assert_num_queries(10):
        many = get("/api/v1/enrolments/")
    assert many.json()["count"] == few.json()["count"] + 10
