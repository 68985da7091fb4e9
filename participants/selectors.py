"""Every read of participants and enrolments, scoped by npqel/access.py."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from npqel.access import Action, provider_q
from participants.models import Enrolment


def enrolment_list(*, user: object) -> QuerySet[Enrolment]:
    """Enrolments at providers the user administers, plus the user's own."""
    own = Q(participant__user=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    return (
        Enrolment.objects.filter(provider_q(user, Action.VIEW_ENROLMENTS) | own)
        .select_related("participant__user", "cohort__programme", "provider")
        .order_by("cohort__start_date", "pk")
    )


def enrolment_get(*, user: object, pk: int) -> Enrolment:
    return get_object_or_404(enrolment_list(user=user), pk=pk)


def own_enrolments(*, user: object) -> QuerySet[Enrolment]:
    """The signed-in participant's own enrolments, for their home page."""
    return enrolment_list(user=user).filter(participant__user=user)
