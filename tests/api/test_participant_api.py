"""The participants API: enrolments with their deadline and history, the lifecycle actions (defer, resume,
withdraw, transfer) through the same services as the pages, participants with equality data only for those
who may see it, schools, and `updated_since` on every list."""

import datetime

import pytest
import time_machine

from npqel.access import Role
from participants import services
from participants.api import NOT_A_SCHOOL_READER, NOT_AN_ENROLMENT_MANAGER, UPDATED_SINCE_FORMAT
from participants.models import Enrolment, EnrolmentChange, Participant
from tests.accounts.factories import UserFactory
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ProgrammeFactory,
    StaffMembershipFactory,
    timetable_for,
)

pytestmark = pytest.mark.django_db

S = Enrolment.Status
D = datetime.date
NOW = datetime.datetime(2023, 6, 1, 11, 0, tzinfo=datetime.UTC)  # 12:00 in London (BST)
NOT_FOUND = {
    "error": {
        "status": 404,
        "code": "not_found",
        "message": "Not found. It may not exist, or you may not have access to it.",
        "fields": {},
    }
}
MISSING = 987654321
EQUALITY = {"ethnicity_code", "sex", "disability", "age_band"}
ACTIONS = {
    "defer": {"reason": "parental-leave"},
    "resume": {},
    "withdraw": {"reason": "change-in-career"},
}


