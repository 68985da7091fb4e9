"""DfE declarations (issue 8): the milestones of each place that DfE's Lead Provider API expects to be told about
for a leadership NPQ, recorded as facts here, and exported (JSON in the API's payload shape, and CSV) once each.

The rules (docs/adr/0007-metrics.md, "DfE declarations", has the reasons):
- started: a place that began (metrics/compute.py's definition of started: active, deferred, completed or failed
  now, or a change to active in its history), dated by its first change to active, else its start date;
- retained-1, retained-2: a place not withdrawn whose engagement (credited ÷ planned hours of the counted
  components, as last recomputed) is at least the programme's retained_1_percent / retained_2_percent; dated when
  the platform first sees it, but never after the place finished nor before it started. A withdrawn place is not
  newly declared retained (nobody can tell when it got there); what was declared stays;
- completed: a place completed (has_passed true) or failed (false), dated by its latest change to that status.
  When a review changes the outcome, the declaration is voided (with the reason) and, if the place is finished
  again, a new one recorded.
A date is stored as midnight, UK time (settings.TIME_ZONE), of that day. Recording is idempotent and takes a fixed
number of queries however many places the provider has.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from metrics.compute import BEGUN_STATUSES, ever_was
from metrics.models import Declaration, DeclarationExport
from npqel.access import Action, access_for, provider_q
from npqel.errors import DomainError
from npqel.locks import lock_names
from npqel.queries import count_of
from npqel.words import plural
from participants.models import Enrolment, EnrolmentChange
from programmes.models import Provider
from programmes.timetable import local_datetime

COURSE_IDENTIFIER = "npq-executive-leadership"
Type = Declaration.Type
Status = Enrolment.Status
FINISHED = (Status.COMPLETED, Status.FAILED)
# How many rows of a list the page shows (a provider may have thousands of places).
PAGE_ROWS = 100
EXPORTS_SHOWN = 50


def midnight(day: datetime.date) -> datetime.datetime:
    """A declaration's date as DfE wants it (a moment): the start of that day, UK time."""
    return local_datetime(day, datetime.time.min)


def rfc3339(moment: datetime.datetime) -> str:
    """`2024-09-01T00:00:00+01:00`: UK time with its offset, to the second."""
    return moment.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def _lock(provider: Provider) -> None:
    """One recording or export of a provider's declarations at a time (each reads what is recorded, then
    writes)."""
    lock_names([f"declarations:{provider.pk}"])


# Recording ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A place that began, with what its declarations are made from."""

    pk: int
    status: str
    started_on: datetime.date  # its first change to active, else its start date
    finished_on: datetime.date | None  # completed or failed: its latest change to that status
    percent: Decimal | None  # its engagement, as last recomputed
    retained_1: Decimal
    retained_2: Decimal


def _places(provider: Provider) -> list[Place]:
    """Every place of the provider that began, in one query."""
    # Status changes only: a move to another cohort keeps the status (from == to) and is not a start.
    changes = EnrolmentChange.objects.filter(enrolment=OuterRef("pk")).exclude(from_status=F("to_status"))
    first_active = changes.filter(to_status=Status.ACTIVE).order_by("effective_on", "recorded_at", "pk")
    latest_to_now = changes.filter(to_status=OuterRef("status")).order_by(
        "-effective_on", "-recorded_at", "-pk"
    )
    rows = (
        Enrolment.objects.filter(provider=provider)
        # Started, exactly as the metrics count it (metrics/compute.py).
        .filter(Q(status__in=BEGUN_STATUSES) | ever_was(Status.ACTIVE))
        .annotate(
            first_active=Subquery(first_active.values("effective_on")[:1]),
            latest_to_now=Subquery(latest_to_now.values("effective_on")[:1]),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "status",
            "start_date",
            "cohort__start_date",
            "first_active",
            "latest_to_now",
            "engagement__percent",
            "cohort__programme__retained_1_percent",
            "cohort__programme__retained_2_percent",
        )
    )
    return [
        Place(
            pk=pk,
            status=status,
            started_on=first_active or start_date or cohort_start,
            finished_on=latest if status in FINISHED else None,
            percent=percent,
            retained_1=retained_1,
            retained_2=retained_2,
        )
        for pk, status, start_date, cohort_start, first_active, latest, percent, retained_1, retained_2 in rows
    ]


@dataclass(frozen=True)
class Recorded:
    recorded: int
    voided: int


