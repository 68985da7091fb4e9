"""The programmes API: programmes, components, cohorts, delivery groups and sessions, read and written through
the same selectors and services as the pages."""

import datetime
from decimal import Decimal

import pytest

from npqel.access import Role
from programmes import services
from programmes.api import READ_ONLY_ROLE
from programmes.models import Cohort, Component, DeliveryGroup, Module, Programme, Session, Task
from programmes.timetable import local_datetime
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    SessionFactory,
    StaffMembershipFactory,
    timetable_for,
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
MISSING = 987654321


def world_at(provider, tag: str) -> dict:
    """One of every programme and timetable object at `provider`, with its admin."""
    cohort = CohortFactory(programme=ProgrammeFactory(provider=provider), code=f"{tag}-cohort")
    return {
        "cohort": cohort,
        "admin": person(Role.PROVIDER_ADMIN, provider),
        **timetable_for(cohort, tag=tag),
    }


@pytest.fixture
def own(provider):
    return world_at(provider, "own")


@pytest.fixture
def other(other_provider):
    return world_at(other_provider, "other")


@pytest.fixture
def admin(api, own):
    return api(own["admin"])


def fields_of(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    return error["fields"]


# --- Who may read and write -------------------------------------------------------------------------------

# (method, path, body, status for an admin of the provider): one valid write of each kind.
WRITES = {
    "create programme": (
        "post",
        lambda w: "/api/v1/programmes/",
        lambda w: {"provider": "olp", "code": "npqel-2025", "name": "NPQEL 2025", "framework": "reformed"},
        201,
    ),
    "change programme": (
        "patch",
        lambda w: f"/api/v1/programmes/{w['programme'].pk}/",
        lambda w: {"engagement_threshold": "95.00"},
        200,
    ),
    "create component": (
        "post",
        lambda w: "/api/v1/components/",
        lambda w: {
            "programme": w["programme"].pk,
            "kind": "seminar",
            "title": "Seminar 1",
            "mode": "in_person",
        },
        201,
    ),
    "change component": (
        "patch",
        lambda w: f"/api/v1/components/{w['component'].pk}/",
        lambda w: {"guided_learning_hours": "8.0"},
        200,
    ),
    "remove component": (
        "delete",
        lambda w: f"/api/v1/components/{w['course'].pk}/",
        lambda w: None,
        204,
    ),
    "create cohort": (
        "post",
        lambda w: "/api/v1/cohorts/",
        lambda w: {
            "programme_id": w["programme"].pk,
            "code": "spring-2023",
            "intake": "spring",
            "start_date": "2023-03-06",
        },
        201,
    ),
    "change cohort": (
        "patch",
        lambda w: f"/api/v1/cohorts/{w['cohort'].pk}/",
        lambda w: {"recruitment_target": 40},
        200,
    ),
    "create group": (
        "post",
        lambda w: "/api/v1/groups/",
        lambda w: {"cohort": w["cohort"].pk, "name": "Cumbria", "region": "North West"},
        201,
    ),
    "change group": (
        "patch",
        lambda w: f"/api/v1/groups/{w['group'].pk}/",
        lambda w: {"region": "Lakes"},
        200,
    ),
    "remove group": ("delete", lambda w: f"/api/v1/groups/{w['group'].pk}/", lambda w: None, 204),
    "schedule session": (
        "post",
        lambda w: "/api/v1/sessions/",
        lambda w: {
            "cohort": w["cohort"].pk,
            "component": w["component"].pk,
            "starts_at": "2022-11-01T10:00:00Z",
            "ends_at": "2022-11-01T11:30:00Z",
        },
        201,
    ),
    "change session": (
        "patch",
        lambda w: f"/api/v1/sessions/{w['session'].pk}/",
        lambda w: {"venue": "Kendal"},
        200,
    ),
    "cancel session": ("delete", lambda w: f"/api/v1/sessions/{w['session'].pk}/", lambda w: None, 204),
}


def send(caller, method: str, path: str, body):
    return caller.delete(path) if method == "delete" else getattr(caller, method)(path, body)


@pytest.mark.parametrize("write", list(WRITES))
def test_a_provider_admin_can_make_every_write(admin, own, write):
    method, path, body, expected = WRITES[write]

    response = send(admin, method, path(own), body(own))

    assert response.status_code == expected, response.content


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COACH, Role.PLATFORM_STAFF])
def test_other_staff_read_everything_but_every_write_is_refused(api, own, provider, role):
    caller = api(person(role, provider))

    for path in ("programmes", "components", "cohorts", "groups", "sessions"):
        listed = caller.get(f"/api/v1/{path}/")
        assert listed.status_code == 200 and listed.json()["count"] >= 1, path
        assert caller.get(f"/api/v1/{path}/{own[path[:-1]].pk}/").status_code == 200, path
    assert caller.get(f"/api/v1/components/{own['course'].pk}/").json()["modules"][0]["tasks"]

    for write, (method, path, body, _) in WRITES.items():
        response = send(caller, method, path(own), body(own))
        assert response.status_code == 403, write
        assert response.json()["error"]["message"] == READ_ONLY_ROLE, write
    # Nothing changed.
    assert Programme.objects.filter(provider=provider).count() == 1
    assert Session.objects.filter(pk=own["session"].pk).exists()
    assert Component.objects.get(pk=own["component"].pk).guided_learning_hours == Decimal("6")


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.PARTICIPANT, Role.MODERATOR])
def test_roles_that_never_see_programmes_get_empty_lists_and_403_for_an_object(api, own, provider, role):
    caller = api(person(role, provider))

    for path in ("programmes", "components", "groups", "sessions"):
        assert caller.get(f"/api/v1/{path}/").json()["count"] == 0, path
        assert caller.get(f"/api/v1/{path}/{own[path[:-1]].pk}/").status_code == 403, path


