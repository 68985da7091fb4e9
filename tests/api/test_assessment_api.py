"""The assessment API: windows (the case study hidden until they open), submissions with every version and
the participant's own deadline, uploads checked by content and word-counted by the server, submitting with the
declaration, receipts, and extension requests and decisions. Another provider's rows answer 404 like missing
ones; list query counts are pinned."""

import datetime
import hashlib
import os
import re
import zoneinfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from accounts.services import api_token_create
from assessment import services
from assessment.models import AssessmentWindow, Extension, Receipt, Submission, SubmissionVersion
from npqel.access import Role
from programmes.models import DeadlineExtension, Programme
from tests.assessment.factories import case_study_place, docx_bytes, make_eligible, upload
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

UK = zoneinfo.ZoneInfo("Europe/London")
# case_study_place's window: Sunday 22 to Sunday 29 March 2026, the day the clocks go forward to BST.
BEFORE = datetime.datetime(2026, 3, 20, 9, 0, tzinfo=UK)
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)
AFTER = datetime.datetime(2026, 3, 30, 0, 0, 1, tzinfo=UK)
NOT_FOUND = "Not found. It may not exist, or you may not have access to it."


@pytest.fixture
def api(client):
    """api(user) → get / post (JSON) / upload (multipart) of API paths with a fresh key of that user."""

    made = iter(range(1000))

    class Caller:
        def __init__(self, user):
            _, key = api_token_create(user=user, name=f"Tests {next(made)}")
            self.auth = {"HTTP_AUTHORIZATION": f"Token {key}"}

        def get(self, path, **params):
            return client.get(path, params, **self.auth)

        def post(self, path, data=None):
            return client.post(path, data or {}, content_type="application/json", **self.auth)

        def upload(self, path, data):
            return client.post(path, data, **self.auth)  # multipart/form-data

    return Caller


@pytest.fixture
def place(provider):
    """An eligible participant's place on a case-study window (22–29 March 2026) at `provider`."""
    enrolment, task, window = case_study_place(provider=provider)
    return enrolment, task, window