@pytest.fixture(autouse=True)
def clock():
    """Today is 1 June 2023 (the cohorts started in October 2022); tests move the clock to tell rows apart."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def world_at(provider, tag: str) -> dict:
    """A cohort with its timetable (24-month deadlines from 2018), its admin and one active place."""
    cohort = CohortFactory(programme=ProgrammeFactory(provider=provider), code=f"{tag}-cohort")
    enrolment = EnrolmentFactory(
        cohort=cohort,
        participant__user__email=f"leader@{tag}.example",
        participant__user__full_name=f"Leader {tag.title()}",
        participant__school=SchoolFactory(urn=f"{tag[:3]}123", name=f"School {tag}"),
        participant__ethnicity_code=Participant.Ethnicity.BAFR,
        participant__sex=Participant.Sex.FEMALE,
        participant__disability=Participant.Disability.NO,
        participant__age_band=Participant.AgeBand.FROM_45,
    )
    return {
        "cohort": cohort,
        "admin": person(Role.PROVIDER_ADMIN, provider),
        "enrolment": enrolment,
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


def place(world, status=S.ACTIVE, **extra) -> Enrolment:
    return EnrolmentFactory(cohort=world["cohort"], status=status, **extra)


def fields_of(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] == "Check the fields listed and try again."
    return error["fields"]


def message_of(response, status: int = 400) -> str:
    assert response.status_code == status, response.content
    return response.json()["error"]["message"]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def status_of(enrolment: Enrolment) -> str:
    return Enrolment.objects.get(pk=enrolment.pk).status


# --- Enrolments: what they show ----------------------------------------------------------------------------


def test_an_enrolment_shows_its_place_deadline_and_people(admin, own, provider):
    coach = UserFactory(email="coach@olp.example")
    enrolment = place(
        own,
        participant__user__email="ada@school.example",
        participant__user__full_name="Ada Lovelace",
        group=own["group"],
        coach=coach,
        funding_route=Enrolment.FundingRoute.SCHOLARSHIP,
        fee_option=own["fee_option"],
        placement_option=own["placement"],
        external_id="APP-0042",
        imported=True,
        start_date=None,
    )

    body = admin.get(f"/api/v1/enrolments/{enrolment.pk}/").json()

    assert body == {
        "id": enrolment.pk,
        "provider": "olp",
        "cohort": "own-cohort",
        "cohort_id": own["cohort"].pk,
        "participant": enrolment.participant_id,
        "participant_email": "ada@school.example",
        "participant_name": "Ada Lovelace",
        "status": "active",
        "start_date": None,
        # No start date of their own: the cohort's (3 October 2022); 24 months for starts since July 2018.
        "started_on": "2022-10-03",
        "group": own["group"].pk,
        "coach_email": "coach@olp.example",
        "funding_route": "scholarship",
        "fee_option": own["fee_option"].pk,
        "placement_option": own["placement"].pk,
        "external_id": "APP-0042",
        "imported": True,
        "deadline": "2024-10-03",
        # Not measured yet (the stored engagement is recomputed after each change); not at risk: the deadline
        # is over a year away and they have not been deferred.
        "engagement_percent": None,
        "eligible": None,
        "at_risk": False,
        "updated_at": "2023-06-01T12:00:00+01:00",
    }
    listed = admin.get("/api/v1/enrolments/", cohort=own["cohort"].pk).json()["results"]
    assert body in listed


def test_a_deferral_that_pauses_the_clock_moves_the_deadline(admin, own, clock):
    programme = own["programme"]
    programme.deferral_pauses_clock = True
    programme.save()
    enrolment = place(own)
    clock.move_to(datetime.datetime(2023, 3, 1, 9, tzinfo=datetime.UTC))

    deferred = admin.post(
        f"/api/v1/enrolments/{enrolment.pk}/defer/", {"reason": "long-term-sickness", "on": "2023-03-01"}
    ).json()
    clock.move_to(datetime.datetime(2023, 5, 1, 9, tzinfo=datetime.UTC))
    resumed = admin.post(f"/api/v1/enrolments/{enrolment.pk}/resume/", {"on": "2023-05-01"}).json()

    # Deferred on 1 March 2023 (the deadline moves on a day a day while they are away) …
    assert deferred["deadline"] == "2024-10-03"
    # … and resumed 61 days later: 3 October 2024 + 61 days.
    assert resumed["status"] == "active" and resumed["deadline"] == "2024-12-03"


def test_enrolments_filter_by_status_cohort_and_funding_route(admin, own):
    later = CohortFactory(programme=own["programme"], code="own-later")
    deferred = place(own, S.DEFERRED, funding_route=Enrolment.FundingRoute.SCHOOL)
    moved = EnrolmentFactory(cohort=later, funding_route=Enrolment.FundingRoute.SELF_FUNDED)

    assert ids(admin.get("/api/v1/enrolments/", status="deferred")) == [deferred.pk]
    assert ids(admin.get("/api/v1/enrolments/", cohort=later.pk)) == [moved.pk]
    assert ids(admin.get("/api/v1/enrolments/", funding_route="school")) == [deferred.pk]
    assert ids(admin.get("/api/v1/enrolments/", funding_route="self_funded", cohort=later.pk)) == [moved.pk]
    # Places whose route is not recorded yet: the world's (and the admin's view of nobody else's).
    assert ids(admin.get("/api/v1/enrolments/", funding_route="not_known")) == [own["enrolment"].pk]
    assert ids(admin.get("/api/v1/enrolments/", status="active", cohort=later.pk)) == [moved.pk]

    assert (
        "lottery" in fields_of(admin.get("/api/v1/enrolments/", funding_route="lottery"))["funding_route"][0]
    )
    assert fields_of(admin.get("/api/v1/enrolments/", cohort="spring")) == {
        "cohort": ["Enter a whole number."]
    }


def test_an_enrolments_history_lists_every_change_oldest_first(admin, api, own, clock):
    enrolment = place(own, S.APPLIED)
    services.enrolment_accept(by=own["admin"], enrolment=enrolment, on=D(2022, 9, 1))
    services.enrolment_start(by=own["admin"], enrolment=enrolment, on=D(2022, 10, 3))
    EnrolmentChange.objects.filter(enrolment=enrolment).update(imported=True)
    clock.move_to(datetime.datetime(2023, 6, 1, 12, 30, tzinfo=datetime.UTC))
    admin.post(
        f"/api/v1/enrolments/{enrolment.pk}/defer/",
        {"reason": "parental-leave", "on": "2023-05-15", "note": "Baby due in June"},
    )

    history = admin.get(f"/api/v1/enrolments/{enrolment.pk}/history/").json()

    by = own["admin"].email
    assert [{k: v for k, v in change.items() if k not in ("id", "recorded_at")} for change in history] == [
        {
            "from_status": "applied",
            "to_status": "accepted",
            "effective_on": "2022-09-01",
            "reason": "",
            "note": "",
            "changed_by": by,
            "imported": True,
        },
        {
            "from_status": "accepted",
            "to_status": "active",
            "effective_on": "2022-10-03",
            "reason": "",
            "note": "",
            "changed_by": by,
            "imported": True,
        },
        {
            "from_status": "active",
            "to_status": "deferred",
            "effective_on": "2023-05-15",
            "reason": "parental-leave",
            "note": "Baby due in June",
            "changed_by": by,
            "imported": False,
        },
    ]
    assert history[-1]["recorded_at"] == "2023-06-01T13:30:00+01:00"
    # A result released by the system has nobody's email on it.
    enrolment.refresh_from_db()
    services.enrolment_resume(by=own["admin"], enrolment=enrolment)
    services.enrolment_record_outcome(by=None, enrolment=enrolment, passed=True)
    assert admin.get(f"/api/v1/enrolments/{enrolment.pk}/history/").json()[-1]["changed_by"] is None


# --- Enrolments: the lifecycle actions ----------------------------------------------------------------------


def test_an_admin_defers_a_place_with_a_reason_and_note(admin, own):
    enrolment = place(own)

    response = admin.post(
        f"/api/v1/enrolments/{enrolment.pk}/defer/",
        {"reason": "career-break", "on": "2023-05-31", "note": "Secondment to the trust"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["id"] == enrolment.pk and response.json()["status"] == "deferred"
    change = EnrolmentChange.objects.get(enrolment=enrolment)
    assert (change.from_status, change.to_status, change.effective_on, change.reason, change.note) == (
        "active",
        "deferred",
        D(2023, 5, 31),
        "career-break",
        "Secondment to the trust",
    )
    assert change.changed_by == own["admin"]


def test_an_admin_resumes_a_deferred_place_today_by_default(admin, own):
    enrolment = place(own, S.DEFERRED)

    response = admin.post(f"/api/v1/enrolments/{enrolment.pk}/resume/")

    assert response.status_code == 200 and response.json()["status"] == "active"
    change = EnrolmentChange.objects.get(enrolment=enrolment)
    assert (change.from_status, change.to_status, change.effective_on) == (
        "deferred",
        "active",
        D(2023, 6, 1),
    )


def test_an_admin_withdraws_a_place_for_good(admin, own):
    enrolment = place(own)

    response = admin.post(
        f"/api/v1/enrolments/{enrolment.pk}/withdraw/",
        {"reason": "insufficient-capacity-to-undertake-programme", "on": "2023-04-30"},
    )

    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert EnrolmentChange.objects.get(enrolment=enrolment).reason == (
        "insufficient-capacity-to-undertake-programme"
    )
    again = admin.post(f"/api/v1/enrolments/{enrolment.pk}/defer/", {"reason": "other"})
    assert message_of(again) == (
        f"{enrolment.participant.user.full_name} is withdrawn, so their place cannot be deferred. "
        "A withdrawn place cannot change. Enrol them on a cohort again if they return."
    )
    assert again.json()["error"]["fields"] == {}


def test_an_admin_transfers_a_place_to_another_cohort_keeping_its_history(admin, own):
    enrolment = place(own, S.DEFERRED, group=own["group"], start_date=None)
    spring = CohortFactory(programme=own["programme"], code="own-spring", start_date=D(2023, 3, 6))

    response = admin.post(
        f"/api/v1/enrolments/{enrolment.pk}/transfer/", {"cohort": spring.pk, "note": "Back after leave"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["cohort"], body["cohort_id"], body["group"], body["status"]) == (
        "own-spring",
        spring.pk,
        None,
        "deferred",
    )
    assert body["started_on"] == "2023-03-06" and body["deadline"] == "2025-03-06"
    history = admin.get(f"/api/v1/enrolments/{enrolment.pk}/history/").json()
    assert history[-1]["note"] == "Moved from cohort own-cohort to own-spring. Back after leave"
    assert history[-1]["from_status"] == history[-1]["to_status"] == "deferred"


ILLEGAL = [
    (S.APPLIED, "defer", "is applied, so their place cannot be deferred. Accept their application first."),
    (S.DEFERRED, "defer", "is deferred, so their place cannot be deferred. Resume their place first."),
    (S.ACTIVE, "resume", "is not deferred, so there is nothing to resume."),
    (S.COMPLETED, "withdraw", "is completed (passed), so their place cannot be withdrawn. They have passed"),
    (S.FAILED, "resume", "is not deferred, so there is nothing to resume."),
]


@pytest.mark.parametrize(("status", "attempt", "message"), ILLEGAL, ids=[f"{s}-{a}" for s, a, _ in ILLEGAL])
def test_an_illegal_change_is_refused_with_the_services_reason(admin, own, status, attempt, message):
    enrolment = place(own, status)

    response = admin.post(f"/api/v1/enrolments/{enrolment.pk}/{attempt}/", ACTIONS[attempt])

    assert message in message_of(response)
    assert response.json()["error"]["code"] == "invalid"
    assert status_of(enrolment) == status and not EnrolmentChange.objects.filter(enrolment=enrolment).exists()


def test_a_place_that_has_ended_cannot_move_cohort(admin, own):
    enrolment = place(own, S.WITHDRAWN)
    spring = CohortFactory(programme=own["programme"])

    response = admin.post(f"/api/v1/enrolments/{enrolment.pk}/transfer/", {"cohort": spring.pk})

    assert message_of(response).endswith(
        "is withdrawn, so their place cannot move. A withdrawn place cannot change. Enrol them on a cohort "
        "again if they return."
    )
    assert Enrolment.objects.get(pk=enrolment.pk).cohort == own["cohort"]


def test_action_input_says_what_to_fix(admin, own):
    enrolment = place(own)
    url = f"/api/v1/enrolments/{enrolment.pk}"

    assert fields_of(admin.post(f"{url}/defer/", {})) == {"reason": ["This field is required."]}
    # A withdrawal reason is not a deferral reason, and the other way round.
    assert fields_of(admin.post(f"{url}/defer/", {"reason": "change-in-career"})) == {
        "reason": ['"change-in-career" is not a valid choice.']
    }
    assert fields_of(admin.post(f"{url}/withdraw/", {"reason": "parental-leave"})) == {
        "reason": ['"parental-leave" is not a valid choice.']
    }
    assert fields_of(admin.post(f"{url}/defer/", {"reason": "other", "on": "2023-06-02"})) == {
        "on": ["Enter today's date or an earlier one: a change is recorded once it has happened."]
    }
    assert (
        "Date has wrong format"
        in fields_of(admin.post(f"{url}/defer/", {"reason": "other", "on": "1/6"}))["on"][0]
    )
    assert fields_of(admin.post(f"{url}/withdraw/", {"reason": "other", "note": "x" * 2001})) == {
        "note": ["Ensure this field has no more than 2000 characters."]
    }
    services.enrolment_defer(by=own["admin"], enrolment=enrolment, reason="other", on=D(2023, 5, 1))
    assert fields_of(admin.post(f"{url}/resume/", {"on": "2023-04-30"})) == {
        "on": ["Enter a date on or after 1 May 2023, when their place last changed (deferred)."]
    }
    assert status_of(enrolment) == S.DEFERRED


def test_transfer_input_says_what_to_fix(admin, own, other):
    enrolment = place(own)
    url = f"/api/v1/enrolments/{enrolment.pk}/transfer/"

    assert fields_of(admin.post(url, {})) == {"cohort": ["This field is required."]}
    assert fields_of(admin.post(url, {"cohort": own["cohort"].pk})) == {
        "cohort": ["They are already on this cohort. Choose another one."]
    }
    # Another provider's cohort reads exactly like one that does not exist …
    for pk in (other["cohort"].pk, MISSING):
        assert fields_of(admin.post(url, {"cohort": pk})) == {
            "cohort": [f"There is no cohort with id {pk} that you can see. Check the id."]
        }
    # … unless the admin runs that provider too: then it is simply not this place's provider.
    StaffMembershipFactory(
        user=own["admin"], provider=other["cohort"].programme.provider, role="provider_admin"
    )
    assert fields_of(admin.post(url, {"cohort": other["cohort"].pk})) == {
        "cohort": ["Choose a cohort of this provider."]
    }
    assert Enrolment.objects.get(pk=enrolment.pk).cohort == own["cohort"]


# --- Enrolments: who may act ---------------------------------------------------------------------------------


def every_action(spring_pk: int) -> dict[str, dict]:
    """A valid body for each action, transferring to the cohort `spring_pk`."""
    return {**ACTIONS, "transfer": {"cohort": spring_pk}}


@pytest.mark.parametrize(
    "role", [Role.PLATFORM_STAFF, Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR]
)
def test_roles_other_than_provider_admin_may_not_act_on_enrolments(api, own, provider, role):
    enrolment = place(own)
    spring = CohortFactory(programme=own["programme"])
    caller = api(person(role, provider))

    for attempt, body in every_action(spring.pk).items():
        response = caller.post(f"/api/v1/enrolments/{enrolment.pk}/{attempt}/", body)
        assert message_of(response, 403) == NOT_AN_ENROLMENT_MANAGER, attempt
        assert response.json()["error"]["code"] == "forbidden"
    assert (
        status_of(enrolment) == S.ACTIVE and not EnrolmentChange.objects.filter(enrolment=enrolment).exists()
    )


def test_platform_staff_read_every_enrolment_and_its_history(api, own, other):
    staff = api(person(Role.PLATFORM_STAFF))

    listed = ids(staff.get("/api/v1/enrolments/", page_size=200))

    assert {own["enrolment"].pk, other["enrolment"].pk} <= set(listed)
    assert listed == sorted(listed)  # by id, so pages of a sync are stable
    assert staff.get(f"/api/v1/enrolments/{other['enrolment'].pk}/").status_code == 200
    assert staff.get(f"/api/v1/enrolments/{other['enrolment'].pk}/history/").json() == []


def test_a_participant_sees_their_own_place_and_history_but_may_not_change_it(api, own, provider):
    participant = person(Role.PARTICIPANT, provider)
    mine = participant.participant.enrolments.get()
    services.enrolment_defer(by=own["admin"], enrolment=mine, reason="bereavement")
    caller = api(participant)

    assert ids(caller.get("/api/v1/enrolments/")) == [mine.pk]
    assert caller.get(f"/api/v1/enrolments/{mine.pk}/").json()["status"] == "deferred"
    assert caller.get(f"/api/v1/enrolments/{mine.pk}/history/").json()[0]["reason"] == "bereavement"
    assert caller.get(f"/api/v1/enrolments/{own['enrolment'].pk}/").json() == NOT_FOUND
    assert caller.get(f"/api/v1/enrolments/{own['enrolment'].pk}/history/").json() == NOT_FOUND

    response = caller.post(f"/api/v1/enrolments/{mine.pk}/resume/")
    assert message_of(response, 403) == NOT_AN_ENROLMENT_MANAGER
    assert status_of(mine) == S.DEFERRED


STAFF_ONLY = {"note", "changed_by"}


def test_a_participant_reads_their_history_without_the_admins_notes_or_emails(
    admin, api, client, own, other, provider
):
    """Notes and who recorded a change are for those who see the provider's enrolments; a participant (even
    one who administers another provider) gets the rest of each row."""
    participant = person(Role.PARTICIPANT, provider)
    mine = participant.participant.enrolments.get()
    services.enrolment_defer(
        by=own["admin"], enrolment=mine, reason="long-term-sickness", note="Signed off: stress at home"
    )
    elsewhere = EnrolmentFactory(cohort=other["cohort"], participant__user=own["admin"])
    services.enrolment_withdraw(
        by=other["admin"], enrolment=elsewhere, reason="change-in-career", note="Left for a new post"
    )
    rest = {"id", "from_status", "to_status", "effective_on", "reason", "recorded_at", "imported"}

    (own_row,) = api(participant).get(f"/api/v1/enrolments/{mine.pk}/history/").json()
    (admins_own_row,) = admin.get(f"/api/v1/enrolments/{elsewhere.pk}/history/").json()

    assert set(own_row) == rest and own_row["reason"] == "long-term-sickness"
    assert set(admins_own_row) == rest and admins_own_row["reason"] == "change-in-career"
    for reader in (admin, api(person(Role.PLATFORM_STAFF))):
        (row,) = reader.get(f"/api/v1/enrolments/{mine.pk}/history/").json()
        assert (row["note"], row["changed_by"]) == ("Signed off: stress at home", own["admin"].email)
    # The schema does not promise what may be left out.
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert set(schema["components"]["schemas"]["EnrolmentChange"]["required"]) == rest


def test_an_admin_elsewhere_may_not_change_their_own_place(api, own, other):
    """A provider admin who is also a participant at another provider sees their place but cannot act on it:
    the service refuses, as only that provider's admins may change its enrolments."""
    mine = EnrolmentFactory(cohort=other["cohort"], participant__user=own["admin"])
    caller = api(own["admin"])

    assert caller.get(f"/api/v1/enrolments/{mine.pk}/").status_code == 200
    response = caller.post(f"/api/v1/enrolments/{mine.pk}/withdraw/", {"reason": "change-in-career"})

    assert message_of(response, 403) == "Only a provider admin of this provider can change its enrolments."
    assert status_of(mine) == S.ACTIVE


