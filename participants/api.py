"""The participants API: enrolments (with their deadline, history and lifecycle actions), participants and
schools.

Reads go through participants.selectors and writes through participants.services, as the pages do. An
action on an enrolment is checked three times over, like the programmes API's writes: a role that may never
change enrolments gets 403 before anything is read (platform staff included: they read, they do not run
providers); the enrolment is then found among those the caller may see (another provider's is 404, like a
missing one); and the service refuses (403) unless the caller administers that enrolment's provider (so a
participant acting on their own place is refused).

Every list takes `updated_since` for incremental syncing: rows changed at or after that moment, by id.
"""

import datetime
import re
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from npqel.access import Action, access_for
from npqel.api import ERROR_RESPONSES, IsSignedInWithMfa
from npqel.errors import DomainError
from participants import selectors, services
from participants.models import Enrolment, EnrolmentChange, Participant, School
from programmes import selectors as programme_selectors
from programmes.api import IdFilter, ThisCenturyDateField, ValidInput, VisibleId, url_pk
from programmes.models import Cohort

NOT_AN_ENROLMENT_MANAGER = (
    "Only a provider admin can defer, resume, withdraw or transfer enrolments. Your role lets you read them."
)
NOT_A_SCHOOL_READER = "Only provider admins and platform staff can read schools."
URN = re.compile(r"[0-9A-Za-z]{1,8}")


# updated_since, shared by the lists ------------------------------------------------------------------------

UPDATED_SINCE_FORMAT = "Enter a date and time with its UTC offset, like 2026-11-23T09:00:00Z."
UPDATED_SINCE_HELP = (
    "Only rows changed at or after this moment: ISO 8601 with its UTC offset, e.g. 2026-11-23T09:00:00Z. "
    "To sync, pass the latest updated_at you hold; rows changed at that very moment come again."
)


class UpdatedSinceField(forms.Field):
    """An ISO 8601 date and time with its UTC offset. A time without one is refused rather than guessed."""

    default_error_messages = {"invalid": UPDATED_SINCE_FORMAT}

    def to_python(self, value: Any) -> datetime.datetime | None:
        if value in self.empty_values:
            return None
        try:
            moment = parse_datetime(str(value).strip())
            # In UTC: PostgreSQL takes offsets only up to 15:59, Python's go to 23:59. A moment the calendar
            # cannot hold in UTC (year 1 at +14:00) is as unusable as nonsense.
            if moment is not None and timezone.is_aware(moment):
                return moment.astimezone(datetime.UTC)
        except (ValueError, OverflowError):
            pass
        raise ValidationError(self.error_messages["invalid"], code="invalid")


@extend_schema_field(OpenApiTypes.DATETIME)
class UpdatedSinceFilter(django_filters.Filter):
    field_class = UpdatedSinceField

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(field_name="updated_at", lookup_expr="gte", help_text=UPDATED_SINCE_HELP, **kwargs)


class UpdatedSinceFilterSet(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter()


# Enrolments ----------------------------------------------------------------------------------------------


class EnrolmentSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    cohort = serializers.CharField(source="cohort.code", read_only=True, help_text="The cohort's code.")
    cohort_id = serializers.IntegerField(read_only=True)
    participant = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The participant's id.")
    participant_email = serializers.EmailField(source="participant.user.email", read_only=True)
    participant_name = serializers.CharField(
        source="participant.user.full_name", read_only=True, help_text="Empty where no name is recorded."
    )
    start_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="Null: they start with the cohort (see started_on)."
    )
    started_on = serializers.DateField(
        read_only=True, help_text="Their start date, or else the cohort's: what the deadline counts from."
    )
    group = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of their delivery group."
    )
    coach_email = serializers.EmailField(source="coach.email", read_only=True, allow_null=True)
    fee_option = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the programme's fee option they pay."
    )
    placement_option = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the programme's placement option they chose."
    )
    deadline = serializers.SerializerMethodField(
        help_text="The date by which they must present for final assessment, from the programme's rules "
        "(moved on by time spent deferred where the programme pauses the clock)."
    )
    # The stored engagement (recomputed seconds after each change), read in the same query as the row. A
    # change of engagement does not change updated_at; GET the enrolment's engagement/ for a fresh measure.
    engagement_percent = serializers.DecimalField(
        source="engagement.percent",
        max_digits=5,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Engagement so far over the whole programme, in percent; null until first measured, or "
        "where nothing can be measured. Not reflected in updated_since.",
    )
    eligible = serializers.BooleanField(
        source="engagement.eligible",
        read_only=True,
        allow_null=True,
        help_text="May present for final assessment (engagement, core tasks, required components); null "
        "until first measured. Not reflected in updated_since.",
    )
    at_risk = serializers.SerializerMethodField(
        help_text="At risk of not finishing: low engagement, a deadline near or passed with nothing "
        "submitted, or a long deferral. GET the enrolment's engagement/ for the reasons."
    )

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "provider",
            "cohort",
            "cohort_id",
            "participant",
            "participant_email",
            "participant_name",
            "status",
            "start_date",
            "started_on",
            "group",
            "coach_email",
            "funding_route",
            "fee_option",
            "placement_option",
            "external_id",
            "imported",
            "deadline",
            "engagement_percent",
            "eligible",
            "at_risk",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATE)
    def get_deadline(self, enrolment: Enrolment) -> datetime.date:
        return services.deadline_for(enrolment, enrolment.changes.all()).date

    def get_at_risk(self, enrolment: Enrolment) -> bool:
        return bool(selectors.standing_of(enrolment, today=timezone.localdate()).risks)


