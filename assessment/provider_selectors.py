"""Every read behind the provider's assessment pages: a programme's scheme and tasks, a cohort's windows and
where each place stands on each task, the scripts to download, the extension queue and eligibility
exceptions. Scoped by npqel/access.py: Action.VIEW_SUBMISSIONS to look (provider admins; platform staff
everywhere), Action.MANAGE_ASSESSMENT to change (provider admins). A role that may never open such a page
gets 403; another provider's programme, cohort, task, request or place answers 404 like a missing one.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from assessment import deadlines
from assessment.models import (
    MAIN_FIRST,
    AssessmentScheme,
    AssessmentTask,
    AssessmentWindow,
    Extension,
    Receipt,
    Submission,
    SubmissionFile,
    SubmissionOverride,
    SubmissionVersion,
)
from assessment.services import live_override
from npqel.access import Action, access_for, provider_q, require_page
from participants.models import Engagement, Enrolment
from programmes.models import Cohort, Programme, Provider

Status = Enrolment.Status
# Places on the cohort's assessment table: under way or finished. Applications not yet accepted and withdrawn
# places appear only if they have a submission.
ASSESSED_STATUSES = (Status.ACTIVE, Status.DEFERRED, Status.COMPLETED, Status.FAILED)
# Places for which a passed deadline with nothing submitted counts as late (an ended place is not late).
# A deferred place cannot submit until it resumes, so it is shown as deferred, never as late.
LATE_STATUSES = frozenset({Status.ACTIVE})
RECENT_DECISIONS = 20

# ?show= on the cohort page: what each filter shows.
SHOW_CHOICES = {
    "all": "Everyone",
    "submitted": "Submitted",
    "not_submitted": "Not submitted",
    "extension": "With an extension",
    "late": "Late",
}


def _files_first(queryset: QuerySet[SubmissionVersion]) -> QuerySet[SubmissionVersion]:
    return queryset.prefetch_related(
        Prefetch("files", queryset=SubmissionFile.objects.order_by(*MAIN_FIRST)),
        Prefetch("receipts", queryset=Receipt.objects.order_by("-issued_at", "-pk")),
    )


# A programme's scheme and tasks -----------------------------------------------------------------------


def programme_for_assessment(*, user: object, pk: int) -> Programme:
    """A programme whose assessment the user may see."""
    require_page(user, Action.VIEW_SUBMISSIONS)
    return get_object_or_404(
        Programme.objects.filter(provider_q(user, Action.VIEW_SUBMISSIONS)).select_related("provider"), pk=pk
    )


def programme_for_scheme_change(*, user: object, pk: int) -> Programme:
    """A programme whose assessment the user may set up."""
    require_page(user, Action.MANAGE_ASSESSMENT)
    return get_object_or_404(
        Programme.objects.filter(provider_q(user, Action.MANAGE_ASSESSMENT)).select_related("provider"), pk=pk
    )


def scheme_of(*, programme: Programme) -> AssessmentScheme | None:
    """The programme's scheme with its tasks in order (`scheme.task_list`), or None before it is set up."""
    scheme = AssessmentScheme.objects.filter(programme=programme).first()
    if scheme is not None:
        scheme.task_list = list(scheme.tasks.order_by("number"))  # type: ignore[attr-defined]
    return scheme


def programme_cohorts(*, programme: Programme) -> list[Cohort]:
    """The programme's cohorts, newest first, each with its assessment windows (`window_list`)."""
    return list(
        Cohort.objects.filter(programme=programme)
        .prefetch_related(
            Prefetch(
                "assessment_windows",
                queryset=AssessmentWindow.objects.select_related("task").order_by("task__number"),
                to_attr="window_list",
            )
        )
        .order_by("-start_date", "pk")
    )


def task_for_change(*, user: object, pk: int) -> AssessmentTask:
    """A task whose rules the user may change, with its scheme and programme."""
    require_page(user, Action.MANAGE_ASSESSMENT)
    return get_object_or_404(
        AssessmentTask.objects.filter(
            provider_q(user, Action.MANAGE_ASSESSMENT, via="scheme__programme__provider")
        ).select_related("scheme__programme__provider"),
        pk=pk,
    )


# A cohort's assessment ----------------------------------------------------------------------------------


