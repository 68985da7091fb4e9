"""A Celery worker killed (SIGKILL) in the middle of a job: the job is acknowledged only once done (acks late), so
Redis still holds it as taken-but-unacknowledged; once its visibility timeout has passed the next worker to
start takes it again and finishes it, and what is stored equals a clean run. Each job is stopped half-way
deterministically: the test holds a lock the job needs, waits until the worker is seen waiting for it in
PostgreSQL, then kills the worker.

The worker processes run with a visibility timeout of VISIBILITY_SECONDS (NPQEL_BROKER_VISIBILITY_TIMEOUT) on
a Redis of the test's own (tests/workers/loopback.py), so no other test's messages are handed around."""

import datetime
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from metrics.compute import metrics_reports
from metrics.models import MetricSnapshot
from metrics.services import _lock_scope, _scopes, snapshot_take
from metrics.tasks import snapshots_take_task
from npqel.access import Role
from npqel.jobs import enqueue
from participants import services
from participants.models import Attendance, Engagement, EngagementQueue
from participants.services import engagement
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory
from tests.workers.loopback import (  # noqa: F401 - the *_fixture functions are fixtures used below
    activity,
    blocked_backends,
    broker_fixture,
    celery_on_broker_fixture,
    start_worker_fixture,
    wait_for,
)
from tests.workers.worlds import live_cohort

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VISIBILITY_SECONDS = 3
WORKER_ENV = {"NPQEL_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS)}


def kill_when_blocked(worker, lock: str) -> None:
    """Wait until the worker's job waits for the lock this test holds, then SIGKILL the worker."""
    assert wait_for(lambda: blocked_backends(lock) or not worker.alive(), seconds=40), (
        f"The worker never reached the locked statement: {activity()}\n{worker.output()}"
    )
    assert worker.alive(), f"The worker died by itself:\n{worker.output()}"
    worker.kill()


def wait_until_visible_again(broker) -> None:
    """The killed worker's job is still noted as taken; once its visibility timeout has passed, the next worker
    to start puts it back on its queue."""
    taken = broker.unacked()
    assert len(taken) == 1, f"Expected the one job taken and not acknowledged, found {taken}"
    (taken_at,) = taken.values()
    assert wait_for(lambda: time.time() > taken_at + VISIBILITY_SECONDS + 0.5, seconds=VISIBILITY_SECONDS + 5)


def test_a_snapshot_killed_half_way_is_finished_by_the_next_worker_with_one_snapshot_each(
    broker, celery_on_broker, start_worker, provider
):
    # Two programmes with places in two recruitment years: 2 years × (all programmes + each) = 6 snapshots.
    for code in ("npqel-a", "npqel-b"):
        programme = ProgrammeFactory(provider=provider, code=code)
        for start in (datetime.date(2023, 9, 18), datetime.date(2024, 9, 16)):
            cohort = CohortFactory(
                programme=programme, start_date=start, end_date=start + datetime.timedelta(days=540)
            )
            for _ in range(4):
                EnrolmentFactory(cohort=cohort)
    scopes = _scopes(provider)
    assert len(scopes) == 6
    snapshots = MetricSnapshot.objects.filter(provider=provider)

    enqueue(
        snapshots_take_task, provider.pk
    )  # sent at once (no transaction): waits on the queue for a worker
    with transaction.atomic():
        # Hold the second scope's lock: the worker computes every figure, then waits here to write them.
        _lock_scope(provider, scopes[1][0], scopes[1][1])
        first = start_worker(**WORKER_ENV)
        kill_when_blocked(first, "advisory")
        assert (
            snapshots.count() == 0
        )  # a provider's snapshots are written in one transaction: the kill left none
    wait_until_visible_again(broker)

    second = start_worker(**WORKER_ENV)
    assert wait_for(lambda: snapshots.count() == len(scopes) and broker.idle(celery_on_broker), seconds=40), (
        f"The next worker did not finish the job: {snapshots.count()} snapshots\n{second.output()}"
    )
    # Exactly one snapshot per scope.
    for year, programme in scopes:
        assert snapshots.filter(recruitment_year=year, programme=programme).count() == 1
    # And each equals a clean run now, in this process: nothing new to write, the same figures.
    for year, programme in scopes:
        stored, new = snapshot_take(provider=provider, recruitment_year=year, programme=programme)
        assert not new
        assert (
            stored.data == metrics_reports(provider=provider, recruitment_year=year, programme=programme)[0]
        )
    assert snapshots.count() == len(scopes)
    newest_year = scopes[0][0]
    assert snapshots.get(programme=None, recruitment_year=newest_year).data["recruitment"]["recruited"] == 8


FIELDS = (*engagement.COLUMNS, "meets_threshold", "eligible", "at_risk")


def engagement_rows(cohort) -> dict[int, dict[str, object]]:
    return {
        row.pk: {field: getattr(row, field) for field in FIELDS}
        for row in Engagement.objects.filter(enrolment__cohort=cohort)
    }


def test_an_engagement_recompute_killed_half_way_is_finished_by_the_next_worker_as_a_clean_run(
    broker, celery_on_broker, start_worker, provider, make_person, monkeypatch
):
    monkeypatch.setattr(engagement, "COALESCE_SECONDS", 0)  # sent at once, not gathered for a few seconds
    held = live_cohort(provider)
    cohort = held.cohort
    places = [EnrolmentFactory(cohort=cohort) for _ in range(30)]
    engagement.engagement_recompute(cohort_ids=[cohort.pk])
    before = engagement_rows(cohort)
    assert {row["percent"] for row in before.values()} == {Decimal("0.00")}

    # Two in three present: the register queues the cohort's recompute, sent to Redis once it commits.
    services.register_save(
        by=make_person(Role.FACILITATOR, provider),
        session=held,
        marks={
            place.pk: Attendance.Status.ABSENT if index % 3 == 2 else Attendance.Status.PRESENT
            for index, place in enumerate(places)
        },
    )
    assert EngagementQueue.objects.filter(cohort=cohort).exists()

    with transaction.atomic():
        # Writes to the engagement table wait for this test: the worker computes, then waits to store.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE participants_engagement IN EXCLUSIVE MODE")
        first = start_worker(**WORKER_ENV)
        kill_when_blocked(first, "participants_engagement")
    # The killed run stored nothing, and the cohort is still queued.
    assert engagement_rows(cohort) == before
    assert EngagementQueue.objects.filter(cohort=cohort).exists()
    wait_until_visible_again(broker)

    second = start_worker(**WORKER_ENV)
    assert wait_for(
        lambda: not EngagementQueue.objects.exists() and broker.idle(celery_on_broker), seconds=40
    ), f"The next worker did not finish the recompute:\n{second.output()}"
    after = engagement_rows(cohort)
    assert (
        sorted(row["percent"] for row in after.values()) == [Decimal("0.00")] * 10 + [Decimal("50.00")] * 20
    )

    # A clean recompute now, in this process, finds exactly what the worker stored.
    engagement.engagement_recompute(cohort_ids=[cohort.pk])
    assert engagement_rows(cohort) == after
