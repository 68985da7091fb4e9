"""Spreadsheets as people really save them, through the imports (participants, DfE recruitment targets, and a
learning platform's completions): UTF-8 with a byte order mark, Windows-1252 (Excel's "CSV" on Windows), UTF-16
(Excel's "Unicode Text"), Latin-1 with bytes that are not UTF-8, and line endings of every kind in one file. Each
is read with the names exactly right, or refused with a message that says what to do; never garbled, never a
crash.
"""

import codecs
import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from metrics.models import RecruitmentTarget
from metrics.services import TargetsRefused, targets_import
from npqel.access import Role
from participants import imports
from participants.models import Enrolment, EnrolmentImport, School, TaskCompletion
from participants.services import learning
from programmes.models import Cohort, Component, Module, Task
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ComponentFactory, ProgrammeFactory, ProviderFactory

pytestmark = pytest.mark.django_db

# Names that only survive an import read in the right encoding: an accent, a circumflex, a curly apostrophe
# (Windows-1252 byte 0x92, which Latin-1 does not have), and a pound sign in a school's name.
PEOPLE = [
    ("A-001", "zoe@example.org", "Zoë", "Ó Súilleabháin", "137042", "St Mary’s C of E Primary (£2m rebuild)"),
    ("A-002", "sian@example.org", "Siân", "O’Brien", "140001", "École Française de Londres"),
]
HEADER = ["external_id", "email", "first_name", "last_name", "school_urn", "school_name", "cohort_code"]


def sheet(newline: str = "\r\n", delimiter: str = ",") -> str:
    rows = [HEADER, *[[*person_row, "ee-2025"] for person_row in PEOPLE]]
    return newline.join(delimiter.join(row) for row in rows) + newline


def mixed_endings() -> str:
    """Header ended by CRLF, the first person by LF, the second by a lone CR (old Mac), then a blank CRLF line."""
    lines = [",".join(HEADER), *(",".join([*row, "ee-2025"]) for row in PEOPLE)]
    return lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r" + "\r\n"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def world():
    provider = ProviderFactory(slug="ember", name="Ember Leadership")
    programme = ProgrammeFactory(provider=provider, code="npqel")
    CohortFactory(
        programme=programme,
        code="ee-2025",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2027, 2, 28),
    )
    return provider, person(Role.PROVIDER_ADMIN, provider)


def imported(world, content: bytes) -> EnrolmentImport:
    provider, admin = world
    batch = imports.import_check(by=admin, provider=provider, file_name="cohort.csv", content=content)
    return (
        imports.import_confirm(by=admin, batch=batch)
        if batch.status == EnrolmentImport.Status.READY
        else batch
    )


READABLE = {
    "UTF-8 with a byte order mark": lambda: codecs.BOM_UTF8 + sheet().encode("utf-8"),
    "Windows-1252 (Excel's CSV on Windows)": lambda: sheet().encode("cp1252"),
    "UTF-16 little-endian with its mark, tab-separated (Excel's Unicode Text)": lambda: sheet(
        delimiter="\t"
    ).encode("utf-16"),
    "UTF-16 big-endian with its mark": lambda: codecs.BOM_UTF16_BE + sheet().encode("utf-16-be"),
    "UTF-8, semicolons and a lone CR, LF and CRLF": lambda: mixed_endings().replace(",", ";").encode("utf-8"),
    "Windows-1252 with mixed line endings": lambda: mixed_endings().encode("cp1252"),
}


@pytest.mark.parametrize("how", list(READABLE))
def test_the_participant_import_reads_every_common_encoding_with_the_names_exactly_right(world, how):
    batch = imported(world, READABLE[how]())
    assert batch.status == EnrolmentImport.Status.IMPORTED, batch.report["problems"]
    places = Enrolment.objects.filter(provider=world[0]).order_by("external_id")
    assert [p.participant.user.full_name for p in places] == ["Zoë Ó Súilleabháin", "Siân O’Brien"]
    assert dict(School.objects.values_list("urn", "name")) == {
        "137042": "St Mary’s C of E Primary (£2m rebuild)",
        "140001": "École Française de Londres",
    }


