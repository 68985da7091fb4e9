"""Retention: a person is erased once every place they had has ended and the retention period of each place's
provider has run from the day it ended (the longest decides, with several providers); the nightly job erases
exactly those, once, and carries on past anyone it may not erase; a place under way keeps everyone."""

import datetime
import io
import logging

import pytest
import time_machine
from django.core.management import call_command

from audit.models import AuditEvent
from participants import privacy
from participants.models import Enrolment, EnrolmentChange, Participant
from participants.tasks import erase_expired_task
from programmes.models import Provider, StaffMembership
from tests.participants.factories import EnrolmentFactory, ParticipantFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status
D = datetime.date
COHORT_END = D(2019, 7, 31)


def place(
    provider: Provider,
    participant: Participant | None = None,
    *,
    status: str,
    on: D | None = None,
    cohort_end: D = COHORT_END,
) -> Enrolment:
    """A place with the provider that moved to `status` on `on` (no history at all when `on` is None)."""
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider, code=f"p{Enrolment.objects.count()}"),
        start_date=D(2017, 9, 1),
        end_date=cohort_end,
    )
    enrolment = EnrolmentFactory(
        cohort=cohort, status=status, **({"participant": participant} if participant else {})
    )
    if on is not None:
        EnrolmentChange.objects.create(
            enrolment=enrolment, from_status=S.ACTIVE, to_status=status, effective_on=on
        )
    return enrolment


def erased(participant: Participant) -> bool:
    participant.refresh_from_db()
    return participant.erased_at is not None


def test_the_longest_retention_of_their_providers_decides(provider, other_provider):
    provider.retention_years, other_provider.retention_years = 7, 5
    provider.save()
    other_provider.save()
    first = place(provider, status=S.WITHDRAWN, on=D(2018, 3, 1))  # 7 years: 1 March 2025
    place(other_provider, first.participant, status=S.COMPLETED, on=D(2020, 6, 30))  # 5 years: 30 June 2025
    assert privacy.erase_dates(Enrolment.objects.all()) == {first.participant_id: D(2025, 6, 30)}
    assert privacy.erase_expired(today=D(2025, 6, 29)) == 0
    assert not erased(first.participant)
    assert privacy.erase_expired(today=D(2025, 6, 30)) == 1
    assert erased(first.participant)
    event = AuditEvent.objects.get(action="participant.erased", provider=provider)
    assert event.actor is None and event.actor_label == "The platform"
    assert "retention period" in event.after["reason"]
    # Safe to run twice: nobody is erased again.
    assert privacy.erase_expired(today=D(2025, 7, 1)) == 0
    assert AuditEvent.objects.filter(action="participant.erased").count() == 2  # one per provider


def test_a_place_under_way_keeps_them_whatever_their_other_places(provider, other_provider):
    first = place(provider, status=S.WITHDRAWN, on=D(2010, 1, 1))
    place(other_provider, first.participant, status=S.DEFERRED, on=D(2011, 1, 1))
    for status in (S.APPLIED, S.ACCEPTED, S.ACTIVE):
        place(provider, status=status, on=D(2010, 1, 1))
    assert privacy.retention_due_ids(today=D(2040, 1, 1)) == []
    assert privacy.erase_expired(today=D(2040, 1, 1)) == 0


def test_the_day_a_place_ended_is_its_last_status_change_else_its_cohorts_end(provider):
    provider.retention_years = 1
    provider.save()
    leap = place(provider, status=S.FAILED, on=D(2020, 2, 29))
    # Resumed and withdrawn later: the withdrawal's day counts, not the earlier change.
    later = place(provider, status=S.WITHDRAWN, on=D(2019, 1, 10))
    EnrolmentChange.objects.create(
        enrolment=later, from_status=S.DEFERRED, to_status=S.ACTIVE, effective_on=D(2019, 5, 1)
    )
    EnrolmentChange.objects.create(
        enrolment=later, from_status=S.ACTIVE, to_status=S.WITHDRAWN, effective_on=D(2019, 9, 1)
    )
    no_history = place(provider, status=S.COMPLETED, on=None, cohort_end=D(2019, 7, 31))
    assert privacy.erase_dates(Enrolment.objects.all()) == {
        leap.participant_id: D(2021, 2, 28),  # 29 February + 1 year: the last day of February
        later.participant_id: D(2020, 9, 1),
        no_history.participant_id: D(2020, 7, 31),
    }


def test_someone_the_job_may_not_erase_is_logged_by_id_and_the_rest_are_erased(provider, caplog):
    staff_member = place(provider, status=S.WITHDRAWN, on=D(2010, 1, 1))
    StaffMembership.objects.create(user=staff_member.participant.user, provider=provider, role="coach")
    other = place(provider, status=S.WITHDRAWN, on=D(2010, 1, 1))
    with caplog.at_level(logging.WARNING, logger="participants.privacy"):
        assert privacy.erase_expired(today=D(2020, 1, 1)) == 1
    assert erased(other.participant) and not erased(staff_member.participant)
    [record] = caplog.records
    assert f"Participant {staff_member.participant_id} is due" in record.getMessage()
    assert staff_member.participant.user.full_name not in record.getMessage()


def test_the_nightly_task_and_the_command_erase_those_due(provider):
    due = place(provider, status=S.WITHDRAWN, on=D(2010, 1, 1))
    kept = place(provider, status=S.ACTIVE, on=D(2010, 1, 1))
    ParticipantFactory()  # someone with no place at all is nobody's to erase
    with time_machine.travel(datetime.datetime(2020, 1, 1, 4, tzinfo=datetime.UTC), tick=False):
        out = io.StringIO()
        call_command("erase_expired", "--dry-run", stdout=out)
        assert (
            out.getvalue()
            == f"1 person due to be erased. Nothing was erased.\nParticipant ids: {due.participant_id}\n"
        )
        assert not erased(due.participant)
        assert erase_expired_task.delay().get() == 1
    assert erased(due.participant) and not erased(kept.participant)
    out = io.StringIO()
    call_command("erase_expired", stdout=out)
    assert "Erased the personal data of 0 people." in out.getvalue()


def test_retention_due_lists_the_providers_people_soonest_first(provider, other_provider):
    provider.retention_years = 7
    provider.save()
    today = D(2026, 6, 1)
    soon = place(provider, status=S.WITHDRAWN, on=D(2019, 7, 1))  # 1 July 2026
    overdue = place(provider, status=S.COMPLETED, on=D(2019, 5, 1))  # 1 May 2026
    later = place(provider, status=S.WITHDRAWN, on=D(2019, 12, 1))  # December 2026: beyond 90 days
    elsewhere = place(provider, status=S.WITHDRAWN, on=D(2019, 6, 1))
    place(other_provider, elsewhere.participant, status=S.WITHDRAWN, on=D(2021, 6, 1))  # 7 years: 2028
    both = place(provider, status=S.WITHDRAWN, on=D(2019, 6, 1))
    place(
        other_provider, both.participant, status=S.WITHDRAWN, on=D(2020, 6, 15)
    )  # 7 years… but other has 7 too
    other_provider.retention_years = 6
    other_provider.save()  # 15 June 2026
    place(other_provider, status=S.WITHDRAWN, on=D(2019, 6, 1))  # not this provider's
    due = privacy.retention_due(provider=provider, today=today)
    assert [(d.participant, d.erase_on, d.elsewhere) for d in due] == [
        (overdue.participant, D(2026, 5, 1), False),
        (both.participant, D(2026, 6, 15), True),
        (soon.participant, D(2026, 7, 1), False),
    ]
    assert later.participant not in [d.participant for d in due]
