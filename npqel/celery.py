"""The Celery application. Schedules live in npqel/schedules.py; tasks are discovered in each app's tasks.py."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npqel.settings.local")

app = Celery("npqel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _load_schedules(sender: Celery, **kwargs: object) -> None:
    from npqel.schedules import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE


@worker_ready.connect
def _drain_outbox_on_start(sender: Any, **kwargs: object) -> None:
    """A worker that starts (Redis is back, a deploy, a restart after a crash) sends what the outbox holds at once
    rather than at the next minute. Queued on a queue this worker consumes, so that it runs even where no
    worker listens on the default queue."""
    from npqel.tasks import outbox_drain_task

    if sender.app.conf.task_always_eager:
        return  # a worker configured to run tasks in-process (the test suite's settings) has no broker to fill
    queues = [queue.name for queue in sender.task_consumer.queues]
    outbox_drain_task.apply_async(queue=queues[0] if queues else None)
