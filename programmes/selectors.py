"""Every read of providers, staff and cohorts, scoped by npqel/access.py."""

from django.db.models import OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from npqel.access import Action, provider_q, require_page
from npqel.queries import count_of
from participants.models import Enrolment
from programmes.models import Cohort, Provider, StaffMembership


def provider_list(*, user: object) -> QuerySet[Provider]:
    """Providers the user may open, with their head counts for the list page."""
    return (
        Provider.objects.filter(provider_q(user, Action.VIEW_PROVIDER, via="pk"))
        .annotate(
            cohort_count=count_of(
                Cohort.objects.filter(programme__provider=OuterRef("pk")), group_by="programme__provider"
            ),
            staff_count=count_of(
                StaffMembership.objects.filter(provider=OuterRef("pk")), group_by="provider", distinct="user"
            ),
        )
        .order_by("name")
    )


def provider_get(*, user: object, slug: str, action: Action = Action.VIEW_PROVIDER) -> Provider:
    """One provider the user may `action`; 403 if their role never may, 404 if it is not theirs."""
    require_page(user, action)
    return get_object_or_404(Provider.objects.filter(provider_q(user, action, via="pk")), slug=slug)


def cohort_list(*, user: object, provider: Provider | None = None) -> QuerySet[Cohort]:
    """Cohorts the user may see, optionally of one provider, with enrolment counts."""
    qs = Cohort.objects.filter(provider_q(user, Action.VIEW_COHORTS, via="programme__provider"))
    if provider is not None:
        qs = qs.filter(programme__provider=provider)
    still_enrolled = Enrolment.objects.filter(cohort=OuterRef("pk")).exclude(
        status=Enrolment.Status.WITHDRAWN
    )
    return qs.select_related("programme__provider").annotate(
        enrolment_count=count_of(still_enrolled, group_by="cohort")
    )


def membership_list(*, user: object, provider: Provider) -> QuerySet[StaffMembership]:
    """The staff of a provider, for those who manage its people."""
    return (
        StaffMembership.objects.filter(provider_q(user, Action.MANAGE_PEOPLE), provider=provider)
        .select_related("user")
        .order_by("user__email", "role")
    )
