"""Every write to online learning: online-course tasks a participant has completed (recorded by hand, one at a
time or a whole course grid at once, or imported from a learning platform's completion export) and whole
components a provider admin records as done (a 360° diagnostic, a placement, a self-audit).

Only a provider admin of the place's provider records learning (npqel.access Action.RECORD_LEARNING). Every
change marks the cohort's engagement for recomputing (participants.services.engagement).

Decisions worth knowing:
- A completion is recorded for any place on the cohort except an application not yet accepted (a withdrawn
  or finished place may still have done tasks before it ended, and a learning platform's export lists them).
  The by-hand grid shows, and saves, only places accepted, active or deferred.
- No completion is dated in the future.
- Recording by hand again changes the date. Importing keeps the EARLIEST date known for a task: a learning
  platform re-exports a task someone revisited with a later date, and the first completion is the one that
  happened. So importing the same file twice changes nothing, and a row repeated in a file is not a mistake.
- An import is all or nothing: if any row has a mistake, nothing is written and every mistake is listed with
  its row (the header is row 1) and column. Columns other than the three we read are ignored, because
  learning platforms export many (names, scores, course titles).
"""

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.words import plural
from participants.imports import ImportRefused, RowProblem, _column_letter, _csv_rows, _header_key
from participants.models import ComponentCompletion, Enrolment, TaskCompletion
from participants.services.engagement import engagement_changed
from programmes.models import Cohort, Component, Task
from programmes.timetable import OUT_OF_YEARS, in_timetable_years

Status = Enrolment.Status
Source = TaskCompletion.Source

# Places the by-hand grid shows and saves: those taking part now (or paused).
GRID_STATUSES = frozenset({Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED})


def _authorise(by: User, provider_id: int) -> None:
    if not access_for(by).may(Action.RECORD_LEARNING, provider_id):
        raise PermissionDenied("Only a provider admin of this provider can record online learning.")


def _check_place(enrolment: Enrolment) -> None:
    if enrolment.status == Status.APPLIED:
        raise DomainError(
            f"{enrolment.participant.user.display_name}'s application has not been accepted yet, so there is "
            "no learning to record. Accept their application first."
        )


def _check_day(day: datetime.date, *, what: str, field_name: str = "completed_on") -> None:
    if not in_timetable_years(day):
        raise DomainError(OUT_OF_YEARS, field=field_name)
    if day > timezone.localdate():
        raise DomainError(
            f"{day:%-d %B %Y} is in the future. Record {what} once it is done, with the day it was done.",
            field=field_name,
        )


# One task, one component ---------------------------------------------------------------------------------


@transaction.atomic
def task_completion_record(
    *, by: User, enrolment: Enrolment, task: Task, completed_on: datetime.date
) -> TaskCompletion:
    """Record (by hand) that the participant completed a task of their programme's online courses on a day.
    Recording it again changes the day; the same day again changes nothing."""
    _authorise(by, enrolment.provider_id)
    _check_place(enrolment)
    _check_day(completed_on, what="a task")
    if not Task.objects.filter(
        pk=task.pk, module__course__programme_id=enrolment.cohort.programme_id
    ).exists():
        raise DomainError(
            f"“{task.title}” is not a task of {enrolment.cohort.programme.name}. Choose one of its own tasks.",
            field="task",
        )
    completion = TaskCompletion.objects.select_for_update().filter(enrolment=enrolment, task=task).first()
    if completion is None:
        completion, created = TaskCompletion.objects.get_or_create(
            enrolment=enrolment,
            task=task,
            defaults={"completed_on": completed_on, "source": Source.BY_HAND, "recorded_by": by},
        )
        if not created:  # recorded meanwhile by someone else: theirs stands, as if it had come first
            return completion
    elif completion.completed_on == completed_on:
        return completion
    else:
        completion.completed_on, completion.source, completion.recorded_by = completed_on, Source.BY_HAND, by
        completion.save(update_fields=["completed_on", "source", "recorded_by"])
    engagement_changed(cohort_ids=[enrolment.cohort_id])
    return completion


