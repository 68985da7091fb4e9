"""Background work on metrics: snapshots of every provider's figures, nightly and on demand, and the nightly
recording of every provider's DfE declarations."""

from celery import shared_task

from metrics import services
from programmes.models import Provider


@shared_task(acks_late=True)
def snapshots_take_task(provider_id: int | None = None) -> int:
    """Snapshot every recruitment year of one provider; returns how many figures changed. Without a provider
    (the nightly run), queue one job per provider, so that a large provider cannot use up another's time. Safe to
    run twice, or again after a worker was killed half-way: an unchanged year writes nothing."""
    if provider_id is None:
        from npqel.jobs import enqueue

        for pk in Provider.objects.order_by("pk").values_list("pk", flat=True):
            enqueue(snapshots_take_task, pk)
        return 0
    return services.snapshots_take_all(providers=list(Provider.objects.filter(pk=provider_id)))


@shared_task(acks_late=True)
def recompute_run_task(run_id: int) -> int | None:
    """A recomputation someone asked for, with its progress saved as it goes."""
    run = services.recompute_run(run_id=run_id)
    return run.changed if run else None


@shared_task(acks_late=True)
def declarations_record_task(provider_id: int | None = None) -> int:
    """Record one provider's new DfE declarations; returns how many. Without a provider (the nightly run), queue
    one job per provider. Safe to run twice, or in two workers at once: what is recorded is not recorded again."""
    from metrics.declarations import declarations_record

    if provider_id is None:
        from npqel.jobs import enqueue

        for pk in Provider.objects.order_by("pk").values_list("pk", flat=True):
            enqueue(declarations_record_task, pk)
        return 0
    provider = Provider.objects.filter(pk=provider_id).first()
    return declarations_record(provider=provider).recorded if provider else 0