def cohort_for_assessment(*, user: object, pk: int, action: Action = Action.VIEW_SUBMISSIONS) -> Cohort:
    """A cohort whose assessment the user may see (or, with MANAGE_ASSESSMENT, change)."""
    require_page(user, action)
    return get_object_or_404(
        Cohort.objects.filter(provider_q(user, action, via="programme__provider")).select_related(
            "programme__provider"
        ),
        pk=pk,
    )


def cohort_task(*, cohort: Cohort, number: int) -> AssessmentTask:
    """A task of the cohort's programme by its number (404 if there is none), with the cohort's window for it
    (`task.window`, or None)."""
    task = get_object_or_404(
        AssessmentTask.objects.select_related("scheme"),
        scheme__programme_id=cohort.programme_id,
        number=number,
    )
    task.window = AssessmentWindow.objects.filter(cohort=cohort, task=task).first()  # type: ignore[attr-defined]
    return task


@dataclass
class PlaceTask:
    """Where one place stands on one task: its deadline (extension included), submission, newest upload and
    extension requests, as the cohort's table shows it."""

    enrolment: Enrolment
    task: AssessmentTask
    window: AssessmentWindow | None
    deadline: deadlines.TaskDeadline | None
    submission: Submission | None
    versions: list[SubmissionVersion]  # newest first, with files and receipt loaded
    granted: Extension | None  # the latest granted extension (it sets the deadline)
    request: Extension | None  # the latest request, whatever became of it
    eligible: bool  # meets the engagement rule, or has an exception recorded
    now: datetime.datetime

    @property
    def submitted(self) -> bool:
        return self.submission is not None and self.submission.is_submitted

    @property
    def shown_version(self) -> SubmissionVersion | None:
        """The version submitted, else the newest upload."""
        if self.submitted and self.submission is not None:
            return next((v for v in self.versions if v.pk == self.submission.submitted_version_id), None)
        return self.versions[0] if self.versions else None

    @property
    def files(self) -> list[SubmissionFile]:
        version = self.shown_version
        return list(version.files.all()) if version else []

    @property
    def receipt(self) -> object:
        version = self.shown_version
        return next(iter(version.receipts.all()), None) if self.submitted and version else None

    @property
    def waiting(self) -> bool:
        """An extension request is waiting for a decision."""
        return self.request is not None and self.request.status == Extension.Status.REQUESTED

    @property
    def has_extension(self) -> bool:
        return self.granted is not None or self.waiting

    @property
    def may_still_submit_upload(self) -> bool:
        """The newest upload began before the deadline and the grace for ticking the declaration is running."""
        latest = self.versions[0] if self.versions else None
        return (
            latest is not None
            and self.deadline is not None
            and self.deadline.may_submit(
                upload_started_at=latest.upload_started_at, uploaded_at=latest.uploaded_at, now=self.now
            )
        )

    @property
    def late(self) -> bool:
        """The deadline has passed with nothing submitted (for a place still under way)."""
        return (
            not self.submitted
            and self.enrolment.status in LATE_STATUSES
            and self.deadline is not None
            and not self.deadline.on_time(self.now)
            and not self.may_still_submit_upload
        )

    @property
    def shows_in(self) -> frozenset[str]:
        """The ?show= filters this row belongs to."""
        shows = {"all", "submitted" if self.submitted else "not_submitted"}
        if self.late:
            shows.add("late")
        if self.has_extension:
            shows.add("extension")
        return frozenset(shows)

    @property
    def state(self) -> str:
        """In plain words: submitted, uploaded, late or not yet."""
        if self.submitted and self.submission is not None:
            if self.submission.status == Submission.Status.LATE_WITH_EXTENSION:
                state = "Submitted under an extension"
            else:
                state = "Submitted on time"
            if self.versions and self.versions[0].pk != self.submission.submitted_version_id:
                # The download holds the version submitted, not this newer one.
                state += " (a newer upload is not submitted)"
            return state
        uploaded = bool(self.versions)
        if self.enrolment.status == Status.DEFERRED:
            return "Deferred: cannot submit until their place resumes"
        if self.late:
            return "Late: uploaded, not submitted" if uploaded else "Late: nothing submitted"
        if self.submission is not None and self.submission.status == Submission.Status.WITHDRAWN:
            return "Withdrawn by them, not submitted again"
        if uploaded:
            return "Uploaded, not submitted"
        if self.window is None:
            return "Window not set"
        if self.now < deadlines.opens_at(self.window):
            return "Not open yet"
        return "Nothing uploaded yet"

    @property
    def tag_colour(self) -> str:
        if self.submitted:
            return "green"
        if self.late:
            return "red"
        if self.versions:
            return "yellow"
        return "grey"


