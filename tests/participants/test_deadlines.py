"""The deadline to present for final assessment, from the programme's rules (DOMAIN.md §1 and §4)."""

import datetime

import pytest

from participants.models import EnrolmentChange
from participants.services import deadline_for
from programmes.models import DeadlineExtension
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def place(start: datetime.date, *, pauses: bool = False, extension: bool = True):
    programme = ProgrammeFactory(deadline_months=18, deferral_pauses_clock=pauses)
    if extension:
        DeadlineExtension.objects.create(programme=programme, applies_from=D(2018, 7, 1), months=24)
    cohort = CohortFactory(
        programme=programme, start_date=start, end_date=start + datetime.timedelta(days=600)
    )
    return EnrolmentFactory(cohort=cohort, start_date=start)


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (D(2017, 9, 14), 18, D(2019, 3, 14)),
        (D(2018, 6, 30), 18, D(2019, 12, 30)),  # the day before the extension: 18 months
        (D(2018, 7, 1), 24, D(2020, 7, 1)),  # from 1 July 2018: 24 months
        (D(2017, 8, 31), 18, D(2019, 2, 28)),  # month end clamps
        (D(2018, 8, 31), 24, D(2020, 8, 31)),
    ],
)
def test_the_deadline_follows_the_rule_for_the_start_date(start, months, due):
    deadline = deadline_for(place(start), today=D(2019, 1, 1))
    assert (deadline.months, deadline.date) == (months, due)


def test_month_end_clamps_to_a_leap_day():
    deadline = deadline_for(place(D(2022, 8, 31), extension=False), today=D(2023, 1, 1))
    assert deadline.date == D(2024, 2, 29)


def change(enrolment, to, on, frm):
    return EnrolmentChange(enrolment=enrolment, from_status=frm, to_status=to, effective_on=on)


def test_deferral_moves_the_deadline_only_where_the_programme_pauses_the_clock():
    for pauses, due in ((True, D(2021, 3, 1) + datetime.timedelta(days=90)), (False, D(2021, 3, 1))):
        enrolment = place(D(2019, 9, 1), pauses=pauses, extension=False)
        changes = [
            change(enrolment, "deferred", D(2020, 1, 10), "active"),
            change(enrolment, "active", D(2020, 4, 9), "deferred"),  # 90 days deferred
        ]
        deadline = deadline_for(enrolment, changes, today=D(2020, 6, 1))
        assert (deadline.date, deadline.paused_now) == (due, False)


def test_a_deadline_still_paused_grows_until_they_resume():
    enrolment = place(D(2019, 9, 1), pauses=True, extension=False)
    changes = [change(enrolment, "deferred", D(2020, 1, 10), "active")]
    deadline = deadline_for(enrolment, changes, today=D(2020, 1, 20))
    assert deadline.paused_now and deadline.paused_days == 10
    assert deadline.date == D(2021, 3, 11)
    assert deadline.days_left(D(2021, 3, 1)) == 10


def test_a_transfer_or_other_same_status_change_neither_starts_nor_ends_a_pause():
    enrolment = place(D(2019, 9, 1), pauses=True, extension=False)
    changes = [
        # A move to another cohort, backdated before the deferral: the clock is not paused from here.
        change(enrolment, "deferred", D(2020, 1, 10), "deferred"),
        change(enrolment, "deferred", D(2020, 3, 1), "active"),
        change(enrolment, "deferred", D(2020, 3, 15), "deferred"),  # a group change while deferred
        change(enrolment, "active", D(2020, 4, 1), "deferred"),  # 31 days deferred
        change(enrolment, "active", D(2020, 5, 1), "active"),
    ]
    deadline = deadline_for(enrolment, changes, today=D(2020, 6, 1))
    assert (deadline.paused_days, deadline.paused_now) == (31, False)
    assert deadline.date == D(2021, 3, 1) + datetime.timedelta(days=31)
