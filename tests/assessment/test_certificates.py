"""Certificates and transcripts: a certificate is issued once, only for a passed qualification, with a code
anyone can check; its PDF says who, what, which provider and when; a transcript of any place lists its
components and hours, engagement, each task's released outcome and the overall status; the public page shows
only the four facts of a certificate, and lookups are rate-limited per IP address."""

import datetime
import io
import logging
import re
import zoneinfo
from decimal import Decimal

import pypdf
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from assessment import certificates, services
from assessment.certificates import (
    CODE_ALPHABET,
    QUALIFICATION,
    VERIFY_LOOKUPS_PER_WINDOW,
    certificate_issue,
    certificate_revoke,
    normalise_code,
)
from assessment.models import Allocation, AssessmentTask, AssessmentWindow, Certificate, Marking, Result
from npqel.access import Role
from npqel.errors import DomainError
from participants import services as participant_services
from participants.models import ComponentCompletion, Enrolment
from programmes.models import Component
from tests.assessment.factories import case_study_place, upload
from tests.people import person
from tests.programmes.factories import ComponentFactory

pytestmark = pytest.mark.django_db
logging.getLogger("weasyprint").setLevel(logging.WARNING)  # it logs every layout step at INFO
logging.getLogger("fontTools").setLevel(logging.WARNING)

UK = zoneinfo.ZoneInfo("Europe/London")
SUBMITTED = datetime.datetime(2026, 3, 25, 12, 0, tzinfo=datetime.UTC)
# 23:30 on 10 June in UTC is 00:30 on 11 June in the UK (summer time): the award date is the UK one.
RELEASED = datetime.datetime(2026, 6, 10, 23, 30, tzinfo=datetime.UTC)
FEEDBACK = "A clear, well-justified plan for implementation across the trust's schools."
CODE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")


# Setting up places ------------------------------------------------------------------------------------------


def _submitted(enrolment, number=1):
    """The place's response to a task, uploaded and submitted in the window; returns the submission."""
    task = enrolment.cohort.programme.assessment_scheme.tasks.get(number=number)
    with time_machine.travel(SUBMITTED, tick=False):
        receipt = services.submission_submit(
            by=enrolment.participant.user, version=upload(enrolment, task), declaration=True
        )
    return receipt.submission


def _result(submission, outcome, *, released_at=RELEASED):
    """A decided result for the script (first marking alone), released at `released_at` (None: not yet)."""
    assessor = person(Role.ASSESSOR, submission.enrolment.provider)
    allocation = Allocation.objects.create(
        submission=submission, assessor=assessor, allocated_at=SUBMITTED, due_on=datetime.date(2026, 4, 20)
    )
    marking = Marking.objects.create(
        allocation=allocation,
        status=Marking.Status.SUBMITTED,
        outcome=outcome,
        total=30,
        saved_at=SUBMITTED,
        submitted_at=SUBMITTED,
    )
    return Result.objects.create(
        submission=submission,
        outcome=outcome,
        route=Result.Route.FIRST,
        first_marking=marking,
        total=30,
        feedback=FEEDBACK,
        decided_at=SUBMITTED + datetime.timedelta(days=20),
        released_at=released_at,
    )


def _components(enrolment, *, done=("Leadership self-audit", "360° diagnostic")):
    """Two components of the place's programme (12 and 3 hours); those in `done` recorded done in full."""
    programme = enrolment.cohort.programme
    made = [
        ComponentFactory(
            programme=programme,
            title="Leadership self-audit",
            kind=Component.Kind.SELF_AUDIT,
            mode=Component.Mode.SELF_DIRECTED,
            guided_learning_hours=Decimal("12"),
            position=1,
        ),
        ComponentFactory(
            programme=programme,
            title="360° diagnostic",
            kind=Component.Kind.DIAGNOSTIC_360,
            mode=Component.Mode.SELF_DIRECTED,
            guided_learning_hours=Decimal("3"),
            position=2,
        ),
    ]
    for component in made:
        if component.title in done:
            ComponentCompletion.objects.create(
                enrolment=enrolment, component=component, completed_on=datetime.date(2026, 2, 1)
            )
    return made


