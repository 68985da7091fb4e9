"""Role × provider isolation: every role, asking for another provider's objects, gets 404 — or 403 for a
kind of page its role may never open — never the data. The same request for its own provider works,
so a 404 here proves scoping, not a broken page. Each answer is also checked under the Content-Security-Policy
(tests/security/inline.py): it carries the policy and an HTML page holds no inline code.

Teach the matrix every new URL: add it to SCOPED (provider-owned objects) or UNSCOPED (with the reason
it holds no provider data). An unknown URL fails `test_every_url_is_known_to_the_matrix`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from accounts import services as account_services
from npqel.access import Action, Role, access_for
from tests.isolation.cases import Scoped
from tests.isolation.cases_api_assessment import (
    ASSESSMENT_API_LISTS,
    ASSESSMENT_API_SCOPED,
    ASSESSMENT_API_UNSCOPED,
)
from tests.isolation.cases_api_engagement import ENGAGEMENT_API_LISTS, ENGAGEMENT_API_SCOPED
from tests.isolation.cases_api_marking import MARKING_API_LISTS, MARKING_API_SCOPED, MARKING_API_UNSCOPED
from tests.isolation.cases_api_participants import (
    PARTICIPANT_API_LISTS,
    PARTICIPANT_API_SCOPED,
    PARTICIPANT_API_UNSCOPED,
)
from tests.isolation.cases_api_programmes import API_LISTS, API_SCOPED
from tests.isolation.cases_assessment import PROVIDER_ASSESSMENT_LISTS, PROVIDER_ASSESSMENT_SCOPED
from tests.isolation.cases_assessment_participant import ASSESSMENT_PARTICIPANT_SCOPED
from tests.isolation.cases_audit import AUDIT_LISTS, AUDIT_SCOPED, AUDIT_UNSCOPED
from tests.isolation.cases_calendar import CALENDAR_LISTS, CALENDAR_SCOPED, CALENDAR_UNSCOPED
from tests.isolation.cases_certificates import CERTIFICATE_LISTS, CERTIFICATE_SCOPED, CERTIFICATE_UNSCOPED
from tests.isolation.cases_checkin import CHECKIN_LISTS, CHECKIN_SCOPED, CHECKIN_UNSCOPED
from tests.isolation.cases_declarations import DECLARATION_LISTS, DECLARATION_SCOPED, DECLARATION_UNSCOPED
from tests.isolation.cases_design import DESIGN_LISTS, DESIGN_SCOPED
from tests.isolation.cases_imports import (
    API_IMPORT_LISTS,
    API_IMPORT_SCOPED,
    IMPORT_LISTS,
    IMPORT_SCOPED,
    IMPORT_UNSCOPED,
)
from tests.isolation.cases_learning import LEARNING_LISTS, LEARNING_SCOPED
from tests.isolation.cases_logs import LOG_LISTS, LOG_SCOPED
from tests.isolation.cases_mark_schemes import MARK_SCHEME_LISTS, MARK_SCHEME_SCOPED
from tests.isolation.cases_marking import MARKING_SCOPED, MARKING_UNSCOPED
from tests.isolation.cases_metrics import METRICS_LISTS, METRICS_SCOPED, METRICS_UNSCOPED
from tests.isolation.cases_moderation import MODERATION_LISTS, MODERATION_SCOPED, MODERATION_UNSCOPED
from tests.isolation.cases_participants import ROSTER_LISTS, ROSTER_SCOPED
from tests.isolation.cases_privacy import PRIVACY_LISTS, PRIVACY_SCOPED, PRIVACY_UNSCOPED
from tests.isolation.cases_registers import REGISTER_LISTS, REGISTER_SCOPED
from tests.isolation.urls import all_routes
from tests.participants.factories import EnrolmentFactory
from tests.people import ALL_ROLES, person
from tests.programmes.factories import CohortFactory, ProgrammeFactory, ProviderFactory, timetable_for
from tests.security.inline import policy_problems


@dataclass
class World:
    """Two providers with one of everything; `users` hold each role at the OWN provider."""

    own: object
    other: object
    objects: dict[str, dict[str, object]] = field(default_factory=dict)
    users: dict[Role, object] = field(default_factory=dict)


def build_world() -> World:
    own = ProviderFactory(slug="own-provider", name="Own Provider")
    other = ProviderFactory(slug="other-provider", name="Other Provider")
    world = World(own=own, other=other)
    for key, provider in (("own", own), ("other", other)):
        cohort = CohortFactory(programme=ProgrammeFactory(provider=provider), code=f"{key}-cohort")
        enrolment = EnrolmentFactory(cohort=cohort)
        admin = person(Role.PROVIDER_ADMIN, provider)
        invitation = account_services.invitation_create(
            invited_by=admin, email=f"invitee@{key}.example", role="coach", provider=provider
        )
        world.objects[key] = {
            "provider": provider,
            "cohort": cohort,
            "enrolment": enrolment,
            "invitation": invitation,
            "admin": admin,
            # programme, component, course, module, task, area, statement, behaviour, extension, fee_option,
            # placement, partner, group, session (see tests/programmes/factories.timetable_for)
            **timetable_for(cohort, tag=key),
        }
    for role in ALL_ROLES:
        world.users[role] = person(role, own)
    return world


def _recompute_run(o: dict[str, object]):
    from django.utils import timezone

    from metrics.models import RecomputeRun

    return RecomputeRun.objects.create(provider=o["provider"], requested_at=timezone.now())


SCOPED: dict[str, Scoped] = {
    "provider_detail": Scoped(Action.VIEW_PROVIDER, lambda o: {"slug": o["provider"].slug}),
    "provider_people": Scoped(Action.MANAGE_PEOPLE, lambda o: {"slug": o["provider"].slug}),
    "provider_invite": Scoped(Action.MANAGE_PEOPLE, lambda o: {"slug": o["provider"].slug}),
    "invitation_revoke": Scoped(
        Action.MANAGE_PEOPLE, lambda o: {"pk": o["invitation"].pk}, method="post", ok=(302,)
    ),
    "api:provider-detail": Scoped(Action.VIEW_PROVIDER, lambda o: {"slug": o["provider"].slug}),
    "metrics_recompute_start": Scoped(
        Action.MANAGE_TARGETS, lambda o: {"slug": o["provider"].slug}, method="post", ok=(302,)
    ),
    "metrics_recompute": Scoped(Action.VIEW_METRICS, lambda o: {"pk": _recompute_run(o).pk}),
    "api:provider-metrics": Scoped(
        Action.VIEW_METRICS, lambda o: {"slug": o["provider"].slug}, data={"year": "2019/20"}
    ),
    "api:cohort-detail": Scoped(Action.VIEW_COHORTS, lambda o: {"pk": o["cohort"].pk}),
    "api:enrolment-detail": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}),
    "api:invitation-detail": Scoped(Action.MANAGE_PEOPLE, lambda o: {"pk": o["invitation"].pk}),
    # Delivery: cohorts, groups, sessions.
    "cohort_create": Scoped(Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["programme"].pk}),
    "cohort_detail": Scoped(Action.VIEW_COHORTS, lambda o: {"pk": o["cohort"].pk}),
    "cohort_edit": Scoped(Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["cohort"].pk}),
    "cohort_copy_timetable": Scoped(Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["cohort"].pk}),
    "cohort_timetable": Scoped(Action.VIEW_COHORTS, lambda o: {"pk": o["cohort"].pk}),
    "session_create": Scoped(Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["cohort"].pk}),
    "group_create": Scoped(Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["cohort"].pk}),
    "group_edit": Scoped(Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["group"].pk}),
    "session_detail": Scoped(Action.VIEW_COHORTS, lambda o: {"pk": o["session"].pk}),
    "session_edit": Scoped(Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["session"].pk}),
    "delivery_partner_add": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"slug": o["provider"].slug},
        method="post",
        data={"name": "Northern Hub"},
        ok=(302,),
    ),
    "group_remove": Scoped(
        Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["group"].pk}, method="post", ok=(302,)
    ),
    "session_cancel": Scoped(
        Action.MANAGE_PROGRAMMES, lambda o: {"pk": o["session"].pk}, method="post", ok=(302,)
    ),
    **API_SCOPED,
    **PARTICIPANT_API_SCOPED,
    **ENGAGEMENT_API_SCOPED,
    **ASSESSMENT_API_SCOPED,
    **DESIGN_SCOPED,
    **CALENDAR_SCOPED,
    **IMPORT_SCOPED,
    **API_IMPORT_SCOPED,
    **ROSTER_SCOPED,
    **REGISTER_SCOPED,
    **LOG_SCOPED,
    **LEARNING_SCOPED,
    **CHECKIN_SCOPED,
    **ASSESSMENT_PARTICIPANT_SCOPED,
    **PROVIDER_ASSESSMENT_SCOPED,
    **MARKING_SCOPED,
    **MODERATION_SCOPED,
    **CERTIFICATE_SCOPED,
    **MARKING_API_SCOPED,
    **MARK_SCHEME_SCOPED,
    **METRICS_SCOPED,
    **DECLARATION_SCOPED,
    **AUDIT_SCOPED,
    **PRIVACY_SCOPED,
}

# Lists: another provider's rows must never appear in them.
# Each with the action that lets a role see every provider's rows there (platform staff).
LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {
    "provider_list": (Action.VIEW_PROVIDER, lambda o: o["provider"].name),
    "home": (Action.VIEW_PROVIDER, lambda o: o["provider"].name),
    "api:provider-list": (Action.VIEW_PROVIDER, lambda o: f'"{o["provider"].slug}"'),
    "api:cohort-list": (Action.VIEW_COHORTS, lambda o: f'"{o["cohort"].code}"'),
    "api:enrolment-list": (Action.VIEW_ENROLMENTS, lambda o: o["enrolment"].participant.user.email),
    "api:invitation-list": (Action.MANAGE_PEOPLE, lambda o: o["invitation"].email),
    **API_LISTS,
    **PARTICIPANT_API_LISTS,
    **ENGAGEMENT_API_LISTS,
    **ASSESSMENT_API_LISTS,
    **DESIGN_LISTS,
    **CALENDAR_LISTS,
    **IMPORT_LISTS,
    **API_IMPORT_LISTS,
    **ROSTER_LISTS,
    **REGISTER_LISTS,
    **LOG_LISTS,
    **LEARNING_LISTS,
    **CHECKIN_LISTS,
    **PROVIDER_ASSESSMENT_LISTS,
    **MODERATION_LISTS,
    **CERTIFICATE_LISTS,
    **MARKING_API_LISTS,
    **MARK_SCHEME_LISTS,
    **METRICS_LISTS,
    **DECLARATION_LISTS,
    **AUDIT_LISTS,
    **PRIVACY_LISTS,
}

# URLs that hold no provider data, and why. Each GET-able one is still requested by every role.
UNSCOPED: dict[str, str] = {
    "health": "service status for load balancers; no personal or provider data",
    "account": "the signed-in user's own account and API keys",
    "api_token_revoke": "revokes one of the user's own keys (another user's key answers 404: see test_api_tokens)",
    "invitation_accept": "a one-time link: the signed token is the capability (see test_invitations)",
    "platform_people": "platform staff only: cross-provider roles, checked in test_platform_pages",
    "platform_invite": "platform staff only: cross-provider roles, checked in test_platform_pages",
    "api:me": "the signed-in user's own roles",
    "api:not_found": "any other path under /api/v1/: a 404 in the API's error shape, no data",
    "api_schema": "the API's OpenAPI description",
    "api_docs": "the API's documentation page",
    "my_sessions": "the signed-in person's own sessions (scoped by selectors.my_sessions; see test_delivery_pages)",
    **CALENDAR_UNSCOPED,
    **IMPORT_UNSCOPED,
    **PARTICIPANT_API_UNSCOPED,
    **ASSESSMENT_API_UNSCOPED,
    **CHECKIN_UNSCOPED,
    **MARKING_UNSCOPED,
    **MODERATION_UNSCOPED,
    **METRICS_UNSCOPED,
    **DECLARATION_UNSCOPED,
    **CERTIFICATE_UNSCOPED,
    **MARKING_API_UNSCOPED,
    **AUDIT_UNSCOPED,
    **PRIVACY_UNSCOPED,
}
# django-allauth's pages concern only the signed-in (or signing-in) person's own account.
ALLAUTH_MODULE_PREFIX = "allauth."


def is_known(route) -> bool:
    return (
        route.name in SCOPED
        or route.name in LISTS
        or route.name in UNSCOPED
        or route.module.startswith(ALLAUTH_MODULE_PREFIX)
    )


def test_every_url_is_known_to_the_matrix():
    unknown = sorted({f"{r.name or '(unnamed)'} → /{r.pattern}" for r in all_routes() if not is_known(r)})
    assert not unknown, "Teach tests/isolation/test_matrix.py these URLs:\n" + "\n".join(unknown)


def in_safe_order(cases: dict[str, Scoped]) -> list[tuple[str, Scoped]]:
    """Reads first, then writes, then the writes that delete, so every case still finds its objects."""

    def deletes(name: str, case: Scoped) -> bool:
        return case.method == "delete" or any(word in name for word in ("remove", "cancel", "revoke"))

    return sorted(cases.items(), key=lambda item: (item[1].method != "get", deletes(*item)))


def expected_for_other_provider(user, case: Scoped) -> tuple[int, ...]:
    access = access_for(user)
    if access.everywhere(case.action):
        return case.ok
    if access.anywhere(case.action):
        return (404,)
    return (
        403,
        404,
    )  # a role that may never open this kind of page: 403 for pages, 404 from scoped API lists


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES, ids=[r.value for r in ALL_ROLES])
def test_role_cannot_reach_another_providers_objects(client, role):
    world = build_world()
    user = world.users[role]
    client.force_login(user)
    problems = []
    for name, case in in_safe_order(SCOPED):
        for key in ("other", "own"):
            url = reverse(name, kwargs=case.kwargs(world.objects[key]))
            if case.content_type:
                response = getattr(client, case.method)(url, case.data, content_type=case.content_type)
            else:
                response = getattr(client, case.method)(url, case.data)
            # The same walk checks each answer under the Content-Security-Policy (tests/security).
            problems += policy_problems(case.method, url, response)
            if key == "other":
                expected = expected_for_other_provider(user, case)
            else:
                expected = case.ok if access_for(user).may(case.action, world.own.pk) else (403, 404)
            if response.status_code not in expected:
                problems.append(
                    f"{role} {case.method.upper()} {url} ({key} provider): "
                    f"{response.status_code}, expected {expected}"
                )
    for name, (action, row) in LISTS.items():
        response = client.get(reverse(name))
        problems += policy_problems("get", reverse(name), response)
        if response.status_code >= 500:
            problems.append(f"{role} GET {reverse(name)}: {response.status_code}")
        shown = row(world.objects["other"]) in response.content.decode()
        if shown != access_for(user).everywhere(action):
            problems.append(
                f"{role} GET {reverse(name)}: another provider's row {'shown' if shown else 'missing'}"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES, ids=[r.value for r in ALL_ROLES])
def test_lists_show_own_provider_rows_where_the_role_allows(client, role):
    world = build_world()
    user = world.users[role]
    client.force_login(user)
    access = access_for(user)
    shows = {
        "api:provider-list": access.may(Action.VIEW_PROVIDER, world.own.pk),
        "api:cohort-list": access.may(Action.VIEW_COHORTS, world.own.pk),
        "api:invitation-list": access.may(Action.MANAGE_PEOPLE, world.own.pk),
        # Only admins see other people's enrolments, even at their own provider.
        "api:enrolment-list": access.may(Action.VIEW_ENROLMENTS, world.own.pk),
        "api:participant-list": access.may(Action.VIEW_ENROLMENTS, world.own.pk),
    }
    for name, expected in shows.items():
        body = client.get(reverse(name)).content.decode()
        assert (LISTS[name][1](world.objects["own"]) in body) is expected, f"{role} {name}"
    if role == Role.PARTICIPANT:
        assert user.email in client.get(reverse("api:enrolment-list")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES, ids=[r.value for r in ALL_ROLES])
def test_unscoped_pages_answer_every_role_without_error(client, role):
    world = build_world()
    client.force_login(world.users[role])
    problems: list[str] = []
    for route in all_routes():
        if "<" in route.pattern or "(?P" in route.pattern or route.name in SCOPED:
            continue  # pages with arguments are exercised by their own tests
        if route.name in UNSCOPED or route.module.startswith(ALLAUTH_MODULE_PREFIX):
            url = "/" + route.pattern.lstrip("^").rstrip("$")
            response = client.get(url)
            assert response.status_code < 500, f"{role} GET {url}: {response.status_code}"
            problems += policy_problems("get", url, response)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES, ids=[r.value for r in ALL_ROLES])
def test_platform_pages_are_for_platform_staff_only(client, role):
    world = build_world()
    client.force_login(world.users[role])
    for name in ("platform_people", "platform_invite"):
        status = client.get(reverse(name)).status_code
        assert status == (200 if role == Role.PLATFORM_STAFF else 403), f"{role} {name}: {status}"
