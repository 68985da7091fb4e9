import io
import sys

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from npqel.access import access_for

pytestmark = pytest.mark.django_db


def run(email: str, password: str, *extra: str) -> str:
    out = io.StringIO()
    stdin = io.StringIO(password + "\n")
    real_stdin, sys.stdin = sys.stdin, stdin
    try:
        call_command("create_platform_staff", email, "--password-stdin", *extra, stdout=out)
    finally:
        sys.stdin = real_stdin
    return out.getvalue()


def test_creates_the_first_platform_staff_who_must_then_set_up_mfa():
    output = run("Head.Office@Example.org", "a-long-strong-passphrase-9", "--name", "Pat Lead")
    user = User.objects.get(email="head.office@example.org")
    assert user.full_name == "Pat Lead" and user.check_password("a-long-strong-passphrase-9")
    assert access_for(user).platform_staff
    assert "authenticator app" in output


def test_a_weak_password_is_refused_with_the_reason_and_nothing_is_created():
    with pytest.raises(CommandError, match="too short"):
        run("someone@example.org", "short")
    assert not User.objects.filter(email="someone@example.org").exists()


def test_an_existing_account_is_made_platform_staff_and_keeps_its_password():
    User.objects.create_user("known@example.org", "their-own-password-42")
    run("known@example.org", "ignored-password-value-1")
    user = User.objects.get(email="known@example.org")
    assert user.is_platform_staff and user.check_password("their-own-password-42")
