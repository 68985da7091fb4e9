"""Engagement kept current by a real Celery worker process (participants/services/engagement.py): a register
saved here queues its cohort; after commit the job goes through the real Redis to the worker, which
recomputes the cohort in the test database and empties the queue. A second run of the job finds nothing
queued and changes nothing."""

import time
from decimal import Decimal

import pytest
import redis
from django.conf import settings

from npqel.access import Role
from participants import services
from participants.models import Attendance, Engagement, EngagementQueue
from participants.services import engagement
from participants.tasks import engagement_recompute_cohort_task
from tests.participants.factories import EnrolmentFactory
from tests.workers.conftest import wait_for
from tests.workers.worlds import live_cohort

# The `worker` fixture (tests/workers/conftest.py) starts the worker process.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FIELDS = (*engagement.COLUMNS, "meets_threshold", "eligible", "at_risk", "computed_at")


@pytest.fixture(autouse=True)
def no_gathering(monkeypatch):
    # Changes are normally gathered for COALESCE_SECONDS before the job runs; here it is sent at once.
    monkeypatch.setattr(engagement, "COALESCE_SECONDS", 0)


@pytest.fixture
def register(provider, make_person):
    """A live component of two hours in two one-hour sessions — one held just now, one next week — and
    one active place on its cohort, its engagement computed (0%) before anything is marked."""
    held = live_cohort(provider)
    cohort = held.cohort
    place = EnrolmentFactory(cohort=cohort)
    engagement.engagement_recompute(cohort_ids=[cohort.pk])
    assert Engagement.objects.get(pk=place.pk).percent == Decimal("0.00")
    return {"session": held, "place": place, "facilitator": make_person(Role.FACILITATOR, provider)}


def stored(place) -> dict[str, object]:
    row = Engagement.objects.get(pk=place.pk)
    return {field: getattr(row, field) for field in FIELDS}


def recomputed(place, percent: str) -> bool:
    return (
        Engagement.objects.filter(pk=place.pk, percent=Decimal(percent)).exists()
        and not EngagementQueue.objects.exists()
    )


def mark_present(register) -> None:
    services.register_save(
        by=register["facilitator"],
        session=register["session"],
        marks={register["place"].pk: Attendance.Status.PRESENT},
    )


def drained(queue: str) -> bool:
    """Nothing waiting on the worker's queue and nothing delivered but not yet acknowledged (its tasks
    acknowledge once done)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        # Twice, a moment apart: a message is taken off the queue a moment before it is noted as unacknowledged.
        for attempt in range(2):
            if broker.llen(queue) or broker.hlen("unacked"):
                return False
            if not attempt:
                time.sleep(0.3)
        return True
    finally:
        broker.close()


def test_a_saved_register_is_recomputed_by_the_worker(worker, register):
    place = register["place"]
    before = Engagement.objects.get(pk=place.pk).computed_at
    mark_present(register)
    # Not done by this process (tasks are not eager while the worker runs): the job went through Redis.
    assert wait_for(lambda: recomputed(place, "50.00"), seconds=30), (
        "The worker did not recompute the place's engagement within 30 seconds: "
        f"{stored(place)}, queued: {list(EngagementQueue.objects.values_list('cohort_id', flat=True))}"
    )
    row = Engagement.objects.get(pk=place.pk)
    assert (row.credited_hours, row.planned_hours, row.due_hours) == (
        Decimal("1"),
        Decimal("2"),
        Decimal("1"),
    )
    assert row.to_date_percent == Decimal("100.00")
    assert row.computed_at > before


def test_running_the_job_again_finds_nothing_queued_and_changes_nothing(worker, register):
    place = register["place"]
    cohort_id = place.cohort_id
    mark_present(register)
    assert wait_for(lambda: recomputed(place, "50.00"), seconds=30), "The worker did not run the job."
    assert wait_for(lambda: drained(worker), seconds=30), "The worker did not finish the job."
    first = stored(place)

    # The same job delivered again (as a redelivery after a lost acknowledgement would): the worker finds
    # the cohort no longer queued, so it does not recompute — not even the time it computed at changes.
    engagement_recompute_cohort_task.apply_async(args=[cohort_id])
    assert wait_for(lambda: drained(worker), seconds=30), "The worker did not take the second job."
    assert stored(place) == first
    assert not EngagementQueue.objects.exists()

    # And run here, the task says so: nothing was queued.
    assert engagement_recompute_cohort_task.apply(args=[cohort_id]).get() is False
    assert stored(place) == first
