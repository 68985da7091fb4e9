"""Every write to enrolments: the lifecycle (accept, start, defer, resume, withdraw, transfer, outcome), each
change recorded with who, when, from, to and why; the deadline to present for final assessment; and session
registers, each mark and change recorded with who, when, before and after."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.services import audit_diff, audit_event, audit_record, audit_record_many
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.words import plural
from participants.models import Attendance, AttendanceChange, Enrolment, EnrolmentChange, Participant
from participants.services.engagement import engagement_changed
from programmes.models import (
    Cohort,
    DeliveryGroup,
    FeeOption,
    PlacementOption,
    Programme,
    Session,
    StaffMembership,
)
from programmes.timetable import add_months

Status = Enrolment.Status
Reason = EnrolmentChange.Reason

# Where each status may go next. Completed and failed are set by assessment (or a migration import).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.APPLIED: frozenset({Status.ACCEPTED, Status.WITHDRAWN}),
    Status.ACCEPTED: frozenset({Status.ACTIVE, Status.WITHDRAWN}),
    Status.ACTIVE: frozenset({Status.DEFERRED, Status.WITHDRAWN, Status.COMPLETED, Status.FAILED}),
    Status.DEFERRED: frozenset({Status.ACTIVE, Status.WITHDRAWN}),
    Status.WITHDRAWN: frozenset(),
    Status.COMPLETED: frozenset(),
    Status.FAILED: frozenset(),
}
# What a review of a released result may do to a finished place (assessment/results.py review_decide).
ON_REVIEW: dict[str, frozenset[str]] = {
    Status.FAILED: frozenset({Status.COMPLETED, Status.ACTIVE}),
    Status.COMPLETED: frozenset({Status.FAILED, Status.ACTIVE}),
}
DEFERRAL_REASONS = frozenset(
    {Reason.BEREAVEMENT, Reason.LONG_TERM_SICKNESS, Reason.PARENTAL_LEAVE, Reason.CAREER_BREAK, Reason.OTHER}
)
WITHDRAWAL_REASONS = frozenset(Reason.values) - DEFERRAL_REASONS - {Reason.NONE} | {Reason.OTHER}

# What a person is asked to do instead, when a change is refused from each status.
REFUSAL_HINTS = {
    Status.APPLIED: "Accept their application first.",
    Status.ACCEPTED: "Start their place first (they become active).",
    Status.ACTIVE: "",
    Status.DEFERRED: "Resume their place first.",
    Status.WITHDRAWN: "A withdrawn place cannot change. Enrol them on a cohort again if they return.",
    Status.COMPLETED: "They have passed: their result is final.",
    Status.FAILED: "They have failed the assessment: their result is final.",
}
VERBS = {
    Status.ACCEPTED: "accepted",
    Status.ACTIVE: "made active",
    Status.DEFERRED: "deferred",
    Status.WITHDRAWN: "withdrawn",
    Status.COMPLETED: "marked as passed",
    Status.FAILED: "marked as failed",
}


def place_label(enrolment: Enrolment) -> str:
    """How the audit trail names a place: "Priya Shah (NPQ in Executive Leadership, cohort 2024-aut)". Needs
    `participant__user` and `cohort__programme` loaded."""
    cohort = enrolment.cohort
    return f"{enrolment.participant.user.display_name} ({cohort.programme.name}, cohort {cohort.code})"


def _audit_place(
    *,
    by: User | None,
    enrolment: Enrolment,
    action: str,
    before: dict[str, object] | None,
    after: dict[str, object] | None,
) -> None:
    audit_record(
        actor=by,
        action=f"enrolment.{action}",
        obj_type="enrolment",
        obj_id=enrolment.pk,
        provider=enrolment.provider_id,
        label=place_label(enrolment),
        before=before,
        after=after,
    )


def _status_action(current: str, to: str) -> str:
    """The audit trail's word for a status change: "withdrawn", "resumed", "reopened" (after a review)..."""
    if to == Status.ACTIVE:
        if current == Status.DEFERRED:
            return "resumed"
        return "reopened" if current in (Status.COMPLETED, Status.FAILED) else "started"
    return {Status.ACCEPTED: "accepted", Status.COMPLETED: "completed", Status.FAILED: "failed"}.get(to, to)


