"""Steps several journeys share, done the way a person would: through the pages."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect

from tests.e2e.browsing import submit, visit

TOTP_PERIOD = 30


def totp_now(secret: str) -> str:
    """The authenticator app's current code; waits out the last second of a period so it is not stale on arrival."""
    if TOTP_PERIOD - time.time() % TOTP_PERIOD < 1.5:
        time.sleep(1.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // TOTP_PERIOD))


def sign_in(page: Page, email: str, password: str) -> None:
    """Fill in the sign-in page and submit it; the caller asserts where it lands."""
    visit(page, "/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    submit(page, page.get_by_role("button", name="Sign in"))


def enter_code(page: Page, secret: str) -> None:
    """On the two-factor page after the password, type the authenticator's code."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    page.get_by_label("Code").fill(totp_now(secret))
    submit(page, page.get_by_role("button", name="Sign In"))
