"""The API under junk, deeper than tests/api/test_api_fuzz.py goes.

That file fuzzes every operation in the OpenAPI schema as three roles, with ids schemathesis makes up, so an
operation on one object mostly answers 404 before it reads its body. Here:
- every route and method the API serves is in the schema, so the fuzzing cannot miss one
  (test_every_api_operation_is_in_the_schema);
- every operation is fuzzed as each of the seven roles (the demo accounts at Outstanding Leaders Partnership,
  the moderator and platform staff), with the ids in its path replaced by real objects: the ones that role works
  with (the participant's own place, the assessor's own allocations), else the provider's first. So the
  marking, moderation, metrics and write operations read their bodies and query strings, and junk reaches the
  checks behind them.
Not stateful (drf-spectacular describes no links between operations to follow); the real ids do that job.
Each answer: no 5xx, and a status code, content type, headers and body the schema documents.
"""

import re
from urllib.parse import quote

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.db.models import Model, QuerySet
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Invitation, User
from accounts.services import api_token_create
from assessment.models import (
    Allocation,
    AssessmentWindow,
    Certificate,
    Extension,
    ModerationItem,
    Receipt,
    Result,
    Submission,
    SubmissionVersion,
)
from participants.models import CoachingSession, Enrolment, EnrolmentImport, Participant, School
from programmes.models import Cohort, Component, DeliveryGroup, Programme, Provider, Session, Task

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Every role, as its demo account (npqel/demo.py).
ACTORS = {
    "provider_admin": "provider-admin@olp.example",
    "facilitator": "facilitator@olp.example",
    "coach": "coach@olp.example",
    "assessor": "assessor@olp.example",
    "participant": "participant@olp.example",
    "moderator": "moderator@npqel.example",
    "platform_staff": "platform@npqel.example",
}
FAST = settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=3,  # 83 operations × 7 roles: three requests each keeps the file to a few minutes
    suppress_health_check=list(HealthCheck),
)

# Which object each path's first segments name, and how to reach its provider (and, where the participant, coach,
# assessor or facilitator has their own, theirs): model, path to the provider, field the URL carries, paths to
# the people whose own it is.
RESOURCES: dict[str, tuple[type[Model], str | None, str, str | tuple[str, ...] | None]] = {
    "allocations": (Allocation, "submission__enrolment__provider", "pk", None),
    "assessment-windows": (AssessmentWindow, "cohort__programme__provider", "pk", None),
    "certificates": (Certificate, "enrolment__provider", "code", "enrolment__participant__user"),
    "coaching-sessions": (CoachingSession, "enrolment__provider", "pk", "coach"),
    "cohorts": (Cohort, "programme__provider", "pk", "enrolments__participant__user"),
    "components": (Component, "programme__provider", "pk", None),
    "enrolments": (Enrolment, "provider", "pk", ("participant__user", "coach")),
    "extensions": (Extension, "enrolment__provider", "pk", "enrolment__participant__user"),
    "groups": (DeliveryGroup, "cohort__programme__provider", "pk", None),
    "imports": (EnrolmentImport, "provider", "pk", None),
    "invitations": (Invitation, "provider", "pk", None),
    "marking/allocations": (Allocation, "submission__enrolment__provider", "pk", "assessor"),
    "moderation/items": (ModerationItem, "sample__provider", "pk", None),
    "participants": (Participant, "enrolments__provider", "pk", ("user", "enrolments__coach")),
    "programmes": (Programme, "provider", "pk", None),
    "providers": (Provider, None, "slug", None),
    "receipts": (
        Receipt,
        "submission__enrolment__provider",
        "reference",
        "submission__enrolment__participant__user",
    ),
    "results": (Result, "submission__enrolment__provider", "pk", "submission__enrolment__participant__user"),
    "schools": (School, None, "urn", "participants__user"),
    "sessions": (Session, "cohort__programme__provider", "pk", "facilitator"),
    "submission-versions": (
        SubmissionVersion,
        "submission__enrolment__provider",
        "pk",
        "submission__enrolment__participant__user",
    ),
    "submissions": (Submission, "enrolment__provider", "pk", "enrolment__participant__user"),
}
PREFIX = "/api/v1/"


