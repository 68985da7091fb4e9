"""Redis down: a redis-server of the test's own is the cache and the broker, and is killed. A participant still
signs in (allauth's rate limits live in the cache), sees their home and task pages, uploads and submits their
final assessment and gets its receipt; a provider admin sees the cohort's pages; /health/ says "degraded" with
a 503 and names Redis. The receipt email's job waits in the outbox. Redis is started again on the same port,
empty: the drain sends each waiting job once, and a real worker runs it."""

import datetime
import time

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessment.models import Receipt, Submission
from npqel.access import Role
from npqel.jobs import outbox_drain
from npqel.models import OutboxTask
from tests.accounts.factories import PASSWORD
from tests.assessment.factories import case_study_place, docx_bytes
from tests.workers.loopback import (  # noqa: F401 - the *_fixture functions are fixtures used below
    broker_fixture,
    celery_on_broker_fixture,
    start_worker_fixture,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Each page while Redis is down answers well within this (nothing waits on Redis for long).
SLOWEST_SECONDS = 3.0


class Timed:
    """The test client, noting how long the slowest request took."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.slowest = 0.0

    def __getattr__(self, method: str):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.monotonic()
            response = getattr(self.client, method)(*args, **kwargs)
            self.slowest = max(self.slowest, time.monotonic() - started)
            return response

        return call


def test_with_redis_down_pages_and_submissions_work_and_waiting_jobs_run_once_it_is_back(
    broker, celery_on_broker, start_worker, client, provider, make_person
):
    enrolment, task, _ = case_study_place(
        opens_on=timezone.localdate() - datetime.timedelta(days=3), provider=provider
    )
    participant = enrolment.participant.user
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    earlier_jobs = set(OutboxTask.objects.values_list("pk", flat=True))

    broker.kill()
    assert not broker.answers()
    browser = Timed(client)

    # The cache answers from this process's memory.
    cache.set("npqel:ops-check", 41)
    assert cache.incr("npqel:ops-check") == 42

    # The participant signs in (rate limits are counted in the cache) and submits.
    signed_in = browser.post(reverse("account_login"), {"login": participant.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.url == "/", signed_in.content.decode()[:2000]
    assert browser.get("/").status_code == 200
    task_page = reverse("my_task", args=[enrolment.pk, task.number])
    assert "Northfield Trust" in browser.get(task_page).content.decode()
    upload = SimpleUploadedFile("response.docx", docx_bytes(1200), content_type="application/octet-stream")
    uploaded = browser.post(reverse("task_upload", args=[enrolment.pk, task.number]), {"main": upload})
    assert uploaded.status_code == 302, uploaded.content.decode()[:2000]
    version = Submission.objects.get(enrolment=enrolment).versions.get()
    submitted = browser.post(reverse("version_submit", args=[version.pk]), {"declaration": "on"})
    assert submitted.status_code == 302, submitted.content.decode()[:2000]
    receipt = Receipt.objects.get(submission__enrolment=enrolment)
    assert submitted.url == reverse("receipt_detail", args=[receipt.reference])
    assert receipt.reference in browser.get(submitted.url).content.decode()

    # A provider admin's cohort pages.
    staff = Timed(Client())
    staff.client.force_login(admin)
    assert staff.get(reverse("cohort_detail", args=[enrolment.cohort_id])).status_code == 200
    assert staff.get(reverse("cohort_roster", args=[enrolment.cohort_id])).status_code == 200
    assert max(browser.slowest, staff.slowest) < SLOWEST_SECONDS, (browser.slowest, staff.slowest)

    # The health page: degraded, naming Redis.
    health = client.get(reverse("health"))
    body = health.json()
    assert health.status_code == 503
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "down"
    assert body["problems"][0].startswith("Redis is not answering")
    assert body["checks"]["outbox"]["unsent"] >= 1

    # The receipt email's job waits in the outbox, with the reason it was not sent.
    waiting = OutboxTask.objects.exclude(pk__in=earlier_jobs)
    email_job = waiting.get(task_name="assessment.tasks.receipt_email_task")
    assert email_job.args == [receipt.pk]
    assert email_job.sent_at is None and email_job.attempts == 1 and email_job.last_error
    assert Receipt.objects.get(pk=receipt.pk).emailed_at is None
    unsent = OutboxTask.objects.filter(sent_at__isnull=True).count()

    # Redis back on the same port, empty. The drain sends every waiting job, once.
    broker.start()
    assert outbox_drain() == unsent
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()
    assert broker.queued(celery_on_broker) == unsent
    assert outbox_drain() == 0  # a second drain (beat's next minute, another worker's) sends nothing again
    assert broker.queued(celery_on_broker) == unsent

    # A worker runs the job: the receipt is emailed, once.
    worker = start_worker()
    assert wait_for(
        lambda: Receipt.objects.get(pk=receipt.pk).emailed_at is not None and broker.idle(celery_on_broker),
        seconds=40,
    ), f"The worker did not email the receipt:\n{worker.output()}"
    log = worker.output()
    assert log.count("assessment.tasks.receipt_email_task[") == 2, log  # received, then succeeded: once
    assert log.count(f"Subject: Receipt {receipt.reference}") == 1, log
