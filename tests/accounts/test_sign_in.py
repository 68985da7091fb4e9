import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from npqel.access import Role
from tests.accounts.factories import PASSWORD, UserFactory, give_totp
from tests.programmes.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db


def totp_now(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_sign_in_is_by_email_and_password_and_there_is_no_username(client, make_person, provider):
    user = make_person(Role.FACILITATOR, provider)
    page = client.get(reverse("account_login")).content.decode()
    assert "Email" in page and "Username" not in page
    assert reverse("account_signup") not in page and "ask the admin" in page
    response = client.post(reverse("account_login"), {"login": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_there_is_no_public_sign_up(client):
    page = client.get(reverse("account_signup"))
    assert "Sign-up is by invitation" in page.content.decode()
    client.post(
        reverse("account_signup"), {"email": "x@y.example", "password1": PASSWORD, "password2": PASSWORD}
    )
    from accounts.models import User

    assert not User.objects.filter(email="x@y.example").exists()


def test_provider_admin_with_authenticator_must_enter_a_code(client, provider):
    user = UserFactory()
    StaffMembershipFactory(user=user, provider=provider, role=Role.PROVIDER_ADMIN.value)
    secret = give_totp(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("home")).status_code == 302  # not signed in yet
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.ASSESSOR, Role.MODERATOR, Role.PLATFORM_STAFF])
def test_staff_without_a_second_factor_are_taken_to_set_one_up_first(client, provider, role):
    user = UserFactory(is_moderator=role == Role.MODERATOR, is_platform_staff=role == Role.PLATFORM_STAFF)
    if role in (Role.PROVIDER_ADMIN, Role.ASSESSOR):
        StaffMembershipFactory(user=user, provider=provider, role=role.value)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    for page in (reverse("home"), reverse("account"), reverse("provider_list")):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), page
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 403  # a session without MFA cannot use the API either


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COACH, Role.PARTICIPANT])
def test_other_roles_may_use_a_second_factor_but_are_not_forced(client, make_person, provider, role):
    user = make_person(role, provider)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


@override_settings(NPQEL_MFA_REQUIRED_FOR_STAFF=False)
def test_the_requirement_is_a_setting(client, provider):
    user = UserFactory()
    StaffMembershipFactory(user=user, provider=provider, role=Role.PROVIDER_ADMIN.value)
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200


def test_required_second_factor_cannot_be_removed(client, make_person, provider):
    user = make_person(Role.PROVIDER_ADMIN, provider)
    client.force_login(user)  # no recent sign-in: allauth asks for the password again first
    assert client.get(reverse("mfa_deactivate_totp"))["Location"].startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_deactivate_totp"))
    from allauth.mfa.models import Authenticator

    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert page.status_code in (200, 302, 403)


def test_repeated_wrong_passwords_are_rate_limited(client, make_person, provider):
    user = make_person(Role.FACILITATOR, provider)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 429 or "Too many tries to sign in" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, make_person, provider):
    user = make_person(Role.FACILITATOR, provider)
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    import re

    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": "a-new-passphrase-9", "password2": "a-new-passphrase-9"},
    )
    user.refresh_from_db()
    assert user.check_password("a-new-passphrase-9")