def _authorise(by: User | None, provider_id: int) -> None:
    if by is not None and not access_for(by).may(Action.MANAGE_ENROLMENTS, provider_id):
        raise PermissionDenied("Only a provider admin of this provider can change its enrolments.")


def _change(
    *,
    by: User | None,
    enrolment: Enrolment,
    to: str,
    on: datetime.date | None,
    reason: str = "",
    note: str = "",
    imported: bool = False,
    only_from: str | None = None,
    allowed: frozenset[str] | None = None,
) -> EnrolmentChange:
    """Move an enrolment to `to` if the lifecycle allows it, recording the change. The caller's instance
    is updated too."""
    _authorise(by, enrolment.provider_id)
    given = enrolment
    # Lock the row: two admins (or an admin and an import) must not both move it from the same status. (The
    # cohort and programme are read for the audit trail's wording, not locked.)
    enrolment = (
        Enrolment.objects.select_for_update(of=("self", "participant", "participant__user"))
        .select_related("participant__user", "cohort__programme")
        .get(pk=enrolment.pk)
    )
    current = enrolment.status
    if only_from is not None and current != only_from:
        raise DomainError(
            f"{enrolment.participant.user.display_name} is not {Status(only_from).label.lower()}, so there is "
            "nothing to resume.",
            field="status",
        )
    if to not in (allowed if allowed is not None else TRANSITIONS[current]):
        who = enrolment.participant.user.display_name
        hint = REFUSAL_HINTS[current] or "An active place can be deferred, withdrawn or given its result."
        raise DomainError(
            f"{who} is {Status(current).label.lower()}, so their place cannot be {VERBS[to]}. {hint}".strip(),
            field="status",
        )
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise DomainError(
            "Enter today's date or an earlier one: a change is recorded once it has happened.", field="on"
        )
    # Only status changes: a group or coach changed today must not stop an earlier deferral being recorded.
    last = (
        enrolment.changes.exclude(from_status=F("to_status"))
        .order_by("-effective_on", "-recorded_at")
        .first()
    )
    if last is not None and on < last.effective_on:
        raise DomainError(
            f"Enter a date on or after {last.effective_on:%-d %B %Y}, when their place last changed "
            f"({Status(last.to_status).label.lower()}).",
            field="on",
        )
    change = EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status=current,
        to_status=to,
        effective_on=on,
        reason=reason,
        note=note,
        changed_by=by,
        imported=imported,
    )
    enrolment.status = to
    enrolment.save(update_fields=["status", "updated_at"])
    details = {"reason": reason, "note": note, "imported": imported or None}
    _audit_place(
        by=by,
        enrolment=enrolment,
        action=_status_action(current, to),
        before={"status": current},
        after={"status": to, "effective_on": on, **{k: v for k, v in details.items() if v}},
    )
    given.status = to
    engagement_changed(cohort_ids=[enrolment.cohort_id])
    return change


def _check_reason(reason: str, allowed: frozenset[str], what: str) -> None:
    if reason not in allowed:
        raise DomainError(f"Choose the reason for the {what} from the list.", field="reason")


@transaction.atomic
def enrolment_accept(*, by: User, enrolment: Enrolment, on: datetime.date | None = None) -> EnrolmentChange:
    """Accept an application: the participant has a place."""
    return _change(by=by, enrolment=enrolment, to=Status.ACCEPTED, on=on)


@transaction.atomic
def enrolment_start(*, by: User, enrolment: Enrolment, on: datetime.date | None = None) -> EnrolmentChange:
    """The participant has started the programme."""
    return _change(by=by, enrolment=enrolment, to=Status.ACTIVE, on=on)


@transaction.atomic
def enrolment_defer(
    *, by: User, enrolment: Enrolment, reason: str, on: datetime.date | None = None, note: str = ""
) -> EnrolmentChange:
    """Pause an active place, with one of DfE's deferral reasons. Where the programme says so, the
    deadline moves on by the time spent deferred."""
    _check_reason(reason, DEFERRAL_REASONS, "deferral")
    return _change(by=by, enrolment=enrolment, to=Status.DEFERRED, on=on, reason=reason, note=note)


