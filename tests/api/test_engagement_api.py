"""The engagement API (participants/api_engagement.py): a session's register saved in one request, task
completions, coaching, feedback ratings and their results, and each place's engagement and eligibility measured
fresh with its explanation, through the same services as the pages. Each endpoint: what it does, who may use it
(403 for a role that never may, 404 for another provider's object, exactly like a missing one), what a mistake
says, and, for lists, a query count that does not grow with the rows."""

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine

from npqel.access import Role
from participants.models import (
    Attendance,
    AttendanceChange,
    CoachingSession,
    Engagement,
    Enrolment,
    FeedbackRating,
    TaskCompletion,
)
from participants.services import engagement as engagement_service
from participants.services import register_save
from programmes.models import Component, Module, Programme, Task
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    SessionFactory,
    timetable_for,
)

pytestmark = pytest.mark.django_db

S = Enrolment.Status
A = Attendance.Status
D = datetime.date
NOW = datetime.datetime(2023, 6, 1, 11, 0, tzinfo=datetime.UTC)  # 12:00 in London (BST)
MISSING = 987654321
NOT_FOUND = {
    "error": {
        "status": 404,
        "code": "not_found",
        "message": "Not found. It may not exist, or you may not have access to it.",
        "fields": {},
    }
}
ROLE_REFUSED = "Your role does not give you access to this page."
SERIAL = itertools.count()


@pytest.fixture(autouse=True)
def clock():
    """Today is 1 June 2023; the cohorts started on 3 October 2022, their first session on 10 October."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def world_at(provider, tag: str) -> dict:
    """A cohort with one of everything (tests/programmes/factories.timetable_for: a webinar with a session
    for group `tag`, an online course with one core task…), its admin, facilitator and coach."""
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider, name=f"NPQEL {tag}"), code=f"{tag}-c"
    )
    return {
        "provider": provider,
        "cohort": cohort,
        "admin": person(Role.PROVIDER_ADMIN, provider),
        "facilitator": person(Role.FACILITATOR, provider),
        "coach": person(Role.COACH, provider),
        **timetable_for(cohort, tag=tag),
    }


@pytest.fixture
def own(provider):
    return world_at(provider, "own")


@pytest.fixture
def other(other_provider):
    return world_at(other_provider, "other")


def place(world, name: str, status=S.ACTIVE, **extra) -> Enrolment:
    return EnrolmentFactory(
        cohort=world["cohort"],
        status=status,
        participant__user__full_name=name,
        participant__user__email=f"{name.split()[0].lower()}.{next(SERIAL)}@school.example",
        **extra,
    )


def member(world, name: str, status=S.ACTIVE) -> Enrolment:
    """A place in the world's group, so expected at its session."""
    return place(world, name, status, group=world["group"])


def fields_of(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] == "Check the fields listed and try again."
    return error["fields"]


def message_of(response, status: int = 400) -> str:
    assert response.status_code == status, response.content
    return response.json()["error"]["message"]


def pinned(api, django_assert_num_queries, user, path: str, grow, queries: int) -> tuple[dict, dict]:
    """GET `path` before and after `grow()` adds rows, each in `queries` queries."""
    caller = api(user)
    caller.get("/api/v1/me/")  # records the key's first use, a write made at most once a minute
    with django_assert_num_queries(queries):
        few = caller.get(path)
    grow()
    with django_assert_num_queries(queries):
        many = caller.get(path)
    assert few.status_code == many.status_code == 200, many.content
    return few.json(), many.json()


# --- A session's register -------------------------------------------------------------------------------


def register_url(session) -> str:
    return f"/api/v1/sessions/{session.pk}/attendance/"


def test_a_facilitator_saves_marks_and_gets_the_register_back(api, own):
    ada, bob, cyd = member(own, "Ada Lovelace"), member(own, "Bob Hope"), member(own, "Cyd Charisse")
    facilitator = own["facilitator"]

    response = api(facilitator).put(
        register_url(own["session"]),
        {"marks": [{"enrolment": bob.pk, "status": "late"}, {"enrolment": ada.pk, "status": "present"}]},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["session"], body["is_open"], body["expected"], body["marked"], body["changed"]) == (
        own["session"].pk,
        True,
        3,
        2,
        2,
    )
    assert body["places"] == [
        {
            "enrolment": ada.pk,
            "participant_name": "Ada Lovelace",
            "group": own["group"].pk,
            "status": "present",
            "marked_by": facilitator.email,
            "marked_at": "2023-06-01T12:00:00+01:00",
            "updated_by": None,
            "updated_at": None,
        },
        {
            "enrolment": bob.pk,
            "participant_name": "Bob Hope",
            "group": own["group"].pk,
            "status": "late",
            "marked_by": facilitator.email,
            "marked_at": "2023-06-01T12:00:00+01:00",
            "updated_by": None,
            "updated_at": None,
        },
        {
            "enrolment": cyd.pk,
            "participant_name": "Cyd Charisse",
            "group": own["group"].pk,
            "status": None,
            "marked_by": None,
            "marked_at": None,
            "updated_by": None,
            "updated_at": None,
        },
    ]
    # GET answers the same register, without the count of what changed.
    read = api(own["admin"]).get(register_url(own["session"])).json()
    assert read == {key: value for key, value in body.items() if key != "changed"}
    assert AttendanceChange.objects.filter(attendance__session=own["session"]).count() == 2


