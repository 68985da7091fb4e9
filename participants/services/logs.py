"""Self-directed learning a participant logs, and coaching sessions a coach logs for a participant. Both are
evidence of engagement (participants.services.engagement), so each write queues its cohort's recompute.

Who may write:
- a learning log: the participant themself, for their own place;
- a coaching session: the place's coach (enrolment.coach, while they hold the coach role at its provider)
  or a provider admin of its provider (Action.LOG_COACHING).

Both are logged only for a place that is under way (accepted, active or deferred: a deferred participant
may still log what they did before deferring), for a day from the cohort's start up to today.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from npqel.access import PROVIDER_POLICY, Action, Role, access_for
from npqel.errors import DomainError
from participants.models import CoachingSession, Enrolment, LearningLog
from participants.services.engagement import engagement_changed
from programmes.models import Component

Status = Enrolment.Status

# Places for which learning and coaching are logged: under way (an applicant has not started; a withdrawn,
# passed or failed place has ended).
LOGGABLE_STATUSES = frozenset({Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED})
LEAST_HOURS = Decimal("0.5")
MOST_HOURS = Decimal("24")
MOST_MINUTES = 480
ACTIVITY_LENGTH = 300
FOCUS_LENGTH = 300


def day(value: datetime.date) -> str:
    """e.g. "3 October 2022"."""
    return f"{value:%-d %B %Y}"


def hours_text(hours: Decimal | int) -> str:
    """e.g. "1.5", "2" (no trailing ".0")."""
    return f"{Decimal(hours):.1f}".removesuffix(".0")


def hours_phrase(hours: Decimal | int) -> str:
    """e.g. "1 hour", "1.5 hours"."""
    text = hours_text(hours)
    return f"{text} hour{'' if text == '1' else 's'}"


def full_access_provider_ids(user: object, action: Action, narrowed: Role) -> frozenset[int]:
    """Providers where the user holds `action` through a role other than `narrowed`, which grants it only
    for some rows (a coach: the places they coach; a facilitator: the sessions they facilitate)."""
    allowed = PROVIDER_POLICY[action] - {narrowed}
    return frozenset(pid for pid, roles in access_for(user).provider_roles.items() if roles & allowed)


def may_log_coaching(user: User, enrolment: Enrolment) -> bool:
    """An admin of the place's provider, or its own coach while they are a coach there."""
    if not access_for(user).may(Action.LOG_COACHING, enrolment.provider_id):
        return False
    if enrolment.provider_id in full_access_provider_ids(user, Action.LOG_COACHING, Role.COACH):
        return True
    return enrolment.coach_id is not None and enrolment.coach_id == user.pk


def _locked(enrolment: Enrolment) -> Enrolment:
    """The place, locked so that two logs of the same day are added one after the other."""
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("cohort", "participant__user", "coach")
        .get(pk=enrolment.pk)
    )


def _check_status(enrolment: Enrolment, *, own: bool, what: str) -> None:
    if enrolment.status in LOGGABLE_STATUSES:
        return
    whose = "Your place" if own else f"{enrolment.participant.user.display_name}'s place"
    if enrolment.status == Status.APPLIED:
        raise DomainError(f"{whose} has not been confirmed yet, so no {what} can be logged until it is.")
    raise DomainError(
        f"{whose} has ended ({enrolment.get_status_display().lower()}), so no more {what} can be logged."
    )


def _check_day(on: datetime.date, enrolment: Enrolment, *, field: str, what: str) -> None:
    if on > timezone.localdate():
        raise DomainError(
            f"Enter today's date or an earlier one: log {what} once it has happened.", field=field
        )
    starts = enrolment.cohort.start_date
    if on < starts:
        raise DomainError(
            f"Enter a date on or after {day(starts)}, when cohort {enrolment.cohort.code} started.",
            field=field,
        )


def _hours(hours: object) -> Decimal:
    """The hours as a Decimal of one decimal place from 0.5 to 24, or a DomainError saying what to enter."""
    try:
        value = Decimal(str(hours).strip())
    except (InvalidOperation, ValueError):
        raise DomainError("Enter the hours as a number, for example 1.5.", field="hours") from None
    if not value.is_finite():
        raise DomainError("Enter the hours as a number, for example 1.5.", field="hours")
    if value != value.quantize(Decimal("0.1"), ROUND_HALF_UP):
        raise DomainError(
            "Enter the hours to one decimal place at most, for example 1.5 or 0.7.", field="hours"
        )
    if value < LEAST_HOURS:
        raise DomainError("Enter at least 0.5 hours (half an hour).", field="hours")
    if value > MOST_HOURS:
        raise DomainError("Enter 24 hours or fewer: log each day's learning separately.", field="hours")
    return value.quantize(Decimal("0.1"))


def coaching_components(enrolment: Enrolment) -> list[Component]:
    """The place's programme's individual coaching components (those evidenced by logged coaching)."""
    return list(
        Component.objects.filter(
            programme_id=enrolment.cohort.programme_id, kind=Component.Kind.COACHING
        ).order_by("position", "pk")
    )


