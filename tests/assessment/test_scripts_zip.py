"""A cohort's submitted scripts as one ZIP: the submitted version's files of every submitted place, in folders
named by candidate number (names only when asked for), with a manifest whose SHA-256s match the files."""

import csv
import datetime
import hashlib
import io
import zipfile
import zoneinfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse

from assessment import services
from assessment.models import AssessmentWindow, Submission, SubmissionFile
from npqel.access import Role
from programmes.models import Programme
from tests.assessment.factories import case_study_place, docx_bytes, make_eligible, upload
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
UK = zoneinfo.ZoneInfo("Europe/London")
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)
MANIFEST_HEADER = [
    "Candidate number", "File", "Document", "SHA-256", "Words", "Submitted at (UK time)", "On time or extension",
    "Check",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _media_and_clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(DURING, tick=False):
        yield


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


def place_on(cohort, name: str):
    enrolment = EnrolmentFactory(cohort=cohort, participant__user__full_name=name)
    make_eligible(enrolment)
    return enrolment


def submit(enrolment, task, n_words: int = 1200, **kwargs) -> Submission:
    version = upload(enrolment, task, n_words, **kwargs)
    services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)
    return Submission.objects.get(pk=version.submission_id)


@pytest.fixture
def scripts(provider):
    """Amara submitted version 1 and has since uploaded version 2 (not submitted); Ben submitted; Cara only
    uploaded; Dev has nothing."""
    amara, task, window = case_study_place(provider=provider)
    amara.participant.user.full_name = "Amara Okafor"
    amara.participant.user.save()
    cohort = window.cohort
    submitted = {"Amara Okafor": submit(amara, task, 1200)}
    upload(amara, task, 1300)
    submitted["Ben Hughes"] = submit(place_on(cohort, "Ben Hughes"), task, 1000)
    upload(place_on(cohort, "Cara Lewis"), task, 900)
    place_on(cohort, "Dev Patel")
    return {"cohort": cohort, "task": task, "submitted": submitted}


def download(client, cohort, number: int = 1, query: str = ""):
    response = client.get(reverse("cohort_scripts_zip", args=[cohort.pk, number]) + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    return response, zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def manifest(archive: zipfile.ZipFile) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))


def submitted_file(submission: Submission) -> SubmissionFile:
    submission.refresh_from_db()
    return submission.submitted_version.files.get(role="main")


def test_the_zip_holds_each_submitted_script_by_candidate_number_with_a_manifest(client, admin, scripts):
    client.force_login(admin)
    response, archive = download(client, scripts["cohort"])
    code = scripts["cohort"].code
    assert response["Content-Disposition"] == f'attachment; filename="scripts-{code}-task-1-2026-03-25.zip"'
    amara, ben = scripts["submitted"]["Amara Okafor"], scripts["submitted"]["Ben Hughes"]
    assert sorted(archive.namelist()) == sorted(
        [f"{amara.candidate_number}/main.docx", f"{ben.candidate_number}/main.docx", "manifest.csv"]
    )
    for submission in (amara, ben):
        stored = submitted_file(submission)
        content = archive.read(f"{submission.candidate_number}/main.docx")
        # The version submitted, byte for byte: Amara's later upload is not in it.
        assert hashlib.sha256(content).hexdigest() == stored.sha256
        assert stored.sha256 == submission.receipts.get().content["files"][0]["sha256"]
    newer = amara.versions.order_by("-number").first().files.get()
    assert newer.sha256 not in {hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}

    rows = manifest(archive)
    assert rows[0] == MANIFEST_HEADER
    expected = sorted([amara, ben], key=lambda s: s.candidate_number)
    assert [row[0] for row in rows[1:]] == [s.candidate_number for s in expected]
    amara_row = next(row for row in rows if row[0] == amara.candidate_number)
    assert amara_row == [
        amara.candidate_number,
        f"{amara.candidate_number}/main.docx",
        "Main document",
        submitted_file(amara).sha256,
        "1200",
        "2026-03-25 20:00:00",
        "On time",
        "Matches the receipt",
    ]
    # No name anywhere: not in a folder, not in the manifest, not in the download's name.
    everything = " ".join(archive.namelist()) + archive.read("manifest.csv").decode("utf-8-sig")
    for name in ("Amara", "Okafor", "Ben", "Hughes", "Cara"):
        assert name not in everything and name not in response["Content-Disposition"]


