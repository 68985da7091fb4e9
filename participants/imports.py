"""Bringing a cohort in from a spreadsheet (CSV or XLSX): check it, show what it will do, then import it all
or nothing; and send the imported participants their invitations.

The same code serves the upload page, the API and `manage.py import_enrolments`. Checking runs the whole
import inside a transaction that is then rolled back, so the preview shows exactly what importing would
do and every mistake the lifecycle rules would refuse, row by row. Rows are matched on the provider's
`external_id`, so importing the same file again changes nothing and a changed row updates its place.
"""

import csv
import datetime
import difflib
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Invitation, User
from audit.services import audit_record
from npqel.access import Action, access_for
from npqel.csv_text import NotCsvText, csv_text
from npqel.errors import DomainError
from npqel.jobs import enqueue
from npqel.words import plural
from participants import services
from participants.models import EarlierRecord, Enrolment, EnrolmentImport, Participant, School
from programmes import services as programme_services
from programmes.models import Cohort, Programme, Provider, StaffMembership
from programmes.timetable import in_timetable_years

REQUIRED_COLUMNS = ("external_id", "email", "first_name", "last_name", "school_urn", "cohort_code")
HISTORY_COLUMNS = (
    "started_on",
    "deferred_on",
    "withdrawn_on",
    "withdrawal_reason",
    "presented_on",
    "outcome",
    "moderated",
    "moderator_agreed",
    "feedback_rating",
)
OPTIONAL_COLUMNS = (
    "school_name",
    "school_fsm_percent",
    "school_trust",
    "ethnicity_code",
    "sex",
    "disability",
    "funding_route",
    # DfE's own ID for the person (the Lead Provider API's participant_id): the DfE declarations export needs it.
    "dfe_participant_id",
    *HISTORY_COLUMNS,
    "cohort_start_date",
)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Lines read at most, blank ones included, and columns: a few kilobytes of XLSX can declare a million rows
# or columns, and reading them all would tie up the server.
MAX_LINES = MAX_ROWS + 1000
MAX_COLUMNS = 60
MAX_CELL = 200
# Longest value each column's record field holds (the rest: MAX_CELL).
MAX_LENGTH = {"external_id": 100, "email": 254, "cohort_code": 50, "school_name": 200, "school_trust": 200}
MAX_NAME = 200  # first_name + " " + last_name

Status = Enrolment.Status


class ImportRefused(DomainError):
    """The file as a whole cannot be read (wrong type, missing columns); no row was looked at."""


@dataclass
class RowProblem:
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    message: str


@dataclass
class RowResult:
    row: int
    external_id: str
    name: str
    action: str  # "create", "update" or "unchanged"
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What importing the file does (or did), or why it cannot."""

    rows: list[RowResult] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> list[str]:
        """One line per kind of change, in plain words."""
        actions = [r.action for r in self.rows]
        lines = [
            f"{plural(actions.count('create'), 'new place')}",
            f"{plural(actions.count('update'), 'place')} updated",
            f"{plural(actions.count('unchanged'), 'place')} unchanged",
        ]
        for key, word in (
            ("participant", "new participant"),
            ("school", "new school"),
            ("cohort", "new cohort"),
        ):
            if self.created.get(key):
                lines.append(plural(self.created[key], word))
        if self.created.get("history"):
            lines.append(f"{plural(self.created['history'], 'status change')} recorded")
        return lines

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "counts": {
                "create": sum(r.action == "create" for r in self.rows),
                "update": sum(r.action == "update" for r in self.rows),
                "unchanged": sum(r.action == "unchanged" for r in self.rows),
                **self.created,
            },
            "rows": [r.__dict__ for r in self.rows],
            "problems": [p.__dict__ for p in self.problems],
        }


# Reading the file ------------------------------------------------------------------------------------


def _header_key(name: object) -> str:
    return str(name or "").strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def _cell(value: object) -> str:
    """A spreadsheet cell as text: dates as YYYY-MM-DD, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign zip
        raise ImportRefused(
            "This file could not be opened as an Excel workbook (.xlsx). Save it again from your spreadsheet "
            "program as “Excel Workbook (.xlsx)” or “CSV UTF-8”."
        ) from exc
    sheet = workbook.worksheets[0]
    for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS, max_row=MAX_LINES + 1):
        yield [_cell(v) for v in values]
    workbook.close()


NOT_TEXT = (
    "This file is not a CSV text file. Save your spreadsheet as “CSV UTF-8” or “Excel Workbook (.xlsx)”."
)


def _audit_place(
    options: "_Options", enrolment: Enrolment, action: str, *, before: dict | None, after: dict
) -> None:
    """Record in the audit trail a change the import wrote to a place directly (not through a service)."""
    audit_record(
        actor=options.by,
        action=action,
        obj_type="enrolment",
        obj_id=enrolment.pk,
        provider=options.provider,
        label=services.place_label(enrolment),
        before=before,
        after=after,
    )