def docx_file(n_words: int, name: str = "my response.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, docx_bytes(n_words), content_type="application/vnd.ms-word")


def error(response) -> dict:
    return response.json()["error"]


# Windows -------------------------------------------------------------------------------------------------


def test_participant_sees_their_window_and_the_case_study_only_once_it_opens(api, place):
    enrolment, _, window = place
    me = api(enrolment.participant.user)

    with time_machine.travel(BEFORE, tick=False):
        listed = me.get("/api/v1/assessment-windows/").json()["results"]
    assert [w["id"] for w in listed] == [window.pk]
    shown = listed[0]
    assert shown["opened"] is False
    assert shown["case_study_title"] is None and shown["case_study"] is None
    assert shown["opens_on"] == "2026-03-22" and shown["closes_on"] == "2026-03-29"
    assert shown["opens_at"] == "2026-03-22T00:00:00Z"  # midnight UK time, GMT in March
    assert shown["cohort"] == enrolment.cohort_id and shown["cohort_code"] == enrolment.cohort.code
    assert shown["task"] == {
        "number": 1,
        "title": "Case-study response",
        "main_word_limit": 1500,
        "appendix_word_limit": 0,
        "file_types": ["pdf", "docx"],
        "max_file_mb": 20,
        "window_kind": "fixed",
        "window_days": 8,
        "deadline_time": "23:59",
        "attempts_allowed": 1,
        "eligibility_required": True,
    }

    with time_machine.travel(DURING, tick=False):
        opened = me.get(f"/api/v1/assessment-windows/{window.pk}/").json()
    assert opened["opened"] is True
    assert opened["case_study_title"] == "Northfield Trust"
    assert opened["case_study"] == "The trust's three schools face falling rolls."


def test_admins_see_the_case_study_before_the_window_opens(api, place, provider):
    _, _, window = place
    with time_machine.travel(BEFORE, tick=False):
        for role in (Role.PROVIDER_ADMIN, Role.PLATFORM_STAFF):
            shown = api(person(role, provider)).get(f"/api/v1/assessment-windows/{window.pk}/").json()
            assert shown["opened"] is False, role
            assert shown["case_study_title"] == "Northfield Trust", role


def test_windows_of_other_cohorts_and_providers_are_not_shown(api, place, provider, other_provider):
    enrolment, _, window = place
    _, _, elsewhere = case_study_place(provider=other_provider)
    other_admin = api(person(Role.PROVIDER_ADMIN, other_provider))
    stranger = api(EnrolmentFactory(cohort__programme=enrolment.cohort.programme).participant.user)

    assert [w["id"] for w in other_admin.get("/api/v1/assessment-windows/").json()["results"]] == [
        elsewhere.pk
    ]
    assert other_admin.get(f"/api/v1/assessment-windows/{window.pk}/").status_code == 404
    assert stranger.get("/api/v1/assessment-windows/").json()["count"] == 0
    response = stranger.get(f"/api/v1/assessment-windows/{window.pk}/")
    assert response.status_code == 404 and error(response)["message"] == NOT_FOUND


# Uploading -----------------------------------------------------------------------------------------------


@time_machine.travel(DURING, tick=False)
def test_participant_uploads_a_real_docx_and_gets_the_servers_word_count(api, place):
    enrolment, _, _ = place
    content = docx_bytes(1200)
    me = api(enrolment.participant.user)

    response = me.upload(
        "/api/v1/submissions/upload/",
        {
            "enrolment": enrolment.pk,
            "task": 1,
            "main": SimpleUploadedFile("C:\\Users\\me\\final.docx", content),
        },
    )

    assert response.status_code == 201, response.content
    version = response.json()
    assert version["number"] == 1
    # The clock is frozen: the upload began and ended at 20:00 GMT by the server's clock.
    assert version["upload_started_at"] == version["uploaded_at"] == "2026-03-25T20:00:00Z"
    assert version["files"] == [
        {
            "role": "main",
            "original_name": "final.docx",  # the client's path is dropped
            "kind": "docx",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "words": 1200,
            "pages": None,
        }
    ]
    # The stored path is never given out.
    assert "submissions/" not in response.content.decode()
    submission = Submission.objects.get()
    assert version["submission"] == submission.pk and submission.status == Submission.Status.DRAFT


@time_machine.travel(DURING, tick=False)
def test_a_second_upload_is_a_new_version_and_the_first_is_kept(api, place):
    enrolment, task, _ = place
    upload(enrolment, task, 1000)
    me = api(enrolment.participant.user)

    response = me.upload(
        "/api/v1/submissions/upload/", {"enrolment": enrolment.pk, "task": 1, "main": docx_file(1100)}
    )

    assert response.status_code == 201 and response.json()["number"] == 2
    listed = me.get("/api/v1/submissions/").json()["results"]
    assert [[f["words"] for f in v["files"]] for v in listed[0]["versions"]] == [[1000], [1100]]


class SlowNetwork(FileUploadHandler):
    """Moves the clock on while a file arrives, like a slow connection on deadline night."""

    traveller = None
    arrives_at: datetime.datetime | None = None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if SlowNetwork.traveller is not None:
            SlowNetwork.traveller.move_to(SlowNetwork.arrives_at)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def test_an_upload_that_began_before_the_deadline_counts_even_if_it_ends_after(api, place, settings):
    enrolment, _, _ = place
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.SlowNetwork", *settings.FILE_UPLOAD_HANDLERS]
    me = api(enrolment.participant.user)
    started = datetime.datetime(2026, 3, 29, 23, 59, 30, tzinfo=UK)  # BST since 01:00 that day

    with time_machine.travel(started, tick=False) as traveller:
        SlowNetwork.traveller, SlowNetwork.arrives_at = traveller, started + datetime.timedelta(minutes=1)
        try:
            response = me.upload(
                "/api/v1/submissions/upload/", {"enrolment": enrolment.pk, "task": 1, "main": docx_file(1400)}
            )
        finally:
            SlowNetwork.traveller = None
        assert response.status_code == 201, response.content
        version = response.json()
        assert version["upload_started_at"] == "2026-03-29T23:59:30+01:00"
        assert version["uploaded_at"] == "2026-03-30T00:00:30+01:00"
        # Within the grace after the deadline, it can still be submitted.
        submitted = me.post(f"/api/v1/submission-versions/{version['id']}/submit/", {"declaration": True})
    assert submitted.status_code == 201, submitted.content


@time_machine.travel(DURING, tick=False)
def test_a_file_of_the_wrong_type_is_refused_with_what_to_do(api, place):
    enrolment, _, _ = place
    renamed = SimpleUploadedFile("response.docx", b"These are my notes, saved as plain text.\n" * 50)

    response = api(enrolment.participant.user).upload(
        "/api/v1/submissions/upload/", {"enrolment": enrolment.pk, "task": 1, "main": renamed}
    )

    assert response.status_code == 400
    assert error(response)["fields"]["main"] == [
        "Your main document is a plain text file, not a PDF or a Word document (.docx). "
        "Open it, save it as a PDF or a .docx, and upload that."
    ]
    assert not Submission.objects.exists() and not SubmissionVersion.objects.exists()


@time_machine.travel(DURING, tick=False)
def test_a_document_over_the_word_limit_is_refused_with_the_numbers(api, place):
    enrolment, _, _ = place

    response = api(enrolment.participant.user).upload(
        "/api/v1/submissions/upload/", {"enrolment": enrolment.pk, "task": 1, "main": docx_file(1612)}
    )

    assert response.status_code == 400
    assert error(response)["fields"]["main"] == [
        "Your main document has 1,612 words; the limit is 1,500. Cut at least 112 words and upload it again."
    ]
    assert not Submission.objects.exists()


def test_uploads_are_refused_once_the_deadline_has_passed(api, place):
    enrolment, _, _ = place

    with time_machine.travel(AFTER, tick=False):
        response = api(enrolment.participant.user).upload(
            "/api/v1/submissions/upload/", {"enrolment": enrolment.pk, "task": 1, "main": docx_file(1200)}
        )

    assert response.status_code == 400
    assert error(response)["message"] == (
        "The deadline was 23:59 on Sunday 29 March 2026 (UK time), so uploads are closed. "
        "If something stopped you submitting, ask your provider for an extension."
    )


@time_machine.travel(DURING, tick=False)
def test_a_participant_who_is_not_eligible_cannot_upload(api, place):
    enrolment, _, _ = place
    make_eligible(enrolment, eligible=False)

    response = api(enrolment.participant.user).upload(
        "/api/v1/submissions/upload/", {"enrolment": enrolment.pk, "task": 1, "main": docx_file(1200)}
    )

    assert response.status_code == 400
    assert "engagement requirement" in error(response)["message"]


@time_machine.travel(DURING, tick=False)
def test_an_oversize_file_is_refused_while_it_streams(api, place):
    enrolment, task, _ = place
    task.max_file_mb = 1
    task.save()
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + os.urandom(1024 * 1024 + 10))

    response = api(enrolment.participant.user).upload(
        "/api/v1/submissions/upload/", {"enrolment": enrolment.pk, "task": 1, "main": big}
    )

    assert response.status_code == 400
    assert error(response)["fields"]["main"] == [
        "Your main document is over 1 MB; the largest allowed is 1 MB. Make it smaller (for example, "
        "compress its pictures or save it as PDF) and upload it again."
    ]
    assert not Submission.objects.exists()


