"""'Recompute now': an admin asks, the worker recomputes every year and programme, and the page shows the
progress (a fragment htmx polls) and then what changed."""

import datetime

import pytest
from django.urls import reverse

from metrics.models import MetricSnapshot, RecomputeRun
from metrics.services import recompute_request
from npqel.access import Role
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(provider):
    programme = ProgrammeFactory(provider=provider)
    for year in (2019, 2020):
        EnrolmentFactory(cohort=CohortFactory(programme=programme, start_date=datetime.date(year, 10, 1)))


def test_an_admin_recomputes_and_sees_it_finish(client, provider, places, django_capture_on_commit_callbacks):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("metrics_recompute_start", args=[provider.slug]))
    run = RecomputeRun.objects.get()
    assert response["Location"] == reverse("metrics_recompute", args=[run.pk])
    assert (run.total, run.done, run.changed) == (4, 4, 4)  # two years, each for all programmes and for one
    assert run.finished_at is not None and MetricSnapshot.objects.count() == 4
    page = client.get(response["Location"]).content.decode()
    assert "4 sets of figures checked" in page and "4 changed" in page
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert (
        fragment.startswith('<div id="progress"') and "hx-trigger" not in fragment
    )  # finished: no more polling
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("metrics_recompute_start", args=[provider.slug]))
    assert RecomputeRun.objects.order_by("-pk").first().changed == 0  # nothing had changed


def test_a_run_under_way_shows_its_progress_and_is_not_started_twice(client, provider, places):
    admin = person(Role.PROVIDER_ADMIN, provider)
    run = recompute_request(by=admin, provider=provider)  # not run: its job waits for the commit
    assert recompute_request(by=admin, provider=provider) == run
    RecomputeRun.objects.filter(pk=run.pk).update(done=1)
    client.force_login(admin)
    fragment = client.get(
        reverse("metrics_recompute", args=[run.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Recomputing: 1 of 4 done." in fragment and 'hx-trigger="every 1s"' in fragment
    assert '<progress class="npqel-progress" max="4" value="1">25%</progress>' in fragment


def test_who_may_recompute(client, provider, other_provider, places):
    url = reverse("metrics_recompute_start", args=[provider.slug])
    client.force_login(person(Role.FACILITATOR, provider))
    assert client.post(url).status_code == 403
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.post(url).status_code == 404
    client.force_login(person(Role.PLATFORM_STAFF))
    assert client.post(url).status_code == 302
    assert not RecomputeRun.objects.filter(provider=other_provider).exists()
    assert RecomputeRun.objects.filter(provider=provider).count() == 1


def test_a_run_that_never_finished_is_closed_and_a_new_one_started(provider, places):
    import datetime as dt

    from django.utils import timezone

    admin = person(Role.PROVIDER_ADMIN, provider)
    stuck = recompute_request(by=admin, provider=provider)
    RecomputeRun.objects.filter(pk=stuck.pk).update(requested_at=timezone.now() - dt.timedelta(hours=1))
    fresh = recompute_request(by=admin, provider=provider)
    stuck.refresh_from_db()
    assert fresh != stuck and fresh.finished_at is None
    assert stuck.finished_at is not None and "stopped before it finished" in stuck.problem