def passed_place(provider, *, name="Amelia Okonkwo-Hart"):
    """A place whose case study passed (released 11 June 2026, UK date), recorded completed."""
    enrolment, _, _ = case_study_place(provider=provider)
    user = enrolment.participant.user
    user.full_name = name
    user.save(update_fields=["full_name"])
    _components(enrolment)
    _result(_submitted(enrolment), Result.Outcome.PASS)
    participant_services.enrolment_record_outcome(
        by=None, enrolment=enrolment, passed=True, on=datetime.date(2026, 6, 11)
    )
    return enrolment


@pytest.fixture
def passed(provider):
    return passed_place(provider)


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _download(client, user, name, enrolment):
    client.force_login(user)
    return client.get(reverse(name, args=[enrolment.pk]))


# Issuing ----------------------------------------------------------------------------------------------------


def test_issuing_freezes_the_four_facts_with_a_grouped_unambiguous_code(passed, provider):
    certificate = certificate_issue(enrolment=passed)

    assert CODE.match(certificate.code)
    assert not set(certificate.code) & set("0O1IL")
    assert certificate.name == "Amelia Okonkwo-Hart"
    assert certificate.qualification == "National Professional Qualification for Executive Leadership"
    assert certificate.provider_name == "Outstanding Leaders Partnership"
    # The UK date of the release (00:30 on 11 June, summer time), not the UTC one (10 June).
    assert certificate.awarded_on == datetime.date(2026, 6, 11)
    assert certificate.revoked_at is None


def test_issuing_again_returns_the_same_certificate_and_later_changes_do_not_rewrite_it(passed, provider):
    first = certificate_issue(enrolment=passed)
    user = passed.participant.user
    user.full_name = "Amelia Hart"
    user.save(update_fields=["full_name"])
    provider.name = "OLP Leadership"
    provider.save(update_fields=["name"])

    again = certificate_issue(enrolment=passed)

    assert again.pk == first.pk
    assert (again.code, again.name, again.provider_name) == (
        first.code,
        "Amelia Okonkwo-Hart",
        "Outstanding Leaders Partnership",
    )
    assert Certificate.objects.filter(enrolment=passed).count() == 1


def test_the_award_date_is_the_latest_release_of_a_passing_result(provider):
    enrolment, first_task, first_window = case_study_place(provider=provider)
    second_task = AssessmentTask.objects.create(
        scheme=first_task.scheme,
        number=2,
        title="Reflective account",
        main_word_limit=1500,
        window_kind=AssessmentTask.WindowKind.FIXED,
        window_days=8,
    )
    AssessmentWindow.objects.create(
        cohort=enrolment.cohort,
        task=second_task,
        opens_on=first_window.opens_on,
        closes_on=first_window.closes_on,
    )
    _result(
        _submitted(enrolment), Result.Outcome.PASS, released_at=datetime.datetime(2026, 7, 2, 9, 0, tzinfo=UK)
    )
    _result(_submitted(enrolment, number=2), Result.Outcome.PASS, released_at=RELEASED)
    participant_services.enrolment_record_outcome(by=None, enrolment=enrolment, passed=True)

    assert certificate_issue(enrolment=enrolment).awarded_on == datetime.date(2026, 7, 2)


@pytest.mark.parametrize(
    "status",
    [Enrolment.Status.ACTIVE, Enrolment.Status.DEFERRED, Enrolment.Status.WITHDRAWN, Enrolment.Status.FAILED],
)
def test_issuing_is_refused_unless_the_place_is_completed(provider, status):
    enrolment, _, _ = case_study_place(provider=provider)
    _result(_submitted(enrolment), Result.Outcome.PASS)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=status)

    with pytest.raises(DomainError, match="only for a passed qualification"):
        certificate_issue(enrolment=enrolment)
    assert not Certificate.objects.exists()


