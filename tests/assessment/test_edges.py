"""The edges of submitting found in review: submitting again after withdrawing, a far-too-large upload told
why (not a bare error page), a slow upload that finished after the grace, evidence that is a scan or a photo,
admins deciding about their own place, and rules that cannot change under a running window."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from assessment import services
from assessment.documents import DocumentRefused
from assessment.models import Receipt, Submission
from assessment.uploads import request_started_at
from npqel.access import Role
from npqel.errors import DomainError
from participants.models import Participant
from programmes.models import StaffMembership
from tests.assessment.badfiles import pdf_with_only_an_image
from tests.assessment.factories import case_study_place, docx_bytes, upload
from tests.people import person

UK = zoneinfo.ZoneInfo("Europe/London")
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)

pytestmark = pytest.mark.django_db


@time_machine.travel(DURING, tick=False)
def test_submitting_the_same_version_again_after_withdrawing_it_gives_a_new_receipt(client):
    enrolment, task, _ = case_study_place()
    user = enrolment.participant.user
    version = upload(enrolment, task)
    first = services.submission_submit(by=user, version=version, declaration=True)
    services.submission_withdraw(by=user, submission=Submission.objects.get())
    client.force_login(user)
    page = client.get(reverse("my_task", args=[enrolment.pk, 1])).content.decode()
    assert f"Submit version {version.number}" in page
    response = client.post(reverse("version_submit", args=[version.pk]), {"declaration": "on"})
    second = Receipt.objects.exclude(pk=first.pk).get()
    assert response.url == reverse("receipt_detail", args=[second.reference])
    assert Submission.objects.get().status == Submission.Status.SUBMITTED
    # The first receipt says it no longer stands, and which one replaced it.
    old = client.get(reverse("receipt_detail", args=[first.reference])).content.decode()
    assert "This receipt no longer stands" in old and second.reference in old
    assert "This receipt no longer stands" not in client.get(response.url).content.decode()


@time_machine.travel(DURING, tick=False)
def test_a_withdrawn_submissions_receipt_says_so(client):
    enrolment, task, _ = case_study_place()
    user = enrolment.participant.user
    receipt = services.submission_submit(by=user, version=upload(enrolment, task), declaration=True)
    client.force_login(user)
    confirm = client.get(reverse("submission_withdraw", args=[receipt.submission_id])).content.decode()
    assert "nothing is submitted for this task" in confirm and "Yes, withdraw it" in confirm
    assert Submission.objects.get().status == Submission.Status.SUBMITTED  # asking is not doing
    client.post(reverse("submission_withdraw", args=[receipt.submission_id]))
    page = client.get(reverse("receipt_detail", args=[receipt.reference])).content.decode()
    assert "the submission was withdrawn and nothing is submitted for this task now" in page


@time_machine.travel(DURING, tick=False)
def test_an_upload_announced_far_over_the_limit_is_told_the_limit_not_a_csrf_error(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    enrolment, task, _ = case_study_place()
    client.force_login(enrolment.participant.user)
    huge = SimpleUploadedFile("huge.pdf", b"%PDF-1.7\n" + b"0" * (45 * 1024 * 1024))
    response = client.post(reverse("task_upload", args=[enrolment.pk, 1]), {"main": huge})
    assert response.status_code == 413
    assert "larger than the 20 MB allowed for each file" in response.content.decode()
    assert not Submission.objects.exists() and not any(tmp_path.rglob("*.pdf"))


def test_a_slow_upload_may_be_submitted_for_30_minutes_after_it_finished():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 10, 18))
    began = datetime.datetime(2026, 10, 25, 23, 59, 0, tzinfo=UK)
    with time_machine.travel(datetime.datetime(2026, 10, 26, 0, 8, tzinfo=UK), tick=False):
        version = upload(enrolment, task, started_at=began)  # 9 minutes to arrive
    with time_machine.travel(datetime.datetime(2026, 10, 26, 0, 35, tzinfo=UK), tick=False):
        assert services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)


def test_an_upload_still_arriving_10_minutes_after_it_began_cannot_hold_the_deadline_open():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 10, 18))
    began = datetime.datetime(2026, 10, 25, 23, 58, 0, tzinfo=UK)
    with time_machine.travel(datetime.datetime(2026, 10, 26, 0, 8, 1, tzinfo=UK), tick=False):
        with pytest.raises(DomainError, match="took more than 10 minutes to arrive"):
            upload(enrolment, task, started_at=began)
    # Before the deadline, a slow upload is simply on time.
    with time_machine.travel(datetime.datetime(2026, 10, 25, 23, 30, tzinfo=UK), tick=False):
        assert upload(enrolment, task, started_at=datetime.datetime(2026, 10, 25, 23, 0, tzinfo=UK))
    assert Submission.objects.get().versions.count() == 1


def test_someone_not_signed_in_is_refused_an_api_upload_not_given_an_error(client):
    response = client.post("/api/v1/submissions/upload/", {"enrolment": "1", "task": "1"})
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_signed_in"


def test_the_request_start_comes_from_a_trusted_proxy_header_only_when_configured(settings):
    now = datetime.datetime(2026, 10, 25, 23, 59, 59, tzinfo=datetime.UTC)
    began = now - datetime.timedelta(minutes=2)
    request = RequestFactory().post("/", HTTP_X_REQUEST_START=f"t={began.timestamp()}")
    with time_machine.travel(now, tick=False):
        settings.NPQEL_REQUEST_START_HEADER = ""
        assert request_started_at(request) == now
        settings.NPQEL_REQUEST_START_HEADER = "X-Request-Start"
        assert request_started_at(request) == began
        for untrusted in ("t=not-a-time", f"t={(now + datetime.timedelta(minutes=5)).timestamp()}", "t=1"):
            assert request_started_at(RequestFactory().post("/", HTTP_X_REQUEST_START=untrusted)) == now


def _photo(kind: str) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(buffer, format=kind)
    buffer.seek(0)
    return buffer


@time_machine.travel(DURING, tick=False)
@pytest.mark.parametrize(
    ("evidence", "stored_as"),
    [
        (lambda: io.BytesIO(pdf_with_only_an_image()), ".pdf"),
        (lambda: _photo("JPEG"), ".jpg"),
        (lambda: _photo("PNG"), ".png"),
        (lambda: io.BytesIO(docx_bytes(40)), ".docx"),
    ],
)
def test_evidence_may_be_a_scan_or_a_photo(evidence, stored_as):
    enrolment, task, _ = case_study_place()
    request = services.extension_request(
        by=enrolment.participant.user,
        enrolment=enrolment,
        task=task,
        reason="Signed off sick.",
        until=datetime.date(2026, 4, 10),
        evidence=evidence(),
        evidence_name="letter",
    )
    assert request.evidence.name.endswith(stored_as) and len(request.evidence_sha256) == 64


@time_machine.travel(DURING, tick=False)
def test_evidence_that_is_not_a_document_or_a_photo_is_refused_next_to_its_field():
    enrolment, task, _ = case_study_place()
    with pytest.raises(DocumentRefused) as refused:
        services.extension_request(
            by=enrolment.participant.user,
            enrolment=enrolment,
            task=task,
            reason="Signed off sick.",
            until=datetime.date(2026, 4, 10),
            evidence=io.BytesIO(b"\xff\xd8\xff\xe0 not really a photo"),
        )
    assert refused.value.field == "evidence" and "damaged picture" in refused.value.message


@time_machine.travel(DURING, tick=False)
def test_an_admin_never_decides_about_their_own_place(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    me = enrolment.participant.user
    StaffMembership.objects.create(user=me, provider=provider, role=Role.PROVIDER_ADMIN.value)
    request = services.extension_request(
        by=me, enrolment=enrolment, task=task, reason="Bereavement.", until=datetime.date(2026, 4, 5)
    )
    with pytest.raises(PermissionDenied, match="Another admin"):
        services.extension_decide(
            by=me, extension=request, grant=True, new_deadline=datetime.date(2026, 4, 5)
        )
    with pytest.raises(PermissionDenied, match="Another admin"):
        services.override_record(by=me, enrolment=enrolment, reason="I deserve it.")
    colleague = person(Role.PROVIDER_ADMIN, provider)
    assert services.extension_decide(
        by=colleague, extension=request, grant=True, new_deadline=datetime.date(2026, 4, 5)
    ).new_deadline == datetime.date(2026, 4, 5)


@time_machine.travel(DURING, tick=False)
def test_the_deadline_time_cannot_change_while_a_window_is_open(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    rules = {
        "title": task.title,
        "description": task.description,
        "main_word_limit": task.main_word_limit,
        "appendix_word_limit": 0,
        "file_types": ["pdf", "docx"],
        "max_file_mb": 20,
        "window_kind": task.window_kind,
        "window_days": 8,
        "attempts_allowed": 1,
        "eligibility_required": True,
    }
    with pytest.raises(DomainError, match="open now, so its deadline time cannot change"):
        services.task_update(by=admin, task=task, deadline_time=datetime.time(17, 0), **rules)
    assert services.task_update(
        by=admin, task=task, deadline_time=task.deadline_time, **{**rules, "main_word_limit": 1600}
    )
    with time_machine.travel(datetime.datetime(2026, 4, 1, 9, 0, tzinfo=UK), tick=False):
        changed = services.task_update(by=admin, task=task, deadline_time=datetime.time(17, 0), **rules)
    assert changed.deadline_time == datetime.time(17, 0)


@time_machine.travel(DURING, tick=False)
def test_a_deferred_place_shows_as_deferred_not_late(client, provider):
    enrolment, task, _ = case_study_place(provider=provider)
    enrolment.status = enrolment.Status.DEFERRED
    enrolment.save()
    admin = person(Role.PROVIDER_ADMIN, provider)
    client.force_login(admin)
    with time_machine.travel(datetime.datetime(2026, 4, 2, 9, 0, tzinfo=UK), tick=False):
        page = client.get(reverse("cohort_assessment", args=[enrolment.cohort_id])).content.decode()
    assert "Deferred: cannot submit until their place resumes" in page
    assert "Late: nothing submitted" not in page
    assert Participant.objects.count() == 1
