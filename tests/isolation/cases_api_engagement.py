"""Isolation-matrix cases for the engagement API (participants/api_engagement.py; see test_matrix.py).

- A session's register (GET and PUT) needs TAKE_REGISTER. The PUT marks a fresh place made for the request in
  the session's group, so it really writes a mark; its id is only known once the place exists, so the URL's
  kwargs make the place and put its id in the body the matrix sends with that very request.
- Task completions: read with VIEW_ENROLMENTS, recorded and taken away with RECORD_LEARNING, on the world's
  place, for the world's own task (the body names the task of the provider the request is for).
- Coaching needs LOG_COACHING: each case makes a fresh place coached by "the coach" (the provider's own, else
  any coach of the world, who holds no role at the other provider and must get 404), and the programme gets a
  coaching component to log against.
- Rating is for the participant's own place only: the world's place is someone else's, so every role, at
  either provider, gets 404 (that the owner may rate is tested in tests/api/test_engagement_api.py).
- A session's results need VIEW_FEEDBACK: a fresh session facilitated by the provider's facilitator.
- Engagement reads as the enrolment does: VIEW_ENROLMENTS (the participant's own place aside).
"""

import datetime
from collections.abc import Callable

from accounts.models import User
from npqel.access import Action
from participants.models import CoachingSession, TaskCompletion
from programmes.models import Component, StaffMembership
from tests.isolation.cases import Scoped
from tests.isolation.cases_api_programmes import AlsoAt
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import ComponentFactory, SessionFactory

JSON = "application/json"
NOBODY_ELSE = (404,)


def _someone(o: dict[str, object], role: str) -> User | None:
    """The provider's own person in `role`, or else any in that role (at another provider), or nobody."""
    here = (
        User.objects.filter(memberships__provider=o["provider"], memberships__role=role)
        .order_by("pk")
        .first()
    )
    return here or User.objects.filter(memberships__role=role).order_by("pk").first()


# Bodies filled in by the kwargs of the request they go with (see the module's docstring).
MARKS: dict[str, object] = {}
COMPLETION: dict[str, object] = {}


def _session_and_a_fresh_member(o: dict[str, object]) -> dict[str, object]:
    place = EnrolmentFactory(cohort=o["cohort"], group=o["group"])
    MARKS["marks"] = [{"enrolment": place.pk, "status": "present"}]
    return {"pk": o["session"].pk}


def _place_and_its_task(o: dict[str, object]) -> dict[str, object]:
    COMPLETION.update(task=o["task"].pk, completed_on="2023-01-10")
    return {"pk": o["enrolment"].pk}


def _a_completion(o: dict[str, object]) -> dict[str, object]:
    place = EnrolmentFactory(cohort=o["cohort"])
    TaskCompletion.objects.create(enrolment=place, task=o["task"], completed_on=datetime.date(2023, 1, 10))
    return {"pk": place.pk, "task_pk": o["task"].pk}


def _coaching_component(o: dict[str, object]) -> Component:
    found = Component.objects.filter(programme=o["programme"], kind=Component.Kind.COACHING).first()
    return found or ComponentFactory(
        programme=o["programme"], kind=Component.Kind.COACHING, mode=Component.Mode.ONLINE_LIVE
    )


def _coached_place(o: dict[str, object]) -> dict[str, object]:
    _coaching_component(o)
    return {"pk": EnrolmentFactory(cohort=o["cohort"], coach=_someone(o, StaffMembership.Role.COACH)).pk}


def _coaching_session(o: dict[str, object]) -> dict[str, object]:
    coach = _someone(o, StaffMembership.Role.COACH)
    session = CoachingSession.objects.create(
        enrolment=EnrolmentFactory(cohort=o["cohort"], coach=coach),
        component=_coaching_component(o),
        coach=coach,
        logged_by=coach,
        held_on=datetime.date(2023, 1, 10),
        minutes=60,
        focus="Isolation",
    )
    return {"pk": session.pk}


def _facilitated_session(o: dict[str, object]) -> dict[str, object]:
    facilitator = _someone(o, StaffMembership.Role.FACILITATOR)
    return {"pk": SessionFactory(cohort=o["cohort"], component=o["component"], facilitator=facilitator).pk}


def _place(o: dict[str, object]) -> dict[str, object]:
    return {"pk": o["enrolment"].pk}


ENGAGEMENT_API_SCOPED: dict[str, Scoped] = {
    # A session's register.
    "api:session-attendance": Scoped(Action.TAKE_REGISTER, lambda o: {"pk": o["session"].pk}),
    AlsoAt("api:session-attendance"): Scoped(
        Action.TAKE_REGISTER, _session_and_a_fresh_member, method="put", data=MARKS, content_type=JSON
    ),
    # Task completions.
    "api:enrolment-task-completions": Scoped(Action.VIEW_ENROLMENTS, _place),
    AlsoAt("api:enrolment-task-completions"): Scoped(
        Action.RECORD_LEARNING,
        _place_and_its_task,
        method="post",
        data=COMPLETION,
        content_type=JSON,
        ok=(201,),
    ),
    "api:enrolment-task-completion": Scoped(
        Action.RECORD_LEARNING, _a_completion, method="delete", ok=(204,)
    ),
    # Coaching.
    "api:enrolment-coaching-sessions": Scoped(Action.LOG_COACHING, _coached_place),
    AlsoAt("api:enrolment-coaching-sessions"): Scoped(
        Action.LOG_COACHING,
        _coached_place,
        method="post",
        data={"held_on": "2023-01-10", "minutes": 60, "focus": "Isolation"},
        content_type=JSON,
        ok=(201,),
    ),
    "api:coaching-session-detail": Scoped(Action.LOG_COACHING, _coaching_session, method="delete", ok=(204,)),
    # Feedback: rating on one's own place only; results.
    "api:enrolment-feedback": Scoped(
        Action.VIEW_ENROLMENTS,
        _place,
        method="post",
        data={"session": None, "rating": 8},
        content_type=JSON,
        ok=NOBODY_ELSE,
    ),
    "api:session-feedback": Scoped(Action.VIEW_FEEDBACK, _facilitated_session),
    # Engagement.
    "api:enrolment-engagement": Scoped(Action.VIEW_ENROLMENTS, _place),
}

# Every URL above concerns one session or one place: none lists rows of several providers.
ENGAGEMENT_API_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