def _csv_rows(content: bytes, *, not_text: str = NOT_TEXT) -> Iterator[list[str]]:
    """The rows of a CSV file, its delimiter sniffed (comma, semicolon or tab); `not_text` is what to say of a file
    that is not text (npqel/csv_text.py)."""
    try:
        text = csv_text(content, not_text=not_text)
    except NotCsvText as refused:
        raise ImportRefused(str(refused)) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for values in reader:
            yield [v.strip() for v in values[:MAX_COLUMNS]]
    except csv.Error:  # a cell past the csv module's limit (128 kB): a quotation mark that is never closed
        raise ImportRefused(
            f"Row {reader.line_num} could not be read: a cell there goes on for far too long, usually because a "
            'quotation mark (") opens it and is never closed. Close or remove that quotation mark, then upload '
            "the file again."
        ) from None


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as a spreadsheet labels it."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def read_spreadsheet(file_name: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The data rows as (row number, {column: text}), columns matched by name in any case and order.
    Refuses a file it cannot read, or one whose columns are wrong, saying what to change."""
    if not content:
        raise ImportRefused("The file is empty. Choose the spreadsheet with your participants in it.")
    if len(content) > MAX_FILE_BYTES:
        raise ImportRefused(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB. Split it into smaller files."
        )
    is_xlsx = content[:4] == b"PK\x03\x04"  # a zip: .xlsx (a damaged one is refused as such)
    rows = iter(_xlsx_rows(content) if is_xlsx else _csv_rows(content))
    header = next(rows, None)
    if not header or not any(header):
        raise ImportRefused("The first row must hold the column names, starting with external_id and email.")
    keys = [_header_key(h) for h in header]
    problems = []
    seen: set[str] = set()
    for key in keys:
        if not key:
            continue
        if key in seen:
            problems.append(f"The column “{key}” appears twice. Keep one of them.")
        elif key not in ALL_COLUMNS:
            close = difflib.get_close_matches(key, ALL_COLUMNS, n=1)
            hint = f" Did you mean “{close[0]}”?" if close else " Remove it or rename it to one of ours."
            problems.append(f"The column “{key}” is not one we know.{hint}")
        seen.add(key)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        problems.append(f"Add the required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.")
    if problems:
        raise ImportRefused(" ".join(problems))
    data = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_LINES:
            raise ImportRefused(
                f"The sheet goes on past row {MAX_LINES:,}. If your participants end before that, delete the rows "
                "below them (a stray cell or formatting far down the sheet counts); otherwise split the file."
            )
        if not any(values):
            continue  # a blank line is not a mistake
        if len(data) >= MAX_ROWS:
            raise ImportRefused(f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.")
        nameless = next(
            (i for i, value in enumerate(values) if value and (i >= len(keys) or not keys[i])), None
        )
        if nameless is not None:
            raise ImportRefused(
                f"Row {number} has something in column {_column_letter(nameless)}, which has no name in row 1. "
                "Give the column one of our names, or delete what is in it."
            )
        data.append((number, {key: value for key, value in zip(keys, values, strict=False) if key}))
    if not data:
        raise ImportRefused("The file has column names but no participants under them.")
    return data


# Checking one row's values ------------------------------------------------------------------------------

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
PREFER_NOT = {"prefer_not": "prefer_not", "prefer not to say": "prefer_not"}
# (accepted spellings → stored value, what to tell someone who wrote something else)
SEX = (
    {"female": "female", "f": "female", "male": "male", "m": "male", **PREFER_NOT},
    "female, male or prefer not to say",
)
DISABILITY = ({"yes": "yes", "no": "no", **PREFER_NOT}, "yes, no or prefer not to say")
FUNDING = (
    {v: v for v in Enrolment.FundingRoute.values if v}
    | {label.lower(): v for v, label in Enrolment.FundingRoute.choices if v},
    ", ".join(v for v in Enrolment.FundingRoute.values if v),
)


@dataclass
class Row:
    number: int
    values: dict[str, str]
    problems: list[RowProblem] = field(default_factory=list)
    parsed: dict[str, object] = field(default_factory=dict)

    def text(self, column: str) -> str:
        return self.values.get(column, "")

    def fail(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.number, column, message))


def _date(row: Row, column: str) -> datetime.date | None:
    text = row.text(column)
    if not text:
        return None
    try:
        value = datetime.date.fromisoformat(text[:10]) if len(text) in (10, 19) else None
    except ValueError:
        value = None
    if value is None:
        row.fail(column, f"“{text}” is not a date. Write it as YYYY-MM-DD, for example 2025-09-01.")
        return None
    if not in_timetable_years(value):
        row.fail(column, f"{value:%Y} is outside the years this platform covers. Check the year.")
        return None
    if value > timezone.localdate() and column != "cohort_start_date" and column != "started_on":
        row.fail(column, f"{value:%-d %B %Y} is in the future. Record it once it has happened.")
        return None
    return value


def _choice(row: Row, column: str, choices: tuple[dict[str, str], str]) -> str | None:
    text = row.text(column)
    if not text:
        return None
    options, allowed = choices
    value = options.get(text.lower())
    if value is None:
        row.fail(column, f"“{text}” is not an answer we record here. Write {allowed}, or leave it empty.")
    return value


def _yes_no(row: Row, column: str) -> bool | None:
    text = row.text(column).lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    row.fail(column, f"“{row.text(column)}” is not yes or no. Write yes or no, or leave it empty.")
    return None


def _check_values(row: Row) -> None:
    """Shape checks that need no database: every problem in the row, not just the first."""
    p = row.parsed
    for column in REQUIRED_COLUMNS:
        if not row.text(column):
            row.fail(column, f"Fill in {column}: it is required for every participant.")
    for column, text in row.values.items():
        limit = MAX_LENGTH.get(column, MAX_CELL)
        if len(text) > limit:
            row.fail(column, f"This is {len(text)} characters long; the most is {limit}. Shorten it.")
    if len(row.text("first_name")) + len(row.text("last_name")) + 1 > MAX_NAME:
        row.fail(
            "last_name", f"Together, first_name and last_name must be {MAX_NAME - 1} characters or fewer."
        )
    email = row.text("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.fail("email", f"“{email}” is not an email address. Check it has an @ and no spaces.")
        p["email"] = User.objects.normalize_email(email).lower()
    urn = row.text("school_urn")
    if urn and not (urn.isascii() and urn.isdigit() and 5 <= len(urn) <= 8):
        row.fail("school_urn", f"“{urn}” is not a school URN. A URN is 6 digits, for example 137042.")
    fsm = row.text("school_fsm_percent").rstrip("%").strip()
    if fsm:
        try:
            p["fsm"] = Decimal(fsm).quantize(Decimal("0.01"))
            if not 0 <= p["fsm"] <= 100:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            row.fail("school_fsm_percent", f"“{fsm}” is not a percentage. Write a number from 0 to 100.")
    ethnicity = row.text("ethnicity_code").upper()
    if ethnicity:
        if ethnicity in Participant.Ethnicity.values:
            p["ethnicity_code"] = ethnicity
        else:
            row.fail(
                "ethnicity_code",
                f"“{row.text('ethnicity_code')}” is not one of DfE's ethnicity codes (such as WBRI, AIND, BAFR; "
                "REFU for prefer not to say).",
            )
    dfe_id = row.text("dfe_participant_id")
    if dfe_id:
        try:
            p["dfe_participant_id"] = uuid.UUID(dfe_id)
        except ValueError:
            row.fail(
                "dfe_participant_id",
                f"“{dfe_id}” is not a DfE participant ID. It looks like db3a7848-7308-4879-942a-c4a70ced400a: 32 "
                "digits and letters a to f, in groups of 8, 4, 4, 4 and 12 joined by hyphens. Copy it from DfE's "
                "Lead Provider API, or leave it empty.",
            )
    p["sex"] = _choice(row, "sex", SEX)
    p["disability"] = _choice(row, "disability", DISABILITY)
    p["funding_route"] = _choice(row, "funding_route", FUNDING)
    for column in ("started_on", "deferred_on", "withdrawn_on", "presented_on", "cohort_start_date"):
        p[column] = _date(row, column)
    reason = row.text("withdrawal_reason").lower()
    if reason:
        if reason in services.WITHDRAWAL_REASONS:
            p["withdrawal_reason"] = reason
        else:
            row.fail(
                "withdrawal_reason",
                f"“{row.text('withdrawal_reason')}” is not one of DfE's withdrawal reasons (such as "
                "personal-reason-moving-school, change-in-career, other).",
            )
    if p.get("withdrawn_on") and not reason:
        row.fail("withdrawal_reason", "Give the withdrawal reason: they have a withdrawn_on date.")
    if reason and not row.text("withdrawn_on"):
        row.fail("withdrawn_on", "Give the date they withdrew: there is a withdrawal reason.")
    outcome = row.text("outcome").lower()
    if outcome and outcome not in ("passed", "failed"):
        row.fail("outcome", f"“{row.text('outcome')}” is not an outcome. Write passed or failed.")
    p["outcome"] = outcome if outcome in ("passed", "failed") else None
    if p["outcome"] and not row.text("presented_on"):
        row.fail("presented_on", "Give the date they presented for assessment: they have an outcome.")
    if p["outcome"] and row.text("withdrawn_on"):
        row.fail("outcome", "Someone who withdrew has no outcome. Clear outcome or withdrawn_on.")
    p["moderated"] = _yes_no(row, "moderated")
    p["moderator_agreed"] = _yes_no(row, "moderator_agreed")
    if p["moderator_agreed"] is not None and p["moderated"] is not True:
        row.fail(
            "moderator_agreed", "Only a moderated script has a moderator's decision. Set moderated to yes."
        )
    rating = row.text("feedback_rating")
    if rating:
        # isascii: str.isdigit() accepts "²", which int() refuses.
        if rating.isascii() and rating.isdigit() and 0 <= int(rating) <= 10:
            p["feedback_rating"] = int(rating)
        else:
            row.fail("feedback_rating", f"“{rating}” is not a rating. Write a whole number from 0 to 10.")
    started = p.get("started_on") or None
    for column in ("deferred_on", "withdrawn_on", "presented_on"):
        when = p.get(column)
        if started and when and when < started:
            row.fail(column, f"This is before their start on {started:%-d %B %Y}. Check the dates.")
    if p.get("deferred_on") and p.get("withdrawn_on") and p["withdrawn_on"] < p["deferred_on"]:
        row.fail("withdrawn_on", "They withdrew before they deferred. Check the dates.")


# Importing ---------------------------------------------------------------------------------------------


class _Rollback(Exception):
    """Raised to undo a check run, or an import with problems."""


@dataclass
class _Options:
    by: User | None
    provider: Provider
    create_cohorts: bool
    programme: Programme | None


def _authorise(by: User | None, provider: Provider) -> None:
    if by is not None and not access_for(by).may(Action.MANAGE_ENROLMENTS, provider.pk):
        raise PermissionDenied("Only a provider admin of this provider can import its participants.")


COHORT_CODE = re.compile(r"[-a-zA-Z0-9_]+")


def _intake(start: datetime.date) -> str:
    return Cohort.Intake.AUTUMN if start.month >= 7 else Cohort.Intake.SPRING


def _cohort(row: Row, options: _Options, report: ImportReport, result: RowResult) -> Cohort | None:
    code = row.text("cohort_code")
    cohorts = Cohort.objects.filter(programme__provider=options.provider, code__iexact=code).select_related(
        "programme"
    )
    if options.programme is not None:
        cohorts = cohorts.filter(programme=options.programme)
    found = list(cohorts)
    if len(found) > 1:
        names = " and ".join(c.programme.code for c in found)
        row.fail(
            "cohort_code",
            f"“{code}” is a cohort of more than one programme ({names}). Choose the programme to import into.",
        )
        return None
    start = row.parsed.get("cohort_start_date")
    if found:
        cohort = found[0]
        if start and start != cohort.start_date:
            row.fail(
                "cohort_start_date",
                f"Cohort {cohort.code} starts on {cohort.start_date:%Y-%m-%d}, not {start:%Y-%m-%d}. "
                "Correct the date or leave it empty.",
            )
        return cohort
    if not options.create_cohorts:
        row.fail(
            "cohort_code",
            f"There is no cohort “{code}”. Check the code against your cohorts, or tick “create missing "
            "cohorts” to create it.",
        )
        return None
    if options.programme is None:
        row.fail("cohort_code", f"There is no cohort “{code}”. Choose the programme to create it in.")
        return None
    if not COHORT_CODE.fullmatch(code):
        row.fail(
            "cohort_code",
            f"“{code}” cannot be a new cohort's code: use letters, numbers, hyphens and underscores only, "
            "like 2026-autumn.",
        )
        return None
    if start is None:
        if not row.text("cohort_start_date"):
            row.fail(
                "cohort_start_date", f"Give cohort {code}'s start date (YYYY-MM-DD) so it can be created."
            )
        return None
    cohort = programme_services.cohort_create(
        by=options.by, programme=options.programme, code=code, intake=_intake(start), start_date=start
    )
    report.count("cohort")
    result.changes.append(f"creates cohort {code} starting {start:%-d %B %Y}")
    return cohort


def _school(row: Row, report: ImportReport, result: RowResult) -> School | None:
    urn = row.text("school_urn")
    school = School.objects.filter(urn=urn).first()
    fsm = row.parsed.get("fsm")
    if school is None:
        name = row.text("school_name")
        if not name:
            row.fail(
                "school_name",
                f"School URN {urn} is not known here yet. Add the school's name in school_name so it can be added.",
            )
            return None
        school = School.objects.create(urn=urn, name=name, fsm_percent=fsm, trust=row.text("school_trust"))
        report.count("school")
        result.changes.append(f"adds school {name} ({urn})")
    else:
        # Schools are shared by every provider: fill in what is not known, never overwrite it.
        filled = []
        if fsm is not None and school.fsm_percent is None:
            school.fsm_percent = fsm
            filled.append("fsm_percent")
            result.changes.append(f"records {school.name}'s FSM as {fsm}%")
        if row.text("school_trust") and not school.trust:
            school.trust = row.text("school_trust")
            filled.append("trust")
            result.changes.append(f"records {school.name}'s trust as {school.trust}")
        if filled:
            school.save(update_fields=[*filled, "updated_at"])
    return school


def _elsewhere(user: User, provider: Provider) -> str:
    """Why this provider's spreadsheet must not enrol or change this account, or "" if it may: it holds a
    place at another provider, a role at another provider, or a cross-provider role. One provider's file
    must not change, or reveal, what another recorded (equality data, school) nor take over an account."""
    if user.is_platform_staff or user.is_moderator:
        return "belongs to a moderator or platform staff"
    if StaffMembership.objects.filter(user=user).exclude(provider=provider).exists():
        return "belongs to someone who works for another provider"
    if Enrolment.objects.filter(participant__user=user).exclude(provider=provider).exists():
        return "belongs to someone with a place at another provider"
    return ""


def _person(
    row: Row, options: _Options, enrolment: Enrolment | None, report: ImportReport, result: RowResult
) -> tuple[Participant | None, bool]:
    """The row's participant (None if the row may not have one), and whether this provider alone works
    with them (see _elsewhere, asked at most once a row)."""
    email = str(row.parsed["email"])
    full_name = f"{row.text('first_name')} {row.text('last_name')}".strip()
    if enrolment is not None:
        if enrolment.participant.erased_at is not None:
            row.fail(
                "external_id",
                f"This place ({row.text('external_id')}) belongs to someone whose personal data was erased on "
                f"{enrolment.participant.erased_at:%-d %B %Y}. Take the row out of the file.",
            )
            return None, False
        user = enrolment.participant.user
        alone = not _elsewhere(user, options.provider)
        # Only an account this provider alone uses, and that nobody has set up yet, takes the file's
        # name and address (e.g. to put right a typing mistake before the invitations go out).
        own = alone and not user.has_usable_password()
        if user.email.lower() != email:
            if not own:
                row.fail(
                    "email",
                    f"This place ({row.text('external_id')}) belongs to {user.email}, whose account is set up or "
                    "used elsewhere, so the file cannot change its address. Put their address back; they can "
                    "change it on their account page.",
                )
            elif User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                row.fail("email", f"{email} is already someone else's address. Check the row.")
            else:
                result.changes.append(f"email {user.email} → {email}")
                user.email = email
                user.save(update_fields=["email"])
        if full_name != user.full_name and own:
            result.changes.append(f"name {user.full_name} → {full_name}")
            user.full_name = full_name
            user.save(update_fields=["full_name"])
        if result.changes:
            enrolment.participant.save(update_fields=["updated_at"])  # so API syncs see the new name
        return enrolment.participant, alone
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create(email=email, full_name=full_name, password=make_password(None))
        result.changes.append(f"adds {full_name} <{email}>")
    else:
        why = _elsewhere(user, options.provider)
        if why:
            row.fail(
                "email",
                f"{email} {why}, so a spreadsheet cannot enrol them here: each provider's records are kept "
                "apart. Use the person's own address for this place, or contact platform support.",
            )
            return None, False
    participant = Participant.objects.filter(user=user).first()
    if participant is None:
        participant = Participant.objects.create(user=user)
        report.count("participant")
    return participant, True


def _participant_details(
    row: Row, own: bool, participant: Participant, school: School, result: RowResult, audit: "_Changes"
) -> None:
    """The file's school and equality answers. They overwrite what is recorded only for someone this
    provider alone works with; otherwise they fill in only what is not known, and the preview says nothing
    either way."""
    update = {}
    if participant.school_id != school.pk and (own or participant.school_id is None):
        if participant.school_id is not None:
            result.changes.append(f"school → {school.name}")
        update["school"] = school
    unknown = {"ethnicity_code": Participant.Ethnicity.NOBT, "sex": "", "disability": ""}
    for column, not_known in unknown.items():
        value = row.parsed.get(column)
        current = getattr(participant, column)
        if value is not None and current != value and (own or current == not_known):
            if current != not_known:
                result.changes.append("equality details updated")
            update[column] = value
    if update:
        before = {name: getattr(participant, name) for name in update}
        for name, value in update.items():
            setattr(participant, name, value)
        participant.save(update_fields=[*update, "updated_at"])
        # The school by name; equality answers are reduced to "changed" by the audit trail itself.
        named = {"school": lambda s: s.name if s else None}
        audit.before |= {k: named.get(k, lambda v: v)(v) for k, v in before.items()}
        audit.after |= {k: named.get(k, lambda v: v)(v) for k, v in update.items()}


def _dfe_participant_id(
    row: Row, own: bool, participant: Participant, result: RowResult, audit: "_Changes"
) -> None:
    """The file's DfE participant ID: recorded where none is; changed only for someone this provider alone works
    with and whose declarations have not been sent to DfE under the old one."""
    value = row.parsed.get("dfe_participant_id")
    current = participant.dfe_participant_id
    if value is None or current == value or (current is not None and not own):
        return
    if Participant.objects.filter(dfe_participant_id=value).exclude(pk=participant.pk).exists():
        row.fail(
            "dfe_participant_id",
            f"{value} is already the DfE participant ID of someone else (in another row of this file, or "
            "recorded before). Each person has their own: check the ID against DfE's records.",
        )
        return
    if current is not None and participant.enrolments.filter(declarations__export__isnull=False).exists():
        row.fail(
            "dfe_participant_id",
            f"Their declarations were sent to DfE under the ID {current}, so the file cannot change it. Check the "
            "ID with DfE; if it really has changed, contact platform support.",
        )
        return
    result.changes.append(
        f"DfE participant ID {current} → {value}" if current else "records their DfE participant ID"
    )
    audit.before["dfe_participant_id"] = str(current) if current else None
    audit.after["dfe_participant_id"] = str(value)
    participant.dfe_participant_id = value
    participant.save(update_fields=["dfe_participant_id", "updated_at"])


def _history(
    row: Row, options: _Options, enrolment: Enrolment, report: ImportReport, result: RowResult
) -> None:
    """The status changes the row's dates describe, recorded through the lifecycle services (so the same
    rules hold as for live changes), marked as imported. What is already recorded is left alone."""
    p = row.parsed
    # Status changes only: a move to another cohort or a changed funding route keeps the status.
    changes = [c for c in enrolment.changes.all() if c.from_status != c.to_status]

    def record(column: str, to: str, on: datetime.date, reason: str = "", note: str = "") -> None:
        try:
            services.enrolment_import_change(
                by=options.by, enrolment=enrolment, to=to, on=on, reason=reason, note=note
            )
        except DomainError as refused:
            row.fail(column, refused.message)
            raise _Rollback from refused
        report.count("history")
        result.changes.append(f"{Status(to).label.lower()} from {on:%-d %B %Y}")

    started = p.get("started_on") or enrolment.started_on
    deferred_on = p.get("deferred_on")
    recorded = any(c.to_status == Status.DEFERRED and c.effective_on == deferred_on for c in changes)
    if deferred_on and not recorded and deferred_on < started:
        where = "started_on" if p.get("started_on") else f"cohort {enrolment.cohort.code}'s start"
        row.fail(
            "deferred_on", f"This is before their start on {started:%-d %B %Y} ({where}). Check the dates."
        )
        raise _Rollback
    if enrolment.status == Status.ACCEPTED and started <= timezone.localdate():
        record("started_on", Status.ACTIVE, started)
    deferral = next((c for c in reversed(changes) if c.to_status == Status.DEFERRED), None)
    if (
        deferred_on
        and enrolment.status == Status.DEFERRED
        and deferral
        and deferral.effective_on != deferred_on
    ):
        row.fail(
            "deferred_on",
            f"They are recorded as deferred from {deferral.effective_on:%Y-%m-%d}. Check the date.",
        )
        raise _Rollback
    if deferred_on and not recorded:
        # The import has no column for the deferral's reason; DfE's "other" says so honestly.
        record("deferred_on", Status.DEFERRED, deferred_on, services.Reason.OTHER, "Reason not in the import")
    withdrawn_on = p.get("withdrawn_on")
    if withdrawn_on:
        done = next((c for c in changes if c.to_status == Status.WITHDRAWN), None)
        if done is None:
            record("withdrawn_on", Status.WITHDRAWN, withdrawn_on, str(p["withdrawal_reason"]))
        elif done.effective_on != withdrawn_on:
            row.fail(
                "withdrawn_on",
                f"They are recorded as withdrawn on {done.effective_on:%Y-%m-%d}. Check the date.",
            )
    outcome = p.get("outcome")
    presented_on = p.get("presented_on")
    if outcome and presented_on:
        to = Status.COMPLETED if outcome == "passed" else Status.FAILED
        done = next((c for c in changes if c.to_status in (Status.COMPLETED, Status.FAILED)), None)
        if done is None:
            if enrolment.status == Status.DEFERRED:
                record("outcome", Status.ACTIVE, presented_on, note="Resumed: the date was not in the import")
            record("outcome", to, presented_on)
        elif done.to_status != to:
            row.fail(
                "outcome", f"Their result is already recorded as {Status(done.to_status).label.lower()}."
            )
    earlier = {
        name: p.get(name)
        for name in ("presented_on", "moderated", "moderator_agreed", "feedback_rating")
        if p.get(name) is not None
    }
    if earlier:
        record_, created = EarlierRecord.objects.get_or_create(enrolment=enrolment, defaults=earlier)
        changed = {k: v for k, v in earlier.items() if created or getattr(record_, k) != v}
        if changed:
            _audit_place(
                options,
                enrolment,
                "enrolment.earlier_record_updated",
                before=None if created else {k: getattr(record_, k) for k in changed},
                after=changed,
            )
        if not created and changed:
            for k, v in earlier.items():
                setattr(record_, k, v)
            record_.save()
            result.changes.append("assessment and feedback record updated")


@dataclass
class _Changes:
    """What a row changed on the participant's own record, for the audit trail (one event a row)."""

    before: dict[str, object] = field(default_factory=dict)
    after: dict[str, object] = field(default_factory=dict)