def test_issuing_is_refused_without_a_released_pass_or_a_full_name(provider):
    enrolment, _, _ = case_study_place(provider=provider)
    result = _result(_submitted(enrolment), Result.Outcome.PASS, released_at=None)
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.COMPLETED)
    with pytest.raises(DomainError, match="release their results first"):
        certificate_issue(enrolment=enrolment)

    Result.objects.filter(pk=result.pk).update(released_at=RELEASED)
    user = enrolment.participant.user
    user.full_name = "  "
    user.save(update_fields=["full_name"])
    with pytest.raises(DomainError, match="no full name"):
        certificate_issue(enrolment=enrolment)
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("7kq4-m2xb-9hdw", "7KQ4-M2XB-9HDW"),
        ("7KQ4 M2XB 9HDW", "7KQ4-M2XB-9HDW"),
        ("7kq4m2xb9hdw", "7KQ4-M2XB-9HDW"),
        ("  7KQ4–M2XB–9HDW ", "7KQ4-M2XB-9HDW"),  # en dashes, as a word processor writes them
        ("7KQ4-M2XB-9HD", None),  # too short
        ("7KQ4-M2XB-9HD0", None),  # 0 is never used
        ("", None),
    ],
)
def test_codes_are_read_as_people_type_them(typed, stored):
    assert normalise_code(typed) == stored


# The certificate PDF ------------------------------------------------------------------------------------------


def test_the_certificate_pdf_says_who_what_which_provider_when_and_how_to_check_it(client, passed):
    certificate = certificate_issue(enrolment=passed)

    response = _download(client, passed.participant.user, "certificate_download", passed)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"NPQEL-certificate-{certificate.code}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Amelia Okonkwo-Hart" in text
    assert "National Professional Qualification for Executive Leadership" in text
    assert "Outstanding Leaders Partnership" in text
    assert "Date of award: 11 June 2026" in text
    assert f"Certificate code: {certificate.code}" in text
    assert f"http://testserver/verify/{certificate.code}/" in text


def test_certificate_pdf_renders_from_the_service_with_the_address_given(passed):
    certificate = certificate_issue(enrolment=passed)
    content = certificates.certificate_pdf(
        certificate, verify_url=f"https://npqel.example.org/verify/{certificate.code}/"
    )
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # A4 landscape
    assert f"https://npqel.example.org/verify/{certificate.code}/" in pdf_text(content)


def test_there_is_no_certificate_to_download_before_it_is_issued_or_once_revoked(client, passed, admin):
    user = passed.participant.user
    assert _download(client, user, "certificate_download", passed).status_code == 404

    certificate = certificate_issue(enrolment=passed)
    assert _download(client, user, "certificate_download", passed).status_code == 200
    certificate_revoke(by=admin, certificate=certificate, reason="The result was changed on review.")
    assert _download(client, user, "certificate_download", passed).status_code == 404
    assert _download(client, admin, "certificate_download", passed).status_code == 404


# Transcripts ------------------------------------------------------------------------------------------------


def test_a_passed_participants_transcript(client, passed):
    certificate = certificate_issue(enrolment=passed)

    response = _download(client, passed.participant.user, "transcript_download", passed)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "NPQEL-transcript-amelia-okonkwo-hart.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Amelia Okonkwo-Hart" in text
    assert QUALIFICATION in text
    assert "Overall status Completed (passed) on 11 June 2026" in text
    assert f"Awarded on 11 June 2026, code {certificate.code}" in text
    # Components with hours planned and credited, in programme order, and their total.
    assert "Leadership self-audit Done 12 12" in text
    assert "360° diagnostic Done 3 3" in text
    assert "Counted toward engagement 15 15" in text
    assert "Engagement 100% of the programme's hours (15 of 15 hours)" in text
    assert "Engagement rule Met" in text
    assert "Pass (released 11 June 2026)" in text
    assert "Not released yet" not in text


