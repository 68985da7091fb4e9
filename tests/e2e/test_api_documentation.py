"""The API documentation, linked from every page's footer."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browsing import check, path_of, submit, visit

pytestmark = pytest.mark.e2e


def test_anyone_can_open_the_api_documentation_from_the_footer(page: Page):
    visit(page, "/accounts/login/")
    submit(page, page.get_by_role("contentinfo").get_by_role("link", name="API documentation"))

    assert path_of(page) == "/api/docs/"
    # Redoc draws the page from the schema after it loads; check it again once drawn. Nothing may come
    # from another site (Redoc's own fonts and logo would): the check fails on any such request.
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "NPQEL Programme Manager API", timeout=15_000
    )
    expect(page.get_by_role("heading", name="Response samples").first).to_be_visible()
    check(page)