def _import_row(row: Row, options: _Options, report: ImportReport) -> None:
    p = row.parsed
    name = f"{row.text('first_name')} {row.text('last_name')}".strip()
    result = RowResult(row=row.number, external_id=row.text("external_id"), name=name, action="unchanged")
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("participant__user", "cohort__programme")
        .filter(provider=options.provider, external_id=row.text("external_id"))
        .first()
    )
    cohort = _cohort(row, options, report, result)
    school = _school(row, report, result)
    participant, alone = _person(row, options, enrolment, report, result)
    if cohort is None or school is None or participant is None or row.problems:
        return
    audit = _Changes()
    _participant_details(row, alone, participant, school, result, audit)
    _dfe_participant_id(row, alone, participant, result, audit)
    funding = p.get("funding_route")
    if enrolment is None:
        enrolment = Enrolment.objects.filter(participant=participant, cohort=cohort).first()
        if enrolment is not None and enrolment.external_id:
            row.fail(
                "external_id",
                f"{name} already has a place on cohort {cohort.code}, with the external_id "
                f"“{enrolment.external_id}”. Use that id, or remove the row.",
            )
            return
        if enrolment is not None:
            # Enrolled by hand before: the file's id adopts that place instead of making a second one.
            enrolment.external_id = row.text("external_id")
            enrolment.save(update_fields=["external_id", "updated_at"])
            _audit_place(
                options,
                enrolment,
                "enrolment.updated",
                before={"external_id": ""},
                after={"external_id": enrolment.external_id},
            )
            result.action = "update"
            result.changes.append("matched to their existing place")
        else:
            enrolment = services.enrolment_import_create(
                by=options.by,
                participant=participant,
                cohort=cohort,
                external_id=row.text("external_id"),
                start_date=p.get("started_on"),
                funding_route=funding or "",
            )
            result.action = "create"
    else:
        if enrolment.cohort_id != cohort.pk:
            try:
                # The place as moved (its new cohort gives its start date from here on).
                enrolment = services.enrolment_transfer(
                    by=options.by, enrolment=enrolment, to_cohort=cohort, note="By import", imported=True
                )
            except DomainError as refused:
                row.fail("cohort_code", refused.message)
                return
            result.changes.append(f"moves to cohort {cohort.code}")
        update: dict[str, object] = {}
        notes = [change for change in result.changes if change.startswith(("email ", "name "))]
        if funding is not None and enrolment.funding_route != funding:
            update["funding_route"] = funding
            old = Enrolment.FundingRoute(enrolment.funding_route).label
            notes.append(f"funding {old} → {Enrolment.FundingRoute(funding).label}")
        started = p.get("started_on")
        if started and enrolment.start_date != started:
            update["start_date"] = started
            notes.append(f"start {enrolment.started_on:%-d %B %Y} → {started:%-d %B %Y}")
        if notes:
            # Recorded in the place's history like any other change, marked as imported.
            services.enrolment_import_update(by=options.by, enrolment=enrolment, changes=update, notes=notes)
            result.changes.extend(note for note in notes if note not in result.changes)
    if audit.after:
        _audit_place(
            options, enrolment, "enrolment.participant_updated", before=audit.before, after=audit.after
        )
    _history(row, options, enrolment, report, result)
    if result.action == "unchanged" and result.changes:
        result.action = "update"
    if not row.problems:
        report.rows.append(result)