@time_machine.travel(DURING, tick=False)
def test_only_the_participant_uploads_and_only_to_their_own_place(api, place, provider, other_provider):
    enrolment, _, _ = place
    body = {"enrolment": enrolment.pk, "task": 1, "main": docx_file(1200)}

    for role in (Role.PROVIDER_ADMIN, Role.PLATFORM_STAFF, Role.FACILITATOR):
        response = api(person(role, provider)).upload("/api/v1/submissions/upload/", dict(body))
        assert response.status_code == 403, role
        assert (
            error(response)["message"] == "Only a participant can upload an assessment, for their own place."
        )

    someone_else = api(person(Role.PARTICIPANT, other_provider))
    response = someone_else.upload("/api/v1/submissions/upload/", {**body, "main": docx_file(1200)})
    assert response.status_code == 400
    assert error(response)["fields"]["enrolment"] == [
        f"You have no place with id {enrolment.pk}. GET /api/v1/enrolments/ lists yours."
    ]

    no_task = api(enrolment.participant.user).upload(
        "/api/v1/submissions/upload/", {**body, "task": 2, "main": docx_file(1200)}
    )
    assert no_task.status_code == 400
    assert error(no_task)["fields"]["task"][0].startswith("Your programme's assessment has no task 2.")
    assert not Submission.objects.exists()


