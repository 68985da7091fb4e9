"""The Celery application. Schedules live in npqel/schedules.py; tasks are discovered in each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npqel.settings.local")

app = Celery("npqel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _load_schedules(sender: Celery, **kwargs: object) -> None:
    from npqel.schedules import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE
