"""A facilitator takes a session's register in the browser: everyone present in one press, then the
exceptions, saved in one action — in place, without loading a new page (htmx)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from npqel.access import Role
from participants.models import Attendance
from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.browsing import submit, swap, visit
from tests.e2e.steps import sign_in
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory, SessionFactory, StaffMembershipFactory

pytestmark = pytest.mark.e2e


def test_facilitator_marks_everyone_present_then_the_exception(page: Page, provider):
    # A session that started an hour ago, whatever today is.
    start = timezone.localdate() - datetime.timedelta(days=30)
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider),
        code="ee-now",
        start_date=start,
        end_date=start + datetime.timedelta(days=540),
    )
    starts_at = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    session = SessionFactory(
        cohort=cohort,
        title="Day 2: Leading across schools",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=3),
    )
    for name in ("Asha Patel", "Ben Jones", "Carys Evans"):
        EnrolmentFactory(cohort=cohort, participant__user__full_name=name)
    facilitator = UserFactory(full_name="Fran Facilitator")
    StaffMembershipFactory(user=facilitator, provider=provider, role=Role.FACILITATOR.value)
    sign_in(page, facilitator.email, PASSWORD)

    visit(page, f"/sessions/{session.pk}/")
    submit(page, page.get_by_role("link", name="Register: 0 of 3 marked"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Register: Day 2: Leading across schools")
    swap(
        page,
        page.get_by_role("button", name="Mark everyone not yet marked as present"),
        then_shows="marked present",
    )
    assert Attendance.objects.filter(status="present").count() == 3
    page.get_by_role("group", name="Attendance of Ben Jones").get_by_label("Absent").check()
    swap(page, page.get_by_role("button", name="Save the register"), then_shows="Register saved: 1 change.")
    expect(page.get_by_role("alert")).to_contain_text("Register saved: 1 change.")
    ben = Attendance.objects.get(enrolment__participant__user__full_name="Ben Jones")
    assert ben.status == "absent" and ben.updated_by == facilitator
    expect(page.get_by_role("row", name="Ben Jones")).to_contain_text("changed by Fran Facilitator")
