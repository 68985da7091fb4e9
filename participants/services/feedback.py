"""Participants' 0–10 ratings of their sessions and of the whole programme, with an optional comment: the
source of DfE metric 6. Only the participant rates, for their own place; staff see only the results
(participants.feedback_selectors), never who said what.

Decisions:
- Rating again replaces the earlier rating and comment (one rating per person per session, and one of the
  programme, as the database also insists): people change their minds, and a second row would count them
  twice. `rated_at` moves to the time of the latest rating.
- A session can be rated once it has ended, if it was on the participant's timetable (their cohort's, for
  the whole cohort or for their own group) and the register does not show them absent. Any place that was
  confirmed may rate (not an applicant): a withdrawn participant's view of the sessions they came to counts.
- The programme can be rated once the place has passed or failed, or, for an accepted or active place,
  once the cohort's last session has ended. Not while deferred (they may finish on another cohort) and not
  after withdrawing (they did not finish it).
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from npqel.errors import DomainError
from participants.models import Attendance, Enrolment, FeedbackRating
from programmes.models import Session

Status = Enrolment.Status

COMMENT_LENGTH = 2000
# Places that may rate a session they came to: every place that was confirmed.
SESSION_RATERS = frozenset(
    {Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED, Status.WITHDRAWN, Status.COMPLETED, Status.FAILED}
)
# Places that have finished (or, accepted or active, once the last session is over) rate the programme.
FINISHED = frozenset({Status.COMPLETED, Status.FAILED})
PROGRAMME_RATERS_AFTER_LAST_SESSION = frozenset({Status.ACCEPTED, Status.ACTIVE})
NOT_ATTENDED = frozenset({Attendance.Status.ABSENT, Attendance.Status.AUTHORISED_ABSENCE})


def _check_own(by: User, enrolment: Enrolment) -> Enrolment:
    enrolment = Enrolment.objects.select_related("cohort", "participant").get(pk=enrolment.pk)
    if enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can rate their own sessions and programme.")
    return enrolment


def _check_rating(rating: object, comment: str) -> tuple[int, str]:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 10:
        raise DomainError("Choose a rating from 0 (not at all good) to 10 (excellent).", field="rating")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LENGTH:
        raise DomainError(
            f"Write your comment in {COMMENT_LENGTH} characters or fewer (you wrote {len(comment)}).",
            field="comment",
        )
    return rating, comment


def on_timetable(enrolment: Enrolment, session: Session) -> bool:
    """The session is the place's cohort's, for the whole cohort or for the place's own group."""
    return session.cohort_id == enrolment.cohort_id and session.group_id in (None, enrolment.group_id)


def last_session_ends_at(enrolment: Enrolment) -> datetime.datetime | None:
    """When the cohort's last session ends (None when it has none)."""
    return Session.objects.filter(cohort_id=enrolment.cohort_id).aggregate(last=Max("ends_at"))["last"]


def programme_rating_refusal(enrolment: Enrolment, last_ends_at: datetime.datetime | None) -> str:
    """Why the place cannot rate the whole programme yet ("" when it can). `last_ends_at` is when the
    cohort's last session ends (last_session_ends_at)."""
    if enrolment.status in FINISHED:
        return ""
    if enrolment.status == Status.APPLIED:
        return "Your place has not been confirmed yet, so there is no programme to rate."
    if enrolment.status == Status.DEFERRED:
        return "Your place is deferred. You can rate the programme once you have finished it."
    if enrolment.status == Status.WITHDRAWN:
        return "You withdrew from the programme, so you cannot rate the whole of it."
    if last_ends_at is None:
        return "No sessions are timetabled for your cohort yet. You can rate the programme once the last one has ended."
    if last_ends_at > timezone.now():
        local = timezone.localtime(last_ends_at)
        return f"You can rate the programme once its last session has ended, on {local:%-d %B %Y} at {local:%H:%M}."
    return ""


def _save(enrolment: Enrolment, session: Session | None, rating: int, comment: str) -> FeedbackRating:
    # Lock the place's existing rating (if any) so that two posts at once leave one row, the later one.
    existing = FeedbackRating.objects.select_for_update().filter(enrolment=enrolment, session=session).first()
    now = timezone.now()
    if existing is None:
        return FeedbackRating.objects.create(
            enrolment=enrolment, session=session, rating=rating, comment=comment, rated_at=now
        )
    existing.rating, existing.comment, existing.rated_at = rating, comment, now
    existing.save(update_fields=["rating", "comment", "rated_at"])
    return existing


@transaction.atomic
def feedback_rate_session(
    *, by: User, enrolment: Enrolment, session: Session, rating: int, comment: str = ""
) -> FeedbackRating:
    """The participant rates a session of their own timetable that has ended, 0 to 10, with an optional
    comment. Rating it again replaces their earlier rating."""
    enrolment = _check_own(by, enrolment)
    if enrolment.status not in SESSION_RATERS:
        raise DomainError("Your place has not been confirmed yet, so you have no sessions to rate.")
    if not on_timetable(enrolment, session):
        raise DomainError("That session is not on your timetable. Choose one of your own sessions to rate.")
    if session.ends_at > timezone.now():
        raise DomainError("That session has not ended yet. Rate it once it is over.")
    mark = (
        Attendance.objects.filter(enrolment=enrolment, session=session)
        .values_list("status", flat=True)
        .first()
    )
    if mark in NOT_ATTENDED:
        raise DomainError(
            "The register shows you were not at this session, so you cannot rate it. If that is wrong, ask "
            "your facilitator to correct the register."
        )
    rating, comment = _check_rating(rating, comment)
    return _save(enrolment, session, rating, comment)


@transaction.atomic
def feedback_rate_programme(
    *, by: User, enrolment: Enrolment, rating: int, comment: str = ""
) -> FeedbackRating:
    """The participant rates the whole programme, 0 to 10, with an optional comment: once their place has
    passed or failed, or the cohort's last session has ended. Rating it again replaces the earlier rating."""
    enrolment = _check_own(by, enrolment)
    refusal = programme_rating_refusal(enrolment, last_session_ends_at(enrolment))
    if refusal:
        raise DomainError(refusal)
    rating, comment = _check_rating(rating, comment)
    return _save(enrolment, None, rating, comment)
