"""Every periodic job, in one place. django-celery-beat keeps them in the database when beat starts."""

from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Jobs the outbox still holds (Redis was down when they were queued): sent once Redis is back, oldest first.
    # A drain not started within the minute is dropped (the next one does its work): while workers are down
    # Redis would otherwise fill with drains.
    "drain-outbox": {
        "task": "npqel.tasks.outbox_drain_task",
        "schedule": timedelta(minutes=1),
        "options": {"expire_seconds": 50},  # django-celery-beat's name for `expires`
    },
    # Emails whose task never reached the broker (Redis down) or whose worker died are sent here.
    "send-unsent-invitation-emails": {
        "task": "accounts.tasks.invitations_send_unsent_task",
        "schedule": timedelta(minutes=5),
    },
    # Receipts whose email never went (the broker or the mail server was down): sent here, once each.
    "send-unsent-receipt-emails": {
        "task": "assessment.tasks.receipts_email_unsent_task",
        "schedule": timedelta(minutes=5),
    },
    # Result emails never sent (participants are told their result is out once each).
    "send-unsent-result-emails": {
        "task": "assessment.tasks.results_email_unsent_task",
        "schedule": timedelta(minutes=5),
    },
    # Assessors hear of marking due within MARKING_REMINDER_DAYS and of marking overdue, once each.
    "marking-reminders": {
        "task": "assessment.tasks.marking_reminders_task",
        "schedule": crontab(hour=7, minute=30),
    },
    # A fail with an attempt left, not resubmitted by its date: the place fails (after midnight, UK time).
    "lapse-resubmissions": {
        "task": "assessment.tasks.resubmissions_lapse_task",
        "schedule": crontab(hour=1, minute=30),
    },
    # Every provider's DfE metrics, each recruitment year (a snapshot only where a figure changed).
    "snapshot-metrics": {
        "task": "metrics.tasks.snapshots_take_task",
        "schedule": crontab(hour=3, minute=0),
    },
    # Every provider's DfE declarations (after the night's engagement recompute: retention milestones read it).
    "record-dfe-declarations": {
        "task": "metrics.tasks.declarations_record_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # Engagement changes with time too (sessions end, self-paced hours fall due): everything, every night.
    "recompute-all-engagement": {
        "task": "participants.tasks.engagement_recompute_all_task",
        "schedule": crontab(hour=2, minute=15),
    },
    # Data protection: people whose provider's retention period ran out since their last place ended are erased
    # (pseudonymised: the DfE figures stay the same), after the night's snapshots and declarations.
    "erase-expired-personal-data": {
        "task": "participants.tasks.erase_expired_task",
        "schedule": crontab(hour=4, minute=0),
    },
    # Cohorts whose recompute job never ran (Redis was down, a worker was killed).
    "requeue-lost-engagement-recomputes": {
        "task": "participants.tasks.engagement_sweep_task",
        "schedule": timedelta(minutes=5),
    },
    # Provider admins and coaches hear which places are at risk, once a week (from Monday morning): the job
    # runs daily so that a digest that could not be sent on Monday goes out the next day.
    "weekly-at-risk-digest": {
        "task": "participants.tasks.at_risk_digest_task",
        "schedule": crontab(hour=7, minute=0),
    },
}
