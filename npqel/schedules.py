"""Every periodic job, in one place. django-celery-beat stores them in the database on start of beat."""

from datetime import timedelta

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "expire-invitations-hourly": {
        "task": "accounts.tasks.invitations_expire",
        "schedule": timedelta(hours=1),
    },
}
