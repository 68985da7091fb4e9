from celery import shared_task

from accounts import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def invitation_send_email_task(invitation_id: int) -> bool:
    """Send an invitation's email; safe to run twice (the second run finds it sent)."""
    return services.invitation_send_email(invitation_id=invitation_id)


@shared_task
def invitations_expire() -> int:
    """Report how many invitations expired unused."""
    return services.invitations_expire()
