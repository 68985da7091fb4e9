"""Engagement (participants/services/engagement.py) against a second, independent statement of its rule.

Hypothesis builds random programmes — live sessions (with and without published hours, repeats, group
sessions, over or still to come), online courses with core and optional tasks, self-directed and coaching
logs, components only recorded done — with random places, marks, completions and logs. `expected` below
works out each place's figures in plain Python from the rule in the service's docstring (Decimal
arithmetic; ROUND half up, as PostgreSQL's numeric ROUND), and the stored Engagement rows and
`engagement_measure` must give exactly the same numbers.

Where the docstring leaves a case open, `expected` says which reading it takes (marked "Silent:").
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from participants.models import (
    Attendance,
    CoachingSession,
    ComponentCompletion,
    Engagement,
    Enrolment,
    LearningLog,
    Participant,
    TaskCompletion,
)
from participants.services import engagement as service
from programmes.models import Component, DeliveryGroup, Module, Programme, Provider, Session, Task
from programmes.timetable import local_datetime
from tests.participants.factories import ParticipantFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

NOW = local_datetime(datetime.date(2023, 6, 30), datetime.time(12, 0))
TODAY = NOW.date()  # the London date at NOW
A = Attendance.Status
ATTENDED = {A.PRESENT, A.LATE}
K, M = Component.Kind, Component.Mode
S = Enrolment.Status
ZERO = Decimal(0)

# The shapes of component generated, and the kinds and modes each may be built as.
LIVE, COURSE, SELF_DIRECTED, COACHING, DONE_ONLY = "live", "course", "self_directed", "coaching", "done_only"
KINDS = {
    LIVE: [(K.WEBINAR, M.ONLINE_LIVE), (K.RESIDENTIAL, M.IN_PERSON), (K.SEMINAR, M.IN_PERSON)],
    COURSE: [(K.ONLINE_COURSE, M.SELF_DIRECTED), (K.ONLINE_COURSE, M.ONLINE_LIVE)],
    SELF_DIRECTED: [(K.SELF_DIRECTED, M.SELF_DIRECTED), (K.SELF_DIRECTED, M.IN_PERSON)],
    COACHING: [(K.COACHING, M.ONLINE_LIVE), (K.COACHING, M.IN_PERSON)],
    DONE_ONLY: [(K.CASE_STUDY, M.SELF_DIRECTED), (K.DIAGNOSTIC_360, M.SELF_DIRECTED)],
}
# How the docstring says each is evidenced (written out here, not taken from the service).
EVIDENCE = {
    LIVE: "attendance",
    COURSE: "tasks",
    SELF_DIRECTED: "learning_log",
    COACHING: "coaching_log",
    DONE_ONLY: "completion",
}


# What Hypothesis generates: plain data, built into the database by `build` ------------------------------


@dataclass(frozen=True)
class Run:
    """One run of a piece of live content: the original session or a repeat of it."""

    end_minutes: int  # when it ends, in minutes after NOW (0: exactly at NOW)
    quarters: int  # its length, in quarter hours
    group: int | None  # None: the whole cohort; 0 or 1: one of the cohort's two groups

    @property
    def hours(self) -> Decimal:
        return Decimal(self.quarters) / 4


@dataclass(frozen=True)
class Part:
    shape: str
    kind: str
    mode: str
    glh: Decimal | None
    counts: bool
    required: bool
    contents: tuple[tuple[Run, ...], ...] = ()  # live: each piece of content's runs, the original first
    tasks: tuple[bool, ...] = ()  # course: each task, core or optional


@dataclass(frozen=True)
class Share:
    """What one place did in one component."""

    marks: tuple[tuple[str | None, ...], ...] = ()  # live: a mark (or none) for each run of each content
    tasks_done: tuple[bool, ...] = ()  # course: each task done or not
    logged: tuple[Decimal, ...] = ()  # self-directed: hours per log; coaching: hours per session
    recorded_done: bool = False


@dataclass(frozen=True)
class Place:
    status: str
    group: int | None
    shares: tuple[Share, ...]


@dataclass(frozen=True)
class World:
    threshold: Decimal
    comparison: str
    margin: Decimal
    start: datetime.date
    end: datetime.date
    parts: tuple[Part, ...]
    places: tuple[Place, ...]


def hundredths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n) / 100)


runs = st.builds(
    Run,
    # Now and then a minute either side of NOW (or exactly at it); otherwise whole days away.
    end_minutes=st.one_of(
        st.sampled_from([-1, 0, 1]), st.integers(-300, 300).map(lambda days: days * 24 * 60)
    ),
    quarters=st.integers(1, 32),
    group=st.sampled_from([None, 0, 1]),
)
published_hours = st.integers(0, 400).map(lambda tenths: Decimal(tenths) / 10)


@st.composite
def parts(draw: st.DrawFn) -> Part:
    shape = draw(st.sampled_from([LIVE, COURSE, SELF_DIRECTED, COACHING, DONE_ONLY]))
    kind, mode = draw(st.sampled_from(KINDS[shape]))
    # Live components are often without published hours (then their sessions' length is planned); for
    # the others that is rarer (they then plan nothing).
    without_hours = st.booleans() if shape == LIVE else st.sampled_from([False, False, False, True])
    glh = None if draw(without_hours) else draw(published_hours)
    contents: tuple[tuple[Run, ...], ...] = ()
    tasks: tuple[bool, ...] = ()
    if shape == LIVE:
        # 0–5 pieces of content; each an original and up to two repeats.
        contents = tuple(
            tuple(content) for content in draw(st.lists(st.lists(runs, min_size=1, max_size=3), max_size=5))
        )
    elif shape == COURSE:
        tasks = tuple(draw(st.lists(st.booleans(), max_size=4)))
    return Part(
        shape=shape,
        kind=kind,
        mode=mode,
        glh=glh,
        counts=draw(st.booleans()),
        required=draw(st.booleans()),
        contents=contents,
        tasks=tasks,
    )


marks = st.sampled_from([None, A.PRESENT, A.LATE, A.ABSENT, A.AUTHORISED_ABSENCE])


@st.composite
def shares(draw: st.DrawFn, part: Part) -> Share:
    logged: tuple[Decimal, ...] = ()
    if part.shape == SELF_DIRECTED:
        logged = tuple(draw(st.lists(st.integers(1, 240).map(lambda t: Decimal(t) / 10), max_size=3)))
    elif part.shape == COACHING:
        # Whole quarter hours (15 to 480 minutes), so that the hours are exact.
        logged = tuple(draw(st.lists(st.integers(1, 32).map(lambda q: Decimal(q) / 4), max_size=3)))
    return Share(
        marks=tuple(tuple(draw(marks) for _ in content) for content in part.contents),
        tasks_done=tuple(draw(st.booleans()) for _ in part.tasks),
        logged=logged,
        # A provider admin records a component done now and then, whatever its kind.
        recorded_done=draw(
            st.sampled_from([False, False, True]) if part.shape != DONE_ONLY else st.booleans()
        ),
    )


# Any threshold and margin, with a few percentages small timetables often come to exactly, so that
# "at least" and "more than", and lagging by exactly the margin, are tried at their edges.
thresholds = st.one_of(
    st.sampled_from([Decimal(v) for v in ("50", "66.67", "75", "80", "100")]), hundredths(5000, 10000)
)
margins = st.one_of(st.sampled_from([Decimal(v) for v in ("0", "25", "50")]), hundredths(0, 3000))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    programme_parts = tuple(draw(st.lists(parts(), min_size=1, max_size=4)))
    places = draw(
        st.lists(
            st.builds(
                Place,
                status=st.sampled_from(S.values),
                group=st.sampled_from([None, 0, 1]),
                shares=st.tuples(*(shares(part) for part in programme_parts)),
            ),
            min_size=1,
            max_size=3,
        )
    )
    # The cohort may not have started yet, be under way or be over by NOW.
    start = TODAY + datetime.timedelta(days=draw(st.integers(-700, 60)))
    end = start + datetime.timedelta(days=draw(st.integers(1, 700)))
    return World(
        threshold=draw(thresholds),
        comparison=draw(st.sampled_from(Programme.Comparison.values)),
        margin=draw(margins),
        start=start,
        end=end,
        parts=programme_parts,
        places=tuple(places),
    )


# Examples always tried, at the rule's edges (random thresholds seldom land exactly on them).

DAY = 24 * 60


def live_world(
    *, threshold: str, comparison: str, margin: str, over: int, to_come: int, attended: list[int]
) -> World:
    """One live component of one-hour sessions with as many hours as sessions, `over` of them held by NOW
    and `to_come` still to come; one active place for each number in `attended`, present at that many of
    the sessions held."""
    contents = tuple(
        (Run(end_minutes=-DAY if n < over else DAY, quarters=4, group=None),) for n in range(over + to_come)
    )
    part = Part(
        shape=LIVE,
        kind=K.WEBINAR,
        mode=M.ONLINE_LIVE,
        glh=Decimal(over + to_come),
        counts=True,
        required=True,
        contents=contents,
    )
    return World(
        threshold=Decimal(threshold),
        comparison=comparison,
        margin=Decimal(margin),
        start=TODAY - datetime.timedelta(days=100),
        end=TODAY + datetime.timedelta(days=100),
        parts=(part,),
        places=tuple(
            Place(
                status=S.ACTIVE,
                group=None,
                shares=(
                    Share(marks=tuple((A.PRESENT if n < count else None,) for n in range(len(contents)))),
                ),
            )
            for count in attended
        ),
    )


AT_LEAST, MORE_THAN = Programme.Comparison.AT_LEAST, Programme.Comparison.MORE_THAN
EDGES = [
    # 75.00% of a threshold of 75: met "at least", not "more than" (and then it cannot be reached either).
    live_world(threshold="75", comparison=AT_LEAST, margin="0", over=4, to_come=0, attended=[3, 2]),
    live_world(threshold="75", comparison=MORE_THAN, margin="0", over=4, to_come=0, attended=[3, 4]),
    # 50% so far is exactly the margin of 25 under 75 (not at risk); 25% is more than it (at risk).
    live_world(threshold="75", comparison=AT_LEAST, margin="25", over=4, to_come=8, attended=[2, 1]),
    # A cohort ending today is still open: self-paced hours can still be done (and all of them are due).
    World(
        threshold=Decimal("90"),
        comparison=AT_LEAST,
        margin=Decimal("10"),
        start=TODAY - datetime.timedelta(days=100),
        end=TODAY,
        parts=(
            Part(
                shape=SELF_DIRECTED,
                kind=K.SELF_DIRECTED,
                mode=M.SELF_DIRECTED,
                glh=Decimal("10"),
                counts=True,
                required=True,
            ),
        ),
        places=(Place(status=S.ACTIVE, group=None, shares=(Share(logged=(Decimal("2"),)),)),),
    ),
]


# The reference: the docstring's rule in plain Python -------------------------------------------------------


def rounded(value: Decimal, places: int) -> Decimal:
    """PostgreSQL's ROUND(numeric, places): half away from zero (values here are never negative)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def meets(percent: Decimal, threshold: Decimal, comparison: str) -> bool:
    return percent >= threshold if comparison == Programme.Comparison.AT_LEAST else percent > threshold