@transaction.atomic
def enrolment_resume(
    *, by: User, enrolment: Enrolment, on: datetime.date | None = None, note: str = ""
) -> EnrolmentChange:
    """A deferred participant picks up their place again."""
    if enrolment.status != Status.DEFERRED:
        raise DomainError(
            f"{enrolment.participant.user.display_name} is not deferred, so there is nothing to resume.",
            field="status",
        )
    return _change(by=by, enrolment=enrolment, to=Status.ACTIVE, on=on, note=note)


@transaction.atomic
def enrolment_withdraw(
    *, by: User, enrolment: Enrolment, reason: str, on: datetime.date | None = None, note: str = ""
) -> EnrolmentChange:
    """End a place for good, with one of DfE's withdrawal reasons."""
    _check_reason(reason, WITHDRAWAL_REASONS, "withdrawal")
    return _change(by=by, enrolment=enrolment, to=Status.WITHDRAWN, on=on, reason=reason, note=note)


@transaction.atomic
def enrolment_record_outcome(
    *,
    by: User | None,
    enrolment: Enrolment,
    passed: bool,
    on: datetime.date | None = None,
    imported: bool = False,
) -> EnrolmentChange:
    """The final assessment's result: completed (passed) or failed. Called by assessment with `by=None`
    (the system, once results are released), or by an admin's migration import."""
    to = Status.COMPLETED if passed else Status.FAILED
    return _change(by=by, enrolment=enrolment, to=to, on=on, imported=imported)


@transaction.atomic
def enrolment_outcome_on_review(*, enrolment: Enrolment, to: str, note: str) -> EnrolmentChange:
    """A review of a released result changed it: a failed place becomes completed, or a completed one failed
    (or active again, when a fail leaves an attempt to resubmit). Called by assessment (the system) once the
    provider's admin has decided the review; no other change leaves completed or failed."""
    if to not in ON_REVIEW.get(enrolment.status, frozenset()):
        raise DomainError(
            f"A review cannot make a {Status(enrolment.status).label.lower()} place {Status(to).label.lower()}."
        )
    return _change(by=None, enrolment=enrolment, to=to, on=None, note=note, allowed=frozenset({to}))


@transaction.atomic
def enrolment_transfer(
    *,
    by: User | None,
    enrolment: Enrolment,
    to_cohort: Cohort,
    on: datetime.date | None = None,
    note: str = "",
    imported: bool = False,
) -> Enrolment:
    """Move a place to another cohort of the same provider (e.g. after a deferral), keeping its history.
    The start date moves to the new cohort's unless one was set for the person."""
    _authorise(by, enrolment.provider_id)
    enrolment = (
        Enrolment.objects.select_for_update(of=("self", "cohort", "participant", "participant__user"))
        .select_related("cohort__programme", "participant__user")
        .get(pk=enrolment.pk)
    )
    if to_cohort.programme.provider_id != enrolment.provider_id:
        raise DomainError("Choose a cohort of this provider.", field="to_cohort")
    if to_cohort.pk == enrolment.cohort_id:
        raise DomainError("They are already on this cohort. Choose another one.", field="to_cohort")
    if enrolment.status in (Status.WITHDRAWN, Status.COMPLETED, Status.FAILED):
        raise DomainError(
            f"{enrolment.participant.user.display_name} is {enrolment.get_status_display().lower()}, so their "
            "place cannot move. " + REFUSAL_HINTS[enrolment.status],
            field="status",
        )
    if Enrolment.objects.filter(participant_id=enrolment.participant_id, cohort=to_cohort).exists():
        raise DomainError("They already have a place on that cohort.", field="to_cohort")
    if on is not None and on > timezone.localdate():
        raise DomainError(
            "Enter today's date or an earlier one: a change is recorded once it has happened.", field="on"
        )
    # Not before the last status change: a move dated before a deferral would read as if it came first.
    last = (
        enrolment.changes.exclude(from_status=F("to_status"))
        .order_by("-effective_on", "-recorded_at")
        .first()
    )
    if on is not None and last is not None and on < last.effective_on:
        raise DomainError(
            f"Enter a date on or after {last.effective_on:%-d %B %Y}, when their place last changed "
            f"({Status(last.to_status).label.lower()}).",
            field="on",
        )
    old = enrolment.cohort
    label = place_label(enrolment)
    old_group = (
        DeliveryGroup.objects.filter(pk=enrolment.group_id).values_list("name", flat=True).first()
        if enrolment.group_id
        else None
    )
    EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status=enrolment.status,
        to_status=enrolment.status,
        effective_on=on or timezone.localdate(),
        note=f"Moved from cohort {old.code} to {to_cohort.code}. {note}".strip(),
        changed_by=by,
        imported=imported,
    )
    enrolment.cohort = to_cohort
    enrolment.group = None
    enrolment.save(update_fields=["cohort", "group", "updated_at"])
    extra = {
        "effective_on": on or timezone.localdate(),
        "note": note.strip() or None,
        "imported": imported or None,
    }
    audit_record(
        actor=by,
        action="enrolment.transferred",
        obj_type="enrolment",
        obj_id=enrolment.pk,
        provider=enrolment.provider_id,
        label=label,
        before={"cohort": old.code, **({"group": old_group} if old_group else {})},
        after={
            "cohort": to_cohort.code,
            **({"group": None} if old_group else {}),
            **{k: v for k, v in extra.items() if v},
        },
    )
    engagement_changed(cohort_ids=[old.pk, to_cohort.pk])
    return enrolment