def test_an_in_progress_participants_transcript_hides_unreleased_outcomes(client, provider, admin):
    enrolment, _, _ = case_study_place(provider=provider)
    _components(enrolment, done=("360° diagnostic",))
    _result(_submitted(enrolment), Result.Outcome.PASS, released_at=None)  # decided, not released

    response = _download(client, admin, "transcript_download", enrolment)

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Overall status Active" in text
    assert "Leadership self-audit Not recorded as done yet 12 0" in text
    assert "360° diagnostic Done 3 3" in text
    assert "Engagement 20% of the programme's hours (3 of 15 hours)" in text
    assert "Engagement rule Not met" in text
    assert "Case-study response 1 25 March 2026 Not released yet" in text
    assert "Pass" not in text
    assert "Certificate" not in text


def test_a_failed_participants_transcript_shows_the_released_fail(client, provider):
    enrolment, _, _ = case_study_place(provider=provider)
    _result(_submitted(enrolment), Result.Outcome.FAIL)
    participant_services.enrolment_record_outcome(
        by=None, enrolment=enrolment, passed=False, on=datetime.date(2026, 6, 11)
    )

    text = pdf_text(_download(client, enrolment.participant.user, "transcript_download", enrolment).content)

    assert "Overall status Failed on 11 June 2026" in text
    assert "Fail (released 11 June 2026)" in text
    assert _download(client, enrolment.participant.user, "certificate_download", enrolment).status_code == 404


def test_a_withdrawn_participants_transcript(client, provider, admin):
    enrolment, _, _ = case_study_place(provider=provider)
    participant_services.enrolment_withdraw(
        by=admin, enrolment=enrolment, reason="personal-reason-other", on=datetime.date(2026, 1, 15)
    )

    text = pdf_text(_download(client, admin, "transcript_download", enrolment).content)

    assert "Overall status Withdrawn on 15 January 2026" in text
    assert "Not submitted" in text
    assert "The programme has no components recorded." in text


# Who may download what ----------------------------------------------------------------------------------------


