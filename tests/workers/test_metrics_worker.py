"""Metric snapshots taken by a real Celery worker, and taken again without writing anything new."""

import datetime

import pytest

from metrics.models import MetricSnapshot
from metrics.tasks import snapshots_take_task
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory
from tests.workers.conftest import wait_for
from tests.workers.test_engagement_worker import drained

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_takes_snapshots_and_running_it_again_changes_nothing(worker, provider):
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider), start_date=datetime.date(2019, 9, 16)
    )
    EnrolmentFactory(cohort=cohort)
    snapshots = MetricSnapshot.objects.filter(provider=provider)
    snapshots_take_task.apply_async(args=[provider.pk])
    # The year for all programmes together, and for its one programme.
    assert wait_for(lambda: snapshots.count() == 2, seconds=60), "The worker took no snapshots."
    assert wait_for(lambda: drained(worker), seconds=30)
    taken = sorted(snapshots.values_list("pk", "computed_at"))
    snapshots_take_task.apply_async(args=[provider.pk])  # again, as a redelivery would
    assert wait_for(lambda: drained(worker), seconds=30), "The worker did not take the second job."
    assert sorted(snapshots.values_list("pk", "computed_at")) == taken
    assert snapshots.get(programme__isnull=True).data["recruitment"]["recruited"] == 1
