"""Places with the histories and engagement DfE declarations are made from, for the declarations tests."""

import datetime
import uuid
import zoneinfo
from decimal import Decimal

from django.utils import timezone

from metrics.models import Declaration
from participants.models import Engagement, Enrolment, EnrolmentChange
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory

UK = zoneinfo.ZoneInfo("Europe/London")
D = datetime.date
S = Enrolment.Status
T = Declaration.Type
START = D(2024, 9, 2)  # the cohort's start: a Monday, in British Summer Time
NOW = local_datetime(D(2025, 1, 15), datetime.time(12, 0))  # when the tests record, in GMT


def uk_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=UK)


def place(cohort, status=S.ACTIVE, *, history=(), start=START, percent=None, dfe_id=True, **participant):
    """A place with its status changes (from, to, effective on) and, if given, its stored engagement."""
    enrolment = EnrolmentFactory(
        cohort=cohort,
        status=status,
        start_date=start,
        participant__dfe_participant_id=uuid.uuid4() if dfe_id else None,
        **{f"participant__{k}": v for k, v in participant.items()},
    )
    for from_status, to_status, on in history:
        change(enrolment, from_status, to_status, on)
    if percent is not None:
        engagement(enrolment, percent)
    return enrolment


def change(enrolment, from_status, to_status, on, *, status=True):
    """A change in the place's history; the place's status follows unless `status` is False."""
    EnrolmentChange.objects.create(
        enrolment=enrolment, from_status=from_status, to_status=to_status, effective_on=on
    )
    if status and from_status != to_status:
        Enrolment.objects.filter(pk=enrolment.pk).update(status=to_status)
        enrolment.status = to_status


def engagement(enrolment, percent: str) -> None:
    """The place's engagement as the recompute would store it: `percent` of 100 planned hours credited."""
    value = Decimal(percent)
    Engagement.objects.update_or_create(
        enrolment=enrolment,
        defaults={
            "planned_hours": Decimal("100"),
            "credited_hours": value,
            "due_hours": Decimal("100"),
            "credited_due_hours": value,
            "possible_hours": Decimal("100"),
            "percent": value,
            "to_date_percent": value,
            "max_percent": Decimal("100"),
            "core_tasks_done": 0,
            "core_tasks_total": 0,
            "required_missing": 0,
            "meets_threshold": value >= 90,
            "eligible": value >= 90,
            "at_risk": False,
            "computed_at": timezone.now(),
        },
    )


def standing(enrolment) -> dict[str, Declaration]:
    """The place's declarations that stand (not voided), by type."""
    return {
        d.declaration_type: d for d in Declaration.objects.filter(enrolment=enrolment, voided_at__isnull=True)
    }
