"""Reads for marking (issue 7): an assessor's queue and the scripts allocated to them, a script's files as the
assessor or moderator may open them, and a cohort's marking as its provider admin sees it.

Assessors and moderators see candidate numbers only: nothing here hands them a participant's name, school or
email, and the script files they open are copies with the author fields stripped (assessment/anonymity.py).
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from accounts.models import User
from assessment.allocation import (
    NOT_MARKED,
    SUBMITTED,
    assessor_pool,
    capacities,
    exclusions_for_many,
    live_loads,
)
from assessment.models import (
    MAIN_FIRST,
    Allocation,
    AssessmentTask,
    AssessorProfile,
    Marking,
    ModerationItem,
    Result,
    ReviewRequest,
    Submission,
    SubmissionFile,
)
from npqel.access import Action, access_for, provider_q, require_page
from programmes.models import Cohort

QUEUE_RELATED = ("submission__task__scheme__programme__provider", "submission__result", "marking")


# How many marked scripts the queue lists, the most recently given first: an assessor of several years has marked
# hundreds, and the page is for what is still to do.
MARKED_SHOWN = 50


@dataclass
class Queue:
    to_mark: list[Allocation]
    done: list[Allocation]  # the MARKED_SHOWN most recently given
    done_count: int = 0


def marking_queue(*, user: User) -> Queue:
    """The scripts allocated to this assessor: all those still to mark (due soonest first), then the most recently
    given of those marked, in five queries however many there are."""
    require_page(user, Action.MARK_SCRIPTS, "Only assessors have a marking queue.")
    # Which are finished is worked out from this assessor's allocations alone (ids, looked up by index), then only
    # the rows shown are read with what they show. As a condition on joins or EXISTS in one query, PostgreSQL read
    # every marking on the platform to answer it (50 ms at national scale).
    given = list(
        Allocation.objects.filter(assessor=user, ended_at__isnull=True).values_list(
            "pk", "kind", "submission_id", "allocated_at"
        )
    )
    with_result = set(
        Result.objects.filter(submission_id__in={submission for _, _, submission, _ in given}).values_list(
            "submission_id", flat=True
        )
    )
    marks_submitted = set(
        Marking.objects.filter(
            allocation_id__in=[pk for pk, *_ in given], status=Marking.Status.SUBMITTED
        ).values_list("allocation_id", flat=True)
    )

    def finished(pk: int, kind: str, submission: int) -> bool:
        # A lead's work is done when the script has its result; any other marker's once their marks are submitted.
        return submission in with_result if kind == Allocation.Kind.LEAD else pk in marks_submitted

    done = sorted(
        ((at, pk) for pk, kind, submission, at in given if finished(pk, kind, submission)), reverse=True
    )
    done_ids = {pk for _, pk in done}
    shown = Allocation.objects.select_related(*QUEUE_RELATED)
    return Queue(
        to_mark=list(
            shown.filter(pk__in=[pk for pk, *_ in given if pk not in done_ids]).order_by(
                "due_on", "submission__candidate_number", "pk"
            )
        ),
        done=list(
            shown.filter(pk__in=[pk for _, pk in done[:MARKED_SHOWN]]).order_by("-allocated_at", "-pk")
        ),
        done_count=len(done),
    )


def allocation_for_assessor(*, user: User, pk: int) -> Allocation:
    """One of this assessor's allocations (a moved one too, to say so); 404 for anyone else's."""
    require_page(user, Action.MARK_SCRIPTS, "Only assessors mark scripts.")
    allocation = (
        Allocation.objects.select_related(
            *QUEUE_RELATED, "submission__task__mark_scheme", "submission__submitted_version"
        )
        .filter(pk=pk, assessor=user)
        .first()
    )
    if allocation is None:
        raise Http404("No script of yours has this number.")
    return allocation


def script_files(submission: Submission) -> list[SubmissionFile]:
    """The files of the submitted version, main document first."""
    if submission.submitted_version_id is None:
        return []
    return list(
        SubmissionFile.objects.filter(version_id=submission.submitted_version_id).order_by(*MAIN_FIRST)
    )


def markings_of(submission: Submission) -> dict[str, Marking]:
    """The submitted markings of a script by kind (first, second), for the lead assessor and moderators."""
    return {
        m.allocation.kind: m
        for m in Marking.objects.filter(
            allocation__submission=submission, status=Marking.Status.SUBMITTED
        ).select_related("allocation")
    }


def script_file_for_marker(*, user: User, pk: int) -> SubmissionFile:
    """A file of a submitted script, for an assessor holding a live allocation of it or a moderator with it in a
    sample; 404 for anyone else (a participant or admin downloads through submission_file_get instead)."""
    stored = SubmissionFile.objects.select_related("version__submission__task").filter(pk=pk).first()
    if stored is None or stored.version.submission.submitted_version_id != stored.version_id:
        raise Http404("No script file has this number.")
    submission = stored.version.submission
    allowed = Allocation.objects.filter(submission=submission, assessor=user, ended_at__isnull=True).exists()
    if not allowed and access_for(user).moderator:
        allowed = ModerationItem.objects.filter(result__submission=submission).exists()
    if not allowed:
        raise Http404("No script file has this number.")
    return stored


# The provider admin's view of a cohort's marking ----------------------------------------------------------


@dataclass
class ScriptLine:
    """One submitted script of a cohort and where its marking has got to."""

    submission: Submission
    live: dict[str, Allocation] = field(default_factory=dict)  # by kind
    markings: dict[str, Marking] = field(default_factory=dict)  # submitted, by kind
    result: Result | None = None
    exclusions: list[tuple[User, list[str]]] = field(default_factory=list)

    @property
    def stage(self) -> str:
        if self.result is not None:
            released = "released" if self.result.released_at else "not released yet"
            return (
                f"{self.result.get_outcome_display()} ({self.result.get_route_display().lower()}), {released}"
            )
        for kind, label in (
            (Allocation.Kind.LEAD, "With the lead assessor"),
            (Allocation.Kind.SECOND, "Second marking"),
            (Allocation.Kind.FIRST, "First marking"),
        ):
            if kind in self.live and kind not in self.markings:
                return (
                    f"{label}: {self.live[kind].assessor.display_name}, due {self.live[kind].due_on:%d %b %Y}"
                )
        if Allocation.Kind.SECOND in self.markings:
            return "Waiting for a lead assessor to be allocated"
        if Allocation.Kind.FIRST in self.markings:
            return "Waiting for a second assessor to be allocated"
        return "Waiting to be allocated"


@dataclass
class CohortMarking:
    cohort: Cohort
    task: AssessmentTask
    lines: list[ScriptLine]
    pool: list[User]
    capacity: dict[int, int]
    load: dict[int, int]
    leads: set[int]


def cohort_for_marking(*, user: User, pk: int, number: int) -> tuple[Cohort, AssessmentTask]:
    """A cohort and one task of its programme's assessment, for a provider admin (or platform staff)."""
    require_page(user, Action.VIEW_SUBMISSIONS)
    cohort = (
        Cohort.objects.select_related("programme__provider")
        .filter(provider_q(user, Action.VIEW_SUBMISSIONS, via="programme__provider"), pk=pk)
        .first()
    )
    if cohort is None:
        raise Http404("No cohort has this number.")
    task = (
        AssessmentTask.objects.select_related("mark_scheme", "scheme")
        .filter(scheme__programme_id=cohort.programme_id, number=number)
        .first()
    )
    if task is None:
        raise Http404("This programme's assessment has no such task.")
    return cohort, task


