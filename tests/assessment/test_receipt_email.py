"""The receipt email goes once; when Redis is down at the moment of submitting, the submit still works and the
periodic sweep sends the email later, once, and never twice."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from assessment import services
from assessment.models import Receipt
from assessment.tasks import receipt_email_task, receipts_email_unsent_task
from npqel.celery import app as celery_app
from npqel.schedules import BEAT_SCHEDULE
from tests.accounts.test_invitation_sweep import broker_down  # noqa: F401 - a fixture
from tests.assessment.factories import case_study_place, upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_submitting_while_redis_is_down_keeps_the_receipt_and_the_sweep_emails_it(broker_down):  # noqa: F811
    now = timezone.now()
    enrolment, task, _ = case_study_place(opens_on=timezone.localdate(now) - datetime.timedelta(days=2))
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        receipt = services.submission_submit(
            by=enrolment.participant.user, version=upload(enrolment, task), declaration=True
        )
    receipt.refresh_from_db()
    assert receipt.emailed_at is None and mail.outbox == []

    celery_app.conf.task_always_eager = True  # Redis is back
    assert receipts_email_unsent_task.delay().get() == 0  # too recent: its own task may still be on its way
    with time_machine.travel(now + datetime.timedelta(minutes=6)):
        assert receipts_email_unsent_task.delay().get() == 1
        assert receipts_email_unsent_task.delay().get() == 0
    assert [m.to for m in mail.outbox] == [[enrolment.participant.user.email]]
    assert Receipt.objects.get().emailed_at is not None
    assert receipt_email_task.delay(receipt.pk).get() is False  # a second run sends nothing
    assert len(mail.outbox) == 1


def test_the_sweep_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert "assessment.tasks.receipts_email_unsent_task" in tasks
    celery_app.finalize(auto=True)
    celery_app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them on start
    assert "assessment.tasks.receipts_email_unsent_task" in celery_app.tasks
