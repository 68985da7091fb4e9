"""Every write to enrolments: the lifecycle (accept, start, defer, resume, withdraw, transfer, outcome), each
change recorded with who, when, from, to and why; and the deadline to present for final assessment."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from npqel.access import Action, access_for
from npqel.errors import DomainError
from participants.models import Enrolment, EnrolmentChange
from programmes.models import Cohort
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
) -> EnrolmentChange:
    """Move an enrolment to `to` if the lifecycle allows it, recording the change. The caller's instance
    is updated too."""
    _authorise(by, enrolment.provider_id)
    given = enrolment
    # Lock the row: two admins (or an admin and an import) must not both move it from the same status.
    enrolment = Enrolment.objects.select_for_update().select_related("participant__user").get(pk=enrolment.pk)
    current = enrolment.status
    if only_from is not None and current != only_from:
        raise DomainError(
            f"{enrolment.participant.user.display_name} is not {Status(only_from).label.lower()}, so there is "
            "nothing to resume.",
            field="status",
        )
    if to not in TRANSITIONS[current]:
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
    last = enrolment.changes.order_by("-effective_on", "-recorded_at").first()
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
    given.status = to
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
def enrolment_transfer(
    *, by: User, enrolment: Enrolment, to_cohort: Cohort, on: datetime.date | None = None, note: str = ""
) -> Enrolment:
    """Move a place to another cohort of the same provider (e.g. after a deferral), keeping its history.
    The start date moves to the new cohort's unless one was set for the person."""
    _authorise(by, enrolment.provider_id)
    enrolment = (
        Enrolment.objects.select_for_update()
        .select_related("cohort", "participant__user")
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
    old = enrolment.cohort
    EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status=enrolment.status,
        to_status=enrolment.status,
        effective_on=on or timezone.localdate(),
        note=f"Moved from cohort {old.code} to {to_cohort.code}. {note}".strip(),
        changed_by=by,
    )
    enrolment.cohort = to_cohort
    enrolment.group = None
    enrolment.save(update_fields=["cohort", "group", "updated_at"])
    return enrolment


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
    today = today or timezone.localdate()
    programme = enrolment.cohort.programme
    start = enrolment.started_on
    months = programme.deadline_months_for(start)
    due = add_months(start, months)
    paused = 0
    deferred_since: datetime.date | None = None
    if programme.deferral_pauses_clock:
        for change in sorted(
            changes, key=lambda c: (c.effective_on, c.recorded_at or timezone.now(), c.pk or 0)
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
