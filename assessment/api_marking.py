"""The marking API (issue 7): assessors' allocations, their marking and the lead assessor's decision; the
provider admin's marking of a cohort (allocate, move, release); results; moderators' verdicts; and the public
check of a certificate by its code.

Reads go through selectors and writes through the same services as the pages (assessment/allocation.py,
marking.py, results.py, moderation.py), so the API cannot do anything a page refuses. Who may do what
(npqel/access.py):
- an assessor (MARK_SCRIPTS) reads and marks only the scripts allocated to them, by candidate number: nothing
  an assessor or moderator is sent names the participant (no name, email, school, nor the name they gave
  their file);
- a cohort's marking is read with VIEW_SUBMISSIONS (provider admins; platform staff everywhere, read-only) and
  changed with MANAGE_ASSESSMENT (provider admins): a role that never may gets 403 before anything is read,
  another provider's cohort or allocation is 404, like a missing one;
- results: provider admins (and platform staff) see their provider's, decided or released; a participant sees
  their own once released, never before;
- moderators (cross-provider) see every sample's scripts waiting for a verdict, by candidate number;
- anyone, signed in or not, checks a certificate by its code, limited per IP address.

The services have the last word on the rules, and their refusal comes back as a 400 saying what to fix (under
`fields`, by the request field it concerns). A marking saved from an out-of-date copy (another tab, another
device) is refused with 409, and nothing is overwritten.
"""

from typing import Any

import django_filters
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assessment import allocation as allocation_services
from assessment import api_marking_selectors as api_selectors
from assessment import certificates, marking_selectors, moderation, results
from assessment.marking import marking_save
from assessment.marking_selectors import ScriptLine
from assessment.models import (
    Allocation,
    Certificate,
    Marking,
    MarkScheme,
    ModerationItem,
    Result,
    SubmissionFile,
)
from assessment.views.certificates import _client_ip
from npqel.access import Action, require_page
from npqel.api import ERROR_RESPONSES, ErrorSerializer
from npqel.errors import DomainError
from programmes.api import MAX_ID, IdFilter, ListField, ThisCenturyDateField, ValidInput, url_pk

TASK_NUMBER_MAX = 32767  # a task's number is a PostgreSQL smallint
REVISION_MAX = 2**31 - 1  # Marking.revision is a PostgreSQL integer
MARK_MAX = 32767  # a criterion's marks are smallints
FEEDBACK_LONGEST = 20_000
COMMENT_LONGEST = 5_000
RATIONALE_LONGEST = 5_000
REASON_LONGEST = 300  # Allocation.end_reason

NOT_A_MANAGER = "Only a provider admin can allocate, move and release scripts. Your role lets you read them."
NOT_A_LEAD_MARKING = (
    "This script is yours to decide as lead assessor, not to mark: POST your decision to "
    "/api/v1/marking/allocations/{id}/decision/."
)
NO_MARK_SCHEME = (
    "This task has no mark scheme yet, so it cannot be marked. "
    "Ask the provider to set one up, then try again."
)
MARKING_ERRORS = {
    **ERROR_RESPONSES,
    409: OpenApiResponse(
        ErrorSerializer,
        description="Saved from an out-of-date copy: the marking was saved again since the revision sent "
        "(another tab or device). Nothing was saved; GET it again and make the changes again.",
    ),
}
VERIFY_ERRORS = {
    **ERROR_RESPONSES,
    404: OpenApiResponse(ErrorSerializer, description="No certificate has this code."),
    429: OpenApiResponse(
        ErrorSerializer,
        description="Too many certificates checked from this address: try again in 15 minutes "
        "(see Retry-After).",
    ),
}
COHORT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The cohort's id.")
TASK_NUMBER = OpenApiParameter(
    "number",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The task's number in the programme's assessment (1, 2…).",
)
ALLOCATION_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The allocation's id."
)
CERTIFICATE_CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The code printed on the certificate (XXXX-XXXX-XXXX; lower case, spaces or no dashes are "
    "accepted).",
)


class StaleSave(exceptions.APIException):
    """A marking saved from an older copy than the one stored: refused, so nothing is overwritten."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class TooManyLookups(exceptions.APIException):
    """More certificates checked from one address than verify_lookup_allowed allows (DRF's handler sends
    Retry-After from `wait`)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_requests"
    wait = certificates.VERIFY_WINDOW_SECONDS


def task_number(kwargs: dict[str, Any]) -> int:
    """The task's number in the URL; anything that cannot be one is simply not found."""
    try:
        number = int(kwargs["number"])
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= number <= TASK_NUMBER_MAX:
        raise Http404
    return number


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name, "email": user.email}


class DictField(serializers.DictField):
    """A mapping whose errors are plain messages naming the key ("5: …"), as the API's error format has them,
    rather than DRF's {key: messages}."""

    def run_child_validation(self, data: dict) -> dict:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as error:
            detail = error.detail if isinstance(error.detail, dict) else {}
            raise serializers.ValidationError(
                [f"{key}: {message}" for key, messages in detail.items() for message in messages]
            ) from None


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The user's id.")
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)


# An assessor's allocations ---------------------------------------------------------------------------------


def _finished(allocation: Allocation) -> bool:
    """Marked (a submitted marking), or for the lead assessor's allocation, decided (the script's result)."""
    if allocation.kind == Allocation.Kind.LEAD:
        return hasattr(allocation.submission, "result")
    marking = getattr(allocation, "marking", None)
    return marking is not None and marking.status == Marking.Status.SUBMITTED


