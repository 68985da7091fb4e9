"""Finding what a Content-Security-Policy without 'unsafe-inline' would refuse: inline `<script>` (one without
src), `<style>` elements, `style` attributes, event-handler attributes (`onclick=…`), htmx's `hx-on` (run with
eval) and `javascript:` links."""

import re
from html.parser import HTMLParser

from django.conf import settings
from django.urls import Resolver404

from npqel.csp import policy_header

# Attributes whose value the browser may follow as a link or a form's target.
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}
# <script> types that hold data and never run (the policy lets them be).
_DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class _InlineCode(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        where = self.getpos()[0]
        if tag == "style":
            self.problems.append(f"line {where}: a <style> element")
        if tag == "script" and not named.get("src") and named.get("type") not in _DATA_SCRIPT_TYPES:
            self.problems.append(f"line {where}: an inline <script> (no src)")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f'line {where}: a style="…" attribute on <{tag}>')
            elif name.startswith("on"):
                self.problems.append(f"line {where}: an event handler {name}= on <{tag}>")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"line {where}: htmx's {name}= on <{tag}> (it runs with eval)")
            elif name in _URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"line {where}: a javascript: link in {name}= on <{tag}>")

    handle_startendtag = handle_starttag


def inline_code(html: str) -> list[str]:
    """What in this HTML needs 'unsafe-inline' (or eval) to run or apply, one line each; [] when nothing."""
    finder = _InlineCode()
    finder.feed(html)
    finder.close()
    return finder.problems


_TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.DOTALL)
_TEMPLATE_TAG = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)


def template_inline_code(source: str) -> list[str]:
    """inline_code() for a Django template's source: comments dropped, each tag and variable read as a word."""
    without_comments = _TEMPLATE_COMMENT.sub(lambda m: "\n" * m[0].count("\n"), source)
    return inline_code(_TEMPLATE_TAG.sub(lambda m: "x" + "\n" * m[0].count("\n"), without_comments))


def policy_problems(method: str, url: str, response) -> list[str]:
    """What is wrong with one answer of the test client under the Content-Security-Policy: the header missing or
    not the page's policy, or inline code in an HTML page (files, PDFs, CSV and JSON run no markup of ours)."""
    label = f"{method.upper()} {url} ({response.status_code})"
    if "Content-Security-Policy" not in response:
        return [f"{label}: no Content-Security-Policy header"]
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return []
    try:
        view_name = response.resolver_match.view_name
    except Resolver404:  # a path no URL matches (the API's catch-all answers it)
        view_name = None
    policy = {**settings.SECURE_CSP, **settings.SECURE_CSP_BY_URL_NAME.get(view_name, {})}
    problems = []
    if response["Content-Security-Policy"] != policy_header(policy):
        problems.append(f"{label}: policy {response['Content-Security-Policy']!r}")
    return problems + [f"{label}: {problem}" for problem in inline_code(response.content.decode())]
