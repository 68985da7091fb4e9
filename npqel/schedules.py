"""Every periodic job, in one place. django-celery-beat keeps them in the database when beat starts."""

from datetime import timedelta

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Emails whose task never reached the broker (Redis down) or whose worker died are sent here.
    "send-unsent-invitation-emails": {
        "task": "accounts.tasks.invitations_send_unsent_task",
        "schedule": timedelta(minutes=5),
    },
}
