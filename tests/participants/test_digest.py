"""The weekly at-risk digest: provider admins hear about their provider's places at risk, coaches about the
places they coach; nobody else, nothing when nothing is at risk, and once a week however often it runs."""

import datetime
import smtplib
from decimal import Decimal

import pytest

from npqel.access import Role
from participants.models import AtRiskDigest, Attendance
from participants.services import digest as service
from participants.services.engagement import engagement_recompute
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ComponentFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2023, 6, 5)  # a Monday, about halfway through the cohort
NOW = local_datetime(TODAY, datetime.time(7))


@pytest.fixture
def world(provider, other_provider):
    programme = ProgrammeFactory(provider=provider, name="NPQEL")
    cohort = CohortFactory(
        programme=programme, code="oct22", start_date=D(2022, 10, 3), end_date=D(2024, 3, 29)
    )
    component = ComponentFactory(programme=programme, guided_learning_hours=Decimal("10"))
    sessions = []
    for n in range(10):
        day = D(2022, 10, 10) + datetime.timedelta(weeks=n)
        sessions.append(
            SessionFactory(
                cohort=cohort,
                component=component,
                starts_at=local_datetime(day, datetime.time(10)),
                ends_at=local_datetime(day, datetime.time(11)),
            )
        )
    coach = person(Role.COACH, provider)
    missing = EnrolmentFactory(cohort=cohort, coach=coach, participant__user__full_name="Ada Absent")
    attending = EnrolmentFactory(cohort=cohort, coach=coach, participant__user__full_name="Ben Present")
    for session in sessions:
        Attendance.objects.create(enrolment=attending, session=session, status="present", marked_at=NOW)
    engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    return {
        "admin": person(Role.PROVIDER_ADMIN, provider),
        "other_admin": person(Role.PROVIDER_ADMIN, other_provider),
        "coach": coach,
        "missing": missing,
        "attending": attending,
    }


def test_admins_and_coaches_hear_about_the_places_at_risk(world, mailoutbox):
    assert service.digest_send_weekly(today=TODAY) == 2
    by_recipient = {mail.to[0]: mail for mail in mailoutbox}
    assert set(by_recipient) == {world["admin"].email, world["coach"].email}
    admin_mail = by_recipient[world["admin"].email]
    assert admin_mail.subject == "NPQEL: 1 participant at risk this week"
    assert "Ada Absent (oct22)" in admin_mail.body
    assert (
        "Can reach only 0% engagement even taking part in everything left (at least 90% needed)"
        in admin_mail.body
    )
    assert f"/enrolments/{world['missing'].pk}/" in admin_mail.body
    assert "Ben Present" not in admin_mail.body
    coach_mail = by_recipient[world["coach"].email]
    assert "People you coach: 1 at risk" in coach_mail.body
    assert f"/enrolments/{world['missing'].pk}/coaching/" in coach_mail.body


def test_it_is_sent_once_a_week_however_often_it_runs(world, mailoutbox):
    service.digest_send_weekly(today=TODAY)
    assert service.digest_send_weekly(today=TODAY + datetime.timedelta(days=2)) == 0
    assert len(mailoutbox) == 2
    assert AtRiskDigest.objects.filter(week_of=TODAY).count() == 2
    # Next week, again.
    assert service.digest_send_weekly(today=TODAY + datetime.timedelta(days=7)) == 2


def test_nobody_is_emailed_when_nothing_is_at_risk(world, mailoutbox):
    world["missing"].delete()
    assert service.digest_send_weekly(today=TODAY) == 0
    assert mailoutbox == []


def test_a_failed_send_is_left_for_the_next_run_and_the_others_still_go(world, mailoutbox, monkeypatch):
    real = service.send_mail

    def refuse_the_admin(**kwargs):
        if kwargs["recipient_list"] == [world["admin"].email]:
            raise smtplib.SMTPRecipientsRefused({world["admin"].email: (550, b"No such user")})
        return real(**kwargs)

    monkeypatch.setattr(service, "send_mail", refuse_the_admin)
    assert service.digest_send_weekly(today=TODAY) == 1
    assert [mail.to for mail in mailoutbox] == [[world["coach"].email]]
    assert list(AtRiskDigest.objects.values_list("recipient", flat=True)) == [world["coach"].pk]
    monkeypatch.undo()
    # The next day's run sends the admin's, and only theirs.
    assert service.digest_send_weekly(today=TODAY + datetime.timedelta(days=1)) == 1
    assert mailoutbox[-1].to == [world["admin"].email]


def test_someone_who_no_longer_coaches_there_is_not_told(world, mailoutbox, provider):
    from programmes.models import StaffMembership

    StaffMembership.objects.filter(user=world["coach"], provider=provider).delete()
    assert service.digest_send_weekly(today=TODAY) == 1
    assert [mail.to for mail in mailoutbox] == [[world["admin"].email]]
