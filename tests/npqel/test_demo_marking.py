"""The demo's marking: every script of a passed or failed place has a released result that matches the place
(second marking and the lead's decision where the rules send it), each provider has a moderation sample with
its verdicts, passed places have certificates, and each demo assessor has scripts waiting in their queue."""

import pytest
from django.urls import reverse

from assessment.models import Allocation, Certificate, ModerationSample, Result, Submission
from assessment.moderation import sample_redraw_check
from npqel.demo import demo_load
from participants.models import Enrolment

# The demo, loaded once for the module (tests/conftest.py); each test's writes roll back.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_for_module")]


def test_finished_places_have_released_results_that_match_them():
    finished = Submission.objects.filter(enrolment__status__in=["completed", "failed"], status="submitted")
    assert finished.exists()
    assert not finished.filter(result__isnull=True).exists()
    for script in finished.select_related("result", "enrolment"):
        expected = "pass" if script.enrolment.status == "completed" else "fail"
        assert script.result.outcome == expected and script.result.released_at is not None
    assert Result.objects.filter(route="lead").exists() and Result.objects.filter(route="agreed").exists()
    completed = Enrolment.objects.filter(status="completed")
    assert Certificate.objects.count() == completed.count()


def test_each_provider_has_a_reproducible_sample_with_every_verdict_in():
    samples = list(ModerationSample.objects.all())
    assert len(samples) == 5
    for sample in samples:
        assert sample.items.exists() and not sample.items.filter(verdict="").exists()
        assert sample_redraw_check(sample)
    # Every borderline result was moderated.
    assert not Result.objects.filter(was_borderline=True, moderation_items__isnull=True).exists()


def test_the_demo_assessor_has_scripts_to_mark(client):
    from accounts.models import User

    assessor = User.objects.get(email="assessor@olp.example")
    waiting = Allocation.objects.filter(assessor=assessor, marking__isnull=True)
    assert waiting.count() == 4
    client.force_login(assessor)
    page = client.get(reverse("marking_queue")).content.decode()
    assert "To mark (4)" in page
    allocation = waiting.first()
    assert client.get(reverse("marking_page", args=[allocation.pk])).status_code == 200


def test_loading_the_demo_again_adds_no_marking(settings):
    before = (Allocation.objects.count(), Result.objects.count(), ModerationSample.objects.count())
    demo_load()
    assert (Allocation.objects.count(), Result.objects.count(), ModerationSample.objects.count()) == before
