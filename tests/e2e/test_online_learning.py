"""A provider admin records online learning: from the cohort's page to its online courses, ticks one course's
grid and saves it, imports a learning platform's export (first with a mistake, then fixed), and records a
360° diagnostic as done on a participant's record. Every page passes axe-core."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from npqel.access import Role
from participants.models import ComponentCompletion, TaskCompletion
from programmes.models import Component, Module, Task
from tests.accounts.factories import PASSWORD, UserFactory, give_totp
from tests.e2e.browsing import submit, visit
from tests.e2e.steps import enter_code, sign_in
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    ProgrammeFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.e2e


def choose_file(page: Page, content: bytes) -> None:
    page.get_by_label("Completion export (CSV)").set_input_files(
        {"name": "completions.csv", "mimeType": "text/csv", "buffer": content}
    )


def test_admin_ticks_a_course_imports_an_export_and_records_a_component(page: Page, provider):
    start = timezone.localdate() - datetime.timedelta(days=60)
    programme = ProgrammeFactory(provider=provider, name="NPQ for Executive Leadership", code="npqel")
    cohort = CohortFactory(
        programme=programme,
        code="ee-learning",
        start_date=start,
        end_date=start + datetime.timedelta(days=540),
    )
    course = ComponentFactory(
        programme=programme,
        title="Strategy and Improvement",
        kind=Component.Kind.ONLINE_COURSE,
        mode=Component.Mode.SELF_DIRECTED,
    )
    module = Module.objects.create(course=course, title="Module 1: Vision")
    read = Task.objects.create(module=module, title="Read the vision paper", reference="SI-1", position=0)
    Task.objects.create(module=module, title="Watch the interview", reference="SI-2", core=False, position=1)
    ComponentFactory(
        programme=programme,
        title="360° diagnostic",
        kind=Component.Kind.DIAGNOSTIC_360,
        mode=Component.Mode.SELF_DIRECTED,
    )
    asha = EnrolmentFactory(
        cohort=cohort, participant__user__full_name="Asha Patel", participant__user__email="asha@example.org"
    )
    EnrolmentFactory(
        cohort=cohort, participant__user__full_name="Ben Jones", participant__user__email="ben@example.org"
    )
    admin = UserFactory(full_name="Priya Admin")
    StaffMembershipFactory(user=admin, provider=provider, role=Role.PROVIDER_ADMIN.value)
    secret = give_totp(admin)
    sign_in(page, admin.email, PASSWORD)
    enter_code(page, secret)

    # From the cohort's page to its online courses, then one course to tick.
    visit(page, f"/cohorts/{cohort.pk}/")
    submit(page, page.get_by_role("link", name="Online learning"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Online learning")
    submit(page, page.get_by_role("link", name="Tick completions for Strategy and Improvement"))
    page.get_by_label("Asha Patel: Read the vision paper").check()
    page.get_by_label("Ben Jones: Watch the interview").check()
    submit(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("alert")).to_contain_text("Strategy and Improvement saved: 2 tasks marked done.")
    assert TaskCompletion.objects.count() == 2

    # An export with a mistake: nothing imported, the row and column shown; then the fixed file.
    visit(page, f"/cohorts/{cohort.pk}/online-learning/")
    submit(page, page.get_by_role("link", name="Import completions from your learning platform"))
    choose_file(page, b"Email,Task reference,Completed on\nben@example.org,SI-9,01/01/2024\n")
    submit(page, page.get_by_role("button", name="Import"))
    expect(page.get_by_role("alert")).to_contain_text("The file has 1 mistake")
    mistakes = page.get_by_role("table", name="Every mistake in the file, by row")
    expect(mistakes.get_by_role("row").nth(1)).to_contain_text(
        re.compile(r"2\s*task reference \(column B\)\s*No task of NPQ for Executive Leadership")
    )
    day = (start + datetime.timedelta(days=3)).isoformat()
    choose_file(page, f"Email,Task reference,Completed on\nben@example.org,SI-1,{day}\n".encode())
    submit(page, page.get_by_role("button", name="Import"))
    expect(page.get_by_role("alert")).to_contain_text("completions.csv imported: 1 completion recorded")
    assert TaskCompletion.objects.filter(task=read).count() == 2

    # On Asha's record, the 360° diagnostic recorded as done.
    visit(page, f"/enrolments/{asha.pk}/")
    page.get_by_label("Component").select_option(label="360° diagnostic (360° diagnostic)")
    page.get_by_label("Note (optional)").fill("Report on file")
    submit(page, page.get_by_role("button", name="Record as done"))
    expect(page.get_by_role("alert")).to_contain_text("360° diagnostic recorded as done by Asha Patel")
    assert ComponentCompletion.objects.filter(enrolment=asha).exists()
