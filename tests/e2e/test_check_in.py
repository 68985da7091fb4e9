"""Self check-in in the browser: the facilitator shows the code on a running session, a participant types it
on their home page, sees their engagement change, and the register shows them present, marked by
themselves."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from npqel.access import Role
from participants.models import Attendance
from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.browsing import submit, visit
from tests.e2e.steps import sign_in
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory, SessionFactory, StaffMembershipFactory

pytestmark = pytest.mark.e2e


def test_a_participant_checks_in_with_the_code_the_facilitator_shows(page: Page, new_context, provider):
    # A session that started ten minutes ago, whatever today is.
    start = timezone.localdate() - datetime.timedelta(days=30)
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider),
        code="ee-check-in",
        start_date=start,
        end_date=start + datetime.timedelta(days=540),
    )
    starts_at = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=10)
    session = SessionFactory(
        cohort=cohort,
        title="Day 3: Leading system change",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=3),
    )
    asha = EnrolmentFactory(cohort=cohort, participant__user__full_name="Asha Patel")
    EnrolmentFactory(cohort=cohort, participant__user__full_name="Ben Jones")
    facilitator = UserFactory(full_name="Fran Facilitator")
    StaffMembershipFactory(user=facilitator, provider=provider, role=Role.FACILITATOR.value)

    # The facilitator opens check-in from the session's page and shows the code.
    sign_in(page, facilitator.email, PASSWORD)
    visit(page, f"/sessions/{session.pk}/")
    submit(page, page.get_by_role("link", name="Show a check-in code"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check-in: Day 3: Leading system change")
    submit(page, page.get_by_role("button", name="Open check-in and show the code"))
    shown = page.locator("#check-in-code").inner_text()
    assert len(shown.replace(" ", "")) == 6
    expect(page.get_by_role("img", name="QR code: scan it to check in with code")).to_be_visible()
    expect(page.locator("#checked-in")).to_have_text("0 of 2 people expected")

    # Asha, on her own phone, types it on her home page as she reads it (small letters, with the space).
    participant = new_context().new_page()
    sign_in(participant, asha.participant.user.email, PASSWORD)
    # The session is the programme's only one (6 hours): nothing attended yet.
    expect(participant.get_by_test_id("engagement-percent")).to_have_text("0% (0 of 6 hours)")
    expect(participant.get_by_role("heading", name="Check in to a session")).to_be_visible()
    participant.get_by_label("Code").fill(shown.lower())
    submit(participant, participant.get_by_role("button", name="Check in"))
    expect(participant.get_by_role("heading", level=1)).to_contain_text(
        "You are checked in to Day 3: Leading system change on"
    )
    expect(participant.get_by_role("main")).to_contain_text("You are marked present on the register.")
    # Back on her home page, the session counts toward her engagement at once.
    visit(participant, "/")
    expect(participant.get_by_test_id("engagement-percent")).to_have_text("100% (6 of 6 hours)")
    expect(participant.get_by_test_id("engagement-summary")).to_contain_text("You meet the engagement rule")

    # The facilitator's count goes up, and the register shows Asha present, marked by herself.
    visit(page, f"/sessions/{session.pk}/check-in/")
    expect(page.locator("#checked-in")).to_have_text("1 of 2 people expected")
    submit(page, page.get_by_role("link", name="open the register"))
    asha_row = page.get_by_role("row", name="Asha Patel")
    expect(asha_row.get_by_label("Present")).to_be_checked()
    expect(asha_row).to_contain_text("Marked by Asha Patel")
    expect(page.get_by_role("row", name="Ben Jones")).to_contain_text("Not marked yet")
    mark = Attendance.objects.get(session=session)
    assert (mark.enrolment, mark.status, mark.marked_by) == (asha, "present", asha.participant.user)

    # Closing check-in: the code stops working.
    visit(page, f"/sessions/{session.pk}/check-in/")
    submit(page, page.get_by_role("button", name="Close check-in"))
    expect(page.get_by_role("alert")).to_contain_text("Check-in closed: the code no longer works.")