def test_an_admin_at_one_provider_who_facilitates_at_another_may_read_there_but_not_write(api, own, other):
    StaffMembershipFactory(user=own["admin"], provider=other["programme"].provider, role="facilitator")
    caller = api(own["admin"])

    assert caller.get(f"/api/v1/programmes/{other['programme'].pk}/").status_code == 200
    refused = caller.patch(f"/api/v1/programmes/{other['programme'].pk}/", {"fee_notes": "Mine now"})

    assert refused.status_code == 403
    assert "provider admin of this provider" in refused.json()["error"]["message"]


@pytest.mark.parametrize("path", ["programmes", "components", "cohorts", "groups", "sessions"])
def test_another_providers_object_is_404_exactly_like_a_missing_one_for_every_method(admin, own, other, path):
    key = path[:-1]  # "programmes" → "programme"
    theirs, missing = f"/api/v1/{path}/{other[key].pk}/", f"/api/v1/{path}/{MISSING}/"

    assert admin.get(f"/api/v1/{path}/{own[key].pk}/").status_code == 200
    for response in (
        admin.get(theirs),
        admin.get(missing),
        admin.patch(theirs, {"title": "Taken over"}),
        admin.patch(missing, {"title": "Taken over"}),
    ):
        assert response.status_code == 404 and response.json() == NOT_FOUND
    if path in ("components", "groups", "sessions"):
        assert admin.delete(theirs).json() == admin.delete(missing).json() == NOT_FOUND
    assert type(other[key]).objects.filter(pk=other[key].pk).exists()


@pytest.mark.parametrize("path", ["programmes", "components", "cohorts", "groups", "sessions"])
def test_lists_leave_out_another_providers_rows_and_platform_staff_see_both(
    api, admin, own, other, provider, path
):
    key = path[:-1]
    ids = {row["id"] for row in admin.get(f"/api/v1/{path}/", page_size=200).json()["results"]}

    assert own[key].pk in ids and other[key].pk not in ids

    staff = api(person(Role.PLATFORM_STAFF))
    everyone = {row["id"] for row in staff.get(f"/api/v1/{path}/", page_size=200).json()["results"]}
    assert {own[key].pk, other[key].pk} <= everyone


