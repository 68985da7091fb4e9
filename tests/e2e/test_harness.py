"""The harness itself: it must catch an inaccessible page, a broken asset, code of the site's own that the
Content-Security-Policy refuses, and a page left unchecked."""

import pytest
from playwright.sync_api import Page

from tests.e2e.browsing import PageLog, check, refused_on, visit

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


def refused_soon(page: Page, what: str) -> list[str]:
    """The page's refusals mentioning `what`, waiting up to five seconds for the browser to report one."""
    for _ in range(50):
        found = [text for text in refused_on(page) if what in text]
        if found:
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"Nothing refused mentions {what}: {refused_on(page)}")


def test_inline_code_the_policy_refuses_fails_the_check_and_another_sites_image_is_only_noted(page: Page):
    visit(page, "/accounts/login/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.appendChild(script);
        }"""
    )
    assert refused_soon(page, "script-src-elem refused inline on") and not page.evaluate(
        "window.inlineRan === true"
    )
    with pytest.raises(
        AssertionError, match=r"Content-Security-Policy: script-src-elem refused inline on http"
    ):
        check(page)

    page.evaluate(
        """() => {
            const image = document.createElement("img");
            image.alt = "";
            image.src = "https://example.com/logo.png";
            document.body.appendChild(image);
        }"""
    )
    assert refused_soon(page, "img-src refused https://example.com/logo.png")
    check(page)  # the policy keeping the page to our own server: not a problem of the page


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
