"""The import through the API: upload to check, read the report, confirm, invite; the same rules as the page."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import api_token_create
from npqel.access import Role
from participants.models import Enrolment, EnrolmentImport
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory, ProviderFactory

pytestmark = pytest.mark.django_db
D = datetime.date
GOOD = b"""external_id,email,first_name,last_name,school_urn,school_name,cohort_code
A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025
A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025
"""


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def programme(provider):
    programme = ProgrammeFactory(provider=provider, code="npqel")
    CohortFactory(programme=programme, code="ee-2025", start_date=D(2025, 9, 1), end_date=D(2027, 2, 28))
    return programme


def auth(user) -> dict[str, str]:
    _, key = api_token_create(user=user, name="Tests")
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def upload(client, headers, provider_slug: str, content: bytes, **fields):
    data = {"provider": provider_slug, "file": SimpleUploadedFile("cohort.csv", content), **fields}
    return client.post("/api/v1/imports/", data, **headers)


def test_upload_checks_then_confirm_imports_then_invite(
    client, provider, programme, django_capture_on_commit_callbacks
):
    headers = auth(person(Role.PROVIDER_ADMIN, provider))
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, headers, provider.slug, GOOD)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "checking"  # checked in the background
    body = client.get(f"/api/v1/imports/{response.json()['id']}/", **headers).json()
    assert body["status"] == "ready"
    assert body["report"]["counts"]["create"] == 2
    assert Enrolment.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/api/v1/imports/{body['id']}/confirm/", **headers)
    assert confirmed.status_code == 202
    assert confirmed.json()["status"] == "importing"
    assert client.get(f"/api/v1/imports/{body['id']}/", **headers).json()["status"] == "imported"
    assert Enrolment.objects.filter(provider=provider).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(f"/api/v1/imports/{body['id']}/invite/", **headers)
    assert invited.json() == {"invited": 2}
    again = client.post(f"/api/v1/imports/{body['id']}/confirm/", **headers)
    assert again.status_code == 400
    assert again.json()["error"]["message"] == "This file has already been imported."
    listed = client.get("/api/v1/imports/", **headers).json()
    assert [i["id"] for i in listed["results"]] == [body["id"]]
    assert "report" not in listed["results"][0]


def test_mistakes_come_back_with_row_and_column(
    client, provider, programme, django_capture_on_commit_callbacks
):
    headers = auth(person(Role.PROVIDER_ADMIN, provider))
    with django_capture_on_commit_callbacks(execute=True):
        posted = upload(
            client, headers, provider.slug, GOOD.replace(b"ee-2025\nA-002", b"ee-2099\nA-002")
        ).json()
    body = client.get(f"/api/v1/imports/{posted['id']}/", **headers).json()
    assert body["status"] == "rejected"
    assert body["report"]["problems"] == [
        {
            "row": 2,
            "column": "cohort_code",
            "message": "There is no cohort “ee-2099”. Check the code against your cohorts, or tick “create missing "
            "cohorts” to create it.",
        }
    ]


def test_bad_requests_say_what_to_fix(client, provider, programme):
    headers = auth(person(Role.PROVIDER_ADMIN, provider))
    other = ProviderFactory(slug="someone-else")
    response = upload(client, headers, other.slug, GOOD)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["provider"] == [
        "Give the slug of a provider whose enrolments you manage."
    ]
    response = upload(client, headers, provider.slug, GOOD, programme="nope")
    assert response.json()["error"]["fields"]["programme"] == [f"{provider.name} has no programme “nope”."]
    response = upload(client, headers, provider.slug, GOOD, create_cohorts="true")
    assert response.json()["error"]["fields"]["programme"] == [
        "Choose the programme that the missing cohorts belong to."
    ]
    response = client.post("/api/v1/imports/", {"provider": provider.slug}, **headers)
    assert "file" in response.json()["error"]["fields"]
    assert not EnrolmentImport.objects.exists()


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COACH, Role.PARTICIPANT, Role.PLATFORM_STAFF])
def test_only_provider_admins_upload(client, provider, programme, role):
    response = upload(client, auth(person(role, provider)), provider.slug, GOOD)
    assert response.status_code == 403
