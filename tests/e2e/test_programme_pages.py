"""Every programme and timetable page, on the demo data, in a real browser: each is checked with axe as it
loads (tests/e2e/browsing.py), including the forms' error states."""

import pytest
from playwright.sync_api import Page, expect

from npqel.demo import DEMO_PASSWORD, demo_load, demo_totp_secret
from programmes.models import Cohort, Component, DeliveryGroup, Programme, Session
from tests.e2e.browsing import submit, visit
from tests.e2e.steps import enter_code, sign_in

pytestmark = pytest.mark.e2e


def test_an_admin_walks_through_every_programme_and_timetable_page(page: Page):
    demo_load()
    programme = Programme.objects.get(provider__slug="olp")
    course = Component.objects.filter(programme=programme, kind="online_course").first()
    cohort = Cohort.objects.get(programme=programme, code="2026-autumn")
    session = Session.objects.filter(cohort=cohort, group__isnull=False).first()
    group = DeliveryGroup.objects.filter(cohort=cohort).first()
    sign_in(page, "provider-admin@olp.example", DEMO_PASSWORD)
    enter_code(page, demo_totp_secret("provider-admin@olp.example"))

    visit(page, f"/programmes/{programme.pk}/")
    expect(page.get_by_role("main")).to_contain_text("132")
    submit(page, page.get_by_role("link", name="Change the programme's name, length and rules"))
    visit(page, f"/programmes/{programme.pk}/rules/")
    expect(page.get_by_role("main")).to_contain_text(
        "24 months for participants starting on or after 1 July 2018"
    )
    visit(page, f"/programmes/{programme.pk}/content/")
    expect(page.get_by_role("heading", name="Content areas")).to_be_visible()
    visit(page, f"/components/{course.pk}/")
    expect(page.get_by_role("main")).to_contain_text("Optional")
    visit(page, f"/components/{course.pk}/edit/")
    visit(page, f"/programmes/{programme.pk}/components/new/")

    visit(page, f"/cohorts/{cohort.pk}/")
    visit(page, f"/cohorts/{cohort.pk}/edit/")
    visit(page, f"/cohorts/{cohort.pk}/timetable/")
    visit(page, f"/sessions/{session.pk}/")
    expect(page.get_by_role("link", name="Add this session to your calendar (.ics file)")).to_be_visible()
    visit(page, f"/sessions/{session.pk}/edit/")
    visit(page, f"/groups/{group.pk}/edit/")
    visit(page, f"/cohorts/{cohort.pk}/groups/new/")

    # A form's error state is checked too: a session that ends before it starts.
    visit(page, f"/cohorts/{cohort.pk}/sessions/new/")
    page.get_by_label("Component").select_option(label="Executive-led webinars")
    page.get_by_label("Date").fill("2026-12-08")
    page.get_by_label("Starts at").fill("17:00")
    page.get_by_label("Ends at").fill("16:00")
    submit(page, page.get_by_role("button", name="Schedule"))
    expect(page.get_by_role("alert")).to_contain_text("The end time must be after the start time.")

    # An empty cohort offers to copy a timetable.
    empty = Cohort.objects.create(
        programme=programme,
        code="2027-spring",
        intake="spring",
        start_date=cohort.start_date.replace(year=2027, month=3),
        end_date=cohort.end_date.replace(year=2028, month=8),
    )
    visit(page, f"/cohorts/{empty.pk}/copy-timetable/")
    visit(page, "/calendar/")


def test_a_facilitator_sees_their_sessions_read_only(page: Page):
    demo_load()
    sign_in(page, "facilitator@olp.example", DEMO_PASSWORD)
    submit(page, page.get_by_role("link", name="My sessions"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My sessions")
    expect(page.get_by_role("main")).to_contain_text("Day 3: Strategy and Improvement (North)")
    submit(page, page.get_by_role("link", name="Day 3: Strategy and Improvement (North)").first)
    expect(page.get_by_role("button", name="Take this session off the timetable")).to_have_count(0)
