"""Formula injection: every CSV the app hands out holds no cell a spreadsheet would run.

A cell starting with =, +, -, @, a tab or a carriage return is read as a formula by Excel, LibreOffice and
Google Sheets. Here people, schools, groups, cohorts and task references are given such names, every CSV is
downloaded (the downloads, the manifest inside the scripts ZIP, the commands that print CSV) and every cell is
checked: each planted value comes back with the leading ' that npqel/exports.py adds (read as text, never run).

Numbers that really are numbers are left alone, so a spreadsheet still sums them: a place 235 days past its
deadline shows -235, not '-235. Text that only looks like a number ("-2024-autumn", a cohort code) is text, and
gets the '. The rule, from npqel/exports.py: Python ints, floats and Decimals are written as they are; every
string starting with one of those characters is prefixed.
"""

import csv
import datetime
import io
import re
import zipfile
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from assessment import services as assessment_services
from metrics.declarations import declarations_export
from npqel.access import Role
from npqel.exports import FORMULA_STARTS
from participants import services as participant_services
from participants.models import Enrolment
from tests.assessment.factories import case_study_place, upload
from tests.isolation.urls import all_routes
from tests.metrics.declaration_places import NOW, START, D, S, place
from tests.metrics.test_pages import cohorts, programme  # noqa: F401  (fixtures: four years of metrics)
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    ProviderFactory,
    StaffMembershipFactory,
    timetable_for,
)

pytestmark = pytest.mark.django_db
UK = zoneinfo.ZoneInfo("Europe/London")

# One value for each character a formula can start with.
EQUALS = '=HYPERLINK("http://evil.example","Click")'
PLUS = "+SUM(1,2)"
MINUS = "-2+3+cmd|' /C calc'!A0"
AT = "@SUM(1+1)"
TAB = "\t=1+1"
RETURN = "\r=1+1"
COHORT_CODE = "-2024-autumn"  # a valid slug, and to a spreadsheet the sum -2024 minus "autumn"
NUMBER = re.compile(r"-?\d+(\.\d+)?")

# Every CSV download, and the ZIPs (with a CSV inside, or none).
CHECKED = {
    "cohort_roster_csv": "test_the_roster",
    "cohort_scripts_zip": "test_the_manifest_in_the_scripts_zip",
    "declarations_export_csv": "test_the_dfe_declarations_export_and_its_command",
    "provider_history_csv": "test_the_history_of_changes",
    "platform_history_csv": "test_the_history_of_changes",
    "lms_import_example": "test_the_example_completions_file",
    "import_example": "test_the_example_participants_file",
    "metrics_csv": "test_the_metrics_tables_and_their_command",
}
NO_CSV_INSIDE = {
    "my_data_export": "a subject access request ZIP: JSON and the person's own files, no CSV",
    "participant_data_export": "the same ZIP, downloaded by the provider's admin",
}


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def downloaded(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return rows_of(response.content.decode("utf-8"))


def assert_safe(rows: list[list[str]], *planted: str) -> None:
    """No cell a spreadsheet would run (a number is not one); and each planted value is there, neutralised."""
    cells = [cell for row in rows for cell in row]
    risky = [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)]
    assert not risky, risky
    for value in planted:
        assert "'" + value in cells, f"{value!r} is not in the file as text: {cells}"


def test_every_csv_download_is_checked_here():
    routes = {r.name: r.pattern for r in all_routes() if r.pattern.endswith((".csv", ".zip"))}
    assert set(routes) == set(CHECKED) | set(NO_CSV_INSIDE), "Teach this file the new download: " + str(
        sorted(set(routes) - set(CHECKED) - set(NO_CSV_INSIDE))
    )


@time_machine.travel(datetime.datetime(2024, 3, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_the_roster(client, provider):
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider, deadline_months=18),
        code=COHORT_CODE,
        start_date=D(2023, 1, 9),
        end_date=D(2024, 7, 31),
    )
    coach = StaffMembershipFactory(provider=provider, role="coach", user__full_name=PLUS).user
    EnrolmentFactory(
        cohort=cohort,
        status=Enrolment.Status.ACTIVE,
        participant__user__full_name=EQUALS,
        participant__user__email="-mallory@school.example",
        participant__school=SchoolFactory(name=AT),
        group=DeliveryGroupFactory(cohort=cohort, name=TAB),
        coach=coach,
    )
    # Started on 10 January 2022 with 18 months to present: 235 days past the deadline on 1 March 2024.
    EnrolmentFactory(
        cohort=cohort,
        status=Enrolment.Status.ACTIVE,
        start_date=D(2022, 1, 10),
        participant__user__full_name="Olu Adeyemi",
        participant__school=SchoolFactory(name=RETURN),
    )
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    rows = downloaded(client.get(reverse("cohort_roster_csv", args=[cohort.pk])))
    assert_safe(rows, EQUALS, "-mallory@school.example", AT, TAB, PLUS, RETURN)
    overdue = next(row for row in rows if row[0] == "Olu Adeyemi")
    days_left = overdue[rows[0].index("Days left")]
    assert days_left == "-235"  # a number: no ', so a spreadsheet can sort and sum it


