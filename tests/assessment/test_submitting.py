"""A participant submitting their final assessment: upload, the server's word count, the declaration, the
receipt and its email, replacing before the deadline, eligibility and overrides, extensions."""

import datetime
import hashlib
import io
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from assessment import services
from assessment.models import Extension, Receipt, Submission, SubmissionFile
from npqel.access import Role
from npqel.errors import DomainError
from tests.assessment.factories import case_study_place, docx_bytes, upload
from tests.people import person

UK = zoneinfo.ZoneInfo("Europe/London")
# Inside the window of case_study_place (22–29 March 2026).
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)

pytestmark = pytest.mark.django_db


def _file(n_words: int, name: str = "response.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, docx_bytes(n_words), content_type="application/octet-stream")


@time_machine.travel(DURING, tick=False)
def test_the_whole_flow_on_the_page(client, django_capture_on_commit_callbacks):
    enrolment, task, _ = case_study_place()
    client.force_login(enrolment.participant.user)
    page = reverse("my_task", args=[enrolment.pk, 1])

    shown = client.get(page).content.decode()
    assert "Deadline: 23:59 on Sunday 29 March 2026 (UK time)" in shown
    assert "4 days 3 hours left" in shown
    assert "Northfield Trust" in shown  # the case study, now the window is open

    refused = client.post(reverse("task_upload", args=[enrolment.pk, 1]), {"main": _file(1612)})
    assert refused.status_code == 400
    assert "Your main document has 1,612 words; the limit is 1,500. Cut at least 112 words" in (
        refused.content.decode()
    )
    assert not Submission.objects.exists()

    uploaded = client.post(reverse("task_upload", args=[enrolment.pk, 1]), {"main": _file(1480)})
    assert uploaded.status_code == 302
    shown = client.get(page).content.decode()
    assert "1,480" in shown and "Submit version 1" in shown

    version = Submission.objects.get().versions.get()
    undeclared = client.post(reverse("version_submit", args=[version.pk]), {})
    assert "Tick the box to declare that this is your own work" in undeclared.content.decode()
    assert not Receipt.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("version_submit", args=[version.pk]), {"declaration": "on"})
    receipt = Receipt.objects.get()
    assert done.url == reverse("receipt_detail", args=[receipt.reference])
    shown = client.get(done.url).content.decode()
    stored = version.files.get()
    assert stored.sha256 in shown and "1,480 of 1,500" in shown
    assert "20:00:00 on Wednesday 25 March 2026" in shown
    assert [m.to for m in mail.outbox] == [[enrolment.participant.user.email]]
    assert receipt.reference in mail.outbox[0].subject and stored.sha256 in mail.outbox[0].body
    assert Submission.objects.get().status == Submission.Status.SUBMITTED


@time_machine.travel(DURING, tick=False)
def test_the_receipt_holds_the_exact_files_fingerprints():
    enrolment, task, _ = case_study_place()
    content = docx_bytes(900)
    version = services.version_upload(
        by=enrolment.participant.user,
        enrolment=enrolment,
        task=task,
        main=io.BytesIO(content),
        main_name="a.docx",
    )
    receipt = services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)
    [entry] = receipt.content["files"]
    assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    assert entry["words"] == 900 and entry["size"] == len(content)
    assert version.files.get().file.read() == content
    # Submitting the same version again (a double click) gives the same receipt, not a second one.
    again = services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)
    assert again.pk == receipt.pk and Receipt.objects.count() == 1


@time_machine.travel(DURING, tick=False)
def test_the_clients_filename_never_reaches_the_storage_path():
    enrolment, task, _ = case_study_place()
    version = services.version_upload(
        by=enrolment.participant.user,
        enrolment=enrolment,
        task=task,
        main=io.BytesIO(docx_bytes(100)),
        main_name="../../etc/passwd\x00 my response.docx",
    )
    stored = version.files.get()
    assert "passwd" not in stored.file.name and ".." not in stored.file.name
    assert stored.file.name.startswith("submissions/") and stored.file.name.endswith(".docx")
    assert stored.original_name == "passwd my response.docx"