def _locked_for_change(by: User, enrolment: Enrolment, what: str) -> Enrolment:
    """The enrolment, locked, if its place can still change (not withdrawn, passed or failed)."""
    _authorise(by, enrolment.provider_id)
    locked = (
        # Lock the enrolment row only: its group and coach are outer joins, which PostgreSQL cannot lock.
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("participant__user", "group", "coach", "cohort__programme")
        .get(pk=enrolment.pk)
    )
    if not TRANSITIONS[locked.status]:
        raise DomainError(
            f"{locked.participant.user.display_name} is {locked.get_status_display().lower()}, so their "
            f"{what} cannot change. " + REFUSAL_HINTS[locked.status],
            field="status",
        )
    return locked


def _record_same_status(*, by: User, enrolment: Enrolment, note: str) -> EnrolmentChange:
    # from == to: a change to the place, not its status, kept in the same history as the status changes.
    return EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status=enrolment.status,
        to_status=enrolment.status,
        effective_on=timezone.localdate(),
        note=note,
        changed_by=by,
    )


@transaction.atomic
def enrolment_change_group(*, by: User, enrolment: Enrolment, group: DeliveryGroup | None) -> EnrolmentChange:
    """Put a participant in one of their cohort's delivery groups, or in none. Recorded in their history."""
    given = enrolment
    enrolment = _locked_for_change(by, enrolment, "group")
    if group is not None and group.cohort_id != enrolment.cohort_id:
        raise DomainError("Choose one of this cohort's delivery groups.", field="group")
    if (group.pk if group else None) == enrolment.group_id:
        where = f"in group {group.name}" if group else "in no group"
        raise DomainError(f"They are already {where}. Choose another.", field="group")
    old_group = enrolment.group.name if enrolment.group else None
    old = old_group or "no group"
    change = _record_same_status(
        by=by, enrolment=enrolment, note=f"Group changed from {old} to {group.name if group else 'no group'}."
    )
    enrolment.group = group
    enrolment.save(update_fields=["group", "updated_at"])
    _audit_place(
        by=by,
        enrolment=enrolment,
        action="group_changed",
        before={"group": old_group},
        after={"group": group.name if group else None},
    )
    engagement_changed(cohort_ids=[enrolment.cohort_id])
    given.group = group
    return change


