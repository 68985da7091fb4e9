"""Staff roles must set up a second factor before they can do anything else."""

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from npqel.access import access_for

# Paths a person without a second factor can still reach: setting one up, signing out, the health check.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/health/", "/api/", "/verify/")


class RequireMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.NPQEL_MFA_REQUIRED_FOR_STAFF and needs_mfa_setup(request.user):
            if not request.path.startswith(ALLOWED_PREFIXES):
                return redirect("mfa_activate_totp")
        return self.get_response(request)


def needs_mfa_setup(user: object) -> bool:
    """True when the user's role requires a second factor and they have none yet."""
    if not access_for(user).needs_mfa:
        return False
    # Kept on the user object for the rest of the request, like its roles: the API asks again.
    has_one = getattr(user, "_npqel_has_second_factor", None)
    if has_one is None:
        has_one = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._npqel_has_second_factor = has_one  # type: ignore[attr-defined]
    return not has_one