def test_another_providers_enrolment_is_404_exactly_like_a_missing_one_for_every_action(admin, own, other):
    theirs = other["enrolment"]
    spring = CohortFactory(programme=own["programme"])

    for path in (f"{theirs.pk}/", f"{theirs.pk}/history/", f"{MISSING}/", f"{MISSING}/history/"):
        assert admin.get(f"/api/v1/enrolments/{path}").json() == NOT_FOUND, path
    for attempt, body in every_action(spring.pk).items():
        for pk in (theirs.pk, MISSING):
            response = admin.post(f"/api/v1/enrolments/{pk}/{attempt}/", body)
            assert response.status_code == 404 and response.json() == NOT_FOUND, (attempt, pk)
    assert status_of(theirs) == S.ACTIVE and Enrolment.objects.get(pk=theirs.pk).cohort == other["cohort"]
    assert theirs.pk not in ids(admin.get("/api/v1/enrolments/", page_size=200))


# --- Participants ------------------------------------------------------------------------------------------


def test_an_admin_reads_their_participants_with_equality_data(admin, own, other):
    participant = own["enrolment"].participant

    body = admin.get(f"/api/v1/participants/{participant.pk}/").json()

    assert body == {
        "id": participant.pk,
        "email": "leader@own.example",
        "name": "Leader Own",
        "school_urn": "own123",
        "job_role": "Executive headteacher",
        "updated_at": "2023-06-01T12:00:00+01:00",
        "ethnicity_code": "BAFR",
        "sex": "female",
        "disability": "no",
        "age_band": "45_54",
    }
    listed = admin.get("/api/v1/participants/").json()["results"]
    assert listed == [body]
    assert admin.get(f"/api/v1/participants/{other['enrolment'].participant_id}/").json() == NOT_FOUND
    assert admin.get(f"/api/v1/participants/{MISSING}/").json() == NOT_FOUND