@transaction.atomic
def enrolment_change_coach(*, by: User, enrolment: Enrolment, coach: User | None) -> EnrolmentChange:
    """Give a participant a coach (someone holding the coach role at the provider), or none. Recorded in
    their history."""
    given = enrolment
    enrolment = _locked_for_change(by, enrolment, "coach")
    coaches_here = StaffMembership.objects.filter(
        provider_id=enrolment.provider_id, role=StaffMembership.Role.COACH
    )
    if coach is not None and not coaches_here.filter(user=coach).exists():
        raise DomainError(
            f"{coach.display_name} is not a coach at this provider. Choose a coach from the list.",
            field="coach",
        )
    if (coach.pk if coach else None) == enrolment.coach_id:
        who = f"{coach.display_name} as their coach" if coach else "no coach"
        raise DomainError(f"They already have {who}. Choose another.", field="coach")
    old = enrolment.coach.display_name if enrolment.coach else "no coach"
    change = _record_same_status(
        by=by,
        enrolment=enrolment,
        note=f"Coach changed from {old} to {coach.display_name if coach else 'no coach'}.",
    )
    _audit_place(
        by=by,
        enrolment=enrolment,
        action="coach_changed",
        before={"coach": enrolment.coach.display_name if enrolment.coach else None},
        after={"coach": coach.display_name if coach else None},
    )
    enrolment.coach = coach
    enrolment.save(update_fields=["coach", "updated_at"])
    given.coach = coach
    return change


@transaction.atomic
def enrolment_change_funding(
    *,
    by: User,
    enrolment: Enrolment,
    funding_route: str,
    fee_option: FeeOption | None,
    placement_option: PlacementOption | None,
) -> EnrolmentChange:
    """Record who pays and how: the funding route, the fee option (and so its instalments; e.g. with or
    without coaching) and the placement choice, each from the place's programme. Recorded in their history.
    Allowed whatever the status: an ended place's fees still need settling."""
    _authorise(by, enrolment.provider_id)
    given = enrolment
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("cohort__programme", "participant__user", "fee_option", "placement_option")
        .get(pk=enrolment.pk)
    )
    if funding_route not in Enrolment.FundingRoute.values:
        raise DomainError("Choose how the place is funded from the list.", field="funding_route")
    programme_id = enrolment.cohort.programme_id
    if fee_option is not None and fee_option.programme_id != programme_id:
        raise DomainError("Choose one of this programme's fee options.", field="fee_option")
    if placement_option is not None and placement_option.programme_id != programme_id:
        raise DomainError("Choose one of this programme's placement options.", field="placement_option")
    changes = []
    if funding_route != enrolment.funding_route:
        old = Enrolment.FundingRoute(enrolment.funding_route).label
        changes.append(f"funding {old} → {Enrolment.FundingRoute(funding_route).label}")
    if (fee_option.pk if fee_option else None) != enrolment.fee_option_id:
        old = enrolment.fee_option.name if enrolment.fee_option else "none"
        changes.append(f"fee option {old} → {fee_option.name if fee_option else 'none'}")
    if (placement_option.pk if placement_option else None) != enrolment.placement_option_id:
        old = enrolment.placement_option.name if enrolment.placement_option else "none"
        changes.append(f"placement {old} → {placement_option.name if placement_option else 'none'}")
    if not changes:
        raise DomainError("Nothing has changed. Choose a different funding route, fee option or placement.")
    change = _record_same_status(by=by, enrolment=enrolment, note="Changed " + "; ".join(changes) + ".")
    before, after = audit_diff(
        {
            "funding_route": enrolment.funding_route,
            "fee_option": enrolment.fee_option.name if enrolment.fee_option else None,
            "placement_option": enrolment.placement_option.name if enrolment.placement_option else None,
        },
        {
            "funding_route": funding_route,
            "fee_option": fee_option.name if fee_option else None,
            "placement_option": placement_option.name if placement_option else None,
        },
    )
    _audit_place(by=by, enrolment=enrolment, action="funding_changed", before=before, after=after)
    enrolment.funding_route = funding_route
    enrolment.fee_option = fee_option
    enrolment.placement_option = placement_option
    enrolment.save(update_fields=["funding_route", "fee_option", "placement_option", "updated_at"])
    given.funding_route, given.fee_option, given.placement_option = (
        funding_route,
        fee_option,
        placement_option,
    )
    return change


# Imports (participants/imports.py brings a spreadsheet in through these) --------------------------------