# The list writes each row as EnrolmentSerializer would write the enrolment (tests/api hold them equal), from
# a plain row (selectors.enrolment_rows), without the serializer's cost per field and object.
_DATE = serializers.DateField()
_MOMENT = serializers.DateTimeField()
_PERCENT = EnrolmentSerializer().fields["engagement_percent"]


def listed(row: dict, standing: selectors.RowStanding) -> dict:
    """One row of the list of enrolments, with the fields of EnrolmentSerializer in its order."""
    engagement, start_date = standing.engagement, row["start_date"]
    percent = None if engagement is None else engagement.percent
    return {
        "id": row["id"],
        "provider": row["provider_slug"],
        "cohort": row["cohort_code"],
        "cohort_id": row["cohort_id"],
        "participant": row["participant_id"],
        "participant_email": row["participant_email"],
        "participant_name": row["participant_name"],
        "status": row["status"],
        "start_date": None if start_date is None else _DATE.to_representation(start_date),
        "started_on": _DATE.to_representation(start_date or row["cohort_start"]),
        "group": row["group_id"],
        "coach_email": row["coach_email"],
        "funding_route": row["funding_route"],
        "fee_option": row["fee_option_id"],
        "placement_option": row["placement_option_id"],
        "external_id": row["external_id"],
        "imported": row["imported"],
        "deadline": _DATE.to_representation(standing.deadline.date),
        "engagement_percent": None if percent is None else _PERCENT.to_representation(percent),
        "eligible": None if engagement is None else engagement.eligible,
        "at_risk": bool(standing.risks),
        "updated_at": _MOMENT.to_representation(row["updated_at"]),
    }


STAFF_ONLY_FIELDS = ("note", "changed_by")
STAFF_ONLY_HELP = (
    " Present only for those who see the provider's enrolments (its admins, and platform staff); left out for "
    "a participant reading their own place's history."
)


class EnrolmentChangeSerializer(serializers.ModelSerializer):
    # Plain strings: as enums, the enrolment statuses would go by three names in the schema (status,
    # from_status, to_status), which drf-spectacular warns about.
    from_status = serializers.CharField(
        read_only=True, help_text="The status before the change (one of an enrolment's); empty for the first."
    )
    to_status = serializers.CharField(
        read_only=True, help_text="The status after the change (one of an enrolment's)."
    )
    reason = serializers.ChoiceField(
        choices=EnrolmentChange.Reason.choices,
        read_only=True,
        help_text="DfE's deferral or withdrawal reason code; empty where none is needed.",
    )
    effective_on = serializers.DateField(read_only=True, help_text="The day the change took effect.")
    # Not read-only, so that the schema does not promise them in every response: a participant reading their
    # own place's history is not shown the admins' notes or who recorded each change. (This serializer is
    # only ever used to answer.)
    note = serializers.CharField(required=False, help_text="The admin's note." + STAFF_ONLY_HELP)
    changed_by = serializers.EmailField(
        source="changed_by.email",
        required=False,
        allow_null=True,
        help_text="Who recorded it; null for the system (e.g. an assessment result)." + STAFF_ONLY_HELP,
    )
    recorded_at = serializers.DateTimeField(read_only=True, help_text="When it was written down.")

    class Meta:
        model = EnrolmentChange
        fields = [
            "id",
            "from_status",
            "to_status",
            "effective_on",
            "reason",
            "note",
            "changed_by",
            "recorded_at",
            "imported",
        ]
        read_only_fields = [
            "id",
            "from_status",
            "to_status",
            "effective_on",
            "reason",
            "recorded_at",
            "imported",
        ]

    def to_representation(self, change: EnrolmentChange) -> dict:
        data = super().to_representation(change)
        # The view says whether the caller holds VIEW_ENROLMENTS at the enrolment's provider.
        if not self.context.get("staff_fields", False):
            for name in STAFF_ONLY_FIELDS:
                del data[name]
        return data


