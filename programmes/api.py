from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from npqel.api import ERROR_RESPONSES
from programmes import selectors
from programmes.models import Cohort, Provider


class ProviderSerializer(serializers.ModelSerializer):
    cohort_count = serializers.IntegerField(read_only=True)
    staff_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Provider
        fields = ["slug", "name", "managed_by", "cohort_count", "staff_count"]


class CohortSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(source="programme.provider", slug_field="slug", read_only=True)
    programme = serializers.CharField(source="programme.code", read_only=True)
    recruitment_year = serializers.CharField(read_only=True)
    enrolment_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Cohort
        fields = [
            "id",
            "provider",
            "programme",
            "code",
            "intake",
            "start_date",
            "end_date",
            "recruitment_year",
            "enrolment_count",
        ]


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


@extend_schema_view(
    list=extend_schema(responses={200: CohortSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: CohortSerializer, **ERROR_RESPONSES}),
)
class CohortViewSet(viewsets.ReadOnlyModelViewSet):
    """Cohorts of the providers whose cohorts you may see."""

    serializer_class = CohortSerializer
    filterset_fields = ["intake"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.cohort_list(user=self.request.user).order_by("-start_date", "pk")
