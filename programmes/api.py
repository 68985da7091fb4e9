"""The programmes API: providers, programmes, components, cohorts, delivery groups and sessions.

Reads go through programmes.selectors and writes through programmes.services, as the pages do. A write is
checked three times over: a role that may never change programmes gets 403 before anything is read; the
object is then found among those the caller may see (another provider's is 404, like a missing one); and
the service refuses (403) unless the caller administers that object's provider. Ids in a request body are
looked up the same way, so another provider's id reads exactly like one that does not exist.
"""

import datetime
from collections.abc import Callable, Iterable
from typing import Any

import django_filters
from django import forms
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from npqel.access import Action, require_page
from npqel.api import ERROR_RESPONSES
from programmes import selectors, services
from programmes.models import (
    Cohort,
    Component,
    ContentArea,
    DeadlineExtension,
    DeliveryGroup,
    FeeOption,
    Instalment,
    Module,
    PlacementOption,
    Programme,
    Provider,
    Session,
    Task,
)
from programmes.timetable import FIRST_DAY, LAST_DAY, in_timetable_years

MAX_ID = 2**63 - 1  # ids are PostgreSQL bigints
READ_ONLY_ROLE = (
    "Only a provider admin can change programmes, components, cohorts, delivery groups and sessions. "
    "Your role lets you read them."
)


def require_manager(user: object) -> None:
    """403 before anything is read, for a role that may never change programmes (platform staff included)."""
    require_page(user, Action.MANAGE_PROGRAMMES, READ_ONLY_ROLE)


# Fields shared by the write serializers --------------------------------------------------------------------


def url_pk(kwargs: dict[str, Any]) -> int:
    """The id in the URL; anything that cannot be an id is simply not found."""
    try:
        pk = int(kwargs["pk"])
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def this_century(value: datetime.date) -> None:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not in_timetable_years(day):
        raise serializers.ValidationError(f"Enter a date from {FIRST_DAY.year} to {LAST_DAY.year}.")


class ThisCenturyDateField(serializers.DateField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validators=[this_century], **kwargs)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its UTC offset. A time without one is refused rather than guessed:
    16:00 means a different moment in BST and in GMT."""

    default_error_messages = {
        "naive": (
            "Give the time with its UTC offset, e.g. 2024-11-05T16:00:00+00:00 in winter (GMT) "
            "or 2024-06-04T16:00:00+01:00 in summer (BST)."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validators=[this_century], **kwargs)

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class VisibleId(serializers.IntegerField):
    """The id of a row the caller may see, turned into that row by its selector. Another provider's id gives
    the same message as an id that does not exist."""

    def __init__(self, *, get: Any, noun: str, **kwargs: Any) -> None:
        self.get, self.noun = get, noun
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        pk = super().run_validation(data)  # a whole number in range, or None where null is allowed
        if pk is None:
            return None
        try:
            return self.get(user=self.context["request"].user, pk=pk)
        except Http404:
            raise serializers.ValidationError(
                f"There is no {self.noun} with id {pk} that you can see. Check the id."
            ) from None


class ListField(serializers.ListField):
    """A list whose errors are plain messages naming the item ("Item 2: …"), as the API's error format has
    them, rather than DRF's {index: messages}."""

    def run_child_validation(self, data: list) -> list:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as error:
            detail = error.detail if isinstance(error.detail, dict) else {}
            raise serializers.ValidationError(
                [
                    f"Item {int(index) + 1}: {message}"
                    for index, messages in detail.items()
                    for message in messages
                ]
            ) from None


def ids_field(help_text: str) -> serializers.ListField:
    return ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, help_text=help_text
    )


def resolve_ids(
    found: Iterable[Any], wanted: list[int], *, field: str, message: Callable[[list[int]], str]
) -> list[Any]:
    """The rows `found` for the ids `wanted`, in that order; a 400 naming `field`, with `message(missing ids)`,
    for any id not among them."""
    by_id = {row.pk: row for row in found}
    missing = [pk for pk in dict.fromkeys(wanted) if pk not in by_id]
    if missing:
        raise serializers.ValidationError({field: [message(missing)]})
    return [by_id[pk] for pk in dict.fromkeys(wanted)]