# --- Programmes -------------------------------------------------------------------------------------------


def test_an_admin_creates_a_programme_with_its_rules(admin, provider):
    response = admin.post(
        "/api/v1/programmes/",
        {
            "provider": provider.slug,
            "code": "npqel-legacy",
            "name": "NPQEL (legacy)",
            "framework": "legacy",
            "duration_months": 18,
            "engagement_threshold": "90",
            "engagement_comparison": "more_than",
            "engagement_kinds": ["online_course", "residential"],
            "deadline_months": 18,
            "deferral_pauses_clock": True,
            "fee_notes": "Non-refundable once enrolment is confirmed.",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["provider"] == provider.slug and body["framework"] == "legacy"
    assert body["engagement_threshold"] == "90.00" and body["engagement_comparison"] == "more_than"
    assert body["engagement_kinds"] == ["online_course", "residential"]
    assert body["deferral_pauses_clock"] is True and body["deadline_months"] == 18
    assert admin.get(f"/api/v1/programmes/{body['id']}/").json() == body
    # Components of the counted kinds count toward engagement unless they say otherwise.
    course = admin.post(
        "/api/v1/components/",
        {"programme": body["id"], "kind": "online_course", "title": "Strategy", "mode": "self_directed"},
    ).json()
    webinar = admin.post(
        "/api/v1/components/",
        {"programme": body["id"], "kind": "webinar", "title": "Webinars", "mode": "online_live"},
    ).json()
    assert course["counts_toward_engagement"] is True and webinar["counts_toward_engagement"] is False


def test_a_programme_shows_its_deadline_policies_fees_placements_areas_and_hours(admin, own):
    programme = own["programme"]
    by = own["admin"]
    services.fee_option_add(
        by=by,
        programme=programme,
        name="With coaching",
        amount=Decimal("4800"),
        plus_vat=True,
        instalments=[(0, Decimal("1800")), (5, Decimal("2000")), (11, Decimal("1000"))],
    )
    services.placement_option_add(
        by=by, programme=programme, name="USA", cost_from=Decimal("1500"), cost_to=Decimal("2500")
    )
    ComponentFactory(
        programme=programme, title="Residential", mode=Component.Mode.IN_PERSON, guided_learning_hours=16
    )
    ComponentFactory(programme=programme, title="Peer challenge", guided_learning_hours=None)

    body = admin.get(f"/api/v1/programmes/{programme.pk}/").json()

    assert body["deadline_extensions"] == [
        {"id": own["extension"].pk, "applies_from": "2018-07-01", "months": 24, "reason": ""}
    ]
    coaching = next(f for f in body["fee_options"] if f["name"] == "With coaching")
    assert coaching["amount"] == "4800.00" and coaching["plus_vat"] is True
    assert coaching["instalments"] == [
        {"months_after_start": 0, "amount": "1800.00"},
        {"months_after_start": 5, "amount": "2000.00"},
        {"months_after_start": 11, "amount": "1000.00"},
    ]
    assert {p["name"]: (p["cost_from"], p["cost_to"]) for p in body["placement_options"]} == {
        "Placement own": ("0.00", "0.00"),
        "USA": ("1500.00", "2500.00"),
    }
    assert body["content_areas"] == [{"id": own["area"].pk, "title": "Area own", "position": 0}]
    # The webinar (6, online live), the course (6, self-directed), the residential (16, in person); one unpublished.
    assert body["hours"] == {
        "in_person": "16.0",
        "online_live": "6.0",
        "self_directed": "6.0",
        "synchronous": "22.0",
        "total": "28.0",
        "unpublished_components": 1,
    }


def test_an_admin_changes_a_programmes_rules(admin, own):
    response = admin.patch(
        f"/api/v1/programmes/{own['programme'].pk}/",
        {"engagement_threshold": "100", "engagement_comparison": "at_least", "deadline_months": 21},
    )

    assert response.status_code == 200
    programme = Programme.objects.get(pk=own["programme"].pk)
    assert programme.engagement_threshold == 100 and programme.deadline_months == 21
    assert response.json()["engagement_threshold"] == "100.00"


def test_programme_writes_say_what_to_fix(admin, own, other, provider):
    def create(**changes):
        body = {"provider": provider.slug, "code": "new", "name": "New", "framework": "reformed", **changes}
        return fields_of(admin.post("/api/v1/programmes/", body))

    # Another provider's slug reads exactly like one that does not exist.
    assert create(provider="llse") == {
        "provider": [
            "You do not work for a provider with the slug “llse”. Check the slug (GET /api/v1/providers/)."
        ]
    }
    assert create(provider="nobody")["provider"][0].startswith(
        "You do not work for a provider with the slug “nobody”"
    )
    assert create(code=own["programme"].code) == {
        "code": [f"{provider.name} already has a programme with the code “npqel”. Choose another code."]
    }
    assert "less than or equal to 100" in create(engagement_threshold="120")["engagement_threshold"][0]
    assert create(engagement_kinds=["juggling"]) == {
        "engagement_kinds": ['Item 1: "juggling" is not a valid choice.']
    }
    assert set(fields_of(admin.post("/api/v1/programmes/", {}))) == {"provider", "code", "name", "framework"}
    assert fields_of(admin.patch(f"/api/v1/programmes/{own['programme'].pk}/", {"deadline_months": 0})) == {
        "deadline_months": ["Ensure this value is greater than or equal to 1."]
    }


def test_programmes_filter_by_provider(api, own, other):
    staff = api(person(Role.PLATFORM_STAFF))

    listed = staff.get("/api/v1/programmes/", provider="llse").json()["results"]

    assert [p["id"] for p in listed] == [other["programme"].pk]
    assert listed[0]["component_count"] == 2 and listed[0]["cohort_count"] == 1


# --- Components -------------------------------------------------------------------------------------------


def test_an_admin_adds_a_component_with_its_content_areas(admin, own):
    response = admin.post(
        "/api/v1/components/",
        {
            "programme": own["programme"].pk,
            "kind": "residential",
            "title": "Residential day 1",
            "description": "Transition to executive leadership",
            "guided_learning_hours": "8",
            "mode": "in_person",
            "required": True,
            "content_areas": [own["area"].pk],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["guided_learning_hours"] == "8.0" and body["content_areas"] == [own["area"].pk]
    assert body["modules"] == [] and body["programme"] == own["programme"].pk
    assert Component.objects.get(pk=body["id"]).content_areas.get() == own["area"]


def test_an_online_course_shows_its_modules_and_tasks(admin, own):
    optional = Task.objects.create(module=own["module"], title="Further reading", core=False, position=2)

    body = admin.get(f"/api/v1/components/{own['course'].pk}/").json()

    assert body["kind"] == "online_course"
    assert body["modules"] == [
        {
            "id": own["module"].pk,
            "title": "Module own",
            "position": 0,
            "tasks": [
                {"id": own["task"].pk, "title": "Task own", "core": True, "position": 0},
                {"id": optional.pk, "title": "Further reading", "core": False, "position": 2},
            ],
        }
    ]


def test_components_filter_by_programme(admin, own, provider):
    second = ProgrammeFactory(provider=provider, code="second")
    ComponentFactory(programme=second, title="Elsewhere")

    listed = admin.get("/api/v1/components/", programme=own["programme"].pk).json()["results"]

    assert [c["title"] for c in listed] == ["Webinar own", "Course own"]
    assert listed[1]["module_count"] == 1
    assert admin.get("/api/v1/components/", programme="x").status_code == 400


def test_removing_a_component_with_sessions_says_to_cancel_them_first(admin, own):
    refused = admin.delete(f"/api/v1/components/{own['component'].pk}/")

    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "“Webinar own” has 1 scheduled session. Cancel them before removing the component."
    )
    assert admin.delete(f"/api/v1/components/{own['course'].pk}/").status_code == 204
    assert not Component.objects.filter(pk=own["course"].pk).exists()
    assert not Module.objects.filter(pk=own["module"].pk).exists()


def test_component_writes_say_what_to_fix(admin, own, other):
    def create(**changes):
        body = {"programme": own["programme"].pk, "kind": "seminar", "title": "Seminar", "mode": "in_person"}
        return fields_of(admin.post("/api/v1/components/", {**body, **changes}))

    theirs, missing = create(programme=other["programme"].pk), create(programme=MISSING)
    assert theirs["programme"] == [
        f"There is no programme with id {other['programme'].pk} that you can see. Check the id."
    ]
    assert missing["programme"] == [
        f"There is no programme with id {MISSING} that you can see. Check the id."
    ]
    assert create(content_areas=[other["area"].pk]) == {
        "content_areas": [
            f"{other['area'].pk}: not one of this programme's areas of study. "
            "Use the ids listed in the programme's content_areas."
        ]
    }
    assert create(title="Webinar own") == {
        "title": ["This programme already has a component called “Webinar own”."]
    }
    assert create(guided_learning_hours="-1") == {
        "guided_learning_hours": ["Ensure this value is greater than or equal to 0."]
    }
    assert create(kind="knitting") == {"kind": ['"knitting" is not a valid choice.']}
    course = f"/api/v1/components/{own['course'].pk}/"
    assert fields_of(admin.patch(course, {"kind": "webinar"})) == {
        "kind": ["This component has modules, so it must stay an online course. Remove its modules first."]
    }


# --- Cohorts ----------------------------------------------------------------------------------------------


def test_an_admin_opens_a_cohort_that_runs_for_the_programmes_duration(admin, own):
    response = admin.post(
        "/api/v1/cohorts/",
        {
            "programme_id": own["programme"].pk,
            "code": "autumn-2023",
            "intake": "autumn",
            "start_date": "2023-08-31",
            "recruitment_target": 120,
            "fsm_target_percent": "4.00",
            "non_white_british_target_percent": "12.50",
            "delivery_partner": own["partner"].pk,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    # 18 months from 31 August clamps to the end of February, and the cohort ends the day before.
    assert body["start_date"] == "2023-08-31" and body["end_date"] == "2025-02-27"
    assert body["recruitment_year"] == "2022/23" and body["enrolment_count"] == 0
    assert body["delivery_partner"] == own["partner"].pk and body["fsm_target_percent"] == "4.00"
    assert body["programme_id"] == own["programme"].pk and body["programme"] == "npqel"


def test_a_new_cohort_can_copy_another_cohorts_timetable(admin, own):
    response = admin.post(
        "/api/v1/cohorts/",
        {
            "programme_id": own["programme"].pk,
            "code": "autumn-2023",
            "intake": "autumn",
            "start_date": "2023-10-02",
            "end_date": "2025-03-28",
            "copy_timetable_from": own["cohort"].pk,
        },
    )

    assert response.status_code == 201, response.content
    copied = admin.get("/api/v1/sessions/", cohort=response.json()["id"]).json()["results"]
    # A Monday 16:00 in BST, a year on: still Monday 16:00 BST, in the copied group.
    assert [(s["title"], s["starts_at"]) for s in copied] == [("Session own", "2023-10-09T16:00:00+01:00")]
    assert (
        admin.get("/api/v1/groups/", cohort=response.json()["id"]).json()["results"][0]["name"] == "Group own"
    )


def test_cohort_writes_say_what_to_fix(admin, own, other):
    def create(**changes):
        body = {
            "programme_id": own["programme"].pk,
            "code": "c1",
            "intake": "spring",
            "start_date": "2023-03-06",
        }
        return fields_of(admin.post("/api/v1/cohorts/", {**body, **changes}))

    assert create(programme_id=other["programme"].pk)["programme_id"][0].startswith(
        "There is no programme with id"
    )
    assert create(copy_timetable_from=other["cohort"].pk) == {
        "copy_timetable_from": [
            f"There is no cohort with id {other['cohort'].pk} that you can see. Check the id."
        ]
    }
    partner = create(delivery_partner=other["partner"].pk)["delivery_partner"][0]
    assert (
        partner
        == f"{other['partner'].pk}: not one of Outstanding Leaders Partnership's delivery partners. Check the id."
    )
    assert create(end_date="2023-01-01") == {
        "end_date": ["The end date must be after the start date (6 March 2023)."]
    }
    assert create(code=own["cohort"].code)["code"][0].startswith(
        "This programme already has a cohort with the code"
    )
    assert create(start_date="1066-10-14") == {"start_date": ["Enter a date from 2000 to 2099."]}
    assert create(fsm_target_percent="101")["fsm_target_percent"]
    # The timetable starts on 10 October 2022, so the cohort cannot start after it.
    moved = admin.patch(f"/api/v1/cohorts/{own['cohort'].pk}/", {"start_date": "2022-10-20"})
    assert fields_of(moved)["start_date"][0].startswith("This cohort has a session on 10 October 2022")


def test_an_admin_changes_a_cohort_and_clears_its_delivery_partner(admin, own):
    Cohort.objects.filter(pk=own["cohort"].pk).update(delivery_partner=own["partner"])

    response = admin.patch(
        f"/api/v1/cohorts/{own['cohort'].pk}/", {"recruitment_target": 45, "delivery_partner": None}
    )

    assert response.status_code == 200
    assert response.json()["recruitment_target"] == 45 and response.json()["delivery_partner"] is None
    assert Cohort.objects.get(pk=own["cohort"].pk).delivery_partner is None


# --- Delivery groups --------------------------------------------------------------------------------------


def test_an_admin_forms_a_group_with_facilitators(admin, own, provider):
    facilitator = person(Role.FACILITATOR, provider)

    response = admin.post(
        "/api/v1/groups/",
        {
            "cohort": own["cohort"].pk,
            "name": "Cumbria",
            "region": "North West",
            "facilitators": [facilitator.pk],
        },
    )

    assert response.status_code == 201, response.content
    group = response.json()
    assert group["facilitators"] == [facilitator.pk] and group["cohort"] == own["cohort"].pk
    # Renaming keeps the facilitators; an empty list removes them.
    renamed = admin.patch(f"/api/v1/groups/{group['id']}/", {"name": "Cumbria and Lakes"}).json()
    assert renamed["name"] == "Cumbria and Lakes" and renamed["facilitators"] == [facilitator.pk]
    emptied = admin.patch(f"/api/v1/groups/{group['id']}/", {"facilitators": []}).json()
    assert emptied["facilitators"] == []


def test_group_writes_say_what_to_fix(admin, own, other, provider):
    coach, elsewhere = person(Role.COACH, provider), other["admin"]

    def create(**changes):
        return fields_of(
            admin.post("/api/v1/groups/", {"cohort": own["cohort"].pk, "name": "North", **changes})
        )

    assert create(facilitators=[coach.pk, elsewhere.pk]) == {
        "facilitators": [
            f"Users {coach.pk}, {elsewhere.pk}: not a facilitator or provider admin at Outstanding Leaders "
            "Partnership. Invite them as a facilitator first, or choose someone who is."
        ]
    }
    assert create(cohort=other["cohort"].pk)["cohort"][0].startswith("There is no cohort with id")
    assert create(name="Group own") == {"name": ["This cohort already has a group called “Group own”."]}


def test_removing_a_group_keeps_its_sessions_for_the_whole_cohort(admin, own):
    assert admin.delete(f"/api/v1/groups/{own['group'].pk}/").status_code == 204

    assert not DeliveryGroup.objects.filter(pk=own["group"].pk).exists()
    assert admin.get(f"/api/v1/sessions/{own['session'].pk}/").json()["group"] is None


def test_groups_filter_by_cohort(admin, own, provider):
    second = CohortFactory(programme=own["programme"])
    DeliveryGroupFactory(cohort=second, name="Elsewhere")

    listed = admin.get("/api/v1/groups/", cohort=own["cohort"].pk).json()["results"]

    assert [(g["name"], g["session_count"]) for g in listed] == [("Group own", 1)]


# --- Sessions ---------------------------------------------------------------------------------------------


def test_an_admin_schedules_a_session_with_an_aware_time(admin, own, provider):
    facilitator = person(Role.FACILITATOR, provider)

    response = admin.post(
        "/api/v1/sessions/",
        {
            "cohort": own["cohort"].pk,
            "component": own["component"].pk,
            "group": own["group"].pk,
            "starts_at": "2022-11-01T10:00:00Z",
            "ends_at": "2022-11-01T11:30:00+00:00",
            "venue": "",
            "online_link": "https://meet.example.org/webinar",
            "capacity": 40,
            "facilitator": facilitator.pk,
            "repeat_of": own["session"].pk,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    # Shown in London time: 1 November is GMT.
    assert body["starts_at"] == "2022-11-01T10:00:00Z" and body["ends_at"] == "2022-11-01T11:30:00Z"
    assert body["display_title"] == "Webinar own" and body["repeat_of"] == own["session"].pk
    assert body["facilitator"] == facilitator.pk and body["capacity"] == 40
    session = Session.objects.get(pk=body["id"])
    assert session.starts_at == datetime.datetime(2022, 11, 1, 10, tzinfo=datetime.UTC)


def test_a_time_without_its_utc_offset_is_refused(admin, own):
    response = admin.post(
        "/api/v1/sessions/",
        {
            "cohort": own["cohort"].pk,
            "component": own["component"].pk,
            "starts_at": "2022-11-01T10:00:00",
            "ends_at": "2022-11-01T11:30:00",
        },
    )

    fields = fields_of(response)
    assert (
        fields["starts_at"]
        == fields["ends_at"]
        == [
            "Give the time with its UTC offset, e.g. 2024-11-05T16:00:00+00:00 in winter (GMT) "
            "or 2024-06-04T16:00:00+01:00 in summer (BST)."
        ]
    )
    naive_filter = admin.get("/api/v1/sessions/", **{"from": "2022-11-01T00:00:00"})
    assert fields_of(naive_filter)["from"][0].startswith("Give the time with its UTC offset")


def test_session_writes_say_what_to_fix(admin, own, other, provider):
    def create(**changes):
        body = {
            "cohort": own["cohort"].pk,
            "component": own["component"].pk,
            "starts_at": "2022-11-01T10:00:00Z",
            "ends_at": "2022-11-01T11:30:00Z",
        }
        return fields_of(admin.post("/api/v1/sessions/", {**body, **changes}))

    # Another provider's ids read exactly like ids that do not exist.
    for field, key, noun in [
        ("cohort", "cohort", "cohort"),
        ("component", "component", "component"),
        ("group", "group", "delivery group"),
        ("repeat_of", "session", "session"),
    ]:
        for pk in (other[key].pk, MISSING):
            assert create(**{field: pk}) == {
                field: [f"There is no {noun} with id {pk} that you can see. Check the id."]
            }
    assert create(ends_at="2022-11-01T09:00:00Z") == {
        "ends_at": ["The session must end after it starts. Check the end time."]
    }
    assert create(starts_at="2025-01-07T10:00:00Z", ends_at="2025-01-07T11:00:00Z") == {
        "starts_at": [
            "7 January 2025 is outside the cohort, which runs from 3 October 2022 to 29 March 2024."
        ]
    }
    other_component = ComponentFactory(programme=ProgrammeFactory(provider=provider, code="second"))
    assert create(component=other_component.pk) == {
        "component": ["Choose a component of this cohort's programme."]
    }
    coach = person(Role.COACH, provider)
    assert create(facilitator=coach.pk)["facilitator"][0].startswith(f"User {coach.pk}: not a facilitator")
    repeat = SessionFactory(cohort=own["cohort"], component=own["component"], repeat_of=own["session"])
    assert create(repeat_of=repeat.pk) == {
        "repeat_of": ["Choose the original session, not another repeat of it."]
    }
    assert create(starts_at="0001-01-01T00:00:00+14:00")["starts_at"]


def test_sessions_filter_by_cohort_and_time_window(admin, own):
    cohort, component = own["cohort"], own["component"]
    at = [local_datetime(datetime.date(2022, 11, d), datetime.time(10)) for d in (1, 8, 15)]
    for i, moment in enumerate(at):
        SessionFactory(cohort=cohort, component=component, starts_at=moment, title=f"Week {i}")
    SessionFactory(cohort=CohortFactory(programme=own["programme"]), component=component, starts_at=at[1])

    def titles(**params):
        return [
            s["title"] for s in admin.get("/api/v1/sessions/", cohort=cohort.pk, **params).json()["results"]
        ]

    assert titles() == ["Session own", "Week 0", "Week 1", "Week 2"]
    assert titles(**{"from": "2022-11-08T10:00:00Z", "to": "2022-11-15T10:00:00Z"}) == ["Week 1"]
    assert titles(**{"from": "2022-11-02T00:00:00+00:00"}) == ["Week 1", "Week 2"]


def test_an_admin_changes_and_cancels_a_session_whose_repeat_stays(admin, own):
    repeat = SessionFactory(cohort=own["cohort"], component=own["component"], repeat_of=own["session"])
    path = f"/api/v1/sessions/{own['session'].pk}/"

    moved = admin.patch(
        path, {"starts_at": "2022-10-11T15:00:00+01:00", "ends_at": "2022-10-11T16:30:00+01:00"}
    )
    assert moved.status_code == 200 and moved.json()["starts_at"] == "2022-10-11T15:00:00+01:00"

    assert admin.delete(path).status_code == 204
    assert not Session.objects.filter(pk=own["session"].pk).exists()
    assert admin.get(path).json() == NOT_FOUND
    # The repeat stays on the timetable, now a session in its own right.
    assert admin.get(f"/api/v1/sessions/{repeat.pk}/").json()["repeat_of"] is None


# --- Query counts -----------------------------------------------------------------------------------------


def grow(world: dict, n: int) -> None:
    """n more programmes, components, groups and sessions (with facilitators and content areas) at the
    world's provider."""
    provider = world["programme"].provider
    for _ in range(n):
        programme = ProgrammeFactory(provider=provider, code=f"p-{Programme.objects.count()}")
        cohort = CohortFactory(programme=programme)
        component = ComponentFactory(programme=programme)
        component.content_areas.add(world["area"])
        group = DeliveryGroupFactory(cohort=cohort)
        group.facilitators.add(StaffMembershipFactory(provider=provider).user)
        SessionFactory(cohort=cohort, component=component, group=group)


# With a key: the key and its user (1), the user's roles (1), the count (1) and the page (1); lists whose rows
# hold lists of ids prefetch them (1): components' content areas, groups' facilitators.
LIST_QUERIES = [
    (role, path, queries)
    for role in (Role.PROVIDER_ADMIN, Role.FACILITATOR, Role.PLATFORM_STAFF)
    for path, queries in [
        ("programmes", 4),
        ("components", 5),
        ("groups", 5),
        ("sessions", 4),
        ("cohorts", 4),
    ]
]


@pytest.mark.parametrize(
    ("role", "path", "queries"), LIST_QUERIES, ids=[f"{r}-{p}" for r, p, _ in LIST_QUERIES]
)
def test_list_query_count_is_pinned_and_does_not_grow_with_rows(
    api, django_assert_num_queries, own, provider, role, path, queries
):
    get = api(own["admin"] if role == Role.PROVIDER_ADMIN else person(role, provider)).get
    get("/api/v1/me/")  # records the key's first use, a write made at most once a minute

    grow(own, 2)
    with django_assert_num_queries(queries):
        few = get(f"/api/v1/{path}/", page_size=100)
    grow(own, 20)
    with django_assert_num_queries(queries):
        many = get(f"/api/v1/{path}/", page_size=100)

    assert few.status_code == many.status_code == 200
    assert many.json()["count"] - few.json()["count"] == 20
    assert len(many.json()["results"]) == many.json()["count"]
