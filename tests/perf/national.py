"""The national dataset for benchmarks: 40 providers, 1,200 cohorts, 50,000 enrolments (issue 9's scale),
with each programme's components (online courses with their modules and tasks), each cohort's timetable
(two delivery groups, 80 sessions and a repeat), and what happened up to the dataset's moment `NOW`: about
3,000,000 attendance marks, task completions, learning logs, coaching sessions and components recorded done.

Bulk inserts in batches (the large tables by COPY), no per-row saves, deterministic for a given seed. Later
issues add their rows (submissions, marks) in `generate` after the engagement evidence. `scale` shrinks every
count but the timetable for the smoke test in the normal suite.
"""

import csv
import datetime
import io
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from participants.models import Enrolment, Participant
from programmes.models import (
    Cohort,
    Component,
    DeliveryGroup,
    Module,
    Programme,
    Provider,
    Session,
    StaffMembership,
    Task,
)
from programmes.timetable import local_datetime

BATCH = 5_000
# Rows per COPY statement: the attendance file is streamed in pieces of this size.
COPY_ROWS = 250_000
# The moment the dataset describes: every mark, completion and log is before it. Pass it as `now` to
# whatever measures the dataset (engagement) so the figures do not drift with the calendar.
NOW = local_datetime(datetime.date(2026, 11, 2), datetime.time(9, 0))
# A programme's components: (kind, mode, hours, sessions a cohort has of it). In-person sessions are run
# for each of the cohort's two delivery groups (so each group has half of them); the others are for the
# whole cohort.
COMPONENTS = [
    ("residential", "in_person", 16, 4),
    ("event_day", "in_person", 16, 4),
    ("webinar", "online_live", 8, 24),
    ("seminar", "online_live", 10, 24),
    ("group_coaching", "online_live", 6, 24),
    ("coaching", "online_live", 6, 0),
    ("online_course", "self_directed", 60, 0),
    ("self_directed", "self_directed", 10, 0),
    ("formative_assessment", "self_directed", 2, 0),
    ("case_study", "self_directed", 8, 0),
]
SESSIONS_PER_COHORT = sum(n for *_, n in COMPONENTS)
# Each cohort runs one webinar twice (a catch-up for those who missed it): attending either counts once.
REPEATS_PER_COHORT = 1
REPEATED_WEBINAR = 2  # which of the cohort's webinars (0-based)
# Each online course: modules of tasks, the last task of each module optional.
MODULES = [
    "Strategy and improvement",
    "Teaching and curriculum excellence",
    "Managing resources and risks",
    "Leading across schools",
]
TASKS_PER_MODULE = 5
PROVIDERS = 40
COHORTS = 1_200
ENROLMENTS = 50_000
# One place in this many belongs to no delivery group (joined late): expected at whole-cohort sessions only.
UNGROUPED_EVERY = 20
STAFF_ROLES = [role.value for role in StaffMembership.Role]
# Participants move through the lifecycle; most recruited cohorts are long past.
STATUS_WEIGHTS = {
    Enrolment.Status.ACTIVE: 30,
    Enrolment.Status.COMPLETED: 45,
    Enrolment.Status.WITHDRAWN: 8,
    Enrolment.Status.DEFERRED: 5,
    Enrolment.Status.FAILED: 4,
    Enrolment.Status.ACCEPTED: 5,
    Enrolment.Status.APPLIED: 3,
}
# Places not started have no evidence; withdrawn and deferred ones stopped part way through.
NOT_STARTED = {Enrolment.Status.APPLIED, Enrolment.Status.ACCEPTED}
STOPPED = {Enrolment.Status.WITHDRAWN, Enrolment.Status.DEFERRED}
# How often a participant attends (present or late): most nearly always, some less, a few rarely.
RELIABILITY = [(0.70, 0.96), (0.92, 0.85), (1.00, 0.55)]  # (cumulative share of places, chance to attend)
LATE_SHARE = 0.07  # of those attending
AUTHORISED_SHARE = 0.35  # of those absent
CORRECTED_SHARE = 0.015  # marks changed after the register was taken
CATCH_UP_SHARE = 0.6  # of those absent from the repeated webinar who attend its repeat
# Evidence other than attendance: the share of started places with some of it.
TASKS_SHARE = 0.2
LEARNING_LOG_SHARE = 0.25
COACHING_SHARE = 0.25
ACTIVITIES = ["Reading: system leadership", "School visit", "Trust board observation", "Case study research"]
FOCUSES = ["Leading change across schools", "Financial planning", "Governance", "Curriculum strategy"]