@dataclass(frozen=True)
class Measured:
    evidence: str
    counted: bool
    planned: Decimal
    credited: Decimal
    due: Decimal
    possible: Decimal
    done: bool
    sessions_timetabled: int
    sessions_over: int
    sessions_attended: int


def measure_part(world: World, part: Part, place: Place, share: Share) -> Measured:
    cohort_days = (world.end - world.start).days
    # Self-paced hours fall due in proportion to how much of the cohort has passed (by the date).
    elapsed = min(max((TODAY - world.start).days, 0), cohort_days)
    still_open = TODAY <= world.end

    # The place's timetable: the cohort's sessions and its own group's. A session and its repeats are one
    # piece of content, over when its last run (on this timetable) has ended; attending any run of it —
    # Silent: even a run that is another group's — counts once, if the content is on the place's timetable.
    contents = []  # (hours, over, attended) of each piece of content on the timetable
    for runs_, marks_ in zip(part.contents, share.marks, strict=True):
        mine = [run for run in runs_ if run.group is None or run.group == place.group]
        if mine:
            contents.append(
                (
                    max(run.hours for run in mine),  # Silent: a content's length is its longest run's
                    max(run.end_minutes for run in mine) <= 0,  # ending exactly at NOW is over
                    any(mark in ATTENDED for mark in marks_),
                )
            )
    core = [done for done, is_core in zip(share.tasks_done, part.tasks, strict=True) if is_core]
    logged = sum(share.logged, ZERO)
    evidence = EVIDENCE[part.shape]

    # Attendance is measured in pieces of content where hours are published, else in hours.
    def units(selected) -> Decimal:
        chosen = [c for c in contents if selected(c)]
        return Decimal(len(chosen)) if part.glh is not None else sum((c[0] for c in chosen), ZERO)

    total = units(lambda c: True)
    over = units(lambda c: c[1])
    attended = units(lambda c: c[2])
    attended_to_come = units(lambda c: c[2] and not c[1])

    # Planned: the published hours; where none, a timetabled component's session lengths, else nothing.
    if part.glh is not None:
        planned = part.glh
    elif evidence == "attendance":
        planned = total
    else:
        planned = ZERO

    # Credited.
    if share.recorded_done:
        credited = planned
    elif evidence == "attendance":
        credited = rounded(planned * attended / total, 4) if total else ZERO
    elif evidence == "tasks":
        # Silent: a course without core tasks credits nothing unless it is recorded done.
        credited = rounded(planned * sum(core) / len(core), 4) if core else ZERO
    elif evidence in ("learning_log", "coaching_log"):
        credited = min(rounded(logged, 4), planned)
    else:
        credited = ZERO

    # Due so far: sessions over or attended; self-paced hours by how much of the cohort has passed.
    if evidence == "attendance":
        # Silent: a live component with nothing timetabled for the place has nothing due yet.
        due = rounded(planned * (over + attended_to_come) / total, 4) if total else ZERO
    else:
        due = rounded(planned * elapsed / cohort_days, 4)

    # Still possible: credited plus what is still to come.
    if share.recorded_done:
        possible = planned
    elif evidence == "attendance" and total:
        still_to_come = total - over - attended_to_come  # sessions not yet over and not yet attended
        # What is to come is rounded down, so that the sum is never more than the planned hours.
        possible = credited + (planned * still_to_come / total).quantize(
            Decimal("0.0001"), rounding=ROUND_DOWN
        )
    elif still_open:
        # Self-paced work until the cohort ends (Silent: also a live component with nothing timetabled).
        possible = planned
    else:
        possible = credited

    # Done (for required components outside engagement).
    if share.recorded_done:
        done = True
    elif evidence == "attendance":
        done = total > 0 and attended >= total
    elif evidence == "tasks":
        done = bool(core) and all(core)
    elif evidence in ("learning_log", "coaching_log"):
        # Silent: with no planned hours, any logged time is enough.
        done = logged >= planned if planned > 0 else logged > 0
    else:
        done = False

    return Measured(
        evidence=evidence,
        counted=part.counts and planned > 0,
        planned=planned,
        credited=credited,
        due=due,
        possible=possible,
        done=done,
        sessions_timetabled=len(contents),
        sessions_over=sum(1 for c in contents if c[1]),
        sessions_attended=sum(1 for c in contents if c[2]),
    )