def test_changing_a_mark_keeps_the_first_marker_and_is_audited(api, own, clock):
    ada, bob = member(own, "Ada Lovelace"), member(own, "Bob Hope")
    register_save(by=own["facilitator"], session=own["session"], marks={ada.pk: A.PRESENT, bob.pk: A.ABSENT})
    clock.move_to(datetime.datetime(2023, 6, 1, 12, 0, tzinfo=datetime.UTC))

    body = (
        api(own["admin"])
        .put(
            register_url(own["session"]),
            {
                "marks": [
                    {"enrolment": ada.pk, "status": "present"},
                    {"enrolment": bob.pk, "status": "authorised_absence"},
                ]
            },
        )
        .json()
    )

    assert body["changed"] == 1  # Ada's mark is the same
    row = body["places"][1]
    assert (row["status"], row["marked_by"], row["updated_by"], row["updated_at"]) == (
        "authorised_absence",
        own["facilitator"].email,
        own["admin"].email,
        "2023-06-01T13:00:00+01:00",
    )
    change = AttendanceChange.objects.filter(attendance__enrolment=bob).order_by("pk").last()
    assert (change.from_status, change.to_status, change.changed_by) == (
        "absent",
        "authorised_absence",
        own["admin"],
    )


def test_a_place_not_expected_is_refused_and_nothing_is_written(api, own, other):
    ada = member(own, "Ada Lovelace")
    deferred = member(own, "Dee Ferred", S.DEFERRED)
    elsewhere = place(own, "Ned Nogroup")  # in no group: the session is for the group
    theirs = member(other, "Tia Theirs")

    response = api(own["facilitator"]).put(
        register_url(own["session"]),
        {
            "marks": [
                {"enrolment": ada.pk, "status": "present"},
                {"enrolment": deferred.pk, "status": "present"},
                {"enrolment": elsewhere.pk, "status": "absent"},
                {"enrolment": theirs.pk, "status": "present"},
            ]
        },
    )

    # Another provider's place is counted, never named.
    assert fields_of(response) == {
        "marks": [
            "Not expected at this session, so not marked: Dee Ferred, Ned Nogroup, 1 other place. Only places on "
            "its group that are accepted or active are on the register."
        ]
    }
    assert not Attendance.objects.exists()


def test_a_register_is_taken_once_the_session_starts(api, own):
    later = SessionFactory(
        cohort=own["cohort"],
        component=own["component"],
        starts_at=local_datetime(D(2023, 6, 8), datetime.time(16)),
        ends_at=local_datetime(D(2023, 6, 8), datetime.time(17)),
    )
    ada = place(own, "Ada Lovelace")
    admin = api(own["admin"])

    response = admin.put(register_url(later), {"marks": [{"enrolment": ada.pk, "status": "present"}]})

    assert message_of(response) == "The session has not happened yet: take the register once it starts."
    assert admin.get(register_url(later)).json()["is_open"] is False
    assert not Attendance.objects.exists()


def test_marks_input_says_what_to_fix(api, own):
    ada = member(own, "Ada Lovelace")
    caller = api(own["facilitator"])
    url = register_url(own["session"])

    assert fields_of(caller.put(url, {})) == {"marks": ["This field is required."]}
    assert fields_of(caller.put(url, {"marks": []})) == {
        "marks": ['Give at least one mark, like {"enrolment": 12, "status": "present"}.']
    }
    assert fields_of(caller.put(url, {"marks": "present"})) == {
        "marks": ['Expected a list of items but got type "str".']
    }
    assert fields_of(
        caller.put(
            url,
            {"marks": [{"enrolment": ada.pk, "status": "here"}, {"enrolment": "ada"}, 7]},
        )
    ) == {
        "marks": [
            'Item 1, status: "here" is not a valid choice.',
            "Item 2, enrolment: A valid integer is required.",
            "Item 2, status: This field is required.",
            "Item 3: Invalid data. Expected a dictionary, but got int.",
        ]
    }
    twice = {"marks": [{"enrolment": ada.pk, "status": "present"}, {"enrolment": ada.pk, "status": "absent"}]}
    assert fields_of(caller.put(url, twice)) == {
        "marks": [f"Enrolment {ada.pk} is listed more than once. Give each place one mark."]
    }
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.PLATFORM_STAFF, Role.COACH, Role.ASSESSOR, Role.MODERATOR, Role.PARTICIPANT]
)
def test_only_admins_and_facilitators_take_registers(api, own, provider, role):
    ada = member(own, "Ada Lovelace")
    caller = api(person(role, provider))

    assert message_of(caller.get(register_url(own["session"])), 403) == ROLE_REFUSED
    response = caller.put(
        register_url(own["session"]), {"marks": [{"enrolment": ada.pk, "status": "present"}]}
    )
    assert message_of(response, 403) == ROLE_REFUSED
    assert not Attendance.objects.exists()


def test_another_providers_register_is_404_like_a_missing_one(api, own, other):
    theirs = member(other, "Tia Theirs")
    caller = api(own["facilitator"])

    for session_pk in (other["session"].pk, MISSING):
        url = f"/api/v1/sessions/{session_pk}/attendance/"
        assert caller.get(url).json() == NOT_FOUND
        assert caller.put(url, {"marks": [{"enrolment": theirs.pk, "status": "present"}]}).json() == NOT_FOUND
    assert not Attendance.objects.exists()


def test_saving_and_reading_a_register_take_the_same_queries_for_3_or_20_people(
    api, django_assert_num_queries, own
):
    caller = api(own["facilitator"])
    caller.get("/api/v1/me/")
    url = register_url(own["session"])

    def save(places) -> dict:
        marks = [{"enrolment": p.pk, "status": "present"} for p in places]
        response = caller.put(url, {"marks": marks})
        assert response.status_code == 200, response.content
        return response.json()

    # GET: the key, the caller's roles (1), the session, the places expected and their marks. PUT: the same
    # reads, and the service's writes (the session locked, who is expected, marks already made, the new marks,
    # their history and their audit-trail events, the cohort queued for its engagement recompute, inside a
    # savepoint); the first save also writes the recompute's job to the outbox (the later one finds the cohort
    # already queued).
    first = [member(own, f"First {n}") for n in range(3)]
    with django_assert_num_queries(16):
        save(first)
    with django_assert_num_queries(5):
        caller.get(url)
    later = [member(own, f"Later {n}") for n in range(17)]
    with django_assert_num_queries(15):
        body = save(later)
    with django_assert_num_queries(5):
        caller.get(url)
    assert body["marked"] == body["expected"] == 20


