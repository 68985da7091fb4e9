"""A cohort ready for marking, for the marking, results and page tests: submitted scripts of a case-study task
with its standard mark scheme, a pool of assessors (one a lead), and helpers that mark a script to a chosen
outcome the way an assessor would."""

import datetime
import zoneinfo
from dataclasses import dataclass

import time_machine
from django.utils import timezone

from accounts.models import User
from assessment import services
from assessment.marking import mark_scheme_create_default, marking_save
from assessment.models import Allocation, AssessmentTask, AssessorProfile, Marking, Submission
from participants.models import Enrolment
from programmes.models import Provider, StaffMembership
from tests.accounts.factories import give_totp
from tests.assessment.factories import case_study_place, make_eligible, upload
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import StaffMembershipFactory

UK = zoneinfo.ZoneInfo("Europe/London")
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)  # inside case_study_place's window
DUE = datetime.date(2026, 12, 31)
DETAIL = (
    "The response names the main problems and gives a staged plan, but the chosen solutions are not "
    "justified against alternatives, and the plan does not say how progress will be monitored or what "
    "happens if it is not working. Use the evidence in the case to prioritise, and say how the board will "
    "hold leaders to account for each stage."
)
SUMMARY = "A well-justified, carefully staged plan grounded in the case."
# Marks per criterion (four criteria of 10) giving each outcome on the standard scheme (pass mark 20, band 18–21).
MARKS = {"pass": [7, 7, 6, 6], "borderline": [5, 5, 5, 5], "fail": [3, 3, 3, 3]}


def assessor(provider: Provider, name: str, *, lead: bool = False, capacity: int = 20) -> User:
    user = StaffMembershipFactory(
        provider=provider, role=StaffMembership.Role.ASSESSOR, user__full_name=name
    ).user
    give_totp(user)
    AssessorProfile.objects.create(user=user, capacity=capacity, is_lead=lead)
    return user


def submitted(enrolment: Enrolment, task: AssessmentTask) -> Submission:
    with time_machine.travel(DURING, tick=False):
        version = upload(enrolment, task)
        services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)
    return Submission.objects.get(pk=version.submission_id)


@dataclass
class Cohort:
    provider: Provider
    task: AssessmentTask
    scripts: list[Submission]
    assessors: list[User]  # in name order: Ann, Ben, Cat (lead)

    @property
    def cohort(self):
        return self.scripts[0].enrolment.cohort


def marking_cohort(provider: Provider, n: int = 2, *, second_share: int = 0) -> Cohort:
    """`n` submitted scripts on one cohort. `second_share`: the share of passes second-marked (0 by default, so
    that which pass is picked at random never decides what a test sees)."""
    enrolment, task, window = case_study_place(provider=provider)
    enrolments = [enrolment]
    for _ in range(n - 1):
        enrolments.append(EnrolmentFactory(cohort=window.cohort, status=Enrolment.Status.ACTIVE))
        make_eligible(enrolments[-1])
    scheme = mark_scheme_create_default(by=None, task=task)
    scheme.second_marking_pass_percent = second_share
    scheme.save()
    scripts = [submitted(e, task) for e in enrolments]
    assessors = [
        assessor(provider, "Ann Adams"),
        assessor(provider, "Ben Brown"),
        assessor(provider, "Cat Cole", lead=True),
    ]
    return Cohort(provider=provider, task=task, scripts=scripts, assessors=assessors)


def allocate(submission: Submission, to: User, kind: str = "first") -> Allocation:
    return Allocation.objects.create(
        submission=submission, kind=kind, assessor=to, allocated_at=timezone.now(), due_on=DUE
    )


def live(submission: Submission, kind: str) -> Allocation | None:
    return submission.allocations.filter(kind=kind, ended_at__isnull=True).first()


def mark(allocation: Allocation, outcome: str, *, feedback: str | None = None) -> Marking:
    """Submit a marking of the allocated script that comes out as `outcome`."""
    criteria = list(allocation.submission.task.mark_scheme.criteria.all())
    existing = Marking.objects.filter(allocation=allocation).first()
    return marking_save(
        by=allocation.assessor,
        allocation=allocation,
        revision=existing.revision if existing else 0,
        marks={c.pk: m for c, m in zip(criteria, MARKS[outcome], strict=True)},
        comments={},
        ticked=set(),
        feedback=feedback if feedback is not None else (SUMMARY if outcome == "pass" else DETAIL),
        submit=True,
    )