def _run(rows: list[tuple[int, dict[str, str]]], options: _Options, *, write: bool) -> ImportReport:
    report = ImportReport()
    parsed = []
    first_seen: dict[str, int] = {}
    for number, values in rows:
        row = Row(number, values)
        _check_values(row)
        key = row.text("external_id").lower()
        if key and key in first_seen:
            row.fail(
                "external_id", f"Row {first_seen[key]} has the same external_id. Each place needs its own."
            )
        elif key:
            first_seen[key] = number
        parsed.append(row)
    try:
        with transaction.atomic():
            for row in parsed:
                if not row.problems:
                    try:
                        with transaction.atomic():
                            _import_row(row, options, report)
                            if row.problems:
                                raise _Rollback
                    except _Rollback:
                        pass
                    except DomainError as error:
                        row.fail(_COLUMN_OF_FIELD.get(error.field or "", "external_id"), error.message)
                report.problems.extend(row.problems)
            if report.problems or not write:
                raise _Rollback
    except _Rollback:
        pass
    return report


# Which spreadsheet column a service's DomainError field points at.
_COLUMN_OF_FIELD = {
    "on": "started_on",
    "status": "external_id",
    "to_cohort": "cohort_code",
    "code": "cohort_code",
    "start_date": "cohort_start_date",
    "reason": "withdrawal_reason",
}


