"""Every read of invitations and API tokens, scoped by npqel/access.py."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import ApiToken, Invitation, User
from npqel.access import Action, access_for, provider_q
from programmes.models import Provider


def invitation_list(*, user: object, provider: Provider | None = None) -> QuerySet[Invitation]:
    """Invitations the user manages: their providers' ones; platform staff also see cross-provider ones."""
    scope = provider_q(user, Action.MANAGE_PEOPLE)
    if not access_for(user).platform_staff:
        scope &= Q(provider__isnull=False)
    qs = Invitation.objects.filter(scope).select_related("provider", "invited_by")
    if provider is not None:
        qs = qs.filter(provider=provider)
    return qs


def invitation_get(*, user: object, pk: int) -> Invitation:
    return get_object_or_404(invitation_list(user=user), pk=pk)


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own API keys, newest first."""
    return ApiToken.objects.filter(user=user)