@transaction.atomic
def enrolment_import_create(
    *,
    by: User | None,
    participant: Participant,
    cohort: Cohort,
    external_id: str,
    start_date: datetime.date | None = None,
    funding_route: str = "",
) -> Enrolment:
    """A place brought in by an import: accepted (the provider has offered it), marked as imported, with
    its first history row. `by=None` is the command line."""
    provider_id = cohort.programme.provider_id
    _authorise(by, provider_id)
    enrolment = Enrolment.objects.create(
        participant=participant,
        cohort=cohort,
        provider_id=provider_id,
        status=Status.ACCEPTED,
        start_date=start_date,
        funding_route=funding_route,
        external_id=external_id,
        imported=True,
    )
    EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status="",
        to_status=Status.ACCEPTED,
        effective_on=min(enrolment.started_on, timezone.localdate()),
        changed_by=by,
        imported=True,
    )
    after = {
        "status": Status.ACCEPTED,
        "cohort": cohort.code,
        "start_date": start_date,
        "funding_route": funding_route or None,
        "external_id": external_id or None,
        "imported": True,
    }
    _audit_place(
        by=by,
        enrolment=enrolment,
        action="created",
        before=None,
        after={k: v for k, v in after.items() if v is not None},
    )
    engagement_changed(cohort_ids=[cohort.pk])
    return enrolment


@transaction.atomic
def enrolment_import_update(
    *, by: User | None, enrolment: Enrolment, changes: dict[str, object], notes: list[str]
) -> EnrolmentChange:
    """A re-import's changes to a place's funding route or start date (and to the person's name or address,
    made in participants.imports), written to the place and to its history, marked as imported."""
    _authorise(by, enrolment.provider_id)
    unknown = set(changes) - {"funding_route", "start_date"}
    if unknown:
        raise TypeError(f"An import does not change {unknown}")
    before, after = audit_diff({name: getattr(enrolment, name) for name in changes}, changes)
    for name, value in changes.items():
        setattr(enrolment, name, value)
    enrolment.save(update_fields=[*changes, "updated_at"])
    engagement_changed(cohort_ids=[enrolment.cohort_id])
    # The notes say what else the import changed (the person's name or email address, made in
    # participants.imports), so the trail holds it too.
    _audit_place(
        by=by,
        enrolment=enrolment,
        action="updated",
        before=before,
        after={**after, "note": "Changed by import: " + "; ".join(notes) + ".", "imported": True},
    )
    return EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status=enrolment.status,
        to_status=enrolment.status,
        effective_on=timezone.localdate(),
        note="Changed by import: " + "; ".join(notes) + ".",
        changed_by=by,
        imported=True,
    )


@transaction.atomic
def enrolment_import_change(
    *, by: User | None, enrolment: Enrolment, to: str, on: datetime.date, reason: str = "", note: str = ""
) -> EnrolmentChange:
    """A status change from an import's history columns: the same lifecycle rules as a live change, marked
    as imported."""
    return _change(by=by, enrolment=enrolment, to=to, on=on, reason=reason, note=note, imported=True)


# Deadlines ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """When a participant must present for final assessment by."""

    date: datetime.date
    months: int  # the rule that applied: e.g. 18, or 24 for starts on or after 1 July 2018
    paused_days: int  # days spent deferred, where the programme pauses the clock
    paused_now: bool  # deferred today, on a programme that pauses the clock: the date will move

    def days_left(self, today: datetime.date) -> int:
        return (self.date - today).days


def deadline_for(
    enrolment: Enrolment, changes: Iterable[EnrolmentChange] = (), *, today: datetime.date | None = None
) -> Deadline:
    """The deadline from the programme's rules: the start plus the months that apply to that start date
    (month ends clamp: 31 August + 18 months is 28 or 29 February), moved on by the days spent deferred
    where the programme's deferral pauses the clock. `changes` are the enrolment's status changes (prefetch
    them for lists); reads `cohort.programme.extensions` (prefetch it too)."""
    return programme_deadline(enrolment.cohort.programme, enrolment.started_on, changes, today=today)