def test_downloads_are_for_the_participant_and_their_providers_admins_only(client, passed, other_provider):
    certificate_issue(enrolment=passed)
    own_admin = person(Role.PROVIDER_ADMIN, passed.provider)
    other_admin = person(Role.PROVIDER_ADMIN, other_provider)
    someone_else = person(Role.PARTICIPANT, passed.provider)
    facilitator = person(Role.FACILITATOR, passed.provider)
    staff = person(Role.PLATFORM_STAFF)
    for name in ("certificate_download", "transcript_download"):
        assert _download(client, own_admin, name, passed).status_code == 200, name
        assert _download(client, staff, name, passed).status_code == 200, name
        assert _download(client, other_admin, name, passed).status_code == 404, name
        assert _download(client, someone_else, name, passed).status_code == 404, name
        assert _download(client, facilitator, name, passed).status_code == 404, name
        client.logout()
        response = client.get(reverse(name, args=[passed.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


# Revoking -----------------------------------------------------------------------------------------------------


def test_only_an_admin_of_the_provider_revokes_and_says_why(passed, admin, other_provider):
    certificate = certificate_issue(enrolment=passed)
    for who in (
        person(Role.PROVIDER_ADMIN, other_provider),
        person(Role.PLATFORM_STAFF),
        person(Role.FACILITATOR, passed.provider),
        passed.participant.user,
    ):
        with pytest.raises(PermissionDenied):
            certificate_revoke(by=who, certificate=certificate, reason="Issued in error.")
    with pytest.raises(DomainError, match="Say why"):
        certificate_revoke(by=admin, certificate=certificate, reason="   ")

    revoked = certificate_revoke(by=admin, certificate=certificate, reason="Issued in error.")

    assert revoked.revoked_at is not None and revoked.revoke_reason == "Issued in error."
    with pytest.raises(DomainError, match="already revoked"):
        certificate_revoke(by=admin, certificate=certificate, reason="Again.")
    # Issuing again (the place is still completed) makes a new certificate with a new code; the revoked one
    # keeps its code, which the verification page goes on calling revoked.
    again = certificate_issue(enrolment=passed)
    assert again.pk != certificate.pk and again.code != certificate.code and again.revoked_at is None
    assert certificate_issue(enrolment=passed) == again


def test_the_revoke_page(client, passed, admin, other_provider):
    certificate = certificate_issue(enrolment=passed)
    url = reverse("certificate_revoke", args=[passed.pk])
    client.force_login(person(Role.PLATFORM_STAFF))
    assert client.get(url).status_code == 403
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.get(url).status_code == 404
    client.force_login(admin)
    page = client.get(url)
    assert page.status_code == 200 and f"Revoke certificate {certificate.code}?" in page.content.decode()

    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Say why the certificate is revoked" in refused.content.decode()
    done = client.post(url, {"reason": "The result was changed on review."})

    assert done.status_code == 302 and done["Location"] == reverse("enrolment_detail", args=[passed.pk])
    certificate.refresh_from_db()
    assert certificate.revoke_reason == "The result was changed on review."
    assert "The result was changed on review." in client.get(url).content.decode()


# Verifying ----------------------------------------------------------------------------------------------------


def _facts(body: str) -> dict[str, str]:
    keys = re.findall(r'<dt class="govuk-summary-list__key">(.*?)</dt>', body)
    values = re.findall(r'<dd class="govuk-summary-list__value">(.*?)</dd>', body)
    return dict(zip(keys, values, strict=True))


def test_the_verification_page_shows_the_four_facts_and_nothing_else(client, passed):
    certificate = certificate_issue(enrolment=passed)
    user = passed.participant.user

    response = client.get(reverse("certificate_verify", args=[certificate.code]))

    assert response.status_code == 200
    body = response.content.decode()
    assert _facts(body) == {
        "Name": "Amelia Okonkwo-Hart",
        "Qualification": "National Professional Qualification for Executive Leadership",
        "Provider": "Outstanding Leaders Partnership",
        "Date of award": "11 June 2026",
    }
    for private in (
        user.email,
        passed.participant.school.name,
        passed.participant.job_role,
        passed.cohort.code,
        passed.cohort.programme.name,
        FEEDBACK,
    ):
        assert private not in body, private
    assert '<meta name="robots" content="noindex">' in body


def test_the_verification_page_reads_codes_as_people_type_them(client, passed):
    certificate = certificate_issue(enrolment=passed)
    canonical = reverse("certificate_verify", args=[certificate.code])

    for typed in (
        certificate.code.lower(),
        certificate.code.replace("-", ""),
        certificate.code.replace("-", " "),
    ):
        response = client.get(reverse("certificate_verify", args=[typed]))
        assert response.status_code == 302 and response["Location"] == canonical, typed
    form = client.get(
        reverse("certificate_verify_start"), {"code": f" {certificate.code.lower().replace('-', '')} "}
    )
    assert form.status_code == 302 and form["Location"] == canonical
    assert client.get(reverse("certificate_verify_start")).status_code == 200
    wrong = client.get(reverse("certificate_verify_start"), {"code": "ABC"})
    assert wrong.status_code == 400 and "Enter the 12 letters and numbers" in wrong.content.decode()


def test_an_unknown_code_is_a_clear_404(client, passed):
    certificate_issue(enrolment=passed)
    for code in ("ZZZZ-ZZZZ-ZZZZ", "not-a-code"):
        response = client.get(reverse("certificate_verify", args=[code]))
        assert response.status_code == 404
        body = response.content.decode()
        assert "No certificate has this code" in body
        assert "Check the code against the one printed" in body
        assert "Amelia" not in body


def test_a_revoked_certificate_says_so_and_when_without_its_facts(client, passed, admin):
    certificate = certificate_issue(enrolment=passed)
    with time_machine.travel(datetime.datetime(2026, 9, 3, 10, 0, tzinfo=UK), tick=False):
        certificate_revoke(by=admin, certificate=certificate, reason="Plagiarism found on review.")

    response = client.get(reverse("certificate_verify", args=[certificate.code]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "This certificate has been revoked" in body
    assert f"Certificate {certificate.code} was revoked on 3 September 2026" in body
    assert "Plagiarism" not in body
    assert "Amelia" not in body
    assert _facts(body) == {}


def test_lookups_are_rate_limited_per_ip_address(client, passed):
    certificate = certificate_issue(enrolment=passed)
    url = reverse("certificate_verify", args=[certificate.code])
    unknown = reverse("certificate_verify", args=["ZZZZ-ZZZZ-ZZZZ"])
    for n in range(VERIFY_LOOKUPS_PER_WINDOW):
        assert client.get(unknown if n % 2 else url, REMOTE_ADDR="203.0.113.7").status_code in (200, 404)
    # Sending a code as typed to its stored form reads nothing, so it is not counted.
    assert client.get(url.lower(), REMOTE_ADDR="203.0.113.7").status_code == 302

    limited = client.get(url, REMOTE_ADDR="203.0.113.7")

    assert limited.status_code == 429
    assert limited["Retry-After"] == str(certificates.VERIFY_WINDOW_SECONDS)
    assert "Too many checks" in limited.content.decode() and "Amelia" not in limited.content.decode()
    assert client.get(url, REMOTE_ADDR="198.51.100.20").status_code == 200  # another connection
    # The limit is per window: the next one starts afresh.
    later = timezone.now() + datetime.timedelta(seconds=certificates.VERIFY_WINDOW_SECONDS)
    with time_machine.travel(later):
        assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200


def test_ipv6_addresses_are_counted_by_their_64(passed):
    for n in range(VERIFY_LOOKUPS_PER_WINDOW):
        assert certificates.verify_lookup_allowed(client_ip=f"2001:db8:1:2::{n + 1:x}", now=1_000_000.0)
    assert not certificates.verify_lookup_allowed(client_ip="2001:db8:1:2:ffff::1", now=1_000_000.0)
    assert certificates.verify_lookup_allowed(client_ip="2001:db8:1:3::1", now=1_000_000.0)


# Query counts -------------------------------------------------------------------------------------------------


def test_the_verification_page_reads_one_row(client, passed, django_assert_num_queries):
    certificate = certificate_issue(enrolment=passed)
    url = reverse("certificate_verify", args=[certificate.code])
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200


def _more_components(enrolment, n):
    for i in range(n):
        component = ComponentFactory(
            programme=enrolment.cohort.programme, title=f"Seminar {i}", position=10 + i
        )
        ComponentCompletion.objects.create(
            enrolment=enrolment, component=component, completed_on=datetime.date(2026, 2, 1)
        )


@pytest.mark.parametrize("extra", [0, 6])
def test_transcript_queries_do_not_grow_with_components(
    client, passed, admin, extra, django_assert_num_queries
):
    certificate_issue(enrolment=passed)
    _more_components(passed, extra)
    client.force_login(admin)
    url = reverse("transcript_download", args=[passed.pk])
    # session, user, roles (1), the admin's second factor, the place with its certificate, its status
    # history, engagement (2), components, tasks, submissions with their results.
    with django_assert_num_queries(12):
        assert client.get(url).status_code == 200


def test_certificate_download_queries(client, passed, django_assert_num_queries):
    certificate_issue(enrolment=passed)
    client.force_login(passed.participant.user)
    url = reverse("certificate_download", args=[passed.pk])
    # session, user, roles (1), the place with its certificate, its status history.
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
