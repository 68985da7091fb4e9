"""The harness itself: it must catch an inaccessible page, a broken asset and a page left unchecked."""

import pytest
from playwright.sync_api import Page

from tests.e2e.browsing import PageLog, check, visit

pytestmark = pytest.mark.e2e


def test_an_accessibility_violation_fails_the_check_and_names_the_element(page: Page):
    visit(page, "/accounts/login/")
    page.locator("main").evaluate(
        """main => main.insertAdjacentHTML("beforeend",
             '<img id="no-alt" src="/static/images/favicon.svg"><input id="no-label" type="text">')"""
    )
    with pytest.raises(AssertionError) as failure:
        check(page)
    message = str(failure.value)
    assert "/accounts/login/" in message
    assert "image-alt [critical]: Images must have alternative text" in message
    assert "at #no-alt" in message and "at #no-label" in message

    page.locator("#no-alt, #no-label").evaluate_all("els => els.forEach(el => el.remove())")
    check(page)


def test_a_stylesheet_that_does_not_load_fails_the_check(page: Page):
    page.route("**/static/css/npqel.css", lambda route: route.fulfill(status=404))
    page.goto("/accounts/login/")
    with pytest.raises(AssertionError, match=r"static/css/npqel.css answered 404"):
        check(page)

    page.unroute("**/static/css/npqel.css")
    visit(page, "/accounts/login/")


def test_a_page_visited_without_a_check_is_reported(page: Page, _page_log: PageLog):
    page.goto("/accounts/login/")
    # The skip link: a jump within the same document, nothing new to check.
    page.get_by_role("link", name="Skip to main content").press("Enter")
    assert page.url.endswith("/accounts/login/#main-content")
    assert [url.split("/", 3)[3] for url in _page_log.unchecked()] == ["accounts/login/"]

    check(page)
    assert _page_log.unchecked() == []


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_with_javascript_off_pages_are_still_checked_as_they_stand(page: Page):
    visit(page, "/accounts/login/")
    # The page's own scripts did not run (the menu button they reveal stays hidden)...
    assert not page.locator("body.govuk-frontend-supported").count()
    # ...and axe still sees what is there.
    page.locator("main").evaluate(
        """main => main.insertAdjacentHTML("beforeend", '<img id="no-alt" src="/static/images/favicon.svg">')"""
    )
    with pytest.raises(AssertionError, match=r"image-alt \[critical\][\s\S]*at #no-alt"):
        check(page)