def test_a_participant_at_two_providers_is_listed_once_for_platform_staff(api, own, other):
    EnrolmentFactory(cohort=other["cohort"], participant=own["enrolment"].participant)
    staff = api(person(Role.PLATFORM_STAFF))

    listed = staff.get("/api/v1/participants/", page_size=200).json()["results"]

    assert [row["id"] for row in listed] == sorted(
        {own["enrolment"].participant_id, other["enrolment"].participant_id}
    )
    assert all(EQUALITY <= set(row) for row in listed)


def test_a_participant_reads_only_their_own_record_and_never_their_equality_data(api, own, provider):
    participant = person(Role.PARTICIPANT, provider)
    Participant.objects.filter(user=participant).update(ethnicity_code="WBRI", sex="male")
    caller = api(participant)

    listed = caller.get("/api/v1/participants/").json()["results"]
    mine = caller.get(f"/api/v1/participants/{participant.participant.pk}/").json()

    assert [row["id"] for row in listed] == [participant.participant.pk]
    assert listed[0] == mine and mine["email"] == participant.email
    assert not EQUALITY & set(mine)
    assert caller.get(f"/api/v1/participants/{own['enrolment'].participant_id}/").json() == NOT_FOUND


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR])
def test_other_roles_see_no_participants(api, own, provider, role):
    caller = api(person(role, provider))

    assert caller.get("/api/v1/participants/").json()["count"] == 0
    assert caller.get(f"/api/v1/participants/{own['enrolment'].participant_id}/").json() == NOT_FOUND


