"""Demo engagement: for the places the demo creates, register marks for the sessions already held, online
tasks done, self-directed and coaching hours logged, components recorded as done and feedback ratings —
each participant with their own habits, so that the roster shows a spread from eligible to at risk.
Bulk inserts, deterministic for a cohort; engagement is recomputed once at the end of the demo load."""

import datetime
import random
from decimal import Decimal

from participants.models import (
    Attendance,
    CoachingSession,
    ComponentCompletion,
    Enrolment,
    FeedbackRating,
    LearningLog,
    TaskCompletion,
)
from participants.services.engagement import Evidence, evidence_of
from programmes.models import Cohort, Component, Session, Task

Status = Enrolment.Status
# Places that have started (or ran their course): only these have taken part in anything.
TOOK_PART = frozenset({Status.ACTIVE, Status.DEFERRED, Status.COMPLETED, Status.FAILED, Status.WITHDRAWN})
COMMENTS = [
    "Really useful discussion of trust-wide finance.",
    "Good pace; more time for questions next time, please.",
    "The case studies from other trusts were the best part.",
    "",
    "",
]


def _day_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def demo_engagement_fill(
    *, cohort: Cohort, enrolments: list[Enrolment], now: datetime.datetime, rng: random.Random
) -> None:
    """Give the cohort's new places their engagement evidence up to `now`."""
    today = now.date()
    components = list(Component.objects.filter(programme_id=cohort.programme_id))
    held = list(Session.objects.filter(cohort=cohort, ends_at__lte=now).order_by("starts_at"))
    course_tasks = list(Task.objects.filter(module__course__programme_id=cohort.programme_id))
    last_day = min(today, cohort.end_date)
    marks, tasks, logs, coaching, done, ratings = [], [], [], [], [], []
    for enrolment in enrolments:
        if enrolment.status not in TOOK_PART or last_day < cohort.start_date:
            continue
        # Most people take part in nearly everything; a few drift away.
        habit = rng.choice([0.98, 0.95, 0.92, 0.9, 0.85, 0.7, 0.5])
        for session in held:
            if session.group_id is not None and session.group_id != enrolment.group_id:
                continue
            roll = rng.random()
            if roll < habit:
                status = Attendance.Status.LATE if rng.random() < 0.05 else Attendance.Status.PRESENT
            else:
                status = rng.choice([Attendance.Status.ABSENT, Attendance.Status.AUTHORISED_ABSENCE])
            marks.append(
                Attendance(enrolment=enrolment, session=session, status=status, marked_at=session.ends_at)
            )
            if status == Attendance.Status.PRESENT and rng.random() < 0.4:
                ratings.append(
                    FeedbackRating(
                        enrolment=enrolment,
                        session=session,
                        rating=rng.choice([6, 7, 8, 8, 9, 9, 10]),
                        comment=rng.choice(COMMENTS),
                        rated_at=session.ends_at,
                    )
                )
        share_of_cohort = min(
            1.0, (last_day - cohort.start_date).days / max((cohort.end_date - cohort.start_date).days, 1)
        )
        for task in course_tasks:
            if rng.random() < habit * share_of_cohort:
                tasks.append(
                    TaskCompletion(
                        enrolment=enrolment,
                        task=task,
                        completed_on=_day_between(rng, cohort.start_date, last_day),
                        source=TaskCompletion.Source.LMS_IMPORT,
                    )
                )
        for component in components:
            planned = component.guided_learning_hours or Decimal(4)
            evidence = evidence_of(component.kind, component.mode)
            if evidence == Evidence.LEARNING_LOG:
                for _ in range(int(planned * Decimal(habit * share_of_cohort) / 2)):
                    logs.append(
                        LearningLog(
                            enrolment=enrolment,
                            component=component,
                            done_on=_day_between(rng, cohort.start_date, last_day),
                            hours=Decimal(2),
                            activity=rng.choice(
                                ["Reading on trust finance", "Visit to a partner school", "Podcast"]
                            ),
                        )
                    )
            elif evidence == Evidence.COACHING_LOG and enrolment.coach_id:
                for _ in range(int(planned * Decimal(habit * share_of_cohort))):
                    coaching.append(
                        CoachingSession(
                            enrolment=enrolment,
                            component=component,
                            coach_id=enrolment.coach_id,
                            logged_by_id=enrolment.coach_id,
                            held_on=_day_between(rng, cohort.start_date, last_day),
                            minutes=60,
                            focus=rng.choice(
                                ["Leading change across schools", "Finance and risk", "Governance"]
                            ),
                        )
                    )
            elif evidence == Evidence.COMPLETION and rng.random() < habit * share_of_cohort:
                done.append(
                    ComponentCompletion(
                        enrolment=enrolment,
                        component=component,
                        completed_on=_day_between(rng, cohort.start_date, last_day),
                    )
                )
    Attendance.objects.bulk_create(marks)
    TaskCompletion.objects.bulk_create(tasks)
    LearningLog.objects.bulk_create(logs)
    CoachingSession.objects.bulk_create(coaching)
    ComponentCompletion.objects.bulk_create(done)
    FeedbackRating.objects.bulk_create(ratings)
