"""A provider admin brings a cohort in from a spreadsheet with one bad row, fixes it, imports it, sends
the invitations and defers one participant from the roster; an imported participant sets their password
and sees where they stand on their home page."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from npqel.access import Role
from participants.models import Enrolment
from tests.accounts.factories import PASSWORD, UserFactory, give_totp
from tests.e2e.browsing import path_of, submit, visit
from tests.e2e.steps import enter_code, sign_in
from tests.programmes.factories import CohortFactory, ProgrammeFactory, StaffMembershipFactory

pytestmark = pytest.mark.e2e

HEADER = "external_id,email,first_name,last_name,school_urn,school_name,cohort_code,funding_route\n"


def spreadsheet(second_email: str) -> bytes:
    return (
        HEADER
        + "E-101,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-now,funded_place\n"
        + f"E-102,{second_email},Ben,Jones,140001,Hillside Academy,ee-now,school\n"
    ).encode()


def choose_file(page: Page, content: bytes) -> None:
    page.get_by_label("Spreadsheet (CSV or Excel .xlsx)").set_input_files(
        {"name": "cohort.csv", "mimeType": "text/csv", "buffer": content}
    )


def test_admin_fixes_a_bad_row_imports_and_the_participant_sees_their_home(page: Page, new_context, provider):
    # Dates relative to today, so the journey holds on any day: a cohort that started two months ago.
    start = timezone.localdate() - datetime.timedelta(days=60)
    programme = ProgrammeFactory(provider=provider, name="NPQ for Executive Leadership", code="npqel")
    CohortFactory(
        programme=programme, code="ee-now", start_date=start, end_date=start + datetime.timedelta(days=540)
    )
    admin = UserFactory(full_name="Priya Admin")
    StaffMembershipFactory(user=admin, provider=provider, role=Role.PROVIDER_ADMIN.value)
    secret = give_totp(admin)
    sign_in(page, admin.email, PASSWORD)
    enter_code(page, secret)

    submit(page, page.get_by_role("link", name=provider.name))
    submit(page, page.get_by_role("link", name="Import participants from a spreadsheet"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import participants from a spreadsheet")

    # The first file has a mistake on row 3: nothing is imported, and the row, column and fix are shown.
    choose_file(page, spreadsheet("ben.jones-at-example.org"))
    submit(page, page.get_by_role("button", name="Check the file"))
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 1 mistake to fix")
    mistakes = page.get_by_role("table", name="Mistakes")
    expect(mistakes.get_by_role("row").nth(1)).to_contain_text(
        re.compile(r"3\s*email\s*“ben.jones-at-example.org” is not an email address")
    )
    assert Enrolment.objects.count() == 0

    # The corrected file, uploaded from the same page: a preview, still nothing saved.
    choose_file(page, spreadsheet("ben.jones@example.org"))
    submit(page, page.get_by_role("button", name="Check the file"))
    expect(page.get_by_role("main")).to_contain_text("Nothing has been saved yet")
    expect(page.get_by_role("main")).to_contain_text("2 new places")
    assert Enrolment.objects.count() == 0
    submit(page, page.get_by_role("button", name="Import 2 rows"))
    imported = page.get_by_role("region", name="Imported")
    expect(imported).to_contain_text("cohort.csv imported on")
    expect(imported).to_contain_text("2 new places")
    assert Enrolment.objects.filter(provider=provider, status=Enrolment.Status.ACTIVE).count() == 2

    submit(page, page.get_by_role("button", name="Send invitations to this file's participants"))
    expect(page.get_by_role("alert")).to_contain_text("2 invitations sent")
    # The cohort's roster shows both; Ben's record lets the admin defer him, with DfE's reason.
    visit(page, "/")
    submit(page, page.get_by_role("link", name=provider.name))
    submit(page, page.get_by_role("link", name="ee-now"))
    submit(page, page.get_by_role("link", name="See the participants on this cohort"))
    roster = page.get_by_role("table").first
    expect(roster).to_contain_text("Amira Khan")
    expect(roster).to_contain_text("Ben Jones")
    submit(page, roster.get_by_role("link", name="Ben Jones"))
    submit(page, page.get_by_role("link", name="Defer their place"))
    page.get_by_role("radio", name="Parental leave").check()
    submit(page, page.get_by_role("button", name="Defer their place"))
    expect(page.get_by_role("alert")).to_contain_text("Ben Jones's place is deferred from")
    assert Enrolment.objects.get(external_id="E-102").status == Enrolment.Status.DEFERRED

    amira_mail = next(m for m in mail.outbox if m.to == ["amira.khan@example.org"])
    link = re.search(r"http://\S+/invitations/\S+/", amira_mail.body).group(0)

    # Amira opens her invitation, sets a password and lands on her home page.
    participant = new_context().new_page()
    visit(participant, link)
    expect(participant.get_by_label("Your full name")).to_have_value("Amira Khan")
    participant.get_by_label("Choose a password").fill("a-brand-new-passphrase-7")
    participant.get_by_label("Type the password again").fill("a-brand-new-passphrase-7")
    submit(participant, participant.get_by_role("button", name="Set password and continue"))
    assert path_of(participant) == "/"
    expect(participant.get_by_role("heading", level=1)).to_have_text("Welcome, Amira Khan")
    main = participant.get_by_role("main")
    expect(main).to_contain_text("NPQ for Executive Leadership")
    expect(main.get_by_role("heading", name="Your deadline")).to_be_visible()
    expect(main).to_contain_text("DfE funded place")
