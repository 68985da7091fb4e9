"""The outbox of background jobs (npqel/jobs.py): written in the caller's transaction, sent once it commits,
kept when Redis cannot take it, and sent later by the drain — oldest first, never twice, even by two drains at
once — and by a worker as it starts."""

import base64
import datetime
import json
import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Invitation
from assessment.tasks import receipt_email_task
from npqel.access import Role
from npqel.jobs import KEEP_SENT, enqueue, outbox_drain
from npqel.models import OutboxTask
from tests.workers.loopback import (  # noqa: F401 - the *_fixture functions are fixtures used below
    broker_fixture,
    celery_on_broker_fixture,
    start_worker_fixture,
    wait_for,
)

INVITATION_TASK = "accounts.tasks.invitation_send_email_task"


def invite(provider, make_person, email: str = "new.coach@school.example") -> Invitation:
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    return accounts.invitation_create(invited_by=admin, email=email, role="coach", provider=provider)


def sent_messages(broker, queue: str) -> list[tuple[str, str]]:
    """(task, arguments) of each message waiting on the queue, oldest first."""
    with broker.client() as client:
        raw = client.lrange(queue, 0, -1)
    messages = [json.loads(item) for item in reversed(raw)]  # kombu pushes on the left and pops on the right
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


# Without a broker (`make run`, the test suite): the job runs at commit, and its row says so. ------------------