def expected(world: World, place: Place) -> tuple[dict[str, object], list[Measured]]:
    measured = [
        measure_part(world, part, place, share) for part, share in zip(world.parts, place.shares, strict=True)
    ]
    counted = [m for m in measured if m.counted]
    planned = sum((m.planned for m in counted), ZERO)
    credited = sum((m.credited for m in counted), ZERO)
    due = sum((m.due for m in counted), ZERO)
    # Being ahead on self-paced work does not hide sessions missed: each component's credit counts to date
    # only up to what is due of it.
    credited_due = sum((min(m.credited, m.due) for m in counted), ZERO)
    possible = sum((m.possible for m in counted), ZERO)
    percent = rounded(credited * 100 / planned, 2) if planned else None
    to_date = rounded(credited_due * 100 / due, 2) if due else None
    maximum = rounded(possible * 100 / planned, 2) if planned else None
    core_done = core_total = 0
    for part, share in zip(world.parts, place.shares, strict=True):
        if part.shape == COURSE:
            core_total += sum(part.tasks)
            core_done += sum(
                1 for done, core in zip(share.tasks_done, part.tasks, strict=True) if core and done
            )
    required_missing = sum(
        1
        for part, m in zip(world.parts, measured, strict=True)
        # Required and not measured by the engagement hours (outside them, or counted with no hours).
        if part.required and not (part.counts and m.planned > 0) and not m.done
    )
    meets_threshold = percent is not None and meets(percent, world.threshold, world.comparison)
    cannot_reach = maximum is not None and not meets(maximum, world.threshold, world.comparison)
    lagging = to_date is not None and world.threshold - to_date > world.margin
    figures = {
        "planned_hours": planned,
        "credited_hours": credited,
        "due_hours": due,
        "credited_due_hours": credited_due,
        "possible_hours": possible,
        "percent": percent,
        "to_date_percent": to_date,
        "max_percent": maximum,
        "core_tasks_done": core_done,
        "core_tasks_total": core_total,
        "required_missing": required_missing,
        "meets_threshold": meets_threshold,
        "eligible": meets_threshold and core_done == core_total and required_missing == 0,
        "at_risk": place.status in (S.ACTIVE, S.DEFERRED) and (cannot_reach or lagging),
    }
    return figures, measured


