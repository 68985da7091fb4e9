"""Whether a place is at risk, and the words that say why: the deadline within the programme's number of days
(90 by default) or passed, with nothing submitted, for an active or deferred place; a deferral of more than
12 months; and engagement that cannot reach the threshold or lags it by more than the programme's margin."""

import datetime
from decimal import Decimal

import pytest

from participants.models import EarlierRecord, Engagement, Enrolment, EnrolmentChange
from participants.services import Deadline
from participants.standing import (
    LONG_DEFERRAL_MONTHS,
    at_risk_reasons,
    countdown,
    deferred_since,
    whole_months,
)
from programmes.models import Cohort, Programme

S = Enrolment.Status
D = datetime.date
TODAY = D(2024, 3, 1)


def due_in(days: int) -> Deadline:
    return Deadline(date=TODAY + datetime.timedelta(days=days), months=18, paused_days=0, paused_now=False)


def deferral(on: datetime.date, *, back: datetime.date | None = None) -> list[EnrolmentChange]:
    changes = [
        EnrolmentChange(from_status=S.ACCEPTED, to_status=S.ACTIVE, effective_on=D(2022, 10, 3)),
        EnrolmentChange(from_status=S.ACTIVE, to_status=S.DEFERRED, effective_on=on),
    ]
    if back:
        changes.append(EnrolmentChange(from_status=S.DEFERRED, to_status=S.ACTIVE, effective_on=back))
    return changes


def place(status: str, **programme_rules) -> Enrolment:
    return Enrolment(status=status, cohort=Cohort(programme=Programme(**programme_rules)))


def reasons(status: str, deadline: Deadline, changes=(), **programme_rules) -> list[str]:
    return at_risk_reasons(place(status, **programme_rules), deadline=deadline, changes=changes, today=TODAY)


def test_the_thresholds_are_the_ones_decided():
    assert (Programme().at_risk_deadline_days, Programme().at_risk_margin, LONG_DEFERRAL_MONTHS) == (
        90,
        10,
        12,
    )


def test_the_programme_sets_how_close_a_deadline_puts_a_place_at_risk():
    assert reasons(S.ACTIVE, due_in(100), at_risk_deadline_days=120) == [
        "Deadline in 100 days with nothing submitted"
    ]
    assert reasons(S.ACTIVE, due_in(30), at_risk_deadline_days=20) == []


def test_a_place_that_presented_is_not_at_risk_over_its_deadline():
    enrolment = place(S.ACTIVE)
    enrolment.earlier_record = EarlierRecord(presented_on=D(2024, 2, 1))
    assert at_risk_reasons(enrolment, deadline=due_in(10), changes=(), today=TODAY) == []


def test_engagement_reasons_come_first_in_words():
    enrolment = place(S.ACTIVE)
    enrolment.engagement = Engagement(
        at_risk=True, to_date_percent=Decimal("61.2"), max_percent=Decimal("72.50"), percent=Decimal("40")
    )
    assert at_risk_reasons(enrolment, deadline=due_in(200), changes=(), today=TODAY) == [
        "Can reach only 72.5% engagement even taking part in everything left (at least 90% needed)",
        "Engagement so far is 61.2%, more than 10 percentage points below the 90% needed",
    ]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (91, []),
        (90, ["Deadline in 90 days with nothing submitted"]),
        (41, ["Deadline in 41 days with nothing submitted"]),
        (1, ["Deadline in 1 day with nothing submitted"]),
        (0, ["Deadline is today and nothing is submitted"]),
        (-1, ["Deadline passed 1 day ago with nothing submitted"]),
        (-30, ["Deadline passed 30 days ago with nothing submitted"]),
    ],
)
def test_an_active_place_is_at_risk_from_90_days_before_its_deadline(days, expected):
    assert reasons(S.ACTIVE, due_in(days)) == expected


@pytest.mark.parametrize("status", [S.APPLIED, S.ACCEPTED, S.WITHDRAWN, S.COMPLETED, S.FAILED])
def test_places_not_started_or_ended_are_never_at_risk(status):
    assert reasons(status, due_in(-10), deferral(D(2020, 1, 1))) == []


def test_a_deferral_of_more_than_12_months_is_a_risk_of_its_own():
    assert reasons(S.DEFERRED, due_in(400), deferral(D(2023, 1, 20))) == ["Deferred for 13 months"]
    # Exactly 12 months is not "more than 12 months"; a day more is.
    assert reasons(S.DEFERRED, due_in(400), deferral(D(2023, 3, 1))) == []
    assert reasons(S.DEFERRED, due_in(400), deferral(D(2023, 2, 28))) == ["Deferred for over 12 months"]


def test_a_long_deferral_and_a_near_deadline_give_both_reasons():
    assert reasons(S.DEFERRED, due_in(41), deferral(D(2022, 12, 1))) == [
        "Deadline in 41 days with nothing submitted",
        "Deferred for 15 months",
    ]


def test_only_the_current_deferral_counts():
    # Deferred in 2021, back in 2021, deferred again last month.
    changes = [
        *deferral(D(2021, 1, 4), back=D(2021, 5, 4)),
        EnrolmentChange(from_status=S.ACTIVE, to_status=S.DEFERRED, effective_on=D(2024, 2, 1)),
    ]
    assert deferred_since(Enrolment(status=S.DEFERRED), changes) == D(2024, 2, 1)
    assert reasons(S.DEFERRED, due_in(400), changes) == []
    # An active place that was once deferred for long is not deferred now.
    assert reasons(S.ACTIVE, due_in(400), deferral(D(2021, 1, 4), back=D(2022, 5, 4))) == []


def test_a_group_change_while_deferred_does_not_restart_the_deferral():
    changes = [
        *deferral(D(2022, 11, 1)),
        EnrolmentChange(from_status=S.DEFERRED, to_status=S.DEFERRED, effective_on=D(2024, 2, 1)),
    ]
    assert deferred_since(Enrolment(status=S.DEFERRED), changes) == D(2022, 11, 1)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2023, 1, 31), D(2023, 2, 28), 1),  # month ends clamp
        (D(2023, 1, 31), D(2023, 2, 27), 0),
        (D(2023, 1, 20), D(2024, 3, 1), 13),
        (D(2023, 3, 1), D(2024, 3, 1), 12),
        (D(2024, 3, 2), D(2024, 3, 1), 0),
    ],
)
def test_whole_months(start, end, months):
    assert whole_months(start, end) == months


@pytest.mark.parametrize(
    ("days", "text"), [(41, "41 days left"), (1, "1 day left"), (0, "Due today"), (-3, "Passed 3 days ago")]
)
def test_countdown_reads_as_a_sentence(days, text):
    assert countdown(days) == text
