"""The spreadsheet import through the API: upload a file to check it, read its preview or mistakes, confirm
it, send the invitations. The same services as the upload page (participants/imports.py)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from npqel.access import Action, provider_q, require_page
from npqel.api import ERROR_RESPONSES
from participants import imports, selectors
from participants.models import EnrolmentImport
from programmes.api import ValidInput, url_pk
from programmes.models import Programme, Provider


class ImportSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    uploaded_by = serializers.EmailField(source="uploaded_by.email", read_only=True, allow_null=True)
    report = serializers.JSONField(
        read_only=True,
        help_text="ok, summary (plain-English lines), counts, rows (what each row does) and problems "
        "(row as a spreadsheet numbers it, column, message).",
    )

    class Meta:
        model = EnrolmentImport
        fields = [
            "id",
            "provider",
            "file_name",
            "status",
            "create_cohorts",
            "programme",
            "uploaded_by",
            "created_at",
            "imported_at",
            "report",
        ]


class ImportListSerializer(ImportSerializer):
    """A list leaves out each file's report (GET the import for it)."""

    class Meta(ImportSerializer.Meta):
        fields = [name for name in ImportSerializer.Meta.fields if name != "report"]


class ImportUploadSerializer(serializers.Serializer):
    provider = serializers.SlugField(help_text="The slug of a provider whose enrolments you manage.")
    file = serializers.FileField(help_text="A CSV or XLSX file with a header row.")
    create_cohorts = serializers.BooleanField(default=False)
    programme = serializers.CharField(
        required=False,
        max_length=50,
        help_text="The programme's code: to create missing cohorts, or when "
        "two programmes share a cohort code.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        provider = (
            Provider.objects.filter(provider_q(user, Action.MANAGE_ENROLMENTS, via="pk"))
            .filter(slug=data["provider"])
            .first()
        )
        if provider is None:
            raise serializers.ValidationError(
                {"provider": "Give the slug of a provider whose enrolments you manage."}
            )
        data["provider"] = provider
        code = data.pop("programme", "")
        data["programme"] = None
        if code:
            data["programme"] = Programme.objects.filter(provider=provider, code__iexact=code).first()
            if data["programme"] is None:
                raise serializers.ValidationError(
                    {"programme": f"{provider.name} has no programme “{code}”."}
                )
        return data


@extend_schema_view(
    list=extend_schema(responses={200: ImportListSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ImportSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportSerializer, **ERROR_RESPONSES},
        description="Upload a spreadsheet to be checked in the background (status checking). Nothing is "
        "imported: GET the import until its status is ready (its report lists what importing will do) or "
        "rejected (every mistake with its row and column). Then POST to confirm/.",
    ),
    confirm=extend_schema(
        request=None,
        responses={202: ImportSerializer, **ERROR_RESPONSES},
        description="Import a checked file in the background, all or nothing (status importing, then imported). "
        "If the records changed since the check and a row no longer fits, nothing is written and status "
        "becomes rejected with the mistakes.",
    ),
    invite=extend_schema(
        request=None,
        responses={
            200: inline_serializer("ImportInvited", {"invited": serializers.IntegerField()}),
            **ERROR_RESPONSES,
        },
        description="Invite the file's participants who have not set up their account (nobody gets two).",
    ),
)
class ImportViewSet(ValidInput, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Spreadsheet imports of providers whose enrolments you may see; provider admins upload and confirm."""

    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ImportListSerializer if self.action == "list" else ImportSerializer

    def get_queryset(self) -> QuerySet[EnrolmentImport]:
        return selectors.import_list(user=self.request.user).order_by("pk")

    def get_object(self) -> EnrolmentImport:
        return selectors.import_get(user=self.request.user, pk=url_pk(self.kwargs))

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        require_page(request.user, Action.MANAGE_ENROLMENTS)
        data = self.valid_input(ImportUploadSerializer)
        upload = data["file"]
        batch = imports.import_upload(
            by=request.user,
            provider=data["provider"],
            file_name=upload.name or "upload",
            content=upload.read(imports.MAX_FILE_BYTES + 1),
            create_cohorts=data["create_cohorts"],
            programme=data["programme"],
        )
        return Response(ImportSerializer(batch).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        batch = selectors.import_get(
            user=request.user, pk=url_pk(self.kwargs), action=Action.MANAGE_ENROLMENTS
        )
        batch = imports.import_confirm_later(by=request.user, batch=batch)
        return Response(ImportSerializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str | None = None) -> Response:
        batch = selectors.import_get(
            user=request.user, pk=url_pk(self.kwargs), action=Action.MANAGE_ENROLMENTS
        )
        return Response({"invited": imports.import_invite(by=request.user, batch=batch)})
