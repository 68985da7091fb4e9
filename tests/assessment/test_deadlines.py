"""Deadlines decided in UK time by the server's clock, on both sides of the clock changes; the stated rule for
uploads that straddle the deadline; and two uploads or submits at the same moment against PostgreSQL."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core.files.storage import default_storage

from assessment import deadlines, services
from assessment.models import AssessmentWindow, Receipt, Submission, SubmissionFile
from npqel.errors import DomainError
from programmes.models import Programme
from tests.assessment.factories import case_study_place, docx_bytes, make_eligible, upload
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory
from tests.together import together

UK = zoneinfo.ZoneInfo("Europe/London")
UTC = datetime.UTC

pytestmark = pytest.mark.django_db


def at(*args: int) -> time_machine.travel:
    return time_machine.travel(datetime.datetime(*args, tzinfo=UTC), tick=False)


# Spring forward: clocks go to BST at 01:00 UTC on Sunday 29 March 2026. A window opening on 22 March lasts
# 8 days and ends on that Sunday, 23:59:59 BST = 22:59:59 UTC.


def test_the_deadline_on_the_day_bst_starts_is_2359_bst():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 3, 22))
    assert services.deadline_of(enrolment, task).ends_at == datetime.datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    with at(2026, 3, 29, 22, 59, 59):
        assert upload(enrolment, task).number == 1
    with at(2026, 3, 29, 23, 0, 0), pytest.raises(DomainError, match="uploads are closed"):
        upload(enrolment, task)  # 00:00 BST on Monday: one second too late
    with at(2026, 3, 29, 23, 30), pytest.raises(DomainError, match="23:59 on Sunday 29 March 2026"):
        upload(enrolment, task)  # still 29 March on a GMT clock, but not on the UK clock that day


# Fall back: clocks return to GMT at 01:00 UTC on Sunday 25 October 2026. A window ending that day closes at
# 23:59:59 GMT = 23:59:59 UTC.


def test_the_deadline_on_the_day_gmt_returns_is_2359_gmt():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 10, 18))
    assert services.deadline_of(enrolment, task).ends_at == datetime.datetime(2026, 10, 26, 0, 0, tzinfo=UTC)
    with at(2026, 10, 25, 23, 30):
        assert upload(enrolment, task).number == 1  # would be 00:30 the next day on a BST clock
    with at(2026, 10, 25, 23, 59, 59):
        assert upload(enrolment, task).number == 2
    with at(2026, 10, 26, 0, 0, 0), pytest.raises(DomainError, match="uploads are closed"):
        upload(enrolment, task)


def test_a_window_opens_at_midnight_uk_time_even_in_summer():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 6, 1))
    with at(2026, 5, 31, 22, 59, 59), pytest.raises(DomainError, match="opens on Monday 1 June 2026"):
        upload(enrolment, task)
    with at(2026, 5, 31, 23, 0, 0):  # 00:00 BST on 1 June
        assert upload(enrolment, task).number == 1


def test_the_case_study_is_hidden_until_the_window_opens(client):
    enrolment, _, _ = case_study_place(opens_on=datetime.date(2026, 6, 1))
    client.force_login(enrolment.participant.user)
    with at(2026, 5, 31, 22, 0):
        page = client.get(f"/enrolments/{enrolment.pk}/assessment/1/").content.decode()
        assert "Northfield Trust" not in page and "falling rolls" not in page
        assert "appear here when the window opens" in page
    with at(2026, 5, 31, 23, 0):
        page = client.get(f"/enrolments/{enrolment.pk}/assessment/1/").content.decode()
        assert "Northfield Trust" in page and "falling rolls" in page


# Uploads that straddle the deadline (docs/adr/0005-submissions.md): what counts is when the server began
# receiving the upload; such a version may be submitted up to 30 minutes after the deadline.


def test_an_upload_that_began_before_the_deadline_and_finished_after_it_is_accepted():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 10, 18))
    user = enrolment.participant.user
    began = datetime.datetime(2026, 10, 25, 23, 59, 50, tzinfo=UK)
    with time_machine.travel(datetime.datetime(2026, 10, 26, 0, 0, 20, tzinfo=UK), tick=False):
        version = upload(enrolment, task, started_at=began)
    assert version.upload_started_at == began
    with time_machine.travel(datetime.datetime(2026, 10, 26, 0, 25, tzinfo=UK), tick=False):
        receipt = services.submission_submit(by=user, version=version, declaration=True)
    assert receipt.issued_at == datetime.datetime(2026, 10, 26, 0, 25, tzinfo=UK)
    assert Submission.objects.get().status == Submission.Status.SUBMITTED


def test_past_the_grace_the_in_time_upload_can_no_longer_be_submitted():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 10, 18))
    with time_machine.travel(datetime.datetime(2026, 10, 25, 23, 50, tzinfo=UK), tick=False):
        version = upload(enrolment, task)
    with time_machine.travel(datetime.datetime(2026, 10, 26, 0, 30, tzinfo=UK), tick=False):
        with pytest.raises(DomainError, match="within 30 minutes"):
            services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)
    assert not Receipt.objects.exists()


def test_an_upload_that_began_after_the_deadline_is_refused_however_fast():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 10, 18))
    began = datetime.datetime(2026, 10, 26, 0, 0, 0, tzinfo=UK)
    with time_machine.travel(began, tick=False), pytest.raises(DomainError, match="uploads are closed"):
        upload(enrolment, task, started_at=began)
    assert not Submission.objects.exists()


def test_a_chosen_window_closes_at_the_participants_own_deadline():
    programme = ProgrammeFactory(framework=Programme.Framework.LEGACY, deadline_months=18)
    task = services.scheme_create_default(by=None, programme=programme).tasks.get(number=1)
    cohort = CohortFactory(
        programme=programme, start_date=datetime.date(2024, 8, 31), end_date=datetime.date(2026, 2, 1)
    )
    AssessmentWindow.objects.create(cohort=cohort, task=task, opens_on=datetime.date(2025, 6, 1))
    early = EnrolmentFactory(cohort=cohort)
    late = EnrolmentFactory(cohort=cohort, start_date=datetime.date(2024, 10, 1))
    make_eligible(early)
    make_eligible(late)
    # 31 August + 18 months clamps to 28 February; the later start's deadline is 1 April.
    assert services.deadline_of(early, task).text() == "23:59 on Saturday 28 February 2026 (UK time)"
    assert services.deadline_of(late, task).last_day == datetime.date(2026, 4, 1)
    with at(2026, 3, 1, 0, 0, 1):
        with pytest.raises(DomainError, match="uploads are closed"):
            upload(early, task)
        assert upload(late, task).number == 1


def test_countdown_words():
    now = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)
    assert deadlines.countdown(now + datetime.timedelta(days=4, hours=3), now) == "4 days 3 hours left"
    assert deadlines.countdown(now + datetime.timedelta(hours=1, minutes=1), now) == "1 hour 1 minute left"
    assert deadlines.countdown(now + datetime.timedelta(minutes=12), now) == "12 minutes left"
    assert deadlines.countdown(now + datetime.timedelta(seconds=30), now) == "Less than a minute left"
    assert deadlines.countdown(now, now) == "Closed"


# Two at the same moment, against PostgreSQL (each thread has its own connection and transaction).


@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_the_same_moment_make_one_submission_with_two_versions():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 3, 22))
    user = enrolment.participant.user
    contents = [docx_bytes(700), docx_bytes(800)]
    with at(2026, 3, 25, 12, 0):
        results = together(
            *(
                lambda content=content: services.version_upload(
                    by=user, enrolment=enrolment, task=task, main=io.BytesIO(content), main_name="r.docx"
                )
                for content in contents
            )
        )
    assert not [r for r in results if isinstance(r, BaseException)], results
    submission = Submission.objects.get()
    assert sorted(submission.versions.values_list("number", flat=True)) == [1, 2]
    files = SubmissionFile.objects.filter(version__submission=submission)
    assert sorted(files.values_list("words", flat=True)) == [700, 800]
    for stored in files:
        assert default_storage.exists(stored.file.name)


@pytest.mark.django_db(transaction=True)
def test_two_submits_of_the_same_version_at_the_same_moment_make_one_receipt():
    enrolment, task, _ = case_study_place(opens_on=datetime.date(2026, 3, 22))
    user = enrolment.participant.user
    with at(2026, 3, 25, 12, 0):
        version = upload(enrolment, task)
        results = together(
            *(
                lambda: services.submission_submit(by=user, version=version, declaration=True)
                for _ in range(2)
            )
        )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results[0].pk == results[1].pk
    assert Receipt.objects.count() == 1
    assert Submission.objects.get().status == Submission.Status.SUBMITTED