@time_machine.travel(DURING, tick=False)
def test_replacing_before_the_deadline_keeps_every_version():
    enrolment, task, _ = case_study_place()
    user = enrolment.participant.user
    first = upload(enrolment, task, 1000)
    services.submission_submit(by=user, version=first, declaration=True)
    second = upload(enrolment, task, 1100)
    submission = Submission.objects.get()
    # The earlier submission stands until the new upload is submitted.
    assert submission.submitted_version_id == first.pk and submission.status == Submission.Status.SUBMITTED
    # Pressing submit again on the page for the first version gives its receipt back, not a new one.
    services.submission_submit(by=user, version=first, declaration=True)
    assert Receipt.objects.count() == 1
    services.submission_submit(by=user, version=second, declaration=True)
    with pytest.raises(DomainError, match="newer version"):
        services.submission_submit(
            by=user, version=upload(enrolment, task, 900).submission.versions.get(number=1), declaration=True
        )
    submission.refresh_from_db()
    assert submission.submitted_version_id == second.pk
    assert [v.number for v in submission.versions.all()] == [1, 2, 3]
    assert SubmissionFile.objects.count() == 3 and Receipt.objects.count() == 2


@time_machine.travel(DURING, tick=False)
def test_a_participant_who_is_not_eligible_cannot_submit_until_an_admin_records_an_override(provider):
    enrolment, task, _ = case_study_place(provider=provider, eligible=False)
    with pytest.raises(DomainError, match="not met the programme's engagement requirement"):
        upload(enrolment, task)
    admin = person(Role.PROVIDER_ADMIN, provider)
    with pytest.raises(DomainError, match="Say why"):
        services.override_record(by=admin, enrolment=enrolment, reason=" ")
    services.override_record(
        by=admin, enrolment=enrolment, reason="Missed sessions through illness; caught up."
    )
    version = upload(enrolment, task)
    assert services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)


@time_machine.travel(DURING, tick=False)
def test_a_task_that_does_not_require_eligibility_takes_anyones_upload():
    enrolment, task, _ = case_study_place(eligible=False)
    task.eligibility_required = False
    task.save()
    assert upload(enrolment, task).number == 1


