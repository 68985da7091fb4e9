"""Schemathesis fuzzes every operation in /api/schema/, in-process over WSGI, with real API keys over the
demo data: no 5xx, and every response (status code, content type, headers, body) is one the schema
documents.

Two passes keep it fast and deterministic:
- random fuzzing (valid and invalid inputs) as three roles that see different rows: a provider admin,
  a participant and platform staff;
- schemathesis's coverage phase (every boundary and each kind of invalid value the schema implies,
  and methods the API does not allow) once, as platform staff, who sees the most data.

Schemathesis is used through its non-lazy pytest integration (the schema is loaded while collecting):
`schemathesis.pytest.from_fixture` reads `Function._nodeid`, which pytest 9.2 no longer has.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from accounts.services import api_token_create, invitation_create
from programmes.models import Provider

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Demo accounts (npqel/demo.py) whose keys the fuzzer uses.
ACTORS = {
    "provider_admin": "provider-admin@olp.example",  # sees and invites at one provider
    "participant": "participant@olp.example",  # sees only their own enrolment
    "platform_staff": "platform@npqel.example",  # sees every provider
}

FAST = settings(
    derandomize=True,
    deadline=None,
    database=None,  # nothing written to .hypothesis/: every run is the same
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def load_schema(phases: dict) -> schemathesis.BaseSchema:
    # An explicit config, so a schemathesis.toml found in a parent folder cannot change what runs. The
    # key is sent by the test itself, so generating values for the security schemes would only add noise.
    config = schemathesis.Config.from_dict(
        {"generation": {"with-security-parameters": False}, "phases": phases}
    )
    # Serving /api/schema/ to an anonymous client reads no table, so this works before the test database
    # exists.
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=config)


fuzzing = load_schema({"coverage": {"enabled": False}})
coverage = load_schema({"fuzzing": {"enabled": False}})


@pytest.fixture(autouse=True)
def _keep_test_transaction():
    """Let the real WSGI handler run inside the test's transaction.

    The handler closes "old" database connections when a request starts and finishes; inside the test's
    transaction that would drop it. Django's own test client disconnects these handlers for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def demo_world(demo_for_module, django_db_blocker):
    """The demo data, loaded once for the module (tests/conftest.py), plus an invitation at two providers; each
    test's own writes roll back with its transaction."""
    with django_db_blocker.unblock():
        for slug in ("olp", "llse"):
            invitation_create(
                invited_by=User.objects.get(email=f"provider-admin@{slug}.example"),
                email=f"new-coach@{slug}.example",
                role="coach",
                provider=Provider.objects.get(slug=slug),
            )


@pytest.fixture
def api_key(demo_world, db, actor: str) -> str:
    """A real key for the demo account `actor`."""
    _, key = api_token_create(user=User.objects.get(email=ACTORS[actor]), name="Fuzzing")
    return key


def call_and_validate(case, api_key: str) -> None:
    response = case.call_and_validate(headers={"Authorization": f"Token {api_key}"}, checks=CHECKS)
    # A 401 would mean the key never got through, and the run proved nothing about the signed-in API.
    assert response.status_code != 401, response.text


@fuzzing.parametrize()
@pytest.mark.parametrize("actor", list(ACTORS))
@settings(FAST, max_examples=3)  # tests/bad_input sends every operation as every role on real objects besides
def test_random_requests_get_documented_responses(case, api_key):
    call_and_validate(case, api_key)


@coverage.parametrize()
@pytest.mark.parametrize("actor", ["platform_staff"])
@FAST
def test_boundary_and_invalid_requests_get_documented_responses(case, api_key):
    call_and_validate(case, api_key)