def _void_reason(current: Declaration, place: Place, passed: bool | None) -> str:
    if passed is None:
        return f"The result was set aside on review: the place is now {Status(place.status).label.lower()}."
    if current.has_passed != passed:
        before, after = ("passed", "failed") if current.has_passed else ("failed", "passed")
        return f"The result changed on review from {before} to {after}."
    return f"The place was finished again on {place.finished_on:%-d %B %Y}, after a review."


@transaction.atomic
def declarations_record(*, provider: Provider, now: datetime.datetime | None = None) -> Recorded:
    """Record the declarations the provider's places have reached and not yet had, and void the completed
    declarations whose outcome changed on review. Safe to run twice, or in two workers at once (the provider's
    declarations are locked while they are compared and written)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _lock(provider)
    places = _places(provider)
    standing = {
        (d.enrolment_id, d.declaration_type): d
        for d in Declaration.objects.filter(provider=provider, voided_at__isnull=True).only(
            "pk", "enrolment_id", "declaration_type", "declaration_date", "has_passed"
        )
    }
    new: list[Declaration] = []
    voided: list[Declaration] = []

    def declare(place: Place, kind: str, day: datetime.date, has_passed: bool | None = None) -> None:
        if (place.pk, kind) not in standing:
            new.append(
                Declaration(
                    enrolment_id=place.pk,
                    provider=provider,
                    declaration_type=kind,
                    declaration_date=midnight(day),
                    has_passed=has_passed,
                    recorded_at=now,
                )
            )

    for place in places:
        declare(place, Type.STARTED, place.started_on)
        if place.status != Status.WITHDRAWN and place.percent is not None:
            # When we first see it: not before the start, and not after the place finished.
            seen = max(today, place.started_on)
            if place.finished_on is not None:
                seen = min(seen, place.finished_on)
            if place.percent >= place.retained_1:
                declare(place, Type.RETAINED_1, seen)
            if place.percent >= place.retained_2:
                declare(place, Type.RETAINED_2, seen)
        current = standing.get((place.pk, Type.COMPLETED))
        passed = place.status == Status.COMPLETED if place.status in FINISHED else None
        if current is not None and (
            passed is None
            or current.has_passed != passed
            or (place.finished_on is not None and current.declaration_date != midnight(place.finished_on))
        ):
            current.voided_at = now
            current.void_reason = _void_reason(current, place, passed)
            voided.append(current)
            del standing[(place.pk, Type.COMPLETED)]
        if passed is not None:
            declare(place, Type.COMPLETED, place.finished_on or today, has_passed=passed)
    if voided:  # first: a place's new completed declaration may replace one of these
        Declaration.objects.bulk_update(voided, ["voided_at", "void_reason"])
    if new:
        # In batches only so that a provider's very first run (tens of thousands) stays a modest statement.
        Declaration.objects.bulk_create(new, batch_size=5000)
    return Recorded(recorded=len(new), voided=len(voided))


# Exporting ------------------------------------------------------------------------------------------------

STANDING = Q(voided_at__isnull=True)
HAS_DFE_ID = Q(enrolment__participant__dfe_participant_id__isnull=False)
NO_DFE_ID = Q(enrolment__participant__dfe_participant_id__isnull=True)


def _waiting(provider: Provider) -> QuerySet[Declaration]:
    """Declarations the next export carries: standing, not exported, the participant's DfE ID known."""
    return Declaration.objects.filter(STANDING, HAS_DFE_ID, provider=provider, export__isnull=True)


def _held_back(provider: Provider) -> QuerySet[Declaration]:
    """Declarations that cannot be exported yet: the participant has no DfE participant ID."""
    return Declaration.objects.filter(STANDING, NO_DFE_ID, provider=provider, export__isnull=True)


def _voids_waiting(provider: Provider) -> QuerySet[Declaration]:
    """Declarations DfE was sent and that were voided since: the next export tells DfE to void them."""
    return Declaration.objects.filter(
        provider=provider, voided_at__isnull=False, export__isnull=False, void_export__isnull=True
    )


HOW_TO_ADD_IDS = (
    "Add their DfE participant IDs with the participants import: a column dfe_participant_id holding each "
    "person's ID from DfE's Lead Provider API (the participant_id of their application)."
)


