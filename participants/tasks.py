"""Background work on participants: checking and importing spreadsheets (participants/imports.py)."""

from celery import shared_task

from participants import imports


@shared_task(acks_late=True)
def import_check_task(batch_id: int) -> str:
    """Check a kept spreadsheet; safe to run twice. A crash is shown on the file's page."""
    try:
        return imports.import_check_stored(batch_id=batch_id).status
    except Exception:
        imports.import_failed(batch_id=batch_id)
        raise


@shared_task(acks_late=True)
def import_confirm_task(batch_id: int) -> str:
    """Import a checked spreadsheet, all or nothing; safe to run twice. A crash leaves it ready to retry."""
    try:
        return imports.import_confirm_stored(batch_id=batch_id).status
    except Exception:
        imports.import_failed(batch_id=batch_id)
        raise