def programme_deadline(
    programme: Programme,
    start: datetime.date,
    changes: Iterable[EnrolmentChange] = (),
    *,
    today: datetime.date | None = None,
) -> Deadline:
    """deadline_for, from the programme and the start date alone (for reads of many places that hold no
    Enrolment objects, e.g. the metrics)."""
    today = today or timezone.localdate()
    months = programme.deadline_months_for(start)
    due = add_months(start, months)
    paused = 0
    deferred_since: datetime.date | None = None
    if programme.deferral_pauses_clock:
        # Only status changes: a transfer, group, coach or funding change (from == to) neither starts
        # nor ends a pause, even when it is dated before the deferral.
        status_changes = [c for c in changes if c.from_status != c.to_status]
        for change in sorted(
            status_changes, key=lambda c: (c.effective_on, c.recorded_at or timezone.now(), c.pk or 0)
        ):
            if change.to_status == Status.DEFERRED and deferred_since is None:
                deferred_since = change.effective_on
            elif (
                change.from_status == Status.DEFERRED
                and change.to_status != Status.DEFERRED
                and deferred_since
            ):
                paused += (change.effective_on - deferred_since).days
                deferred_since = None
        if deferred_since is not None:
            paused += max(0, (today - deferred_since).days)
    return Deadline(
        date=due + datetime.timedelta(days=paused),
        months=months,
        paused_days=paused,
        paused_now=deferred_since is not None,
    )


# Registers ------------------------------------------------------------------------------------------

# Places expected at a session: accepted or active (deferred, withdrawn and ended places are not).
EXPECTED_STATUSES = frozenset({Status.ACCEPTED, Status.ACTIVE})
# A register may be taken from this long before the session starts (people arrive early).
REGISTER_OPENS_BEFORE = datetime.timedelta(hours=1)


def expected_places(session: Session) -> QuerySet[Enrolment]:
    """The places expected at a session: on its cohort (only its group's members when it is for one
    group), accepted or active."""
    # Unordered: Enrolment's default order joins the cohort, and callers sort (by name) themselves.
    places = Enrolment.objects.filter(cohort_id=session.cohort_id, status__in=EXPECTED_STATUSES).order_by()
    if session.group_id is not None:
        places = places.filter(group_id=session.group_id)
    return places


def register_is_open(session: Session, *, now: datetime.datetime | None = None) -> bool:
    return session.starts_at - REGISTER_OPENS_BEFORE <= (now or timezone.now())


def _register_session(by: User, session: Session) -> Session:
    """The session, locked so that two people saving its register at once are taken one after the other,
    once `by` may take its register and it has started (or starts within the hour)."""
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("cohort__programme", "component")
        .get(pk=session.pk)
    )
    if not access_for(by).may(Action.TAKE_REGISTER, session.cohort.programme.provider_id):
        raise PermissionDenied("Only a facilitator or admin of this provider can take this register.")
    if not register_is_open(session):
        raise DomainError("The session has not happened yet: take the register once it starts.")
    return session


def _not_expected(session: Session, enrolment_ids: set[int]) -> DomainError:
    """The refusal naming who is not expected. Only places on the session's cohort are named: an id from
    anywhere else is counted, never looked up."""
    named = sorted(
        place.participant.user.display_name
        for place in Enrolment.objects.filter(
            pk__in=enrolment_ids, cohort_id=session.cohort_id
        ).select_related("participant__user")
    )
    others = len(enrolment_ids) - len(named)
    parts = named + ([plural(others, "other place")] if others else [])
    return DomainError(
        f"Not expected at this session, so not marked: {', '.join(parts)}. Only places on "
        f"{'its group' if session.group_id else 'its cohort'} that are accepted or active are on the register.",
        field="marks",
    )


def _names_of(enrolment_rows: Iterable[tuple[int, str, str]]) -> dict[int, str]:
    """Place id → the person's name as the trail shows it, from (id, full name, email) rows."""
    return {pk: full_name or email for pk, full_name, email in enrolment_rows}


NAME_COLUMNS = ("pk", "participant__user__full_name", "participant__user__email")


def _audit_marks(
    *,
    by: User,
    session: Session,
    changes: list[AttendanceChange],
    names: dict[int, str] | None,
    at: datetime.datetime,
) -> None:
    """One audit event per first mark or changed mark, written in one INSERT (and, without `names`, one query
    for the people's names)."""
    if names is None:
        ids = {change.attendance.enrolment_id for change in changes}
        names = _names_of(Enrolment.objects.filter(pk__in=ids).values_list(*NAME_COLUMNS))
    where = f"{session.display_title}, {timezone.localtime(session.starts_at):%-d %B %Y}"
    audit_record_many(
        [
            audit_event(
                actor=by,
                action="attendance.marked" if not change.from_status else "attendance.changed",
                obj_type="attendance",
                obj_id=change.attendance.pk,
                provider=session.cohort.programme.provider_id,
                label=f"{names.get(change.attendance.enrolment_id, 'A participant')} at {where}",
                before={"status": change.from_status} if change.from_status else None,
                after={"status": change.to_status},
                at=at,
            )
            for change in changes
        ]
    )


