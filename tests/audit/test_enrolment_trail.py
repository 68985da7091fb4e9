"""The audit trail of enrolments: each change to a place (status, cohort, group, coach, funding, an import's
creation and updates) leaves one event naming who made it, when, and the values before and after; a refused
change leaves none; an import that changes a person's equality data leaves no trace of it."""

import datetime
import json

import pytest
import time_machine

from audit.models import AuditEvent
from audit.wording import describe
from npqel.access import Role
from npqel.errors import DomainError
from participants import imports, services
from participants.models import Enrolment, Participant
from programmes import services as programme_services
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.django_db
S = Enrolment.Status
D = datetime.date
NOW = datetime.datetime(2025, 2, 3, 10, 15, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(provider):
    user = person(Role.PROVIDER_ADMIN, provider)
    user.full_name = "Dana Whitfield"
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def cohort(provider):
    programme = ProgrammeFactory(provider=provider, name="NPQEL")
    return CohortFactory(
        programme=programme, code="2024-aut", start_date=D(2024, 9, 1), end_date=D(2026, 3, 31)
    )


@pytest.fixture
def place(cohort):
    return EnrolmentFactory(cohort=cohort, status=S.ACTIVE, participant__user__full_name="Priya Shah")


def test_a_withdrawal_records_who_when_before_and_after_in_plain_english(admin, place, provider):
    services.enrolment_withdraw(
        by=admin,
        enrolment=place,
        reason="change-in-school-circumstances",
        on=D(2025, 1, 31),
        note="New headship",
    )
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_label, event.at, event.provider) == (
        admin,
        "Dana Whitfield",
        NOW,
        provider,
    )
    assert (event.action, event.object_type, event.object_id) == (
        "enrolment.withdrawn",
        "enrolment",
        str(place.pk),
    )
    assert event.object_label == "Priya Shah (NPQEL, cohort 2024-aut)"
    assert event.before == {"status": "active"}
    assert event.after == {
        "status": "withdrawn",
        "effective_on": "2025-01-31",
        "reason": "change-in-school-circumstances",
        "note": "New headship",
    }
    assert describe(event).text == (
        "Withdrew Priya Shah (NPQEL, cohort 2024-aut): Status: Active → Withdrawn; From: 31 January 2025; "
        "Reason: Change in school circumstances; Note: New headship"
    )


def test_each_status_change_has_its_own_words(admin, place):
    services.enrolment_defer(by=admin, enrolment=place, reason="parental-leave", on=D(2025, 1, 6))
    services.enrolment_resume(by=admin, enrolment=place, on=D(2025, 2, 3))
    events = list(AuditEvent.objects.order_by("pk").values_list("action", "before", "after"))
    assert events == [
        (
            "enrolment.deferred",
            {"status": "active"},
            {"status": "deferred", "effective_on": "2025-01-06", "reason": "parental-leave"},
        ),
        ("enrolment.resumed", {"status": "deferred"}, {"status": "active", "effective_on": "2025-02-03"}),
    ]


def test_a_refused_change_leaves_no_event(admin, place):
    services.enrolment_withdraw(by=admin, enrolment=place, reason="change-in-career")
    with pytest.raises(DomainError):
        services.enrolment_defer(by=admin, enrolment=place, reason="parental-leave")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["enrolment.withdrawn"]


def test_group_coach_funding_and_cohort_changes_are_recorded(admin, place, cohort, provider):
    north = DeliveryGroupFactory(cohort=cohort, name="North")
    coach = StaffMembershipFactory(provider=provider, role="coach", user__full_name="Sam Okafor").user
    services.enrolment_change_group(by=admin, enrolment=place, group=north)
    services.enrolment_change_coach(by=admin, enrolment=place, coach=coach)
    services.enrolment_change_funding(
        by=admin, enrolment=place, funding_route="school", fee_option=None, placement_option=None
    )
    spring = CohortFactory(
        programme=cohort.programme, code="2025-spr", start_date=D(2025, 1, 6), end_date=D(2026, 7, 31)
    )
    services.enrolment_transfer(by=admin, enrolment=place, to_cohort=spring, note="After the deferral")
    events = [(e.action, e.before, e.after) for e in AuditEvent.objects.order_by("pk")]
    assert events == [
        ("enrolment.group_changed", {"group": None}, {"group": "North"}),
        ("enrolment.coach_changed", {"coach": None}, {"coach": "Sam Okafor"}),
        ("enrolment.funding_changed", {"funding_route": ""}, {"funding_route": "school"}),
        (
            "enrolment.transferred",
            {"cohort": "2024-aut", "group": "North"},
            {"cohort": "2025-spr", "group": None, "effective_on": "2025-02-03", "note": "After the deferral"},
        ),
    ]
    assert all(e.actor == admin for e in AuditEvent.objects.all())


def test_removing_a_group_records_each_member_left_in_no_group(admin, cohort):
    north = DeliveryGroupFactory(cohort=cohort, name="North")
    members = [EnrolmentFactory(cohort=cohort, group=north) for _ in range(3)]
    programme_services.group_remove(by=admin, group=north)
    events = AuditEvent.objects.filter(action="enrolment.group_changed")
    assert sorted(int(e.object_id) for e in events) == sorted(m.pk for m in members)
    assert {(json.dumps(e.before), e.after["group"]) for e in events} == {('{"group": "North"}', None)}


HEADER = (
    "external_id,email,first_name,last_name,school_urn,school_name,cohort_code,funding_route,ethnicity_code,sex,"
    "disability"
)


def test_an_import_records_its_places_but_never_the_equality_data_it_changes(provider, cohort, admin):
    def run(row: str) -> None:
        batch = imports.import_check(
            by=admin, provider=provider, file_name="cohort.csv", content=f"{HEADER}\n{row}\n".encode()
        )
        assert batch.status == "ready", batch.report
        imports.import_confirm(by=admin, batch=batch)

    run(
        "A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,2024-aut,funded_place,WBRI,male,no"
    )
    created = AuditEvent.objects.get(action="enrolment.created")
    assert created.actor == admin and created.before is None
    assert created.after["imported"] is True and created.after["funding_route"] == "funded_place"
    # The file changes the person's equality data (an account only this provider uses) and their funding.
    run("A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,2024-aut,school,BCRB,female,yes")
    participant = Participant.objects.get(user__email="amira.khan@example.org")
    assert (participant.ethnicity_code, participant.sex, participant.disability) == ("BCRB", "female", "yes")
    updated = AuditEvent.objects.get(action="enrolment.updated")
    assert (updated.before, updated.after["funding_route"]) == ({"funding_route": "funded_place"}, "school")
    stored = json.dumps([[e.before, e.after, e.object_label] for e in AuditEvent.objects.all()])
    for kept_out in ("WBRI", "BCRB", "male", "ethnicity", "disability", '"sex"'):
        assert kept_out not in stored