def test_latin_1_with_bytes_that_are_not_utf_8_is_read_as_windows_1252(world):
    """Latin-1 and Windows-1252 agree on every letter a name holds (é is 0xE9 in both; 0xE9 alone is not UTF-8)."""
    text = sheet().replace("’", "'")  # Latin-1 has no curly apostrophe
    content = text.encode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    batch = imported(world, content)
    assert batch.status == EnrolmentImport.Status.IMPORTED, batch.report["problems"]
    names = sorted(Enrolment.objects.values_list("participant__user__full_name", flat=True))
    assert names == ["Siân O'Brien", "Zoë Ó Súilleabháin"]
    assert School.objects.get(urn="140001").name == "École Française de Londres"


REFUSED = {
    "UTF-16 without its byte order mark": (
        lambda: sheet().encode("utf-16-le"),
        "This file is not a CSV text file. Save your spreadsheet as “CSV UTF-8”",
    ),
    "UTF-32 (its mark starts like UTF-16's)": (
        lambda: sheet().encode("utf-32"),
        "This file is not a CSV text file. Save your spreadsheet as “CSV UTF-8”",
    ),
    "bytes that are neither UTF-8 nor Windows-1252": (
        lambda: sheet().encode("utf-8").replace("Zoë".encode(), b"Zo\x81\x8d"),
        "Save it from your spreadsheet program as “CSV UTF-8”",
    ),
    "a NUL byte far into the file": (
        lambda: (
            (sheet() + "A-003,x@example.org,X,Y,137042,School,ee-2025\n" * 200).encode()
            + b"A-999,n@example.org,N\x00L,Byte,137042,School,ee-2025\n"
        ),
        "Row 204 holds a character that is not text (a NUL byte). Save the file again as “CSV UTF-8”",
    ),
    "a quotation mark never closed, running 200 kB": (
        lambda: (sheet() + 'A-003,x@example.org,"Unclosed,' + "x" * 200_000 + "\n").encode(),
        "Row 4 could not be read: a cell there goes on for far too long, usually because a quotation mark",
    ),
}


@pytest.mark.parametrize("how", list(REFUSED))
def test_a_file_that_cannot_be_read_is_refused_saying_what_to_do(world, how):
    build, message = REFUSED[how]
    batch = imported(world, build())
    assert batch.status == EnrolmentImport.Status.REJECTED
    [problem] = batch.report["problems"]
    assert message in problem["message"]
    assert not Enrolment.objects.exists()


def test_the_upload_page_shows_the_refusal(client, world, django_capture_on_commit_callbacks):
    """The same words reach the person on the page (the check runs once the upload is saved), not a 500."""
    provider, admin = world
    client.force_login(admin)
    upload = io.BytesIO(sheet().encode("utf-16-le"))
    upload.name = "cohort.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_upload", args=[provider.slug]), {"file": upload})
    page = client.get(response.url)
    assert page.status_code == 200
    assert "This file is not a CSV text file. Save your spreadsheet as “CSV UTF-8”" in page.content.decode()


# Recruitment targets ----------------------------------------------------------------------------------------

TARGETS = [
    "provider,recruitment_year,recruitment_target,fsm_target_percent,non_white_british_target_percent",
    "ember,2019/20,120,4,12.5",
    "ember,2020/21,1 300,,",
]


def targets(newline: str = "\r\n") -> str:
    return newline.join(TARGETS).replace("1 300", "130") + newline


TARGETS_READABLE = {
    "UTF-8 with a byte order mark": lambda: codecs.BOM_UTF8 + targets().encode(),
    "Windows-1252": lambda: targets().encode("cp1252"),
    "UTF-16 with its mark": lambda: targets().encode("utf-16"),
    "mixed line endings": lambda: (
        TARGETS[0] + "\r\n" + TARGETS[1] + "\r" + TARGETS[2].replace("1 300", "130") + "\n"
    ).encode(),
}