def reason_choices(allowed: frozenset[str]) -> list[tuple[str, Any]]:
    return [(r.value, r.label) for r in EnrolmentChange.Reason if r in allowed]


ON_HELP = "The day it took effect: today or earlier, not before their place last changed. Default: today."
NOTE_HELP = "Anything worth keeping with the change."


class ResumeSerializer(serializers.Serializer):
    """When a change took effect and a note: all that resuming takes, and part of every other change."""

    on = ThisCenturyDateField(required=False, help_text=ON_HELP)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text=NOTE_HELP)


class DeferSerializer(ResumeSerializer):
    reason = serializers.ChoiceField(
        choices=reason_choices(services.DEFERRAL_REASONS), help_text="DfE's deferral reason code."
    )


class WithdrawSerializer(ResumeSerializer):
    reason = serializers.ChoiceField(
        choices=reason_choices(services.WITHDRAWAL_REASONS), help_text="DfE's withdrawal reason code."
    )


def cohort_to_manage(*, user: object, pk: int) -> Cohort:
    return programme_selectors.cohort_get(user=user, pk=pk, action=Action.MANAGE_ENROLMENTS)


class TransferSerializer(ResumeSerializer):
    cohort = VisibleId(
        get=cohort_to_manage, noun="cohort", help_text="Id of another cohort of the same provider."
    )


# Fields a service names, as the request names them. A service's other refusals (an illegal change of
# status) concern the enrolment, not a field the caller sent, so they become the error's message.
REQUEST_FIELDS = {"reason": "reason", "on": "on", "note": "note", "to_cohort": "cohort"}


def refused(error: DomainError) -> DomainError:
    return DomainError(error.message, field=REQUEST_FIELDS.get(error.field or ""))


class FundingRouteFilter(django_filters.ChoiceFilter):
    """A funding route, or `not_known` for places whose route is not recorded yet."""

    NOT_KNOWN = "not_known"

    def __init__(self, **kwargs: Any) -> None:
        routes = [(value, label) for value, label in Enrolment.FundingRoute.choices if value]
        super().__init__(choices=[*routes, (self.NOT_KNOWN, "Not known yet")], **kwargs)

    def filter(self, qs: Any, value: Any) -> Any:
        if value == self.NOT_KNOWN:
            return qs.filter(funding_route="")
        return super().filter(qs, value)


class EnrolmentFilter(UpdatedSinceFilterSet):
    cohort = IdFilter(field_name="cohort_id", help_text="Only this cohort's enrolments (its id).")
    funding_route = FundingRouteFilter(
        field_name="funding_route", help_text="Only this funding route; not_known for none recorded yet."
    )

    class Meta:
        model = Enrolment
        fields = ["status", "cohort", "funding_route", "updated_since"]


def enrolment_action(request_serializer: type[serializers.Serializer] | None, summary: str) -> Any:
    return extend_schema(
        summary=summary,
        request=request_serializer,
        responses={200: EnrolmentSerializer, **ERROR_RESPONSES},
    )