def cohort_marking(*, cohort: Cohort, task: AssessmentTask) -> CohortMarking:
    """Every submitted script of the cohort for the task, with its allocations, markings, result and the
    assessors who may not mark it and why; in a fixed number of queries whatever the number of scripts."""
    submissions = list(
        Submission.objects.filter(enrolment__cohort=cohort, task=task, status__in=SUBMITTED)
        .exclude(
            enrolment__status__in=NOT_MARKED
        )  # as allocation and release: withdrawn places are not marked
        .select_related("result", "enrolment__participant__user")
        .order_by("candidate_number")
    )
    lines = {s.pk: ScriptLine(submission=s, result=getattr(s, "result", None)) for s in submissions}
    for allocation in (
        Allocation.objects.filter(submission__in=submissions, ended_at__isnull=True)
        .select_related("assessor")
        .order_by("pk")
    ):
        lines[allocation.submission_id].live[allocation.kind] = allocation
    for marking in Marking.objects.filter(
        allocation__submission__in=submissions, status=Marking.Status.SUBMITTED
    ).select_related("allocation"):
        lines[marking.allocation.submission_id].markings[marking.allocation.kind] = marking
    pool = assessor_pool(cohort.programme.provider)
    excluded = exclusions_for_many(submissions, pool) if submissions and pool else {}
    by_id = {a.pk: a for a in pool}
    for submission_id, reasons in excluded.items():
        lines[submission_id].exclusions = [(by_id[pk], r) for pk, r in reasons.items() if r]
    ids = [a.pk for a in pool]
    return CohortMarking(
        cohort=cohort,
        task=task,
        lines=list(lines.values()),
        pool=pool,
        capacity=capacities(ids),
        load=live_loads(ids),
        leads=set(
            AssessorProfile.objects.filter(user_id__in=ids, is_lead=True).values_list("user_id", flat=True)
        ),
    )


