import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, User
from npqel.access import Role, access_for
from npqel.errors import DomainError
from programmes.models import StaffMembership
from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def link_in_last_email() -> str:
    match = re.search(r"http://\S+/invitations/(\S+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_provider_admin_invites_a_facilitator_who_sets_a_password_and_is_signed_in(
    signed_in, make_person, provider, client
):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    response = signed_in(admin).post(
        reverse("provider_invite", args=[provider.slug]),
        {"email": "New.Facilitator@School.example", "full_name": "Nia Jones", "role": "facilitator"},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.facilitator@school.example"]
    assert "Facilitator at Outstanding Leaders Partnership" in mail.outbox[0].body
    token = link_in_last_email()

    client.logout()
    page = client.get(reverse("invitation_accept", args=[token]))
    assert "Facilitator" in page.content.decode()
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {
            "full_name": "Nia Jones",
            "password": "a-strong-passphrase-7",
            "password_again": "a-strong-passphrase-7",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(email="new.facilitator@school.example")
    assert StaffMembership.objects.filter(user=user, provider=provider, role="facilitator").exists()
    assert client.get(reverse("home")).status_code == 200  # signed in

    # The link works once.
    client.logout()
    again = client.get(reverse("invitation_accept", args=[token]))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_invitation_email_is_sent_only_after_commit_and_only_once(make_person, provider):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    invitation = services.invitation_create(
        invited_by=admin, email="coach@x.example", role="coach", provider=provider
    )
    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.email_sent_at is not None
    assert services.invitation_send_email(invitation_id=invitation.pk) is False  # a re-run sends nothing
    assert len(mail.outbox) == 1


def test_weak_or_mismatched_password_is_refused_with_a_message(make_person, provider, client):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    services.invitation_create(invited_by=admin, email="a@x.example", role="coach", provider=provider)
    token = link_in_last_email()
    page = client.post(
        reverse("invitation_accept", args=[token]),
        {"full_name": "A", "password": "12345678901", "password_again": "12345678901"},
    ).content.decode()
    assert "There is a problem" in page and "entirely numeric" in page
    page = client.post(
        reverse("invitation_accept", args=[token]),
        {"full_name": "A", "password": "a-strong-passphrase-7", "password_again": "different-passphrase-7"},
    ).content.decode()
    assert "Type the same password twice" in page
    assert not User.objects.filter(email="a@x.example").exists()


def test_expired_tampered_and_withdrawn_links_explain_what_to_do(make_person, provider, client):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    invitation = services.invitation_create(
        invited_by=admin, email="b@x.example", role="coach", provider=provider
    )
    token = link_in_last_email()

    assert "not valid" in client.get(reverse("invitation_accept", args=[token[:-3] + "xyz"])).content.decode()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        assert "expired" in client.get(reverse("invitation_accept", args=[token])).content.decode()
    services.invitation_revoke(by=admin, invitation=invitation)
    assert "withdrawn" in client.get(reverse("invitation_accept", args=[token])).content.decode()


def test_existing_user_must_sign_in_as_the_invited_address_to_add_the_role(make_person, provider, client):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    facilitator = make_person(Role.FACILITATOR, provider)
    services.invitation_create(invited_by=admin, email=facilitator.email, role="coach", provider=provider)
    token = link_in_last_email()
    with pytest.raises(DomainError, match="Sign in as"):
        services.invitation_accept(token=token, password="whatever-password-1")
    client.force_login(facilitator)
    assert client.post(reverse("invitation_accept", args=[token])).status_code == 302
    assert Role.COACH in access_for(User.objects.get(pk=facilitator.pk)).roles


def test_only_admins_of_that_provider_or_platform_staff_can_invite(make_person, provider, other_provider):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    facilitator = make_person(Role.FACILITATOR, provider)
    staff = make_person(Role.PLATFORM_STAFF)
    with pytest.raises(DomainError, match="provider whose people you manage"):
        services.invitation_create(
            invited_by=admin, email="c@x.example", role="coach", provider=other_provider
        )
    with pytest.raises(DomainError, match="provider whose people you manage"):
        services.invitation_create(
            invited_by=facilitator, email="c@x.example", role="coach", provider=provider
        )
    with pytest.raises(DomainError, match="Only platform staff"):
        services.invitation_create(invited_by=admin, email="m@x.example", role="moderator", provider=None)
    moderator_invite = services.invitation_create(
        invited_by=staff, email="m@x.example", role="moderator", provider=None
    )
    assert moderator_invite.provider is None
    services.invitation_create(
        invited_by=staff, email="d@x.example", role="provider_admin", provider=other_provider
    )


def test_a_second_invitation_to_the_same_role_is_refused_until_the_first_is_withdrawn(make_person, provider):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    first = services.invitation_create(invited_by=admin, email="e@x.example", role="coach", provider=provider)
    with pytest.raises(DomainError, match="already has an invitation"):
        services.invitation_create(invited_by=admin, email="E@X.example", role="coach", provider=provider)
    services.invitation_revoke(by=admin, invitation=first)
    services.invitation_create(invited_by=admin, email="e@x.example", role="coach", provider=provider)
    assert Invitation.objects.filter(email="e@x.example").count() == 2


def test_invite_form_shows_errors_next_to_the_field(signed_in, make_person, provider):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    member = make_person(Role.COACH, provider)
    page = (
        signed_in(admin)
        .post(reverse("provider_invite", args=[provider.slug]), {"email": member.email, "role": "coach"})
        .content.decode()
    )
    assert "There is a problem" in page and "already has this role" in page
    page = (
        signed_in(admin)
        .post(reverse("provider_invite", args=[provider.slug]), {"email": "not-an-email"})
        .content.decode()
    )
    assert "Enter a valid email address" in page


def test_provider_people_page_lists_staff_and_invitations_and_withdraws(signed_in, make_person, provider):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    invitation = services.invitation_create(
        invited_by=admin, email="f@x.example", role="assessor", provider=provider
    )
    client = signed_in(admin)
    page = client.get(reverse("provider_people", args=[provider.slug])).content.decode()
    assert admin.email in page and "f@x.example" in page and "Pending" in page
    client.post(reverse("invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


def test_password_of_new_account_works_for_sign_in(make_person, provider, client):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    services.invitation_create(invited_by=admin, email="g@x.example", role="facilitator", provider=provider)
    services.invitation_accept(token=link_in_last_email(), password=PASSWORD, full_name="G")
    response = client.post(reverse("account_login"), {"login": "g@x.example", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
