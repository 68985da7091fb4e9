"""Every read of final assessment for participants, and the scoped look-ups shared with provider pages and the
API, scoped by npqel/access.py.

A participant reads only their own places' tasks, submissions, receipts and requests. A provider admin (and
platform staff, read-only) reads those of every place at their provider (Action.VIEW_SUBMISSIONS); another
provider's record answers 404 like a missing one.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from assessment import deadlines
from assessment.models import (
    MAIN_FIRST,
    AssessmentTask,
    AssessmentWindow,
    Extension,
    Receipt,
    Result,
    ReviewRequest,
    Submission,
    SubmissionFile,
    SubmissionOverride,
    SubmissionVersion,
)
from assessment.services import cannot_submit_because
from npqel.access import Action, access_for, provider_q
from participants.models import Engagement, Enrolment
from participants.selectors import own_enrolments


def own_place(*, user: object, pk: int) -> Enrolment:
    """One of the signed-in participant's own places, with its programme and status history; 404 for anyone
    else's (admins included: they have their own pages)."""
    places = own_enrolments(user=user).select_related("cohort__programme", "participant__user", "engagement")
    return get_object_or_404(places.prefetch_related("changes", "cohort__programme__extensions"), pk=pk)


def task_of(*, enrolment: Enrolment, number: int) -> AssessmentTask:
    """A task of the place's programme by its number; 404 when the programme has no such task."""
    return get_object_or_404(
        AssessmentTask.objects.select_related("scheme"),
        scheme__programme_id=enrolment.cohort.programme_id,
        number=number,
    )


# Where a participant stands on each task -------------------------------------------------------------


@dataclass
class TaskPosition:
    """One task of a participant's assessment as their page shows it: the window and deadline, what they have
    uploaded and submitted, their extension request, and what they can do next."""

    task: AssessmentTask
    window: AssessmentWindow | None
    deadline: deadlines.TaskDeadline | None
    submission: Submission | None
    versions: list[SubmissionVersion] = field(default_factory=list)  # newest first, files prefetched
    receipts: list[Receipt] = field(default_factory=list)  # newest first
    extension: Extension | None = None  # the latest request
    eligibility_problem: str = ""
    now: datetime.datetime = field(default_factory=timezone.now)
    # False for a summary (the home page): versions and receipts were not read.
    detailed: bool = True
    # The released result of the submission shown, and the earlier failed attempt a resubmission follows.
    result: Result | None = None
    earlier_result: Result | None = None
    reviews: list[ReviewRequest] = field(default_factory=list)  # of `result`, newest first (detailed only)

    @property
    def resubmitting(self) -> bool:
        return self.earlier_result is not None

    @property
    def may_ask_for_review(self) -> bool:
        """Within the mark scheme's days of release, with no request waiting."""
        if self.result is None or self.result.released_at is None:
            return False
        if any(r.status == ReviewRequest.Status.REQUESTED for r in self.reviews):
            return False
        return self.now < self.review_until

    @property
    def review_until(self) -> datetime.datetime:
        days = self.task.mark_scheme.review_days if hasattr(self.task, "mark_scheme") else 14
        return self.result.released_at + datetime.timedelta(days=days)  # type: ignore[union-attr]

    @property
    def opens_at(self) -> datetime.datetime | None:
        return deadlines.opens_at(self.window) if self.window else None

    @property
    def is_open(self) -> bool:
        return (
            self.window is not None
            and self.deadline is not None
            and self.opens_at is not None
            and self.opens_at <= self.now
            and self.deadline.on_time(self.now)
        )

    @property
    def has_opened(self) -> bool:
        return self.opens_at is not None and self.opens_at <= self.now

    @property
    def latest(self) -> SubmissionVersion | None:
        return self.versions[0] if self.versions else None

    @property
    def submitted(self) -> bool:
        return self.submission is not None and self.submission.is_submitted

    @property
    def has_upload(self) -> bool:
        if self.detailed:
            return bool(self.versions)
        return self.submission is not None and self.submission.status != Submission.Status.WITHDRAWN

    @property
    def latest_is_submitted(self) -> bool:
        if not self.detailed:
            return self.submitted
        return (
            self.submitted
            and self.latest is not None
            and self.submission is not None
            and self.submission.submitted_version_id == self.latest.pk
        )

    @property
    def can_upload(self) -> bool:
        return self.is_open and not self.eligibility_problem

    @property
    def can_submit_latest(self) -> bool:
        """The newest upload is waiting to be submitted and the deadline rule still lets it be."""
        latest = self.latest
        if latest is None or self.latest_is_submitted or self.deadline is None or self.eligibility_problem:
            return False
        return self.deadline.may_submit(
            upload_started_at=latest.upload_started_at, uploaded_at=latest.uploaded_at, now=self.now
        )

    @property
    def submit_until(self) -> datetime.datetime | None:
        """For the newest upload: the last moment it may be submitted (UK time on the page)."""
        if self.latest is None or self.deadline is None:
            return None
        return self.deadline.submit_until(self.latest.uploaded_at)

    @property
    def countdown(self) -> str:
        if self.deadline is None:
            return ""
        return deadlines.countdown(self.deadline.ends_at, self.now)

    @property
    def may_ask_for_extension(self) -> bool:
        return (
            self.deadline is not None
            and not self.submitted
            and (self.extension is None or self.extension.status != Extension.Status.REQUESTED)
        )

    @property
    def state(self) -> str:
        """In plain words, for the task list: what is due or done."""
        if self.window is None:
            return "Not open yet"
        if self.result is not None:
            return f"Result: {self.result.get_outcome_display().lower()}"
        if self.submitted:
            if self.latest_is_submitted:
                return "Submitted"
            return "Submitted (a newer upload is not submitted)"
        if not self.has_opened:
            return "Not open yet"
        if self.is_open:
            return "Uploaded, not submitted" if self.has_upload else "Open: nothing uploaded yet"
        if self.can_submit_latest:
            return "Uploaded in time, not submitted"
        return "Deadline passed: not submitted"