def allocation_for_admin(*, user: User, pk: int) -> Allocation:
    """A live allocation of a provider the user manages assessment for (to move it); 404 otherwise."""
    require_page(user, Action.MANAGE_ASSESSMENT)
    allocation = (
        Allocation.objects.select_related("submission__task", "submission__enrolment__cohort", "assessor")
        .filter(
            provider_q(user, Action.MANAGE_ASSESSMENT, via="submission__enrolment__provider"),
            Q(ended_at__isnull=True),
            pk=pk,
        )
        .first()
    )
    if allocation is None:
        raise Http404("No live allocation has this number.")
    return allocation


# Reviews of released results -------------------------------------------------------------------------------


def reviews_waiting(*, provider) -> int:
    """How many of the provider's review requests wait for a decision (one query)."""
    return ReviewRequest.objects.filter(
        result__submission__enrolment__provider=provider, status=ReviewRequest.Status.REQUESTED
    ).count()


def review_queue(*, provider) -> tuple[list[ReviewRequest], list[ReviewRequest]]:
    """The provider's review requests waiting for a decision (oldest first) and the latest decided (newest
    first, at most 50); a fixed number of queries."""
    reviews = ReviewRequest.objects.filter(result__submission__enrolment__provider=provider).select_related(
        "result__submission__enrolment__participant__user", "result__submission__task", "decided_by"
    )
    waiting = list(reviews.filter(status=ReviewRequest.Status.REQUESTED).order_by("requested_at", "pk"))
    decided = list(reviews.exclude(status=ReviewRequest.Status.REQUESTED).order_by("-decided_at", "-pk")[:50])
    return waiting, decided


def review_for_decision(*, user: User, pk: int) -> ReviewRequest:
    """A review request of a provider the user may see assessment at (deciding needs MANAGE_ASSESSMENT)."""
    require_page(user, Action.VIEW_SUBMISSIONS)
    review = (
        ReviewRequest.objects.filter(
            provider_q(user, Action.VIEW_SUBMISSIONS, via="result__submission__enrolment__provider"), pk=pk
        )
        .select_related(
            "result__submission__enrolment__participant__user",
            "result__submission__enrolment__cohort__programme__provider",
            "result__submission__task",
            "result__first_marking__allocation__assessor",
            "result__second_marking__allocation__assessor",
            "result__lead",
            "decided_by",
        )
        .first()
    )
    if review is None:
        raise Http404("No review request has this number.")
    return review