@transaction.atomic
def learning_log_add(
    *,
    by: User,
    enrolment: Enrolment,
    component: Component,
    done_on: datetime.date,
    hours: Decimal | float | int | str,
    activity: str,
) -> LearningLog:
    """Log self-directed learning on the participant's own place: a day from the cohort's start to today,
    0.5 to 24 hours to one decimal (and no more than 24 hours on one day in all), against one of the
    programme's self-directed learning components."""
    if enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can log their own self-directed learning.")
    enrolment = _locked(enrolment)
    _check_status(enrolment, own=True, what="learning")
    if (
        component.programme_id != enrolment.cohort.programme_id
        or component.kind != Component.Kind.SELF_DIRECTED
    ):
        raise DomainError(
            "Choose one of your programme's self-directed learning components.", field="component"
        )
    if not isinstance(done_on, datetime.date):
        raise DomainError("Enter the day you did it.", field="done_on")
    _check_day(done_on, enrolment, field="done_on", what="learning")
    value = _hours(hours)
    activity = (activity or "").strip()
    if not activity:
        raise DomainError(
            "Describe what you did, for example “Read the school improvement case study”.", field="activity"
        )
    if len(activity) > ACTIVITY_LENGTH:
        raise DomainError(
            f"Describe what you did in {ACTIVITY_LENGTH} characters or fewer (you wrote {len(activity)}).",
            field="activity",
        )
    already = (
        LearningLog.objects.filter(enrolment=enrolment, done_on=done_on).aggregate(h=Sum("hours"))["h"] or 0
    )
    if already + value > MOST_HOURS:
        raise DomainError(
            f"You have already logged {hours_text(already)} hours on {day(done_on)}, and a day has 24: enter "
            f"{hours_text(MOST_HOURS - already)} hours or fewer, or choose another day.",
            field="hours",
        )
    log = LearningLog.objects.create(
        enrolment=enrolment, component=component, done_on=done_on, hours=value, activity=activity
    )
    engagement_changed(cohort_ids=[enrolment.cohort_id])
    return log


@transaction.atomic
def learning_log_remove(*, by: User, log: LearningLog) -> None:
    """Take back one of the participant's own learning logs (one entered by mistake), while their place is
    under way."""
    enrolment = _locked(log.enrolment)
    if enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can remove their own self-directed learning.")
    _check_status(enrolment, own=True, what="learning")
    LearningLog.objects.filter(pk=log.pk).delete()
    engagement_changed(cohort_ids=[enrolment.cohort_id])


@transaction.atomic
def coaching_session_log(
    *,
    by: User,
    enrolment: Enrolment,
    held_on: datetime.date,
    minutes: int,
    focus: str,
    component: Component | None = None,
) -> CoachingSession:
    """Log a coaching session held with a participant: the day (from the cohort's start to today), its
    length in minutes (1 to 480) and its focus. Recorded against the programme's coaching component (chosen
    for you when there is one; choose when there are several). By the place's coach or a provider admin."""
    enrolment = _locked(enrolment)
    if not may_log_coaching(by, enrolment):
        raise PermissionDenied(
            "Only the participant's coach or an admin of their provider can log their coaching."
        )
    _check_status(enrolment, own=False, what="coaching")
    choices = coaching_components(enrolment)
    if component is None:
        if not choices:
            raise DomainError(
                "The programme has no individual coaching component to log coaching against. Ask a provider "
                "admin to add one (of kind “Individual coaching or mentoring”) to the programme.",
                field="component",
            )
        if len(choices) > 1:
            raise DomainError(
                "Choose which of the programme's coaching components this session was for.", field="component"
            )
        component = choices[0]
    elif component.pk not in {c.pk for c in choices}:
        raise DomainError("Choose one of the programme's coaching components.", field="component")
    if not isinstance(held_on, datetime.date):
        raise DomainError("Enter the day the session was held.", field="held_on")
    _check_day(held_on, enrolment, field="held_on", what="a session")
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise DomainError(
            "Enter how long the session lasted, in whole minutes, for example 60.", field="minutes"
        )
    if not 1 <= minutes <= MOST_MINUTES:
        raise DomainError(
            f"Enter how long the session lasted as 1 to {MOST_MINUTES} minutes (8 hours).", field="minutes"
        )
    focus = (focus or "").strip()
    if not focus:
        raise DomainError(
            "Enter what the session focused on, for example “Leading change in the trust”.", field="focus"
        )
    if len(focus) > FOCUS_LENGTH:
        raise DomainError(
            f"Enter the focus in {FOCUS_LENGTH} characters or fewer (you wrote {len(focus)}).", field="focus"
        )
    session = CoachingSession.objects.create(
        enrolment=enrolment,
        component=component,
        coach=enrolment.coach,
        held_on=held_on,
        minutes=minutes,
        focus=focus,
        logged_by=by,
    )
    engagement_changed(cohort_ids=[enrolment.cohort_id])
    return session


@transaction.atomic
def coaching_session_remove(*, by: User, session: CoachingSession) -> None:
    """Take back a coaching session logged by mistake: a provider admin any of the place's; its coach those
    they coached or logged themself, while they still coach the place. Allowed whatever the place's status,
    so that a mistake can be put right after the place ends."""
    enrolment = _locked(session.enrolment)
    if not may_log_coaching(by, enrolment):
        raise PermissionDenied(
            "Only the participant's coach or an admin of their provider can change their coaching."
        )
    full = enrolment.provider_id in full_access_provider_ids(by, Action.LOG_COACHING, Role.COACH)
    if not full and by.pk not in (session.coach_id, session.logged_by_id):
        raise DomainError(
            "Another coach held this session, so only they or a provider admin can remove it.",
            field="session",
        )
    CoachingSession.objects.filter(pk=session.pk).delete()
    engagement_changed(cohort_ids=[enrolment.cohort_id])