def declarations_export(
    *, by: User, provider: Provider, now: datetime.datetime | None = None
) -> DeclarationExport:
    """Record the provider's declarations, then export every one not exported yet (whose participant has a DfE
    participant ID) and every exported one voided since. Refuses when there is nothing new. Two exports at once
    never carry the same declaration: the second waits, then finds nothing new."""
    if not access_for(by).may(Action.EXPORT_DECLARATIONS, provider.pk):
        raise PermissionDenied("Only the provider's admins export its DfE declarations.")
    now = now or timezone.now()
    # Its own transaction: the facts recorded stand even if there is nothing to export.
    declarations_record(provider=provider, now=now)
    with transaction.atomic():
        _lock(provider)
        declared = list(_waiting(provider).values_list("pk", flat=True))
        voids = list(_voids_waiting(provider).values_list("pk", flat=True))
        if not declared and not voids:
            held = _held_back(provider).count()
            message = (
                "There is nothing new to export: every declaration recorded so far is in an earlier export."
            )
            if held:
                message += (
                    f" {plural(held, 'declaration')} {'is' if held == 1 else 'are'} held back because the "
                    f"participant has no DfE participant ID. {HOW_TO_ADD_IDS}"
                )
            raise DomainError(message)
        export = DeclarationExport.objects.create(provider=provider, made_at=now, made_by=by)
        Declaration.objects.filter(pk__in=declared).update(export=export)
        Declaration.objects.filter(pk__in=voids).update(void_export=export)
    return export


# The file for DfE ------------------------------------------------------------------------------------------


def _with_people(declarations: QuerySet[Declaration], *, limit: int | None = None) -> list[Declaration]:
    """The declarations in date order, with the person and cohort each is for (the first `limit` of them)."""
    ordered = declarations.select_related("enrolment__participant__user", "enrolment__cohort").order_by(
        "declaration_date", "enrolment_id", "pk"
    )
    return list(ordered[:limit] if limit is not None else ordered)


def attributes(declaration: Declaration) -> dict[str, object]:
    """One declaration as DfE's Lead Provider API takes it: has_passed only on a completed declaration (DfE's
    schema allows no other property on started and retained ones)."""
    participant_id = declaration.enrolment.participant.dfe_participant_id
    shown: dict[str, object] = {
        "participant_id": str(participant_id) if participant_id else None,
        "declaration_type": declaration.declaration_type,
        "declaration_date": rfc3339(declaration.declaration_date),
        "course_identifier": COURSE_IDENTIFIER,
    }
    if declaration.declaration_type == Type.COMPLETED:
        shown["has_passed"] = declaration.has_passed
    return shown


@dataclass(frozen=True)
class Batch:
    """What one file carries: an export made, or (exported_at None) what the next export would carry."""

    provider: Provider
    exported_at: datetime.datetime | None
    declarations: list[Declaration]
    voids: list[Declaration]

    def payload(self) -> dict[str, object]:
        """The JSON: `data` in DfE's request shape, one item per declaration; `meta` says whose, when, and which
        declarations sent before DfE should void."""
        return {
            "data": [
                {"type": "participant-declaration", "attributes": attributes(d)} for d in self.declarations
            ],
            "meta": {
                "provider": self.provider.slug,
                "exported_at": rfc3339(self.exported_at) if self.exported_at else None,
                "to_void": [
                    {
                        **{k: v for k, v in attributes(d).items() if k != "course_identifier"},
                        "reason": d.void_reason,
                    }
                    for d in self.voids
                ],
            },
        }

    def csv_rows(self) -> list[list[object]]:
        """One row per declaration, voids first (DfE must void a completed declaration before taking its
        replacement)."""
        rows: list[list[object]] = []
        for declaration, action in [(d, f"Void: {d.void_reason}") for d in self.voids] + [
            (d, "Declare") for d in self.declarations
        ]:
            shown = attributes(declaration)
            passed = shown.get("has_passed")
            rows.append(
                [
                    shown["participant_id"],
                    shown["declaration_type"],
                    shown["declaration_date"],
                    shown["course_identifier"],
                    "" if passed is None else str(passed).lower(),
                    declaration.enrolment.participant.user.display_name,
                    declaration.enrolment.cohort.code,
                    action,
                ]
            )
        return rows


CSV_HEADER = [
    "participant_id",
    "declaration_type",
    "declaration_date",
    "course_identifier",
    "has_passed",
    "Participant",
    "Cohort",
    "Action",
]


def export_batch(export: DeclarationExport) -> Batch:
    """What an export carried, read again (the same file each time)."""
    return Batch(
        provider=export.provider,
        exported_at=export.made_at,
        declarations=_with_people(export.declarations.all()),
        voids=_with_people(export.voids.all()),
    )


def pending_batch(provider: Provider) -> Batch:
    """What an export made now would carry, without marking anything exported (manage.py declarations_export)."""
    return Batch(
        provider=provider,
        exported_at=None,
        declarations=_with_people(_waiting(provider)),
        voids=_with_people(_voids_waiting(provider)),
    )