def listed(ids: list[int]) -> str:
    return ", ".join(str(pk) for pk in ids)


def facilitators_of(provider: Provider, ids: list[int], *, field: str) -> list[User]:
    """The people with these ids, each a facilitator or provider admin at `provider` (else a 400)."""
    found = selectors.facilitator_list(provider=provider).filter(pk__in=ids) if ids else []
    return resolve_ids(
        found,
        ids,
        field=field,
        message=lambda missing: (
            f"User{'s' if len(missing) > 1 else ''} {listed(missing)}: not a facilitator or provider admin at "
            f"{provider.name}. Invite them as a facilitator first, or choose someone who is."
        ),
    )


class ValidInput:
    """Writes validate the shape of their input with a serializer, then hand it to a service."""

    def valid_input(self, serializer_class: type[serializers.Serializer], *, partial: bool = False) -> dict:
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


# Providers -----------------------------------------------------------------------------------------------


class ProviderSerializer(serializers.ModelSerializer):
    cohort_count = serializers.IntegerField(read_only=True)
    staff_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Provider
        fields = ["slug", "name", "managed_by", "cohort_count", "staff_count"]


@extend_schema_view(
    list=extend_schema(responses={200: ProviderSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ProviderSerializer, **ERROR_RESPONSES}),
)
class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    """Providers you work for (platform staff: all)."""

    serializer_class = ProviderSerializer
    lookup_field = "slug"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.provider_list(user=self.request.user)


# Programmes ----------------------------------------------------------------------------------------------

ENGAGEMENT_KINDS_HELP = "Component kinds that count toward engagement unless a component says otherwise."
# Values without labels: the schema then gives this list its own enum (EngagementKindsEnum) instead of warning
# that components' `kind` choices go by two names.
ENGAGEMENT_KINDS = Component.Kind.values


class ProgrammeSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    engagement_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=ENGAGEMENT_KINDS),
        read_only=True,
        help_text=ENGAGEMENT_KINDS_HELP,
    )

    class Meta:
        model = Programme
        fields = ["id", "provider", *services.PROGRAMME_FIELDS]


class ProgrammeListSerializer(ProgrammeSerializer):
    component_count = serializers.IntegerField(read_only=True)
    cohort_count = serializers.IntegerField(read_only=True)

    class Meta(ProgrammeSerializer.Meta):
        fields = [*ProgrammeSerializer.Meta.fields, "component_count", "cohort_count"]


class DeadlineExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeadlineExtension
        fields = ["id", "applies_from", "months", "reason"]


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instalment
        fields = ["months_after_start", "amount"]


class FeeOptionSerializer(serializers.ModelSerializer):
    instalments = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = FeeOption
        fields = ["id", "name", "amount", "plus_vat", "instalments"]


class PlacementOptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlacementOption
        fields = ["id", "name", "cost_from", "cost_to"]


class ContentAreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContentArea
        fields = ["id", "title", "position"]


def hours_field(help_text: str, source: str | None = None) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None, decimal_places=1, read_only=True, help_text=help_text, source=source
    )


class HourTotalsSerializer(serializers.Serializer):
    in_person = hours_field("Guided learning hours in person.")
    online_live = hours_field("Guided learning hours online and live.")
    self_directed = hours_field("Guided learning hours of self-directed learning.")
    synchronous = hours_field("In person plus online and live.")
    total = hours_field("All guided learning hours the provider publishes.")
    unpublished_components = serializers.IntegerField(
        source="unpublished",
        read_only=True,
        help_text="Components whose hours the provider does not publish.",
    )


class ProgrammeDetailSerializer(ProgrammeSerializer):
    deadline_extensions = DeadlineExtensionSerializer(source="extensions", many=True, read_only=True)
    fee_options = FeeOptionSerializer(many=True, read_only=True)
    placement_options = PlacementOptionSerializer(many=True, read_only=True)
    content_areas = ContentAreaSerializer(
        source="areas",
        many=True,
        read_only=True,
        help_text="Content areas (legacy) or areas of study (reformed).",
    )
    hours = HourTotalsSerializer(
        read_only=True, help_text="Guided learning hours of the components, by mode."
    )

    class Meta(ProgrammeSerializer.Meta):
        fields = [
            *ProgrammeSerializer.Meta.fields,
            "deadline_extensions",
            "fee_options",
            "placement_options",
            "content_areas",
            "hours",
        ]


