"""A provider admin opens a new cohort by copying last year's timetable, then finds it in their calendar feed."""

import datetime
import re
import urllib.request
import zoneinfo

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from npqel.access import Role
from programmes.timetable import local_datetime
from tests.accounts.factories import PASSWORD, UserFactory, give_totp
from tests.e2e.browsing import path_of, submit
from tests.e2e.steps import enter_code, sign_in
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    ProgrammeFactory,
    SessionFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.e2e


def test_admin_copies_a_timetable_into_a_new_cohort_and_sees_it_in_the_calendar_feed(page: Page, provider):
    programme = ProgrammeFactory(
        provider=provider, name="NPQEL (Outstanding Leaders Partnership)", duration_months=18
    )
    last_year = CohortFactory(
        programme=programme,
        code="2020-october",
        start_date=datetime.date(2020, 10, 6),
        end_date=datetime.date(2022, 1, 31),
    )
    webinars = ComponentFactory(programme=programme, title="Introductory webinars")
    part1 = SessionFactory(
        cohort=last_year,
        component=webinars,
        title="Introductory Webinar Part 1",
        starts_at=local_datetime(datetime.date(2020, 10, 6), datetime.time(13, 30)),
        ends_at=local_datetime(datetime.date(2020, 10, 6), datetime.time(15, 0)),
    )
    SessionFactory(
        cohort=last_year,
        component=webinars,
        title="Introductory Webinar Part 1 (REPEAT)",
        starts_at=local_datetime(datetime.date(2020, 10, 7), datetime.time(10, 0)),
        ends_at=local_datetime(datetime.date(2020, 10, 7), datetime.time(11, 30)),
        repeat_of=part1,
    )
    admin = UserFactory(full_name="Priya Admin")
    StaffMembershipFactory(user=admin, provider=provider, role=Role.PROVIDER_ADMIN.value)
    secret = give_totp(admin)
    sign_in(page, admin.email, PASSWORD)
    enter_code(page, secret)

    # Home → the provider → the programme, whose page shows its components and cohorts.
    submit(page, page.get_by_role("link", name=provider.name))
    submit(page, page.get_by_role("link", name=programme.name))
    expect(page.get_by_role("heading", level=1)).to_contain_text(programme.name)
    submit(page, page.get_by_role("link", name="Open a cohort"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a cohort")

    # The new cohort starts on a Tuesday a few weeks from now, so its sessions are in the feed's window.
    today = timezone.localdate()
    start = today + datetime.timedelta(days=28 + (1 - today.weekday()) % 7)
    # A mistake first: the code has a space in it.
    page.get_by_label("Cohort code").fill("next october")
    page.get_by_role("radio", name="Autumn").check()
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Timetable").select_option(label="2020-october (starts 6 October 2020, 2 sessions)")
    submit(page, page.get_by_role("button", name="Open the cohort"))
    expect(page.get_by_role("alert")).to_contain_text("Use only letters, numbers and hyphens in the code")

    page.get_by_label("Cohort code").fill("next-october")
    submit(page, page.get_by_role("button", name="Open the cohort"))
    expect(page.get_by_role("alert")).to_contain_text(
        "Cohort next-october opened. 2 sessions copied from 2020-october."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort next-october")

    # The copied sessions keep their weekdays and UK times.
    submit(page, page.get_by_role("link", name="see every session"))
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"{start:%A %-d %B %Y}")
    expect(main).to_contain_text("13:30 to 15:00: Introductory Webinar Part 1")
    expect(main).to_contain_text(f"{start + datetime.timedelta(days=1):%A %-d %B %Y}")
    expect(main).to_contain_text("10:00 to 11:30: Introductory Webinar Part 1 (REPEAT)")

    # The calendar page gives a private address; a calendar app fetches it without signing in.
    submit(page, page.get_by_role("link", name="Calendar", exact=True))
    address = page.get_by_label("Copy this address into your calendar app").input_value()
    assert re.fullmatch(r"http://[^/]+/calendar/[\w-]+\.ics", address)
    with urllib.request.urlopen(address) as feed:  # noqa: S310 - the live test server's own http address
        assert feed.headers["Content-Type"].startswith("text/calendar")
        body = feed.read()
    events = {
        str(event["SUMMARY"]): event.decoded("DTSTART")
        for event in icalendar.Calendar.from_ical(body).walk("VEVENT")
    }
    copied = [summary for summary in events if "next-october" in summary]
    assert len(copied) == 2
    part1_2026 = next(events[s] for s in copied if "REPEAT" not in s)
    # 13:30 on the London clock, whether that date falls in British Summer Time or not.
    assert part1_2026 == local_datetime(start, datetime.time(13, 30)).astimezone(datetime.UTC)
    assert part1_2026.astimezone(zoneinfo.ZoneInfo("Europe/London")).time() == datetime.time(13, 30)
    assert path_of(page) == "/calendar/"
