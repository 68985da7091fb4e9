import datetime

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from accounts.tasks import invitations_send_unsent_task
from npqel.access import Role
from npqel.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_down():
    """Point Celery at a port where nothing listens, as when Redis is down."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    with celery_app.pool.acquire(block=True) as conn:  # drop any connection to the real broker
        conn.close()
    celery_app._pool = None
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = previous
    celery_app._pool = None


def test_inviting_works_while_redis_is_down_and_the_sweep_sends_the_email_later(
    broker_down, signed_in, make_person, provider
):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        response = signed_in(admin).post(
            reverse("provider_invite", args=[provider.slug]),
            {"email": "late@school.example", "role": "coach"},
        )
    assert response.status_code == 302  # the admin is not shown an error
    invitation = Invitation.objects.get(email="late@school.example")
    assert invitation.email_sent_at is None and mail.outbox == []

    # Redis is back (the fixture restores the broker after the test; here, run the tasks in-process).
    celery_app.conf.task_always_eager = True
    assert invitations_send_unsent_task.delay().get() == 0  # too recent: its own task may still be on its way
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
        assert invitations_send_unsent_task.delay().get() == 1
    invitation.refresh_from_db()
    assert invitation.email_sent_at is not None
    assert [m.to for m in mail.outbox] == [["late@school.example"]]
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=6)):
        assert invitations_send_unsent_task.delay().get() == 0  # nothing sent twice


def test_the_sweep_is_in_the_beat_schedule():
    from npqel.schedules import BEAT_SCHEDULE

    celery_app.finalize(auto=True)
    celery_app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them on start
    assert celery_app.conf.beat_schedule == BEAT_SCHEDULE  # what beat runs is what schedules.py says
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert "accounts.tasks.invitations_send_unsent_task" in tasks
    assert all(name in celery_app.tasks for name in tasks)
