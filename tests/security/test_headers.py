"""The security headers each response carries, and the two places with a policy of their own: the PDF of a script,
which the marking page frames, and the API documentation, which Redoc draws with inline styles."""

import pytest
from django.test import override_settings
from django.urls import reverse

from npqel.access import Role
from tests.assessment.marking_setup import allocate, marking_cohort
from tests.people import person

pytestmark = pytest.mark.django_db

SITE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in policy.split("; ")}


def test_a_page_carries_the_site_policy_and_the_other_security_headers(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == SITE_POLICY
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    permissions = response["Permissions-Policy"].split(", ")
    assert {"camera=()", "microphone=()", "geolocation=()", "payment=()"} <= set(permissions)


@pytest.mark.parametrize("path", ["/no-such-page/", "/api/v1/no-such-thing/", "/health/"])
def test_errors_json_and_health_answers_carry_the_policy_too(client, path):
    assert client.get(path)["Content-Security-Policy"] == SITE_POLICY


def test_a_signed_in_page_carries_the_policy(client, provider):
    client.force_login(person(Role.PARTICIPANT, provider))
    response = client.get(reverse("home"))
    assert response.status_code == 200 and response["Content-Security-Policy"] == SITE_POLICY


def test_only_our_own_pages_may_frame_a_scripts_pdf(client, provider):
    cohort = marking_cohort(provider, n=1)
    assessor = cohort.assessors[0]
    allocation = allocate(cohort.scripts[0], assessor)
    client.force_login(assessor)
    file = cohort.scripts[0].versions.get().files.get()

    script = client.get(reverse("script_file", args=[file.pk]))
    assert script.status_code == 200
    assert directives(script)["frame-ancestors"] == "'self'"
    assert script["X-Frame-Options"] == "SAMEORIGIN"
    # Everything else stays as strict as the site's; and the marking page itself may not be framed at all.
    assert {k: v for k, v in directives(script).items() if k != "frame-ancestors"} == {
        k: v for k, v in directives(client.get(reverse("account_login"))).items() if k != "frame-ancestors"
    }
    marking = client.get(reverse("marking_page", args=[allocation.pk]))
    assert marking.status_code == 200 and directives(marking)["frame-ancestors"] == "'none'"


def test_the_api_documentation_has_inline_styles_and_workers_but_no_inline_scripts(client):
    response = client.get(reverse("api_docs"))
    policy = directives(response)
    assert policy["style-src"] == "'self' 'unsafe-inline'"  # Redoc writes its styles as it draws
    assert policy["worker-src"] == "'self' blob:"  # and searches in a worker
    assert policy["script-src"] == "'self'" and policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"


@override_settings(DEBUG=True)
def test_djangos_debug_pages_on_a_developers_machine_keep_their_inline_styles(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Content-Security-Policy" not in response
    assert client.get(reverse("account_login"))["Content-Security-Policy"] == SITE_POLICY