@dataclass
class Timings:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def report(self) -> str:
        lines = [
            f"  {name:<22} {f'{self.rows[name]:>9,} rows' if name in self.rows else '':<14}  {secs:7.2f} s"
            for name, secs in self.seconds.items()
        ]
        return "\n".join([*lines, f"  {'total':<22} {'':>9}       {self.total:7.2f} s"])


def _scaled(count: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(count * scale))


def _copy(table: str, columns: Sequence[str], lines: Iterable[str], *, not_null: Sequence[str] = ()) -> int:
    """COPY CSV lines (each ending in a newline; an unquoted empty field is NULL) into a table, in pieces of
    COPY_ROWS lines so the buffer stays small. Returns how many rows it wrote."""
    options = "FORMAT csv" + (f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else "")
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH ({options})"
    written = 0
    piece: list[str] = []
    with connection.cursor() as cursor:
        for line in lines:
            piece.append(line)
            if len(piece) == COPY_ROWS:
                cursor.copy_expert(sql, io.StringIO("".join(piece)))
                written += len(piece)
                piece = []
        if piece:
            cursor.copy_expert(sql, io.StringIO("".join(piece)))
            written += len(piece)
    return written


@contextmanager
def _bulk_load(table: str) -> Iterator[None]:
    """Load a large table without its foreign keys, unique constraints and indexes, and put them back after,
    checked and built in one pass each (as PostgreSQL's "Populating a database" advises): row by row, the
    deferred foreign-key checks alone would take longer than the load."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND NOT indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
            [table],
        )
        indexes = cursor.fetchall()
        # A table cannot be altered while checks of rows inserted earlier in this transaction wait for the
        # commit (Django's foreign keys are deferred): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        # Unique constraints first ('u' sorts after 'f', hence DESC above), then the foreign keys.
        for name, definition, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Rows as CSV lines (None → NULL)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _day_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max(0, (last - first).days)))


@dataclass
class _Place:
    enrolment_id: int
    cohort_index: int
    group_id: int | None
    coach_id: int
    admin_id: int
    status: str


@dataclass
class _Slot:
    session_id: int
    group_id: int | None
    ends_at: datetime.datetime
    facilitator_id: int | None
    repeat_of_id: int | None = None


def generate(*, scale: float = 1.0, seed: int = 2026) -> Timings:
    """Fill the (empty) database in one transaction; returns per-step row counts and timings, the commit's
    (when the deferred foreign-key checks run) among them."""
    timings = Timings()
    with transaction.atomic():
        _fill(timings, scale=scale, seed=seed)
        committing = time.perf_counter()
    timings.seconds["commit"] = time.perf_counter() - committing
    return timings


def _fill(timings: Timings, *, scale: float, seed: int) -> None:
    rng = random.Random(seed)
    n_providers = _scaled(PROVIDERS, scale, 2)
    n_cohorts = max(n_providers, _scaled(COHORTS, scale))
    n_enrolments = _scaled(ENROLMENTS, scale, n_cohorts)
    password = make_password(None)  # unusable: these people never sign in

    with timings.step("providers"):
        providers = Provider.objects.bulk_create(
            Provider(slug=f"provider-{i:02d}", name=f"Provider {i:02d} Leadership Partnership")
            for i in range(n_providers)
        )
        programmes = Programme.objects.bulk_create(
            Programme(
                provider=p,
                code="npqel",
                name=f"NPQEL ({p.name})",
                framework=rng.choice(Programme.Framework.values),
            )
            for p in providers
        )
    timings.rows["providers"] = len(providers)

    with timings.step("staff"):
        staff = [(p, role, i) for p in providers for role in STAFF_ROLES for i in range(3)]
        staff_users = User.objects.bulk_create(
            (
                User(email=f"{role}-{i}@{p.slug}.example", full_name=f"Staff {i}", password=password)
                for p, role, i in staff
            ),
            batch_size=BATCH,
        )
        StaffMembership.objects.bulk_create(
            (
                StaffMembership(user=u, provider=p, role=role)
                for u, (p, role, _) in zip(staff_users, staff, strict=True)
            ),
            batch_size=BATCH,
        )
    timings.rows["staff"] = len(staff_users)
    staff_of: dict[tuple[int, str], list[User]] = {}
    for u, (p, role, _) in zip(staff_users, staff, strict=True):
        staff_of.setdefault((p.pk, role), []).append(u)

    with timings.step("cohorts"):
        cohorts = []
        for index in range(n_cohorts):
            programme = programmes[index % len(programmes)]
            year = 2017 + (index // len(programmes)) % 9
            autumn = (index // (len(programmes) * 9)) % 2 == 0
            start = datetime.date(year, 10, 1) if autumn else datetime.date(year + 1, 3, 1)
            cohorts.append(
                Cohort(
                    programme=programme,
                    code=f"{start:%Y-%m}-{index}",
                    intake="autumn" if autumn else "spring",
                    start_date=start,
                    end_date=start + datetime.timedelta(days=540),
                )
            )
        cohorts = Cohort.objects.bulk_create(cohorts, batch_size=BATCH)
        # Each cohort's groups: North is groups[2 * index], South groups[2 * index + 1].
        groups = DeliveryGroup.objects.bulk_create(
            (DeliveryGroup(cohort=c, name=name, region=name) for c in cohorts for name in ("North", "South")),
            batch_size=BATCH,
        )
    timings.rows["cohorts"] = len(cohorts)

    with timings.step("participants"):
        users = User.objects.bulk_create(
            (
                User(
                    email=f"participant{i}@school{i % 9000}.example",
                    full_name=f"Participant {i}",
                    password=password,
                )
                for i in range(n_enrolments)
            ),
            batch_size=BATCH,
        )
        participants = Participant.objects.bulk_create(
            (
                Participant(
                    user=u, job_role=rng.choice(["Executive headteacher", "CEO", "Director of education"])
                )
                for u in users
            ),
            batch_size=BATCH,
        )
    timings.rows["participants"] = len(participants)

    with timings.step("enrolments"):
        statuses = list(STATUS_WEIGHTS)
        weights = list(STATUS_WEIGHTS.values())
        provider_of_programme = {p.pk: p.provider_id for p in programmes}
        enrolments = []
        for i, participant in enumerate(participants):
            index = i % len(cohorts)
            cohort = cohorts[index]
            provider_id = provider_of_programme[cohort.programme_id]
            n = i // len(cohorts)  # the place's number on its cohort
            enrolments.append(
                Enrolment(
                    participant=participant,
                    cohort=cohort,
                    provider_id=provider_id,
                    status=rng.choices(statuses, weights)[0],
                    start_date=cohort.start_date,
                    group=None if n % UNGROUPED_EVERY == UNGROUPED_EVERY - 1 else groups[2 * index + n % 2],
                    coach=staff_of[provider_id, "coach"][n % 3],
                )
            )
        Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
    timings.rows["enrolments"] = len(enrolments)

    with timings.step("components"):
        components = Component.objects.bulk_create(
            Component(
                programme=programme,
                kind=kind,
                title=f"{kind.replace('_', ' ').capitalize()} {n}",
                mode=mode,
                guided_learning_hours=hours,
                position=n,
            )
            for programme in programmes
            for n, (kind, mode, hours, _) in enumerate(COMPONENTS)
        )
    timings.rows["components"] = len(components)

    with timings.step("modules and tasks"):
        modules = Module.objects.bulk_create(
            Module(course=c, title=title, position=n)
            for c in components
            if c.kind == "online_course"
            for n, title in enumerate(MODULES)
        )
        tasks = Task.objects.bulk_create(
            (
                Task(
                    module=m,
                    title=f"Task {n + 1}",
                    reference=f"M{m.position + 1}-T{n + 1}",
                    core=n < TASKS_PER_MODULE - 1,
                    position=n,
                )
                for m in modules
                for n in range(TASKS_PER_MODULE)
            ),
            batch_size=BATCH,
        )
    timings.rows["modules and tasks"] = len(modules) + len(tasks)

    with timings.step("sessions"):
        facilitators = {p.pk: staff_of[p.pk, "facilitator"] for p in providers}
        components_of: dict[int, list[tuple[Component, int]]] = {}
        for component, (*_, count) in zip(components, COMPONENTS * len(programmes), strict=True):
            components_of.setdefault(component.programme_id, []).append((component, count))
        sessions = []
        for index, cohort in enumerate(cohorts):
            provider_id = provider_of_programme[cohort.programme_id]
            # Each component's sessions spread evenly over the cohort's 18 months, interleaved.
            planned = []
            for component, count in components_of[cohort.programme_id]:
                grouped = component.mode == "in_person"
                runs = count // 2 if grouped else count
                for n in range(count):
                    part = n // 2 if grouped else n
                    planned.append(((part + 0.5) / runs, component.position, n, component, part, grouped))
            planned.sort(key=lambda p: p[:3])
            for fraction, _, n, component, part, grouped in planned:
                day = cohort.start_date + datetime.timedelta(days=7 + int(fraction * 500))
                if day.weekday() >= 5:
                    day += datetime.timedelta(days=7 - day.weekday())
                hours = (
                    (datetime.time(9, 30), datetime.time(16, 30))
                    if grouped
                    else (datetime.time(10, 0), datetime.time(12, 0))
                )
                sessions.append(
                    Session(
                        cohort=cohort,
                        component=component,
                        group=groups[2 * index + n % 2] if grouped else None,
                        title=f"{component.title}, part {part + 1}",
                        starts_at=local_datetime(day, hours[0]),
                        ends_at=local_datetime(day, hours[1]),
                        online_link="https://meet.example.org/x" if component.mode == "online_live" else "",
                        venue="Conference centre" if grouped else "",
                        facilitator=rng.choice(facilitators[provider_id]),
                    )
                )
        Session.objects.bulk_create(sessions, batch_size=BATCH)
    timings.rows["sessions"] = len(sessions)

    with timings.step("session repeats"):
        repeats = []
        for index in range(len(cohorts)):
            own = sessions[index * SESSIONS_PER_COHORT : (index + 1) * SESSIONS_PER_COHORT]
            webinars = [s for s in own if s.component.kind == "webinar"]
            for original in webinars[REPEATED_WEBINAR : REPEATED_WEBINAR + REPEATS_PER_COHORT]:
                week = datetime.timedelta(days=7)
                repeats.append(
                    Session(
                        cohort_id=original.cohort_id,
                        component=original.component,
                        title=f"{original.title} (repeat)",
                        starts_at=original.starts_at + week,
                        ends_at=original.ends_at + week,
                        online_link=original.online_link,
                        facilitator_id=original.facilitator_id,
                        repeat_of=original,
                    )
                )
        Session.objects.bulk_create(repeats, batch_size=BATCH)
    timings.rows["session repeats"] = len(repeats)

    # Who is where, and each cohort's sessions in the order they ran.
    admin_of = {p.pk: staff_of[p.pk, "provider_admin"][0].pk for p in providers}
    places_of: list[list[_Place]] = [[] for _ in cohorts]
    for i, e in enumerate(enrolments):
        index = i % len(cohorts)
        places_of[index].append(
            _Place(e.pk, index, e.group_id, e.coach_id, admin_of[e.provider_id], e.status)
        )
    timetable_of: list[list[_Slot]] = [[] for _ in cohorts]
    cohort_index = {c.pk: index for index, c in enumerate(cohorts)}
    for s in [*sessions, *repeats]:
        timetable_of[cohort_index[s.cohort_id]].append(
            _Slot(s.pk, s.group_id, s.ends_at, s.facilitator_id, s.repeat_of_id)
        )
    for slots in timetable_of:
        slots.sort(key=lambda slot: (slot.ends_at, slot.session_id))

    with timings.step("attendance"), _bulk_load("participants_attendance"):
        timings.rows["attendance"] = _copy(
            "participants_attendance",
            [
                "enrolment_id",
                "session_id",
                "status",
                "marked_by_id",
                "marked_at",
                "updated_by_id",
                "updated_at",
            ],
            _attendance_lines(rng, places_of, timetable_of),
        )

    today = timezone.localdate(NOW)
    course_of = {c.programme_id: c for c in components if c.kind == "online_course"}
    core_tasks_of: dict[int, list[Task]] = {}
    for t in tasks:
        core_tasks_of.setdefault(t.module.course_id, []).append(t)
    component_of = {(c.programme_id, c.kind): c.pk for c in components}

    def span(place: _Place) -> tuple[datetime.date, datetime.date]:
        cohort = cohorts[place.cohort_index]
        return cohort.start_date + datetime.timedelta(days=14), min(cohort.end_date, today)

    started = [p for places in places_of for p in places if p.status not in NOT_STARTED]

    with timings.step("task completions"):

        def task_rows() -> Iterator[Sequence[object]]:
            for place in started:
                if rng.random() >= TASKS_SHARE:
                    continue
                first, last = span(place)
                course = course_of[cohorts[place.cohort_index].programme_id]
                course_tasks = core_tasks_of[course.pk]
                done = rng.randint(len(course_tasks) // 4, len(course_tasks))
                for task in course_tasks[:done]:
                    on = _day_between(rng, first, last)
                    by_hand = rng.random() < 0.2
                    yield (
                        place.enrolment_id,
                        task.pk,
                        on,
                        "by_hand" if by_hand else "lms_import",
                        place.admin_id if by_hand else None,
                        local_datetime(on, datetime.time(18, 0)).isoformat(),
                    )

        timings.rows["task completions"] = _copy(
            "participants_taskcompletion",
            ["enrolment_id", "task_id", "completed_on", "source", "recorded_by_id", "recorded_at"],
            _csv_lines(task_rows()),
        )

    with timings.step("learning logs"):

        def log_rows() -> Iterator[Sequence[object]]:
            for place in started:
                if rng.random() >= LEARNING_LOG_SHARE:
                    continue
                first, last = span(place)
                component_id = component_of[cohorts[place.cohort_index].programme_id, "self_directed"]
                for _ in range(rng.randint(1, 4)):
                    on = _day_between(rng, first, last)
                    yield (
                        place.enrolment_id,
                        component_id,
                        on,
                        rng.choice(["0.5", "1.0", "1.5", "2.0", "3.0"]),
                        rng.choice(ACTIVITIES),
                        local_datetime(on, datetime.time(20, 0)).isoformat(),
                    )

        timings.rows["learning logs"] = _copy(
            "participants_learninglog",
            ["enrolment_id", "component_id", "done_on", "hours", "activity", "logged_at"],
            _csv_lines(log_rows()),
        )

    with timings.step("coaching sessions"):

        def coaching_rows() -> Iterator[Sequence[object]]:
            for place in started:
                if rng.random() >= COACHING_SHARE:
                    continue
                first, last = span(place)
                component_id = component_of[cohorts[place.cohort_index].programme_id, "coaching"]
                for _ in range(rng.randint(1, 5)):
                    on = _day_between(rng, first, last)
                    yield (
                        place.enrolment_id,
                        component_id,
                        place.coach_id,
                        on,
                        rng.choice([45, 60, 60, 90]),
                        rng.choice(FOCUSES),
                        place.coach_id,
                        local_datetime(on, datetime.time(17, 0)).isoformat(),
                    )

        timings.rows["coaching sessions"] = _copy(
            "participants_coachingsession",
            [
                "enrolment_id",
                "component_id",
                "coach_id",
                "held_on",
                "minutes",
                "focus",
                "logged_by_id",
                "logged_at",
            ],
            _csv_lines(coaching_rows()),
        )

    with timings.step("component completions"):

        def completion_rows() -> Iterator[Sequence[object]]:
            # The formative assessment and the case study, recorded done by the provider: all of them for
            # most who completed, the first for some still going.
            for place in started:
                if place.status == Enrolment.Status.COMPLETED:
                    kinds = ["formative_assessment", "case_study"] if rng.random() < 0.8 else []
                elif place.status == Enrolment.Status.ACTIVE:
                    kinds = ["formative_assessment"] if rng.random() < 0.3 else []
                else:
                    continue
                first, last = span(place)
                programme_id = cohorts[place.cohort_index].programme_id
                for kind in kinds:
                    on = _day_between(rng, first, last)
                    yield (
                        place.enrolment_id,
                        component_of[programme_id, kind],
                        on,
                        "",
                        place.admin_id,
                        local_datetime(on, datetime.time(12, 0)).isoformat(),
                    )

        timings.rows["component completions"] = _copy(
            "participants_componentcompletion",
            ["enrolment_id", "component_id", "completed_on", "note", "recorded_by_id", "recorded_at"],
            _csv_lines(completion_rows()),
            not_null=["note"],
        )


def _attendance_lines(
    rng: random.Random, places_of: list[list[_Place]], timetable_of: list[list[_Slot]]
) -> Iterator[str]:
    """Each register taken before NOW, for the places expected at it (the cohort's sessions and their own
    group's): mostly present, some late, absent or absent with permission; a few marks corrected later.
    Places not started have none; withdrawn and deferred ones stop part way. The repeat of a session is
    marked only for those who missed the first run, most of whom catch up."""
    random_ = rng.random
    thresholds = RELIABILITY
    for places, slots in zip(places_of, timetable_of, strict=True):
        ended = [slot for slot in slots if slot.ends_at <= NOW]
        stamps = {
            slot.session_id: (
                (slot.ends_at + datetime.timedelta(minutes=10)).isoformat(),
                (slot.ends_at + datetime.timedelta(days=2)).isoformat(),
            )
            for slot in ended
        }
        for place in places:
            if place.status in NOT_STARTED:
                continue
            share = random_()
            attends = next(chance for upto, chance in thresholds if share < upto)
            stop = len(slots)
            if place.status in STOPPED:
                stop = int(len(slots) * rng.uniform(0.2, 0.8))
            missed: set[int] = set()
            # The sessions run so far are the first of the cohort's; a place that stopped, the first of those.
            for slot in ended[:stop]:
                if slot.group_id is not None and slot.group_id != place.group_id:
                    continue
                if slot.repeat_of_id is not None:
                    if slot.repeat_of_id not in missed or random_() >= CATCH_UP_SHARE:
                        continue
                    status = "present"
                else:
                    u = random_()
                    if u < attends:
                        status = "late" if u < attends * LATE_SHARE else "present"
                    else:
                        status = "authorised_absence" if random_() < AUTHORISED_SHARE else "absent"
                        missed.add(slot.session_id)
                marked_at, corrected_at = stamps[slot.session_id]
                mark = f"{place.enrolment_id},{slot.session_id},{status},{slot.facilitator_id},{marked_at}"
                if random_() < CORRECTED_SHARE:
                    yield f"{mark},{place.admin_id},{corrected_at}\n"
                else:
                    yield f"{mark},,\n"