# --- Task completions -----------------------------------------------------------------------------------


def completions_url(enrolment) -> str:
    return f"/api/v1/enrolments/{enrolment.pk}/task-completions/"


def test_an_admin_records_lists_and_takes_away_task_completions(api, own, django_capture_on_commit_callbacks):
    ada = place(own, "Ada Lovelace")
    own["task"].reference = "EL-1"
    own["task"].save()
    admin = api(own["admin"])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(completions_url(ada), {"task": own["task"].pk, "completed_on": "2023-05-31"})

    assert response.status_code == 201, response.content
    recorded = {
        "task": own["task"].pk,
        "task_title": "Task own",
        "task_reference": "EL-1",
        "core": True,
        "course": own["course"].pk,
        "completed_on": "2023-05-31",
        "source": "by_hand",
        "recorded_by": own["admin"].email,
        "recorded_at": "2023-06-01T12:00:00+01:00",
    }
    assert response.json() == recorded
    assert admin.get(completions_url(ada)).json() == [recorded]
    # The engagement hook ran: the stored row counts the core task.
    assert Engagement.objects.get(pk=ada.pk).core_tasks_done == 1

    # Recording it again changes the day.
    again = admin.post(completions_url(ada), {"task": own["task"].pk, "completed_on": "2023-05-01"})
    assert again.status_code == 201 and again.json()["completed_on"] == "2023-05-01"
    assert TaskCompletion.objects.filter(enrolment=ada).count() == 1

    removed = admin.delete(f"{completions_url(ada)}{own['task'].pk}/")
    assert removed.status_code == 204 and admin.get(completions_url(ada)).json() == []
    assert message_of(admin.delete(f"{completions_url(ada)}{own['task'].pk}/"), 404) == (
        f"No completion of task {own['task'].pk} is recorded for this place. GET its task-completions/ to see "
        "which are."
    )


def test_recording_a_task_says_what_to_fix(api, own, other):
    ada = place(own, "Ada Lovelace")
    admin = api(own["admin"])
    url = completions_url(ada)
    task = own["task"].pk

    assert fields_of(admin.post(url, {})) == {
        "task": ["This field is required."],
        "completed_on": ["This field is required."],
    }
    assert fields_of(admin.post(url, {"task": task, "completed_on": "2023-06-02"})) == {
        "completed_on": [
            "2 June 2023 is in the future. Record a task once it is done, with the day it was done."
        ]
    }
    assert fields_of(admin.post(url, {"task": task, "completed_on": "1/6/2023"}))["completed_on"][
        0
    ].startswith("Date has wrong format.")
    assert fields_of(admin.post(url, {"task": task, "completed_on": "1923-06-01"})) == {
        "completed_on": ["Enter a date from 2000 to 2099."]
    }
    # Another provider's task reads like one that does not exist …
    for pk in (other["task"].pk, MISSING):
        assert fields_of(admin.post(url, {"task": pk, "completed_on": "2023-05-31"})) == {
            "task": [
                f"There is no task with id {pk} that you can see. Check the id. GET /api/v1/components/{{id}}/ "
                "lists an online course's tasks."
            ]
        }
    # … while a task of another of the provider's programmes is the service's to refuse.
    course = ComponentFactory(
        programme=ProgrammeFactory(provider=own["provider"], code="npqh"), kind="online_course"
    )
    elsewhere = Task.objects.create(module=Module.objects.create(course=course, title="M"), title="Budgets")
    assert fields_of(admin.post(url, {"task": elsewhere.pk, "completed_on": "2023-05-31"})) == {
        "task": ["“Budgets” is not a task of NPQEL own. Choose one of its own tasks."]
    }
    applicant = place(own, "Abe Applicant", S.APPLIED)
    assert message_of(
        admin.post(completions_url(applicant), {"task": task, "completed_on": "2023-05-31"})
    ) == (
        "Abe Applicant's application has not been accepted yet, so there is no learning to record. Accept their "
        "application first."
    )
    assert not TaskCompletion.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR, Role.PARTICIPANT]
)
def test_other_roles_neither_read_nor_record_task_completions(api, own, provider, role):
    ada = place(own, "Ada Lovelace")
    caller = api(person(role, provider))

    assert message_of(caller.get(completions_url(ada)), 403) == ROLE_REFUSED
    body = {"task": own["task"].pk, "completed_on": "2023-05-31"}
    assert message_of(caller.post(completions_url(ada), body), 403) == ROLE_REFUSED
    assert message_of(caller.delete(f"{completions_url(ada)}{own['task'].pk}/"), 403) == ROLE_REFUSED


def test_platform_staff_read_completions_but_do_not_record_them(api, own):
    ada = place(own, "Ada Lovelace")
    TaskCompletion.objects.create(enrolment=ada, task=own["task"], completed_on=D(2023, 5, 2))
    staff = api(person(Role.PLATFORM_STAFF))

    assert [row["task"] for row in staff.get(completions_url(ada)).json()] == [own["task"].pk]
    body = {"task": own["task"].pk, "completed_on": "2023-05-31"}
    assert message_of(staff.post(completions_url(ada), body), 403) == ROLE_REFUSED
    assert message_of(staff.delete(f"{completions_url(ada)}{own['task'].pk}/"), 403) == ROLE_REFUSED
    assert TaskCompletion.objects.get().completed_on == D(2023, 5, 2)