@dataclass
class TaskTable:
    """One task of a cohort's assessment: its window, and every place's row."""

    task: AssessmentTask
    window: AssessmentWindow | None
    rows: list[PlaceTask]
    now: datetime.datetime
    shown: list[PlaceTask] = field(default_factory=list)  # rows matching the filter

    @property
    def submitted(self) -> int:
        return sum(1 for row in self.rows if row.submitted)

    @property
    def late(self) -> int:
        return sum(1 for row in self.rows if row.late)

    @property
    def not_yet(self) -> int:
        return sum(1 for row in self.rows if not row.submitted and not row.late)

    @property
    def with_extension(self) -> int:
        return sum(1 for row in self.rows if row.has_extension)

    @property
    def opens_at(self) -> datetime.datetime | None:
        return deadlines.opens_at(self.window) if self.window else None

    @property
    def has_opened(self) -> bool:
        return self.opens_at is not None and self.opens_at <= self.now

    @property
    def fixed_deadline(self) -> deadlines.TaskDeadline | None:
        """A fixed window's deadline for the whole cohort (before any extension); None for a chosen window."""
        if self.window is None or self.window.closes_on is None:
            return None
        day = self.window.closes_on
        end = deadlines.ends_at(day, self.task.deadline_time)
        return deadlines.TaskDeadline(
            last_day=day,
            ends_at=end,
            deadline_time=self.task.deadline_time,
            extended=False,
            original_ends_at=end,
        )


def _latest_per(items: list, key: str) -> dict[object, object]:
    """The first item for each value of `key` (the list already newest first)."""
    latest: dict[object, object] = {}
    for item in items:
        latest.setdefault(getattr(item, key), item)
    return latest


def cohort_assessment(
    *, user: object, cohort: Cohort, show: str = "all", now: datetime.datetime | None = None
) -> list[TaskTable]:
    """For each task of the cohort's programme, its window and where every place stands on it, rows in name
    order and `shown` narrowed by `show` (a SHOW_CHOICES key). The cohort comes from cohort_for_assessment.
    A fixed number of queries whatever the number of places."""
    now = now or timezone.now()
    tasks = list(AssessmentTask.objects.filter(scheme__programme_id=cohort.programme_id).order_by("number"))
    if not tasks:
        return []
    windows = {w.task_id: w for w in AssessmentWindow.objects.filter(cohort=cohort, task__in=tasks)}
    by_pk = {task.pk: task for task in tasks}
    for window in windows.values():
        window.task = by_pk[window.task_id]  # task_deadline reads it: no query per row
    has_submission = Submission.objects.filter(enrolment=OuterRef("pk"), task__in=tasks)
    places = list(
        Enrolment.objects.filter(provider_q(user, Action.VIEW_SUBMISSIONS), cohort=cohort)
        .filter(Q(status__in=ASSESSED_STATUSES) | Q(Exists(has_submission)))
        .select_related("participant__user", "cohort__programme", "engagement")
        .prefetch_related("changes", "cohort__programme__extensions")
    )
    places.sort(key=lambda e: (e.participant.user.display_name.casefold(), e.pk))
    place_ids = [e.pk for e in places]
    submissions = Submission.objects.filter(enrolment_id__in=place_ids, task__in=tasks).prefetch_related(
        Prefetch("versions", queryset=_files_first(SubmissionVersion.objects.order_by("-number")))
    )
    latest_attempt: dict[tuple[int, int], Submission] = {}
    for submission in submissions.order_by("-attempt"):
        latest_attempt.setdefault((submission.enrolment_id, submission.task_id), submission)
    granted: dict[tuple[int, int], Extension] = {}
    requests: dict[tuple[int, int], Extension] = {}
    for extension in Extension.objects.filter(enrolment_id__in=place_ids, task__in=tasks).order_by(
        "-requested_at", "-pk"
    ):
        key = (extension.enrolment_id, extension.task_id)
        requests.setdefault(key, extension)
        if extension.status == Extension.Status.GRANTED:
            granted.setdefault(key, extension)
    overridden = set(
        SubmissionOverride.objects.filter(enrolment_id__in=place_ids, revoked_at__isnull=True).values_list(
            "enrolment_id", flat=True
        )
    )
    tables = []
    for task in tasks:
        window = windows.get(task.pk)
        rows = []
        for enrolment in places:
            key = (enrolment.pk, task.pk)
            changes = list(enrolment.changes.all())
            deadline = (
                deadlines.task_deadline(
                    window=window, enrolment=enrolment, extension=granted.get(key), changes=changes
                )
                if window
                else None
            )
            submission = latest_attempt.get(key)
            rows.append(
                PlaceTask(
                    enrolment=enrolment,
                    task=task,
                    window=window,
                    deadline=deadline,
                    submission=submission,
                    versions=list(submission.versions.all()) if submission else [],
                    granted=granted.get(key),
                    request=requests.get(key),
                    eligible=_eligible(enrolment) or enrolment.pk in overridden,
                    now=now,
                )
            )
        table = TaskTable(task=task, window=window, rows=rows, now=now)
        table.shown = [row for row in rows if show in row.shows_in]
        tables.append(table)
    return tables