def export_filename(export: DeclarationExport, extension: str) -> str:
    made = timezone.localtime(export.made_at)
    return f"{export.provider.slug}-dfe-declarations-{made:%Y-%m-%d-%H%M}-{export.pk}.{extension}"


# Reading, for the page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeCounts:
    label: str
    recorded: int  # standing (not voided)
    waiting: int  # standing, not exported, DfE ID known
    held_back: int  # standing, not exported, no DfE ID
    exported: int  # standing and exported


@dataclass(frozen=True)
class Overview:
    counts: list[TypeCounts]
    total: TypeCounts
    voids_waiting: int
    last_recorded_at: datetime.datetime | None
    waiting: list[Declaration]  # the first PAGE_ROWS, earliest first
    held_places: list[Enrolment]  # the first PAGE_ROWS
    held_places_total: int
    exports: list[DeclarationExport]  # the latest EXPORTS_SHOWN, with `declared` and `voided` counts
    exports_total: int

    @property
    def waiting_shown_all(self) -> bool:
        return len(self.waiting) >= self.total.waiting

    @property
    def held_shown_all(self) -> bool:
        return len(self.held_places) >= self.held_places_total


def declaration_overview(*, user: object, provider: Provider) -> Overview:
    """The provider's declarations for its page, in a fixed number of queries however many places: counts by
    type, the first declarations waiting to be exported, the places held back for want of a DfE participant
    ID, and the latest exports. The caller has checked the user may see the provider's metrics."""
    scoped = Declaration.objects.filter(provider_q(user, Action.VIEW_METRICS), provider=provider)
    by_type = {
        row["declaration_type"]: row
        for row in scoped.values("declaration_type")
        .order_by("declaration_type")
        .annotate(
            recorded=Count("pk", filter=STANDING),
            waiting=Count("pk", filter=STANDING & HAS_DFE_ID & Q(export__isnull=True)),
            held_back=Count("pk", filter=STANDING & NO_DFE_ID & Q(export__isnull=True)),
            exported=Count("pk", filter=STANDING & Q(export__isnull=False)),
            voids=Count(
                "pk", filter=Q(voided_at__isnull=False, export__isnull=False, void_export__isnull=True)
            ),
            last=Max("recorded_at"),
        )
    }
    fields = ("recorded", "waiting", "held_back", "exported")
    counts = [
        TypeCounts(label, *(by_type.get(value, {}).get(f, 0) for f in fields))
        for value, label in Type.choices
    ]
    total = TypeCounts("All", *(sum(getattr(c, f) for c in counts) for f in fields))
    held = (
        Enrolment.objects.filter(
            provider_q(user, Action.VIEW_METRICS),
            Exists(_held_back(provider).filter(enrolment=OuterRef("pk"))),
            provider=provider,
            participant__dfe_participant_id__isnull=True,
        )
        .select_related("participant__user", "cohort")
        .order_by("cohort__start_date", "cohort__code", "participant__user__full_name", "pk")
    )
    exports = DeclarationExport.objects.filter(provider_q(user, Action.VIEW_METRICS), provider=provider)
    return Overview(
        counts=counts,
        total=total,
        voids_waiting=sum(row["voids"] for row in by_type.values()),
        last_recorded_at=max((row["last"] for row in by_type.values() if row["last"]), default=None),
        waiting=_with_people(
            _waiting(provider).filter(provider_q(user, Action.VIEW_METRICS)), limit=PAGE_ROWS
        )
        if total.waiting
        else [],
        held_places=list(held[:PAGE_ROWS]) if total.held_back else [],
        held_places_total=held.count() if total.held_back else 0,
        exports=list(
            exports.select_related("made_by").annotate(
                declared=count_of(Declaration.objects.filter(export=OuterRef("pk")), group_by="export"),
                voided=count_of(
                    Declaration.objects.filter(void_export=OuterRef("pk")), group_by="void_export"
                ),
            )[:EXPORTS_SHOWN]
        ),
        exports_total=exports.count(),
    )


def declaration_export_get(*, user: object, provider: Provider, pk: int) -> DeclarationExport:
    """One export of the provider's declarations, for someone who may see its metrics; 404 otherwise."""
    export = (
        DeclarationExport.objects.filter(provider_q(user, Action.VIEW_METRICS), provider=provider, pk=pk)
        .select_related("provider")
        .first()
    )
    if export is None:
        raise Http404("There is no export with this number.")
    return export