def test_another_providers_place_is_404_for_task_completions(api, own, other):
    theirs = place(other, "Tia Theirs")
    TaskCompletion.objects.create(enrolment=theirs, task=other["task"], completed_on=D(2023, 5, 2))
    admin = api(own["admin"])

    for pk in (theirs.pk, MISSING):
        url = f"/api/v1/enrolments/{pk}/task-completions/"
        assert admin.get(url).json() == NOT_FOUND
        assert admin.post(url, {"task": other["task"].pk, "completed_on": "2023-05-31"}).json() == NOT_FOUND
        assert admin.delete(f"{url}{other['task'].pk}/").json() == NOT_FOUND
    assert TaskCompletion.objects.get().completed_on == D(2023, 5, 2)


def test_listing_completions_takes_the_same_queries_for_1_or_12(api, django_assert_num_queries, own):
    ada = place(own, "Ada Lovelace")
    TaskCompletion.objects.create(enrolment=ada, task=own["task"], completed_on=D(2023, 5, 2))

    def grow():
        for n in range(11):
            task = Task.objects.create(module=own["module"], title=f"Task {n}", position=n + 1)
            TaskCompletion.objects.create(
                enrolment=ada, task=task, completed_on=D(2023, 5, 2), recorded_by=own["admin"]
            )

    few, many = pinned(api, django_assert_num_queries, own["admin"], completions_url(ada), grow, 4)
    assert (len(few), len(many)) == (1, 12)
    assert [row["task_title"] for row in many][:3] == ["Task own", "Task 0", "Task 1"]  # in course order


# --- Coaching -------------------------------------------------------------------------------------------


def coaching_url(enrolment) -> str:
    return f"/api/v1/enrolments/{enrolment.pk}/coaching-sessions/"


@pytest.fixture
def coaching(own):
    return ComponentFactory(
        programme=own["programme"],
        title="Coaching",
        kind=Component.Kind.COACHING,
        mode=Component.Mode.ONLINE_LIVE,
    )


SESSION = {"held_on": "2023-05-30", "minutes": 45, "focus": "Leading change in the trust"}


def test_a_coach_logs_and_lists_coaching_for_their_coachee(api, own, coaching):
    ada = place(own, "Ada Lovelace", coach=own["coach"])
    coach = api(own["coach"])

    response = coach.post(coaching_url(ada), SESSION)

    assert response.status_code == 201, response.content
    logged = response.json()
    assert logged == {
        "id": CoachingSession.objects.get().pk,
        "enrolment": ada.pk,
        "component": coaching.pk,
        "component_title": "Coaching",
        "held_on": "2023-05-30",
        "minutes": 45,
        "focus": "Leading change in the trust",
        "coach": own["coach"].email,
        "logged_by": own["coach"].email,
        "logged_at": "2023-06-01T12:00:00+01:00",
    }
    # An admin logs one too (naming the component); the list is newest first.
    later = api(own["admin"]).post(
        coaching_url(ada), {**SESSION, "held_on": "2023-05-31", "component": coaching.pk}
    )
    assert later.status_code == 201 and later.json()["logged_by"] == own["admin"].email
    assert [row["held_on"] for row in coach.get(coaching_url(ada)).json()] == ["2023-05-31", "2023-05-30"]


def test_logging_coaching_says_what_to_fix(api, own, other, coaching):
    ada = place(own, "Ada Lovelace", coach=own["coach"])
    coach = api(own["coach"])
    url = coaching_url(ada)

    assert fields_of(coach.post(url, {})) == {
        "held_on": ["This field is required."],
        "minutes": ["This field is required."],
        "focus": ["This field is required."],
    }
    assert fields_of(coach.post(url, {**SESSION, "minutes": 0, "focus": "  "})) == {
        "minutes": ["Enter how long the session lasted as 1 to 480 minutes."],
        "focus": ["Enter what the session focused on, for example “Leading change in the trust”."],
    }
    assert fields_of(coach.post(url, {**SESSION, "minutes": 481, "focus": "x" * 301})) == {
        "minutes": ["Enter how long the session lasted as 1 to 480 minutes."],
        "focus": ["Enter the focus in 300 characters or fewer."],
    }
    assert fields_of(coach.post(url, {**SESSION, "held_on": "2023-06-02"})) == {
        "held_on": ["Enter today's date or an earlier one: log a session once it has happened."]
    }
    assert fields_of(coach.post(url, {**SESSION, "held_on": "2022-10-02"})) == {
        "held_on": ["Enter a date on or after 3 October 2022, when cohort own-c started."]
    }
    assert fields_of(coach.post(url, {**SESSION, "component": own["component"].pk})) == {
        "component": ["Choose one of the programme's coaching components."]
    }
    for pk in (other["component"].pk, MISSING):
        assert fields_of(coach.post(url, {**SESSION, "component": pk})) == {
            "component": [f"There is no component with id {pk} that you can see. Check the id."]
        }
    # With two coaching components, the coach says which.
    ComponentFactory(
        programme=own["programme"], kind=Component.Kind.COACHING, mode=Component.Mode.ONLINE_LIVE
    )
    assert fields_of(coach.post(url, SESSION)) == {
        "component": ["Choose which of the programme's coaching components this session was for."]
    }
    ended = place(own, "Wes Withdrawn", S.WITHDRAWN, coach=own["coach"])
    assert message_of(coach.post(coaching_url(ended), {**SESSION, "component": coaching.pk})) == (
        "Wes Withdrawn's place has ended (withdrawn), so no more coaching can be logged."
    )
    assert not CoachingSession.objects.exists()


def test_a_programme_without_a_coaching_component_says_so(api, own):
    ada = place(own, "Ada Lovelace", coach=own["coach"])

    assert fields_of(api(own["coach"]).post(coaching_url(ada), SESSION)) == {
        "component": [
            "The programme has no individual coaching component to log coaching against. Ask a provider admin to "
            "add one (of kind “Individual coaching or mentoring”) to the programme."
        ]
    }


