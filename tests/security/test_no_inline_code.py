"""Every page works under a Content-Security-Policy without 'unsafe-inline': no page, for any role, holds inline
script or style, event-handler attributes or htmx's hx-on, and each carries the policy. The pages are the ones the
role × provider matrix (tests/isolation) walks, asked for as each role and signed out; the templates are read too,
for pages that only a particular state of the data shows."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, reverse

from npqel.csp import policy_header
from tests.isolation.test_matrix import (
    ALLAUTH_MODULE_PREFIX,
    LISTS,
    SCOPED,
    UNSCOPED,
    all_routes,
    build_world,
    in_safe_order,
)
from tests.people import ALL_ROLES
from tests.security.inline import inline_code, template_inline_code

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Templates never served as a page, with why their inline <style> is right there.
NOT_PAGES = {
    "metrics/metrics_pdf.html": "rendered into a PDF by WeasyPrint on the server",
    "assessment/certificates/certificate_pdf.html": "rendered into a PDF by WeasyPrint on the server",
    "assessment/certificates/transcript_pdf.html": "rendered into a PDF by WeasyPrint on the server",
    "participants/privacy/your_data.html": "a file in a data-export ZIP, opened offline: it cannot link a stylesheet",
}


def test_the_finder_catches_each_kind_of_inline_code_and_lets_files_and_data_be():
    page = """<html><head><link rel="stylesheet" href="/static/css/npqel.css">
<script src="/static/js/app.js"></script><script type="application/json">{"a": 1}</script>
<style>p {}</style><script>alert(1)</script></head>
<body><p style="color: red">x</p><svg><rect onload="x()"/></svg><button onclick="go()">Go</button>
<form hx-on:submit="x()"><a href=" JavaScript:alert(1)">link</a></form></body></html>"""
    found = inline_code(page)
    assert [problem.split(": ", 1)[1] for problem in found] == [
        "a <style> element",
        "an inline <script> (no src)",
        'a style="…" attribute on <p>',
        "an event handler onload= on <rect>",
        "an event handler onclick= on <button>",
        "htmx's hx-on:submit= on <form> (it runs with eval)",
        "a javascript: link in href= on <a>",
    ]
    assert template_inline_code('{# no <style> here #}<p class="{% if x %}a{% endif %}">{{ y }}</p>') == []


def test_no_template_has_inline_script_or_style():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name in NOT_PAGES:
            continue
        problems += [f"templates/{name}, {problem}" for problem in template_inline_code(path.read_text())]
    assert not problems, (
        "Move these into static/css/npqel.css or static/js/app.js (the Content-Security-Policy refuses them):\n"
        + "\n".join(problems)
    )


def test_the_templates_that_are_not_pages_exist():
    # If one is renamed, the exemption above must follow it rather than silently cover nothing.
    assert all((TEMPLATES / name).is_file() for name in NOT_PAGES)


def _no_argument_paths() -> list[tuple[str, str]]:
    """Pages without arguments: the matrix's unscoped ones and allauth's, as (name, path)."""
    paths = []
    for route in all_routes():
        if "<" in route.pattern or "(?P" in route.pattern or route.name in SCOPED:
            continue
        if route.name in UNSCOPED or route.name in LISTS or route.module.startswith(ALLAUTH_MODULE_PREFIX):
            paths.append((route.name, "/" + route.pattern.replace("^", "").replace("$", "")))
    return paths


def _check(method: str, url: str, response, problems: list[str]) -> None:
    """The response carries the policy; an HTML one has nothing the policy refuses."""
    label = f"{method.upper()} {url} ({response.status_code})"
    if "Content-Security-Policy" not in response:
        problems.append(f"{label}: no Content-Security-Policy header")
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return  # files, PDFs, CSV, JSON: no markup of ours runs in them
    try:
        view_name = response.resolver_match.view_name
    except Resolver404:  # a path no URL matches (the API's catch-all answers it)
        view_name = None
    policy = {**settings.SECURE_CSP, **settings.SECURE_CSP_BY_URL_NAME.get(view_name, {})}
    if response["Content-Security-Policy"] != policy_header(policy):
        problems.append(f"{label}: policy {response['Content-Security-Policy']!r}")
    problems += [f"{label}: {problem}" for problem in inline_code(response.content.decode())]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ALL_ROLES, None], ids=[*(r.value for r in ALL_ROLES), "signed-out"])
def test_every_page_a_role_reaches_has_no_inline_code(client: Client, role):
    world = build_world()
    if role is not None:
        client.force_login(world.users[role])
    problems: list[str] = []
    html_pages = 0
    for name, case in in_safe_order(SCOPED):
        for key in ("own", "other"):
            url = reverse(name, kwargs=case.kwargs(world.objects[key]))
            if case.content_type:
                response = getattr(client, case.method)(url, case.data, content_type=case.content_type)
            else:
                response = getattr(client, case.method)(url, case.data)
            _check(case.method, url, response, problems)
            html_pages += response.get("Content-Type", "").startswith("text/html")
    for _name, path in _no_argument_paths():
        response = client.get(path)
        _check("get", path, response, problems)
        html_pages += response.get("Content-Type", "").startswith("text/html")
    assert not problems, "\n".join(problems)
    assert html_pages >= 20  # the walk reached real pages, not only redirects to sign in
