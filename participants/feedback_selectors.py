"""Every read of feedback ratings, scoped by npqel/access.py.

Participants read and change only their own ratings. Staff read only results: counts, means, the spread of
ratings and the comments, never who gave them, and only once at least MIN_RATINGS people have rated, so that
nobody can be identified. Facilitators see the results of the sessions they facilitate (as the session's
facilitator or a facilitator of its group); provider admins and platform staff those of every session of
the provider, and the ratings of the whole programme.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from npqel.access import Action, Role, access_for, require_page
from participants.models import Attendance, Enrolment, FeedbackRating
from participants.services.feedback import (
    NOT_ATTENDED,
    SESSION_RATERS,
    last_session_ends_at,
    programme_rating_refusal,
)
from participants.services.logs import full_access_provider_ids
from programmes.models import Cohort, DeliveryGroup, Session
from programmes.selectors import cohort_get

# Results appear once this many people have rated, so that nobody can be identified from them.
MIN_RATINGS = 3
RATINGS = range(11)


def mean_of(total: int, count: int) -> Decimal:
    """A mean to two decimal places, half up."""
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), ROUND_HALF_UP)


# A participant's own ratings --------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionToRate:
    session: Session
    rating: FeedbackRating | None  # theirs, if they have rated it
    absent: bool  # the register shows them absent: not theirs to rate


@dataclass(frozen=True)
class OwnFeedback:
    enrolment: Enrolment
    sessions: list[SessionToRate]  # the sessions of their timetable that have ended, most recent first
    programme_rating: FeedbackRating | None
    programme_refusal: str  # why they cannot rate the programme yet ("" when they can)

    @property
    def waiting(self) -> int:
        """Sessions they may rate and have not."""
        return sum(1 for row in self.sessions if row.rating is None and not row.absent)


def _timetable(enrolment: Enrolment) -> QuerySet[Session]:
    """The sessions of the place's timetable: its cohort's, for the whole cohort or for its own group."""
    theirs = Q(group__isnull=True)
    if enrolment.group_id is not None:
        theirs |= Q(group_id=enrolment.group_id)
    return Session.objects.filter(theirs, cohort_id=enrolment.cohort_id)


def own_feedback(*, enrolment: Enrolment, now: datetime.datetime | None = None) -> OwnFeedback:
    """What a participant may rate on their own place (reached through log_selectors.own_place): the
    sessions of their timetable that have ended, each with their rating and whether the register shows them
    absent, and the programme's rating. Four queries however many sessions."""
    now = now or timezone.now()
    sessions: list[SessionToRate] = []
    if enrolment.status in SESSION_RATERS:
        ended = (
            _timetable(enrolment)
            .filter(ends_at__lte=now)
            .select_related("component", "group")
            .prefetch_related(
                Prefetch(
                    "feedback_ratings", FeedbackRating.objects.filter(enrolment=enrolment), to_attr="mine"
                ),
                Prefetch("attendances", Attendance.objects.filter(enrolment=enrolment), to_attr="marks"),
            )
            .order_by("-starts_at", "-pk")
        )
        sessions = [
            SessionToRate(
                session=session,
                rating=next(iter(session.mine), None),
                absent=any(mark.status in NOT_ATTENDED for mark in session.marks),
            )
            for session in ended
        ]
    return OwnFeedback(
        enrolment=enrolment,
        sessions=sessions,
        programme_rating=FeedbackRating.objects.filter(enrolment=enrolment, session__isnull=True).first(),
        programme_refusal=programme_rating_refusal(enrolment, last_session_ends_at(enrolment)),
    )


def own_session_to_rate(*, enrolment: Enrolment, session_pk: int) -> Session:
    """A session of the place's timetable (the place already reached through own_place); 404 for any other."""
    return get_object_or_404(_timetable(enrolment).select_related("component", "group"), pk=session_pk)


def own_rating(*, enrolment: Enrolment, session: Session | None) -> FeedbackRating | None:
    """The place's rating of a session, or of the programme (session None), if it has given one."""
    return FeedbackRating.objects.filter(enrolment=enrolment, session=session).first()


