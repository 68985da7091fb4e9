"""Reads the assessment API (assessment/api.py) needs beyond those the pages already share: windows, the
submission list with what each row's deadline reads, extension requests, and the largest file a participant
may upload. Scoped by npqel/access.py like every selector: a participant reads their own; provider admins (and
platform staff, read-only) those of the provider's places (Action.VIEW_SUBMISSIONS); another provider's row is
404, exactly like a missing one."""

from django.db.models import Max, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from assessment import selectors
from assessment.models import (
    MAIN_FIRST,
    AssessmentWindow,
    Extension,
    Receipt,
    Submission,
    SubmissionFile,
    SubmissionVersion,
)
from assessment.selectors import submission_scope
from npqel.access import Action, access_for, provider_q
from participants.models import Enrolment

MB = 1024 * 1024
# The cap while streaming for someone with no task to upload to: their upload is refused anyway, so the server
# reads no more of it than this.
NO_TASK_CAP_BYTES = 1 * MB


# Windows ---------------------------------------------------------------------------------------------------


def window_list(*, user: object) -> QuerySet[AssessmentWindow]:
    """Windows of cohorts at providers where the user sees submissions, and of the cohorts of the user's own
    places; each with its cohort, programme and task (joins: one query per page)."""
    scope = provider_q(user, Action.VIEW_SUBMISSIONS, via="cohort__programme__provider")
    if access_for(user).enrolled_provider_ids:
        # A subquery, not a join: a participant with two places in one cohort still sees each window once.
        scope |= Q(cohort__in=Enrolment.objects.filter(participant__user=user).values("cohort"))
    return AssessmentWindow.objects.filter(scope).select_related("cohort__programme", "task").order_by("pk")


def window_get(*, user: object, pk: int) -> AssessmentWindow:
    return get_object_or_404(window_list(user=user), pk=pk)


# Submissions -----------------------------------------------------------------------------------------------


def submission_list_with_deadlines(*, user: object) -> QuerySet[Submission]:
    """selectors.submission_list with every version and its files, the receipts, and what each row's deadline
    reads (the cohort's windows, granted extensions, status changes, the programme's deadline policies),
    prefetched: the same number of queries for any number of rows."""
    return selectors.submission_list(user=user).prefetch_related(
        Prefetch(
            "versions",
            queryset=SubmissionVersion.objects.order_by("number").prefetch_related(
                Prefetch("files", queryset=SubmissionFile.objects.order_by(*MAIN_FIRST))
            ),
        ),
        Prefetch("receipts", queryset=Receipt.objects.order_by("issued_at", "pk")),
        "enrolment__changes",
        "enrolment__cohort__programme__extensions",
        Prefetch(
            "enrolment__cohort__assessment_windows",
            queryset=AssessmentWindow.objects.select_related("task"),
        ),
        Prefetch(
            "enrolment__extensions",
            queryset=Extension.objects.filter(status=Extension.Status.GRANTED).order_by("-decided_at", "-pk"),
            to_attr="granted_extensions",
        ),
    )


def submission_get_with_deadline(*, user: object, pk: int) -> Submission:
    return get_object_or_404(submission_list_with_deadlines(user=user), pk=pk)


def own_versions(*, user: object) -> QuerySet[SubmissionVersion]:
    """Versions the signed-in participant uploaded to their own places (what submitting acts on)."""
    if not access_for(user).enrolled_provider_ids:
        return SubmissionVersion.objects.none()
    return SubmissionVersion.objects.filter(submission__enrolment__participant__user=user).order_by("pk")


def receipt_list(*, user: object) -> QuerySet[Receipt]:
    """Receipts of the user's own submissions, or of any at providers where they may see submissions (the
    scope of selectors.receipt_get, which reads one by its reference)."""
    return Receipt.objects.filter(submission_scope(user, via="submission__enrolment__")).order_by("pk")


def upload_cap_bytes(*, user: object) -> int:
    """The most a file may weigh in any task of the user's own places: the cap while an upload streams in,
    before the request says which task it is for (the task's own limit is checked once it is in). Someone not
    signed in gets the smallest cap (the request is refused once authentication runs)."""
    if not getattr(user, "is_authenticated", False):
        return NO_TASK_CAP_BYTES
    largest = (
        Enrolment.objects.filter(participant__user=user)
        .aggregate(largest=Max("cohort__programme__assessment_scheme__tasks__max_file_mb"))
        .get("largest")
    )
    return largest * MB if largest else NO_TASK_CAP_BYTES


# Extensions ------------------------------------------------------------------------------------------------


def extension_list(*, user: object) -> QuerySet[Extension]:
    """Extension requests the user may see: their own, or every one at providers where they may see
    submissions; oldest first (the order they wait in), each with its task and place."""
    return (
        Extension.objects.filter(submission_scope(user, via="enrolment__"))
        .select_related("task", "enrolment")
        .order_by("pk")
    )


def extension_get(*, user: object, pk: int) -> Extension:
    return get_object_or_404(extension_list(user=user), pk=pk)