@transaction.atomic
def task_completion_remove(*, by: User, enrolment: Enrolment, task: Task) -> bool:
    """Take away a task's completion (recorded by mistake). False when it was not recorded."""
    _authorise(by, enrolment.provider_id)
    removed, _ = TaskCompletion.objects.filter(enrolment=enrolment, task=task).delete()
    if removed:
        engagement_changed(cohort_ids=[enrolment.cohort_id])
    return bool(removed)


@transaction.atomic
def component_completion_record(
    *, by: User, enrolment: Enrolment, component: Component, completed_on: datetime.date, note: str = ""
) -> ComponentCompletion:
    """Record that the participant has done a whole component of their programme (it is then credited in full).
    Recording it again changes the day and the note."""
    _authorise(by, enrolment.provider_id)
    _check_place(enrolment)
    if component.programme_id != enrolment.cohort.programme_id:
        raise DomainError(
            f"“{component.title}” is not part of {enrolment.cohort.programme.name}. Choose one of its components.",
            field="component",
        )
    _check_day(completed_on, what="a component")
    note = note.strip()
    limit = ComponentCompletion._meta.get_field("note").max_length
    if len(note) > limit:
        raise DomainError(f"Keep the note to {limit} characters or fewer.", field="note")
    completion, _ = ComponentCompletion.objects.update_or_create(
        enrolment=enrolment,
        component=component,
        defaults={"completed_on": completed_on, "note": note, "recorded_by": by},
    )
    engagement_changed(cohort_ids=[enrolment.cohort_id])
    return completion


@transaction.atomic
def component_completion_remove(*, by: User, enrolment: Enrolment, component: Component) -> bool:
    """Take away the record that the participant did a component. False when it was not recorded."""
    _authorise(by, enrolment.provider_id)
    removed, _ = ComponentCompletion.objects.filter(enrolment=enrolment, component=component).delete()
    if removed:
        engagement_changed(cohort_ids=[enrolment.cohort_id])
    return bool(removed)


# A course's grid, saved at once --------------------------------------------------------------------------


def _check_course(cohort: Cohort, course: Component) -> None:
    if course.programme_id != cohort.programme_id or not course.is_online_course:
        raise DomainError(
            f"“{course.title}” is not an online course of {cohort.programme.name}. Choose one of its courses.",
            field="course",
        )