def test_a_coach_reaches_only_the_places_they_coach(api, own, other, provider, coaching):
    someone_elses = place(own, "Sam Else", coach=person(Role.COACH, provider))
    theirs = place(other, "Tia Theirs", coach=own["coach"])  # named, but the coach holds no role there
    coach = api(own["coach"])

    for enrolment in (someone_elses, theirs):
        assert coach.get(coaching_url(enrolment)).json() == NOT_FOUND
        assert coach.post(coaching_url(enrolment), SESSION).json() == NOT_FOUND
    assert api(own["admin"]).get(coaching_url(theirs)).json() == NOT_FOUND
    assert not CoachingSession.objects.exists()


@pytest.mark.parametrize("role", [Role.PLATFORM_STAFF, Role.FACILITATOR, Role.ASSESSOR, Role.PARTICIPANT])
def test_other_roles_may_not_log_or_read_coaching(api, own, provider, role, coaching):
    ada = place(own, "Ada Lovelace", coach=own["coach"])
    session = CoachingSession.objects.create(
        enrolment=ada,
        component=coaching,
        coach=own["coach"],
        held_on=D(2023, 5, 2),
        minutes=60,
        focus="Budgets",
    )
    caller = api(person(role, provider))

    assert message_of(caller.get(coaching_url(ada)), 403) == ROLE_REFUSED
    assert message_of(caller.post(coaching_url(ada), SESSION), 403) == ROLE_REFUSED
    assert message_of(caller.delete(f"/api/v1/coaching-sessions/{session.pk}/"), 403) == ROLE_REFUSED
    assert CoachingSession.objects.count() == 1


def test_removing_coaching_logged_by_mistake(api, own, provider, coaching):
    ada = place(own, "Ada Lovelace", coach=own["coach"])
    earlier_coach = person(Role.COACH, provider)
    theirs = CoachingSession.objects.create(
        enrolment=ada,
        component=coaching,
        coach=earlier_coach,
        logged_by=earlier_coach,
        held_on=D(2023, 1, 9),
        minutes=60,
        focus="Budgets",
    )
    coach = api(own["coach"])
    mine = coach.post(coaching_url(ada), SESSION).json()["id"]

    assert coach.delete(f"/api/v1/coaching-sessions/{mine}/").status_code == 204
    # The session another coach held is theirs (or an admin's) to take back.
    assert message_of(coach.delete(f"/api/v1/coaching-sessions/{theirs.pk}/")) == (
        "Another coach held this session, so only they or a provider admin can remove it."
    )
    assert api(own["admin"]).delete(f"/api/v1/coaching-sessions/{theirs.pk}/").status_code == 204
    assert not CoachingSession.objects.exists()
    assert coach.delete(f"/api/v1/coaching-sessions/{MISSING}/").json() == NOT_FOUND


def test_another_providers_coaching_session_is_404(api, own, other):
    coaching = ComponentFactory(programme=other["programme"], kind=Component.Kind.COACHING)
    theirs = CoachingSession.objects.create(
        enrolment=place(other, "Tia Theirs"), component=coaching, held_on=D(2023, 1, 9), minutes=60, focus="x"
    )

    assert api(own["admin"]).delete(f"/api/v1/coaching-sessions/{theirs.pk}/").json() == NOT_FOUND
    assert CoachingSession.objects.filter(pk=theirs.pk).exists()


def test_listing_coaching_takes_the_same_queries_for_1_or_12(api, django_assert_num_queries, own, coaching):
    ada = place(own, "Ada Lovelace", coach=own["coach"])

    def log(n: int) -> None:
        for day in range(n):
            CoachingSession.objects.create(
                enrolment=ada,
                component=coaching,
                coach=own["coach"],
                logged_by=own["admin"],
                held_on=D(2023, 1, 9) + datetime.timedelta(days=day),
                minutes=60,
                focus="Budgets",
            )

    log(1)
    few, many = pinned(api, django_assert_num_queries, own["coach"], coaching_url(ada), lambda: log(11), 4)
    assert (len(few), len(many)) == (1, 12)


# --- Feedback -------------------------------------------------------------------------------------------


def feedback_url(enrolment) -> str:
    return f"/api/v1/enrolments/{enrolment.pk}/feedback/"


def participant_in(world, name: str, **extra):
    enrolment = member(world, name, **extra)
    return enrolment.participant.user, enrolment


def test_a_participant_rates_a_session_they_came_to_and_can_change_their_mind(api, own, clock):
    user, mine = participant_in(own, "Ada Lovelace")
    caller = api(user)

    response = caller.post(
        feedback_url(mine), {"session": own["session"].pk, "rating": 9, "comment": "  Useful case studies "}
    )

    assert response.status_code == 201, response.content
    assert response.json() == {
        "enrolment": mine.pk,
        "session": own["session"].pk,
        "rating": 9,
        "comment": "Useful case studies",
        "rated_at": "2023-06-01T12:00:00+01:00",
    }
    clock.move_to(datetime.datetime(2023, 6, 2, 9, tzinfo=datetime.UTC))
    again = caller.post(feedback_url(mine), {"session": own["session"].pk, "rating": 7})
    assert again.json()["rating"] == 7 and again.json()["comment"] == ""
    assert FeedbackRating.objects.get().rating == 7


