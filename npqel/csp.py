"""The Content-Security-Policy and Permissions-Policy every response carries.

No page has inline script or style (tests/security crawls every page to keep it so), so the policy allows
script and style from our own static files only: an injected `<script>`, `style="…"` or `onclick="…"` does
nothing. Django 5.2 has no CSP of its own; Django 6.0's `SECURE_CSP` takes the same shape as ours (directive →
list of sources), so moving to 6.0 means swapping this middleware for django.middleware.csp's.

Two places need something else, each named: a view we own says so with `@csp_replace(...)` (the marking page's
frame of a PDF script), and a page a package serves is listed by URL name in `SECURE_CSP_BY_URL_NAME` (the
API documentation, drawn by Redoc).
"""

from collections.abc import Callable, Iterable, Mapping
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SELF = "'self'"
NONE = "'none'"
UNSAFE_INLINE = "'unsafe-inline'"
DATA = "data:"
BLOB = "blob:"

Policy = Mapping[str, Iterable[str]]


def policy_header(policy: Policy) -> str:
    """The header value: `directive source source; …`, in the order given; a directive with no sources is
    left out (an empty list means "not set", like Django 6.0's)."""
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items() if sources)


def policy_for(request: HttpRequest, response: HttpResponse) -> Policy:
    """The site's policy, with any directives the view (or its URL name) replaces."""
    replaced = getattr(response, "csp_replace", None)
    if replaced is None:
        match = getattr(request, "resolver_match", None)
        replaced = settings.SECURE_CSP_BY_URL_NAME.get(match.view_name) if match else None
    return {**settings.SECURE_CSP, **(replaced or {})}


def csp_replace(directives: Policy) -> Callable:
    """A view decorator: these directives replace the site's for this view's responses (the rest stay)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response.csp_replace = directives
            return response

        return wrapped

    return decorator


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response that has none yet.

    Django's SecurityMiddleware already sends X-Content-Type-Options, Referrer-Policy and
    Cross-Origin-Opener-Policy (settings SECURE_CONTENT_TYPE_NOSNIFF, SECURE_REFERRER_POLICY,
    SECURE_CROSS_ORIGIN_OPENER_POLICY).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in (404, 500):
            # Django's own debug pages (a developer's machine only) are styled inline: keep them readable.
            return response
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy_header(policy_for(request, response))
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = ", ".join(
                f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DENIED
            )
        return response