@transaction.atomic
def course_completions_save(
    *,
    by: User,
    cohort: Cohort,
    course: Component,
    done: Mapping[int, Iterable[int]],
    completed_on: datetime.date,
    tasks: Iterable[int] | None = None,
    opened_at: datetime.datetime | None = None,
) -> tuple[int, int]:
    """Save one online course's grid for a cohort in one go: `done` maps each place shown (enrolment id) to
    the ids of the tasks ticked for it. A task newly ticked is recorded as done on `completed_on`; one no
    longer ticked is taken away; one still ticked keeps its date. Only the `tasks` shown (default: all the
    course's) are touched, and only the places in `done`, which must be accepted, active or deferred places on
    the cohort. Returns how many completions were added and removed. A fixed number of queries."""
    _authorise(by, cohort.programme.provider_id)
    _check_course(cohort, course)
    _check_day(completed_on, what="a task")
    course_tasks = set(Task.objects.filter(module__course=course).values_list("pk", flat=True))
    shown = course_tasks if tasks is None else set(tasks)
    ticked = {place: set(task_ids) for place, task_ids in done.items()}
    if (shown | set().union(*ticked.values())) - course_tasks or any(t - shown for t in ticked.values()):
        raise DomainError(
            f"The tasks of {course.title} have changed since the page was opened. Open it again and save again.",
            field="done",
        )
    places = set(
        Enrolment.objects.filter(cohort=cohort, status__in=GRID_STATUSES, pk__in=ticked).values_list(
            "pk", flat=True
        )
    )
    if missing := set(ticked) - places:
        named = sorted(
            e.participant.user.display_name
            for e in Enrolment.objects.filter(pk__in=missing, cohort=cohort).select_related(
                "participant__user"
            )
        )
        others = len(missing) - len(named)
        who = ", ".join(named + ([plural(others, "other place")] if others else []))
        raise DomainError(
            f"Not saved: {who} {'is' if len(missing) == 1 else 'are'} no longer accepted, active or deferred on "
            f"cohort {cohort.code}. Open the page again to see who is on it now, and save again.",
            field="done",
        )
    existing = {
        (enrolment_id, task_id): (pk, recorded_at)
        for pk, enrolment_id, task_id, recorded_at in TaskCompletion.objects.filter(
            enrolment_id__in=places, task_id__in=shown
        ).values_list("pk", "enrolment_id", "task_id", "recorded_at")
    }
    added = [
        TaskCompletion(
            enrolment_id=place,
            task_id=task_id,
            completed_on=completed_on,
            source=Source.BY_HAND,
            recorded_by=by,
        )
        for place, task_ids in ticked.items()
        for task_id in sorted(task_ids)
        if (place, task_id) not in existing
    ]
    # A completion recorded after the page was opened (an import, a colleague) was never shown unticked:
    # the save must not take it away.
    removed = [
        pk
        for (place, task_id), (pk, recorded_at) in existing.items()
        if task_id not in ticked[place] and (opened_at is None or recorded_at < opened_at)
    ]
    if added:
        # Someone saving the same grid at the same moment may have added a tick already: theirs stands.
        TaskCompletion.objects.bulk_create(added, ignore_conflicts=True)
    if removed:
        TaskCompletion.objects.filter(pk__in=removed).delete()
    if added or removed:
        engagement_changed(cohort_ids=[cohort.pk])
    return len(added), len(removed)


# Importing a learning platform's completion export -------------------------------------------------------

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 6000
# Lines read at most, blank ones included.
MAX_LINES = MAX_ROWS + 1000
# The columns, as _header_key spells them, and how a person writes them.
COLUMNS = {"email": "email", "task_reference": "task reference", "completed_on": "completed on"}
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# A time of day after the date (some platforms export a moment, not a day) is allowed and ignored.
TIME_AFTER = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


@dataclass
class LmsImportReport:
    """What importing a completion export did, or the mistakes that stopped it (then nothing was written)."""

    rows: int = 0
    created: int = 0
    already_recorded: int = 0
    moved_earlier: int = 0  # already recorded, with a later date than the file's
    repeated: int = 0  # rows repeating a person and task earlier in the same file
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> list[str]:
        lines = [
            f"{plural(self.created, 'completion')} recorded",
            f"{plural(self.already_recorded, 'completion')} already recorded (unchanged)",
        ]
        if self.moved_earlier:
            lines.append(f"{plural(self.moved_earlier, 'completion')} given the earlier date in the file")
        if self.repeated:
            lines.append(f"{plural(self.repeated, 'row')} repeating an earlier row (the earliest date kept)")
        return lines


def _parse_day(text: str) -> datetime.date | None:
    """YYYY-MM-DD or DD/MM/YYYY, perhaps followed by a time of day; None if it is neither."""
    for pattern, order in ((ISO_DATE, (0, 1, 2)), (UK_DATE, (2, 1, 0))):
        found = pattern.match(text)
        if found and TIME_AFTER.fullmatch(text[found.end() :]):
            year, month, day = (int(found.group(i + 1)) for i in order)
            try:
                return datetime.date(year, month, day)
            except ValueError:
                return None
    return None


NOT_TEXT = (
    "This is not a CSV text file (perhaps an Excel workbook). Save it from your spreadsheet program as "
    "“CSV UTF-8 (comma delimited)”, or export CSV from your learning platform, then upload that."
)