# Submissions ---------------------------------------------------------------------------------------------


@time_machine.travel(DURING, tick=False)
def test_submissions_show_versions_files_and_the_participants_own_deadline(api, place, provider):
    enrolment, task, _ = place
    version = upload(enrolment, task, 1200)
    submission = version.submission

    for user in (enrolment.participant.user, person(Role.PROVIDER_ADMIN, provider)):
        shown = api(user).get(f"/api/v1/submissions/{submission.pk}/").json()
        assert shown["candidate_number"] == submission.candidate_number
        assert shown["enrolment"] == enrolment.pk and shown["cohort"] == enrolment.cohort_id
        assert (shown["task"], shown["attempt"], shown["status"]) == (1, 1, "draft")
        assert shown["submitted_at"] is None and shown["submitted_version"] is None
        # 23:59 on the day the clocks go forward: on time up to midnight BST.
        assert shown["deadline"] == "2026-03-30T00:00:00+01:00"
        assert shown["deadline_text"] == "23:59 on Sunday 29 March 2026 (UK time)"
        assert shown["extended"] is False
        assert [v["id"] for v in shown["versions"]] == [version.pk]
        assert shown["versions"][0]["files"][0]["words"] == 1200
        assert "file" not in shown["versions"][0]["files"][0]
        assert shown["receipts"] == []


@time_machine.travel(datetime.datetime(2025, 2, 3, 10, 0, tzinfo=UK), tick=False)
def test_a_chosen_window_runs_to_each_participants_own_deadline(api, provider, django_assert_num_queries):
    # Legacy: Task 1 with appendices, submitted any time before the participant's own deadline (18 months
    # from their start, 24 for starts from 2024 under a dated policy; month ends clamp).
    programme = ProgrammeFactory(provider=provider, code="legacy", framework=Programme.Framework.LEGACY)
    DeadlineExtension.objects.create(programme=programme, applies_from=datetime.date(2024, 1, 1), months=24)
    task = services.scheme_create_default(by=None, programme=programme).tasks.get(number=1)
    cohort = CohortFactory(
        programme=programme, start_date=datetime.date(2024, 8, 31), end_date=datetime.date(2026, 1, 30)
    )
    AssessmentWindow.objects.create(cohort=cohort, task=task, opens_on=datetime.date(2024, 9, 2))
    later, earlier = (
        EnrolmentFactory(cohort=cohort),
        EnrolmentFactory(cohort=cohort, start_date=datetime.date(2023, 8, 31)),
    )
    for enrolment in (later, earlier):
        make_eligible(enrolment)
    admin = api(person(Role.PROVIDER_ADMIN, provider))
    admin.get("/api/v1/me/")

    uploaded = api(later.participant.user).upload(
        "/api/v1/submissions/upload/",
        {
            "enrolment": later.pk,
            "task": 1,
            "main": docx_file(3900),
            "appendices": docx_file(1800, name="appendices.docx"),
        },
    )
    upload(earlier, task, 2500)

    assert uploaded.status_code == 201, uploaded.content
    assert [(f["role"], f["original_name"], f["words"]) for f in uploaded.json()["files"]] == [
        ("main", "my response.docx", 3900),
        ("appendices", "appendices.docx", 1800),
    ]
    with django_assert_num_queries(11):  # as many as for fixed windows: nothing per row
        listed = admin.get("/api/v1/submissions/", cohort=cohort.pk).json()["results"]
    assert [(s["enrolment"], s["deadline"], s["deadline_text"]) for s in listed] == [
        (later.pk, "2026-09-01T00:00:00+01:00", "23:59 on Monday 31 August 2026 (UK time)"),
        (earlier.pk, "2025-03-01T00:00:00Z", "23:59 on Friday 28 February 2025 (UK time)"),
    ]


