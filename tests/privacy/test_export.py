"""A participant's data export (a subject access request): a ZIP of everything held about them, readable
(your-data.html) and as data (your-data.json), with their own files byte for byte and their certificate; the
participant and platform staff get every provider's records, a provider admin only their own provider's; each
download is on the audit trail; a large export is built on disk, not in memory, and streamed."""

import datetime
import io
import json
import zipfile

import pypdf
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from assessment.models import Result, SubmissionFile
from audit.models import AuditEvent
from npqel.access import Role
from participants import privacy, privacy_export
from participants.models import Enrolment
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.privacy.world import EMAIL, NAME, TEXTS, rich_place
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich(provider):
    return rich_place(provider)


def unzip(content: bytes) -> tuple[dict, str, dict[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files.pop("your-data.json")), files.pop("your-data.html").decode(), files


def second_place(rich, other_provider):
    """A withdrawn place of the same person with another provider."""
    cohort = CohortFactory(programme=ProgrammeFactory(provider=other_provider), code="llse-2023")
    return EnrolmentFactory(participant=rich.participant, cohort=cohort, status=Enrolment.Status.WITHDRAWN)


def test_the_participant_gets_everything_held_about_them_with_their_files(rich):
    data, html, files = unzip(privacy.participant_data_export(by=rich.user, participant=rich.participant))

    assert data["account"]["name"] == NAME and data["account"]["email"] == EMAIL
    assert data["account"]["api_keys"][0]["name"] == "My spreadsheet"
    assert data["account"]["two_factor_authentication"] == ["TOTP Authenticator"]
    record = data["participant_record"]
    assert record["job_role"] == TEXTS["job"]
    assert record["equality_data"] == {
        "ethnicity": {"code": "ABAN", "label": "Asian – Bangladeshi"},
        "sex": "Female",
        "disability": "Yes",
        "age_band": "45 to 54",
    }
    [place] = data["places"]
    assert place["status"] == "Completed (passed)"
    assert [c["to"] for c in place["history"]][-1] == "Completed (passed)"
    assert TEXTS["history_note"] in [c["note"] for c in place["history"]]
    assert place["attendance"][0]["status"] == "Present"
    assert place["online_tasks_done"][0]["task"] == "Reflect on your strategy"
    assert place["components_done"][0]["note"] == TEXTS["component_note"]
    assert place["learning_logged"][0]["activity"] == TEXTS["learning"]
    assert place["coaching"][0]["focus"] == TEXTS["coaching"]
    assert place["feedback_you_gave"][0] == {
        "about": "Leading across schools",
        "rating_out_of_10": 8,
        "comment": TEXTS["feedback"],
        "at": place["feedback_you_gave"][0]["at"],
    }
    assert place["permission_to_submit"][0]["reason"] == TEXTS["override"]
    assert place["dfe_declarations"][0]["type"] == "Started"
    [extension] = place["extensions"]
    assert (extension["reason"], extension["decision_note"]) == (TEXTS["extension"], TEXTS["decision"])
    [submission] = place["submissions"]
    assert submission["receipts"][0]["reference"].startswith("NPQ-")
    result = submission["result"]
    assert result["outcome"] == "Pass" and result["feedback"] == TEXTS["result_feedback"]
    assert result["lead_assessor_rationale"] == TEXTS["lead_rationale"]
    [marking] = result["markings"]
    assert (
        TEXTS["marking_comment"] in marking["comments"].values()
        and marking["feedback"] == TEXTS["marking_feedback"]
    )
    assert all(mark == 7 for mark in marking["marks"].values())
    assert result["moderation"][0]["rationale"] == TEXTS["moderation"]
    assert any(event["what"] == "enrolment.completed" for event in data["audit_trail"])

    # Their own files, byte for byte, where the JSON says they are; and their certificate as a PDF.
    main = submission["versions"][0]["files"][0]["in_this_download"]
    assert files[main] == rich.main_file
    assert files[extension["in_this_download"]] == rich.evidence_file
    certificate = place["certificates"][0]["in_this_download"]
    text = " ".join(pypdf.PdfReader(io.BytesIO(files[certificate])).pages[0].extract_text().split())
    assert NAME in text and rich.certificate.code in text

    # The readable summary says the same in words.
    for phrase in (
        NAME,
        "Asian – Bangladeshi",
        TEXTS["feedback"],
        TEXTS["result_feedback"],
        "Leading across schools",
    ):
        assert phrase in html.replace("&#x27;", "'")
    assert "Results not yet released" in html


def test_a_result_not_yet_released_is_left_out_until_it_is(rich):
    Result.objects.filter(pk=rich.result.pk).update(released_at=None)
    data, _, _ = unzip(privacy.participant_data_export(by=rich.user, participant=rich.participant))
    submission = data["places"][0]["submissions"][0]
    assert submission["result"] is None
    assert TEXTS["lead_rationale"] not in json.dumps(data)
    assert TEXTS["marking_comment"] not in json.dumps(data)


def test_a_provider_admin_gets_only_their_providers_places(rich, other_provider):
    second_place(rich, other_provider)
    data, html, _ = unzip(privacy.participant_data_export(by=rich.admin, participant=rich.participant))
    assert [p["provider"] for p in data["places"]] == [rich.provider.name]
    assert "llse-2023" not in json.dumps(data) and "llse-2023" not in html
    # The platform's own account data is not the provider's to give.
    assert "api_keys" not in data["account"] and "two_factor_authentication" not in data["account"]
    assert data["participant_record"]["equality_data"]["ethnicity"]["code"] == "ABAN"
    assert any("other providers" in line for line in data["about_this_download"]["not_included"])

    other_admin = person(Role.PROVIDER_ADMIN, other_provider)
    data, _, _ = unzip(privacy.participant_data_export(by=other_admin, participant=rich.participant))
    assert [p["cohort"] for p in data["places"]] == ["llse-2023"]
    assert data["places"][0]["submissions"] == []


def test_platform_staff_and_the_participant_get_every_provider(rich, other_provider):
    second_place(rich, other_provider)
    for by in (rich.user, person(Role.PLATFORM_STAFF)):
        data, _, _ = unzip(privacy.participant_data_export(by=by, participant=rich.participant))
        assert sorted(p["provider"] for p in data["places"]) == sorted(
            [rich.provider.name, other_provider.name]
        )


@pytest.mark.parametrize(
    "role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR, Role.PARTICIPANT]
)
def test_nobody_else_may_export_them(rich, role):
    with pytest.raises(PermissionDenied):
        privacy_export.participant_data_export(by=person(role, rich.provider), participant=rich.participant)


def test_every_export_is_on_each_covered_providers_audit_trail(rich, other_provider):
    second_place(rich, other_provider)
    staff = person(Role.PLATFORM_STAFF)
    privacy.participant_data_export(by=staff, participant=rich.participant)
    privacy.participant_data_export(by=rich.admin, participant=rich.participant)
    events = AuditEvent.objects.filter(action="participant.data_exported").order_by("pk")
    assert [(e.actor_id, e.provider_id, e.after) for e in events] == [
        (staff.pk, rich.provider.pk, {"for": "platform"}),
        (staff.pk, other_provider.pk, {"for": "platform"}),
        (rich.admin.pk, rich.provider.pk, {"for": "provider"}),
    ]


def test_a_file_missing_from_storage_is_noted_and_the_rest_still_exported(rich):
    default_storage.delete(rich.extension.evidence.name)
    data, html, files = unzip(privacy.participant_data_export(by=rich.user, participant=rich.participant))
    extension = data["places"][0]["extensions"][0]
    assert extension["in_this_download"] is None and "could not be found" in extension["missing"]
    assert rich.main_file in files.values()
    assert "could not be found" in html


def test_a_large_export_spills_to_disk_and_the_page_streams_it(client, rich):
    """A participant with 12 MB of files: the ZIP is written to a temporary file on disk (not kept in memory),
    copied a chunk at a time, and the response streams it."""
    big = b"%PDF-1.4\n" + b"0" * (12 * 1024 * 1024)
    name = default_storage.save("submissions/big-test-file.pdf", ContentFile(big))
    SubmissionFile.objects.filter(version__submission=rich.submission).update(
        file=name, size=len(big), kind="pdf"
    )
    out = privacy_export.participant_data_export_file(by=rich.user, participant=rich.participant)
    try:
        assert out._rolled  # past SPOOL_BYTES the temporary file moved to disk
        archive = zipfile.ZipFile(out)
        [entry] = [i for i in archive.infolist() if i.filename.endswith("-main.pdf")]
        assert entry.file_size == len(big) and entry.compress_type == zipfile.ZIP_STORED
    finally:
        out.close()
    client.force_login(rich.user)
    response = client.get(reverse("my_data_export"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="your-data-')
    assert response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).read(entry.filename) == big
    default_storage.delete(name)


def test_the_pages_give_each_person_what_they_may_have(client, rich, other_provider):
    client.force_login(rich.user)
    response = client.get(reverse("account"))
    assert reverse("my_data_export") in response.content.decode()
    assert client.get(reverse("participant_data_export", args=[rich.participant.pk])).status_code == 403

    other_admin = person(Role.PROVIDER_ADMIN, other_provider)
    client.force_login(other_admin)
    assert client.get(reverse("participant_data_export", args=[rich.participant.pk])).status_code == 404
    assert client.get(reverse("my_data_export")).status_code == 404  # staff without a participant record
    assert reverse("my_data_export") not in client.get(reverse("account")).content.decode()

    client.force_login(rich.admin)
    response = client.get(reverse("participant_data_export", args=[rich.participant.pk]))
    assert response.status_code == 200
    data, _, _ = unzip(b"".join(response.streaming_content))
    assert data["account"]["email"] == EMAIL


def test_an_export_after_erasure_holds_no_name_and_says_when(rich):
    staff = person(Role.PLATFORM_STAFF)
    privacy.participant_erase(by=staff, participant=rich.participant, reason="Their request of 1 July 2026")
    data, html, files = unzip(privacy.participant_data_export(by=staff, participant=rich.participant))
    text = json.dumps(data) + html
    assert NAME not in text and EMAIL not in text
    assert data["participant_record"]["personal_data_erased_at"].startswith(str(timezone.localdate().year))
    assert [name for name in files if name.endswith((".docx", ".pdf"))] == []
    assert data["places"][0]["submissions"][0]["versions"][0]["files"][0]["in_this_download"] is None
    assert datetime.date.fromisoformat(data["places"][0]["started_on"])