@extend_schema_view(
    list=extend_schema(responses={200: EnrolmentSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: EnrolmentSerializer, **ERROR_RESPONSES}),
)
class EnrolmentViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Enrolments at providers you administer (platform staff: all), and your own, by id. Provider admins
    defer, resume, withdraw and transfer them; each change is kept in the enrolment's history."""

    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.enrolment_list(user=self.request.user)

    def list(self, request: Request, *args: object, **kwargs: Any) -> Response:
        # Counted and paged by id alone (the rows' joins would be counted too), then read as plain rows.
        places = self.filter_queryset(self.get_queryset()).values_list("pk", flat=True)
        page = self.paginate_queryset(places)
        rows = list(
            selectors.enrolment_rows(user=request.user).filter(pk__in=page if page is not None else places)
        )
        standings = selectors.row_standings(rows, today=timezone.localdate())
        data = [listed(row, standings[row["id"]]) for row in rows]
        return self.get_paginated_response(data) if page is not None else Response(data)

    def read(self, pk: int) -> dict:
        enrolment = selectors.enrolment_get_with_deadline(user=self.request.user, pk=pk)
        return EnrolmentSerializer(enrolment, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        return Response(self.read(url_pk(kwargs)))

    def to_change(self, kwargs: dict[str, Any]) -> Enrolment:
        """The enrolment an action changes: 403 for a role that never may, 404 for one the caller cannot see."""
        if not access_for(self.request.user).anywhere(Action.MANAGE_ENROLMENTS):
            raise PermissionDenied(NOT_AN_ENROLMENT_MANAGER)
        return selectors.enrolment_get(user=self.request.user, pk=url_pk(kwargs))

    def change(
        self, kwargs: dict[str, Any], serializer: type[serializers.Serializer], service: Any
    ) -> Response:
        enrolment = self.to_change(kwargs)
        data = self.valid_input(serializer)
        try:
            service(by=self.request.user, enrolment=enrolment, **data)
        except DomainError as error:
            raise refused(error) from None
        return Response(self.read(enrolment.pk))

    @enrolment_action(DeferSerializer, "Defer a place")
    @action(detail=True, methods=["post"])
    def defer(self, request: Request, *args: object, **kwargs: Any) -> Response:
        """Pause an active place, with DfE's deferral reason."""
        return self.change(kwargs, DeferSerializer, services.enrolment_defer)

    @enrolment_action(ResumeSerializer, "Resume a deferred place")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, *args: object, **kwargs: Any) -> Response:
        """A deferred participant picks up their place again."""
        return self.change(kwargs, ResumeSerializer, services.enrolment_resume)

    @enrolment_action(WithdrawSerializer, "Withdraw a place")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, *args: object, **kwargs: Any) -> Response:
        """End a place for good, with DfE's withdrawal reason."""
        return self.change(kwargs, WithdrawSerializer, services.enrolment_withdraw)

    @enrolment_action(TransferSerializer, "Move a place to another cohort")
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, *args: object, **kwargs: Any) -> Response:
        """Move a place to another cohort of the same provider, keeping its history. Their delivery group is
        cleared (groups belong to a cohort); their start date moves with the cohort unless one was set."""

        def transfer_to(*, by: Any, enrolment: Enrolment, cohort: Cohort, **rest: Any) -> Enrolment:
            return services.enrolment_transfer(by=by, enrolment=enrolment, to_cohort=cohort, **rest)

        return self.change(kwargs, TransferSerializer, transfer_to)

    @extend_schema(
        summary="An enrolment's history",
        responses={200: EnrolmentChangeSerializer(many=True), **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request: Request, *args: object, **kwargs: Any) -> Response:
        """Every change of the enrolment's status (and every transfer), oldest first. Admins' notes and who
        recorded each change are shown only to those who see the provider's enrolments."""
        enrolment = selectors.enrolment_get(user=request.user, pk=url_pk(kwargs))
        changes = selectors.enrolment_change_list(enrolment=enrolment)
        staff_fields = access_for(request.user).may(Action.VIEW_ENROLMENTS, enrolment.provider_id)
        return Response(
            EnrolmentChangeSerializer(changes, many=True, context={"staff_fields": staff_fields}).data
        )


# Participants --------------------------------------------------------------------------------------------

EQUALITY_FIELDS = ("ethnicity_code", "sex", "disability", "age_band")
EQUALITY_HELP = (
    " Special-category data: present only where you may see it (a provider admin of one of their providers, "
    "or platform staff); otherwise the key is left out."
)


class ParticipantSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(
        source="user.full_name", read_only=True, help_text="Empty where no name is recorded."
    )
    school_urn = serializers.CharField(
        source="school.urn", read_only=True, allow_null=True, help_text="Their school's URN (see /schools/)."
    )
    updated_at = serializers.DateTimeField(
        read_only=True,
        help_text="When their record (school, job role, equality data) last changed.",
    )
    # Not read-only, so that the schema does not promise them in every response: they are left out where
    # the caller may not see them. (This serializer is only ever used to answer.)
    ethnicity_code = serializers.ChoiceField(
        choices=Participant.Ethnicity.choices,
        required=False,
        help_text="DfE's ethnicity code." + EQUALITY_HELP,
    )
    sex = serializers.ChoiceField(
        choices=Participant.Sex.choices, required=False, help_text="Empty: not obtained." + EQUALITY_HELP
    )
    disability = serializers.ChoiceField(
        choices=Participant.Disability.choices,
        required=False,
        help_text="Empty: not obtained." + EQUALITY_HELP,
    )
    age_band = serializers.ChoiceField(
        choices=Participant.AgeBand.choices, required=False, help_text="Empty: not obtained." + EQUALITY_HELP
    )

    class Meta:
        model = Participant
        fields = ["id", "email", "name", "school_urn", "job_role", "updated_at", *EQUALITY_FIELDS]
        read_only_fields = ["id", "job_role"]

    def to_representation(self, participant: Participant) -> dict:
        data = super().to_representation(participant)
        # Per participant: the selector says whether the caller holds VIEW_EQUALITY_DATA at one of theirs.
        if not getattr(participant, "equality_visible", False):
            for name in EQUALITY_FIELDS:
                del data[name]
        return data


class ParticipantFilter(UpdatedSinceFilterSet):
    class Meta:
        model = Participant
        fields = ["updated_since"]


@extend_schema_view(
    list=extend_schema(responses={200: ParticipantSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ParticipantSerializer, **ERROR_RESPONSES}),
)
class ParticipantViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Participants with a place at a provider you administer (platform staff: all), and your own record,
    by id. Equality data appears only for those who may see it."""

    serializer_class = ParticipantSerializer
    filterset_class = ParticipantFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.participant_list(user=self.request.user)

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        participant = selectors.participant_get(user=request.user, pk=url_pk(kwargs))
        return Response(self.get_serializer(participant).data)


# Schools -------------------------------------------------------------------------------------------------


class MayReadSchools(permissions.BasePermission):
    """Schools are read by those who may see enrolments somewhere: provider admins and platform staff."""

    message = NOT_A_SCHOOL_READER

    def has_permission(self, request: Request, view: Any) -> bool:
        return access_for(request.user).anywhere(Action.VIEW_ENROLMENTS)


class SchoolSerializer(serializers.ModelSerializer):
    fsm_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Share of pupils eligible for free school meals; null where not known.",
    )
    pupil_premium_top_half = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="In the top 50% for pupil premium (PP50); null where not known.",
    )

    class Meta:
        model = School
        fields = [
            "urn",
            "name",
            "phase",
            "local_authority",
            "region",
            "trust",
            "fsm_percent",
            "pupil_premium_top_half",
            "performance_band",
            "updated_at",
        ]
        read_only_fields = fields


class SchoolFilter(UpdatedSinceFilterSet):
    class Meta:
        model = School
        fields = ["updated_since"]


@extend_schema_view(
    list=extend_schema(responses={200: SchoolSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: SchoolSerializer, **ERROR_RESPONSES}),
)
class SchoolViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Schools, by URN (their Unique Reference Number in DfE's Get Information About Schools). They are public
    reference data, not any provider's, so provider admins and platform staff read them all; other roles may
    not. Listed in the order they were added."""

    serializer_class = SchoolSerializer
    filterset_class = SchoolFilter
    lookup_field = "urn"
    permission_classes = [IsSignedInWithMfa, MayReadSchools]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.school_list(user=self.request.user)

    def retrieve(self, request: Request, *args: object, urn: str, **kwargs: object) -> Response:
        if not URN.fullmatch(urn):
            raise Http404  # not a URN, so no school has it (and PostgreSQL is never sent a NUL byte)
        return Response(self.get_serializer(selectors.school_get(user=request.user, urn=urn)).data)