@pytest.mark.parametrize("how", list(TARGETS_READABLE))
def test_the_targets_import_reads_every_common_encoding(world, how):
    targets_import(by=None, content=TARGETS_READABLE[how]())
    assert sorted(RecruitmentTarget.objects.values_list("recruitment_year", "recruitment_target")) == [
        ("2019/20", 120),
        ("2020/21", 130),
    ]


TARGETS_REFUSED = {
    "UTF-16 without its mark": (lambda: targets().encode("utf-16-le"), "This file is not a CSV text file"),
    "neither UTF-8 nor Windows-1252": (
        lambda: targets().encode() + b"ember,2021/22,\x81\x8d,,\r\n",
        "Save it from your spreadsheet program as “CSV UTF-8”",
    ),
    "a quotation mark never closed": (
        lambda: (targets() + 'ember,"2021/22' + "x" * 200_000 + "\n").encode(),
        "Row 4 could not be read",
    ),
    "a number Python calls a digit but cannot read (²)": (
        lambda: (targets() + "ember,2021/22,²,,\r\n").encode(),
        "Row 4, recruitment_target: “²” is not a whole number for the recruitment target. Write it like 120",
    ),
    "more people than the column holds": (
        lambda: (targets() + "ember,2021/22,99999999999,,\r\n").encode(),
        "Row 4, recruitment_target: “99999999999” is not a whole number",
    ),
    "a share that is not a number (NaN)": (
        lambda: (targets() + "ember,2021/22,10,NaN,\r\n").encode(),
        "Row 4, fsm_target_percent: “NaN” is not a percentage for the FSM target",
    ),
    "a share of Infinity": (
        lambda: (targets() + "ember,2021/22,10,,Infinity\r\n").encode(),
        "Row 4, non_white_british_target_percent: “Infinity” is not a percentage",
    ),
    "a year in full-width digits": (
        lambda: (targets() + "ember,２０２１/２２,10,,\r\n").encode(),
        "Row 4, recruitment_year: “２０２１/２２” is not a recruitment year. Write it as 2019/20",
    ),
}


@pytest.mark.parametrize("how", list(TARGETS_REFUSED))
def test_the_targets_import_refuses_what_it_cannot_read_saying_what_to_do(world, how):
    build, message = TARGETS_REFUSED[how]
    with pytest.raises(TargetsRefused) as refused:
        targets_import(by=None, content=build())
    assert message in str(refused.value)
    assert not RecruitmentTarget.objects.exists()


def test_the_targets_command_prints_the_refusal(world, tmp_path):
    path = tmp_path / "targets.csv"
    path.write_bytes(targets().encode("utf-16-le"))
    with pytest.raises(CommandError, match="This file is not a CSV text file. Save it from your spreadsheet"):
        call_command("import_targets", str(path))


# The learning platform's completion export reads files the same way (participants.imports._csv_rows) ----------


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16"])
def test_a_completion_export_is_matched_by_an_accented_task_title(world, encoding):
    """Windows-1252, UTF-8 and UTF-16 with its byte order mark (Excel's Unicode Text) are all read."""
    provider, admin = world
    cohort = Cohort.objects.get(code="ee-2025")
    course = ComponentFactory(
        programme=cohort.programme, kind=Component.Kind.ONLINE_COURSE, mode=Component.Mode.SELF_DIRECTED
    )
    module = Module.objects.create(course=course, title="Module 1")
    task = Task.objects.create(module=module, title="Stratégie financière")
    place = EnrolmentFactory(
        cohort=cohort, status=Enrolment.Status.ACTIVE, participant__user__email="zoe@example.org"
    )
    text = "email\ttask reference\tcompleted on\r\nzoe@example.org\tStratégie financière\t2025-10-01\r\n"
    content = text.encode(encoding)
    report = learning.lms_completions_import(
        by=admin, cohort=cohort, content=content, file_name="completions.csv"
    )
    assert report.ok, report.problems
    assert TaskCompletion.objects.get(enrolment=place).task == task