def _keep(
    *,
    by: User | None,
    provider: Provider,
    file_name: str,
    content: bytes,
    create_cohorts: bool,
    programme: Programme | None,
) -> EnrolmentImport:
    """The uploaded file, kept to be checked, once the options make sense."""
    _authorise(by, provider)
    if programme is not None and programme.provider_id != provider.pk:
        raise DomainError("Choose one of this provider's programmes.", field="programme")
    if create_cohorts and programme is None:
        raise DomainError("Choose the programme that the missing cohorts belong to.", field="programme")
    return EnrolmentImport.objects.create(
        provider=provider,
        uploaded_by=by,
        file_name=file_name[:255],
        content=content,
        create_cohorts=create_cohorts,
        programme=programme,
        status=EnrolmentImport.Status.CHECKING,
    )


def import_upload(
    *,
    by: User | None,
    provider: Provider,
    file_name: str,
    content: bytes,
    create_cohorts: bool = False,
    programme: Programme | None = None,
) -> EnrolmentImport:
    """Keep an uploaded spreadsheet and check it in the background (participants.tasks); its page shows
    the preview, or the mistakes, once the check is done. Nothing else is written."""
    batch = _keep(
        by=by,
        provider=provider,
        file_name=file_name,
        content=content,
        create_cohorts=create_cohorts,
        programme=programme,
    )
    from participants.tasks import import_check_task

    enqueue(import_check_task, batch.pk)
    return batch


