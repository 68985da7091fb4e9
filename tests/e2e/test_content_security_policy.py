"""The Content-Security-Policy in a real browser: key pages load with nothing refused (no inline script or style the
policy would block, nothing from another site), and the htmx parts still work under it: the marking page saves a
draft as the assessor types and shows a Word script as HTML and a PDF in a frame; the recomputation page follows
its progress without reloading."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessment import services
from assessment.marking import mark_scheme_create_default
from assessment.models import AssessorProfile, Marking, Submission
from metrics.models import RecomputeRun
from npqel.access import Role
from participants.models import Enrolment
from programmes.models import StaffMembership
from tests.accounts.factories import PASSWORD, give_totp
from tests.assessment.docfiles import pdf_with_words
from tests.assessment.factories import case_study_place, docx_bytes, make_eligible
from tests.assessment.marking_setup import allocate
from tests.e2e.browsing import check, path_of, refused_on, submit, visit
from tests.e2e.metrics_world import metrics_world
from tests.e2e.steps import enter_code, sign_in
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import StaffMembershipFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def watched(new_context) -> tuple[Page, list[str]]:
    """A page, and what its policies refuse from now on (tests/e2e/browsing.py watches every page)."""
    page = new_context().new_page()
    return page, refused_on(page)


def test_sign_in_and_a_participants_home_load_with_nothing_refused(watched, provider):
    page, refused = watched
    participant = person(Role.PARTICIPANT, provider)

    response = visit(page, "/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe-inline" not in policy
    sign_in(page, participant.email, PASSWORD)
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {participant.display_name}")
    # GOV.UK Frontend's script ran (it marks the body): scripts from our own static files are allowed.
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))

    assert refused == []


def test_the_metrics_charts_and_the_recomputation_progress_work_with_nothing_refused(watched, provider):
    page, refused = watched
    world = metrics_world(provider)

    sign_in(page, world.admin.email, PASSWORD)
    enter_code(page, world.secret)
    visit(page, f"/providers/{provider.slug}/metrics/")
    expect(page.get_by_role("heading", level=2, name="Trends")).to_be_visible()
    charts = page.locator("svg.npqel-chart__svg[role=img]")
    expect(charts).to_have_count(7)
    # Sized by our stylesheet (.npqel-chart__svg), not by inline styles: drawn, and no wider than the page.
    box = charts.first.bounding_box()
    assert box and 0 < box["width"] <= page.viewport_size["width"]

    # A recomputation a worker is part-way through: htmx polls its progress into the page, no reload.
    run = RecomputeRun.objects.create(
        provider=provider, requested_by=world.admin, requested_at=timezone.now(), total=4
    )
    visit(page, f"/metrics/recomputes/{run.pk}/")
    progress = page.locator("#progress")
    expect(progress).to_contain_text("Recomputing: 0 of 4 done.")
    page.evaluate("window.__npqelSamePage = true")
    RecomputeRun.objects.filter(pk=run.pk).update(done=2)
    expect(progress).to_contain_text("Recomputing: 2 of 4 done.", timeout=10_000)
    RecomputeRun.objects.filter(pk=run.pk).update(done=4, changed=1, finished_at=timezone.now())
    expect(progress.get_by_role("heading", name="Recomputed")).to_be_visible(timeout=10_000)
    assert page.evaluate("window.__npqelSamePage === true"), "the page was reloaded instead of updated"
    check(page)

    assert refused == []


def _submitted_scripts(provider, files: list[tuple[bytes, str]]) -> list[Submission]:
    """A script for each (file, name), each a different participant's, submitted in a window that opened three
    days ago (so today is inside it)."""
    enrolment, task, window = case_study_place(
        provider=provider, opens_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    mark_scheme_create_default(by=None, task=task)
    scripts = []
    for main, main_name in files:
        user = enrolment.participant.user
        version = services.version_upload(
            by=user, enrolment=enrolment, task=task, main=io.BytesIO(main), main_name=main_name
        )
        services.submission_submit(by=user, version=version, declaration=True)
        scripts.append(Submission.objects.get(pk=version.submission_id))
        enrolment = EnrolmentFactory(cohort=window.cohort, status=Enrolment.Status.ACTIVE)
        make_eligible(enrolment)
    return scripts


def test_the_marking_page_shows_word_and_pdf_and_saves_drafts_with_nothing_refused(watched, provider):
    page, refused = watched
    assessor = StaffMembershipFactory(
        provider=provider, role=StaffMembership.Role.ASSESSOR, user__full_name="Ann Adams"
    ).user
    AssessorProfile.objects.create(user=assessor, capacity=20)
    secret = give_totp(assessor)
    word_script, pdf_script = _submitted_scripts(
        provider, [(docx_bytes(1200), "response.docx"), (pdf_with_words(1200), "response.pdf")]
    )
    word, pdf = allocate(word_script, assessor), allocate(pdf_script, assessor)

    sign_in(page, assessor.email, PASSWORD)
    enter_code(page, secret)

    # A PDF script is shown in a frame of our own page: its response may be framed by us (frame-ancestors 'self').
    with page.expect_response(re.compile(r"/marking/files/\d+/$")) as framed:
        visit(page, f"/marking/{pdf.pk}/")
    expect(page.locator("iframe.npqel-script__pdf")).to_have_count(1)
    assert framed.value.ok and framed.value.headers["content-type"] == "application/pdf"
    assert "frame-ancestors 'self'" in framed.value.headers["content-security-policy"]

    # A Word script is shown as HTML in the page.
    visit(page, f"/marking/{word.pk}/")
    expect(page.locator(".npqel-script__docx")).to_contain_text("My case-study response")

    # Typing a mark and leaving the field saves a draft through htmx, the form's own CSRF token with it.
    with page.expect_response(lambda response: response.url.endswith("/autosave/")) as saved:
        field = page.get_by_role("group", name=re.compile(r"^1\. ")).get_by_label("Mark", exact=True)
        field.fill("7")
        field.blur()
    assert saved.value.ok
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"Draft saved at \d\d:\d\d:\d\d\."))
    check(page)
    assert Marking.objects.get(allocation=word).marks == {
        str(word.submission.task.mark_scheme.criteria.first().pk): 7
    }

    assert refused == []


def test_the_api_documentation_is_drawn_under_its_own_policy(watched):
    """Anyone can open the API documentation from every page's footer; it is drawn, checked with axe, and
    nothing is fetched from another site but the one image its policy refuses."""
    page, refused = watched

    visit(page, "/accounts/login/")
    submit(page, page.get_by_role("contentinfo").get_by_role("link", name="API documentation"))
    assert path_of(page) == "/api/docs/"
    # Redoc draws the page from the schema after it loads (slowly on a busy machine), then it is checked again.
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "NPQEL Programme Manager API", timeout=60_000
    )
    expect(page.get_by_role("heading", name="Response samples").first).to_be_visible()
    check(page)

    # The one thing refused is Redoc's logo from Redocly's site: img-src keeps the page to our own server.
    assert refused and all("img-src" in text and "https://cdn.redoc.ly/" in text for text in refused), refused