@pytest.mark.django_db
def test_a_job_is_written_with_the_change_and_run_once_the_change_commits(
    provider, make_person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(provider, make_person)
        job = OutboxTask.objects.get(task_name=INVITATION_TASK)
        assert (job.args, job.sent_at, mail.outbox) == ([invitation.pk], None, [])  # not before the commit
    job.refresh_from_db()
    assert job.sent_at is not None and job.attempts == 1 and job.last_error == ""
    assert [m.to for m in mail.outbox] == [["new.coach@school.example"]]


@pytest.mark.django_db
def test_a_change_rolled_back_leaves_no_job(provider, make_person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            invite(provider, make_person)
            raise RuntimeError("the form failed after the invitation was made")
    assert not OutboxTask.objects.exists()
    assert not Invitation.objects.exists() and mail.outbox == []


@pytest.mark.django_db
def test_the_drain_runs_waiting_jobs_in_order_keeps_a_job_it_cannot_send_and_forgets_old_sent_ones(
    provider, make_person
):
    # Jobs whose commit-time send never happened (on_commit callbacks do not run in this test's transaction).
    first = invite(provider, make_person, "first@school.example")
    renamed = OutboxTask.objects.create(task_name="accounts.tasks.a_task_since_renamed", args=[1])
    second = invite(provider, make_person, "second@school.example")
    now = timezone.now()
    old = OutboxTask.objects.create(task_name=INVITATION_TASK, args=[0])
    recent = OutboxTask.objects.create(task_name=INVITATION_TASK, args=[0])
    OutboxTask.objects.filter(pk=old.pk).update(sent_at=now - KEEP_SENT - datetime.timedelta(hours=1))
    OutboxTask.objects.filter(pk=recent.pk).update(sent_at=now - KEEP_SENT + datetime.timedelta(hours=1))

    assert outbox_drain() == 2
    assert [m.to for m in mail.outbox] == [["first@school.example"], ["second@school.example"]]
    assert not OutboxTask.objects.filter(args=[first.pk], sent_at__isnull=True).exists()
    assert not OutboxTask.objects.filter(args=[second.pk], sent_at__isnull=True).exists()
    renamed.refresh_from_db()
    assert renamed.sent_at is None and renamed.attempts == 1
    assert renamed.last_error == (
        "LookupError: No task named accounts.tasks.a_task_since_renamed is registered: was it renamed?"
    )
    assert not OutboxTask.objects.filter(pk=old.pk).exists()  # sent over a week ago: forgotten
    assert OutboxTask.objects.filter(pk=recent.pk).exists()

    assert outbox_drain() == 0  # nothing sent twice; the renamed job tried again and still kept
    assert len(mail.outbox) == 2
    assert OutboxTask.objects.get(pk=renamed.pk).attempts == 2


@pytest.mark.django_db
def test_the_outbox_command_shows_waiting_jobs_and_drains_them(provider, make_person):
    invitation = invite(provider, make_person)
    shown = StringIO()
    call_command("outbox", stdout=shown)
    assert "1 job waiting; the oldest for 0 seconds." in shown.getvalue()
    assert f"{INVITATION_TASK}({invitation.pk},): not tried yet" in shown.getvalue()
    drained = StringIO()
    call_command("outbox", "--drain", stdout=drained)
    assert drained.getvalue().splitlines() == [
        "Sent 1 job to Redis.",
        "No jobs waiting: every job has been sent to Redis.",
    ]
    assert [m.to for m in mail.outbox] == [["new.coach@school.example"]]


@pytest.mark.django_db
def test_health_says_when_jobs_have_waited_too_long_with_redis_up(client):
    job = OutboxTask.objects.create(task_name=INVITATION_TASK, args=[1])
    OutboxTask.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        body = client.get(reverse("health")).json()
    assert body["checks"]["redis"]["status"] == "up"
    outbox = body["checks"]["outbox"]
    assert (outbox["status"], outbox["unsent"], outbox["oldest_unsent_task"]) == (
        "behind",
        1,
        INVITATION_TASK,
    )
    assert outbox["oldest_unsent_seconds"] >= 660
    assert any("waited in the outbox for more than 10 minutes" in problem for problem in body["problems"])


# With Redis, a real one of the test's own. ----------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_change_is_saved_and_its_job_kept(
    broker, celery_on_broker, provider, make_person
):
    broker.kill()
    invitation = invite(provider, make_person)  # no error for the person inviting
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    job = OutboxTask.objects.get(task_name=INVITATION_TASK)
    assert job.sent_at is None and job.attempts == 1
    assert "Connection refused" in job.last_error
    assert outbox_drain() == 0  # still down: kept for the next drain, tried once more
    assert OutboxTask.objects.get(pk=job.pk).attempts == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_never_send_a_job_twice(broker, celery_on_broker):
    broker.kill()
    for receipt_id in range(1, 6):
        enqueue(receipt_email_task, receipt_id)
    assert OutboxTask.objects.filter(sent_at__isnull=True).count() == 5
    broker.start()

    def drain_elsewhere() -> int:
        """A drain in another process: its own database connection."""
        result: list[int] = []

        def run() -> None:
            try:
                result.append(outbox_drain())
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)
        return result[0]

    with transaction.atomic():
        # This drain has claimed the two oldest and is sending them: the other one skips them.
        claimed = list(OutboxTask.objects.select_for_update().order_by("created_at", "pk")[:2])
        assert drain_elsewhere() == 3
    assert sent_messages(broker, celery_on_broker) == [(receipt_email_task.name, [n]) for n in (3, 4, 5)]
    assert [job.args for job in claimed] == [[1], [2]]
    # Released without sending (as if that drain had died): the next drain sends them, once.
    assert drain_elsewhere() == 2
    assert drain_elsewhere() == 0
    assert sorted(args for _, args in sent_messages(broker, celery_on_broker)) == [[1], [2], [3], [4], [5]]
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_starts_sends_what_the_outbox_holds(
    broker, celery_on_broker, start_worker, provider, make_person
):
    broker.kill()
    invitation = invite(provider, make_person)
    assert OutboxTask.objects.filter(sent_at__isnull=True).count() == 1
    broker.start()
    # No beat, no drain here: the worker drains the outbox as it starts, then runs the job it sent.
    worker = start_worker()
    assert wait_for(lambda: Invitation.objects.get(pk=invitation.pk).email_sent_at is not None, seconds=40), (
        f"The worker did not send the waiting invitation:\n{worker.output()}"
    )
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()
    assert wait_for(lambda: broker.idle(celery_on_broker), seconds=20)
    assert worker.output().count("Task npqel.tasks.outbox_drain_task[") == 2  # received and succeeded