def _locked(batch_id: int) -> EnrolmentImport:
    return (
        EnrolmentImport.objects.select_for_update(of=("self",))
        .select_related("provider", "programme", "uploaded_by", "confirmed_by")
        .get(pk=batch_id)
    )


def import_check_stored(*, batch_id: int) -> EnrolmentImport:
    """The background check of a kept spreadsheet: its preview, or every mistake. Safe to run twice (or
    at once): only a file still being checked is checked, under a lock."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status != EnrolmentImport.Status.CHECKING:
            return batch
        try:
            rows = read_spreadsheet(batch.file_name, bytes(batch.content))
        except ImportRefused as refused:
            report = ImportReport(problems=[RowProblem(1, "", refused.message)])
        else:
            options = _Options(batch.uploaded_by, batch.provider, batch.create_cohorts, batch.programme)
            report = _run(rows, options, write=False)
        batch.report = report.as_json()
        if report.ok:
            batch.status = EnrolmentImport.Status.READY
        else:
            batch.status = EnrolmentImport.Status.REJECTED
            batch.content = b""  # the person uploads the corrected file; this one is not needed again
        batch.save(update_fields=["report", "status", "content", "updated_at"])
    return batch


def import_check(
    *,
    by: User | None,
    provider: Provider,
    file_name: str,
    content: bytes,
    create_cohorts: bool = False,
    programme: Programme | None = None,
) -> EnrolmentImport:
    """Keep and check a spreadsheet here and now (the command line's way, and tests')."""
    batch = _keep(
        by=by,
        provider=provider,
        file_name=file_name,
        content=content,
        create_cohorts=create_cohorts,
        programme=programme,
    )
    return import_check_stored(batch_id=batch.pk)


def _start_import(by: User | None, batch: EnrolmentImport) -> EnrolmentImport:
    _authorise(by, batch.provider)
    batch = _locked(batch.pk)
    if batch.status != EnrolmentImport.Status.READY:
        raise DomainError(
            {
                EnrolmentImport.Status.IMPORTED: "This file has already been imported.",
                EnrolmentImport.Status.IMPORTING: "This file is being imported already.",
                EnrolmentImport.Status.CHECKING: "This file is still being checked. Wait for its preview.",
            }.get(batch.status, "This file has mistakes. Fix them in your spreadsheet and upload it again.")
        )
    batch.status = EnrolmentImport.Status.IMPORTING
    batch.confirmed_by = by
    batch.save(update_fields=["status", "confirmed_by", "updated_at"])
    return batch


@transaction.atomic
def import_confirm_later(*, by: User, batch: EnrolmentImport) -> EnrolmentImport:
    """Import a checked spreadsheet in the background, all or nothing (see import_confirm_stored)."""
    batch = _start_import(by, batch)
    from participants.tasks import import_confirm_task

    enqueue(import_confirm_task, batch.pk)
    return batch


def import_confirm_stored(*, batch_id: int) -> EnrolmentImport:
    """The background import of a checked spreadsheet, all or nothing, as the person who confirmed it.
    Checked again against the records as they are now: if something changed since the preview and a row
    no longer fits, nothing is written and the import shows the new mistakes. Safe to run twice."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status != EnrolmentImport.Status.IMPORTING:
            return batch
        rows = read_spreadsheet(batch.file_name, bytes(batch.content))
        options = _Options(batch.confirmed_by, batch.provider, batch.create_cohorts, batch.programme)
        report = _run(rows, options, write=True)
        batch.report = report.as_json()
        if report.ok:
            batch.status = EnrolmentImport.Status.IMPORTED
            batch.imported_at = timezone.now()
        else:
            batch.status = EnrolmentImport.Status.REJECTED
        batch.content = b""  # imported, or to be corrected and uploaded again: not needed any more
        batch.save(update_fields=["report", "status", "content", "imported_at", "updated_at"])
    return batch