FIELDS = (*service.COLUMNS, "meets_threshold", "eligible", "at_risk")


# Building a world in the database ---------------------------------------------------------------------------


def build(
    world: World, provider: Provider, participants: list[Participant]
) -> tuple[int, list[int], list[Enrolment]]:
    """The world's programme, cohort, timetable and places, in a few bulk inserts; returns the cohort id,
    the component ids (in the world's order) and the places (in the world's order)."""
    programme = ProgrammeFactory(
        provider=provider,
        engagement_threshold=world.threshold,
        engagement_comparison=world.comparison,
        at_risk_margin=world.margin,
    )
    cohort = CohortFactory(programme=programme, start_date=world.start, end_date=world.end)
    groups = DeliveryGroup.objects.bulk_create(
        DeliveryGroup(cohort=cohort, name=f"Group {n}") for n in range(2)
    )
    components = Component.objects.bulk_create(
        Component(
            programme=programme,
            kind=part.kind,
            mode=part.mode,
            title=f"Part {index}",
            guided_learning_hours=part.glh,
            counts_toward_engagement=part.counts,
            required=part.required,
            position=index,
        )
        for index, part in enumerate(world.parts)
    )

    def session(index: int, k: int, r: int, run: Run, original: Session | None = None) -> Session:
        ends_at = NOW + datetime.timedelta(minutes=run.end_minutes)
        return Session(
            cohort=cohort,
            component=components[index],
            group=None if run.group is None else groups[run.group],
            title=f"Part {index} content {k} run {r}",
            starts_at=ends_at - datetime.timedelta(minutes=15 * run.quarters),
            ends_at=ends_at,
            repeat_of=original,
        )

    # sessions[(index, k, r)]: run r of content k of component `index` (run 0 the original).
    sessions: dict[tuple[int, int, int], Session] = {}
    for index, part in enumerate(world.parts):
        for k, content in enumerate(part.contents):
            sessions[index, k, 0] = session(index, k, 0, content[0])
    Session.objects.bulk_create(sessions.values())
    repeats = {
        (index, k, r): session(index, k, r, run, sessions[index, k, 0])
        for index, part in enumerate(world.parts)
        for k, content in enumerate(part.contents)
        for r, run in enumerate(content)
        if r
    }
    Session.objects.bulk_create(repeats.values())
    sessions.update(repeats)

    courses = {index: part for index, part in enumerate(world.parts) if part.shape == COURSE}
    modules = dict(
        zip(
            courses,
            Module.objects.bulk_create(Module(course=components[index], title="Module") for index in courses),
            strict=True,
        )
    )
    tasks = {
        (index, j): Task(module=modules[index], title=f"Task {j}", core=core, position=j)
        for index, part in courses.items()
        for j, core in enumerate(part.tasks)
    }
    Task.objects.bulk_create(tasks.values())

    places = Enrolment.objects.bulk_create(
        Enrolment(
            participant=participant,
            cohort=cohort,
            provider=programme.provider,
            status=place.status,
            group=None if place.group is None else groups[place.group],
        )
        for participant, place in zip(participants, world.places, strict=False)
    )
    attendances, task_completions, completions, learning_logs, coaching = [], [], [], [], []
    for enrolment, place in zip(places, world.places, strict=True):
        for index, (part, share) in enumerate(zip(world.parts, place.shares, strict=True)):
            component = components[index]
            for k, content_marks in enumerate(share.marks):
                for r, mark in enumerate(content_marks):
                    if mark is not None:
                        attendances.append(
                            Attendance(
                                enrolment=enrolment, session=sessions[index, k, r], status=mark, marked_at=NOW
                            )
                        )
            for j, done in enumerate(share.tasks_done):
                if done:
                    task_completions.append(
                        TaskCompletion(enrolment=enrolment, task=tasks[index, j], completed_on=TODAY)
                    )
            if share.recorded_done:
                completions.append(
                    ComponentCompletion(enrolment=enrolment, component=component, completed_on=TODAY)
                )
            for hours in share.logged:
                if part.shape == SELF_DIRECTED:
                    learning_logs.append(
                        LearningLog(
                            enrolment=enrolment,
                            component=component,
                            done_on=TODAY,
                            hours=hours,
                            activity="Reading",
                        )
                    )
                else:
                    coaching.append(
                        CoachingSession(
                            enrolment=enrolment,
                            component=component,
                            held_on=TODAY,
                            minutes=int(hours * 60),
                            focus="Finance",
                        )
                    )
    Attendance.objects.bulk_create(attendances)
    TaskCompletion.objects.bulk_create(task_completions)
    ComponentCompletion.objects.bulk_create(completions)
    LearningLog.objects.bulk_create(learning_logs)
    CoachingSession.objects.bulk_create(coaching)
    return cohort.pk, [c.pk for c in components], places