def test_equality_data_is_decided_per_participant(api, own, other):
    """An admin of one provider who is a participant at another sees their own record without equality data,
    and the participants of the provider they run with it, in the same list."""
    mine = EnrolmentFactory(cohort=other["cohort"], participant__user=own["admin"]).participant
    caller = api(own["admin"])

    listed = {row["id"]: row for row in caller.get("/api/v1/participants/").json()["results"]}

    theirs = own["enrolment"].participant_id
    assert set(listed) == {theirs, mine.pk}
    assert EQUALITY <= set(listed[theirs]) and not EQUALITY & set(listed[mine.pk])
    assert not EQUALITY & set(caller.get(f"/api/v1/participants/{mine.pk}/").json())
    assert EQUALITY <= set(caller.get(f"/api/v1/participants/{theirs}/").json())


def test_a_participant_without_a_school_has_a_null_urn(admin, own):
    participant = place(own, participant__school=None).participant

    assert admin.get(f"/api/v1/participants/{participant.pk}/").json()["school_urn"] is None


# --- Schools -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.PLATFORM_STAFF])
def test_admins_and_platform_staff_read_every_school_by_urn(api, own, other, provider, role):
    """Schools are public reference data: an admin reads the schools of another provider's participants too."""
    SchoolFactory(
        urn="137042",
        name="Kendal Primary",
        phase="primary",
        local_authority="Westmorland and Furness",
        region="North West",
        fsm_percent="31.20",
        pupil_premium_top_half=True,
        performance_band="low",
    )
    caller = api(person(role, provider))

    body = caller.get("/api/v1/schools/137042/").json()

    assert body == {
        "urn": "137042",
        "name": "Kendal Primary",
        "phase": "primary",
        "local_authority": "Westmorland and Furness",
        "region": "North West",
        "trust": "",
        "fsm_percent": "31.20",
        "pupil_premium_top_half": True,
        "performance_band": "low",
        "updated_at": "2023-06-01T12:00:00+01:00",
    }
    listed = caller.get("/api/v1/schools/").json()["results"]
    assert [row["urn"] for row in listed] == ["own123", "oth123", "137042"]  # in the order they were added
    assert listed[-1] == body
    assert caller.get("/api/v1/schools/999999/").json() == NOT_FOUND
    for not_a_urn in ("not-a-urn", "123456789", "12%00"):
        assert caller.get(f"/api/v1/schools/{not_a_urn}/").json() == NOT_FOUND, not_a_urn