@time_machine.travel(datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK), tick=False)
def test_the_manifest_in_the_scripts_zip(client, provider, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    enrolment, task, window = case_study_place(provider=provider)
    user = enrolment.participant.user
    user.full_name = MINUS
    user.save(update_fields=["full_name"])
    version = upload(enrolment, task, 900)
    assessment_services.submission_submit(by=user, version=version, declaration=True)
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    response = client.get(reverse("cohort_scripts_zip", args=[window.cohort.pk, task.number]) + "?names=1")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        rows = rows_of(archive.read("manifest.csv").decode("utf-8"))
    assert_safe(rows, MINUS)
    assert rows[1][rows[0].index("Words")] == "900"


def test_the_dfe_declarations_export_and_its_command(client, provider):
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider),
        code=COHORT_CODE,
        start_date=START,
        end_date=D(2026, 2, 27),
    )
    place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START)], user__full_name=AT)
    place(
        cohort,
        history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))],
        user__full_name=TAB,
    )
    admin = person(Role.PROVIDER_ADMIN, provider)
    made = declarations_export(by=admin, provider=provider, now=NOW)
    client.force_login(admin)
    rows = downloaded(client.get(reverse("declarations_export_csv", args=[provider.slug, made.pk])))
    assert_safe(rows, AT, TAB, COHORT_CODE)
    printed = io.StringIO()
    call_command(
        "declarations_export",
        "--provider",
        provider.slug,
        "--format",
        "csv",
        "--export",
        str(made.pk),
        stdout=printed,
    )
    assert rows_of(printed.getvalue()) == rows


def test_the_history_of_changes(client, provider):
    evil = ProviderFactory(slug="evil", name=PLUS)
    for each in (provider, evil):
        cohort = CohortFactory(programme=ProgrammeFactory(provider=each), code=COHORT_CODE)
        enrolment = EnrolmentFactory(
            cohort=cohort, status=Enrolment.Status.ACTIVE, participant__user__full_name=AT
        )
        admin = person(Role.PROVIDER_ADMIN, each)
        admin.full_name = EQUALS
        admin.save(update_fields=["full_name"])
        participant_services.enrolment_withdraw(by=admin, enrolment=enrolment, reason="change-in-career")
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    assert_safe(downloaded(client.get(reverse("provider_history_csv", args=[provider.slug]))), EQUALS)
    client.force_login(person(Role.PLATFORM_STAFF))
    rows = downloaded(client.get(reverse("platform_history_csv")))
    assert_safe(rows, EQUALS, PLUS)  # PLUS: the provider's name, in the Provider column
    assert len(rows) == 3


def test_the_example_completions_file(client, provider):
    cohort = CohortFactory(programme=ProgrammeFactory(provider=provider))
    task = timetable_for(cohort, tag="x")["task"]
    task.reference = MINUS
    task.save(update_fields=["reference"])
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    assert_safe(downloaded(client.get(reverse("lms_import_example", args=[cohort.pk]))), MINUS)


def test_the_example_participants_file(client, provider):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    rows = downloaded(client.get(reverse("import_example")))
    assert_safe(rows)
    assert rows[0][:2] == ["external_id", "email"]


def test_the_metrics_tables_and_their_command(client, provider, cohorts):  # noqa: F811
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    rows = downloaded(client.get(reverse("metrics_csv", args=[provider.slug])))
    assert_safe(rows)
    assert len(rows) > 20
    printed = io.StringIO()
    call_command(
        "metrics_report", "--provider", provider.slug, "--year", "2019/20", "--format", "csv", stdout=printed
    )
    printed_rows = rows_of(printed.getvalue())
    assert_safe(printed_rows)
    assert printed_rows[0] == ["metric", "measure", "value"] and len(printed_rows) > 20