@time_machine.travel(DURING, tick=False)
def test_nobody_else_can_upload_or_submit_for_a_participant(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.version_upload(by=admin, enrolment=enrolment, task=task, main=io.BytesIO(docx_bytes(10)))
    version = upload(enrolment, task)
    with pytest.raises(PermissionDenied):
        services.submission_submit(by=admin, version=version, declaration=True)


def test_an_extension_request_granted_lets_them_submit_after_the_original_deadline(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    user = enrolment.participant.user
    admin = person(Role.PROVIDER_ADMIN, provider)
    with time_machine.travel(DURING, tick=False):
        with pytest.raises(DomainError, match="after your current deadline"):
            services.extension_request(
                by=user,
                enrolment=enrolment,
                task=task,
                reason="Bereavement",
                until=datetime.date(2026, 3, 29),
            )
        request = services.extension_request(
            by=user,
            enrolment=enrolment,
            task=task,
            reason="Bereavement in the family.",
            until=datetime.date(2026, 4, 5),
            evidence=io.BytesIO(docx_bytes(30)),
            evidence_name="letter.docx",
        )
        with pytest.raises(DomainError, match="already asked"):
            services.extension_request(
                by=user, enrolment=enrolment, task=task, reason="Again", until=datetime.date(2026, 4, 6)
            )
        services.extension_decide(
            by=admin, extension=request, grant=True, new_deadline=datetime.date(2026, 4, 3)
        )
    assert Extension.objects.get().status == Extension.Status.GRANTED
    with time_machine.travel(datetime.datetime(2026, 4, 3, 23, 0, tzinfo=UK), tick=False):
        version = upload(enrolment, task)
        receipt = services.submission_submit(by=user, version=version, declaration=True)
    assert receipt.late_with_extension
    assert Submission.objects.get().status == Submission.Status.LATE_WITH_EXTENSION
    with time_machine.travel(datetime.datetime(2026, 4, 4, 0, 0, tzinfo=UK), tick=False):
        with pytest.raises(DomainError, match="uploads are closed"):
            upload(enrolment, task)


def test_a_refusal_needs_a_note_and_leaves_the_deadline_alone(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    with time_machine.travel(DURING, tick=False):
        request = services.extension_request(
            by=enrolment.participant.user,
            enrolment=enrolment,
            task=task,
            reason="Workload",
            until=datetime.date(2026, 4, 5),
        )
        with pytest.raises(DomainError, match="Say why"):
            services.extension_decide(by=admin, extension=request, grant=False)
        services.extension_decide(
            by=admin, extension=request, grant=False, note="Workload is not a mitigating circumstance."
        )
        assert services.deadline_of(enrolment, task).last_day == datetime.date(2026, 3, 29)


@time_machine.travel(DURING, tick=False)
def test_an_oversize_upload_is_refused_while_streaming_and_nothing_is_kept(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    enrolment, task, _ = case_study_place()
    task.max_file_mb = 1
    task.save()
    client.force_login(enrolment.participant.user)
    # Just over the limit: the request is read, but the file is dropped the moment it passes 1 MB.
    big = SimpleUploadedFile("big.docx", b"PK\x03\x04" + b"\0" * (1024 * 1024))
    response = client.post(reverse("task_upload", args=[enrolment.pk, 1]), {"main": big})
    assert response.status_code == 400
    assert "Your main document is over 1 MB; the largest allowed is 1 MB" in response.content.decode()
    # Far over: answered from the size the request announces, before any of it is read.
    huge = SimpleUploadedFile("huge.docx", b"PK\x03\x04" + b"\0" * (3 * 1024 * 1024))
    response = client.post(reverse("task_upload", args=[enrolment.pk, 1]), {"main": huge})
    assert response.status_code == 413
    assert "larger than the 1 MB allowed for each file" in response.content.decode()
    assert not Submission.objects.exists()
    assert not any(tmp_path.rglob("*.docx"))


@time_machine.travel(DURING, tick=False)
def test_a_wrong_type_renamed_is_refused_with_what_to_do(client):
    enrolment, _, _ = case_study_place()
    client.force_login(enrolment.participant.user)
    renamed = SimpleUploadedFile("response.docx", b"Just some plain text pretending to be Word.")
    response = client.post(reverse("task_upload", args=[enrolment.pk, 1]), {"main": renamed})
    assert response.status_code == 400
    assert not Submission.objects.exists()
    assert "There is a problem" in response.content.decode()


@time_machine.travel(DURING, tick=False)
def test_withdrawing_before_the_deadline_then_submitting_again():
    enrolment, task, _ = case_study_place()
    user = enrolment.participant.user
    services.submission_submit(by=user, version=upload(enrolment, task), declaration=True)
    submission = Submission.objects.get()
    services.submission_withdraw(by=user, submission=submission)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.WITHDRAWN and submission.submitted_version is None
    services.submission_submit(by=user, version=upload(enrolment, task), declaration=True)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED
    assert list(submission.changes.values_list("to_status", flat=True)) == [
        "draft",
        "submitted",
        "withdrawn",
        "draft",
        "submitted",
    ]


def test_the_task_page_takes_the_same_queries_however_many_versions(client, django_assert_max_num_queries):
    enrolment, task, _ = case_study_place()
    client.force_login(enrolment.participant.user)
    page = reverse("my_task", args=[enrolment.pk, 1])
    with time_machine.travel(DURING, tick=False):
        upload(enrolment, task, 100)
        client.get(page)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as one:
            client.get(page)
        for n in range(4):
            upload(enrolment, task, 100 + n)
        with CaptureQueriesContext(connection) as five:
            client.get(page)
    assert len(five) == len(one)
    # Session, user, roles (1); the place, its changes and deadline policies; the task; its tasks, windows,
    # submissions, versions, files, receipts, extensions, overrides and eligibility.
    assert len(one) == 16


def test_a_place_that_submitted_is_no_longer_at_risk_over_its_deadline(client, provider):
    from participants.selectors import standing_of

    enrolment, task, _ = case_study_place(provider=provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    today = datetime.date(2026, 3, 25)
    # The place's own deadline to present (18 months from its start) has passed: at risk until it submits.
    assert any("nothing submitted" in r for r in standing_of(enrolment, today=today).risks)
    with time_machine.travel(DURING, tick=False):
        services.submission_submit(
            by=enrolment.participant.user, version=upload(enrolment, task), declaration=True
        )
        assert not any("nothing submitted" in r for r in standing_of(enrolment, today=today).risks)
        client.force_login(admin)
        roster = client.get(reverse("cohort_roster", args=[enrolment.cohort_id])).content.decode()
    assert (
        "ago with nothing submitted" not in roster
        and escape(enrolment.participant.user.display_name) in roster
    )


def test_the_home_page_says_what_is_due_and_by_when(client):
    enrolment, task, _ = case_study_place()
    client.force_login(enrolment.participant.user)
    with time_machine.travel(DURING, tick=False):
        home = client.get(reverse("home")).content.decode()
        assert (
            "Case-study response</a>: open: nothing uploaded yet. Deadline 23:59 on Sunday 29 March 2026"
            in home
        )
        assert "(4 days 3 hours left)" in home
        services.submission_submit(
            by=enrolment.participant.user, version=upload(enrolment, task), declaration=True
        )
        home = client.get(reverse("home")).content.decode()
    assert "Case-study response</a>: submitted" in home
