"""Guessing is slow: allauth refuses a sixth wrong password or authenticator code for one person within five
minutes (even if the sixth is right), without locking out colleagues on the same school network; password-reset
emails to one address are capped. Staff who lose their phone sign in with a recovery code, each code once."""

import datetime
import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core import mail
from django.urls import reverse

from npqel.access import Role
from tests.accounts.factories import PASSWORD, give_totp
from tests.people import person
from tests.programmes.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = (
    "The email address or password is not right. Check both and try again, or reset your password if you have "
    "forgotten it."
)
TOO_MANY = (
    "Too many tries to sign in. Wait 5 minutes, then try again. If you have forgotten your password, you can "
    "reset it now."
)
WRONG_CODE = "Incorrect code."


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_the_sixth_password_in_five_minutes_is_refused_even_when_right(client, provider):
    participant = person(Role.PARTICIPANT, provider)
    with time_machine.travel(
        datetime.datetime(2026, 5, 11, 23, 30, tzinfo=datetime.UTC), tick=False
    ) as clock:
        for attempt in range(1, 6):
            page = sign_in(client, participant.email, f"not-my-password-{attempt}")
            assert page.status_code == 200 and WRONG_PASSWORD in page.content.decode(), attempt

        sixth = sign_in(client, participant.email, PASSWORD)
        assert sixth.status_code == 200
        assert TOO_MANY in sixth.content.decode() and WRONG_PASSWORD not in sixth.content.decode()
        assert client.get(reverse("home")).status_code == 302  # not signed in

        # Typing the address differently does not start a fresh count.
        assert TOO_MANY in sign_in(client, participant.email.upper(), PASSWORD).content.decode()

        # Five minutes after the first wrong password, the right one works again.
        clock.shift(datetime.timedelta(minutes=5, seconds=1))
        assert sign_in(client, participant.email, PASSWORD)["Location"] == reverse("home")


def test_one_persons_wrong_passwords_do_not_lock_out_colleagues_on_the_same_network(client, provider):
    locked_out = person(Role.PARTICIPANT, provider)
    colleague = person(Role.FACILITATOR, provider)
    for attempt in range(6):
        sign_in(client, locked_out.email, f"guess-{attempt}")
    assert TOO_MANY in sign_in(client, locked_out.email, PASSWORD).content.decode()

    # Same IP address (the test client's), another person: signs in as usual.
    assert sign_in(client, colleague.email, PASSWORD)["Location"] == reverse("home")


def test_a_sixth_authenticator_code_is_refused_even_when_right(client, provider):
    admin = StaffMembershipFactory(provider=provider, role=Role.PROVIDER_ADMIN.value).user
    secret = give_totp(admin)
    assert sign_in(client, admin.email, PASSWORD)["Location"] == reverse("mfa_authenticate")
    for attempt in range(5):
        page = client.post(reverse("mfa_authenticate"), {"code": f"00000{attempt}"})
        assert WRONG_CODE in page.content.decode(), attempt

    sixth = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert sixth.status_code == 200 and TOO_MANY in sixth.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_emails_to_one_address_are_capped(client, provider):
    participant = person(Role.PARTICIPANT, provider)
    for _ in range(3):
        response = client.post(reverse("account_reset_password"), {"email": participant.email})
        assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 3

    fourth = client.post(reverse("account_reset_password"), {"email": participant.email})
    assert fourth.status_code == 429
    page = fourth.content.decode()
    assert "Too many tries" in page and "the link we sent still works" in page
    assert len(mail.outbox) == 3  # no fourth email


def test_rate_limits_cover_passwords_codes_and_resets():
    limits = settings.ACCOUNT_RATE_LIMITS
    assert limits["login_failed"] == "30/5m/ip,5/5m/key"  # a wrong authenticator code counts here too
    assert limits["reset_password"] == "20/m/ip,3/15m/key"
    assert limits["login"] and limits["reset_password_from_key"] and limits["reauthenticate"]


def _set_up_authenticator(client, user) -> None:
    """Sign in with the password and set up an authenticator app through allauth's page, as staff must."""
    sign_in(client, user.email, PASSWORD)
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    # Next, allauth shows the recovery codes it has just made.
    assert activated["Location"] == reverse("mfa_view_recovery_codes")


def test_setting_up_an_authenticator_shows_ten_recovery_codes_to_keep(client, provider):
    assert "recovery_codes" in settings.MFA_SUPPORTED_TYPES
    assessor = StaffMembershipFactory(provider=provider, role=Role.ASSESSOR.value).user
    _set_up_authenticator(client, assessor)

    shown = client.get(reverse("mfa_view_recovery_codes"))
    codes = shown.context["unused_codes"]
    assert len(codes) == 10  # allauth's default count
    page = shown.content.decode()
    missing = [code for code in codes if code not in page]
    assert not missing, "The recovery codes page does not show the codes"
    assert reverse("mfa_download_recovery_codes") in page  # or download them as a file


def test_staff_who_lost_their_phone_sign_in_with_a_recovery_code_once(client, provider):
    assessor = StaffMembershipFactory(provider=provider, role=Role.ASSESSOR.value).user
    _set_up_authenticator(client, assessor)
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    assert Authenticator.objects.filter(user=assessor, type=Authenticator.Type.RECOVERY_CODES).exists()
    client.post(reverse("account_logout"))

    # The password, then a recovery code instead of the app's code.
    assert sign_in(client, assessor.email, PASSWORD)["Location"] == reverse("mfa_authenticate")
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("account_logout"))

    # Each code works once; the next one still works.
    sign_in(client, assessor.email, PASSWORD)
    again = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == 200 and WRONG_CODE in again.content.decode()
    assert client.post(reverse("mfa_authenticate"), {"code": codes[1]}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
