"""Importing a learning platform's completion export (CSV: email, task reference, completed on) for a cohort:
columns in any case and order, UTF-8 with or without a byte order mark or Windows-1252, commas, semicolons or
tabs; people matched by email on the cohort, tasks by reference (or exact title) in its programme; all or
nothing, with every mistake listed by row and column; importing again changes nothing and the earliest date
is kept; only the provider's admins import."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from npqel.access import Role
from participants.imports import ImportRefused
from participants.models import EngagementQueue, Enrolment, TaskCompletion
from participants.services import learning
from programmes.models import Component, Module, Task
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ComponentFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status
D = datetime.date
LMS = TaskCompletion.Source.LMS_IMPORT
HEADER = "email,task reference,completed on\n"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2023, 6, 14, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def cohort(provider):
    programme = ProgrammeFactory(provider=provider, name="NPQEL 2023")
    return CohortFactory(
        programme=programme, code="2023-spring", start_date=D(2023, 1, 9), end_date=D(2024, 7, 31)
    )


def course_with(programme, title: str, modules: dict[str, list[tuple[str, str]]]) -> None:
    """An online course whose modules hold (title, reference) tasks."""
    course = ComponentFactory(
        programme=programme, title=title, kind=Component.Kind.ONLINE_COURSE, mode=Component.Mode.SELF_DIRECTED
    )
    for position, (module_title, tasks) in enumerate(modules.items()):
        module = Module.objects.create(course=course, title=module_title, position=position)
        for n, (task_title, reference) in enumerate(tasks):
            Task.objects.create(module=module, title=task_title, reference=reference, position=n)


@pytest.fixture
def tasks(cohort) -> dict[str, Task]:
    programme = cohort.programme
    course_with(
        programme,
        "Strategy and Improvement",
        {
            "Module 1": [
                ("Read the vision paper", "SI-M1-T1"),
                ("Watch the interview", "SI-M1-T2"),
                ("Reflection", ""),
            ],
            "Module 2": [("Draft a plan", ""), ("Reflection", ""), ("Peer review", "DUP")],
        },
    )
    course_with(
        programme,
        "Managing Resources and Risks",
        {"Module 1": [("Budget quiz", "RR-Q1"), ("Stratégie financière", ""), ("Risk register", "DUP")]},
    )
    course_with(
        ProgrammeFactory(provider=programme.provider, code="other", name="Other programme"),
        "Elsewhere",
        {"Module 1": [("Elsewhere quiz", "EL-Q1")]},
    )
    return {task.reference or task.title: task for task in Task.objects.all()}


def place(cohort, name: str, **fields) -> Enrolment:
    return EnrolmentFactory(
        cohort=cohort,
        participant__user__full_name=name,
        participant__user__email=name.lower().replace(" ", ".") + "@school.example",
        **fields,
    )


@pytest.fixture
def people(cohort):
    return {
        "ada": place(cohort, "Ada Lovelace"),
        "bea": place(cohort, "Bea Brown", status=S.ACCEPTED),
        "will": place(cohort, "Will Drawn", status=S.WITHDRAWN),
        "app": place(cohort, "App Lied", status=S.APPLIED),
        # On another cohort of the same programme: not matched on this one.
        "otto": place(CohortFactory(programme=cohort.programme, code="2024-autumn"), "Otto Elsewhere"),
    }


@pytest.fixture
def admin(provider):
    user = person(Role.PROVIDER_ADMIN, provider)
    user.full_name = "Al Admin"
    user.save()
    return user


def run(admin, cohort, text: str | bytes, *, encoding: str = "utf-8"):
    content = text.encode(encoding) if isinstance(text, str) else text
    return learning.lms_completions_import(by=admin, cohort=cohort, content=content, file_name="export.csv")


def completions() -> set[tuple[int, int, datetime.date, str]]:
    return set(TaskCompletion.objects.values_list("enrolment", "task", "completed_on", "source"))


# Importing -------------------------------------------------------------------------------------------------


def test_an_export_with_columns_in_any_case_and_order_and_extra_ones_is_imported(
    cohort, tasks, people, admin
):
    report = run(
        admin,
        cohort,
        "Completed On,EMAIL,Course name,Task Reference,Score\n"
        "2023-03-01,Ada.Lovelace@School.Example,Strategy,si-m1-t1,80\n"
        "01/03/2023,bea.brown@school.example,Strategy,Draft a plan,\n"
        # A withdrawn place did this before withdrawing; a time after the day is ignored.
        "2023-03-05 14:32:10,will.drawn@school.example,Strategy,SI-M1-T2,\n"
        "\n"
        "2023-02-20T09:00:00Z,ada.lovelace@school.example,Resources,RR-Q1,\n",
    )
    assert report.ok, report.problems
    assert (report.rows, report.created, report.already_recorded) == (4, 4, 0)
    ada, bea, will = people["ada"].pk, people["bea"].pk, people["will"].pk
    assert completions() == {
        (ada, tasks["SI-M1-T1"].pk, D(2023, 3, 1), LMS),
        (bea, tasks["Draft a plan"].pk, D(2023, 3, 1), LMS),
        (will, tasks["SI-M1-T2"].pk, D(2023, 3, 5), LMS),
        (ada, tasks["RR-Q1"].pk, D(2023, 2, 20), LMS),
    }
    assert set(TaskCompletion.objects.values_list("recorded_by", flat=True)) == {admin.pk}
    assert EngagementQueue.objects.filter(cohort=cohort).exists()
    assert report.summary() == ["4 completions recorded", "0 completions already recorded (unchanged)"]


def test_every_mistake_is_listed_with_its_row_and_column_and_nothing_is_written(cohort, tasks, people, admin):
    report = run(
        admin,
        cohort,
        HEADER
        + ",SI-M1-T1,2023-03-01\n"  # 2
        + "nobody@school.example,SI-M1-T1,2023-03-01\n"  # 3
        + "app.lied@school.example,SI-M1-T1,2023-03-01\n"  # 4
        + "otto.elsewhere@school.example,SI-M1-T1,2023-03-01\n"  # 5
        + "ada.lovelace@school.example,NOPE,2023-03-01\n"  # 6
        + "ada.lovelace@school.example,DUP,2023-03-01\n"  # 7
        + "ada.lovelace@school.example,Reflection,2023-03-01\n"  # 8
        + "ada.lovelace@school.example,EL-Q1,2023-03-01\n"  # 9: another programme's task
        + "\n"  # 10: blank, skipped but counted
        + "ada.lovelace@school.example,SI-M1-T1,\n"  # 11
        + "ada.lovelace@school.example,SI-M1-T1,31/02/2023\n"  # 12
        + "ada.lovelace@school.example,SI-M1-T1,1 March 2023\n"  # 13
        + "ada.lovelace@school.example,SI-M1-T1,2023-07-01\n"  # 14
        + "ada.lovelace@school.example,SI-M1-T1,1999-12-31\n"  # 15
        + "bea.brown@school.example,SI-M1-T1,2023-03-01\n"  # 16: a good row
        + "who@example.org,what,when\n",  # 17: three mistakes in one row
    )
    assert not report.ok
    found = [(p.row, p.column) for p in report.problems]
    email, task, day = "email (column A)", "task reference (column B)", "completed on (column C)"
    assert found == [
        (2, email),
        (3, email),
        (4, email),
        (5, email),
        (6, task),
        (7, task),
        (8, task),
        (9, task),
        (11, day),
        (12, day),
        (13, day),
        (14, day),
        (15, day),
        (17, email),
        (17, task),
        (17, day),
    ]
    messages = {(p.row, p.column): p.message for p in report.problems}
    assert messages[(2, email)] == "Enter the participant's email address."
    assert (
        "No one on cohort 2023-spring has the email address “nobody@school.example”" in messages[(3, email)]
    )
    assert (
        "App Lied's application has not been accepted yet. Accept it first, or delete this row."
        == (messages[(4, email)])
    )
    assert "No one on cohort 2023-spring" in messages[(5, email)]
    assert "No task of NPQEL 2023 has the reference or title “NOPE”" in messages[(6, task)]
    assert messages[(7, task)].startswith("2 tasks of NPQEL 2023 have the reference “DUP”: ")
    assert "Peer review (Strategy and Improvement, Module 2)" in messages[(7, task)]
    assert "Risk register (Managing Resources and Risks, Module 1)" in messages[(7, task)]
    assert "Give each task its own reference" in messages[(7, task)]
    assert messages[(8, task)].startswith("2 tasks of NPQEL 2023 have the title “Reflection”")
    assert "Write the task's reference instead of its title" in messages[(8, task)]
    assert "“EL-Q1”" in messages[(9, task)]
    assert "Enter the day the task was completed, as YYYY-MM-DD or DD/MM/YYYY." == messages[(11, day)]
    assert (
        "“31/02/2023” is not a date. Write it as YYYY-MM-DD (2025-09-01) or DD/MM/YYYY (01/09/2025)."
        == (messages[(12, day)])
    )
    assert "“1 March 2023” is not a date" in messages[(13, day)]
    assert "1 July 2023 is in the future" in messages[(14, day)]
    assert "Enter a date from 2000 to 2099" in messages[(15, day)]
    # All or nothing: not even the good row.
    assert not TaskCompletion.objects.exists()
    assert not EngagementQueue.objects.filter(cohort=cohort).exists()


def test_importing_the_same_file_again_changes_nothing(cohort, tasks, people, admin):
    text = (
        HEADER
        + "ada.lovelace@school.example,SI-M1-T1,2023-03-01\n"
        + "ada.lovelace@school.example,Draft a plan,02/03/2023\n"
        + "bea.brown@school.example,RR-Q1,2023-03-03\n"
    )
    assert run(admin, cohort, text).created == 3
    before = list(TaskCompletion.objects.order_by("pk").values())
    EngagementQueue.objects.all().delete()
    report = run(admin, cohort, text)
    assert (report.created, report.already_recorded, report.moved_earlier) == (0, 3, 0)
    assert report.summary() == ["0 completions recorded", "3 completions already recorded (unchanged)"]
    assert list(TaskCompletion.objects.order_by("pk").values()) == before
    assert not EngagementQueue.objects.filter(cohort=cohort).exists()


def test_the_earliest_date_known_is_kept(cohort, tasks, people, admin):
    ada, bea = people["ada"], people["bea"]
    learning.task_completion_record(
        by=admin, enrolment=ada, task=tasks["SI-M1-T1"], completed_on=D(2023, 3, 10)
    )
    learning.task_completion_record(
        by=admin, enrolment=bea, task=tasks["SI-M1-T1"], completed_on=D(2023, 3, 1)
    )
    report = run(
        admin,
        cohort,
        HEADER
        + "ada.lovelace@school.example,SI-M1-T1,2023-03-02\n"  # earlier than recorded: taken
        + "bea.brown@school.example,SI-M1-T1,2023-04-01\n"  # later than recorded: ignored
        + "bea.brown@school.example,RR-Q1,2023-03-05\n"  # the same task twice in the file: the earlier day
        + "bea.brown@school.example,rr-q1,2023-03-02\n",
    )
    assert report.ok
    assert (report.created, report.already_recorded, report.moved_earlier, report.repeated) == (1, 1, 1, 1)
    assert completions() == {
        (ada.pk, tasks["SI-M1-T1"].pk, D(2023, 3, 2), LMS),
        (bea.pk, tasks["SI-M1-T1"].pk, D(2023, 3, 1), TaskCompletion.Source.BY_HAND),
        (bea.pk, tasks["RR-Q1"].pk, D(2023, 3, 2), LMS),
    }
    assert report.summary()[2:] == [
        "1 completion given the earlier date in the file",
        "1 row repeating an earlier row (the earliest date kept)",
    ]


def test_utf8_with_a_byte_order_mark_and_semicolons(cohort, tasks, people, admin):
    report = run(
        admin,
        cohort,
        "Email;Task reference;Completed on\r\nada.lovelace@school.example;Stratégie financière;01/03/2023\r\n",
        encoding="utf-8-sig",
    )
    assert report.ok, report.problems
    assert completions() == {(people["ada"].pk, tasks["Stratégie financière"].pk, D(2023, 3, 1), LMS)}


def test_windows_1252_with_tabs(cohort, tasks, people, admin):
    text = "email\ttask reference\tcompleted on\nbea.brown@school.example\tStratégie financière\t2023-03-04\n"
    assert b"\xe9" in text.encode("cp1252")  # é as Windows-1252 writes it: not UTF-8
    report = run(admin, cohort, text, encoding="cp1252")
    assert report.ok, report.problems
    assert completions() == {(people["bea"].pk, tasks["Stratégie financière"].pk, D(2023, 3, 4), LMS)}


def test_utf16_as_excel_saves_unicode_text(cohort, tasks, people, admin):
    text = "email\ttask reference\tcompleted on\r\nbea.brown@school.example\tStratégie financière\t2023-03-04\r\n"
    report = run(admin, cohort, text, encoding="utf-16")  # with its byte order mark, as Excel writes it
    assert report.ok, report.problems
    assert completions() == {(people["bea"].pk, tasks["Stratégie financière"].pk, D(2023, 3, 4), LMS)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04 an excel workbook", "This is not a CSV text file (perhaps an Excel workbook)"),
        (
            b"email,task,completed on\nada@x,T,2023-01-01\n",
            "Add the column task reference to the first row (it names: “email”, “task”, “completed on”)",
        ),
        (b"email,Email,task reference,completed on\n", "The column “email” appears twice. Keep one of them."),
        (HEADER.encode(), "The file has column names but no completions under them."),
        (b"\n", "The first row must name the columns: email, task reference, completed on."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(cohort, tasks, admin, content, message):
    with pytest.raises(ImportRefused) as refused:
        run(admin, cohort, content)
    assert message in refused.value.message
    assert not TaskCompletion.objects.exists()


def test_up_to_6000_rows(cohort, tasks, people, admin):
    row = "ada.lovelace@school.example,SI-M1-T1,2023-03-01\n"
    report = run(admin, cohort, HEADER + row * 6000)
    assert report.ok and report.created == 1 and report.repeated == 5999
    with pytest.raises(ImportRefused, match="The file has more than 6,000 rows. Split it into smaller files"):
        run(admin, cohort, HEADER + row * 6001)


@pytest.mark.parametrize(
    "role",
    [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.PLATFORM_STAFF, Role.MODERATOR, Role.PARTICIPANT],
)
def test_only_the_providers_admins_import(provider, cohort, tasks, people, role):
    with pytest.raises(PermissionDenied):
        run(person(role, provider), cohort, HEADER + "ada.lovelace@school.example,SI-M1-T1,2023-03-01\n")
    assert not TaskCompletion.objects.exists()


def test_another_providers_admin_cannot_import(other_provider, cohort, tasks, people):
    with pytest.raises(PermissionDenied):
        run(
            person(Role.PROVIDER_ADMIN, other_provider),
            cohort,
            HEADER + "ada.lovelace@school.example,SI-M1-T1,2023-03-01\n",
        )


# The page --------------------------------------------------------------------------------------------------


def upload(client, cohort, text: str, name: str = "export.csv"):
    return client.post(
        reverse("lms_import", args=[cohort.pk]),
        {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
        follow=True,
    )


def test_the_page_imports_a_file_and_says_what_it_did(client, cohort, tasks, people, admin):
    client.force_login(admin)
    url = reverse("lms_import", args=[cohort.pk])
    page = client.get(url).content.decode()
    assert "Import completions from your learning platform" in page
    assert reverse("lms_import_example", args=[cohort.pk]) in page
    assert "Up to 6,000 rows" in page
    response = upload(client, cohort, HEADER + "ada.lovelace@school.example,SI-M1-T1,2023-03-01\n")
    assert response.redirect_chain == [(url, 302)]
    assert (
        "export.csv imported: 1 completion recorded; 0 completions already recorded (unchanged)."
        in response.content.decode()
    )
    assert TaskCompletion.objects.count() == 1


def test_the_page_lists_every_mistake_with_its_row_and_column(client, cohort, tasks, people, admin):
    client.force_login(admin)
    response = upload(
        client,
        cohort,
        HEADER + "nobody@school.example,SI-M1-T1,2023-03-01\nada.lovelace@school.example,NOPE,tomorrow\n",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page and "Nothing was imported" in page
    assert "The file has 3 mistakes. Fix them and upload the file again." in page
    assert (
        '<td class="govuk-table__cell govuk-table__cell--numeric">3</td>\n'
        '      <td class="govuk-table__cell">completed on (column C)</td>\n'
        '      <td class="govuk-table__cell">“tomorrow” is not a date.'
    ) in page
    assert "No one on cohort 2023-spring has the email address “nobody@school.example”" in page
    assert not TaskCompletion.objects.exists()


def test_the_page_shows_why_a_file_cannot_be_read(client, cohort, tasks, admin):
    client.force_login(admin)
    page = upload(client, cohort, "name,score\nAda,3\n").content.decode()
    assert "There is a problem" in page
    assert "Add the columns email, task reference, completed on to the first row" in page
    page = client.post(reverse("lms_import", args=[cohort.pk]), {}).content.decode()
    assert "Choose the CSV file to import." in page


def test_the_example_file_uses_the_programmes_references_and_imports(client, cohort, tasks, admin):
    client.force_login(admin)
    response = client.get(reverse("lms_import_example", args=[cohort.pk]))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "email,task reference,completed on"
    assert "amira.khan@example.org,SI-M1-T1," in text
    # With those two people on the cohort, the example imports as it is.
    for email in ("amira.khan@example.org", "ben.jones@example.org"):
        EnrolmentFactory(cohort=cohort, participant__user__email=email)
    report = run(admin, cohort, response.content)
    assert report.ok, report.problems
    assert report.created == 6


@pytest.mark.parametrize("role", [Role.PLATFORM_STAFF, Role.FACILITATOR, Role.COACH, Role.PARTICIPANT])
def test_roles_that_never_import_get_403(client, provider, cohort, role):
    client.force_login(person(role, provider))
    assert client.get(reverse("lms_import", args=[cohort.pk])).status_code == 403
    assert client.get(reverse("lms_import_example", args=[cohort.pk])).status_code == 403


def test_another_providers_cohort_is_not_found(client, other_provider, cohort, tasks, people):
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.get(reverse("lms_import", args=[cohort.pk])).status_code == 404
    assert client.get(reverse("lms_import_example", args=[cohort.pk])).status_code == 404
    response = upload(client, cohort, HEADER + "ada.lovelace@school.example,SI-M1-T1,2023-03-01\n")
    assert response.status_code == 404
    assert not TaskCompletion.objects.exists()