def test_a_school_without_fsm_or_pupil_premium_data_says_null(admin):
    SchoolFactory(urn="100001", fsm_percent=None, pupil_premium_top_half=None)

    body = admin.get("/api/v1/schools/100001/").json()

    assert body["fsm_percent"] is None and body["pupil_premium_top_half"] is None


@pytest.mark.parametrize(
    "role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR, Role.PARTICIPANT]
)
def test_other_roles_may_not_read_schools(api, own, provider, role):
    caller = api(person(role, provider))

    for path in ("/api/v1/schools/", "/api/v1/schools/own123/", "/api/v1/schools/999999/"):
        response = caller.get(path)
        assert message_of(response, 403) == NOT_A_SCHOOL_READER, path


# --- updated_since ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["enrolments", "participants", "schools"])
def test_lists_filter_by_updated_since(admin, own, clock, kind):
    clock.move_to(datetime.datetime(2023, 6, 2, 9, tzinfo=datetime.UTC))
    later = place(own)
    row = {"enrolments": later, "participants": later.participant, "schools": later.participant.school}[kind]
    key = "urn" if kind == "schools" else "id"

    def since(moment: str) -> list:
        response = admin.get(f"/api/v1/{kind}/", updated_since=moment)
        assert response.status_code == 200, response.content
        return [r[key] for r in response.json()["results"]]

    expected = getattr(row, key)
    assert since("2023-06-02T09:00:00Z") == [expected]  # at the very moment: included
    assert since("2023-06-02T10:00:00+01:00") == [expected]  # the same moment in BST
    assert since("2023-06-03T03:00:00+18:00") == [expected]  # an offset wider than PostgreSQL takes
    assert since("2023-06-02T09:00:00.000001Z") == []
    assert len(since("2023-06-01T00:00:00Z")) == 2
    # Changing the first row brings it back into the window.
    enrolment = own["enrolment"]
    first = {
        "enrolments": enrolment,
        "participants": enrolment.participant,
        "schools": enrolment.participant.school,
    }[kind]
    first.save()
    assert sorted(since("2023-06-02T09:00:00Z")) == sorted([getattr(first, key), expected])


