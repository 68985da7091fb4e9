"""The metrics report through the API (issue 8): the same JSON as `manage.py metrics_report`, for a provider's
admins and platform staff."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.compute import metrics_report
from metrics.services import check_year
from npqel.access import Action
from npqel.api import ERROR_RESPONSES
from npqel.errors import DomainError
from programmes.models import Programme
from programmes.selectors import provider_get

PERCENT = {
    "allow_null": True,
    "help_text": "Two decimals, rounded half up; null when there is nothing to divide by",
}


class RecruitmentSerializer(serializers.Serializer):
    target = serializers.IntegerField(allow_null=True)
    recruited = serializers.IntegerField()
    percent_of_target = serializers.FloatField(**PERCENT)


class ShareSerializer(serializers.Serializer):
    target_percent = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    percent = serializers.FloatField(**PERCENT)
    percent_of_target = serializers.FloatField(allow_null=True, help_text="From the unrounded share")


class PresentationSerializer(serializers.Serializer):
    presented = serializers.IntegerField()
    within_deadline = serializers.IntegerField()
    percent = serializers.FloatField(**PERCENT)


class AccuracySerializer(serializers.Serializer):
    assessments = serializers.IntegerField()
    moderated = serializers.IntegerField()
    moderated_percent = serializers.FloatField(**PERCENT)
    agreed = serializers.IntegerField()
    accuracy_percent = serializers.FloatField(**PERCENT)


class FeedbackSerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    mean_rating = serializers.FloatField(allow_null=True)


class RetentionSerializer(serializers.Serializer):
    started = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    retention_percent = serializers.FloatField(**PERCENT)
    deferred = serializers.IntegerField()
    deferred_percent = serializers.FloatField(**PERCENT)
    submitted = serializers.IntegerField()
    passed = serializers.IntegerField()
    achievement_percent = serializers.FloatField(**PERCENT)


class MetricsReportSerializer(serializers.Serializer):
    provider = serializers.CharField()
    programme = serializers.CharField(allow_null=True)
    recruitment_year = serializers.CharField()
    recruitment = RecruitmentSerializer()
    fsm = ShareSerializer()
    non_white_british = ShareSerializer()
    presentation = PresentationSerializer()
    accuracy = AccuracySerializer()
    feedback = FeedbackSerializer()
    retention = RetentionSerializer()
    groups = serializers.JSONField(
        help_text="Retention, deferral and achievement by sex, ethnicity, disability, school FSM band and school "
        "performance band, each with its test of independence and a verdict in words (metrics/groups.py)"
    )


class MetricsView(APIView):
    """A provider's DfE quality metrics for one recruitment year."""

    @extend_schema(
        summary="DfE quality metrics",
        description="The seven metrics of a provider for one recruitment year, for all its programmes or one, "
        "computed now from the records and imported history. Provider admins and platform staff.",
        parameters=[
            OpenApiParameter(
                "year", OpenApiTypes.STR, required=True, description="The recruitment year, e.g. 2019/20"
            ),
            OpenApiParameter(
                "programme", OpenApiTypes.STR, description="One programme's code (default: all)"
            ),
        ],
        responses={200: MetricsReportSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, slug: str) -> Response:
        provider = provider_get(user=request.user, slug=slug, action=Action.VIEW_METRICS)
        raw_year = request.query_params.get("year", "")
        if not raw_year:
            raise DomainError("Give the recruitment year, for example ?year=2019/20.", field="year")
        try:
            year = check_year(raw_year)
        except DomainError as problem:
            raise DomainError(problem.message, field="year") from None  # the parameter's own name
        programme = None
        code = request.query_params.get("programme", "")
        if code:
            programme = Programme.objects.filter(provider=provider, code__iexact=code).first()
            if programme is None:
                raise DomainError(f"{provider.name} has no programme “{code}”.", field="programme")
        report = metrics_report(provider=provider, recruitment_year=year, programme=programme)
        return Response(MetricsReportSerializer(report).data)
