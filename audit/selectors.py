"""Reading the audit trail: one provider's history for its admins and platform staff, or every provider's for
platform staff, filtered by kind of change, who made it, UK dates and the object it was about; newest first, a
page at a time. Each page is one query however many events there are (no count: the next page is found by
reading one row more)."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from audit.models import AuditEvent
from npqel.access import Action, provider_q, require_page, require_platform_staff
from programmes.models import Provider
from programmes.selectors import provider_get
from programmes.timetable import local_datetime

PAGE_SIZE = 50
# The most rows a CSV download holds: past this, narrow the dates.
CSV_LIMIT = 50_000
# Who may read the trail: provider admins at their provider, platform staff everywhere.
READ_HISTORY = Action.VIEW_AUDIT_TRAIL


@dataclass(frozen=True)
class Kind:
    label: str
    q: Q


KINDS: dict[str, Kind] = {
    "enrolments": Kind("Enrolments", Q(object_type="enrolment")),
    "attendance": Kind("Attendance", Q(object_type="attendance")),
    "submissions": Kind(
        "Submissions, extensions and exceptions", Q(object_type__in=["submission", "extension", "override"])
    ),
    "marking": Kind(
        "Marking and allocation",
        Q(object_type__in=["allocation", "marking"]) | Q(action="result.lead_decided"),
    ),
    "moderation": Kind(
        "Moderation",
        Q(object_type__in=["moderation_sample", "moderation_item"])
        | Q(action="result.changed_by_moderation"),
    ),
    "results": Kind(
        "Results, reviews and certificates",
        Q(object_type__in=["result", "review", "certificate"])
        & ~Q(action__in=["result.lead_decided", "result.changed_by_moderation"]),
    ),
}


@dataclass(frozen=True)
class HistoryFilters:
    """What the history is narrowed to; every part optional."""

    kind: str = ""
    who: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None
    search: str = ""
    enrolment: int | None = None

    @property
    def any(self) -> bool:
        return bool(self.kind or self.who or self.since or self.until or self.search or self.enrolment)


@dataclass(frozen=True)
class HistoryPage:
    events: list[AuditEvent]
    number: int
    has_previous: bool
    has_next: bool


def history_provider(*, user: object, slug: str) -> Provider:
    """The provider whose history the user may read: 403 for a role that never may, 404 for another provider's."""
    return provider_get(user=user, slug=slug, action=READ_HISTORY)


def _filtered(events: QuerySet[AuditEvent], filters: HistoryFilters) -> QuerySet[AuditEvent]:
    if filters.kind in KINDS:
        events = events.filter(KINDS[filters.kind].q)
    if filters.who:
        events = events.filter(Q(actor_label__icontains=filters.who) | Q(actor__email__iexact=filters.who))
    if filters.since is not None:
        events = events.filter(at__gte=local_datetime(filters.since, datetime.time.min))
    if filters.until is not None:
        events = events.filter(
            at__lt=local_datetime(filters.until + datetime.timedelta(days=1), datetime.time.min)
        )
    if filters.search:
        events = events.filter(Q(object_label__icontains=filters.search) | Q(object_id=filters.search))
    if filters.enrolment is not None:
        events = events.filter(object_type="enrolment", object_id=str(filters.enrolment))
    return events


def audit_events(*, user: object, provider: Provider | None, filters: HistoryFilters) -> QuerySet[AuditEvent]:
    """The events the user may read, newest first: one provider's, or (provider None: platform staff only)
    every provider's, with the provider loaded."""
    if provider is None:
        require_platform_staff(user)
    else:
        require_page(user, READ_HISTORY)
    events = AuditEvent.objects.filter(provider_q(user, READ_HISTORY, via="provider"))
    if provider is not None:
        events = events.filter(provider=provider)
    else:
        events = events.select_related("provider")
    return _filtered(events, filters).order_by("-at", "-pk")


def history_page(
    *, user: object, provider: Provider | None, filters: HistoryFilters, page: int = 1
) -> HistoryPage:
    """One page of PAGE_SIZE events, newest first (one query)."""
    page = max(1, page)
    start = (page - 1) * PAGE_SIZE
    rows = list(audit_events(user=user, provider=provider, filters=filters)[start : start + PAGE_SIZE + 1])
    return HistoryPage(
        events=rows[:PAGE_SIZE], number=page, has_previous=page > 1, has_next=len(rows) > PAGE_SIZE
    )