class AllocationSerializer(serializers.ModelSerializer):
    """A script allocated to the assessor, by candidate number: never the participant's name."""

    # A string, not the enum again: a set of choices used by several components gets a made-up name.
    kind = serializers.CharField(
        read_only=True,
        help_text='"first": first marking; "second": second marking; "lead": the lead assessor\'s decision.',
    )
    candidate_number = serializers.CharField(source="submission.candidate_number", read_only=True)
    attempt = serializers.IntegerField(source="submission.attempt", read_only=True)
    task = serializers.IntegerField(
        source="submission.task.number", read_only=True, help_text="The task's number in the assessment."
    )
    task_title = serializers.CharField(source="submission.task.title", read_only=True)
    provider = serializers.CharField(
        source="submission.task.scheme.programme.provider.name",
        read_only=True,
        help_text="The provider the script is marked for.",
    )
    ended_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the script was moved to another assessor (null while it is yours).",
    )
    finished = serializers.SerializerMethodField(
        help_text="Marked and submitted (for the lead assessor: decided)."
    )
    marking_status = serializers.SerializerMethodField(
        help_text='"draft" or "submitted"; null before the first save (and for the lead assessor\'s '
        "allocation, which is decided, not marked)."
    )
    revision = serializers.SerializerMethodField(
        help_text="The marking's revision: send it with the next save (0 before the first)."
    )

    class Meta:
        model = Allocation
        fields = [
            "id",
            "kind",
            "candidate_number",
            "attempt",
            "task",
            "task_title",
            "provider",
            "allocated_at",
            "due_on",
            "ended_at",
            "finished",
            "marking_status",
            "revision",
        ]
        read_only_fields = fields

    def get_finished(self, allocation: Allocation) -> bool:
        return _finished(allocation)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_marking_status(self, allocation: Allocation) -> str | None:
        marking = getattr(allocation, "marking", None)
        return marking.status if marking is not None else None

    def get_revision(self, allocation: Allocation) -> int:
        marking = getattr(allocation, "marking", None)
        return marking.revision if marking is not None else 0


class CriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="Key the marks and comments by this id.")
    number = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    descriptors = serializers.CharField(read_only=True, help_text="What each band of marks looks like.")
    min_mark = serializers.IntegerField(read_only=True)
    max_mark = serializers.IntegerField(read_only=True)


class OmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        read_only=True, help_text="Send it in `omissions` when the script leaves it out."
    )
    number = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)


class MarkSchemeSerializer(serializers.ModelSerializer):
    borderline_from = serializers.IntegerField(read_only=True, help_text="The lowest borderline total.")
    pass_from = serializers.IntegerField(
        read_only=True, help_text="The lowest total that passes outright (above the borderline band)."
    )
    criteria = CriterionSerializer(many=True, read_only=True)
    omissions = OmissionSerializer(
        many=True,
        read_only=True,
        help_text="Failure-level omissions: a script that leaves any out fails, whatever its marks.",
    )

    class Meta:
        model = MarkScheme
        fields = [
            "pass_mark",
            "borderline_margin",
            "borderline_from",
            "pass_from",
            "guidance",
            "criteria",
            "omissions",
        ]
        read_only_fields = fields


class ScriptFileSerializer(serializers.ModelSerializer):
    """A file of the script as submitted: never the name it was uploaded under (it may carry a name)."""

    role = serializers.CharField(read_only=True, help_text='"main" (the main document) or "appendices".')
    kind = serializers.CharField(read_only=True, help_text='"pdf" or "docx".')
    size = serializers.IntegerField(read_only=True, help_text="In bytes.")
    words = serializers.IntegerField(read_only=True, help_text="The server's word count.")
    pages = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="A PDF's pages; null for Word."
    )
    url = serializers.SerializerMethodField(
        help_text="Where a copy without its author fields opens, named by candidate number, for someone signed "
        "in to the site (the marking page shows it beside the form)."
    )

    class Meta:
        model = SubmissionFile
        fields = ["id", "role", "kind", "size", "words", "pages", "url"]
        read_only_fields = fields

    def get_url(self, stored: SubmissionFile) -> str:
        return reverse("script_file", args=[stored.pk])


class SubmittedMarkingSerializer(serializers.Serializer):
    """An earlier assessor's submitted marking, as the lead assessor (or a moderator) reads it."""

    kind = serializers.CharField(source="allocation.kind", read_only=True, help_text='"first" or "second".')
    total = serializers.IntegerField(read_only=True)
    outcome = serializers.CharField(read_only=True, help_text='"pass", "borderline" or "fail".')
    marks = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Criterion id → mark."
    )
    comments = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Criterion id → comment."
    )
    omissions = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="Ids of the omissions found."
    )
    feedback = serializers.CharField(read_only=True)


