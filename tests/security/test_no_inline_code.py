"""Every page works under a Content-Security-Policy without 'unsafe-inline': no page, for any role, holds inline
script or style, event-handler attributes or htmx's hx-on, and each carries the policy. The pages are the ones the
role × provider matrix (tests/isolation) walks: the matrix checks each answer it gets as every role, and this file
asks for them signed out. The templates are read too, for pages that only a particular state of the data shows."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.isolation.test_matrix import (
    ALLAUTH_MODULE_PREFIX,
    LISTS,
    SCOPED,
    UNSCOPED,
    all_routes,
    build_world,
    in_safe_order,
)
from tests.security.inline import inline_code, policy_problems, template_inline_code

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


@pytest.mark.django_db
def test_every_page_signed_out_has_no_inline_code(client: Client):
    """Signed out, every page of the matrix (most send you to sign in). Signed in, the matrix's own walk checks
    each answer it gets, for every role (tests/isolation/test_matrix.py)."""
    world = build_world()
    problems: list[str] = []
    html_pages = 0
    for name, case in in_safe_order(SCOPED):
        for key in ("own", "other"):
            url = reverse(name, kwargs=case.kwargs(world.objects[key]))
            if case.content_type:
                response = getattr(client, case.method)(url, case.data, content_type=case.content_type)
            else:
                response = getattr(client, case.method)(url, case.data)
            problems += policy_problems(case.method, url, response)
            html_pages += response.get("Content-Type", "").startswith("text/html")
    for _name, path in _no_argument_paths():
        response = client.get(path)
        problems += policy_problems("get", path, response)
        html_pages += response.get("Content-Type", "").startswith("text/html")
    assert not problems, "\n".join(problems)
    assert html_pages >= 20  # the walk reached real pages (sign-in, public ones), not only redirects