def import_confirm(*, by: User | None, batch: EnrolmentImport) -> EnrolmentImport:
    """Import a checked spreadsheet here and now, all or nothing (the command line's way, and tests')."""
    with transaction.atomic():
        batch = _start_import(by, batch)
    return import_confirm_stored(batch_id=batch.pk)


# How long a check or an import may run before its page offers to start it again (e.g. the worker
# stopped, or Redis was down when it was queued). Starting it again is safe: see the *_stored functions.
STUCK_AFTER = datetime.timedelta(minutes=5)


def import_is_stuck(batch: EnrolmentImport) -> bool:
    return batch.status in (EnrolmentImport.Status.CHECKING, EnrolmentImport.Status.IMPORTING) and (
        timezone.now() - batch.updated_at > STUCK_AFTER
    )


def import_restart(*, by: User, batch: EnrolmentImport) -> EnrolmentImport:
    """Queue a check or an import again that has not finished long after it started."""
    _authorise(by, batch.provider)
    if not import_is_stuck(batch):
        raise DomainError("This file is not stuck: its check or import is still running, or has finished.")
    from participants.tasks import import_check_task, import_confirm_task

    task = import_check_task if batch.status == EnrolmentImport.Status.CHECKING else import_confirm_task
    EnrolmentImport.objects.filter(pk=batch.pk).update(updated_at=timezone.now())
    enqueue(task, batch.pk)
    return batch


