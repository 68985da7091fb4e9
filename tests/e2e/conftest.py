"""Browser journeys: pytest-playwright driving Debian's Chromium against pytest-django's live server.

Never `playwright install`: the browser is the system's /usr/bin/chromium (apt package `chromium`).
Every page is checked with axe-core; see tests/e2e/browsing.py.
"""

import os
import shutil

import pytest

from tests.e2e.axe import AXE_JS
from tests.e2e.browsing import PageLog

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    assert shutil.which(CHROMIUM), (
        f"{CHROMIUM} is missing: `apt-get install chromium` (never `playwright install`)"
    )
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run `npm ci`"
    # Headless unless --headed asked otherwise.
    return {"headless": True, **browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Relative URLs in page.goto() go to the live server (and using it makes the test transactional)."""
    return live_server.url


@pytest.fixture(autouse=True)
def _e2e_settings(settings, live_server, transactional_db) -> None:
    # Links in emails must point at the live server so a journey can follow them.
    settings.SITE_URL = live_server.url


@pytest.fixture
def _page_log(request: pytest.FixtureRequest, live_server):
    log = PageLog(live_server.url)
    yield log
    if request.node.stash.get(_CALL_FAILED, True):
        return  # the test's own failure says more than a list of pages it did not get to check
    unchecked = log.unchecked()
    assert not unchecked, (
        "These pages were visited but never checked with axe-core. Navigate with visit()/submit(), "
        "or call check(page) after an action that loads a new page:\n" + "\n".join(unchecked)
    )
    unreported = log.unreported()
    assert not unreported, "After the last check of their page:\n" + "\n".join(unreported)


@pytest.fixture
def new_context(new_context, _page_log: PageLog, request: pytest.FixtureRequest):
    """pytest-playwright's factory, with every page it makes watched and given axe-core."""
    marker = request.node.get_closest_marker("browser_context_args")
    marked = marker.kwargs if marker else {}

    def make(**kwargs):
        context = new_context(**kwargs)
        _page_log.watch(context, javascript={**marked, **kwargs}.get("java_script_enabled", True))
        return context

    return make