class AllocationDetailSerializer(AllocationSerializer):
    mark_scheme = MarkSchemeSerializer(
        source="submission.task.mark_scheme",
        read_only=True,
        allow_null=True,
        help_text="What the script is marked against; null while the task has none.",
    )
    files = serializers.SerializerMethodField(
        help_text="The files of the version submitted, main document first."
    )
    markings = serializers.SerializerMethodField(
        help_text="For the lead assessor's allocation: the first and second assessors' markings. Empty otherwise."
    )
    result = serializers.SerializerMethodField(
        help_text='For the lead assessor\'s allocation once decided: "pass" or "fail". Null otherwise.'
    )

    class Meta(AllocationSerializer.Meta):
        fields = [*AllocationSerializer.Meta.fields, "mark_scheme", "files", "markings", "result"]
        read_only_fields = fields

    @extend_schema_field(ScriptFileSerializer(many=True))
    def get_files(self, allocation: Allocation) -> list[dict[str, Any]]:
        return ScriptFileSerializer(marking_selectors.script_files(allocation.submission), many=True).data

    @extend_schema_field(SubmittedMarkingSerializer(many=True))
    def get_markings(self, allocation: Allocation) -> list[dict[str, Any]]:
        if allocation.kind != Allocation.Kind.LEAD:
            return []
        markings = marking_selectors.markings_of(allocation.submission)
        return SubmittedMarkingSerializer([m for _, m in sorted(markings.items())], many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_result(self, allocation: Allocation) -> str | None:
        if allocation.kind != Allocation.Kind.LEAD:
            return None
        result = getattr(allocation.submission, "result", None)
        return result.outcome if result is not None else None


class MarkingSerializer(serializers.Serializer):
    """The assessor's marking of one allocated script, as last saved."""

    allocation = serializers.IntegerField(read_only=True, help_text="The allocation's id.")
    status = serializers.CharField(
        read_only=True,
        help_text='"not_started" (never saved), "draft" or "submitted" (it can no longer change).',
    )
    revision = serializers.IntegerField(
        read_only=True,
        help_text="Goes up with every save: send it back with the next save (0 before the first).",
    )
    marks = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Criterion id → mark, for the marks given.",
    )
    comments = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Criterion id → comment."
    )
    omissions = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Ids of the failure-level omissions ticked.",
    )
    feedback = serializers.CharField(read_only=True)
    total = serializers.IntegerField(read_only=True, allow_null=True, help_text="Once submitted.")
    outcome = serializers.CharField(
        read_only=True, allow_null=True, help_text='Once submitted: "pass", "borderline" or "fail".'
    )
    saved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)


def marking_data(allocation: Allocation, marking: Marking | None) -> dict[str, Any]:
    if marking is None:
        return {
            "allocation": allocation.pk,
            "status": "not_started",
            "revision": 0,
            "marks": {},
            "comments": {},
            "omissions": [],
            "feedback": "",
            "total": None,
            "outcome": None,
            "saved_at": None,
            "submitted_at": None,
        }
    return {
        "allocation": allocation.pk,
        "status": marking.status,
        "revision": marking.revision,
        "marks": marking.marks,
        "comments": marking.comments,
        "omissions": marking.omissions,
        "feedback": marking.feedback,
        "total": marking.total,
        "outcome": marking.outcome or None,
        "saved_at": marking.saved_at,
        "submitted_at": marking.submitted_at,
    }


class MarkingSaveSerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        min_value=0,
        max_value=REVISION_MAX,
        help_text="The revision your copy shows (GET the marking: 0 before the first save). If the marking was "
        "saved since, nothing is saved (409).",
    )
    marks = DictField(
        child=serializers.IntegerField(min_value=0, max_value=MARK_MAX, allow_null=True),
        required=False,
        default=dict,
        help_text="Criterion id → mark (null or left out: not marked yet). Every mark is needed to submit.",
    )
    comments = DictField(
        child=serializers.CharField(allow_blank=True, max_length=COMMENT_LONGEST),
        required=False,
        default=dict,
        help_text="Criterion id → your comment (for you and later markers; the participant reads the feedback).",
    )
    omissions = ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        help_text="Ids of the failure-level omissions the script leaves out: any one fails it.",
    )
    feedback = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=FEEDBACK_LONGEST,
        help_text="What the participant reads: detailed (300 characters or more) for a fail or borderline, a "
        "short summary (20 or more) for a pass.",
    )
    submit = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: submit it (every mark given; the outcome worked out; it can no longer change, and the "
        "script moves on). false: save a draft.",
    )


def _criterion_ids(raw: dict[str, Any], known: set[int], field: str) -> dict[int, Any]:
    """A mapping keyed by criterion id as text, keyed by the ids; a 400 on `field` for any other key."""
    # isascii: str.isdigit() accepts "²", which int() refuses.
    unknown = [key for key in raw if not (key.isascii() and key.isdigit() and int(key) in known)]
    if unknown:
        raise serializers.ValidationError(
            {
                field: [
                    f"This task's mark scheme has no criterion with id {', '.join(unknown)}. GET the allocation "
                    "for its criteria and their ids."
                ]
            }
        )
    return {int(key): value for key, value in raw.items()}


def _stale(allocation: Allocation, revision: int) -> bool:
    """Whether marking_save refused the save as made from an older copy: in the order the service checks, the
    allocation is still live, the marking not submitted, and its revision is not the one sent."""
    allocation.refresh_from_db(fields=["ended_at"])
    if allocation.ended_at is not None:
        return False
    marking = Marking.objects.filter(allocation=allocation).first()
    if marking is not None and marking.status == Marking.Status.SUBMITTED:
        return False
    return (marking.revision if marking is not None else 0) != revision


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=Result.Outcome.choices, help_text="The final outcome: pass or fail (never borderline)."
    )
    feedback = serializers.CharField(
        allow_blank=True,
        max_length=FEEDBACK_LONGEST,
        help_text="What the participant reads: detailed (300 characters or more) for a fail, a short summary "
        "(20 or more) for a pass.",
    )
    rationale = serializers.CharField(
        allow_blank=True,
        max_length=RATIONALE_LONGEST,
        help_text="Why you decided this, against the mark scheme (40 characters or more). Moderators and the "
        "provider read it; the participant does not.",
    )