@time_machine.travel(DURING, tick=False)
def test_submissions_of_another_provider_are_404_and_left_out(api, place, other_provider):
    enrolment, task, _ = place
    submission = upload(enrolment, task, 1200).submission
    other_admin = api(person(Role.PROVIDER_ADMIN, other_provider))

    assert other_admin.get("/api/v1/submissions/").json()["count"] == 0
    response = other_admin.get(f"/api/v1/submissions/{submission.pk}/")
    missing = other_admin.get("/api/v1/submissions/987654321/")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    stranger = api(EnrolmentFactory(cohort=enrolment.cohort).participant.user)
    assert stranger.get("/api/v1/submissions/").json()["count"] == 0
    assert stranger.get(f"/api/v1/submissions/{submission.pk}/").status_code == 404


@time_machine.travel(DURING, tick=False)
def test_submissions_filter_by_cohort_task_and_status(api, place, provider):
    enrolment, task, _ = place
    drafted = upload(enrolment, task, 1200).submission
    other = EnrolmentFactory(cohort=enrolment.cohort)
    make_eligible(other)
    submitted = upload(other, task, 1300)
    api(other.participant.user).post(
        f"/api/v1/submission-versions/{submitted.pk}/submit/", {"declaration": True}
    )
    admin = api(person(Role.PROVIDER_ADMIN, provider))

    def ids(**params):
        return [s["id"] for s in admin.get("/api/v1/submissions/", **params).json()["results"]]

    assert ids(status="submitted") == [submitted.submission_id]
    assert ids(status="draft") == [drafted.pk]
    assert ids(task=1, cohort=enrolment.cohort_id) == [drafted.pk, submitted.submission_id]
    assert ids(task=2) == [] and ids(cohort=987654) == []
    assert ids(enrolment=other.pk) == [submitted.submission_id]
    bad = admin.get("/api/v1/submissions/", status="lost")
    assert bad.status_code == 400 and "lost" in error(bad)["fields"]["status"][0]


# Submitting and receipts -----------------------------------------------------------------------------------


