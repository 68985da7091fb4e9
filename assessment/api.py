"""The assessment API: windows, submissions (metadata, upload, submit), receipts and extension requests.

Reads go through selectors and writes through assessment.services, as the pages do, so the API cannot do
anything a page refuses. Who may do what (npqel/access.py):
- windows, submissions, receipts and extension requests are read by the participant for their own places,
  and by provider admins (and platform staff, read-only) for every place at the provider
  (Action.VIEW_SUBMISSIONS); another provider's row is 404, like a missing one;
- only a participant uploads, submits and asks for more time, for their own place: a role that never holds a
  place gets 403 before anything is read, and a place or version that is not theirs reads like a missing one;
- a provider admin decides extension requests (Action.MANAGE_ASSESSMENT).

The services have the last word on the rules (the window, the deadline, eligibility, the file's type and word
count), and their refusal comes back as a 400 saying what to fix (under `fields`, by the request field it
concerns, where it concerns one).

Files are never served or named by their stored path: a version lists each file's role, the name it was
uploaded under, its type (decided from its content), size, SHA-256 and the server's word count.
"""

import datetime
from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from assessment import api_selectors, deadlines, provider_selectors, selectors, services
from assessment.models import (
    AssessmentTask,
    AssessmentWindow,
    Extension,
    Receipt,
    Submission,
    SubmissionFile,
    SubmissionVersion,
)
from assessment.uploads import SizeCappedUploadHandler, cap_uploads, refusal, request_started_at
from npqel.access import Action, access_for, require_page
from npqel.api import ERROR_RESPONSES, ErrorSerializer
from npqel.errors import DomainError
from participants.models import Enrolment
from programmes.api import MAX_ID, IdFilter, ThisCenturyDateField, ValidInput, url_pk

NOT_A_PARTICIPANT = "Only a participant can {what}, for their own place."
NOT_A_DECIDER = "Only a provider admin can decide requests for more time."
UPLOAD_ERRORS = {
    **ERROR_RESPONSES,
    415: OpenApiResponse(ErrorSerializer, description="Not sent as multipart/form-data"),
}
FILE_LABELS = {"main": "main document", "appendices": "appendices", "evidence": "evidence"}
TASK_NUMBER_MAX = 32767  # a task's number is a PostgreSQL smallint


def require_participant(user: object, what: str) -> None:
    """403 before anything is read, for a role that never holds a place."""
    if not access_for(user).enrolled_provider_ids:
        raise PermissionDenied(NOT_A_PARTICIPANT.format(what=what))


def _asker(request: Request) -> object:
    """Who is asking, found without reading the body: the session's user from its cookie, or else the key's
    owner from its header (a key is checked from the header alone)."""
    session_user = request._request.user
    return session_user if session_user.is_authenticated else request.user


def _capped(handler: SizeCappedUploadHandler | None) -> None:
    """A 400 saying how large the file was and what is allowed, if the cap dropped a file while it streamed:
    on the file's field, like the document check's other refusals (a body refused whole names no field)."""
    if handler is None:
        return
    message = refusal(handler, FILE_LABELS)
    if message:
        raise DomainError(message, field=next(iter(handler.refused), None))


# Windows ---------------------------------------------------------------------------------------------------


class WindowTaskSerializer(serializers.ModelSerializer):
    file_types = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text='What may be uploaded, decided from the file\'s content: "pdf", "docx" or both.',
    )
    appendix_word_limit = serializers.IntegerField(
        read_only=True, help_text="0: the task takes no appendices (everything goes in the main document)."
    )
    deadline_time = serializers.SerializerMethodField(
        help_text="UK wall-clock time on the last day up to which submissions are on time, to the end of that "
        'minute, as HH:MM ("23:59"). No UTC offset: it is GMT or BST as that day has it.'
    )

    class Meta:
        model = AssessmentTask
        fields = [
            "number",
            "title",
            "main_word_limit",
            "appendix_word_limit",
            "file_types",
            "max_file_mb",
            "window_kind",
            "window_days",
            "deadline_time",
            "attempts_allowed",
            "eligibility_required",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "23:59"})
    def get_deadline_time(self, task: AssessmentTask) -> str:
        return deadlines.clock(task.deadline_time)


