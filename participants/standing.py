"""Where a participant stands: how long is left before their deadline, and whether their place is at risk,
with the reasons in words an admin or coach can act on.

A place that has started and not ended (active or deferred) is at risk when (each margin is the
programme's own setting):
- engagement cannot reach the threshold any more, even taking part in everything left, or engagement so
  far lags the threshold by more than `Programme.at_risk_margin` points (participants/services/engagement.py
  works these out; the stored Engagement row says so);
- its deadline to present for final assessment has passed, or falls within `Programme.at_risk_deadline_days`,
  with nothing submitted (a submission made here, or a presentation an earlier system recorded);
- it has been deferred for more than LONG_DEFERRAL_MONTHS (DfE has a withdrawal reason for exactly this:
  `deferred-for-over-12-months`).
Applied and accepted places have not started, and withdrawn, passed or failed ones have ended: none is at risk.
"""

import datetime
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from assessment.models import Submission
from npqel.words import plural
from participants.eligibility import Figures, engagement_risks
from participants.models import EarlierRecord, Engagement, Enrolment, EnrolmentChange
from participants.services import Deadline
from programmes.models import Programme
from programmes.timetable import add_months

LONG_DEFERRAL_MONTHS = 12
SUBMITTED_STATUSES = (Submission.Status.SUBMITTED, Submission.Status.LATE_WITH_EXTENSION)

Status = Enrolment.Status
# Places that have not ended: their deadline still matters.
LIVE_STATUSES = frozenset({Status.APPLIED, Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED})
# Places that have started and not ended: only these can be at risk.
AT_RISK_STATUSES = frozenset({Status.ACTIVE, Status.DEFERRED})


def countdown(days_left: int) -> str:
    """ "41 days left", "Due today", "Passed 3 days ago"."""
    if days_left > 0:
        return f"{plural(days_left, 'day')} left"
    if days_left == 0:
        return "Due today"
    return f"Passed {plural(-days_left, 'day')} ago"


def deferred_since(enrolment: Enrolment, changes: Iterable[EnrolmentChange]) -> datetime.date | None:
    """The day the current deferral began (None unless the place is deferred and its history says when)."""
    return _deferred_since(enrolment.status, changes)


def _deferred_since(status: str, changes: Iterable[EnrolmentChange]) -> datetime.date | None:
    if status != Status.DEFERRED:
        return None
    starts = [
        c.effective_on for c in changes if c.to_status == Status.DEFERRED and c.from_status != Status.DEFERRED
    ]
    return max(starts, default=None)


def whole_months(start: datetime.date, end: datetime.date) -> int:
    """Whole calendar months from `start` to `end` (31 January to 28 February is one month)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def engagement_of(enrolment: Enrolment) -> Engagement | None:
    """The place's stored engagement (select_related("engagement")), or None before its first recompute."""
    try:
        return enrolment.engagement
    except Engagement.DoesNotExist:
        return None


def at_risk_reasons(
    enrolment: Enrolment,
    *,
    deadline: Deadline,
    changes: Iterable[EnrolmentChange],
    today: datetime.date,
    figures: Figures | None = None,
) -> list[str]:
    """Why this place is at risk, in plain English ("Deadline in 41 days with nothing submitted", "Deferred
    for 13 months", "Can reach only 72.5% engagement…"); an empty list when it is not. `deadline` is
    participants.services.deadline_for(enrolment, changes); reads `cohort.programme`, `engagement` (unless
    fresher `figures` are given, e.g. a Measure taken now) and `earlier_record` (select them with the
    enrolment)."""
    if enrolment.status not in AT_RISK_STATUSES:
        return []
    return risk_reasons(
        status=enrolment.status,
        programme=enrolment.cohort.programme,
        engagement=figures if figures is not None else engagement_of(enrolment),
        presented=_presented(enrolment),
        deadline=deadline,
        changes=changes,
        today=today,
    )


def risk_reasons(
    *,
    status: str,
    programme: Programme,
    engagement: Figures | None,
    presented: bool,
    deadline: Deadline,
    changes: Iterable[EnrolmentChange],
    today: datetime.date,
) -> list[str]:
    """at_risk_reasons from the parts of a place rather than its Enrolment object, for a list read as plain
    rows (the API's list of enrolments): its status, programme, stored engagement, whether it has presented
    for final assessment, its deadline and its status changes."""
    if status not in AT_RISK_STATUSES:
        return []
    reasons = engagement_risks(engagement, programme) if engagement is not None and engagement.at_risk else []
    days_left = deadline.days_left(today)
    if not presented:
        if days_left < 0:
            reasons.append(f"Deadline passed {plural(-days_left, 'day')} ago with nothing submitted")
        elif days_left == 0:
            reasons.append("Deadline is today and nothing is submitted")
        elif days_left <= programme.at_risk_deadline_days:
            reasons.append(f"Deadline in {plural(days_left, 'day')} with nothing submitted")
    since = _deferred_since(status, changes)
    if since is not None and add_months(since, LONG_DEFERRAL_MONTHS) < today:
        months = whole_months(since, today)
        if months > LONG_DEFERRAL_MONTHS:
            reasons.append(f"Deferred for {months} months")
        else:
            reasons.append(f"Deferred for over {LONG_DEFERRAL_MONTHS} months")
    return reasons


def with_submitted(places: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """Annotate each place with `submitted_here`: whether it has submitted a task here (one join-free
    subquery, so a list costs no query per row)."""
    return places.annotate(
        submitted_here=Exists(
            Submission.objects.filter(enrolment=OuterRef("pk"), status__in=SUBMITTED_STATUSES)
        )
    )


def presented_ids(enrolment_ids: Iterable[int]) -> set[int]:
    """Of these places, those that have presented for final assessment (as `_presented` says for one), in one
    query: a task submitted here, or a presentation recorded by an earlier system."""
    ids = list(enrolment_ids)
    submitted = (
        Submission.objects.filter(enrolment_id__in=ids, status__in=SUBMITTED_STATUSES)
        .order_by()  # a submission's own order joins its task
        .values_list("enrolment_id", flat=True)
    )
    earlier = EarlierRecord.objects.filter(enrolment_id__in=ids, presented_on__isnull=False)
    return set(submitted.union(earlier.values_list("enrolment_id", flat=True)))


def _presented(enrolment: Enrolment) -> bool:
    """Presented for final assessment: a task submitted here (annotate lists with `with_submitted`), or a
    presentation recorded by an earlier system."""
    submitted = getattr(enrolment, "submitted_here", None)
    if submitted is None:
        submitted = (
            enrolment.pk is not None and enrolment.submissions.filter(status__in=SUBMITTED_STATUSES).exists()
        )
    if submitted:
        return True
    try:
        return enrolment.earlier_record.presented_on is not None
    except Enrolment.earlier_record.RelatedObjectDoesNotExist:
        return False