# Results, for staff -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """The ratings of one session, or of the programme. Everything but `shown` is empty until at least
    MIN_RATINGS people have rated, so a page cannot show it by mistake."""

    shown: bool
    count: int | None = None
    mean: Decimal | None = None
    distribution: tuple[tuple[int, int], ...] = ()  # (rating, how many gave it), 0 to 10
    comments: tuple[str, ...] = ()  # in alphabetical order, which says nothing about when or who

    @property
    def most(self) -> int:
        """The largest number of people giving one rating (for the chart's scale)."""
        return max((n for _, n in self.distribution), default=0)


def results_of(ratings: Iterable[tuple[int, str]]) -> Results:
    """Results from (rating, comment) pairs."""
    ratings = list(ratings)
    if len(ratings) < MIN_RATINGS:
        return Results(shown=False)
    given = [rating for rating, _ in ratings]
    comments = sorted((comment.strip() for _, comment in ratings if comment.strip()), key=str.casefold)
    return Results(
        shown=True,
        count=len(given),
        mean=mean_of(sum(given), len(given)),
        distribution=tuple((value, given.count(value)) for value in RATINGS),
        comments=tuple(comments),
    )


def _feedback_sessions(user: object) -> QuerySet[Session]:
    """Sessions whose results the user may see: every session at providers where they are an admin (and
    everywhere for platform staff); at providers where they are a facilitator, the sessions they facilitate,
    as the session's facilitator or as a facilitator of its group."""
    access = access_for(user)
    if access.everywhere(Action.VIEW_FEEDBACK):
        return Session.objects.all()
    full = full_access_provider_ids(user, Action.VIEW_FEEDBACK, Role.FACILITATOR)
    narrowed = access.provider_ids(Action.VIEW_FEEDBACK) - full
    groups = DeliveryGroup.objects.filter(facilitators=user).values("pk")
    facilitated = Q(facilitator=user) | Q(group__in=groups)
    return Session.objects.filter(
        Q(cohort__programme__provider_id__in=sorted(full))
        | (Q(cohort__programme__provider_id__in=sorted(narrowed)) & facilitated)
    )


def sees_all_feedback(*, user: object, provider_id: int) -> bool:
    """Sees every session's results at this provider and the programme's ratings (admins, platform staff)."""
    access = access_for(user)
    return access.everywhere(Action.VIEW_FEEDBACK) or provider_id in full_access_provider_ids(
        user, Action.VIEW_FEEDBACK, Role.FACILITATOR
    )


def may_see_session_feedback(*, user: object, session: Session) -> bool:
    """Whether the session's page should offer its results: admins and platform staff always, a facilitator
    for the sessions they facilitate (one query, only for those who hold VIEW_FEEDBACK at all)."""
    if not access_for(user).anywhere(Action.VIEW_FEEDBACK):
        return False
    return _feedback_sessions(user).filter(pk=session.pk).exists()


def feedback_session(*, user: object, pk: int) -> Session:
    """A session whose results the user may see: 403 for a role that never sees feedback, 404 for another
    provider's session or one a facilitator does not facilitate."""
    require_page(user, Action.VIEW_FEEDBACK)
    sessions = _feedback_sessions(user).select_related(
        "component", "group", "facilitator", "cohort__programme"
    )
    return get_object_or_404(sessions, pk=pk)


def session_results(*, session: Session) -> Results:
    """A session's results (the session already reached through feedback_session): one query."""
    return results_of(FeedbackRating.objects.filter(session=session).values_list("rating", "comment"))


@dataclass(frozen=True)
class SessionSummary:
    session: Session
    count: int | None  # None until MIN_RATINGS have rated
    mean: Decimal | None


@dataclass(frozen=True)
class CohortFeedback:
    cohort: Cohort
    sessions: list[SessionSummary]  # those the user may see, in time order
    programme: Results | None  # None for those who see only their own sessions' results
    overall_count: int  # ratings behind the overall mean: only of sessions (and programme) whose results show
    overall_mean: Decimal | None


def feedback_cohort(*, user: object, pk: int) -> Cohort:
    """A cohort whose feedback summary the user may see: 403 for a role that never sees feedback, 404 for
    another provider's cohort."""
    return cohort_get(user=user, pk=pk, action=Action.VIEW_FEEDBACK)


def cohort_feedback(*, user: object, cohort: Cohort) -> CohortFeedback:
    """The cohort's feedback at a glance (the cohort reached through feedback_cohort): each session's count
    and mean, the programme's ratings, and the mean of all ratings shown. Sessions with fewer than
    MIN_RATINGS ratings show neither count nor mean, and are left out of the overall mean, which would
    otherwise give away their ratings by difference. Two or three queries however many sessions."""
    sessions = (
        _feedback_sessions(user)
        .filter(cohort=cohort)
        .select_related("component", "group", "facilitator")
        .annotate(rating_count=Count("feedback_ratings"), rating_sum=Sum("feedback_ratings__rating"))
        .order_by("starts_at", "pk")
    )
    rows = []
    total = count = 0
    for session in sessions:
        if session.rating_count >= MIN_RATINGS:
            rows.append(
                SessionSummary(
                    session, session.rating_count, mean_of(session.rating_sum, session.rating_count)
                )
            )
            total += session.rating_sum
            count += session.rating_count
        else:
            rows.append(SessionSummary(session, None, None))
    programme = None
    if sees_all_feedback(user=user, provider_id=cohort.programme.provider_id):
        programme = results_of(
            FeedbackRating.objects.filter(session__isnull=True, enrolment__cohort=cohort).values_list(
                "rating", "comment"
            )
        )
        if programme.shown:
            total += sum(rating * n for rating, n in programme.distribution)
            count += programme.count or 0
    return CohortFeedback(
        cohort=cohort,
        sessions=rows,
        programme=programme,
        overall_count=count,
        overall_mean=mean_of(total, count) if count else None,
    )
