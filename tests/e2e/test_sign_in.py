"""Signing in, in a real browser, for roles with and without a second factor."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from npqel.access import Role
from tests.accounts.factories import PASSWORD, UserFactory, give_totp
from tests.e2e.browsing import check, path_of, submit
from tests.e2e.steps import enter_code, sign_in, totp_now
from tests.people import person
from tests.programmes.factories import CohortFactory, StaffMembershipFactory

pytestmark = pytest.mark.e2e


def test_provider_admin_signs_in_with_password_then_authenticator_code(page: Page, provider):
    CohortFactory(programme__provider=provider)
    admin = UserFactory(full_name="Priya Admin")
    StaffMembershipFactory(user=admin, provider=provider, role=Role.PROVIDER_ADMIN.value)
    secret = give_totp(admin)

    sign_in(page, admin.email, PASSWORD)
    assert path_of(page) == "/accounts/2fa/authenticate/"  # the password alone is not enough
    enter_code(page, secret)

    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Priya Admin")
    expect(page.get_by_role("banner")).to_contain_text("Priya Admin (Provider admin)")
    expect(page.get_by_role("heading", name="Where you work")).to_be_visible()
    expect(page.get_by_role("link", name="Outstanding Leaders Partnership")).to_be_visible()
    expect(page.get_by_text("1 cohort", exact=True)).to_be_visible()
    # The service's stylesheets reached the browser: GOV.UK's typeface, and ours in the header (not serif).
    for selector in ("h1", ".npqel-header"):
        font = page.locator(selector).first.evaluate("el => getComputedStyle(el).fontFamily")
        assert font.startswith("system-ui"), (selector, font)


@pytest.mark.browser_context_args(viewport={"width": 375, "height": 812})  # a phone
def test_participant_signs_in_with_a_password_and_sees_their_programme(page: Page, provider):
    participant = person(Role.PARTICIPANT, provider)

    sign_in(page, participant.email, PASSWORD)

    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {participant.display_name}")
    # Their one place: the programme as a heading, then where they stand (status, provider, cohort …).
    place = page.get_by_role("region", name=provider.programmes.get().name)
    expect(place).to_contain_text("Status")
    expect(place).to_contain_text(provider.name)
    expect(place.get_by_role("heading", name="Your deadline")).to_be_visible()
    # On a narrow screen the menu folds behind a button; a participant has no provider pages in it.
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    check(page)  # the open menu
    navigation = page.get_by_role("navigation", name="Menu")
    expect(navigation.get_by_role("link")).to_have_text(["Home", "Calendar", "Your account"])
    submit(page, navigation.get_by_role("link", name="Your account"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_role("definition").filter(has_text="Participant")).to_be_visible()


def test_assessor_without_an_authenticator_must_set_one_up_before_anything_else(page: Page, provider):
    assessor = StaffMembershipFactory(provider=provider, role=Role.ASSESSOR.value).user

    sign_in(page, assessor.email, PASSWORD)
    assert path_of(page) == "/accounts/2fa/totp/activate/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")

    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret  # base32, to type into an authenticator app
    page.get_by_label("Authenticator code").fill(totp_now(secret))
    submit(page, page.get_by_role("button", name="Activate"))

    assert Authenticator.objects.filter(user=assessor, type=Authenticator.Type.TOTP).exists()
    # Next, allauth shows the recovery codes it has just made, to keep somewhere safe.
    assert path_of(page) == "/accounts/2fa/recovery-codes/"
    # With the authenticator set up, home opens instead of sending them back to set-up.
    submit(page, page.get_by_role("navigation", name="Menu").get_by_role("link", name="Home"))
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {assessor.display_name}")


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_signing_in_and_moving_around_works_without_javascript(page: Page, provider):
    facilitator = person(Role.FACILITATOR, provider)

    sign_in(page, facilitator.email, PASSWORD)

    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {facilitator.display_name}")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()  # no script to fold the menu away
    submit(page, page.get_by_role("navigation", name="Menu").get_by_role("link", name="Providers"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Providers")
    submit(page, page.get_by_role("button", name="Sign out"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
