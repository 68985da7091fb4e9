from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from npqel.api import ERROR_RESPONSES
from participants import selectors
from participants.models import Enrolment


class EnrolmentSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    cohort = serializers.CharField(source="cohort.code", read_only=True)
    participant_email = serializers.EmailField(source="participant.user.email", read_only=True)

    class Meta:
        model = Enrolment
        fields = ["id", "provider", "cohort", "participant_email", "status", "start_date"]


@extend_schema_view(
    list=extend_schema(responses={200: EnrolmentSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: EnrolmentSerializer, **ERROR_RESPONSES}),
)
class EnrolmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Enrolments at providers you administer, and your own."""

    serializer_class = EnrolmentSerializer
    filterset_fields = ["status"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.enrolment_list(user=self.request.user)
