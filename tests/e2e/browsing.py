"""Moving through the site so that no page escapes the accessibility check.

Journeys navigate with `visit(page, path)` and `submit(page, button)`, which wait for the new page and
check it with axe-core. The e2e fixtures watch every page they create: each document a page loads is
logged, and a test that loads a document it never checked (a bare `page.goto`, a click that lands on
a new page) fails at teardown, naming it. A stylesheet, script, image or font that fails to load, a
JavaScript error, or anything of the site's own that its Content-Security-Policy refuses (inline code, say)
fails the next check. What the policy refuses from another site is the policy working, and is only noted
(`refused_on`).
"""

import dataclasses
import weakref
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, Request, Response, expect

from tests.e2e.axe import AXE_JS, axe_violations, axe_violations_without_javascript, describe

ASSET_TYPES = {"stylesheet", "script", "image", "font"}

# Every document (and frame) reports what its Content-Security-Policy refused to this binding.
REPORT_REFUSALS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__npqelRefused(
    event.blockedURI,
    `${event.effectiveDirective} refused ${event.blockedURI || "inline code"} on ${event.documentURI}` +
    (event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber})` : "") +
    (event.sample ? `: ${event.sample}` : "")
  );
});
"""


@dataclasses.dataclass
class Document:
    url: str
    checked: bool = False


@dataclasses.dataclass
class PageRecord:
    javascript: bool = True
    documents: list[Document] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(
        default_factory=list
    )  # broken assets, JS errors and refusals of the site's own code since last check
    # Everything the page's policies refused (Chromium's console lines about them too), for the page's life.
    refused: list[str] = dataclasses.field(default_factory=list)


_records: "weakref.WeakKeyDictionary[Page, PageRecord]" = weakref.WeakKeyDictionary()


class PageLog:
    """Every page created in the watched contexts, and each document it has loaded."""

    def __init__(self, origin: str) -> None:
        self.origin = urlsplit(origin).netloc
        self.pages: list[Page] = []

    def watch(self, context: BrowserContext, *, javascript: bool = True) -> None:
        context.add_init_script(path=AXE_JS)
        context.add_init_script(script=REPORT_REFUSALS)
        context.expose_binding("__npqelRefused", self._note_refusal)
        context.on("page", lambda page: self._watch_page(page, javascript))

    def _watch_page(self, page: Page, javascript: bool) -> None:
        record = PageRecord(javascript=javascript)
        _records[page] = record
        self.pages.append(page)
        # DOMContentLoaded fires once per new document, not for #fragment or history changes.
        page.on("domcontentloaded", lambda p: record.documents.append(Document(url=p.url)))
        page.on("response", lambda response: self._note_response(record, response))
        page.on("requestfailed", lambda request: self._note_failed_request(record, request))
        page.on("pageerror", lambda error: record.problems.append(f"JavaScript error: {error}"))
        page.on("console", lambda message: self._note_console(record, message))

    def _other_site(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and parts.netloc != self.origin

    def _note_response(self, record: PageRecord, response: Response) -> None:
        if self._other_site(response.url):
            # Everything comes from the service itself (npm packages are built into build/static): no CDN.
            record.problems.append(f"{response.url} was fetched from another site")
        elif response.request.resource_type in ASSET_TYPES and response.status >= 400:
            record.problems.append(f"{response.url} answered {response.status}")

    def _note_failed_request(self, record: PageRecord, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":
            return  # leaving a page cancels what it was still fetching (a favicon, say): nothing is broken
        if self._other_site(request.url):
            if request.failure != "csp":  # the page's Content-Security-Policy stopped it: as it should
                record.problems.append(f"{request.url} was requested from another site ({request.failure})")
        else:
            record.problems.append(f"{request.url} did not load: {request.failure}")

    def _note_refusal(self, source: dict, blocked: str, text: str) -> None:
        record = _records.get(source["page"])
        if record is None:
            return
        record.refused.append(text)
        if not self._other_site(blocked):
            record.problems.append(f"Content-Security-Policy: {text}")

    def _note_console(self, record: PageRecord, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Permissions-Policy" in message.text:
            record.refused.append(f"console: {message.text}")

    def unchecked(self) -> list[str]:
        return [doc.url for page in self.pages for doc in _records[page].documents if not doc.checked]

    def unreported(self) -> list[str]:
        """Problems noted on any page after its last check (a late htmx swap, say): each once."""
        return [problem for page in self.pages for problem in _records[page].problems]


def check(page: Page) -> None:
    """Wait for the current document to load, then fail on any WCAG 2.2 AA violation or broken asset."""
    record = _records.get(page)
    if record is None:
        raise AssertionError("This page was not made by the e2e fixtures (`page`, `new_context`).")
    page.wait_for_load_state("load")
    if record.javascript:
        violations = axe_violations(page)
    else:
        violations = axe_violations_without_javascript(page, page.context.browser)
    problems, record.problems[:] = list(record.problems), []
    if record.documents:
        record.documents[-1].checked = True
    failures = [f"Problems loading {page.url}:\n" + "\n".join(problems)] if problems else []
    if violations:
        failures.append(describe(page.url, violations))
    if failures:
        raise AssertionError("\n\n".join(failures))


def visit(page: Page, path: str) -> Response | None:
    """Open `path` (relative to the live server) and check the page it lands on."""
    response = page.goto(path)
    check(page)
    return response


def submit(page: Page, control: Locator) -> None:
    """Click a button or link that loads a new page (after any redirects), then check that page."""
    with page.expect_navigation(wait_until="load"):
        control.click()
    check(page)


def swap(page: Page, control: Locator, *, then_shows: str) -> None:
    """Click a control that htmx answers in place (no new page): wait until the page shows `then_shows`,
    check that the document was not reloaded, then check the page."""
    page.evaluate("window.__npqelSamePage = true")
    control.click()
    expect(page.locator("#main-content")).to_contain_text(then_shows)
    assert page.evaluate("window.__npqelSamePage === true"), (
        "the page was reloaded instead of updated in place"
    )
    check(page)


def refused_on(page: Page) -> list[str]:
    """What the page's Content-Security-Policy (and Permissions-Policy) refused so far, from any site: a list
    that fills up as the page goes on."""
    return _records[page].refused


def path_of(page: Page) -> str:
    """The current URL's path, for asserting where a journey landed."""
    return urlsplit(page.url).path