@pytest.mark.parametrize("kind", ["enrolments", "participants", "schools"])
@pytest.mark.parametrize(
    "bad",
    ["yesterday", "2023-06-02", "2023-06-02T09:00:00", "2023-13-45T09:00:00Z", "0001-01-01T00:00:00+14:00"],
)
def test_a_bad_updated_since_says_the_format(admin, own, kind, bad):
    assert fields_of(admin.get(f"/api/v1/{kind}/", updated_since=bad)) == {
        "updated_since": [UPDATED_SINCE_FORMAT]
    }


def test_the_format_message_gives_an_example():
    assert "2026-11-23T09:00:00Z" in UPDATED_SINCE_FORMAT


# --- Query counts ------------------------------------------------------------------------------------------


def grow(world, n: int) -> None:
    """n more places (each with a school and two status changes) at the world's provider."""
    for _ in range(n):
        enrolment = place(world, S.ACCEPTED, group=world["group"], coach=world["admin"])
        services.enrolment_start(by=world["admin"], enrolment=enrolment, on=D(2022, 10, 3))
        services.enrolment_defer(by=world["admin"], enrolment=enrolment, reason="other", on=D(2023, 1, 9))


# With a key: the key and its user (1), the user's roles (1), the list's count (1) and its page (1); for
# enrolments also their status changes (1) and the programmes' deadline policies (1), for the deadline.
LIST_QUERIES = [
    # The count, the page's ids, its rows, and per page: the stored engagement, whether each has presented,
    # status changes, programmes and their deadline policies.
    (Role.PROVIDER_ADMIN, "enrolments", 10),
    (Role.PLATFORM_STAFF, "enrolments", 10),
    (Role.PROVIDER_ADMIN, "participants", 4),
    (Role.PLATFORM_STAFF, "participants", 4),
    (Role.PROVIDER_ADMIN, "schools", 4),
    (Role.PLATFORM_STAFF, "schools", 4),
]


