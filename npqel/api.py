"""The API's shared parts: one error format, pagination, the sign-in rule."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, pagination, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from npqel.errors import DomainError


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


# DRF answers a request with no credentials with its own NotAuthenticated before asking the permission
# for its message, so error_handler puts this text on it.
NOT_SIGNED_IN_MESSAGE = "Sign in to use the API, or send your API key as: Authorization: Token <your key>."


class IsSignedInWithMfa(permissions.BasePermission):
    """Signed in; a session of a role that needs a second factor must have set one up."""

    message = NOT_SIGNED_IN_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        from npqel.middleware import needs_mfa_setup

        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.auth is None and needs_mfa_setup(user):
            self.message = "Set up two-factor authentication on your account before using the API."
            return False
        return True


ERROR_CODES = {
    400: "invalid",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def error_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error has the shape {"error": {"status", "code", "message", "fields"}}."""
    from rest_framework.views import exception_handler  # here: DRF imports this module while loading views

    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        exc = exceptions.ValidationError(fields or {"non_field_errors": [exc.message]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND_MESSAGE)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    fields: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        fields = {k: v for k, v in response.data.items() if k != "non_field_errors"}
        non_field = response.data.get("non_field_errors")
        message = (
            " ".join(str(m) for m in non_field) if non_field else "Check the fields listed and try again."
        )
    elif isinstance(exc, exceptions.ValidationError):
        message = (
            " ".join(str(m) for m in response.data) if isinstance(response.data, list) else str(response.data)
        )
    elif isinstance(exc, exceptions.NotAuthenticated):
        message = NOT_SIGNED_IN_MESSAGE
    else:
        message = (
            str(response.data.get("detail", "")) if isinstance(response.data, dict) else str(response.data)
        )
    response.data = {
        "error": {
            "status": response.status_code,
            "code": ERROR_CODES.get(response.status_code, "error"),
            "message": message,
            "fields": fields,
        }
    }
    return response


NOT_FOUND_MESSAGE = "Not found. It may not exist, or you may not have access to it."


@csrf_exempt  # it changes nothing, and a POST to a mistyped path should say "not found", not "CSRF failed"
def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Any other path under /api/v1/ answers 404 in the API's error shape, not with the HTML page."""
    return JsonResponse(
        {"error": {"status": 404, "code": "not_found", "message": NOT_FOUND_MESSAGE, "fields": {}}},
        status=404,
    )


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "status": serializers.IntegerField(),
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
            },
        )
    },
)
ERROR_RESPONSES = {
    code: OpenApiResponse(ErrorSerializer, description=desc)
    for code, desc in [
        (400, "Invalid input"),
        (401, "Not signed in"),
        (403, "Not allowed"),
        (404, "Not found"),
        (429, "Too many requests"),
    ]
}
