from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import Invitation
from npqel.access import ROLE_LABELS, access_for
from npqel.api import ERROR_RESPONSES
from programmes.models import Provider, StaffMembership


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes `Authorization: Token <key>` in the schema, so clients and the docs know how to send a key."""

    target_class = "accounts.api_auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        # S106: "Token" is the header's keyword, not a secret.
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106


class MembershipSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = StaffMembership
        fields = ["provider", "role"]


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=[r.value for r in ROLE_LABELS]))
    memberships = MembershipSerializer(many=True)


class MeView(APIView):
    """Who you are signed in as, and your roles."""

    @extend_schema(responses={200: MeSerializer, **ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "email": user.email,
            "full_name": user.full_name,
            "roles": sorted(access_for(user).roles),
            "memberships": user.memberships.select_related("provider"),
        }
        return Response(MeSerializer(data).data)


class InvitationSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(
        slug_field="slug", queryset=Provider.objects.all(), required=False, allow_null=True
    )
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "full_name", "role", "provider", "state", "created_at", "expires_at"]
        read_only_fields = ["id", "state", "created_at", "expires_at"]


@extend_schema_view(
    list=extend_schema(responses={200: InvitationSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: InvitationSerializer, **ERROR_RESPONSES}),
    create=extend_schema(responses={201: InvitationSerializer, **ERROR_RESPONSES}),
)
class InvitationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Invitations you manage. Creating one emails the person a one-time link."""

    serializer_class = InvitationSerializer
    filterset_fields = ["role"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.invitation_list(user=self.request.user)

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invitation = services.invitation_create(
            invited_by=request.user,
            email=data["email"],
            role=data["role"],
            # Optional in the request: left out, it is "no provider", which the service explains if it matters.
            provider=data.get("provider"),
            full_name=data.get("full_name", ""),
        )
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)