@pytest.mark.parametrize(
    ("role", "kind", "queries"), LIST_QUERIES, ids=[f"{r}-{k}" for r, k, _ in LIST_QUERIES]
)
def test_list_query_count_is_pinned_and_does_not_grow_with_rows(
    api, django_assert_num_queries, own, provider, role, kind, queries
):
    caller = api(own["admin"] if role == Role.PROVIDER_ADMIN else person(role, provider))
    caller.get("/api/v1/me/")  # records the key's first use, a write made at most once a minute

    grow(own, 2)
    with django_assert_num_queries(queries):
        few = caller.get(f"/api/v1/{kind}/", page_size=100)
    grow(own, 27)
    with django_assert_num_queries(queries):
        many = caller.get(f"/api/v1/{kind}/", page_size=100)

    assert few.status_code == many.status_code == 200
    assert few.json()["count"] >= 3
    assert many.json()["count"] - few.json()["count"] == 27
    assert len(many.json()["results"]) == many.json()["count"] >= 30
    if kind == "enrolments":
        assert {row["deadline"] for row in many.json()["results"]} == {"2024-10-03"}


def test_a_participants_own_lists_are_pinned_too(api, django_assert_num_queries, own, provider):
    participant = person(Role.PARTICIPANT, provider)
    caller = api(participant)
    caller.get("/api/v1/me/")

    with django_assert_num_queries(10):
        few = caller.get("/api/v1/enrolments/")
    for _ in range(5):
        EnrolmentFactory(
            participant=participant.participant, cohort=CohortFactory(programme=own["programme"])
        )
    with django_assert_num_queries(10):
        many = caller.get("/api/v1/enrolments/")
    with django_assert_num_queries(4):
        mine = caller.get("/api/v1/participants/")

    assert many.json()["count"] == few.json()["count"] + 5 == 6
    assert mine.json()["count"] == 1


def test_a_mangled_id_answers_the_apis_404_not_a_page(admin, own):
    for path in ("enrolments/1.5/defer/", "enrolments/%0A.x/history/", "participants/1.5/", "schools/%0A./"):
        response = admin.post(f"/api/v1/{path}") if path.endswith("defer/") else admin.get(f"/api/v1/{path}")
        assert response.status_code == 404 and response.json() == NOT_FOUND, path