class WindowSerializer(serializers.ModelSerializer):
    cohort = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The cohort's id.")
    cohort_code = serializers.CharField(source="cohort.code", read_only=True)
    task = WindowTaskSerializer(read_only=True)
    closes_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="A fixed window's last day; null for a window each participant chooses before their own "
        "deadline (see each submission's deadline).",
    )
    opens_at = serializers.SerializerMethodField(
        help_text="The moment it opens: 00:00 UK time on opens_on, with its UTC offset."
    )
    opened = serializers.SerializerMethodField(help_text="It has opened, as the request was answered.")
    case_study_title = serializers.SerializerMethodField(
        help_text="Null for a participant until the window opens; provider admins always see it."
    )
    case_study = serializers.SerializerMethodField(
        help_text="The case study's brief and questions. Null for a participant until the window opens; "
        "provider admins always see it."
    )

    class Meta:
        model = AssessmentWindow
        fields = [
            "id",
            "cohort",
            "cohort_code",
            "task",
            "opens_on",
            "closes_on",
            "opens_at",
            "opened",
            "case_study_title",
            "case_study",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_opens_at(self, window: AssessmentWindow) -> datetime.datetime:
        return timezone.localtime(deadlines.opens_at(window))

    def get_opened(self, window: AssessmentWindow) -> bool:
        return deadlines.opens_at(window) <= self.context.get("now", timezone.now())

    def _shown(self, window: AssessmentWindow) -> bool:
        user = self.context["request"].user
        may_see = access_for(user).may(Action.VIEW_SUBMISSIONS, window.cohort.programme.provider_id)
        return may_see or self.get_opened(window)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_case_study_title(self, window: AssessmentWindow) -> str | None:
        return window.case_study_title if self._shown(window) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_case_study(self, window: AssessmentWindow) -> str | None:
        return window.case_study if self._shown(window) else None


class WindowFilter(django_filters.FilterSet):
    cohort = IdFilter(field_name="cohort_id", help_text="Only this cohort's windows (its id).")

    class Meta:
        model = AssessmentWindow
        fields = ["cohort"]


@extend_schema_view(
    list=extend_schema(responses={200: WindowSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: WindowSerializer, **ERROR_RESPONSES}),
)
class AssessmentWindowViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """When each cohort may submit each task of its programme's final assessment: your own cohorts' windows,
    or every cohort's at providers where you see submissions. The case study is shown to participants only
    once its window opens."""

    serializer_class = WindowSerializer
    filterset_class = WindowFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return api_selectors.window_list(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        window = api_selectors.window_get(user=request.user, pk=url_pk(kwargs))
        return Response(self.get_serializer(window).data)


# Submissions -----------------------------------------------------------------------------------------------


class SubmissionFileSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(
        choices=SubmissionFile.Role.choices,
        read_only=True,
        help_text="main: the main document; appendices: the appendices.",
    )
    original_name = serializers.CharField(
        read_only=True,
        help_text="The name it was uploaded under, only to show back (it is stored under another).",
    )
    kind = serializers.CharField(read_only=True, help_text='"pdf" or "docx", decided from the content.')
    size = serializers.IntegerField(read_only=True, help_text="In bytes.")
    sha256 = serializers.CharField(read_only=True, help_text="SHA-256 of the exact bytes, in hex.")
    words = serializers.IntegerField(
        read_only=True, help_text="The server's word count, by the rule in docs/word-count.md."
    )
    pages = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="A PDF's pages; null for Word."
    )

    class Meta:
        model = SubmissionFile
        fields = ["role", "original_name", "kind", "size", "sha256", "words", "pages"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    submission = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The submission's id.")
    number = serializers.IntegerField(read_only=True, help_text="1 for the first upload, then 2, 3…")
    upload_started_at = serializers.DateTimeField(
        read_only=True, help_text="When the server began receiving the upload: the deadline rule reads this."
    )
    uploaded_at = serializers.DateTimeField(read_only=True, help_text="When the server had all of it.")
    files = SubmissionFileSerializer(
        many=True, read_only=True, help_text="The main document, then appendices."
    )

    class Meta:
        model = SubmissionVersion
        fields = ["id", "submission", "number", "upload_started_at", "uploaded_at", "files"]
        read_only_fields = fields


class ReceiptSummarySerializer(serializers.ModelSerializer):
    version = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Id of the version submitted.")

    class Meta:
        model = Receipt
        fields = ["reference", "issued_at", "version", "late_with_extension"]
        read_only_fields = fields


def row_deadline(submission: Submission) -> deadlines.TaskDeadline | None:
    """The participant's deadline on the submission's task, from what the list prefetched (None: no window)."""
    if not hasattr(submission, "_api_deadline"):
        enrolment = submission.enrolment
        window = next(
            (w for w in enrolment.cohort.assessment_windows.all() if w.task_id == submission.task_id), None
        )
        extension = next((e for e in enrolment.granted_extensions if e.task_id == submission.task_id), None)
        submission._api_deadline = (  # type: ignore[attr-defined]
            deadlines.task_deadline(
                window=window, enrolment=enrolment, extension=extension, changes=list(enrolment.changes.all())
            )
            if window
            else None
        )
    return submission._api_deadline  # type: ignore[attr-defined]


class SubmissionSerializer(serializers.ModelSerializer):
    candidate_number = serializers.CharField(
        read_only=True, help_text="The candidate's number, which assessors see instead of a name."
    )
    enrolment = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The place's id.")
    cohort = serializers.IntegerField(
        source="enrolment.cohort_id", read_only=True, help_text="The cohort's id."
    )
    task = serializers.IntegerField(
        source="task.number", read_only=True, help_text="The task's number in the programme's assessment."
    )
    task_title = serializers.CharField(source="task.title", read_only=True)
    submitted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the declaration was made; null until submitted."
    )
    submitted_version = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the version submitted; null until submitted."
    )
    deadline = serializers.SerializerMethodField(
        help_text="The first moment that is late, with its UTC offset: an upload must begin before it (the "
        "task's deadline time on the last day, to the end of that minute, UK time). Extension included; null "
        "while the cohort has no window for the task."
    )
    deadline_text = serializers.SerializerMethodField(
        help_text='The deadline as people read it: "23:59 on Sunday 29 March 2026 (UK time)".'
    )
    extended = serializers.SerializerMethodField(help_text="The deadline comes from a granted extension.")
    versions = VersionSerializer(
        many=True, read_only=True, help_text="Every upload, oldest first; none is deleted."
    )
    receipts = ReceiptSummarySerializer(many=True, read_only=True, help_text="One per submit, oldest first.")

    class Meta:
        model = Submission
        fields = [
            "id",
            "candidate_number",
            "enrolment",
            "cohort",
            "task",
            "task_title",
            "attempt",
            "status",
            "submitted_at",
            "submitted_version",
            "deadline",
            "deadline_text",
            "extended",
            "versions",
            "receipts",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_deadline(self, submission: Submission) -> datetime.datetime | None:
        deadline = row_deadline(submission)
        return timezone.localtime(deadline.ends_at) if deadline else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_deadline_text(self, submission: Submission) -> str | None:
        deadline = row_deadline(submission)
        return deadline.text() if deadline else None

    def get_extended(self, submission: Submission) -> bool:
        deadline = row_deadline(submission)
        return bool(deadline and deadline.extended)


class SubmissionFilter(django_filters.FilterSet):
    cohort = IdFilter(field_name="enrolment__cohort_id", help_text="Only this cohort's submissions (its id).")
    enrolment = IdFilter(field_name="enrolment_id", help_text="Only this place's submissions (its id).")
    task = IdFilter(field_name="task__number", help_text="Only this task, by its number (1, 2…).")

    class Meta:
        model = Submission
        fields = ["cohort", "enrolment", "task", "status"]


class PlaceAndTaskSerializer(serializers.Serializer):
    """One of the caller's own places and a task of its programme, by number."""

    enrolment = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of your place (GET /api/v1/enrolments/ lists yours)."
    )
    task = serializers.IntegerField(
        min_value=1,
        max_value=TASK_NUMBER_MAX,
        help_text="The task's number in your programme's assessment (GET /api/v1/assessment-windows/).",
    )

    def validate_enrolment(self, pk: int) -> Enrolment:
        try:
            return selectors.own_place(user=self.context["request"].user, pk=pk)
        except Http404:
            raise serializers.ValidationError(
                f"You have no place with id {pk}. GET /api/v1/enrolments/ lists yours."
            ) from None

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            data["task"] = selectors.task_of(enrolment=data["enrolment"], number=data["task"])
        except Http404:
            raise serializers.ValidationError(
                {
                    "task": [
                        f"Your programme's assessment has no task {data['task']}. "
                        "GET /api/v1/assessment-windows/ lists your tasks with their numbers."
                    ]
                }
            ) from None
        return data