# The properties ---------------------------------------------------------------------------------------------


def stored(places: list[Enrolment]) -> dict[int, dict[str, object]]:
    """The stored Engagement row of each place (by id), every field but the place."""
    rows = Engagement.objects.filter(pk__in=[place.pk for place in places])
    return {row.pk: {field: getattr(row, field) for field in (*FIELDS, "computed_at")} for row in rows}


def edge_examples(test):
    for world in EDGES:
        test = example(world=world)(test)
    return test


@pytest.fixture
def participants(provider) -> list[Participant]:
    """People to give the places to (each example has its own cohort, so they can be used again)."""
    return [ParticipantFactory() for _ in range(3)]


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples every run, as tests/api/test_api_fuzz.py
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
@edge_examples
def test_stored_engagement_is_the_rule_worked_by_hand(provider, participants, world):
    # Each example in a transaction of its own, rolled back at its end.
    with transaction.atomic():
        cohort_id, component_ids, places = build(world, provider, participants)
        assert service.engagement_recompute(cohort_ids=[cohort_id], now=NOW) == len(places)
        rows = stored(places)
        for number, (place, enrolment) in enumerate(zip(world.places, places, strict=True)):
            want, want_parts = expected(world, place)
            row = rows[enrolment.pk]
            got = {field: row[field] for field in FIELDS}
            assert got == want, f"place {number}: stored {got}, the rule says {want}"

            measure, parts_measured = service.engagement_measure(enrolment_id=enrolment.pk, now=NOW)
            assert {field: getattr(measure, field) for field in FIELDS} == want, f"place {number} measured"
            by_component = {part.component_id: part for part in parts_measured}
            for index, (component_id, mine) in enumerate(zip(component_ids, want_parts, strict=True)):
                theirs = by_component[component_id]
                assert (
                    theirs.evidence,
                    theirs.counted,
                    theirs.planned_hours,
                    theirs.credited_hours,
                    theirs.due_hours,
                    theirs.possible_hours,
                    theirs.done,
                    theirs.sessions_timetabled,
                    theirs.sessions_over,
                    theirs.sessions_attended,
                ) == (
                    mine.evidence,
                    mine.counted,
                    mine.planned,
                    mine.credited,
                    mine.due,
                    mine.possible,
                    mine.done,
                    mine.sessions_timetabled,
                    mine.sessions_over,
                    mine.sessions_attended,
                ), f"component {index} of place {number}"

            # Percentages are percentages, and nothing credited is more than is still possible.
            if row["to_date_percent"] is not None:
                assert 0 <= row["to_date_percent"] <= 100
            if row["percent"] is not None:
                assert 0 <= row["percent"] <= row["max_percent"] <= 100
            assert 0 <= row["credited_due_hours"] <= row["due_hours"] <= row["planned_hours"]
            assert 0 <= row["credited_hours"] <= row["possible_hours"] <= row["planned_hours"]

        # Recomputing again changes nothing, and writes nothing; nor does recomputing every place (the nightly
        # run), which reads the tallies and plans the cohort's recompute counted.
        assert service.engagement_recompute(cohort_ids=[cohort_id], now=NOW) == 0
        assert stored(places) == rows
        assert service.engagement_recompute(now=NOW) == 0
        assert stored(places) == rows
        transaction.set_rollback(True)
