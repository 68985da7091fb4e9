"""Isolation-matrix cases for self-directed learning, coaching and feedback (see test_matrix.py).

- A participant's own pages (their learning log, their coaching, their ratings) open only for the participant
  themself: the world's enrolment is someone else's, so every role, at either provider, gets 404 (or 403) and
  never the page. That the owner gets them is tested in tests/participants/test_logs.py and test_feedback.py.
- A place's coaching needs LOG_COACHING: provider admins for every place of their provider; a coach only for
  the places they coach. Each case makes a fresh place coached by "the coach": the provider's own coach if it
  has one, else any coach of the world (so the other provider's place is coached by the own provider's coach,
  who holds no role there and must get 404).
- Results need VIEW_FEEDBACK: admins and platform staff for every session; a facilitator only for the sessions
  they facilitate. Each case makes a fresh session facilitated by the provider's facilitator (none at the
  other provider).
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

from accounts.models import User
from npqel.access import Action
from participants.models import CoachingSession, LearningLog
from programmes.models import StaffMembership
from tests.isolation.cases import Scoped
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import SessionFactory

NOBODY_ELSE = (404,)


def _someone(o: dict[str, object], role: str) -> User | None:
    """The provider's own person in `role`, or else any in that role (at another provider), or nobody."""
    here = (
        User.objects.filter(memberships__provider=o["provider"], memberships__role=role)
        .order_by("pk")
        .first()
    )
    return here or User.objects.filter(memberships__role=role).order_by("pk").first()


def _coached_place(o: dict[str, object]) -> dict[str, object]:
    return {"pk": EnrolmentFactory(cohort=o["cohort"], coach=_someone(o, StaffMembership.Role.COACH)).pk}


def _coaching_session(o: dict[str, object]) -> dict[str, object]:
    coach = _someone(o, StaffMembership.Role.COACH)
    place = EnrolmentFactory(cohort=o["cohort"], coach=coach)
    session = CoachingSession.objects.create(
        enrolment=place,
        component=o["component"],
        coach=coach,
        logged_by=coach,
        held_on=datetime.date(2023, 1, 10),
        minutes=60,
        focus="Isolation",
    )
    return {"pk": session.pk}


def _someone_elses_log(o: dict[str, object]) -> dict[str, object]:
    log = LearningLog.objects.create(
        enrolment=o["enrolment"],
        component=o["course"],
        done_on=datetime.date(2023, 1, 10),
        hours=Decimal("1.5"),
        activity="Isolation",
    )
    return {"pk": log.pk}


def _facilitated_session(o: dict[str, object]) -> dict[str, object]:
    facilitator = User.objects.filter(
        memberships__provider=o["provider"], memberships__role=StaffMembership.Role.FACILITATOR
    ).first()
    return {"pk": SessionFactory(cohort=o["cohort"], component=o["component"], facilitator=facilitator).pk}


LOG_SCOPED: dict[str, Scoped] = {
    # A participant's own pages: the world's enrolment is nobody's here but its own participant's.
    "my_learning": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}, ok=NOBODY_ELSE),
    "my_coaching": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}, ok=NOBODY_ELSE),
    "learning_log_remove": Scoped(Action.VIEW_ENROLMENTS, _someone_elses_log, method="post", ok=NOBODY_ELSE),
    "my_feedback": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}, ok=NOBODY_ELSE),
    "my_feedback_session": Scoped(
        Action.VIEW_ENROLMENTS,
        lambda o: {"pk": o["enrolment"].pk, "session_pk": o["session"].pk},
        method="post",
        data={"rating": "8"},
        ok=NOBODY_ELSE,
    ),
    "my_feedback_programme": Scoped(
        Action.VIEW_ENROLMENTS,
        lambda o: {"pk": o["enrolment"].pk},
        method="post",
        data={"rating": "8"},
        ok=NOBODY_ELSE,
    ),
    # A place's coaching.
    "enrolment_coaching": Scoped(Action.LOG_COACHING, _coached_place),
    "coaching_session_remove": Scoped(Action.LOG_COACHING, _coaching_session, method="post", ok=(302,)),
    # Results.
    "session_feedback": Scoped(Action.VIEW_FEEDBACK, _facilitated_session),
    "cohort_feedback": Scoped(Action.VIEW_FEEDBACK, lambda o: {"pk": o["cohort"].pk}),
}

# The coach's list of coachees spans providers: another provider's place (one the own provider's coach is
# named on, by the cases above, without a role there) must never appear. Its rows show the cohort's code.
LOG_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {
    "coachees": (Action.LOG_COACHING, lambda o: f"cohort {o['cohort'].code}<"),
}
