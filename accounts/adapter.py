import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

from npqel.access import access_for


class AccountAdapter(DefaultAccountAdapter):
    # allauth's words for these two leave out what to do next.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": (
            "The email address or password is not right. Check both and try again, or reset your password if "
            "you have forgotten it."
        ),
        "too_many_login_attempts": (
            f"Too many tries to sign in. Wait {settings.NPQEL_SIGN_IN_PAUSE_MINUTES} minutes, then try again. If "
            "you have forgotten your password, you can reset it now."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # No public sign-up: people join by invitation from a provider admin or platform staff.
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs: object) -> bool:
        # Someone who signed in moments ago has just proved who they are: asking for the password
        # again before they set up their (required) authenticator app only gets in their way.
        if _signed_in_within_reauthentication_timeout(context.request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


def _signed_in_within_reauthentication_timeout(request: HttpRequest | None) -> bool:
    if request is None or not request.user.is_authenticated:
        return False
    records = get_authentication_records(request, request.user)
    if not records:
        return False
    return time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A role that requires a second factor may replace it but never go without one.
        if authenticator.type == Authenticator.Type.TOTP:
            return not (settings.NPQEL_MFA_REQUIRED_FOR_STAFF and access_for(authenticator.user).needs_mfa)
        return True
