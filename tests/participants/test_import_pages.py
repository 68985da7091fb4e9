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


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """upload(client, provider, content, **fields): post the file; its check runs as a worker would."""

    def post(client, provider, content: bytes, **fields):
        data = {"file": SimpleUploadedFile("cohort.csv", content, content_type="text/csv"), **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("import_upload", args=[provider.slug]), data)

    return post


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    """confirm(client, batch): press "Import"; the import runs as a worker would; the page it lands on."""

    def post(client, batch):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("import_confirm", args=[batch.pk]))
        return client.get(response.url)

    return post


def test_the_provider_page_links_to_importing(admin_client, provider):
    page = admin_client.get(reverse("provider_detail", args=[provider.slug])).content.decode()
    assert reverse("import_upload", args=[provider.slug]) in page


def test_a_bad_row_is_shown_with_its_row_column_and_what_to_fix_and_nothing_is_saved(
    admin_client, provider, programme, upload
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
    admin_client, provider, programme, mailoutbox, django_capture_on_commit_callbacks, upload, confirm
):
    batch_url = upload(admin_client, provider, GOOD).url
    page = admin_client.get(batch_url).content.decode()
    assert "Nothing has been saved yet" in page
    assert "2 new places" in page
    assert "Amira Khan" in page
    assert Enrolment.objects.count() == 0
    batch = EnrolmentImport.objects.get()
    response = confirm(admin_client, batch)
    assert "cohort.csv imported on" in response.content.decode()
    assert "2 new places" in response.content.decode()
    assert Enrolment.objects.filter(provider=provider).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("import_invite", args=[batch.pk]), follow=True)
    assert "2 invitations sent" in response.content.decode()
    assert Invitation.objects.filter(role="participant").count() == 2
    assert len(mailoutbox) == 2
    # Confirming twice imports nothing twice.
    response = confirm(admin_client, batch)
    assert "This file has already been imported." in response.content.decode()
    assert Enrolment.objects.count() == 2


def test_asking_to_create_cohorts_needs_the_programme(admin_client, provider, programme, upload):
    response = upload(admin_client, provider, GOOD, create_cohorts="on")
    assert response.status_code == 200
    assert "Choose the programme that the missing cohorts belong to." in response.content.decode()
    assert not EnrolmentImport.objects.exists()


def test_no_file_is_a_clear_message(admin_client, provider, programme):
    response = admin_client.post(reverse("import_upload", args=[provider.slug]), {})
    assert "Choose the spreadsheet to upload." in response.content.decode()


def test_platform_staff_can_read_an_import_but_not_import_it(client, provider, programme, upload):
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
    admin_client, provider, programme, upload
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


def test_the_example_spreadsheet_imports_as_it_stands(admin_client, provider, programme, upload, confirm):
    response = admin_client.get(reverse("import_example"))
    assert response["Content-Disposition"] == 'attachment; filename="participants-example.csv"'
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("external_id,email,first_name,last_name,school_urn,cohort_code,school_name")
    batch_url = upload(
        admin_client, provider, response.content, create_cohorts="on", programme=programme.pk
    ).url
    batch = EnrolmentImport.objects.get()
    assert batch.status == EnrolmentImport.Status.READY, batch.report["problems"]
    confirm(admin_client, batch)
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


def test_while_a_file_is_checked_its_page_says_so_and_refreshes_itself(admin_client, provider, programme):
    # Without a worker to run it (the job waits for a commit that a test never makes), the check waits.
    data = {"file": SimpleUploadedFile("cohort.csv", GOOD, content_type="text/csv")}
    batch_url = admin_client.post(reverse("import_upload", args=[provider.slug]), data).url
    page = admin_client.get(batch_url).content.decode()
    assert "Checking your file." in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Start it again" not in page


def test_a_check_that_never_finished_can_be_started_again(admin_client, provider, programme, upload):
    data = {"file": SimpleUploadedFile("cohort.csv", GOOD, content_type="text/csv")}
    with time_machine.travel(datetime.datetime(2026, 1, 15, 11, 0, tzinfo=datetime.UTC), tick=False):
        batch_url = admin_client.post(reverse("import_upload", args=[provider.slug]), data).url
    batch = EnrolmentImport.objects.get()
    page = admin_client.get(batch_url).content.decode()
    assert "This has taken longer than it should." in page
    assert "refresh" not in page.split("</head>")[0]
    upload_job = admin_client.post(reverse("import_restart", args=[batch.pk]))
    assert upload_job.status_code == 302
    # Queued again: once it runs, the preview appears.
    from participants.tasks import import_check_task

    import_check_task(batch.pk)
    batch.refresh_from_db()
    assert batch.status == EnrolmentImport.Status.READY


def test_an_import_that_crashes_writes_nothing_and_can_be_tried_again(
    admin_client, provider, programme, upload, confirm, monkeypatch
):
    upload(admin_client, provider, GOOD)
    batch = EnrolmentImport.objects.get()
    from participants import imports

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "_history", broken)
    with pytest.raises(RuntimeError):
        confirm(admin_client, batch)
    batch.refresh_from_db()
    assert batch.status == EnrolmentImport.Status.READY
    assert Enrolment.objects.count() == 0
    page = admin_client.get(reverse("import_detail", args=[batch.pk])).content.decode()
    assert "The import stopped because of a problem on our side. Nothing was imported: try again." in page
    monkeypatch.undo()
    page = confirm(admin_client, batch).content.decode()
    assert "2 new places" in page
    assert Enrolment.objects.count() == 2


def test_the_file_is_not_kept_once_imported_or_rejected(admin_client, provider, programme, upload, confirm):
    upload(admin_client, provider, ONE_BAD_ROW)
    upload(admin_client, provider, GOOD)
    rejected, ready = EnrolmentImport.objects.order_by("pk")
    assert bytes(rejected.content) == b""
    assert bytes(ready.content) == GOOD
    confirm(admin_client, ready)
    ready.refresh_from_db()
    assert bytes(ready.content) == b""
