"""In production the session and CSRF cookies go over HTTPS only, are out of reach of page scripts and of other
sites' requests (SameSite=Lax), and are bound to the exact host; browsers are told to use HTTPS for a year."""

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from npqel.access import Role
from tests.accounts.factories import PASSWORD
from tests.npqel.test_production_settings import PRODUCTION_ENV, load_production
from tests.people import person

COOKIE_SETTINGS = [
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
]


@pytest.fixture
def production(monkeypatch) -> dict[str, object]:
    return load_production(monkeypatch, PRODUCTION_ENV)


def test_production_sends_https_only_cookies_and_hsts(production):
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_HTTPONLY"] and production["CSRF_COOKIE_HTTPONLY"]
    assert production["SESSION_COOKIE_SAMESITE"] == production["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert production["SECURE_SSL_REDIRECT"] and production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and production["SECURE_HSTS_PRELOAD"]
    assert production["SECURE_CSP"]["script-src"] == ["'self'"]  # the same policy as everywhere


@pytest.mark.django_db
def test_signing_in_under_production_cookie_settings_sets_cookies_a_script_cannot_read(production, provider):
    participant = person(Role.PARTICIPANT, provider)
    client = Client(enforce_csrf_checks=True)
    with override_settings(**{name: production[name] for name in COOKIE_SETTINGS}):
        page = client.get(reverse("account_login"), secure=True)
        csrf = page.cookies["__Host-csrftoken"]
        # The sign-in form works with the token from its hidden field, as htmx's posts do: no script reads the
        # cookie. Without the token the post is refused.
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
        form = {"login": participant.email, "password": PASSWORD}
        origin = {"HTTP_ORIGIN": "https://testserver"}
        assert client.post(reverse("account_login"), form, secure=True, **origin).status_code == 403
        signed_in = client.post(
            reverse("account_login"), {**form, "csrfmiddlewaretoken": token}, secure=True, **origin
        )
        assert signed_in.status_code == 302 and signed_in["Location"] == reverse("home")
        session = signed_in.cookies["__Host-sessionid"]
        assert client.get(reverse("home"), secure=True).status_code == 200
    for cookie in (csrf, session):
        assert cookie["secure"] is True and cookie["httponly"] is True, cookie.key
        assert cookie["samesite"] == "Lax" and cookie["path"] == "/" and not cookie["domain"], cookie.key
