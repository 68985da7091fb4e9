"""Every read of self-directed learning logs and coaching sessions, scoped by npqel/access.py.

A participant reads only their own places' logs; a coach only the places they coach (enrolment.coach, at
providers where they still hold the coach role); a provider admin every place of their provider. Another
provider's place, or a place someone else coaches, answers 404 like a missing one.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from npqel.access import Action, Role, access_for, require_page
from npqel.queries import count_of
from participants.models import CoachingSession, Enrolment, LearningLog
from participants.selectors import own_enrolments
from participants.services.logs import full_access_provider_ids
from programmes.models import Component


def own_place(*, user: object, pk: int) -> Enrolment:
    """One of the signed-in participant's own places, with its cohort, programme, group and coach; 404 for
    anyone else's (whoever is asking, admins included: they have their own pages)."""
    places = own_enrolments(user=user).select_related(
        "cohort__programme", "group", "coach", "participant__user"
    )
    return get_object_or_404(places, pk=pk)


# Self-directed learning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentHours:
    component: Component
    logged: Decimal

    @property
    def planned(self) -> Decimal | None:
        return self.component.guided_learning_hours

    @property
    def left(self) -> Decimal | None:
        """Hours still to log to reach the planned hours (None where none are published)."""
        return None if self.planned is None else max(Decimal(0), self.planned - self.logged)


@dataclass(frozen=True)
class LearningRecord:
    enrolment: Enrolment
    components: list[ComponentHours]  # the programme's self-directed components, with the hours logged
    logs: list[LearningLog]  # newest first, each with its component

    @property
    def total(self) -> Decimal:
        return sum((row.logged for row in self.components), Decimal(0))

    @property
    def planned(self) -> Decimal | None:
        published = [row.planned for row in self.components if row.planned is not None]
        return sum(published, Decimal(0)) if published else None


def learning_record(*, enrolment: Enrolment) -> LearningRecord:
    """The learning logged on a place the caller has already reached (own_place), by component: two queries
    however many logs."""
    components = list(
        Component.objects.filter(
            programme_id=enrolment.cohort.programme_id, kind=Component.Kind.SELF_DIRECTED
        ).order_by("position", "pk")
    )
    logs = list(
        LearningLog.objects.filter(enrolment=enrolment)
        .select_related("component")
        .order_by("-done_on", "-pk")
    )
    logged: dict[int, Decimal] = {}
    for log in logs:
        logged[log.component_id] = logged.get(log.component_id, Decimal(0)) + log.hours
    return LearningRecord(
        enrolment=enrolment,
        components=[ComponentHours(component=c, logged=logged.get(c.pk, Decimal(0))) for c in components],
        logs=logs,
    )


def own_learning_log(*, user: object, pk: int) -> LearningLog:
    """One of the signed-in participant's own learning logs; 404 for anyone else's."""
    return get_object_or_404(
        LearningLog.objects.filter(enrolment__participant__user=user).select_related("enrolment"), pk=pk
    )


# Coaching ------------------------------------------------------------------------------------------


def _coaching_scope(user: object, *, via: str = "") -> Q:
    """Places whose coaching the user may log: every place at providers they administer; at providers where
    they are a coach, the places they coach."""
    access = access_for(user)
    full = full_access_provider_ids(user, Action.LOG_COACHING, Role.COACH)
    coaching = access.provider_ids(Action.LOG_COACHING) - full
    return Q(**{f"{via}provider_id__in": sorted(full)}) | Q(
        **{f"{via}provider_id__in": sorted(coaching), f"{via}coach": user}
    )


def coachee_list(*, user: object) -> QuerySet[Enrolment]:
    """The places the user coaches, at every provider where they hold the coach role, in name order, each
    with `session_count` and `last_held_on` of the coaching logged for it. A fixed number of queries."""
    require_page(user, Action.LOG_COACHING)
    providers = access_for(user).provider_ids(Action.LOG_COACHING)
    sessions = CoachingSession.objects.filter(enrolment=OuterRef("pk"))
    return (
        Enrolment.objects.filter(provider_id__in=sorted(providers), coach=user)
        .select_related("participant__user", "cohort__programme", "provider")
        .annotate(
            session_count=count_of(sessions, group_by="enrolment"),
            last_held_on=Subquery(
                sessions.order_by().values("enrolment").annotate(last=Max("held_on")).values("last")
            ),
        )
        .order_by("participant__user__full_name", "participant__user__email", "pk")
    )


def coaching_place(*, user: object, pk: int) -> Enrolment:
    """A place whose coaching the user may log and read: 403 for a role that never logs coaching, 404 for
    another provider's place or one someone else coaches."""
    require_page(user, Action.LOG_COACHING)
    places = Enrolment.objects.filter(_coaching_scope(user)).select_related(
        "participant__user", "cohort__programme__provider", "coach", "group"
    )
    return get_object_or_404(places, pk=pk)


def coaching_sessions_of(*, enrolment: Enrolment) -> list[CoachingSession]:
    """The coaching logged for a place the caller has already reached, newest first, with who coached and
    logged each: one query."""
    return list(
        CoachingSession.objects.filter(enrolment=enrolment)
        .select_related("coach", "logged_by", "component")
        .order_by("-held_on", "-pk")
    )


def coaching_minutes(sessions: list[CoachingSession]) -> int:
    return sum(session.minutes for session in sessions)


def coaching_session_for_change(*, user: object, pk: int) -> CoachingSession:
    """A logged coaching session of a place the user may log coaching for (403, 404 as coaching_place)."""
    require_page(user, Action.LOG_COACHING)
    return get_object_or_404(
        CoachingSession.objects.filter(_coaching_scope(user, via="enrolment__")).select_related("enrolment"),
        pk=pk,
    )


def as_hours(minutes: int) -> str:
    """e.g. "1 hour 30 minutes", "45 minutes", "2 hours"."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'' if hours == 1 else 's'}")
    if rest or not hours:
        parts.append(f"{rest} minute{'' if rest == 1 else 's'}")
    return " ".join(parts)