@time_machine.travel(DURING, tick=False)
def test_submitting_with_the_declaration_issues_a_receipt_that_reads_the_same_later(
    api, place, provider, other_provider
):
    enrolment, task, _ = place
    content = docx_bytes(1480)
    me = api(enrolment.participant.user)
    uploaded = me.upload(
        "/api/v1/submissions/upload/",
        {"enrolment": enrolment.pk, "task": 1, "main": SimpleUploadedFile("response.docx", content)},
    ).json()

    refused = me.post(f"/api/v1/submission-versions/{uploaded['id']}/submit/", {"declaration": False})
    assert refused.status_code == 400
    assert error(refused)["fields"]["declaration"] == [
        "Tick the box to declare that this is your own work before you submit."
    ]
    assert not Receipt.objects.exists()

    response = me.post(f"/api/v1/submission-versions/{uploaded['id']}/submit/", {"declaration": True})

    assert response.status_code == 201, response.content
    receipt = response.json()
    submission = Submission.objects.get()
    assert re.fullmatch(r"NPQ-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", receipt["reference"])
    assert receipt["submission"] == submission.pk and receipt["version"] == uploaded["id"]
    assert receipt["candidate_number"] == submission.candidate_number
    assert (receipt["task"], receipt["task_title"], receipt["attempt"], receipt["version_number"]) == (
        1,
        "Case-study response",
        1,
        1,
    )
    assert receipt["submitted_at"].startswith("2026-03-25T20:00:00")
    assert receipt["deadline_text"] == "23:59 on Sunday 29 March 2026 (UK time)"
    assert receipt["extended"] is False and receipt["late_with_extension"] is False
    assert receipt["files"] == [
        {
            "role": "main",
            "name": "response.docx",
            "kind": "docx",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "words": 1480,
            "word_limit": 1500,
        }
    ]
    assert submission.status == Submission.Status.SUBMITTED
    # A double click makes one receipt.
    again = me.post(f"/api/v1/submission-versions/{uploaded['id']}/submit/", {"declaration": True})
    assert again.json()["reference"] == receipt["reference"] and Receipt.objects.count() == 1

    for user in (enrolment.participant.user, person(Role.PROVIDER_ADMIN, provider)):
        read = api(user).get(f"/api/v1/receipts/{receipt['reference'].lower()}/")
        assert read.status_code == 200 and read.json() == receipt
    assert (
        api(person(Role.PROVIDER_ADMIN, other_provider))
        .get(f"/api/v1/receipts/{receipt['reference']}/")
        .status_code
        == 404
    )
    assert me.get("/api/v1/receipts/NPQ-2222-2222/").status_code == 404
    listed = me.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert listed["status"] == "submitted" and listed["submitted_version"] == uploaded["id"]
    assert [r["reference"] for r in listed["receipts"]] == [receipt["reference"]]


@time_machine.travel(DURING, tick=False)
def test_nobody_but_the_participant_can_submit_their_version(api, place, provider):
    enrolment, task, _ = place
    version = upload(enrolment, task, 1200)

    for user in (
        person(Role.PROVIDER_ADMIN, provider),
        EnrolmentFactory(cohort=enrolment.cohort).participant.user,
    ):
        response = api(user).post(f"/api/v1/submission-versions/{version.pk}/submit/", {"declaration": True})
        assert response.status_code == 404
        assert error(response)["message"] == NOT_FOUND
    assert not Receipt.objects.exists()


# Extensions ----------------------------------------------------------------------------------------------


