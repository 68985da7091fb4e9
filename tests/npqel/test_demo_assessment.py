"""The demo's final assessment: every demo programme has its standard scheme and every cohort a window; ended
cohorts' passed and failed places submitted with receipts; the LLSE demo participant can submit now."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from assessment.documents import check_document
from assessment.models import (
    AssessmentScheme,
    AssessmentTask,
    AssessmentWindow,
    Receipt,
    Submission,
    SubmissionFile,
)
from participants.models import Enrolment
from programmes.models import Cohort, Programme
from tests.assessment.factories import docx_bytes

# The demo, loaded once for the module (tests/conftest.py); each test's writes roll back.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_for_module")]


def test_every_demo_programme_and_cohort_has_its_assessment():
    assert AssessmentScheme.objects.count() == Programme.objects.count() == 5
    legacy = AssessmentScheme.objects.filter(programme__framework="legacy").first()
    assert [(t.main_word_limit, t.appendix_word_limit) for t in legacy.tasks.all()] == [
        (4000, 2000),
        (4000, 2000),
    ]
    reformed = AssessmentScheme.objects.filter(programme__framework="reformed").first()
    assert [(t.main_word_limit, t.window_days) for t in reformed.tasks.all()] == [(1500, 8)]
    assert AssessmentWindow.objects.values("cohort").distinct().count() == Cohort.objects.count()
    assert not AssessmentTask.objects.filter(mark_scheme__isnull=True).exists()  # every task can be marked
    counts = (Submission.objects.count(), Receipt.objects.count(), AssessmentWindow.objects.count())
    call_command("load_demo", stdout=io.StringIO())
    assert (Submission.objects.count(), Receipt.objects.count(), AssessmentWindow.objects.count()) == counts


def test_ended_cohorts_passed_and_failed_places_submitted_real_files():
    ended = Enrolment.objects.filter(status__in=["completed", "failed"])
    assert ended.exists()
    for place in ended.select_related("cohort__programme__assessment_scheme"):
        tasks = place.cohort.programme.assessment_scheme.tasks.count()
        assert place.submissions.filter(status="submitted").count() == tasks
    receipt = Receipt.objects.order_by("pk").first()
    assert receipt.content["deadline_text"].startswith("23:59 on ") and receipt.content["deadline"]
    stored = SubmissionFile.objects.order_by("pk").first()
    checked = check_document(stored.file.open("rb"), max_bytes=20 * 1024 * 1024)
    assert (checked.sha256, checked.words) == (stored.sha256, stored.words)


def test_the_llse_demo_participant_can_submit_now(client):
    place = Enrolment.objects.get(participant__user__email="participant@llse.example")
    client.force_login(place.participant.user)
    page = client.get(reverse("my_task", args=[place.pk, 1])).content.decode()
    assert "Northfield Learning Trust" in page and "Upload your work" in page
    upload = io.BytesIO(docx_bytes(1200))
    upload.name = "response.docx"
    response = client.post(reverse("task_upload", args=[place.pk, 1]), {"main": upload})
    assert response.status_code == 302
    version = Submission.objects.get(enrolment=place).versions.get()
    response = client.post(reverse("version_submit", args=[version.pk]), {"declaration": "on"})
    assert response.status_code == 302 and Receipt.objects.filter(version=version).exists()
