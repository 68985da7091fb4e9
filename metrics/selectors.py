"""Reads of stored metrics outside one provider's own page: the public page of a provider that publishes its
tables, and platform staff's comparison of every provider. Both read snapshots only, never computing for a
request."""

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.http import Http404

from metrics.compute import recruitment_years
from metrics.models import MetricSnapshot
from npqel.access import require_platform_staff
from programmes.models import Provider


def published_provider_get(*, slug: str) -> Provider:
    """A provider that has chosen to publish its metrics (anyone may ask); 404 for any other, so a visitor
    cannot tell a private provider from one that does not exist."""
    provider = Provider.objects.filter(slug=slug, metrics_public=True).first()
    if provider is None:
        raise Http404("No provider publishes its metrics at this address.")
    return provider


def latest_published(*, provider: Provider, years: int) -> list[MetricSnapshot]:
    """The latest snapshot (all programmes) of each of the provider's latest `years` recruitment years that
    has one, oldest first: what the public page shows. A query per year, and one."""
    latest = [
        MetricSnapshot.objects.filter(provider=provider, programme__isnull=True, recruitment_year=year)
        .exclude(published={})
        .order_by("-computed_at", "-pk")
        .first()
        for year in sorted(recruitment_years(provider)[:years])
    ]
    return [snapshot for snapshot in latest if snapshot is not None]


@dataclass(frozen=True)
class ProviderYear:
    provider: Provider
    snapshot: MetricSnapshot | None  # None: no snapshot of that year yet


def snapshot_years(*, user: object) -> list[str]:
    """Every recruitment year any provider has a snapshot of, newest first (platform staff only)."""
    require_platform_staff(user)
    years = MetricSnapshot.objects.values_list("recruitment_year", flat=True).distinct()
    return sorted(set(years), reverse=True)


def providers_side_by_side(*, user: object, recruitment_year: str) -> list[ProviderYear]:
    """Every provider with its latest snapshot (all programmes) of the year, by name: two queries however many
    providers (platform staff only)."""
    require_platform_staff(user)
    latest = (
        MetricSnapshot.objects.filter(
            provider=OuterRef("pk"), programme__isnull=True, recruitment_year=recruitment_year
        )
        .exclude(published={})
        .order_by("-computed_at", "-pk")
        .values("pk")[:1]
    )
    providers = list(Provider.objects.annotate(snapshot_id=Subquery(latest)).order_by("name"))
    snapshots = MetricSnapshot.objects.in_bulk([p.snapshot_id for p in providers if p.snapshot_id])
    return [ProviderYear(p, snapshots.get(p.snapshot_id)) for p in providers]