@time_machine.travel(DURING, tick=False)
def test_participant_asks_for_more_time_and_an_admin_grants_it(api, place, provider):
    enrolment, task, _ = place
    me = api(enrolment.participant.user)
    admin = api(person(Role.PROVIDER_ADMIN, provider))

    too_early = me.post(
        "/api/v1/extensions/",
        {"enrolment": enrolment.pk, "task": 1, "reason": "I was in hospital.", "until": "2026-03-29"},
    )
    assert too_early.status_code == 400
    assert error(too_early)["fields"]["until"] == [
        "Ask for a day after your current deadline (Sunday 29 March 2026)."
    ]

    asked = me.post(
        "/api/v1/extensions/",
        {"enrolment": enrolment.pk, "task": 1, "reason": "I was in hospital.", "until": "2026-04-12"},
    )
    assert asked.status_code == 201, asked.content
    request = asked.json()
    assert (request["status"], request["task"], request["reason"]) == ("requested", 1, "I was in hospital.")
    assert (request["deadline_then"], request["requested_until"], request["new_deadline"]) == (
        "2026-03-29",
        "2026-04-12",
        None,
    )
    assert [e["id"] for e in admin.get("/api/v1/extensions/", status="requested").json()["results"]] == [
        request["id"]
    ]

    for role in (Role.PARTICIPANT, Role.PLATFORM_STAFF):
        user = enrolment.participant.user if role == Role.PARTICIPANT else person(role, provider)
        refused = api(user).post(f"/api/v1/extensions/{request['id']}/decide/", {"grant": True})
        assert refused.status_code == 403, role
        assert error(refused)["message"] == "Only a provider admin can decide requests for more time."

    no_day = admin.post(f"/api/v1/extensions/{request['id']}/decide/", {"grant": True})
    assert no_day.status_code == 400
    assert error(no_day)["fields"]["new_deadline"] == ["Give the new last day for submitting."]

    granted = admin.post(
        f"/api/v1/extensions/{request['id']}/decide/",
        {"grant": True, "new_deadline": "2026-04-05", "note": "Fit note seen."},
    )
    assert granted.status_code == 200, granted.content
    assert (granted.json()["status"], granted.json()["new_deadline"]) == ("granted", "2026-04-05")
    assert granted.json()["decision_note"] == "Fit note seen."
    assert me.get(f"/api/v1/extensions/{request['id']}/").json()["status"] == "granted"

    twice = admin.post(f"/api/v1/extensions/{request['id']}/decide/", {"grant": False, "note": "No."})
    assert twice.status_code == 400
    assert error(twice)["message"] == "This request has already been granted."

    # The participant's deadline moves with it.
    upload(enrolment, task, 1200)
    shown = me.get("/api/v1/submissions/").json()["results"][0]
    assert shown["extended"] is True
    assert shown["deadline"] == "2026-04-06T00:00:00+01:00"
    assert shown["deadline_text"] == "23:59 on Sunday 5 April 2026 (UK time)"