def import_failed(*, batch_id: int) -> None:
    """After a background check or import crashed (its transaction was rolled back, so nothing was
    written): say so on the file's page, and let the person try again."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status == EnrolmentImport.Status.CHECKING:
            batch.status = EnrolmentImport.Status.REJECTED
            batch.content = b""
            message = "We could not check this file because of a problem on our side. Upload it again."
        elif batch.status == EnrolmentImport.Status.IMPORTING:
            batch.status = EnrolmentImport.Status.READY
            message = "The import stopped because of a problem on our side. Nothing was imported: try again."
        else:
            return
        batch.report = {
            **batch.report,
            "ok": batch.status == EnrolmentImport.Status.READY,
            "failure": message,
        }
        if batch.status == EnrolmentImport.Status.REJECTED:
            batch.report["problems"] = [{"row": 1, "column": "", "message": message}]
        batch.save(update_fields=["status", "content", "report", "updated_at"])


def import_enrolments(
    *,
    by: User | None,
    provider: Provider,
    file_name: str,
    content: bytes,
    create_cohorts: bool = False,
    programme: Programme | None = None,
    dry_run: bool = False,
) -> EnrolmentImport:
    """Check and, if there are no mistakes (and not `dry_run`), import in one go: the command line's way."""
    batch = import_check(
        by=by,
        provider=provider,
        file_name=file_name,
        content=content,
        create_cohorts=create_cohorts,
        programme=programme,
    )
    if batch.status == EnrolmentImport.Status.READY and not dry_run:
        batch = import_confirm(by=by, batch=batch)
    return batch


def import_invite(*, by: User, batch: EnrolmentImport) -> int:
    """Invite every participant of an imported file whose place is still going (accepted, active or
    deferred), who has not set up their account and has no invitation waiting; returns how many were
    invited. Safe to repeat: nobody gets two."""
    _authorise(by, batch.provider)
    if batch.status != EnrolmentImport.Status.IMPORTED:
        raise DomainError("Import the file first, then send the invitations.")
    external_ids = [r["external_id"] for r in batch.report.get("rows", [])]
    users = (
        User.objects.filter(
            participant__enrolments__provider=batch.provider,
            participant__enrolments__external_id__in=external_ids,
            # Only places still going: a migrated past cohort's people are not invited.
            participant__enrolments__status__in=[Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED],
        )
        .distinct()
        .order_by("pk")
    )
    waiting = set(
        Invitation.objects.filter(
            role=Invitation.Role.PARTICIPANT,
            provider=batch.provider,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).values_list("email", flat=True)
    )
    sent = 0
    for user in users:
        if user.has_usable_password() or user.email.lower() in waiting:
            continue
        account_services.invitation_create(
            invited_by=by,
            email=user.email,
            role=Invitation.Role.PARTICIPANT,
            provider=batch.provider,
            full_name=user.full_name,
        )
        sent += 1
    return sent
