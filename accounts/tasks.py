from celery import shared_task
from django.db import transaction

from accounts import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def invitation_send_email_task(invitation_id: int) -> bool:
    """Send an invitation's email; safe to run twice (the second run finds it sent)."""
    return services.invitation_send_email(invitation_id=invitation_id)


@shared_task(acks_late=True)
def invitations_send_unsent_task() -> int:
    """Queue the emails of invitations that were never sent (e.g. Redis was down when they were made)."""
    with transaction.atomic():
        return services.invitations_send_unsent()