@time_machine.travel(DURING, tick=False)
def test_a_request_with_evidence_keeps_its_fingerprint_not_its_path(api, place):
    enrolment, _, _ = place
    evidence = docx_bytes(40)

    response = api(enrolment.participant.user).upload(
        "/api/v1/extensions/",
        {
            "enrolment": enrolment.pk,
            "task": 1,
            "reason": "My father died.",
            "until": "2026-04-12",
            "evidence": SimpleUploadedFile("certificate.docx", evidence),
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["evidence_name"] == "certificate.docx"
    assert response.json()["evidence_sha256"] == hashlib.sha256(evidence).hexdigest()
    assert "evidence/" not in response.content.decode()


@time_machine.travel(DURING, tick=False)
def test_refusing_needs_a_note(api, place, provider):
    enrolment, task, _ = place
    extension = Extension.objects.create(
        enrolment=enrolment,
        task=task,
        reason="Busy term.",
        deadline_then=datetime.date(2026, 3, 29),
        requested_until=datetime.date(2026, 4, 30),
        requested_by=enrolment.participant.user,
        requested_at=DURING,
    )
    admin = api(person(Role.PROVIDER_ADMIN, provider))

    bare = admin.post(f"/api/v1/extensions/{extension.pk}/decide/", {"grant": False})
    assert bare.status_code == 400 and error(bare)["fields"]["note"] == ["Say why, in a sentence or two."]

    refused = admin.post(
        f"/api/v1/extensions/{extension.pk}/decide/", {"grant": False, "note": "Workload is not a reason."}
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert refused.json()["decision_note"] == "Workload is not a reason."


@time_machine.travel(DURING, tick=False)
def test_extensions_of_another_provider_are_404_and_left_out(api, place, other_provider):
    enrolment, task, _ = place
    extension = Extension.objects.create(
        enrolment=enrolment,
        task=task,
        reason="Busy term.",
        deadline_then=datetime.date(2026, 3, 29),
        requested_until=datetime.date(2026, 4, 30),
        requested_by=enrolment.participant.user,
        requested_at=DURING,
    )
    other_admin = api(person(Role.PROVIDER_ADMIN, other_provider))

    assert other_admin.get("/api/v1/extensions/").json()["count"] == 0
    assert other_admin.get(f"/api/v1/extensions/{extension.pk}/").status_code == 404
    decided = other_admin.post(
        f"/api/v1/extensions/{extension.pk}/decide/", {"grant": True, "new_deadline": "2026-04-30"}
    )
    assert decided.status_code == 404 and error(decided)["message"] == NOT_FOUND
    extension.refresh_from_db()
    assert extension.status == Extension.Status.REQUESTED
    stranger = api(EnrolmentFactory(cohort=enrolment.cohort).participant.user)
    assert stranger.get("/api/v1/extensions/").json()["count"] == 0
    assert stranger.get(f"/api/v1/extensions/{extension.pk}/").status_code == 404


def test_only_participants_ask_for_more_time(api, place, provider):
    enrolment, _, _ = place

    response = api(person(Role.PROVIDER_ADMIN, provider)).post(
        "/api/v1/extensions/",
        {"enrolment": enrolment.pk, "task": 1, "reason": "On their behalf.", "until": "2026-04-12"},
    )

    assert response.status_code == 403
    assert error(response)["message"] == "Only a participant can ask for more time, for their own place."
    assert not Extension.objects.exists()


# Query counts --------------------------------------------------------------------------------------------


def more_windows(window, n: int) -> None:
    """n more cohorts of the programme, each with its window for the task."""
    for _ in range(n):
        AssessmentWindow.objects.create(
            cohort=CohortFactory(programme=window.cohort.programme),
            task=window.task,
            opens_on=window.opens_on,
            closes_on=window.closes_on,
        )


def grow(enrolment, task, n: int) -> None:
    """n more places on the cohort, each with two uploaded versions, a receipt and an extension request."""
    for _ in range(n):
        place = EnrolmentFactory(cohort=enrolment.cohort)
        make_eligible(place)
        upload(place, task, 200)
        version = upload(place, task, 300)
        services.submission_submit(by=place.participant.user, version=version, declaration=True)
        services.extension_request(
            by=place.participant.user,
            enrolment=place,
            task=task,
            reason="Ill.",
            until=datetime.date(2026, 4, 9),
        )


# With a key: the key and its user (1), the user's roles (1), then the list's count (1) and its page (1);
# submissions also prefetch versions, files, receipts, status changes, the programme's deadline policies,
# the cohort's windows and granted extensions (7). Nothing per row.
ADMIN_LISTS = [("assessment-windows", 4), ("submissions", 11), ("extensions", 4)]


@pytest.mark.parametrize(("kind", "queries"), ADMIN_LISTS, ids=[k for k, _ in ADMIN_LISTS])
@time_machine.travel(DURING, tick=False)
def test_admin_list_query_counts_are_pinned(api, django_assert_num_queries, place, provider, kind, queries):
    enrolment, task, window = place
    admin = api(person(Role.PROVIDER_ADMIN, provider))
    admin.get("/api/v1/me/")  # records the key's first use, a write made at most once a minute
    more_windows(window, 2)

    grow(enrolment, task, 2)
    with django_assert_num_queries(queries):
        few = admin.get(f"/api/v1/{kind}/", page_size=100)
    grow(enrolment, task, 5)
    more_windows(window, 5)
    with django_assert_num_queries(queries):
        many = admin.get(f"/api/v1/{kind}/", page_size=100)

    assert few.status_code == many.status_code == 200
    assert many.json()["count"] > few.json()["count"] >= 2
    assert len(many.json()["results"]) == many.json()["count"]


@time_machine.travel(DURING, tick=False)
def test_participants_own_submissions_query_count_is_pinned(api, django_assert_num_queries, place):
    enrolment, task, _ = place
    me = api(enrolment.participant.user)
    me.get("/api/v1/me/")
    upload(enrolment, task, 200)
    with django_assert_num_queries(11):
        few = me.get("/api/v1/submissions/")
    for _ in range(4):
        upload(enrolment, task, 300)
    with django_assert_num_queries(11):
        many = me.get("/api/v1/submissions/")
    assert len(many.json()["results"][0]["versions"]) == len(few.json()["results"][0]["versions"]) + 4