class DecisionResultSerializer(serializers.ModelSerializer):
    candidate_number = serializers.CharField(source="submission.candidate_number", read_only=True)
    rationale = serializers.CharField(source="lead_rationale", read_only=True)

    class Meta:
        model = Result
        fields = ["id", "candidate_number", "outcome", "route", "feedback", "rationale", "decided_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="Your scripts to mark",
        description="Your live allocations at every provider you mark for, due soonest first, by candidate "
        "number. Assessors only.",
        responses={200: AllocationSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One of your scripts",
        description="The allocation with the task's mark scheme, the script's files and, for the lead "
        "assessor's decision, the two markings. A script moved to another assessor still answers, with "
        "ended_at set.",
        responses={200: AllocationDetailSerializer, **ERROR_RESPONSES},
    ),
)
class MarkingAllocationViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Scripts allocated to you to mark (first or second marking) or to decide (lead assessor)."""

    serializer_class = AllocationSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the model, nobody signed in
            return Allocation.objects.none()
        return api_selectors.allocation_list(user=self.request.user)

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        allocation = api_selectors.allocation_get(user=request.user, pk=url_pk(kwargs))
        return Response(AllocationDetailSerializer(allocation, context=self.get_serializer_context()).data)

    @extend_schema(
        methods=["GET"],
        summary="Your marking of a script",
        description="As last saved: marks and comments by criterion id, the omissions ticked, the feedback and "
        "the revision to send with the next save. The lead assessor's allocation has none (404): it is decided.",
        responses={200: MarkingSerializer, **ERROR_RESPONSES},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Save or submit your marking",
        description="Replaces your draft with what is sent, or submits it (`submit`: every mark given, the "
        "outcome worked out, the feedback that outcome needs). A submitted marking never changes, and the "
        "script moves on at once: its result, or a second assessor or the lead assessor. Send the revision "
        "your copy shows: if the marking was saved since (another tab or device), nothing is saved and the "
        "answer is 409 saying when. A script moved to another assessor is refused (400).",
        request=MarkingSaveSerializer,
        responses={200: MarkingSerializer, **MARKING_ERRORS},
    )
    @action(detail=True, methods=["get", "put"])
    def marking(self, request: Request, *args: object, **kwargs: Any) -> Response:
        allocation = marking_selectors.allocation_for_assessor(user=request.user, pk=url_pk(kwargs))
        if request.method == "GET":
            if allocation.kind == Allocation.Kind.LEAD:
                raise Http404
            return Response(marking_data(allocation, getattr(allocation, "marking", None)))
        if allocation.kind == Allocation.Kind.LEAD:
            raise DomainError(NOT_A_LEAD_MARKING.format(id=allocation.pk))
        data = self.valid_input(MarkingSaveSerializer)
        scheme = getattr(allocation.submission.task, "mark_scheme", None)
        if scheme is None:
            raise DomainError(NO_MARK_SCHEME)
        known = {c.pk for c in scheme.criteria.all()}
        marks = _criterion_ids(data["marks"], known, "marks")
        comments = _criterion_ids(data["comments"], known, "comments")
        try:
            marking = marking_save(
                by=request.user,
                allocation=allocation,
                revision=data["revision"],
                marks=marks,
                comments=comments,
                ticked=set(data["omissions"]),
                feedback=data["feedback"],
                submit=data["submit"],
            )
        except DomainError as error:
            if error.field is None and _stale(allocation, data["revision"]):
                raise StaleSave(error.message) from None
            raise
        return Response(marking_data(allocation, marking))

    @extend_schema(
        summary="Record the lead assessor's decision",
        description="The final outcome of a script the first and second assessors disagreed on (or both found "
        "borderline): pass or fail, the feedback the participant reads, and why. Final: a script is decided "
        "once. Only the lead assessor it is allocated to.",
        request=DecisionSerializer,
        responses={201: DecisionResultSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, *args: object, **kwargs: Any) -> Response:
        allocation = marking_selectors.allocation_for_assessor(user=request.user, pk=url_pk(kwargs))
        data = self.valid_input(DecisionSerializer)
        result = results.lead_decide(
            by=request.user,
            allocation=allocation,
            outcome=data["outcome"],
            feedback=data["feedback"],
            rationale=data["rationale"],
        )
        return Response(DecisionResultSerializer(result).data, status=status.HTTP_201_CREATED)


# A cohort's marking (provider admins) ----------------------------------------------------------------------


class LiveAllocationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text='"first", "second" or "lead".')
    assessor = serializers.SerializerMethodField()

    class Meta:
        model = Allocation
        fields = ["id", "kind", "assessor", "allocated_at", "due_on"]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer)
    def get_assessor(self, allocation: Allocation) -> dict[str, Any]:
        return _person(allocation.assessor)


class SubmittedSummarySerializer(serializers.Serializer):
    kind = serializers.CharField(read_only=True, help_text='"first", "second" (or "lead").')
    total = serializers.IntegerField(read_only=True)
    outcome = serializers.CharField(read_only=True, help_text='"pass", "borderline" or "fail".')
    submitted_at = serializers.DateTimeField(read_only=True)


class ScriptResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = Result
        fields = ["id", "outcome", "route", "decided_at", "released_at"]
        read_only_fields = fields


class ExclusionSerializer(serializers.Serializer):
    assessor = PersonSerializer(read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class ScriptLineSerializer(serializers.Serializer):
    """One submitted script of the cohort and where its marking has got to."""

    submission = serializers.IntegerField(
        source="submission.pk", read_only=True, help_text="The submission's id."
    )
    enrolment = serializers.IntegerField(
        source="submission.enrolment_id", read_only=True, help_text="The place's id."
    )
    participant = serializers.CharField(
        source="submission.enrolment.participant.user.display_name", read_only=True
    )
    candidate_number = serializers.CharField(source="submission.candidate_number", read_only=True)
    attempt = serializers.IntegerField(source="submission.attempt", read_only=True)
    stage = serializers.CharField(
        read_only=True,
        help_text='Where it has got to, in words: "Second marking: Ben Brown, due 31 Dec 2026".',
    )
    allocations = serializers.SerializerMethodField(help_text="Its live allocations, first marking first.")
    markings = serializers.SerializerMethodField(help_text="Its submitted markings.")
    result = ScriptResultSerializer(read_only=True, allow_null=True)
    excluded = serializers.SerializerMethodField(
        help_text="The provider's assessors who may not mark it, and why."
    )

    @extend_schema_field(LiveAllocationSerializer(many=True))
    def get_allocations(self, line: ScriptLine) -> list[dict[str, Any]]:
        order = list(Allocation.Kind.values)
        live = sorted(line.live.values(), key=lambda a: order.index(a.kind))
        return LiveAllocationSerializer(live, many=True).data

    @extend_schema_field(SubmittedSummarySerializer(many=True))
    def get_markings(self, line: ScriptLine) -> list[dict[str, Any]]:
        order = list(Allocation.Kind.values)
        return SubmittedSummarySerializer(
            [
                {"kind": kind, "total": m.total, "outcome": m.outcome, "submitted_at": m.submitted_at}
                for kind, m in sorted(line.markings.items(), key=lambda item: order.index(item[0]))
            ],
            many=True,
        ).data

    @extend_schema_field(ExclusionSerializer(many=True))
    def get_excluded(self, line: ScriptLine) -> list[dict[str, Any]]:
        return [{"assessor": _person(user), "reasons": reasons} for user, reasons in line.exclusions]


class PoolAssessorSerializer(PersonSerializer):
    capacity = serializers.IntegerField(read_only=True, help_text="Scripts at once, across providers.")
    load = serializers.IntegerField(
        read_only=True, help_text="Scripts they hold to mark now, at every provider."
    )
    is_lead = serializers.BooleanField(read_only=True, help_text="A lead assessor: decides disagreements.")


class ReleaseStateSerializer(serializers.Serializer):
    scripts = serializers.IntegerField(
        read_only=True, help_text="Submitted scripts (each place's latest attempt)."
    )
    waiting = serializers.IntegerField(read_only=True, help_text="Results decided and not yet released.")
    released = serializers.IntegerField(read_only=True)
    still_marking = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Candidate numbers of scripts without a result.",
    )
    unmoderated = serializers.IntegerField(
        read_only=True,
        help_text="Results waiting for release not covered by a completed moderation sample: releasing them "
        "needs a reason (without_moderation).",
    )
    problem = serializers.CharField(
        read_only=True, help_text='What stands in the way of releasing ("" when nothing does).'
    )


class CohortMarkingSerializer(serializers.Serializer):
    cohort = serializers.IntegerField(source="cohort.pk", read_only=True, help_text="The cohort's id.")
    cohort_code = serializers.CharField(source="cohort.code", read_only=True)
    task = serializers.IntegerField(source="task.number", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)
    has_mark_scheme = serializers.BooleanField(read_only=True, help_text="Scripts are marked against it.")
    scripts = ScriptLineSerializer(
        source="lines", many=True, read_only=True, help_text="In candidate-number order."
    )
    assessors = serializers.SerializerMethodField(help_text="The provider's assessors, by name.")
    release = ReleaseStateSerializer(read_only=True)

    @extend_schema_field(PoolAssessorSerializer(many=True))
    def get_assessors(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                **_person(user),
                "capacity": view.capacity[user.pk],
                "load": view.load[user.pk],
                "is_lead": user.pk in view.leads,
            }
            for user in view.pool
        ]


def _cohort_marking(cohort: Any, task: Any) -> dict[str, Any]:
    view = marking_selectors.cohort_marking(cohort=cohort, task=task)
    check = results.release_check(cohort=cohort, task=task)
    view.has_mark_scheme = hasattr(task, "mark_scheme")  # type: ignore[attr-defined]
    view.release = {  # type: ignore[attr-defined]
        "scripts": check.scripts,
        "waiting": len(check.results),
        "released": check.released,
        "still_marking": check.still_marking,
        "unmoderated": len(check.unmoderated),
        "problem": check.problem,
    }
    return CohortMarkingSerializer(view).data


class AllocateSerializer(serializers.Serializer):
    # Checked here rather than as an enum: the schema already has another set of choices named `kind`.
    kind = serializers.CharField(
        required=False,
        default=Allocation.Kind.FIRST,
        max_length=8,
        help_text='"first" (the default): scripts not yet allocated; "second": first markings that routing '
        'sends on; "lead": two markings that need the lead assessor.',
    )
    due_on = ThisCenturyDateField(help_text="The day marking is due: today or later.")

    def validate_kind(self, kind: str) -> str:
        if kind not in Allocation.Kind.values:
            raise serializers.ValidationError('Choose "first", "second" or "lead".')
        return kind


class PlannedSerializer(serializers.Serializer):
    candidate_number = serializers.CharField(source="submission.candidate_number", read_only=True)
    assessor = serializers.SerializerMethodField(help_text="Null when nobody could be given it.")
    problem = serializers.CharField(
        read_only=True, help_text='Why nobody could be given it ("" when allocated).'
    )

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assessor(self, line: Any) -> dict[str, Any] | None:
        return _person(line.assessor) if line.assessor is not None else None


class PlanSerializer(serializers.Serializer):
    kind = serializers.CharField(read_only=True, help_text='"first", "second" or "lead".')
    allocated = PlannedSerializer(many=True, read_only=True)
    unallocated = PlannedSerializer(
        many=True, read_only=True, help_text="Scripts waiting that nobody could be given, with the reason."
    )


class ReleaseSerializer(serializers.Serializer):
    without_moderation = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=RATIONALE_LONGEST,
        help_text="Why you release results not covered by a completed moderation sample; needed only then, "
        "and recorded on each such result.",
    )


class ResultSerializer(serializers.ModelSerializer):
    enrolment = serializers.IntegerField(
        source="submission.enrolment_id", read_only=True, help_text="The place's id."
    )
    cohort = serializers.IntegerField(source="submission.enrolment.cohort_id", read_only=True)
    candidate_number = serializers.CharField(source="submission.candidate_number", read_only=True)
    task = serializers.IntegerField(source="submission.task.number", read_only=True)
    task_title = serializers.CharField(source="submission.task.title", read_only=True)
    attempt = serializers.IntegerField(source="submission.attempt", read_only=True)
    feedback = serializers.CharField(read_only=True, help_text="The feedback the participant reads.")
    released_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was released to the participant; null until then."
    )
    resubmit_by = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="A fail released with an attempt left: the last day to submit again.",
    )

    class Meta:
        model = Result
        fields = [
            "id",
            "enrolment",
            "cohort",
            "candidate_number",
            "task",
            "task_title",
            "attempt",
            "outcome",
            "route",
            "feedback",
            "decided_at",
            "released_at",
            "resubmit_by",
        ]
        read_only_fields = fields


class CohortMarkingView(APIView):
    """A cohort's scripts for one task and where each has got to. Provider admins; platform staff look."""

    @extend_schema(
        summary="A cohort's marking of one task",
        description="Every submitted script (with the participant's name: admins know it), its stage, live "
        "allocations with their assessor, submitted markings and result, and who may not mark it and why; "
        "the provider's assessors with their capacity and load; and whether the results can be released.",
        parameters=[COHORT_ID, TASK_NUMBER],
        responses={200: CohortMarkingSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: str, number: str) -> Response:
        cohort, task = marking_selectors.cohort_for_marking(
            user=request.user, pk=url_pk({"pk": pk}), number=task_number({"number": number})
        )
        return Response(_cohort_marking(cohort, task))


def _cohort_to_manage(request: Request, pk: str, number: str) -> tuple[Any, Any]:
    require_page(request.user, Action.MANAGE_ASSESSMENT, NOT_A_MANAGER)
    return marking_selectors.cohort_for_marking(
        user=request.user, pk=url_pk({"pk": pk}), number=task_number({"number": number})
    )


def _valid(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class AllocationRunView(APIView):
    @extend_schema(
        summary="Allocate a cohort's scripts",
        description="Give every script of the cohort waiting for this kind of marking to an assessor of the "
        "provider: never one excluded (their school, coaching, facilitating, a declared conflict, marking it "
        "already), never above their capacity, the least loaded first. Running it again allocates only "
        "scripts still waiting. Provider admins only.",
        parameters=[COHORT_ID, TASK_NUMBER],
        request=AllocateSerializer,
        responses={200: PlanSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: str, number: str) -> Response:
        cohort, task = _cohort_to_manage(request, pk, number)
        data = _valid(request, AllocateSerializer)
        plan = allocation_services.allocation_run(
            by=request.user,
            provider=cohort.programme.provider,
            task=task,
            cohort=cohort,
            kind=data["kind"],
            due_on=data["due_on"],
        )
        return Response(
            PlanSerializer(
                {"kind": plan.kind, "allocated": plan.allocated, "unallocated": plan.unallocated}
            ).data
        )


class ResultsReleaseView(APIView):
    @extend_schema(
        summary="Release a cohort's results for a task",
        description="Participants see their results and are emailed that they are ready; a place with every "
        "task passed is completed (and its certificate issued), one failed with no attempt left is failed. "
        "Refused (400) while any script is still being marked, and, unless without_moderation says why, while "
        "a result is not covered by a completed moderation sample. Provider admins only.",
        parameters=[COHORT_ID, TASK_NUMBER],
        request=ReleaseSerializer,
        responses={200: ResultSerializer(many=True), **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: str, number: str) -> Response:
        cohort, task = _cohort_to_manage(request, pk, number)
        data = _valid(request, ReleaseSerializer)
        released = results.results_release(
            by=request.user, cohort=cohort, task=task, without_moderation=data["without_moderation"]
        )
        rows = api_selectors.result_list(user=request.user).filter(pk__in=[r.pk for r in released])
        return Response(ResultSerializer(rows, many=True).data)


class MoveSerializer(serializers.Serializer):
    to = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="The user id of the assessor of the provider to give the script to.",
    )
    reason = serializers.CharField(
        allow_blank=True, max_length=REASON_LONGEST, help_text="Why you are moving it (kept on record)."
    )


class AllocationMoveView(APIView):
    @extend_schema(
        summary="Move a script to another assessor",
        description="Ends this allocation and gives the script to another assessor of the provider, with the "
        "same kind and due date. Refused (400, with the reason) for an assessor excluded from it or at their "
        "capacity, or once it has been marked. Provider admins only.",
        parameters=[ALLOCATION_ID],
        request=MoveSerializer,
        responses={201: LiveAllocationSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: str) -> Response:
        require_page(request.user, Action.MANAGE_ASSESSMENT, NOT_A_MANAGER)
        allocation = marking_selectors.allocation_for_admin(user=request.user, pk=url_pk({"pk": pk}))
        data = _valid(request, MoveSerializer)
        pool = allocation_services.assessor_pool(allocation.submission.enrolment.provider)
        to = next((a for a in pool if a.pk == data["to"]), None)
        if to is None:
            raise serializers.ValidationError(
                {"to": [f"There is no assessor with id {data['to']} at this provider. Check the id."]}
            )
        moved = allocation_services.allocation_move(
            by=request.user, allocation=allocation, to=to, reason=data["reason"]
        )
        return Response(LiveAllocationSerializer(moved).data, status=status.HTTP_201_CREATED)


# Results ---------------------------------------------------------------------------------------------------


class ResultFilter(django_filters.FilterSet):
    cohort = IdFilter(
        field_name="submission__enrolment__cohort_id", help_text="Only this cohort's results (its id)."
    )
    enrolment = IdFilter(
        field_name="submission__enrolment_id", help_text="Only this place's results (its id)."
    )
    task = IdFilter(field_name="submission__task__number", help_text="Only this task, by its number (1, 2…).")
    released = django_filters.BooleanFilter(
        field_name="released_at",
        lookup_expr="isnull",
        exclude=True,
        help_text="true: released; false: not yet.",
    )

    class Meta:
        model = Result
        fields = ["cohort", "enrolment", "task", "outcome", "released"]


@extend_schema_view(
    list=extend_schema(responses={200: ResultSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ResultSerializer, **ERROR_RESPONSES}),
)
class ResultViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Results of final assessment tasks: every one at providers where you see submissions (decided, released
    or not), or your own once released. Never the lead assessor's rationale."""

    serializer_class = ResultSerializer
    filterset_class = ResultFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return api_selectors.result_list(user=self.request.user)

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        result = api_selectors.result_get(user=request.user, pk=url_pk(kwargs))
        return Response(self.get_serializer(result).data)


# Moderation ------------------------------------------------------------------------------------------------


class ModerationItemSerializer(serializers.ModelSerializer):
    """One sampled script, by candidate number: never the participant's name."""

    sample = serializers.IntegerField(source="sample_id", read_only=True, help_text="The sample's id.")
    sample_label = serializers.CharField(source="sample.label", read_only=True)
    provider = serializers.CharField(source="sample.provider.name", read_only=True)
    candidate_number = serializers.CharField(source="result.submission.candidate_number", read_only=True)
    task = serializers.IntegerField(source="result.submission.task.number", read_only=True)
    task_title = serializers.CharField(source="result.submission.task.title", read_only=True)
    reason = serializers.CharField(
        read_only=True,
        help_text='Why it is in the sample: "borderline" (every borderline script), "assessor" (so that every '
        'assessor\'s marking is seen) or "random".',
    )
    outcome_moderated = serializers.CharField(
        read_only=True, help_text='The outcome the moderator checks: "pass" or "fail".'
    )
    released = serializers.SerializerMethodField(
        help_text="The result is already released: a verdict now is recorded and flagged to the provider, but "
        "does not change the outcome."
    )
    verdict = serializers.CharField(read_only=True, help_text='"agree", "disagree", or "" while waiting.')
    moderator_outcome = serializers.CharField(
        read_only=True, help_text='On a disagreement: the moderator\'s outcome ("pass" or "fail").'
    )

    class Meta:
        model = ModerationItem
        fields = [
            "id",
            "sample",
            "sample_label",
            "provider",
            "candidate_number",
            "task",
            "task_title",
            "reason",
            "outcome_moderated",
            "released",
            "verdict",
            "moderator_outcome",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_released(self, item: ModerationItem) -> bool:
        return item.result.released_at is not None


class ModeratedMarkSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(read_only=True, help_text="The criterion's id.")
    title = serializers.CharField(read_only=True)
    max_mark = serializers.IntegerField(read_only=True)
    mark = serializers.IntegerField(read_only=True, allow_null=True)
    comment = serializers.CharField(read_only=True)


class ModeratedMarkingSerializer(serializers.Serializer):
    kind = serializers.CharField(read_only=True, help_text='"first", "second" or "lead".')
    total = serializers.IntegerField(read_only=True, allow_null=True)
    outcome = serializers.CharField(read_only=True, help_text="Pass, Borderline or Fail.")
    feedback = serializers.CharField(read_only=True)
    marks = ModeratedMarkSerializer(many=True, read_only=True)
    omissions = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The failure-level omissions found."
    )


class ModerationItemDetailSerializer(ModerationItemSerializer):
    rationale = serializers.CharField(read_only=True, help_text="The moderator's reasons, on a disagreement.")
    yours = serializers.SerializerMethodField(
        help_text="The verdict is yours to record or change (waiting, or recorded by you before release)."
    )
    markings = serializers.SerializerMethodField(help_text="The script's submitted markings, first to last.")
    files = serializers.SerializerMethodField(
        help_text="The files of the version submitted, main document first."
    )

    class Meta(ModerationItemSerializer.Meta):
        fields = [*ModerationItemSerializer.Meta.fields, "rationale", "yours", "markings", "files"]
        read_only_fields = fields

    def get_yours(self, item: ModerationItem) -> bool:
        user = self.context["request"].user
        if not item.verdict:
            return True
        return item.moderator_id == user.pk and item.result.released_at is None

    @extend_schema_field(ModeratedMarkingSerializer(many=True))
    def get_markings(self, item: ModerationItem) -> list[dict[str, Any]]:
        return [
            {
                "kind": view.kind,
                "total": view.total,
                "outcome": view.outcome,
                "feedback": view.feedback,
                "marks": [
                    {
                        "criterion": c.pk,
                        "title": c.title,
                        "max_mark": c.max_mark,
                        "mark": mark,
                        "comment": comment,
                    }
                    for c, mark, comment in view.marks
                ],
                "omissions": view.omissions,
            }
            for view in moderation.item_markings(item=item)
        ]

    @extend_schema_field(ScriptFileSerializer(many=True))
    def get_files(self, item: ModerationItem) -> list[dict[str, Any]]:
        return ScriptFileSerializer(moderation.item_files(item=item), many=True).data


class VerdictSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=ModerationItem.Verdict.choices, help_text="agree, or disagree (with your outcome and why)."
    )
    moderator_outcome = serializers.CharField(
        allow_blank=True,
        max_length=8,
        required=False,
        default="",
        help_text="When you disagree: the outcome you would give (the other one).",
    )
    rationale = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=RATIONALE_LONGEST,
        help_text="When you disagree: why, in at least a sentence (40 characters or more). The provider and the "
        "assessors read it.",
    )
    feedback = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=10000,
        help_text="When you change a pass to a fail: the detailed feedback the participant reads in place of the "
        "pass summary (at least 300 characters).",
    )


@extend_schema_view(
    list=extend_schema(
        summary="Scripts waiting for your verdict",
        description="Every provider's sampled scripts without a verdict yet, oldest sample first, by candidate "
        "number. Moderators only.",
        responses={200: ModerationItemSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One sampled script",
        description="With its markings by criterion and its files. Moderators only.",
        responses={200: ModerationItemDetailSerializer, **ERROR_RESPONSES},
    ),
)
class ModerationItemViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Moderation: scripts sampled from every provider's results, for moderators' verdicts."""

    serializer_class = ModerationItemSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the model, nobody signed in
            return ModerationItem.objects.none()
        return api_selectors.moderation_waiting(user=self.request.user)

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        item = moderation.item_for_moderator(user=request.user, pk=url_pk(kwargs))
        return Response(ModerationItemDetailSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Record your verdict",
        description="Agree with the outcome, or disagree with your own outcome and why. Before the result is "
        "released it follows your verdict (and you may change it); after, a disagreement is recorded and "
        "flagged to the provider, and changes nothing. Refused (400) for a script of a provider where you hold "
        "a role, or one you were allocated to mark.",
        request=VerdictSerializer,
        responses={200: ModerationItemDetailSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def verdict(self, request: Request, *args: object, **kwargs: Any) -> Response:
        item = moderation.item_for_moderator(user=request.user, pk=url_pk(kwargs))
        data = self.valid_input(VerdictSerializer)
        moderation.verdict_record(by=request.user, item=item, **data)
        item = moderation.item_for_moderator(user=request.user, pk=item.pk)
        return Response(ModerationItemDetailSerializer(item, context=self.get_serializer_context()).data)


# Certificates ----------------------------------------------------------------------------------------------


class CertificateCheckSerializer(serializers.Serializer):
    """What anyone may know of a certificate: the four facts it states, or only that it was revoked and when."""

    code = serializers.CharField(read_only=True, help_text="The code in its printed form, XXXX-XXXX-XXXX.")
    status = serializers.ChoiceField(choices=[("valid", "Valid"), ("revoked", "Revoked")], read_only=True)
    name = serializers.CharField(read_only=True, allow_null=True, help_text="Null once revoked.")
    qualification = serializers.CharField(read_only=True, allow_null=True, help_text="Null once revoked.")
    provider = serializers.CharField(read_only=True, allow_null=True, help_text="Null once revoked.")
    awarded_on = serializers.DateField(read_only=True, allow_null=True, help_text="Null once revoked.")
    revoked_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="The UK date; null while valid."
    )


def certificate_check(certificate: Certificate) -> dict[str, Any]:
    if certificate.revoked_at is not None:
        return {
            "code": certificate.code,
            "status": "revoked",
            "name": None,
            "qualification": None,
            "provider": None,
            "awarded_on": None,
            "revoked_on": timezone.localdate(certificate.revoked_at),
        }
    return {
        "code": certificate.code,
        "status": "valid",
        "name": certificate.name,
        "qualification": certificate.qualification,
        "provider": certificate.provider_name,
        "awarded_on": certificate.awarded_on,
        "revoked_on": None,
    }


class CertificateCheckView(APIView):
    """Check a certificate by its code: anyone, signed in or not."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Check a certificate",
        description="Whether a certificate with this code was issued through the service: ONLY the name, "
        "qualification, provider and date of award it states, or, once revoked, only that it was and when "
        "(never why). No sign-in needed. Lookups are limited per IP address (20 in 15 minutes): past that, "
        "429.",
        parameters=[CERTIFICATE_CODE],
        responses={200: CertificateCheckSerializer, **VERIFY_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        normalised = certificates.normalise_code(code)
        if normalised is None:  # cannot be a code: nothing is read, and no lookup is counted
            raise Http404
        if not certificates.verify_lookup_allowed(client_ip=_client_ip(request._request)):
            raise TooManyLookups(
                f"Too many certificates checked from your address. Try again in "
                f"{certificates.VERIFY_WINDOW_SECONDS // 60} minutes.",
            )
        certificate = certificates.certificate_by_code(code=normalised)
        if certificate is None:
            raise Http404
        return Response(CertificateCheckSerializer(certificate_check(certificate)).data)


# For npqel/api_urls.py: (path, view, name), each path under /api/v1/ and each name under `api:`; and the
# viewsets for its router, (prefix, viewset, basename).
URLS = [
    (
        r"^cohorts/(?P<pk>[^/.]+)/assessment/(?P<number>[^/.]+)/marking/$",
        CohortMarkingView.as_view(),
        "cohort-marking",
    ),
    (
        r"^cohorts/(?P<pk>[^/.]+)/assessment/(?P<number>[^/.]+)/marking/allocate/$",
        AllocationRunView.as_view(),
        "cohort-marking-allocate",
    ),
    (
        r"^cohorts/(?P<pk>[^/.]+)/assessment/(?P<number>[^/.]+)/marking/release/$",
        ResultsReleaseView.as_view(),
        "cohort-marking-release",
    ),
    (r"^allocations/(?P<pk>[^/.]+)/move/$", AllocationMoveView.as_view(), "allocation-move"),
    (r"^certificates/(?P<code>[^/]+)/$", CertificateCheckView.as_view(), "certificate-check"),
]
ROUTES = [
    ("marking/allocations", MarkingAllocationViewSet, "marking-allocation"),
    ("results", ResultViewSet, "result"),
    ("moderation/items", ModerationItemViewSet, "moderation-item"),
]
