"""The audit trail of registers: each first mark and each changed mark leaves one event (who, when, the
status before and after); a mark saved again unchanged leaves none; a whole register is one INSERT of events
however many people are on it; a participant checking themself in is the one who marked it."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.wording import describe
from npqel.access import Role
from participants import services
from participants.models import Attendance, Enrolment
from participants.services import checkin
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db
A = Attendance.Status
D = datetime.date
DAY = D(2023, 6, 6)


def at(hour: int, minute: int = 0):
    return time_machine.travel(local_datetime(DAY, datetime.time(hour, minute)), tick=False)


@pytest.fixture
def session(provider):
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider),
        code="2023-spring",
        start_date=D(2023, 1, 9),
        end_date=D(2024, 7, 31),
    )
    starts = local_datetime(DAY, datetime.time(16, 0))
    return SessionFactory(
        cohort=cohort, title="Day 2", starts_at=starts, ends_at=starts + datetime.timedelta(hours=2)
    )


@pytest.fixture
def facilitator(provider):
    user = person(Role.FACILITATOR, provider)
    user.full_name = "Femi Adebayo"
    user.save(update_fields=["full_name"])
    return user


def places(session, *names: str) -> list[Enrolment]:
    return [
        EnrolmentFactory(
            cohort=session.cohort, status=Enrolment.Status.ACTIVE, participant__user__full_name=name
        )
        for name in names
    ]


def test_first_marks_and_changed_marks_are_each_recorded_with_before_and_after(
    session, facilitator, provider
):
    ada, bea, cy = places(session, "Ada Lovelace", "Bea Brown", "Cy Young")
    with at(16, 5):
        services.register_save(by=facilitator, session=session, marks={ada.pk: A.ABSENT, bea.pk: A.PRESENT})
    first = list(AuditEvent.objects.order_by("object_label"))
    assert [(e.action, e.object_label, e.before, e.after) for e in first] == [
        ("attendance.marked", "Ada Lovelace at Day 2, 6 June 2023", None, {"status": "absent"}),
        ("attendance.marked", "Bea Brown at Day 2, 6 June 2023", None, {"status": "present"}),
    ]
    assert {(e.actor, e.actor_label, e.provider) for e in first} == {(facilitator, "Femi Adebayo", provider)}
    assert {e.at for e in first} == {local_datetime(DAY, datetime.time(16, 5))}
    # Ada arrives late; Bea's mark is saved again unchanged; Cy is marked for the first time.
    with at(16, 40):
        services.register_save(
            by=facilitator, session=session, marks={ada.pk: A.LATE, bea.pk: A.PRESENT, cy.pk: A.PRESENT}
        )
    later = list(AuditEvent.objects.exclude(pk__in=[e.pk for e in first]).order_by("object_label"))
    assert [(e.action, e.object_label, e.before, e.after) for e in later] == [
        (
            "attendance.changed",
            "Ada Lovelace at Day 2, 6 June 2023",
            {"status": "absent"},
            {"status": "late"},
        ),
        ("attendance.marked", "Cy Young at Day 2, 6 June 2023", None, {"status": "present"}),
    ]
    attendance = Attendance.objects.get(enrolment=ada)
    assert later[0].object_id == str(attendance.pk)
    assert describe(later[0]).text == (
        "Changed the register mark of Ada Lovelace at Day 2, 6 June 2023: Status: Absent → Late"
    )


def test_a_whole_register_writes_its_events_in_one_insert(session, facilitator):
    everyone = places(session, *(f"Person {n}" for n in range(30)))
    with at(16, 5), CaptureQueriesContext(connection) as queries:
        marked = services.register_mark_all_present(by=facilitator, session=session)
    assert marked == 30
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')]
    assert len(inserts) == 1
    assert AuditEvent.objects.filter(action="attendance.marked", after={"status": "present"}).count() == len(
        everyone
    )


def test_a_participant_who_checks_in_is_recorded_as_marking_themself_present(session, facilitator):
    (ada,) = places(session, "Ada Lovelace")
    with at(15, 55):
        opened = checkin.check_in_open(by=facilitator, session=session)
    with at(16, 2):
        checkin.check_in(by=ada.participant.user, code=opened.code)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_label) == (
        "attendance.marked",
        ada.participant.user,
        "Ada Lovelace",
    )
    assert event.after == {"status": "present"}