class UploadSerializer(PlaceAndTaskSerializer):
    # Empty files pass here so that the document check says what to do about them.
    main = serializers.FileField(
        allow_empty_file=True,
        help_text="Your main document: a PDF or Word (.docx) file, as the task allows, within its word limit.",
    )
    appendices = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="Your appendices in one file, where the task takes them (their own word limit).",
    )


class DeclarationSerializer(serializers.Serializer):
    declaration = serializers.BooleanField(
        help_text="true: you declare that this is your own work. Nothing is submitted without it."
    )


@extend_schema_view(
    list=extend_schema(responses={200: SubmissionSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: SubmissionSerializer, **ERROR_RESPONSES}),
)
class SubmissionViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Submissions of final assessment tasks: your own, or every one at providers where you see submissions.
    Each keeps every uploaded version with its files; the participant uploads and submits."""

    serializer_class = SubmissionSerializer
    filterset_class = SubmissionFilter
    cap: SizeCappedUploadHandler | None = None

    def initial(self, request: Request, *args: object, **kwargs: Any) -> None:
        # Before anything reads the body: the deadline counts from when the upload began to arrive, and each
        # file is capped while it streams in (a session's CSRF check reads the body while authenticating).
        self.started_at = request_started_at(request._request)
        if self.action == "upload":
            self.cap = cap_uploads(request._request, api_selectors.upload_cap_bytes(user=_asker(request)))
        super().initial(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return api_selectors.submission_list_with_deadlines(user=self.request.user)

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        submission = api_selectors.submission_get_with_deadline(user=request.user, pk=url_pk(kwargs))
        return Response(self.get_serializer(submission).data)

    @extend_schema(
        summary="Upload your assessment",
        description="Upload a new version of your submission for a task while its window is open for you (a "
        "draft until you submit it; earlier versions are kept). The files are checked by their content, not "
        "their names, and the server counts their words: a wrong type, a damaged, protected or "
        "macro-enabled file, one too large or over the word limit is refused (400) with what to do, and "
        "nothing is kept. While the files stream in they are capped at the largest file any of your tasks "
        "allows (this request names its task only in its body); the task's own limit is checked once they are "
        "in. An upload that began before the deadline is accepted even if it finishes after it, if it arrived "
        "within 10 minutes.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: VersionSerializer, **UPLOAD_ERRORS},
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[parsers.MultiPartParser],
        filterset_class=None,
        pagination_class=None,
    )
    def upload(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_participant(request.user, "upload an assessment")
        request.data  # noqa: B018 (parse the body now, through the cap)
        _capped(self.cap)
        data = self.valid_input(UploadSerializer)
        main, appendices = data["main"], data.get("appendices")
        version = services.version_upload(
            by=request.user,
            enrolment=data["enrolment"],
            task=data["task"],
            main=main,
            main_name=main.name,
            appendices=appendices,
            appendices_name=appendices.name if appendices else None,
            started_at=self.started_at,
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


# Submitting and receipts -----------------------------------------------------------------------------------


class ReceiptFileSerializer(serializers.Serializer):
    # A string, not the enum again: a set of choices used by two components gets a made-up name in the schema.
    role = serializers.CharField(read_only=True, help_text='"main" (the main document) or "appendices".')
    name = serializers.CharField(read_only=True, help_text="The name it was uploaded under.")
    kind = serializers.CharField(read_only=True, help_text='"pdf" or "docx", decided from the content.')
    size = serializers.IntegerField(read_only=True, help_text="In bytes.")
    sha256 = serializers.CharField(read_only=True, help_text="SHA-256 of the exact bytes, in hex.")
    words = serializers.IntegerField(read_only=True, help_text="The server's word count.")
    word_limit = serializers.IntegerField(read_only=True, help_text="The limit for this file when submitted.")


class ReceiptSerializer(serializers.ModelSerializer):
    """A receipt as issued: frozen at the moment of submitting, whatever happens to the records later."""

    submission = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The submission's id.")
    version = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Id of the version submitted.")
    task = serializers.IntegerField(source="submission.task.number", read_only=True)
    task_title = serializers.CharField(source="content.task", read_only=True)
    programme = serializers.CharField(source="content.programme", read_only=True)
    candidate_number = serializers.CharField(source="content.candidate_number", read_only=True)
    attempt = serializers.IntegerField(source="content.attempt", read_only=True)
    version_number = serializers.IntegerField(source="content.version", read_only=True)
    upload_started_at = serializers.DateTimeField(source="content.upload_started_at", read_only=True)
    uploaded_at = serializers.DateTimeField(source="content.uploaded_at", read_only=True)
    submitted_at = serializers.DateTimeField(
        source="content.submitted_at", read_only=True, help_text="The server's time of the submit."
    )
    deadline = serializers.DateTimeField(
        source="content.deadline",
        read_only=True,
        help_text="The first moment that was late, as it stood then.",
    )
    deadline_text = serializers.CharField(source="content.deadline_text", read_only=True)
    extended = serializers.BooleanField(
        source="content.extended", read_only=True, help_text="The deadline came from a granted extension."
    )
    late_with_extension = serializers.BooleanField(
        read_only=True, help_text="Submitted after the original deadline, under a granted extension."
    )
    emailed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the receipt was emailed; null until it has been."
    )
    files = ReceiptFileSerializer(source="content.files", many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = [
            "reference",
            "issued_at",
            "submission",
            "version",
            "task",
            "task_title",
            "programme",
            "candidate_number",
            "attempt",
            "version_number",
            "upload_started_at",
            "uploaded_at",
            "submitted_at",
            "deadline",
            "deadline_text",
            "extended",
            "late_with_extension",
            "emailed_at",
            "files",
        ]
        read_only_fields = fields


class SubmissionVersionViewSet(ValidInput, viewsets.GenericViewSet):
    """A version you uploaded: submitting it with the declaration issues the receipt."""

    serializer_class = VersionSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return api_selectors.own_versions(user=self.request.user)

    @extend_schema(
        summary="Submit an uploaded version",
        description="Submit your latest upload for a task with the declaration that it is your own work. "
        "The receipt (its reference, the server's time, each file's SHA-256 and word count) is issued and "
        "emailed to you. A version whose upload began before the deadline may be submitted up to 30 minutes "
        "after it. Submitting the version already submitted returns its receipt again. Only the participant, "
        "for their own upload: anyone else's version is not found.",
        request=DeclarationSerializer,
        responses={201: ReceiptSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, *args: object, **kwargs: Any) -> Response:
        version = selectors.own_version(user=request.user, pk=url_pk(kwargs))
        data = self.valid_input(DeclarationSerializer)
        receipt = services.submission_submit(
            by=request.user, version=version, declaration=data["declaration"]
        )
        receipt = selectors.receipt_get(user=request.user, reference=receipt.reference)
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)


@extend_schema_view(retrieve=extend_schema(responses={200: ReceiptSerializer, **ERROR_RESPONSES}))
class ReceiptViewSet(viewsets.GenericViewSet):
    """A submission's receipt by its reference (NPQ-XXXX-XXXX): the participant's own, or any at providers
    where you see submissions."""

    serializer_class = ReceiptSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[0-9A-Za-z-]{1,20}"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return api_selectors.receipt_list(user=self.request.user)

    def retrieve(self, request: Request, *args: object, reference: str, **kwargs: object) -> Response:
        receipt = selectors.receipt_get(user=request.user, reference=reference)
        return Response(self.get_serializer(receipt).data)


# Extensions ------------------------------------------------------------------------------------------------


class ExtensionSerializer(serializers.ModelSerializer):
    enrolment = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The place's id.")
    task = serializers.IntegerField(source="task.number", read_only=True, help_text="The task's number.")
    task_title = serializers.CharField(source="task.title", read_only=True)
    evidence_name = serializers.CharField(
        read_only=True, help_text="The name the evidence was uploaded under; empty where none was sent."
    )
    evidence_sha256 = serializers.CharField(
        read_only=True, help_text="SHA-256 of the evidence file; empty where none was sent."
    )
    deadline_then = serializers.DateField(read_only=True, help_text="The last day when they asked.")
    requested_until = serializers.DateField(read_only=True, help_text="The last day they asked for.")
    new_deadline = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The new last day, once granted (the task's deadline time on it).",
    )
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decision_note = serializers.CharField(read_only=True, help_text="The provider's note on the decision.")

    class Meta:
        model = Extension
        fields = [
            "id",
            "enrolment",
            "task",
            "task_title",
            "status",
            "reason",
            "evidence_name",
            "evidence_sha256",
            "deadline_then",
            "requested_until",
            "requested_at",
            "new_deadline",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ExtensionRequestSerializer(PlaceAndTaskSerializer):
    reason = serializers.CharField(
        max_length=services.REASON_LENGTH,
        help_text="What stopped you, in a sentence or two.",
        error_messages={"blank": "Say why you need more time, in a sentence or two."},
    )
    until = ThisCenturyDateField(help_text="The last day you ask for: after your current deadline.")


class ExtensionRequestWithEvidenceSerializer(ExtensionRequestSerializer):
    evidence = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="Optional evidence (a letter, a fit note): a PDF or Word (.docx) file up to 10 MB.",
    )


class ExtensionDecisionSerializer(serializers.Serializer):
    grant = serializers.BooleanField(
        help_text="true to grant (give new_deadline), false to refuse (give a note)."
    )
    new_deadline = ThisCenturyDateField(
        required=False,
        allow_null=True,
        help_text="When granting: the new last day, after the current deadline.",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.REASON_LENGTH,
        default="",
        help_text="Why: required when refusing, shown to the participant.",
    )


class ExtensionFilter(django_filters.FilterSet):
    cohort = IdFilter(field_name="enrolment__cohort_id", help_text="Only this cohort's requests (its id).")
    enrolment = IdFilter(field_name="enrolment_id", help_text="Only this place's requests (its id).")
    task = IdFilter(field_name="task__number", help_text="Only this task, by its number (1, 2…).")

    class Meta:
        model = Extension
        fields = ["status", "cohort", "enrolment", "task"]


@extend_schema_view(
    list=extend_schema(responses={200: ExtensionSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ExtensionSerializer, **ERROR_RESPONSES}),
)
class ExtensionViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Requests for more time on a task (mitigating circumstances): your own, or every one at providers where
    you see submissions, oldest first. A participant asks; a provider admin decides."""

    serializer_class = ExtensionSerializer
    filterset_class = ExtensionFilter
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser]
    cap: SizeCappedUploadHandler | None = None

    def initial(self, request: Request, *args: object, **kwargs: Any) -> None:
        # Evidence is capped while it streams in, before anything reads the body.
        if self.action == "create":
            self.cap = cap_uploads(request._request, services.EVIDENCE_MAX_BYTES, files_expected=1)
        super().initial(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return api_selectors.extension_list(user=self.request.user)

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        extension = api_selectors.extension_get(user=request.user, pk=url_pk(kwargs))
        return Response(self.get_serializer(extension).data)

    @extend_schema(
        summary="Ask for more time",
        description="Ask your provider to extend your deadline on a task, with your reason and (sent as "
        "multipart/form-data) optional evidence. One open request per task at a time. Only the participant, "
        "for their own place.",
        request={
            "application/json": ExtensionRequestSerializer,
            "multipart/form-data": ExtensionRequestWithEvidenceSerializer,
        },
        responses={201: ExtensionSerializer, **UPLOAD_ERRORS},
    )
    def create(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_participant(request.user, "ask for more time")
        request.data  # noqa: B018 (parse the body now, through the cap)
        _capped(self.cap)
        data = self.valid_input(ExtensionRequestWithEvidenceSerializer)
        evidence = data.get("evidence")
        extension = services.extension_request(
            by=request.user,
            enrolment=data["enrolment"],
            task=data["task"],
            reason=data["reason"],
            until=data["until"],
            evidence=evidence,
            evidence_name=evidence.name if evidence else None,
        )
        extension = api_selectors.extension_get(user=request.user, pk=extension.pk)
        return Response(self.get_serializer(extension).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Decide a request for more time",
        description="Grant it with the new last day, or refuse it with a note saying why. Provider admins, "
        "for places at their provider; a request is decided once.",
        request=ExtensionDecisionSerializer,
        responses={200: ExtensionSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], parser_classes=[parsers.JSONParser], filterset_class=None)
    def decide(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_page(request.user, Action.MANAGE_ASSESSMENT, NOT_A_DECIDER)
        extension = provider_selectors.extension_for_decision(user=request.user, pk=url_pk(kwargs))
        data = self.valid_input(ExtensionDecisionSerializer)
        services.extension_decide(
            by=request.user,
            extension=extension,
            grant=data["grant"],
            new_deadline=data.get("new_deadline"),
            note=data["note"],
        )
        return Response(
            self.get_serializer(api_selectors.extension_get(user=request.user, pk=extension.pk)).data
        )