def _read(content: bytes) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """Where each of our columns is, and the data rows as (row number, cells). Refuses a file it cannot read."""
    if not content:
        raise ImportRefused("The file is empty. Choose the completion export from your learning platform.")
    if len(content) > MAX_FILE_BYTES:
        raise ImportRefused(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB. Split it into smaller files, "
            "for example one per course."
        )
    if content[:4] == b"PK\x03\x04":  # a ZIP, as an Excel workbook is
        raise ImportRefused(NOT_TEXT)
    lines = _csv_rows(
        content, not_text=NOT_TEXT
    )  # UTF-8 (with or without BOM), UTF-16 (with BOM) or Windows-1252
    header = next(lines, None)
    keys = [_header_key(name) for name in header or []]
    wanted = ", ".join(COLUMNS.values())
    if not any(keys):
        raise ImportRefused(f"The first row must name the columns: {wanted}.")
    problems = []
    for key, name in COLUMNS.items():
        if keys.count(key) > 1:
            problems.append(f"The column “{name}” appears twice. Keep one of them.")
    if missing := [name for key, name in COLUMNS.items() if key not in keys]:
        found = ", ".join(f"“{h}”" for h in (header or []) if h)
        problems.append(
            f"Add the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} to the first row "
            f"(it names: {found}). The first row must name the columns {wanted}, in any order and case."
        )
    if problems:
        raise ImportRefused(" ".join(problems))
    rows = []
    for number, cells in enumerate(lines, start=2):
        if number > MAX_LINES:
            raise ImportRefused(
                f"The file goes on past row {MAX_LINES:,}. Delete the empty rows at its end, or split it."
            )
        if not any(cells):
            continue  # a blank line is not a mistake
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files (for example one per "
                "course) and import each."
            )
        rows.append((number, cells))
    if not rows:
        raise ImportRefused("The file has column names but no completions under them.")
    return {key: keys.index(key) for key in COLUMNS}, rows


@dataclass(frozen=True)
class _Found:
    place: int
    task: int
    day: datetime.date


class _Matcher:
    """Looks up each row's person and task among the cohort's places and the programme's tasks (read once)."""

    def __init__(self, cohort: Cohort) -> None:
        self.cohort = cohort
        self.people: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        for pk, status, email, name in Enrolment.objects.filter(cohort=cohort).values_list(
            "pk", "status", "participant__user__email", "participant__user__full_name"
        ):
            self.people[email.casefold()].append((pk, status, name or email))
        self.by_reference: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.by_title: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for pk, reference, title, module, course in Task.objects.filter(
            module__course__programme_id=cohort.programme_id
        ).values_list("pk", "reference", "title", "module__title", "module__course__title"):
            where = f"{title} ({course}, {module})"
            if reference.strip():
                self.by_reference[reference.strip().casefold()].append((pk, where))
            self.by_title[title.strip()].append((pk, where))

    def place(self, email: str) -> tuple[int | None, str]:
        matches = self.people.get(email.casefold(), [])
        if not matches:
            return None, (
                f"No one on cohort {self.cohort.code} has the email address “{email}”. Check it against their "
                "record on the cohort's participant list, or enrol them first."
            )
        if len(matches) > 1:
            return None, (
                f"{len(matches)} people on cohort {self.cohort.code} have the email address “{email}” (in "
                "different capitals). Ask platform staff to merge their accounts, then import again."
            )
        pk, status, name = matches[0]
        if status == Status.APPLIED:
            return (
                None,
                f"{name}'s application has not been accepted yet. Accept it first, or delete this row.",
            )
        return pk, ""

    def task(self, text: str) -> tuple[int | None, str]:
        programme = self.cohort.programme.name
        matches = self.by_reference.get(text.casefold())
        what = "reference"
        if not matches:
            matches, what = self.by_title.get(text), "title"
        if not matches:
            return None, (
                f"No task of {programme} has the reference or title “{text}”. Check the task's reference in "
                "your learning platform against the course's tasks on the programme page."
            )
        if len(matches) > 1:
            listed = "; ".join(where for _, where in matches)
            fix = (
                "Give each task its own reference on the programme page, then import again."
                if what == "reference"
                else "Write the task's reference instead of its title (give the tasks references on the "
                "programme page first)."
            )
            return None, f"{len(matches)} tasks of {programme} have the {what} “{text}”: {listed}. {fix}"
        return matches[0][0], ""


