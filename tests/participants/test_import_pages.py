"""The import pages as a provider admin uses them: upload, see every mistake with its row and column, upload
the corrected file, see the preview, import, send the invitations."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Invitation
from npqel.access import Role
from participants.models import Enrolment, EnrolmentImport
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
D = datetime.date

GOOD = b"""External_ID,Email,First_Name,Last_Name,School_URN,School_Name,Cohort_Code
A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025
A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025
"""
ONE_BAD_ROW = GOOD.replace(b"ben.jones@example.org", b"ben.jones-at-example.org")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def programme(provider):
    programme = ProgrammeFactory(provider=provider, code="npqel", name="NPQEL")
    CohortFactory(programme=programme, code="ee-2025", start_date=D(2025, 9, 1), end_date=D(2027, 2, 28))
    return programme


@pytest.fixture
def admin_client(client, provider):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    return client


def upload(client, provider, content: bytes, **fields):
    data = {"file": SimpleUploadedFile("cohort.csv", content, content_type="text/csv"), **fields}
    return client.post(reverse("import_upload", args=[provider.slug]), data)


def test_the_provider_page_links_to_importing(admin_client, provider):
    page = admin_client.get(reverse("provider_detail", args=[provider.slug])).content.decode()
    assert reverse("import_upload", args=[provider.slug]) in page


def test_a_bad_row_is_shown_with_its_row_column_and_what_to_fix_and_nothing_is_saved(
    admin_client, provider, programme
):
    response = upload(admin_client, provider, ONE_BAD_ROW)
    batch = EnrolmentImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("import_detail", args=[batch.pk])
    page = admin_client.get(response.url).content.decode()
    assert "Nothing was imported: 1 mistake to fix" in page
    assert "<code>email</code>" in page
    assert "“ben.jones-at-example.org” is not an email address" in page
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">3</td>' in page
    assert "Upload the corrected file" in page
    assert Enrolment.objects.count() == 0


def test_the_corrected_file_shows_a_preview_then_imports_and_invites(
    admin_client, provider, programme, mailoutbox, django_capture_on_commit_callbacks
):
    batch_url = upload(admin_client, provider, GOOD).url
    page = admin_client.get(batch_url).content.decode()
    assert "Nothing has been saved yet" in page
    assert "2 new places" in page
    assert "Amira Khan" in page
    assert Enrolment.objects.count() == 0
    batch = EnrolmentImport.objects.get()
    response = admin_client.post(reverse("import_confirm", args=[batch.pk]), follow=True)
    assert "cohort.csv imported: 2 new places" in response.content.decode()
    assert Enrolment.objects.filter(provider=provider).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("import_invite", args=[batch.pk]), follow=True)
    assert "2 invitations sent" in response.content.decode()
    assert Invitation.objects.filter(role="participant").count() == 2
    assert len(mailoutbox) == 2
    # Confirming twice imports nothing twice.
    response = admin_client.post(reverse("import_confirm", args=[batch.pk]), follow=True)
    assert "This file has already been imported." in response.content.decode()
    assert Enrolment.objects.count() == 2


def test_asking_to_create_cohorts_needs_the_programme(admin_client, provider, programme):
    response = upload(admin_client, provider, GOOD, create_cohorts="on")
    assert response.status_code == 200
    assert "Choose the programme that the missing cohorts belong to." in response.content.decode()
    assert not EnrolmentImport.objects.exists()


def test_no_file_is_a_clear_message(admin_client, provider, programme):
    response = admin_client.post(reverse("import_upload", args=[provider.slug]), {})
    assert "Choose the spreadsheet to upload." in response.content.decode()


def test_platform_staff_can_read_an_import_but_not_import_it(client, provider, programme):
    admin = person(Role.PROVIDER_ADMIN, provider)
    client.force_login(admin)
    batch_url = upload(client, provider, GOOD).url
    client.force_login(person(Role.PLATFORM_STAFF))
    page = client.get(batch_url)
    assert page.status_code == 200
    assert "Import 2 rows" not in page.content.decode()
    batch = EnrolmentImport.objects.get()
    assert client.post(reverse("import_confirm", args=[batch.pk])).status_code == 403
    assert Enrolment.objects.count() == 0


def test_the_upload_page_lists_earlier_imports_in_a_fixed_number_of_queries(
    admin_client, provider, programme
):
    def queries_for_the_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = admin_client.get(reverse("import_upload", args=[provider.slug]))
        assert page.status_code == 200
        return len(captured.captured_queries)

    upload(admin_client, provider, GOOD)
    few = queries_for_the_page()
    for _ in range(12):
        upload(admin_client, provider, GOOD)
    assert queries_for_the_page() == few
    page = admin_client.get(reverse("import_upload", args=[provider.slug]))
    assert page.content.decode().count("cohort.csv</a>") == 13


def test_the_example_spreadsheet_imports_as_it_stands(admin_client, provider, programme):
    response = admin_client.get(reverse("import_example"))
    assert response["Content-Disposition"] == 'attachment; filename="participants-example.csv"'
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("external_id,email,first_name,last_name,school_urn,cohort_code,school_name")
    batch_url = upload(
        admin_client, provider, response.content, create_cohorts="on", programme=programme.pk
    ).url
    batch = EnrolmentImport.objects.get()
    assert batch.status == EnrolmentImport.Status.READY, batch.report["problems"]
    admin_client.post(reverse("import_confirm", args=[batch.pk]))
    statuses = dict(Enrolment.objects.values_list("external_id", "status"))
    assert statuses == {
        "APP-2026-0001": "accepted",
        "APP-2019-0107": "completed",
        "APP-2019-0112": "withdrawn",
    }
    assert batch_url.endswith(f"/imports/{batch.pk}/")


def test_only_people_who_import_get_the_example(client, provider):
    client.force_login(person(Role.FACILITATOR, provider))
    assert client.get(reverse("import_example")).status_code == 403
