"""Background work on participants: checking and importing spreadsheets (participants/imports.py) and keeping
engagement current (participants/services/engagement.py)."""

from celery import shared_task

from participants import imports, privacy
from participants.services import digest, engagement


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


@shared_task(acks_late=True)
def engagement_recompute_cohort_task(cohort_id: int) -> bool:
    """Recompute a queued cohort's engagement; safe to run twice (a second run finds nothing queued)."""
    return engagement.engagement_recompute_queued(cohort_id=cohort_id)


@shared_task(acks_late=True)
def engagement_recompute_all_task() -> int:
    """Nightly: recompute every place's engagement (time passing changes what is due and still possible)."""
    return engagement.engagement_recompute()


@shared_task(acks_late=True)
def engagement_sweep_task() -> list[int]:
    """Queue again cohorts whose recompute job was lost (Redis down, a worker killed)."""
    return engagement.engagement_sweep()


@shared_task(acks_late=True)
def at_risk_digest_task() -> int:
    """Weekly: email provider admins and coaches the places at risk; safe to run twice (sent once a week)."""
    return digest.digest_send_weekly()


@shared_task(acks_late=True)
def erase_expired_task() -> int:
    """Nightly: erase the personal data of people whose provider's retention period has run out since their last
    place ended (participants/privacy.py); safe to run twice (an erased person is never picked again)."""
    return privacy.erase_expired()