def _check_row(
    number: int, cells: list[str], where: dict[str, int], matcher: _Matcher, report: LmsImportReport
) -> _Found | None:
    """The row's place, task and day, or None with every mistake in it added to the report."""

    def cell(key: str) -> str:
        index = where[key]
        return cells[index].strip() if index < len(cells) else ""

    def fail(key: str, message: str) -> None:
        report.problems.append(
            RowProblem(number, f"{COLUMNS[key]} (column {_column_letter(where[key])})", message)
        )

    before = len(report.problems)
    place = task = day = None
    email = cell("email")
    if not email:
        fail("email", "Enter the participant's email address.")
    else:
        place, mistake = matcher.place(email)
        if mistake:
            fail("email", mistake)
    reference = cell("task_reference")
    if not reference:
        fail(
            "task_reference", "Enter the task's reference from your learning platform (or the task's title)."
        )
    else:
        task, mistake = matcher.task(reference)
        if mistake:
            fail("task_reference", mistake)
    text = cell("completed_on")
    if not text:
        fail("completed_on", "Enter the day the task was completed, as YYYY-MM-DD or DD/MM/YYYY.")
    elif (day := _parse_day(text)) is None:
        fail(
            "completed_on",
            f"“{text}” is not a date. Write it as YYYY-MM-DD (2025-09-01) or DD/MM/YYYY (01/09/2025).",
        )
    elif not in_timetable_years(day):
        fail("completed_on", f"{OUT_OF_YEARS} (It says “{text}”.)")
    elif day > timezone.localdate():
        fail(
            "completed_on",
            f"{day:%-d %B %Y} is in the future. Check the date: only tasks already done count.",
        )
    if len(report.problems) > before or place is None or task is None or day is None:
        return None
    return _Found(place, task, day)


@transaction.atomic
def lms_completions_import(*, by: User, cohort: Cohort, content: bytes, file_name: str) -> LmsImportReport:
    """Import a learning platform's completion export (CSV: email, task reference, completed on) for a cohort,
    all or nothing. A file that cannot be read raises ImportRefused; rows with mistakes come back in the
    report's problems and nothing is written. Importing the same file again changes nothing; a task already
    recorded keeps the earliest date. `file_name` is for messages only: the content decides how it is read."""
    _authorise(by, cohort.programme.provider_id)
    where, rows = _read(content)
    matcher = _Matcher(cohort)
    report = LmsImportReport(rows=len(rows))
    earliest: dict[tuple[int, int], datetime.date] = {}
    for number, cells in rows:
        found = _check_row(number, cells, where, matcher, report)
        if found is None:
            continue
        key = (found.place, found.task)
        if key in earliest:
            report.repeated += 1
            earliest[key] = min(earliest[key], found.day)
        else:
            earliest[key] = found.day
    if not report.ok:
        return report
    places = {place for place, _ in earliest}
    existing = {
        (completion.enrolment_id, completion.task_id): completion
        for completion in TaskCompletion.objects.select_for_update().filter(
            enrolment_id__in=places, task_id__in={task for _, task in earliest}
        )
    }
    created, moved = [], []
    for (place, task), day in earliest.items():
        completion = existing.get((place, task))
        if completion is None:
            created.append(
                TaskCompletion(
                    enrolment_id=place,
                    task_id=task,
                    completed_on=day,
                    source=Source.LMS_IMPORT,
                    recorded_by=by,
                )
            )
        elif day < completion.completed_on:
            completion.completed_on, completion.source, completion.recorded_by = day, Source.LMS_IMPORT, by
            moved.append(completion)
        else:
            report.already_recorded += 1
    if created:
        TaskCompletion.objects.bulk_create(created, ignore_conflicts=True)
    if moved:
        TaskCompletion.objects.bulk_update(moved, ["completed_on", "source", "recorded_by"])
    report.created, report.moved_earlier = len(created), len(moved)
    if created or moved:
        engagement_changed(cohort_ids=[cohort.pk])
    return report
