"""Background work on final assessment: emailing receipts and results, reminding assessors of marking due."""

from celery import shared_task
from django.db import transaction

from assessment import allocation, results, services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def receipt_email_task(receipt_id: int) -> bool:
    """Email a submission's receipt to the participant; safe to run twice (a receipt is emailed once)."""
    return services.receipt_mark_emailed(receipt_id=receipt_id)


@shared_task(acks_late=True)
def receipts_email_unsent_task() -> int:
    """Queue the receipt emails that were never sent (e.g. Redis was down when the participant submitted)."""
    with transaction.atomic():
        return services.receipts_email_unsent()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def result_email_task(result_id: int) -> bool:
    """Tell a participant their result is released; safe to run twice (emailed once)."""
    return results.result_mark_emailed(result_id=result_id)


@shared_task(acks_late=True)
def results_email_unsent_task() -> int:
    """Queue the result emails that were never sent."""
    with transaction.atomic():
        return results.results_email_unsent()


@shared_task(acks_late=True)
def resubmissions_lapse_task() -> int:
    """Fail the places whose date to resubmit has passed without a new submission."""
    return results.resubmissions_lapse()


@shared_task(acks_late=True)
def marking_reminders_task() -> int:
    """Remind assessors of marking due soon or overdue; each reminder goes once."""
    return allocation.allocations_remind()
