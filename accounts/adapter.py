from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

from npqel.access import access_for


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # No public sign-up: people join by invitation from a provider admin or platform staff.
        return False


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A role that requires a second factor may replace it but never go without one.
        if authenticator.type == Authenticator.Type.TOTP:
            return not (settings.NPQEL_MFA_REQUIRED_FOR_STAFF and access_for(authenticator.user).needs_mfa)
        return True