def _results_of(tried: list[Submission], task: AssessmentTask) -> tuple[Result | None, Result | None]:
    """Of a place's attempts at a task (oldest first): the latest attempt's released result, and the released
    fail with an attempt left that a resubmission follows (the latest attempt's, or the one before it)."""

    def released(submission: Submission) -> Result | None:
        result = getattr(submission, "result", None)
        return result if result is not None and result.released_at is not None else None

    def resubmittable(result: Result | None) -> bool:
        return result is not None and result.outcome == Result.Outcome.FAIL and result.resubmit_by is not None

    if not tried:
        return None, None
    latest = released(tried[-1])
    if resubmittable(latest) and tried[-1].attempt < task.attempts_allowed:
        return latest, latest
    if len(tried) > 1 and resubmittable(released(tried[-2])):
        return latest, released(tried[-2])
    return latest, None


def task_positions(*, enrolment: Enrolment, now: datetime.datetime | None = None) -> list[TaskPosition]:
    """Every task of the place's programme with where the participant stands on it, with every version, its
    files and the receipts, in a fixed number of queries (see task_positions_many)."""
    return task_positions_many(enrolments=[enrolment], now=now, detail=True)[enrolment.pk]


def task_positions_many(
    *, enrolments: list[Enrolment], now: datetime.datetime | None = None, detail: bool = False
) -> dict[int, list[TaskPosition]]:
    """Where each place stands on each task of its programme, by enrolment id, in the same number of queries
    however many places: tasks, windows, submissions (and with `detail`, their versions, files and receipts),
    extensions, overrides and stored engagement. Reads each place's `changes` and
    `cohort.programme.extensions` (prefetch them) for a deadline the participant chooses."""
    now = now or timezone.now()
    if not enrolments:
        return {}
    ids = [e.pk for e in enrolments]
    tasks_by_programme: dict[int, list[AssessmentTask]] = {}
    for task in (
        AssessmentTask.objects.filter(scheme__programme_id__in={e.cohort.programme_id for e in enrolments})
        .select_related("scheme", "mark_scheme")
        .order_by("number")
    ):
        tasks_by_programme.setdefault(task.scheme.programme_id, []).append(task)
    if not tasks_by_programme:
        return {e.pk: [] for e in enrolments}
    windows = {
        (w.cohort_id, w.task_id): w
        for w in AssessmentWindow.objects.filter(
            cohort_id__in={e.cohort_id for e in enrolments}
        ).select_related("task")
    }
    submissions_query = (
        Submission.objects.filter(enrolment_id__in=ids).select_related("result").order_by("attempt")
    )
    if detail:
        submissions_query = submissions_query.prefetch_related(
            Prefetch("result__reviews", queryset=ReviewRequest.objects.order_by("-requested_at", "-pk")),
            Prefetch(
                "versions",
                queryset=SubmissionVersion.objects.order_by("-number").prefetch_related(
                    Prefetch("files", queryset=SubmissionFile.objects.order_by(*MAIN_FIRST))
                ),
            ),
            Prefetch("receipts", queryset=Receipt.objects.order_by("-issued_at")),
        )
    attempts: dict[tuple[int, int], list[Submission]] = {}
    for submission in submissions_query:
        attempts.setdefault((submission.enrolment_id, submission.task_id), []).append(submission)
    extensions: dict[tuple[int, int], list[Extension]] = {}
    for extension in Extension.objects.filter(enrolment_id__in=ids).order_by("-requested_at", "-pk"):
        extensions.setdefault((extension.enrolment_id, extension.task_id), []).append(extension)
    overridden = set(
        SubmissionOverride.objects.filter(enrolment_id__in=ids, revoked_at__isnull=True).values_list(
            "enrolment_id", flat=True
        )
    )
    eligible = set(
        Engagement.objects.filter(enrolment_id__in=ids, eligible=True).values_list("enrolment_id", flat=True)
    )
    result: dict[int, list[TaskPosition]] = {}
    for enrolment in enrolments:
        changes = list(enrolment.changes.all())
        positions = []
        for task in tasks_by_programme.get(enrolment.cohort.programme_id, []):
            window = windows.get((enrolment.cohort_id, task.pk))
            requests = extensions.get((enrolment.pk, task.pk), [])
            granted = next((e for e in requests if e.status == Extension.Status.GRANTED), None)
            deadline = (
                deadlines.task_deadline(
                    window=window, enrolment=enrolment, extension=granted, changes=changes
                )
                if window
                else None
            )
            tried = attempts.get((enrolment.pk, task.pk), [])
            submission = tried[-1] if tried else None
            shown, earlier = _results_of(tried, task)
            if earlier is not None:
                deadline = deadlines.resubmission_deadline(task, earlier.resubmit_by)
                if earlier.submission_id == getattr(submission, "pk", None):
                    submission = None  # the next attempt: nothing uploaded for it yet
            problem = cannot_submit_because(
                enrolment, task, eligible=enrolment.pk in eligible or enrolment.pk in overridden
            )
            positions.append(
                TaskPosition(
                    task=task,
                    window=window,
                    deadline=deadline,
                    submission=submission,
                    versions=list(submission.versions.all()) if submission and detail else [],
                    receipts=list(submission.receipts.all()) if submission and detail else [],
                    extension=requests[0] if requests else None,
                    eligibility_problem=problem,
                    now=now,
                    detailed=detail,
                    result=shown,
                    earlier_result=earlier,
                    reviews=list(shown.reviews.all()) if shown is not None and detail else [],
                )
            )
        result[enrolment.pk] = positions
    return result