def test_with_names_the_folders_and_manifest_carry_them_but_the_download_name_does_not(
    client, admin, scripts
):
    client.force_login(admin)
    response, archive = download(client, scripts["cohort"], query="?names=1")
    code = scripts["cohort"].code
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="scripts-{code}-task-1-with-names-2026-03-25.zip"'
    )
    amara = scripts["submitted"]["Amara Okafor"]
    assert f"{amara.candidate_number} Amara Okafor/main.docx" in archive.namelist()
    rows = manifest(archive)
    assert rows[0][:2] == ["Candidate number", "Name"]
    assert [amara.candidate_number, "Amara Okafor", f"{amara.candidate_number} Amara Okafor/main.docx"] in [
        row[:3] for row in rows
    ]


def test_names_cannot_break_out_of_their_folder_or_into_a_spreadsheet_formula(client, admin, scripts):
    odd = place_on(scripts["cohort"], '=HYPERLINK("x")/../Zoë')
    submission = submit(odd, scripts["task"])
    client.force_login(admin)
    _, archive = download(client, scripts["cohort"], query="?names=1")
    folder = f"{submission.candidate_number} =HYPERLINK( x ) .. Zoë"
    assert f"{folder}/main.docx" in archive.namelist()
    assert all(name.count("/") <= 1 and not name.startswith("/") for name in archive.namelist())
    row = next(row for row in manifest(archive) if row[0] == submission.candidate_number)
    assert row[1] == '\'=HYPERLINK("x")/../Zoë'  # read by a spreadsheet as text, never run


def test_appendices_come_with_the_main_document(client, provider, admin):
    programme = ProgrammeFactory(provider=provider, framework=Programme.Framework.LEGACY)
    scheme = services.scheme_create_default(by=None, programme=programme)
    task = scheme.tasks.get(number=2)
    cohort = CohortFactory(
        programme=programme, start_date=datetime.date(2025, 1, 6), end_date=datetime.date(2026, 6, 30)
    )
    AssessmentWindow.objects.create(cohort=cohort, task=task, opens_on=datetime.date(2026, 3, 1))
    submission = submit(
        place_on(cohort, "Amara Okafor"),
        task,
        3500,
        appendices=io.BytesIO(docx_bytes(400)),
        appendices_name="appendix.docx",
    )
    client.force_login(admin)
    _, archive = download(client, cohort, number=2)
    number = submission.candidate_number
    assert sorted(archive.namelist()) == sorted(
        [f"{number}/appendices.docx", f"{number}/main.docx", "manifest.csv"]
    )
    rows = manifest(archive)[1:]
    assert [(row[2], row[4]) for row in rows] == [("Main document", "3500"), ("Appendices", "400")]
    for row in rows:
        assert hashlib.sha256(archive.read(row[1])).hexdigest() == row[3]


def test_a_changed_or_missing_stored_file_is_flagged_in_the_manifest(client, admin, scripts):
    amara, ben = scripts["submitted"]["Amara Okafor"], scripts["submitted"]["Ben Hughes"]
    changed = submitted_file(amara)
    with default_storage.open(changed.file.name, "wb") as stored:
        stored.write(b"not what was submitted")
    default_storage.delete(submitted_file(ben).file.name)
    client.force_login(admin)
    _, archive = download(client, scripts["cohort"])
    checks = {row[0]: row[-1] for row in manifest(archive)[1:]}
    assert checks == {
        amara.candidate_number: "Does not match the receipt: contact support",
        ben.candidate_number: "Missing from storage: contact support",
    }
    assert f"{ben.candidate_number}/main.docx" not in archive.namelist()


def test_nobody_submitted_gives_an_empty_manifest(client, provider, admin):
    _, _, window = case_study_place(provider=provider)
    client.force_login(admin)
    _, archive = download(client, window.cohort)
    assert archive.namelist() == ["manifest.csv"] and manifest(archive) == [MANIFEST_HEADER]


def test_who_may_download(client, provider, other_provider, scripts):
    url = reverse("cohort_scripts_zip", args=[scripts["cohort"].pk, 1])
    for user, status in (
        (person(Role.PLATFORM_STAFF), 200),
        (person(Role.FACILITATOR, provider), 403),
        (person(Role.ASSESSOR, provider), 403),
        (scripts["submitted"]["Ben Hughes"].enrolment.participant.user, 403),
        (person(Role.PROVIDER_ADMIN, other_provider), 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    assert client.get(reverse("cohort_scripts_zip", args=[scripts["cohort"].pk, 7])).status_code == 404


def test_the_download_takes_the_same_queries_however_many_scripts(
    client, admin, scripts, django_assert_num_queries
):
    client.force_login(admin)
    url = reverse("cohort_scripts_zip", args=[scripts["cohort"].pk, 1])
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    for n in range(4):
        submit(place_on(scripts["cohort"], f"Person {n}"), scripts["task"], 500)
    with django_assert_num_queries(9):
        response = client.get(url)
    assert len(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()) == 7
