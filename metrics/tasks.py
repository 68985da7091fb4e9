"""Background work on metrics: snapshots of every provider's figures, nightly and on demand."""

from celery import shared_task

from metrics import services
from programmes.models import Provider


@shared_task(acks_late=True)
def snapshots_take_task(provider_id: int | None = None) -> int:
    """Snapshot every recruitment year of one provider (or of every provider); returns how many figures changed.
    Safe to run twice, or again after a worker was killed half-way: an unchanged year writes nothing."""
    providers = Provider.objects.order_by("pk")
    if provider_id is not None:
        providers = providers.filter(pk=provider_id)
    return services.snapshots_take_all(providers=list(providers))


@shared_task(acks_late=True)
def recompute_run_task(run_id: int) -> int | None:
    """A recomputation someone asked for, with its progress saved as it goes."""
    run = services.recompute_run(run_id=run_id)
    return run.changed if run else None