def test_the_programme_is_rated_once_it_is_over(api, own, other):
    user, mine = participant_in(own, "Ada Lovelace")
    caller = api(user)
    later = SessionFactory(
        cohort=own["cohort"],
        component=own["component"],
        starts_at=local_datetime(D(2024, 3, 5), datetime.time(16)),
        ends_at=local_datetime(D(2024, 3, 5), datetime.time(17)),
    )

    refused = caller.post(feedback_url(mine), {"session": None, "rating": 8})
    assert message_of(refused) == (
        "You can rate the programme once its last session has ended, on 5 March 2024 at 17:00."
    )
    later.delete()
    rated = caller.post(feedback_url(mine), {"session": None, "rating": 8, "comment": "Worth it"})
    assert rated.status_code == 201 and rated.json()["session"] is None


def test_rating_says_what_to_fix(api, own, other):
    user, mine = participant_in(own, "Ada Lovelace")
    caller = api(user)
    url = feedback_url(mine)
    session = own["session"].pk

    assert fields_of(caller.post(url, {})) == {
        "session": ["This field is required."],
        "rating": ["This field is required."],
    }
    for rating in (-1, 11):
        assert fields_of(caller.post(url, {"session": session, "rating": rating})) == {
            "rating": ["Choose a rating from 0 (not at all good) to 10 (excellent)."]
        }
    assert fields_of(caller.post(url, {"session": session, "rating": 5, "comment": "x" * 2001})) == {
        "comment": ["Write your comment in 2000 characters or fewer."]
    }
    # Another group's session, another provider's and a missing one are none of theirs.
    others = SessionFactory(
        cohort=own["cohort"], component=own["component"], group=DeliveryGroupFactory(cohort=own["cohort"])
    )
    for pk in (others.pk, other["session"].pk, MISSING):
        assert fields_of(caller.post(url, {"session": pk, "rating": 5})) == {
            "session": [
                f"Session {pk} is not on your timetable. Give the id of one of your own sessions, or null to rate "
                "the whole programme."
            ]
        }
    Attendance.objects.create(enrolment=mine, session=own["session"], status=A.ABSENT, marked_at=NOW)
    assert message_of(caller.post(url, {"session": session, "rating": 5})) == (
        "The register shows you were not at this session, so you cannot rate it. If that is wrong, ask your "
        "facilitator to correct the register."
    )
    assert not FeedbackRating.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.PROVIDER_ADMIN, Role.PLATFORM_STAFF, Role.FACILITATOR, Role.PARTICIPANT]
)
def test_nobody_rates_on_someone_elses_place(api, own, provider, role):
    _, theirs = participant_in(own, "Ada Lovelace")
    caller = api(own["admin"] if role == Role.PROVIDER_ADMIN else person(role, provider))

    for pk in (theirs.pk, MISSING):
        response = caller.post(
            f"/api/v1/enrolments/{pk}/feedback/", {"session": own["session"].pk, "rating": 1}
        )
        assert response.json() == NOT_FOUND
    assert not FeedbackRating.objects.exists()


def results_url(session) -> str:
    return f"/api/v1/sessions/{session.pk}/feedback/"


def rate(world, session, *ratings: tuple[int, str]) -> None:
    for n, (rating, comment) in enumerate(ratings):
        enrolment = member(world, f"Rater {n}")
        FeedbackRating.objects.create(
            enrolment=enrolment, session=session, rating=rating, comment=comment, rated_at=NOW
        )


def test_results_show_from_three_ratings_and_never_who_gave_them(api, own):
    session = own["session"]
    session.facilitator = own["facilitator"]
    session.save()
    rate(own, session, (9, "Great"), (6, ""))
    facilitator = api(own["facilitator"])

    hidden = facilitator.get(results_url(session)).json()
    assert hidden == {
        "session": session.pk,
        "shown": False,
        "min_ratings": 3,
        "count": None,
        "mean": None,
        "distribution": [],
        "comments": [],
    }
    FeedbackRating.objects.create(
        enrolment=member(own, "Zed Last"), session=session, rating=6, comment="  also good ", rated_at=NOW
    )
    shown = facilitator.get(results_url(session)).json()
    assert {k: shown[k] for k in ("shown", "count", "mean", "comments")} == {
        "shown": True,
        "count": 3,
        "mean": "7.00",
        "comments": ["also good", "Great"],
    }
    assert shown["distribution"] == [{"rating": r, "count": {6: 2, 9: 1}.get(r, 0)} for r in range(11)]
    text = str(shown)
    assert "Rater" not in text and "Zed" not in text and "@" not in text


def test_results_are_for_those_who_may_see_the_sessions_feedback(api, own, other, provider):
    rate(own, own["session"], (8, ""), (8, ""), (8, ""))

    admin = api(own["admin"])
    assert admin.get(results_url(own["session"])).json()["count"] == 3
    assert api(person(Role.PLATFORM_STAFF)).get(results_url(other["session"])).status_code == 200
    # A facilitator sees only the sessions they facilitate (the world's has no facilitator).
    assert api(own["facilitator"]).get(results_url(own["session"])).json() == NOT_FOUND
    for role in (Role.COACH, Role.ASSESSOR, Role.PARTICIPANT):
        assert message_of(api(person(role, provider)).get(results_url(own["session"])), 403) == ROLE_REFUSED
    for pk in (other["session"].pk, MISSING):
        assert admin.get(f"/api/v1/sessions/{pk}/feedback/").json() == NOT_FOUND


# --- Engagement -----------------------------------------------------------------------------------------