# Scoped look-ups --------------------------------------------------------------------------------------


def submission_scope(user: object, *, via: str) -> Q:
    """Rows of the user's own places, or of places at providers where they may see submissions."""
    scope = provider_q(user, Action.VIEW_SUBMISSIONS, via=f"{via}provider")
    if access_for(user).enrolled_provider_ids:
        scope |= Q(**{f"{via}participant__user": user})
    return scope


def submission_list(*, user: object) -> QuerySet[Submission]:
    """Submissions the user may see: their own, or every one at providers where they may see submissions."""
    return (
        Submission.objects.filter(submission_scope(user, via="enrolment__"))
        .select_related(
            "task", "enrolment__participant__user", "enrolment__cohort__programme", "submitted_version"
        )
        .order_by("pk")
    )


def own_submission(*, user: object, pk: int) -> Submission:
    return get_object_or_404(
        Submission.objects.filter(enrolment__participant__user=user).select_related("task", "enrolment"),
        pk=pk,
    )


def own_version(*, user: object, pk: int) -> SubmissionVersion:
    return get_object_or_404(
        SubmissionVersion.objects.filter(submission__enrolment__participant__user=user).select_related(
            "submission__enrolment", "submission__task"
        ),
        pk=pk,
    )


def own_extension(*, user: object, pk: int) -> Extension:
    return get_object_or_404(
        Extension.objects.filter(enrolment__participant__user=user).select_related("enrolment", "task"), pk=pk
    )


def submission_file_get(*, user: object, pk: int) -> SubmissionFile:
    """A stored file of the user's own submission, or of any at a provider where they may see submissions."""
    return get_object_or_404(
        SubmissionFile.objects.filter(
            submission_scope(user, via="version__submission__enrolment__")
        ).select_related("version__submission__task", "version__submission__enrolment__participant__user"),
        pk=pk,
    )


def latest_receipt(*, submission: Submission) -> Receipt | None:
    """The newest receipt of a submission the caller may already see: the one that stands, if submitted."""
    return submission.receipts.order_by("-issued_at", "-pk").first()


def receipt_get(*, user: object, reference: str) -> Receipt:
    """A receipt of the user's own submission, or of any at a provider where they may see submissions."""
    return get_object_or_404(
        Receipt.objects.filter(submission_scope(user, via="submission__enrolment__")).select_related(
            "submission__task",
            "submission__enrolment__participant__user",
            "submission__enrolment__cohort__programme",
        ),
        reference=reference.upper(),
    )
