"""Every read of participants and enrolments, scoped by npqel/access.py."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from npqel.access import Action, access_for, provider_q
from participants.models import Enrolment


def enrolment_list(*, user: object) -> QuerySet[Enrolment]:
    """Enrolments at providers the user administers, plus the user's own."""
    scope = provider_q(user, Action.VIEW_ENROLMENTS)
    if access_for(user).enrolled_provider_ids:
        # Only for someone enrolled: an OR across the join would stop PostgreSQL using the provider index.
        scope |= Q(participant__user=user)
    return (
        Enrolment.objects.filter(scope)
        .select_related("participant__user", "cohort__programme", "provider")
        # By id: the primary key index serves a page of a national-size list without sorting every row.
        .order_by("pk")
    )


def enrolment_get(*, user: object, pk: int) -> Enrolment:
    return get_object_or_404(enrolment_list(user=user), pk=pk)


def own_enrolments(*, user: object) -> QuerySet[Enrolment]:
    """The signed-in participant's own enrolments, for their home page."""
    return enrolment_list(user=user).filter(participant__user=user).order_by("cohort__start_date", "pk")