def engagement_world(provider, *, sessions: int = 4, tasks: int = 2, extra_components: int = 0) -> dict:
    """A programme of a 10-hour webinar series (`sessions` one-hour sessions, all held) and a 10-hour online
    course (`tasks` core tasks), at least 90% needed; and one active place."""
    programme = ProgrammeFactory(provider=provider, name="NPQEL", engagement_kinds=[])
    cohort = CohortFactory(
        programme=programme, code="eng", start_date=D(2022, 10, 3), end_date=D(2024, 3, 29)
    )
    webinar = ComponentFactory(
        programme=programme,
        title="Webinars",
        kind=Component.Kind.WEBINAR,
        mode=Component.Mode.ONLINE_LIVE,
        guided_learning_hours=Decimal("10"),
        position=1,
    )
    course = ComponentFactory(
        programme=programme,
        title="Online course",
        kind=Component.Kind.ONLINE_COURSE,
        mode=Component.Mode.SELF_DIRECTED,
        guided_learning_hours=Decimal("10"),
        position=2,
    )
    module = Module.objects.create(course=course, title="Module 1")
    held = [
        SessionFactory(
            cohort=cohort,
            component=webinar,
            starts_at=local_datetime(D(2022, 10, 10) + datetime.timedelta(weeks=n), datetime.time(16)),
            ends_at=local_datetime(D(2022, 10, 10) + datetime.timedelta(weeks=n), datetime.time(17)),
        )
        for n in range(sessions)
    ]
    core = [
        Task.objects.create(module=module, title=f"Core {n}", core=True, position=n) for n in range(tasks)
    ]
    for n in range(extra_components):
        ComponentFactory(
            programme=programme,
            title=f"Seminar {n}",
            kind=Component.Kind.SEMINAR,
            mode=Component.Mode.IN_PERSON,
            guided_learning_hours=None,
            position=3 + n,
        )
    enrolment = EnrolmentFactory(cohort=cohort, status=S.ACTIVE)
    return {
        "programme": programme,
        "cohort": cohort,
        "webinar": webinar,
        "course": course,
        "sessions": held,
        "tasks": core,
        "enrolment": enrolment,
        "admin": person(Role.PROVIDER_ADMIN, provider),
    }


def engagement_url(enrolment) -> str:
    return f"/api/v1/enrolments/{enrolment.pk}/engagement/"


def test_an_admin_reads_a_places_engagement_measured_now_and_explained(api, provider):
    world = engagement_world(provider)
    ada = world["enrolment"]
    for session in world["sessions"][:3]:
        Attendance.objects.create(enrolment=ada, session=session, status=A.PRESENT, marked_at=NOW)
    TaskCompletion.objects.create(enrolment=ada, task=world["tasks"][0], completed_on=D(2023, 1, 9))

    body = api(world["admin"]).get(engagement_url(ada)).json()

    measure, _ = engagement_service.engagement_measure(enrolment_id=ada.pk, now=NOW)
    assert body == {
        "enrolment": ada.pk,
        # 3 of 4 sessions (7.5 of 10 hours) and 1 of 2 core tasks (5 of 10 hours): 12.5 of 20 hours.
        "percent": "62.50",
        "to_date_percent": str(measure.to_date_percent),
        # Every session is over; the course can still be finished: 17.5 of 20 hours at most.
        "max_percent": "87.50",
        "planned_hours": "20.00",
        "credited_hours": "12.50",
        "core_tasks_done": 1,
        "core_tasks_total": 2,
        "required_missing": 0,
        "meets_threshold": False,
        "eligible": False,
        "at_risk": True,
        "at_risk_reasons": [
            "Can reach only 87.5% engagement even taking part in everything left (at least 90% needed)"
        ],
        "threshold": "90.00",
        "comparison": "at_least",
        "summary": body["summary"],
        "missing": [
            "Engagement is 62.5%; at least 90% is needed",
            "1 core task of “Online course” still to complete",
        ],
        "next_steps": [
            "Attend every session still to come, and complete your online tasks and logs.",
            "Complete the 1 core task left in the online course “Online course”.",
            "Talk to your coach or your provider about how to catch up, for example at a session's repeat.",
        ],
        "components": [
            {
                "component": world["webinar"].pk,
                "title": "Webinars",
                "evidence": "attendance",
                "counts": True,
                "required": True,
                "planned_hours": "10.00",
                "credited_hours": "7.50",
                "progress": "3 of 4 sessions attended",
                "done": False,
            },
            {
                "component": world["course"].pk,
                "title": "Online course",
                "evidence": "tasks",
                "counts": True,
                "required": True,
                "planned_hours": "10.00",
                "credited_hours": "5.00",
                "progress": "1 of 2 core tasks complete",
                "done": False,
            },
        ],
        "computed_at": "2023-06-01T12:00:00+01:00",
    }
    assert body["summary"].startswith("Engagement so far: ") and "At least 90% is needed." in body["summary"]


def test_engagement_is_measured_fresh_while_the_list_shows_the_stored_row(api, provider):
    world = engagement_world(provider, sessions=1, tasks=1)
    ada = world["enrolment"]
    admin = api(world["admin"])
    listed = lambda: admin.get("/api/v1/enrolments/", cohort=world["cohort"].pk).json()["results"][0]  # noqa: E731

    # Not measured yet: the list says so.
    assert (listed()["engagement_percent"], listed()["eligible"]) == (None, None)
    engagement_service.engagement_recompute(cohort_ids=[world["cohort"].pk], now=NOW)
    assert (listed()["engagement_percent"], listed()["eligible"], listed()["at_risk"]) == (
        "0.00",
        False,
        True,
    )

    # Done since the last recompute: the engagement answer has it at once.
    Attendance.objects.create(enrolment=ada, session=world["sessions"][0], status=A.PRESENT, marked_at=NOW)
    TaskCompletion.objects.create(enrolment=ada, task=world["tasks"][0], completed_on=D(2023, 1, 9))
    fresh = admin.get(engagement_url(ada)).json()
    assert (fresh["percent"], fresh["eligible"], fresh["at_risk"], fresh["at_risk_reasons"]) == (
        "100.00",
        True,
        False,
        [],
    )
    assert fresh["summary"] == (
        "You meet the engagement rule (100%; at least 90% needed) and can present for the final assessment."
    )
    assert listed()["engagement_percent"] == "0.00"
    assert Engagement.objects.get(pk=ada.pk).percent == Decimal("0.00")  # reading wrote nothing


