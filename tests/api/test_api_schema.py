"""The OpenAPI schema is valid, complete and served with its documentation from our own static files."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLResolver, get_resolver, reverse
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()


def api_operations_from_urls() -> set[tuple[str, str]]:
    """(method, OpenAPI path) for every view in npqel/api_urls.py, read from the URL resolver."""

    def walk(resolver: URLResolver, namespace: str | None):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, entry.namespace or namespace)
            elif namespace == "api" and entry.name != "not_found":
                yield entry

    operations = set()
    for entry in walk(get_resolver(), None):
        args = [name for name in entry.pattern.regex.groupindex if name != "format"]  # skip `.json` twins
        path = reverse(f"api:{entry.name}", kwargs={name: f"PARAM-{name}" for name in args})
        # drf-spectacular names a `pk` after the model's primary key.
        path = re.sub(r"PARAM-(\w+)", lambda m: "{id}" if m[1] == "pk" else "{" + m[1] + "}", path)
        view = entry.callback
        actions = getattr(view, "actions", None)  # a viewset route: {"get": "list", "post": "create"}
        # (DRF adds "head" to a viewset's actions on its first request; OpenAPI leaves HEAD implied.)
        methods = {
            m
            for m in ("get", "post", "put", "patch", "delete")
            if (m in actions if actions else hasattr(view.cls, m))
        }
        operations |= {(method, path) for method in methods}
    return operations


def test_schema_is_a_valid_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on anything the OpenAPI 3 JSON schema rejects
    assert schema["info"]["title"] == "NPQEL Programme Manager API"


def test_schema_has_every_api_endpoint_and_nothing_else(schema):
    documented = {(method, path) for path, item in schema["paths"].items() for method in item}

    expected = api_operations_from_urls()

    assert documented == expected
    # The endpoints the README promises, so a broken URL walk above cannot make this pass vacuously.
    for name in ("me", "providers", "cohorts", "enrolments", "invitations"):
        assert ("get", f"/api/v1/{name}/") in documented
    assert ("post", "/api/v1/invitations/") in documented


def test_every_operation_documents_the_error_shape_and_key_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert {"tokenAuth": []} in operation["security"], (method, path)
            for status in ("400", "401", "403", "404", "429"):
                assert operation["responses"][status]["content"] == error, (method, path, status)
    body = schema["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"status", "code", "message", "fields"}


def test_lists_document_their_pagination_and_filters(schema):
    def params(path):
        return {p["name"]: p for p in schema["paths"][path]["get"].get("parameters", [])}

    for path in ("/api/v1/providers/", "/api/v1/cohorts/", "/api/v1/enrolments/", "/api/v1/invitations/"):
        assert {"page", "page_size"} <= set(params(path))
        page = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
            "$ref"
        ]
        listing = schema["components"]["schemas"][page.rsplit("/", 1)[1]]
        assert {"count", "next", "previous", "results"} <= set(listing["properties"])
    assert params("/api/v1/cohorts/")["intake"]["schema"]["enum"] == ["autumn", "spring"]
    assert "withdrawn" in params("/api/v1/enrolments/")["status"]["schema"]["enum"]
    assert "coach" in params("/api/v1/invitations/")["role"]["schema"]["enum"]


def test_spectacular_command_validates_without_warnings(tmp_path, schema):
    out = tmp_path / "schema.yaml"

    # --fail-on-warn turns any warning (an unresolvable serializer, authenticator, path parameter...) into
    # an error, so the schema cannot quietly drift from the code.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert yaml.safe_load(out.read_text()) == schema  # the file and the served schema are one document


def test_docs_page_loads_its_assets_from_our_own_static_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<redoc spec-url="/api/schema/">' in html
    assets = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("redoc.standalone.js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by us"
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among our static files"
    assert "cdn" not in html.lower() and "https://" not in html and "http://" not in html
