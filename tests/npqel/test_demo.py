import re
import time
from io import StringIO

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from npqel.access import Role, access_for
from participants.models import Enrolment
from programmes.models import Cohort, Provider, StaffMembership

# The demo is loaded once for the module (demo_for_module, tests/conftest.py); each test's writes roll back.
pytestmark = pytest.mark.django_db


def fresh_totp_period() -> time_machine.travel:
    """Half a second into the next 30-second authenticator period (the clock running on), so that a code made
    now is still the current one when it is posted, however long the test took to get here."""
    return time_machine.travel((int(time.time()) // 30 + 1) * 30 + 0.5, tick=True)


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_has_the_five_providers_and_is_idempotent(demo_for_module):
    counts = (
        Provider.objects.count(),
        Cohort.objects.count(),
        User.objects.count(),
        Enrolment.objects.count(),
    )
    load_demo()
    assert (
        Provider.objects.count(),
        Cohort.objects.count(),
        User.objects.count(),
        Enrolment.objects.count(),
    ) == counts
    assert set(Provider.objects.values_list("slug", flat=True)) == {
        "olp",
        "alliance",
        "one-cumbria",
        "llse",
        "ascl",
    }
    assert Provider.objects.get(slug="olp").managed_by == "Best Practice Network"


def test_demo_has_a_user_for_every_role_at_two_providers(demo_for_module):
    for slug in ("olp", "llse"):
        roles = set(StaffMembership.objects.filter(provider__slug=slug).values_list("role", flat=True))
        assert roles == {"provider_admin", "facilitator", "coach", "assessor"}
        assert Enrolment.objects.filter(provider__slug=slug).exists()
    assert User.objects.filter(is_moderator=True).exists()
    assert User.objects.filter(is_platform_staff=True).exists()


def test_printed_instructions_sign_in_every_demo_user(client, demo_for_module):
    output = demo_for_module  # what `manage.py load_demo` printed (tests/conftest.py)
    password = re.search(r"Password for every demo account: (\S+)", output).group(1)
    secrets = dict(re.findall(r"^\s+(\S+@\S+\.example)\s+([A-Z2-7]{32})$", output, flags=re.M))
    emails = re.findall(r"^\s+[A-Z][a-z]+(?: [a-z]+)?\s+(\S+@\S+\.example)\s+\(", output, flags=re.M)
    assert len(emails) == 12
    for email in emails:
        client.logout()
        response = client.post(reverse("account_login"), {"login": email, "password": password})
        assert response.status_code == 302, email
        needs_code = access_for(User.objects.get(email=email)).needs_mfa
        assert (email in secrets) == needs_code, email
        if needs_code:
            assert response["Location"] == reverse("mfa_authenticate"), email
            with fresh_totp_period():
                code = format_hotp_value(hotp_value(secrets[email], int(time.time()) // 30))
                response = client.post(reverse("mfa_authenticate"), {"code": code})
            assert response.status_code == 302, email
        assert client.get(reverse("home")).status_code == 200, email


def test_demo_code_command_prints_the_current_code(client, demo_for_module):
    client.post(reverse("account_login"), {"login": "platform@npqel.example", "password": "npqel-demo-2026"})
    with fresh_totp_period():
        out = StringIO()
        call_command("demo_code", "platform@npqel.example", stdout=out)
        code = out.getvalue().strip()
        assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert Role.PLATFORM_STAFF in access_for(User.objects.get(email="platform@npqel.example")).roles