def _eligible(enrolment: Enrolment) -> bool:
    try:
        return enrolment.engagement.eligible
    except Engagement.DoesNotExist:
        return False


# Scripts to download -------------------------------------------------------------------------------------


def scripts(*, user: object, cohort: Cohort, task: AssessmentTask) -> list[Submission]:
    """The submitted scripts of a task on a cohort, each place's latest submitted attempt, in candidate-number
    order, with the submitted version's files (`submitted_version.files`) and the participant loaded."""
    submitted = (
        Submission.objects.filter(
            provider_q(user, Action.VIEW_SUBMISSIONS, via="enrolment__provider"),
            enrolment__cohort=cohort,
            task=task,
            status__in=[Submission.Status.SUBMITTED, Submission.Status.LATE_WITH_EXTENSION],
        )
        .select_related("enrolment__participant__user", "submitted_version")
        .prefetch_related(
            Prefetch("submitted_version__files", queryset=SubmissionFile.objects.order_by(*MAIN_FIRST))
        )
        .order_by("enrolment_id", "-attempt")
    )
    latest = _latest_per(list(submitted), "enrolment_id")
    return sorted(latest.values(), key=lambda s: s.candidate_number)  # type: ignore[attr-defined]


# Extensions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    extension: Extension
    deadline: deadlines.TaskDeadline | None  # their deadline now (None: the window has since been removed)


def provider_for_assessment(*, user: object, slug: str) -> Provider:
    """A provider whose assessment pages (extension requests, reviews, moderation, marking quality) the user may
    see: its admins, and platform staff."""
    require_page(user, Action.VIEW_SUBMISSIONS)
    return get_object_or_404(
        Provider.objects.filter(provider_q(user, Action.VIEW_SUBMISSIONS, via="pk")), slug=slug
    )


def _extensions_of(provider: Provider) -> QuerySet[Extension]:
    return Extension.objects.filter(enrolment__provider=provider).select_related(
        "enrolment__participant__user", "enrolment__cohort__programme", "task", "decided_by"
    )


def extension_queue(*, provider: Provider) -> tuple[list[QueueEntry], list[Extension]]:
    """The provider's requests waiting for a decision, oldest first, each with the participant's deadline now;
    and the latest decisions, newest first. A fixed number of queries whatever the number of requests."""
    waiting = list(
        _extensions_of(provider)
        .filter(status=Extension.Status.REQUESTED)
        .prefetch_related("enrolment__changes", "enrolment__cohort__programme__extensions")
        .order_by("requested_at", "pk")
    )
    windows: dict[tuple[int, int], AssessmentWindow] = {}
    granted: dict[tuple[int, int], Extension] = {}
    if waiting:
        pairs = Q()
        for extension in waiting:
            pairs |= Q(cohort_id=extension.enrolment.cohort_id, task_id=extension.task_id)
        for window in AssessmentWindow.objects.filter(pairs).select_related("task"):
            windows[(window.cohort_id, window.task_id)] = window
        for extension in Extension.objects.filter(
            enrolment_id__in={e.enrolment_id for e in waiting},
            task_id__in={e.task_id for e in waiting},
            status=Extension.Status.GRANTED,
        ).order_by("-decided_at", "-pk"):
            granted.setdefault((extension.enrolment_id, extension.task_id), extension)
    entries = []
    for extension in waiting:
        enrolment = extension.enrolment
        window = windows.get((enrolment.cohort_id, extension.task_id))
        deadline = (
            deadlines.task_deadline(
                window=window,
                enrolment=enrolment,
                extension=granted.get((enrolment.pk, extension.task_id)),
                changes=list(enrolment.changes.all()),
            )
            if window
            else None
        )
        entries.append(QueueEntry(extension=extension, deadline=deadline))
    decided = list(
        _extensions_of(provider)
        .filter(status__in=[Extension.Status.GRANTED, Extension.Status.REFUSED])
        .order_by("-decided_at", "-pk")[:RECENT_DECISIONS]
    )
    return entries, decided


