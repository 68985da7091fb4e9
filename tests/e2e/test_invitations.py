"""Inviting someone and their accepting, across two browsers: the admin's and the invitee's."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from npqel.access import Role
from tests.accounts.factories import PASSWORD, UserFactory, give_totp
from tests.e2e.browsing import path_of, submit, visit
from tests.e2e.steps import enter_code, sign_in
from tests.programmes.factories import StaffMembershipFactory

pytestmark = pytest.mark.e2e


def test_provider_admin_invites_a_coach_who_sets_a_password_and_is_signed_in(
    page: Page, new_context, provider
):
    admin = UserFactory(full_name="Priya Admin")
    StaffMembershipFactory(user=admin, provider=provider, role=Role.PROVIDER_ADMIN.value)
    secret = give_totp(admin)
    sign_in(page, admin.email, PASSWORD)
    enter_code(page, secret)

    # Home → the provider → its staff page → the invitation form, by the links a person would follow.
    submit(page, page.get_by_role("link", name=provider.name))
    submit(page, page.get_by_role("link", name="Staff and invitations"))
    assert path_of(page) == f"/providers/{provider.slug}/people/"
    submit(page, page.get_by_role("button", name="Invite someone"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite someone")

    # A mistake first: the error summary and messages are checked like any other page.
    page.get_by_label("Email address").fill("not an email address")
    submit(page, page.get_by_role("button", name="Send invitation"))
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert not mail.outbox

    page.get_by_label("Email address").fill("Casey.Coach@school.example")
    page.get_by_label("Full name").fill("Casey Coach")
    page.get_by_role("radio", name=re.compile(r"^Coach")).check()
    submit(page, page.get_by_role("button", name="Send invitation"))
    assert path_of(page) == f"/providers/{provider.slug}/people/"
    expect(page.get_by_role("alert")).to_contain_text("Invitation sent to casey.coach@school.example")
    invitations = page.get_by_role("table", name="Invitations")
    expect(invitations.get_by_role("row", name=re.compile("casey.coach@school.example"))).to_contain_text(
        "Pending"
    )

    # The email, sent by the (eager) background job in the live server's thread, carries the link.
    assert [message.to for message in mail.outbox] == [["casey.coach@school.example"]]
    link = re.search(r"http://\S+/invitations/\S+/", mail.outbox[0].body).group(0)

    # The invitee opens it in their own browser, where nobody is signed in.
    invitee = new_context().new_page()
    visit(invitee, link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join the NPQEL Programme Manager")
    expect(invitee.get_by_role("main")).to_contain_text(f"invited as Coach at {provider.name}")
    expect(invitee.get_by_label("Your full name")).to_have_value("Casey Coach")
    invitee.get_by_label("Choose a password").fill("a-brand-new-passphrase-7")
    invitee.get_by_label("Type the password again").fill("a-brand-new-passphrase-7")
    submit(invitee, invitee.get_by_role("button", name="Set password and continue"))

    # Signed in, on their home page, in the role they were invited to; no second factor asked of a coach.
    assert path_of(invitee) == "/"
    expect(invitee.get_by_role("alert")).to_contain_text("Welcome. You now have the role Coach.")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Welcome, Casey Coach")
    expect(invitee.get_by_role("banner")).to_contain_text("Casey Coach (Coach)")
    expect(invitee.get_by_role("link", name=provider.name)).to_be_visible()
    assert User.objects.get(email="casey.coach@school.example").check_password("a-brand-new-passphrase-7")

    # The link worked once: opening it again says so.
    visit(invitee, link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("This invitation link does not work")

    # Back in the admin's browser, the coach is on the staff list and the invitation is accepted.
    visit(page, f"/providers/{provider.slug}/people/")
    expect(page.get_by_role("table", name="Staff")).to_contain_text("Casey Coach")
    expect(invitations.get_by_role("row", name=re.compile("casey.coach@school.example"))).to_contain_text(
        "Accepted"
    )
