"""axe-core in the browser: the WCAG 2.2 AA checks every page in a journey must pass."""

from pathlib import Path

from playwright.sync_api import Browser, Page, Route

# Installed by `npm ci` from package-lock.json (a devDependency), never fetched at test time.
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA. (axe tags 2.2's only level-A criterion as wcag22aa too.)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_RUN_AXE = """async (tags) => {
  if (typeof window.axe === "undefined") return null;
  const results = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary || ""})),
  }));
}"""


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page's current document; the page's context must have AXE_JS as an init script."""
    violations = page.evaluate(_RUN_AXE, WCAG_TAGS)
    if violations is None:
        raise AssertionError(
            f"axe-core is not loaded in {page.url}: create pages through the e2e fixtures "
            "(`page`, `new_context`), which add it to every document."
        )
    return violations


# The document as it stands, without its scripts: what a browser with JavaScript switched off shows.
_HTML_WITHOUT_SCRIPTS = """() => {
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll("script").forEach((script) => script.remove());
  return "<!DOCTYPE html>" + copy.outerHTML;
}"""


def axe_violations_without_javascript(page: Page, browser: Browser) -> list[dict]:
    """axe-core for a page in a context with JavaScript switched off.

    There, axe cannot run (its promises never settle), so the page's HTML, scripts removed, is served again
    at the same URL to a page that may run axe only: stylesheets and images load as they did for the page.
    """
    html = page.evaluate(_HTML_WITHOUT_SCRIPTS)  # a plain expression still evaluates with scripts off
    url = page.url
    context = browser.new_context()
    try:
        context.add_init_script(path=AXE_JS)
        checker = context.new_page()

        def serve(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        checker.route(lambda address: address == url, serve)
        checker.goto(url, wait_until="load")
        return axe_violations(checker)
    finally:
        context.close()


def describe(url: str, violations: list[dict]) -> str:
    """A failure message a person can act on: rule, impact, what to fix and which elements."""
    lines = [f"{len(violations)} accessibility violation(s) (WCAG 2.2 AA) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}]: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " >> ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            for summary_line in node["summary"].splitlines():
                lines.append(f"       {summary_line}")
    return "\n".join(lines)