def extension_for_decision(*, user: object, pk: int) -> Extension:
    """A request the user may decide (any status: a decided one shows its decision)."""
    require_page(user, Action.MANAGE_ASSESSMENT)
    return get_object_or_404(
        Extension.objects.filter(
            provider_q(user, Action.MANAGE_ASSESSMENT, via="enrolment__provider")
        ).select_related(
            "enrolment__participant__user", "enrolment__cohort__programme__provider", "task", "decided_by"
        ),
        pk=pk,
    )


def extension_with_evidence(*, user: object, pk: int) -> Extension:
    """A request whose evidence the user may download: a provider admin of its provider, or the participant
    who asked. Evidence is often medical, so platform staff (who only look) do not open it."""
    access = access_for(user)
    if access.anywhere(Action.MANAGE_ASSESSMENT):
        scope = provider_q(user, Action.MANAGE_ASSESSMENT, via="enrolment__provider")
        if access.enrolled_provider_ids:
            scope |= Q(enrolment__participant__user=user)
    elif access.enrolled_provider_ids:
        scope = Q(enrolment__participant__user=user)
    else:
        raise PermissionDenied("Only the provider's admins and the participant can open evidence.")
    return get_object_or_404(Extension.objects.filter(scope).exclude(evidence=""), pk=pk)


# Eligibility exceptions -------------------------------------------------------------------------------


def place_for_exception(*, user: object, pk: int) -> Enrolment:
    """A place whose eligibility exception the user may see, with its participant, programme and engagement."""
    require_page(user, Action.VIEW_SUBMISSIONS)
    return get_object_or_404(
        Enrolment.objects.filter(provider_q(user, Action.VIEW_SUBMISSIONS)).select_related(
            "participant__user", "cohort__programme__provider", "engagement"
        ),
        pk=pk,
    )


def place_for_exception_change(*, user: object, pk: int) -> Enrolment:
    """A place whose eligibility exception the user may record or take back."""
    require_page(user, Action.MANAGE_ASSESSMENT)
    return get_object_or_404(
        Enrolment.objects.filter(provider_q(user, Action.MANAGE_ASSESSMENT)).select_related(
            "participant__user", "cohort__programme"
        ),
        pk=pk,
    )


def exception_history(*, enrolment: Enrolment) -> list[SubmissionOverride]:
    """Every exception recorded for the place (already scoped by the caller), newest first."""
    return list(
        SubmissionOverride.objects.filter(enrolment=enrolment)
        .select_related("recorded_by", "revoked_by")
        .order_by("-recorded_at", "-pk")
    )


def tasks_needing_eligibility(*, enrolment: Enrolment) -> list[AssessmentTask]:
    """The tasks of the place's programme that only eligible participants (or those with an exception) may
    submit."""
    return list(
        AssessmentTask.objects.filter(
            scheme__programme_id=enrolment.cohort.programme_id, eligibility_required=True
        ).order_by("number")
    )


def live_exception(*, enrolment: Enrolment) -> SubmissionOverride | None:
    """The place's exception in force, if any (the place already scoped by the caller)."""
    return live_override(enrolment)


def current_deadline(*, extension: Extension) -> deadlines.TaskDeadline | None:
    """The participant's deadline on the request's task now, any extension already granted included (None: the
    cohort has no window for the task)."""
    from assessment.services import deadline_of

    return deadline_of(extension.enrolment, extension.task)