def test_a_deadline_close_with_nothing_submitted_is_a_reason_too(api, provider, clock):
    world = engagement_world(provider, sessions=1, tasks=1)
    ada = world["enrolment"]
    Attendance.objects.create(enrolment=ada, session=world["sessions"][0], status=A.PRESENT, marked_at=NOW)
    TaskCompletion.objects.create(enrolment=ada, task=world["tasks"][0], completed_on=D(2023, 1, 9))
    engagement_service.engagement_recompute(cohort_ids=[world["cohort"].pk], now=NOW)
    # 18 months from 3 October 2022: 3 April 2024, 41 days after 22 February 2024.
    clock.move_to(datetime.datetime(2024, 2, 22, 12, tzinfo=datetime.UTC))
    admin = api(world["admin"])

    body = admin.get(engagement_url(ada)).json()

    assert body["eligible"] is True
    assert body["at_risk"] is True and body["at_risk_reasons"] == [
        "Deadline in 41 days with nothing submitted"
    ]
    assert admin.get(f"/api/v1/enrolments/{ada.pk}/").json()["at_risk"] is True


def test_a_participant_reads_their_own_engagement_and_nobody_elses(api, own, other, provider):
    participant = person(Role.PARTICIPANT, provider)
    mine = participant.participant.enrolments.get()
    someone = place(own, "Ada Lovelace")
    caller = api(participant)

    assert caller.get(engagement_url(mine)).json()["enrolment"] == mine.pk
    for enrolment in (someone, place(other, "Tia Theirs")):
        assert caller.get(engagement_url(enrolment)).json() == NOT_FOUND


def test_engagement_is_for_those_who_see_the_place(api, own, other, provider):
    ada = place(own, "Ada Lovelace")
    theirs = place(other, "Tia Theirs")
    admin = api(own["admin"])

    assert admin.get(engagement_url(ada)).status_code == 200
    assert api(person(Role.PLATFORM_STAFF)).get(engagement_url(theirs)).status_code == 200
    for user in (own["facilitator"], own["coach"], person(Role.ASSESSOR, provider), person(Role.MODERATOR)):
        assert api(user).get(engagement_url(ada)).json() == NOT_FOUND
    for pk in (theirs.pk, MISSING):
        assert admin.get(f"/api/v1/enrolments/{pk}/engagement/").json() == NOT_FOUND


def test_engagement_takes_the_same_queries_for_a_small_or_a_large_programme(
    api, django_assert_num_queries, provider, other_provider
):
    small = engagement_world(provider, sessions=1, tasks=1)
    large = engagement_world(other_provider, sessions=30, tasks=25, extra_components=6)
    for world in (small, large):
        for session in world["sessions"]:
            Attendance.objects.create(
                enrolment=world["enrolment"], session=session, status=A.PRESENT, marked_at=NOW
            )
    staff = api(person(Role.PLATFORM_STAFF))
    staff.get("/api/v1/me/")

    with django_assert_num_queries(8):
        few = staff.get(engagement_url(small["enrolment"])).json()
    with django_assert_num_queries(8):
        many = staff.get(engagement_url(large["enrolment"])).json()

    assert (len(few["components"]), len(many["components"])) == (2, 8)
    assert many["core_tasks_total"] == 25


def test_the_enrolment_list_carries_the_engagement_summary_at_no_extra_query(
    api, django_assert_num_queries, provider
):
    world = engagement_world(provider, sessions=1, tasks=1)
    admin = api(world["admin"])
    admin.get("/api/v1/me/")

    def grow(n: int) -> None:
        for _ in range(n):
            EnrolmentFactory(cohort=world["cohort"], status=S.ACTIVE)
        engagement_service.engagement_recompute(cohort_ids=[world["cohort"].pk], now=NOW)

    grow(2)
    with django_assert_num_queries(10):
        few = admin.get("/api/v1/enrolments/", page_size=100).json()["results"]
    grow(25)
    with django_assert_num_queries(10):
        many = admin.get("/api/v1/enrolments/", page_size=100).json()["results"]

    assert (len(few), len(many)) == (3, 28)
    assert {(row["engagement_percent"], row["eligible"], row["at_risk"]) for row in many} == {
        ("0.00", False, True)
    }


def test_the_schema_documents_the_engagement_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    assert set(paths["/api/v1/sessions/{id}/attendance/"]) == {"get", "put"}
    assert set(paths["/api/v1/enrolments/{id}/task-completions/"]) == {"get", "post"}
    assert set(paths["/api/v1/enrolments/{id}/task-completions/{task_pk}/"]) == {"delete"}
    assert set(paths["/api/v1/enrolments/{id}/coaching-sessions/"]) == {"get", "post"}
    assert set(paths["/api/v1/coaching-sessions/{id}/"]) == {"delete"}
    assert set(paths["/api/v1/enrolments/{id}/feedback/"]) == {"post"}
    assert set(paths["/api/v1/sessions/{id}/feedback/"]) == {"get"}
    assert set(paths["/api/v1/enrolments/{id}/engagement/"]) == {"get"}
    schemas = schema["components"]["schemas"]
    assert schemas["AttendanceStatusEnum"]["enum"] == ["present", "late", "absent", "authorised_absence"]
    assert set(schemas["Engagement"]["required"]) >= {"percent", "eligible", "at_risk_reasons", "components"}
    assert schemas["Engagement"]["properties"]["comparison"]["allOf"][0]["$ref"].endswith(
        "EngagementComparisonEnum"
    )
    assert {"engagement_percent", "eligible", "at_risk"} <= set(schemas["Enrolment"]["properties"])
    assert Programme.Comparison.values == schemas["EngagementComparisonEnum"]["enum"]