def _write_marks(
    *,
    by: User,
    session: Session,
    marks: dict[int, str],
    only_new: bool = False,
    names: dict[int, str] | None = None,
) -> int:
    """Create or change the marks, auditing each (an AttendanceChange and an audit event): a fixed number of
    queries however many people. With `only_new`, every place in `marks` must have no mark yet. `names`: each
    place's person, when the caller has read them (else one query reads them). The session needs
    `cohort__programme` and `component` loaded."""
    # With only_new the caller has picked places with no mark (under the session's lock): nothing to read.
    existing = (
        {}
        if only_new
        else {a.enrolment_id: a for a in Attendance.objects.filter(session=session, enrolment_id__in=marks)}
    )
    now = timezone.now()
    created: list[Attendance] = []
    changed: list[Attendance] = []
    audit: list[AttendanceChange] = []
    for enrolment_id, status in marks.items():
        attendance = existing.get(enrolment_id)
        if attendance is None:
            created.append(
                Attendance(
                    enrolment_id=enrolment_id, session=session, status=status, marked_by=by, marked_at=now
                )
            )
        elif attendance.status != status:
            audit.append(
                AttendanceChange(
                    attendance=attendance,
                    from_status=attendance.status,
                    to_status=status,
                    changed_by=by,
                    changed_at=now,
                )
            )
            attendance.status, attendance.updated_by, attendance.updated_at = status, by, now
            changed.append(attendance)
    if created:
        Attendance.objects.bulk_create(created)
        audit += [
            AttendanceChange(attendance=a, from_status="", to_status=a.status, changed_by=by, changed_at=now)
            for a in created
        ]
    if changed:
        Attendance.objects.bulk_update(changed, ["status", "updated_by", "updated_at"])
    if audit:
        AttendanceChange.objects.bulk_create(audit)
        _audit_marks(by=by, session=session, changes=audit, names=names, at=now)
        engagement_changed(cohort_ids=[session.cohort_id])
    return len(audit)


def attendance_mark_present(
    *, by: User, session: Session, enrolment_id: int, name: str | None = None
) -> bool:
    """Mark one place present at a session, audited exactly as a register mark (a first mark records `by` as
    its marker; a changed one as its changer). Precondition: the caller holds the session's row lock (as
    _register_session takes it, with `cohort__programme` and `component`) and has checked that the place is
    expected. `name`: the person's, if the caller knows it. True if the mark changed."""
    names = {enrolment_id: name} if name else None
    return (
        _write_marks(by=by, session=session, marks={enrolment_id: Attendance.Status.PRESENT}, names=names) > 0
    )


@transaction.atomic
def register_save(*, by: User, session: Session, marks: dict[int, str]) -> int:
    """Save a session's register in one go: `marks` maps enrolment ids to statuses. New marks record who
    marked them; changed ones who changed them; each is audited. Returns how many marks changed."""
    session = _register_session(by, session)
    unknown = sorted({status for status in marks.values() if status not in Attendance.Status.values})
    if unknown:
        raise DomainError(
            f"Mark each person as present, late, absent or authorised absence (not {', '.join(unknown)}).",
            field="marks",
        )
    names = _names_of(expected_places(session).filter(pk__in=marks).values_list(*NAME_COLUMNS))
    if missing := set(marks) - set(names):
        raise _not_expected(session, missing)
    return _write_marks(by=by, session=session, marks=marks, names=names)


@transaction.atomic
def register_mark_all_present(*, by: User, session: Session) -> int:
    """Mark everyone expected at the session who has no mark yet as present (marks already made stay, so
    the exceptions can be changed afterwards). Returns how many were marked."""
    session = _register_session(by, session)
    names = _names_of(
        expected_places(session).exclude(attendances__session=session).values_list(*NAME_COLUMNS)
    )
    return _write_marks(
        by=by,
        session=session,
        marks=dict.fromkeys(names, Attendance.Status.PRESENT),
        only_new=True,
        names=names,
    )