class ProgrammeWriteSerializer(serializers.ModelSerializer):
    engagement_kinds = ListField(
        child=serializers.ChoiceField(choices=ENGAGEMENT_KINDS),
        required=False,
        help_text=ENGAGEMENT_KINDS_HELP,
    )

    class Meta:
        model = Programme
        fields = list(services.PROGRAMME_FIELDS)
        extra_kwargs = {
            "duration_months": {"min_value": 1, "max_value": 120},
            "deadline_months": {"min_value": 1, "max_value": 120},
            "engagement_threshold": {"min_value": 0, "max_value": 100},
        }
        validators: list = []  # the services own uniqueness, with a message that says what to do


class ProviderSlugField(serializers.SlugField):
    """A provider the caller works for, by its slug."""

    def run_validation(self, data: Any = serializers.empty) -> Provider:
        slug = super().run_validation(data)
        try:
            return selectors.provider_get(user=self.context["request"].user, slug=slug)
        except Http404:
            raise serializers.ValidationError(
                f"You do not work for a provider with the slug “{slug}”. Check the slug (GET /api/v1/providers/)."
            ) from None


class ProgrammeCreateSerializer(ProgrammeWriteSerializer):
    provider = ProviderSlugField(max_length=50, help_text="The slug of a provider you are an admin of.")

    class Meta(ProgrammeWriteSerializer.Meta):
        fields = ["provider", *services.PROGRAMME_FIELDS]


class ProgrammeFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter(
        field_name="provider__slug", help_text="Only this provider's (its slug)."
    )

    class Meta:
        model = Programme
        fields = ["provider"]