def load_schema() -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {"generation": {"with-security-parameters": False}, "phases": {"coverage": {"enabled": False}}}
    )
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=config)


schema = load_schema()


def resource_of(path: str) -> str:
    segments = path.removeprefix(PREFIX).split("/")
    two = "/".join(segments[:2])
    return two if two in RESOURCES else segments[0]


def first(rows: QuerySet) -> object:
    return rows.order_by("pk").first()


def real_value(path: str, user: User, olp: Provider) -> object | None:
    """The value for the path's own id: the actor's own object if they have one, else the provider's first."""
    model, to_provider, field, to_owner = RESOURCES[resource_of(path)]
    rows = model.objects.all()
    row = None
    for owner in (to_owner,) if isinstance(to_owner, str) else to_owner or ():
        row = row or first(rows.filter(**{owner: user}).distinct())
    if row is None:
        row = first(rows.filter(**{to_provider: olp}).distinct() if to_provider else rows)
    return None if row is None else getattr(row, field)


@pytest.fixture(autouse=True)
def _keep_test_transaction():
    """The real WSGI handler runs inside the test's transaction (see tests/api/test_api_fuzz.py)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def actor_user(demo_for_module, db, actor: str) -> User:  # the demo, loaded once (tests/conftest.py)
    return User.objects.get(email=ACTORS[actor])


@pytest.fixture
def api_key(actor_user) -> str:
    _, key = api_token_create(user=actor_user, name="Fuzzing with real ids")
    return key


@schema.parametrize()
@pytest.mark.parametrize("actor", list(ACTORS))
@FAST
def test_every_operation_as_every_role_on_real_objects(case, actor, actor_user, api_key):
    olp = Provider.objects.get(slug="olp")
    path = case.operation.path
    for name in list(case.path_parameters or {}):
        if name == "number":
            value = 1  # the first task of the cohort's assessment
        elif name == "task_pk":
            enrolment = Enrolment.objects.get(pk=real_value("/api/v1/enrolments/", actor_user, olp))
            value = first(Task.objects.filter(module__course__programme=enrolment.cohort.programme)).pk
        else:
            value = real_value(path, actor_user, olp)
        if value is not None:
            case.path_parameters[name] = quote(str(value), safe="") if isinstance(value, str) else value
    response = case.call_and_validate(headers={"Authorization": f"Token {api_key}"}, checks=CHECKS)
    assert response.status_code != 401, response.text


# Every operation the API serves is in the schema -----------------------------------------------------------


def served_operations() -> set[tuple[str, str]]:
    """(url name, method) of every API route, read from the URL resolver and each view's own methods."""
    found: set[tuple[str, str]] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, ":".join(filter(None, [namespace, entry.namespace])))
            elif isinstance(entry, URLPattern) and namespace == "api" and entry.name != "not_found":
                if "format" in entry.pattern.regex.groupindex:
                    continue  # the same view with a format suffix (.json)
                view = entry.callback
                actions = getattr(view, "actions", None)
                if actions is not None:  # a viewset's route: the methods it maps (DRF adds HEAD once serving)
                    methods = set(actions)
                else:
                    cls = view.cls
                    methods = {m for m in cls.http_method_names if hasattr(cls, m)}
                methods -= {"options", "head"}  # answered by DRF itself from GET, and not in any schema
                found.update((entry.name, method) for method in methods)

    walk(get_resolver(), "")
    return found


def documented_operations() -> set[tuple[str, str]]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    documented = set()
    for path, operations in document["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        name = resolve(url).url_name
        documented |= {
            (name, method) for method in operations if method in {"get", "post", "put", "patch", "delete"}
        }
    return documented


def test_every_api_operation_is_in_the_schema():
    missing = served_operations() - documented_operations()
    assert not missing, (
        f"The API serves these, but the schema (so the fuzzing) does not know them: {sorted(missing)}"
    )
    assert len(served_operations()) >= 83
