"""Background work of the platform itself: sending the jobs the outbox still holds (npqel/jobs.py)."""

from celery import shared_task

from npqel import jobs


@shared_task(acks_late=True)
def outbox_drain_task() -> int:
    """Send the jobs whose send failed or never happened (Redis was down), oldest first; returns how many. Safe
    to run twice, or in two workers at once: each job is claimed before it is sent."""
    return jobs.outbox_drain()