@extend_schema_view(
    list=extend_schema(responses={200: ProgrammeListSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ProgrammeDetailSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request=ProgrammeCreateSerializer, responses={201: ProgrammeDetailSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        request=ProgrammeWriteSerializer, responses={200: ProgrammeDetailSerializer, **ERROR_RESPONSES}
    ),
)
class ProgrammeViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Programmes and their rules. Provider admins create and change them; other staff read them."""

    serializer_class = ProgrammeListSerializer
    filterset_class = ProgrammeFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.programme_list(user=self.request.user)

    def read(self, pk: int) -> dict:
        programme = selectors.programme_get(user=self.request.user, pk=pk)
        programme.areas = selectors.content_area_list(programme=programme)
        programme.hours = selectors.hour_totals(selectors.component_list(programme=programme))
        return ProgrammeDetailSerializer(programme, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        return Response(self.read(url_pk(kwargs)))

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        require_manager(request.user)
        data = self.valid_input(ProgrammeCreateSerializer)
        programme = services.programme_create(by=request.user, **data)
        return Response(self.read(programme.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_manager(request.user)
        programme = selectors.programme_get(user=request.user, pk=url_pk(kwargs))
        changes = self.valid_input(ProgrammeWriteSerializer, partial=True)
        services.programme_update(by=request.user, programme=programme, **changes)
        return Response(self.read(programme.pk))


# Components ----------------------------------------------------------------------------------------------


class ComponentSerializer(serializers.ModelSerializer):
    programme = serializers.PrimaryKeyRelatedField(read_only=True)
    content_areas = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the programme's content areas this component covers."
    )

    class Meta:
        model = Component
        fields = ["id", "programme", *services.COMPONENT_FIELDS, "position", "content_areas"]


class ComponentListSerializer(ComponentSerializer):
    module_count = serializers.IntegerField(read_only=True, help_text="Modules of an online course.")

    class Meta(ComponentSerializer.Meta):
        fields = [*ComponentSerializer.Meta.fields, "module_count"]


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "title", "core", "position"]


class ModuleSerializer(serializers.ModelSerializer):
    tasks = TaskSerializer(many=True, read_only=True)

    class Meta:
        model = Module
        fields = ["id", "title", "position", "tasks"]


class ComponentDetailSerializer(ComponentSerializer):
    modules = ModuleSerializer(
        many=True, read_only=True, help_text="An online course's modules and their tasks (empty otherwise)."
    )

    class Meta(ComponentSerializer.Meta):
        fields = [*ComponentSerializer.Meta.fields, "modules"]


class ComponentWriteSerializer(serializers.ModelSerializer):
    counts_toward_engagement = serializers.BooleanField(
        required=False,
        help_text="Left out when creating, it follows the programme's engagement_kinds for this kind.",
    )
    content_areas = ids_field(
        "Ids of the programme's content areas (or areas of study) this component covers."
    )

    class Meta:
        model = Component
        fields = [*services.COMPONENT_FIELDS, "content_areas"]
        extra_kwargs = {
            "guided_learning_hours": {
                "min_value": 0,
                "help_text": "Leave it null where you do not publish the hours.",
            }
        }
        validators: list = []


class ComponentCreateSerializer(ComponentWriteSerializer):
    programme = VisibleId(get=selectors.programme_get, noun="programme")

    class Meta(ComponentWriteSerializer.Meta):
        fields = ["programme", *ComponentWriteSerializer.Meta.fields]


def content_areas_of(programme: Programme, ids: list[int]) -> list[ContentArea]:
    return resolve_ids(
        selectors.content_area_list(programme=programme).filter(pk__in=ids) if ids else [],
        ids,
        field="content_areas",
        message=lambda missing: (
            f"{listed(missing)}: not one of this programme's {programme.content_area_label.lower()}. "
            "Use the ids listed in the programme's content_areas."
        ),
    )


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ComponentFilter(django_filters.FilterSet):
    programme = IdFilter(field_name="programme_id", help_text="Only this programme's components (its id).")

    class Meta:
        model = Component
        fields = ["programme"]


@extend_schema_view(
    list=extend_schema(responses={200: ComponentListSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ComponentDetailSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request=ComponentCreateSerializer, responses={201: ComponentDetailSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        request=ComponentWriteSerializer, responses={200: ComponentDetailSerializer, **ERROR_RESPONSES}
    ),
    destroy=extend_schema(responses={204: None, **ERROR_RESPONSES}),
)
class ComponentViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The parts of a programme (residentials, webinars, online courses…) with their guided learning hours."""

    serializer_class = ComponentListSerializer
    filterset_class = ComponentFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.component_list_visible(user=self.request.user)

    def read(self, pk: int) -> dict:
        component = selectors.component_get(user=self.request.user, pk=pk)
        return ComponentDetailSerializer(component, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        return Response(self.read(url_pk(kwargs)))

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        require_manager(request.user)
        data = self.valid_input(ComponentCreateSerializer)
        programme = data.pop("programme")
        areas = content_areas_of(programme, data.pop("content_areas", []))
        component = services.component_create(
            by=request.user, programme=programme, content_areas=areas, **data
        )
        return Response(self.read(component.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_manager(request.user)
        component = selectors.component_get(user=request.user, pk=url_pk(kwargs))
        changes = self.valid_input(ComponentWriteSerializer, partial=True)
        if "content_areas" in changes:
            changes["content_areas"] = content_areas_of(component.programme, changes["content_areas"])
        services.component_update(by=request.user, component=component, **changes)
        return Response(self.read(component.pk))

    def destroy(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_manager(request.user)
        component = selectors.component_get(user=request.user, pk=url_pk(kwargs))
        services.component_remove(by=request.user, component=component)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Cohorts -------------------------------------------------------------------------------------------------


class CohortSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(source="programme.provider", slug_field="slug", read_only=True)
    programme = serializers.CharField(
        source="programme.code", read_only=True, help_text="The programme's code."
    )
    programme_id = serializers.IntegerField(read_only=True)
    delivery_partner = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the delivery partner, if the cohort has one."
    )
    recruitment_year = serializers.CharField(read_only=True)
    enrolment_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Cohort
        fields = [
            "id",
            "provider",
            "programme",
            "programme_id",
            "code",
            "intake",
            "start_date",
            "end_date",
            "delivery_partner",
            "recruitment_target",
            "fsm_target_percent",
            "non_white_british_target_percent",
            "recruitment_year",
            "enrolment_count",
        ]


class CohortWriteSerializer(serializers.ModelSerializer):
    start_date = ThisCenturyDateField()
    end_date = ThisCenturyDateField(
        required=False, help_text="Left out when creating, the cohort runs for the programme's duration."
    )
    delivery_partner = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        required=False,
        help_text="Id of one of the provider's delivery partners.",
    )

    class Meta:
        model = Cohort
        fields = [
            "code",
            "intake",
            "start_date",
            "end_date",
            "delivery_partner",
            "recruitment_target",
            "fsm_target_percent",
            "non_white_british_target_percent",
        ]
        extra_kwargs = {
            "recruitment_target": {"max_value": 100_000},
            "fsm_target_percent": {"min_value": 0, "max_value": 100},
            "non_white_british_target_percent": {"min_value": 0, "max_value": 100},
        }
        validators: list = []


class CohortCreateSerializer(CohortWriteSerializer):
    programme_id = VisibleId(
        get=selectors.programme_get, noun="programme", help_text="Id of the cohort's programme."
    )
    copy_timetable_from = VisibleId(
        get=selectors.cohort_get,
        noun="cohort",
        required=False,
        help_text="Id of a cohort of the same programme whose delivery groups and sessions to copy, moved to "
        "the new start date (keeping weekdays and local times).",
    )

    class Meta(CohortWriteSerializer.Meta):
        fields = ["programme_id", *CohortWriteSerializer.Meta.fields, "copy_timetable_from"]


def with_delivery_partner(data: dict, provider: Provider) -> dict:
    """`data` with its delivery partner id turned into one of `provider`'s delivery partners (else a 400)."""
    pk = data.get("delivery_partner")
    if pk is not None:
        data["delivery_partner"] = resolve_ids(
            selectors.delivery_partner_list(provider=provider).filter(pk=pk),
            [pk],
            field="delivery_partner",
            message=lambda missing: (
                f"{listed(missing)}: not one of {provider.name}'s delivery partners. Check the id."
            ),
        )[0]
    return data


@extend_schema_view(
    list=extend_schema(responses={200: CohortSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: CohortSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request=CohortCreateSerializer, responses={201: CohortSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        request=CohortWriteSerializer, responses={200: CohortSerializer, **ERROR_RESPONSES}
    ),
)
class CohortViewSet(ValidInput, viewsets.ReadOnlyModelViewSet):
    """Cohorts of the providers whose cohorts you may see. Provider admins open and change them."""

    serializer_class = CohortSerializer
    filterset_fields = ["intake"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.cohort_list(user=self.request.user).order_by("-start_date", "pk")

    def read(self, pk: int) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=pk)).data

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        require_manager(request.user)
        data = self.valid_input(CohortCreateSerializer)
        programme = data.pop("programme_id")
        with_delivery_partner(data, programme.provider)
        cohort = services.cohort_create(by=request.user, programme=programme, **data)
        return Response(self.read(cohort.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_manager(request.user)
        cohort = selectors.cohort_get(user=request.user, pk=url_pk(kwargs))
        changes = with_delivery_partner(
            self.valid_input(CohortWriteSerializer, partial=True), cohort.programme.provider
        )
        services.cohort_update(by=request.user, cohort=cohort, **changes)
        return Response(self.read(cohort.pk))


# Delivery groups -----------------------------------------------------------------------------------------


class GroupSerializer(serializers.ModelSerializer):
    cohort = serializers.PrimaryKeyRelatedField(read_only=True)
    facilitators = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="User ids of the group's facilitators."
    )

    class Meta:
        model = DeliveryGroup
        fields = ["id", "cohort", "name", "region", "facilitators"]


class GroupListSerializer(GroupSerializer):
    session_count = serializers.IntegerField(read_only=True, help_text="Sessions scheduled for this group.")

    class Meta(GroupSerializer.Meta):
        fields = [*GroupSerializer.Meta.fields, "session_count"]


class GroupWriteSerializer(serializers.ModelSerializer):
    facilitators = ids_field("User ids of the group's facilitators: facilitators or admins of the provider.")

    class Meta:
        model = DeliveryGroup
        fields = ["name", "region", "facilitators"]
        validators: list = []


class GroupCreateSerializer(GroupWriteSerializer):
    cohort = VisibleId(get=selectors.cohort_get, noun="cohort")

    class Meta(GroupWriteSerializer.Meta):
        fields = ["cohort", *GroupWriteSerializer.Meta.fields]


class GroupFilter(django_filters.FilterSet):
    cohort = IdFilter(field_name="cohort_id", help_text="Only this cohort's groups (its id).")

    class Meta:
        model = DeliveryGroup
        fields = ["cohort"]


@extend_schema_view(
    list=extend_schema(responses={200: GroupListSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: GroupSerializer, **ERROR_RESPONSES}),
    create=extend_schema(request=GroupCreateSerializer, responses={201: GroupSerializer, **ERROR_RESPONSES}),
    partial_update=extend_schema(
        request=GroupWriteSerializer, responses={200: GroupSerializer, **ERROR_RESPONSES}
    ),
    destroy=extend_schema(responses={204: None, **ERROR_RESPONSES}),
)
class GroupViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A cohort's delivery (training) groups and their facilitators. Removing a group keeps its sessions,
    for the whole cohort."""

    serializer_class = GroupListSerializer
    filterset_class = GroupFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.group_list_visible(user=self.request.user)

    def read(self, pk: int) -> dict:
        group = selectors.group_get(user=self.request.user, pk=pk)
        return GroupSerializer(group, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        return Response(self.read(url_pk(kwargs)))

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        require_manager(request.user)
        data = self.valid_input(GroupCreateSerializer)
        cohort = data.pop("cohort")
        facilitators = facilitators_of(
            cohort.programme.provider, data.pop("facilitators", []), field="facilitators"
        )
        group = services.group_create(by=request.user, cohort=cohort, facilitators=facilitators, **data)
        return Response(self.read(group.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_manager(request.user)
        group = selectors.group_get(user=request.user, pk=url_pk(kwargs))
        changes = self.valid_input(GroupWriteSerializer, partial=True)
        provider = group.cohort.programme.provider
        if "facilitators" in changes:
            facilitators = facilitators_of(provider, changes["facilitators"], field="facilitators")
        else:
            facilitators = list(group.facilitators.all())
        services.group_update(
            by=request.user,
            group=group,
            name=changes.get("name", group.name),
            region=changes.get("region", group.region),
            facilitators=facilitators,
        )
        return Response(self.read(group.pk))

    def destroy(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_manager(request.user)
        group = selectors.group_get(user=request.user, pk=url_pk(kwargs))
        services.group_remove(by=request.user, group=group)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Sessions ------------------------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    cohort = serializers.PrimaryKeyRelatedField(read_only=True)
    component = serializers.PrimaryKeyRelatedField(read_only=True)
    group = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Null: the session is for the whole cohort."
    )
    facilitator = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="User id of the facilitator."
    )
    repeat_of = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The session this one repeats: attending either counts once.",
    )
    online_link = serializers.CharField(
        read_only=True, help_text="Where to join an online session; empty for one in person."
    )
    display_title = serializers.CharField(
        read_only=True, help_text="The title, or else the component's title."
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "cohort",
            "component",
            "group",
            "title",
            "display_title",
            "starts_at",
            "ends_at",
            "venue",
            "online_link",
            "capacity",
            "facilitator",
            "repeat_of",
            "series",
        ]
        read_only_fields = fields


MOMENT_HELP = "ISO 8601 with the UTC offset, e.g. 2024-11-05T16:00:00+00:00; a time without one is refused."


class SessionWriteSerializer(serializers.ModelSerializer):
    component = VisibleId(
        get=selectors.component_get, noun="component", help_text="A component of the cohort's programme."
    )
    group = VisibleId(
        get=selectors.group_get,
        noun="delivery group",
        allow_null=True,
        required=False,
        help_text="One of the cohort's delivery groups; null for the whole cohort.",
    )
    starts_at = AwareDateTimeField(help_text=MOMENT_HELP)
    ends_at = AwareDateTimeField(help_text=MOMENT_HELP)
    facilitator = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        required=False,
        help_text="User id of a facilitator or admin of the provider.",
    )
    repeat_of = VisibleId(
        get=selectors.session_get,
        noun="session",
        allow_null=True,
        required=False,
        help_text="Id of the original session of the same cohort and component that this one repeats.",
    )

    class Meta:
        model = Session
        fields = [
            "component",
            "group",
            "title",
            "starts_at",
            "ends_at",
            "venue",
            "online_link",
            "capacity",
            "facilitator",
            "repeat_of",
        ]
        extra_kwargs = {"capacity": {"min_value": 1, "max_value": 100_000}}
        validators: list = []


class SessionCreateSerializer(SessionWriteSerializer):
    cohort = VisibleId(get=selectors.cohort_get, noun="cohort")

    class Meta(SessionWriteSerializer.Meta):
        fields = ["cohort", *SessionWriteSerializer.Meta.fields]


# "from" is a Python keyword, so these query parameters are declared by name.
SessionWindow = type(
    "SessionWindow",
    (serializers.Serializer,),
    {
        "from": AwareDateTimeField(
            required=False, help_text="Only sessions starting at or after this moment."
        ),
        "to": AwareDateTimeField(required=False, help_text="Only sessions starting before this moment."),
    },
)


class SessionFilter(django_filters.FilterSet):
    cohort = IdFilter(field_name="cohort_id", help_text="Only this cohort's sessions (its id).")

    class Meta:
        model = Session
        fields = ["cohort"]


def with_facilitator(data: dict, provider: Provider) -> dict:
    pk = data.get("facilitator")
    if pk is not None:
        data["facilitator"] = facilitators_of(provider, [pk], field="facilitator")[0]
    return data


@extend_schema_view(
    list=extend_schema(
        parameters=[SessionWindow], responses={200: SessionSerializer(many=True), **ERROR_RESPONSES}
    ),
    retrieve=extend_schema(responses={200: SessionSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request=SessionCreateSerializer, responses={201: SessionSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        request=SessionWriteSerializer, responses={200: SessionSerializer, **ERROR_RESPONSES}
    ),
    destroy=extend_schema(responses={204: None, **ERROR_RESPONSES}),
)
class SessionViewSet(ValidInput, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Scheduled sessions, in start order. Times are ISO 8601 with their UTC offset. Cancelling a session
    that has repeats keeps them: the earliest becomes the session the others repeat."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        given = {k: v for k in ("from", "to") if (v := self.request.query_params.get(k))}
        window = SessionWindow(data=given)
        window.is_valid(raise_exception=True)
        return selectors.session_list(
            user=self.request.user,
            starts_from=window.validated_data.get("from"),
            starts_before=window.validated_data.get("to"),
            with_details=False,
        )

    def read(self, pk: int) -> dict:
        session = selectors.session_get(user=self.request.user, pk=pk)
        return SessionSerializer(session, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args: object, **kwargs: Any) -> Response:
        return Response(self.read(url_pk(kwargs)))

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        require_manager(request.user)
        data = self.valid_input(SessionCreateSerializer)
        cohort = data.pop("cohort")
        with_facilitator(data, cohort.programme.provider)
        session = services.session_schedule(by=request.user, cohort=cohort, **data)
        return Response(self.read(session.pk), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_manager(request.user)
        session = selectors.session_get(user=request.user, pk=url_pk(kwargs))
        changes = with_facilitator(
            self.valid_input(SessionWriteSerializer, partial=True), session.cohort.programme.provider
        )
        services.session_update(by=request.user, session=session, **changes)
        return Response(self.read(session.pk))

    def destroy(self, request: Request, *args: object, **kwargs: Any) -> Response:
        require_manager(request.user)
        session = selectors.session_get(user=request.user, pk=url_pk(kwargs))
        services.session_cancel(by=request.user, session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)
