"""The national dataset for benchmarks: 40 providers, 1,200 cohorts, 50,000 enrolments (issue 9's scale),
with each programme's components (online courses with their modules and tasks), each cohort's timetable
(two delivery groups, 80 sessions and a repeat), and what happened up to the dataset's moment `NOW`: about
3,000,000 attendance marks, task completions, learning logs, coaching sessions and components recorded done.

And what the DfE quality metrics read (issue 8): 9,000 schools with their FSM share and performance band;
participants' sex, ethnicity (mostly White British, each provider with its own share of others) and disability;
each place's history of status changes (applied, accepted, active, deferred and back, withdrawn, completed or
failed); each programme's final assessment (legacy: two tasks whenever the participant chooses before their
deadline; reformed: a case study in a fixed window), about 40,000 submissions with their markings (second and
lead markings as the routing rules send them), results that match the place (completed: passed; failed: failed),
a moderation sample of each provider's results each month with the moderators' verdicts (a few disagreements,
which changed the result); about half a million 0-10 feedback ratings of sessions and of the programme; and each
provider's recruitment targets per recruitment year. A place's status follows its cohort's age at NOW: long
past the deadline, outcomes are known; past the last session, some are still to present; running, most are active.

Bulk inserts in batches (the large tables by COPY), no per-row saves, deterministic for a given seed on an empty
database. `scale` shrinks every count but the timetable for the smoke test in the normal suite.
`national_dataset()` generates it once per test session, for every benchmark module to share.
"""

import bisect
import csv
import datetime
import functools
import io
import json
import math
import random
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from assessment import routing
from assessment.marking import mark_scheme_create_default
from assessment.models import (
    Allocation,
    AssessmentTask,
    AssessmentWindow,
    AssessorProfile,
    Criterion,
    Extension,
    Marking,
    ModerationItem,
    ModerationSample,
    Result,
    ResultChange,
    Submission,
    SubmissionChange,
    SubmissionVersion,
)
from assessment.moderation import sample_plan
from assessment.services import scheme_create_default
from metrics.models import RecruitmentTarget
from npqel.demo_assessment import CASE_STUDY
from npqel.demo_marking import FEEDBACK, TOTALS
from participants.models import Enrolment, EnrolmentChange, FeedbackRating, Participant, School
from programmes.models import (
    Cohort,
    Component,
    DeadlineExtension,
    DeliveryGroup,
    Module,
    Programme,
    Provider,
    Session,
    StaffMembership,
    Task,
    recruitment_year_of,
)
from programmes.timetable import add_months, local_datetime

BATCH = 5_000
# Rows per COPY statement: the attendance file is streamed in pieces of this size.
COPY_ROWS = 250_000
# The moment the dataset describes: every mark, completion and log is before it. Pass it as `now` to
# whatever measures the dataset (engagement) so the figures do not drift with the calendar.
NOW = local_datetime(datetime.date(2026, 11, 2), datetime.time(9, 0))
TODAY = NOW.date()
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
# Participants move through the lifecycle; what a cohort's places have reached depends on where the cohort is at
# NOW: long past its deadline to present (outcomes known: most passed, some withdrew, a few failed or are still
# deferred; applications that never became places), past its last session but not its deadline (many still to
# present), or still running (most active).
Status = Enrolment.Status
STATUS_WEIGHTS = {
    "finished": {
        Status.COMPLETED: 64,
        Status.FAILED: 6,
        Status.WITHDRAWN: 14,
        Status.DEFERRED: 3,
        Status.ACCEPTED: 1,
        Status.APPLIED: 12,
    },
    "presenting": {
        Status.COMPLETED: 36,
        Status.FAILED: 3,
        Status.ACTIVE: 40,
        Status.WITHDRAWN: 10,
        Status.DEFERRED: 5,
        Status.ACCEPTED: 2,
        Status.APPLIED: 4,
    },
    "running": {
        Status.ACTIVE: 80,
        Status.WITHDRAWN: 6,
        Status.DEFERRED: 4,
        Status.ACCEPTED: 5,
        Status.APPLIED: 5,
    },
}
# Outcomes are known this long after the deadline (the last scripts marked and moderated).
OUTCOMES_KNOWN_AFTER = datetime.timedelta(days=90)
# DfE's deadline to present: 18 months from the start, 24 for starts on or after 1 July 2018 (a programme rule,
# DeadlineExtension, on every programme here).
DEADLINE_MONTHS = 18
EXTENDED_FROM = datetime.date(2018, 7, 1)
EXTENDED_MONTHS = 24
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

# Schools, and the equality data metrics 2, 3 and 7 compare groups by.
SCHOOLS = 9_000
# England's regions, each with how its schools' FSM shares compare with the country's.
REGIONS = {
    "North East": 1.3,
    "North West": 1.2,
    "Yorkshire and the Humber": 1.1,
    "East Midlands": 1.0,
    "West Midlands": 1.15,
    "East of England": 0.85,
    "London": 1.25,
    "South East": 0.8,
    "South West": 0.85,
}
LONDON = list(REGIONS).index("London")
TOWNS = [
    "Ashford",
    "Barnfield",
    "Castleton",
    "Denby",
    "Eastwick",
    "Fairholme",
    "Greenway",
    "Highbury",
    "Ingleby",
]
PHASE_WEIGHTS = {
    School.Phase.PRIMARY: 55,
    School.Phase.SECONDARY: 22,
    School.Phase.SPECIAL: 5,
    School.Phase.ALL_THROUGH: 3,
    School.Phase.ALTERNATIVE: 2,
    School.Phase.SIXTEEN_PLUS: 1,
    School.Phase.EARLY_YEARS: 1,
    School.Phase.TRUST: 9,
    School.Phase.OTHER: 2,
}
FSM_NOT_KNOWN = 0.03  # of schools
IN_A_TRUST = 0.65  # of schools
TRUSTS = 1_200
# Performance bands, by whether the school has 30% or more pupils on FSM (schools serving poorer areas are more
# often in the lower band), and for schools whose FSM share is not known.
BAND_WEIGHTS = {
    True: {"high": 15, "middle": 45, "low": 30, "": 10},
    False: {"high": 30, "middle": 45, "low": 15, "": 10},
    None: {"high": 20, "middle": 40, "low": 20, "": 20},
}
HOME_REGION_SHARE = 0.6  # of a provider's participants, from schools in its home region
SEX_WEIGHTS = {"female": 60, "male": 36, "prefer_not": 2, "": 2}
DISABILITY_WEIGHTS = {"no": 85, "yes": 5, "prefer_not": 3, "": 7}
AGE_WEIGHTS = {"under_35": 3, "35_44": 30, "45_54": 44, "55_plus": 19, "prefer_not": 1, "": 3}
# Ethnicity: refused or not obtained for a few; of the rest, each provider has its own share other than White
# British (more for a provider based in London); those are spread over the other codes as below.
ETHNICITY_REFUSED = 0.02
ETHNICITY_NOT_OBTAINED = 0.03
NON_WHITE_BRITISH = (0.06, 0.22)
LONDON_EXTRA = 0.2
OTHER_ETHNICITIES = {
    "WOTH": 28,
    "WIRI": 8,
    "WIRT": 1,
    "WROM": 1,
    "MWBC": 4,
    "MWBA": 2,
    "MWAS": 3,
    "MOTH": 2,
    "AIND": 12,
    "APKN": 8,
    "ABAN": 3,
    "AOTH": 4,
    "BCRB": 9,
    "BAFR": 10,
    "BOTH": 2,
    "CHNE": 1,
    "OOTH": 2,
}
# Status changes: a few who finished (or are still going) deferred for a while and came back; some who withdrew
# had deferred first and were withdrawn after a year away.
RESUMED_SHARE = 0.06
WITHDRAWN_AFTER_DEFERRING = 0.2
DEFERRAL_REASONS = ["bereavement", "long-term-sickness", "parental-leave", "career-break"]
WITHDRAWAL_REASONS = [
    "insufficient-capacity-to-undertake-programme",
    "personal-reason-health-or-pregnancy-related",
    "personal-reason-moving-school",
    "personal-reason-other",
    "change-in-developmental-or-personal-priorities",
    "change-in-school-circumstances",
    "change-in-school-leadership",
    "programme-not-appropriate-for-role-and-cpd-needs",
    "disengaged-and-unresponsive",
]
# Final assessment. A legacy task is submitted whenever the participant chooses from a year after the start to
# their deadline, mostly towards its end, a few after it (with an extension); a reformed case study in its fixed
# window, most on the last days. Places still active: some have submitted in the last month (waiting to be marked),
# some have uploaded without submitting.
LEGACY_OPENS_AFTER = datetime.timedelta(days=365)
CASE_STUDY_OPENS_BEFORE_END = datetime.timedelta(days=40)
LATE_SUBMISSION_SHARE = 0.03
ACTIVE_SUBMITTED = 0.2
ACTIVE_DRAFT = 0.15
# Scripts are marked within five weeks; outcomes are recorded only for places whose scripts were sent in by
# this long before NOW.
MARKED_WITHIN = (21, 35)  # days after submission
MARKED_BY = datetime.timedelta(days=40)
# The first assessor's outcome: a share of scripts that end up passing (or failing) was borderline at first.
BORDERLINE = {"pass": 0.08, "fail": 0.2}
# A second assessor who finds borderline a script the first passed or failed (the lead then decides).
SECOND_DIFFERS = 0.05
# Moderation: each provider's results of a month, 10% at random plus every borderline script and one of every
# assessor's, drawn two days into the next month; the moderators record their verdicts within ten days, and the
# provider releases the month's results two days after the last. A few verdicts disagree, which changes the result.
MODERATION_RATE = 10
DISAGREE_SHARE = 0.03
MODERATORS = 3
DISAGREEMENT = (
    "The response does not meet the descriptors the assessors credited: the justification of the chosen "
    "solutions and the implementation stages fall on the other side of the pass mark."
)
LEAD_RATIONALE = (
    "I read the script against every criterion's descriptors: the outcome is decided by the quality of the "
    "justification and the implementation plan."
)
# Feedback: a share of the sessions each place attended is rated, and most who finished rate the whole programme;
# each provider's ratings centre on its own mean (a few below DfE's goal of 6).
SESSION_FEEDBACK_SHARE = 0.2
PROGRAMME_FEEDBACK_SHARE = 0.55
RATING_MEANS = (5.6, 9.0)
RATING_SPREAD = 1.6
RATED_AFTER = [datetime.timedelta(minutes=30), datetime.timedelta(hours=20), datetime.timedelta(days=3)]
ATTENDED = frozenset({"present", "late"})
# Targets per provider and recruitment year: recruited ÷ target spread around 100%; a few years have none set.
TARGET_REACHED = (0.8, 1.15)
FSM_TARGETS = [Decimal(n) for n in (20, 25, 30, 35, 40)]
NON_WHITE_BRITISH_TARGETS = [Decimal(n) for n in ("10", "12.5", "15", "20", "25")]
NO_TARGET_SHARE = 0.04


@dataclass
class Timings:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    # The dataset was found in the database, kept by --reuse-db from an earlier run, and not generated (or timed).
    kept: bool = False

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
    provider_index: int = 0
    user_id: int = 0
    # For a place withdrawn or deferred: the day it stopped (after its last register), set with the marks.
    stopped_on: datetime.date | None = None


@dataclass
class _Slot:
    session_id: int
    group_id: int | None
    ends_at: datetime.datetime
    facilitator_id: int | None
    repeat_of_id: int | None = None


def _deadline(start: datetime.date) -> datetime.date:
    """The last day to present for a place that started on `start` (no deferral)."""
    return add_months(start, EXTENDED_MONTHS if start >= EXTENDED_FROM else DEADLINE_MONTHS)


def _phase(cohort: Cohort) -> str:
    """Where the cohort is at NOW: running, presenting (past its last session, not its deadline) or finished."""
    if cohort.end_date >= TODAY:
        return "running"
    if _deadline(cohort.start_date) + OUTCOMES_KNOWN_AFTER < TODAY:
        return "finished"
    return "presenting"


SCHOOL_NAMES = {
    School.Phase.PRIMARY: "Primary School",
    School.Phase.SECONDARY: "Academy",
    School.Phase.SPECIAL: "Special School",
    School.Phase.ALL_THROUGH: "All-through School",
    School.Phase.ALTERNATIVE: "Pupil Referral Unit",
    School.Phase.SIXTEEN_PLUS: "Sixth Form College",
    School.Phase.EARLY_YEARS: "Nursery School",
    School.Phase.TRUST: "Learning Trust (central team)",
    School.Phase.OTHER: "Education Centre",
}


def _schools(rng: random.Random, count: int) -> Iterator[School]:
    """Schools spread over the regions in turn (school i is in region i % 9), each with an FSM share (a skewed
    curve around England's 25%, higher in some regions; a few not known) and a performance band that leans on it."""
    regions = list(REGIONS)
    phases, phase_weights = list(PHASE_WEIGHTS), list(PHASE_WEIGHTS.values())
    bands = {key: (list(w), list(w.values())) for key, w in BAND_WEIGHTS.items()}
    for i in range(count):
        region = regions[i % len(regions)]
        town = TOWNS[i // len(regions) % len(TOWNS)]
        phase = rng.choices(phases, phase_weights)[0]
        fsm = None
        if rng.random() >= FSM_NOT_KNOWN:
            share = min(95.0, rng.betavariate(2, 6) * 100 * REGIONS[region])
            fsm = Decimal(share).quantize(Decimal("0.01"))
        names, weights = bands[None if fsm is None else fsm >= 30]
        yield School(
            urn=f"{100000 + i}",
            name=f"{town} {SCHOOL_NAMES[phase]} {i}",
            phase=phase,
            local_authority=f"{town} Council",
            region=region,
            trust=f"{town} Learning Trust {rng.randrange(TRUSTS)}" if rng.random() < IN_A_TRUST else "",
            fsm_percent=fsm,
            pupil_premium_top_half=None if fsm is None else fsm >= 20,
            performance_band=rng.choices(names, weights)[0],
        )


_OTHER_CODES, _OTHER_WEIGHTS = list(OTHER_ETHNICITIES), list(OTHER_ETHNICITIES.values())
_CHOICES = {
    name: (list(weights), list(weights.values()))
    for name, weights in (("sex", SEX_WEIGHTS), ("disability", DISABILITY_WEIGHTS), ("age_band", AGE_WEIGHTS))
}


def _equality_data(
    rng: random.Random, schools: list[School], provider_index: int, diversity: list[float]
) -> dict[str, object]:
    """A participant's school (mostly in their provider's home region), equality data and DfE participant ID."""
    home = provider_index % len(REGIONS)
    if rng.random() < HOME_REGION_SHARE:
        in_region = (len(schools) - 1 - home) // len(REGIONS) + 1
        school = schools[home + len(REGIONS) * rng.randrange(in_region)]
    else:
        school = schools[rng.randrange(len(schools))]
    u = rng.random()
    if u < ETHNICITY_REFUSED:
        ethnicity = Participant.Ethnicity.REFU
    elif u < ETHNICITY_REFUSED + ETHNICITY_NOT_OBTAINED:
        ethnicity = Participant.Ethnicity.NOBT
    elif rng.random() < diversity[provider_index]:
        ethnicity = rng.choices(_OTHER_CODES, _OTHER_WEIGHTS)[0]
    else:
        ethnicity = Participant.Ethnicity.WBRI
    return {
        "school": school,
        "ethnicity_code": ethnicity,
        **{name: rng.choices(values, weights)[0] for name, (values, weights) in _CHOICES.items()},
        "dfe_participant_id": uuid.UUID(int=rng.getrandbits(128), version=4),
    }


def generate(*, scale: float = 1.0, seed: int = 2026) -> Timings:
    """Fill the (empty) database in one transaction; returns per-step row counts and timings, the commit's
    (when the deferred foreign-key checks run) among them."""
    timings = Timings()
    with transaction.atomic():
        _fill(timings, scale=scale, seed=seed)
        with timings.step("analyze"), connection.cursor() as cursor:
            # As autovacuum would after a bulk load, so that the planner knows the tables' sizes (it counts this
            # transaction's own rows): planned for empty tables, the engagement recompute's joins run for
            # minutes instead of a second.
            cursor.execute("ANALYZE")
        committing = time.perf_counter()
    timings.seconds["commit"] = time.perf_counter() - committing
    return timings


_generated: Timings | None = None


def national_dataset() -> Timings:
    """The full dataset, generated (and its timings printed) the first time a benchmark module asks in this test
    session and shared by the others; generated again if a transactional test has emptied the database since.
    Call it with the database unblocked, outside a test's transaction."""
    global _generated
    there = Provider.objects.filter(slug="provider-00").exists()
    if _generated is None and there:
        # Kept by --reuse-db from an earlier run: generate() commits all of it or nothing, so it is whole.
        print("\nThe national dataset is kept from an earlier run (--reuse-db): not generated again.")
        _generated = Timings(kept=True)
    if _generated is None or not there:
        _generated = generate()
        print("\nGenerating the national dataset:\n" + _generated.report())
        with connection.cursor() as cursor:
            # As autovacuum would after a bulk load: the planner knows the sizes, and the first query to read
            # the freshly loaded rows does not pay for setting their hint bits.
            cursor.execute("VACUUM ANALYZE")
    return _generated


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

    people = random.Random(
        f"{seed}:people"
    )  # equality data and schools: the original draws stay as they were
    with timings.step("schools"):
        schools = School.objects.bulk_create(
            _schools(people, _scaled(SCHOOLS, scale, len(REGIONS))), batch_size=BATCH
        )
    timings.rows["schools"] = len(schools)

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
        # Participant i's place is on cohort i % cohorts, of provider (i % cohorts) % providers.
        diversity = [
            people.uniform(*NON_WHITE_BRITISH) + (LONDON_EXTRA if n % len(REGIONS) == LONDON else 0)
            for n in range(n_providers)
        ]
        participants = Participant.objects.bulk_create(
            (
                Participant(
                    user=u,
                    job_role=rng.choice(["Executive headteacher", "CEO", "Director of education"]),
                    **_equality_data(people, schools, (i % n_cohorts) % n_providers, diversity),
                )
                for i, u in enumerate(users)
            ),
            batch_size=BATCH,
        )
    timings.rows["participants"] = len(participants)

    with timings.step("enrolments"):
        weights_of = {phase: (list(w), list(w.values())) for phase, w in STATUS_WEIGHTS.items()}
        provider_of_programme = {p.pk: p.provider_id for p in programmes}
        enrolments = []
        phases = [_phase(c) for c in cohorts]
        for i, participant in enumerate(participants):
            index = i % len(cohorts)
            cohort = cohorts[index]
            provider_id = provider_of_programme[cohort.programme_id]
            n = i // len(cohorts)  # the place's number on its cohort
            statuses, weights = weights_of[phases[index]]
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
    provider_index = {p.pk: n for n, p in enumerate(providers)}
    places_of: list[list[_Place]] = [[] for _ in cohorts]
    for i, e in enumerate(enrolments):
        index = i % len(cohorts)
        places_of[index].append(
            _Place(
                e.pk,
                index,
                e.group_id,
                e.coach_id,
                admin_of[e.provider_id],
                e.status,
                provider_index[e.provider_id],
                e.participant.user_id,
            )
        )
    timetable_of: list[list[_Slot]] = [[] for _ in cohorts]
    cohort_index = {c.pk: index for index, c in enumerate(cohorts)}
    for s in [*sessions, *repeats]:
        timetable_of[cohort_index[s.cohort_id]].append(
            _Slot(s.pk, s.group_id, s.ends_at, s.facilitator_id, s.repeat_of_id)
        )
    for slots in timetable_of:
        slots.sort(key=lambda slot: (slot.ends_at, slot.session_id))

    # Feedback on the sessions attended is drawn with the marks, from its own generator (the marks stay as they
    # were), and loaded with the programme ratings after the assessment.
    feedback = random.Random(f"{seed}:feedback")
    ratings = _Ratings(feedback, [_rating_scale(feedback.uniform(*RATING_MEANS)) for _ in providers])
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
            _attendance_lines(rng, places_of, timetable_of, ratings),
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

    world = _World(
        providers=providers,
        programmes=programmes,
        cohorts=cohorts,
        places=[place for places in places_of for place in places],
        staff_of=staff_of,
        password=password,
        ratings=ratings,
    )
    _metrics_evidence(timings, world, seed=seed)


@dataclass
class _Ratings:
    """Feedback ratings drawn while the registers are: each provider's chances of each rating (cumulative, 0 to
    10), and the CSV lines of the ratings drawn."""

    rng: random.Random
    scales: list[list[float]]
    lines: list[str] = field(default_factory=list)


def _rating_scale(mean: float) -> list[float]:
    """Cumulative chances of the ratings 0 to 10: a normal curve around `mean`, cut at 0 and 10."""
    weights = [math.exp(-((k - mean) ** 2) / (2 * RATING_SPREAD**2)) for k in range(11)]
    total = sum(weights)
    running, scale = 0.0, []
    for w in weights:
        running += w / total
        scale.append(running)
    scale[-1] = 1.0
    return scale


def _attendance_lines(
    rng: random.Random, places_of: list[list[_Place]], timetable_of: list[list[_Slot]], ratings: _Ratings
) -> Iterator[str]:
    """Each register taken before NOW, for the places expected at it (the cohort's sessions and their own
    group's): mostly present, some late, absent or absent with permission; a few marks corrected later.
    Places not started have none; withdrawn and deferred ones stop part way (the day they stopped is kept on the
    place). The repeat of a session is marked only for those who missed the first run, most of whom catch up.
    A share of the sessions attended is rated (into `ratings`, from its own generator)."""
    random_ = rng.random
    rate = ratings.rng.random
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
        # Ratings come in that evening, the next day or a few days later (never after NOW).
        rated_stamps = {
            slot.session_id: [min(slot.ends_at + after, NOW).isoformat() for after in RATED_AFTER]
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
                place.stopped_on = min(
                    timezone.localdate(slots[stop - 1].ends_at) + datetime.timedelta(days=7), TODAY
                )
            scale = ratings.scales[place.provider_index]
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
                if status in ATTENDED and rate() < SESSION_FEEDBACK_SHARE:
                    rating = min(10, bisect.bisect(scale, rate()))
                    rated_at = rated_stamps[slot.session_id][int(rate() * len(RATED_AFTER))]
                    ratings.lines.append(f"{place.enrolment_id},{slot.session_id},{rating},,{rated_at}\n")


# What the DfE metrics read (issue 8) -----------------------------------------------------------------------------


@dataclass
class _World:
    """The rows the metrics' evidence is built on."""

    providers: list[Provider]
    programmes: list[Programme]
    cohorts: list[Cohort]
    places: list[_Place]
    staff_of: dict[tuple[int, str], list[User]]
    password: str
    ratings: _Ratings


@dataclass
class _Setup:
    """Each programme's final assessment and who marks and moderates it."""

    tasks_of: dict[int, list[AssessmentTask]]  # programme id → its tasks, in order
    criteria_of: dict[
        int, list[tuple[int, int, int]]
    ]  # task id → (criterion id, least, most) of its mark scheme
    windows: dict[tuple[int, int], AssessmentWindow]  # (cohort id, task id) → window
    assessors_of: list[list[int]]  # provider index → its assessors' user ids, the lead last
    admins: list[int]  # provider index → its first admin's user id
    moderators: list[int]


@dataclass
class _Script:
    """One submission (one task, first attempt), and for one with an outcome what its marking came to."""

    place: _Place
    task: AssessmentTask
    uploaded_at: datetime.datetime
    submitted_at: datetime.datetime | None  # None: uploaded, not submitted
    due: datetime.date  # the last day it was due, before any extension
    outcome: str = ""  # the result it ends with, pass or fail ("" while not marked)
    id: int = 0
    candidate: str = ""
    first: str = ""  # the first assessor's outcome (pass, borderline or fail)
    second: str = ""  # the second assessor's ("" when not second-marked)
    lead: bool = False  # the lead assessor decided
    assessor: int = 0  # the first assessor
    decided_at: datetime.datetime | None = None
    result_id: int = 0
    released_at: datetime.datetime | None = None
    disagreed: tuple[int, datetime.datetime] | None = None  # the moderator who changed the result, and when
    late: bool = field(init=False)  # sent in after the day it was due (under an extension)

    def __post_init__(self) -> None:
        self.late = self.submitted_at is not None and timezone.localdate(self.submitted_at) > self.due

    @property
    def status(self) -> str:
        if self.submitted_at is None:
            return Submission.Status.DRAFT
        return Submission.Status.LATE_WITH_EXTENSION if self.late else Submission.Status.SUBMITTED

    @property
    def borderline(self) -> bool:
        return "borderline" in (self.first, self.second)

    @property
    def marked_outcome(self) -> str:
        """The outcome before moderation: the assessors' (or the lead's)."""
        return _other(self.outcome) if self.disagreed else self.outcome


def _other(outcome: str) -> str:
    return "fail" if outcome == "pass" else "pass"


def _reserve_ids(model: type, count: int) -> range:
    """`count` ids from the table's sequence, for rows loaded by COPY that others must point at."""
    if not count:
        return range(0)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        first = cursor.fetchone()[0]
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + count - 1])
    return range(first, first + count)


@contextmanager
def _bulk_loads(*models: type) -> Iterator[None]:
    """_bulk_load for several tables that point at each other: every key is put back once all are loaded."""
    with ExitStack() as stack:
        for model in models:
            stack.enter_context(_bulk_load(model._meta.db_table))
        yield


def _metrics_evidence(timings: Timings, w: _World, *, seed: int) -> None:
    rng = random.Random(f"{seed}:assessment")
    with timings.step("assessment schemes"):
        setup = _assessment_setup(w)
    timings.rows["assessment schemes"] = len(setup.windows)

    with timings.step("submissions"):
        scripts, resumed = _plan_submissions(rng, w, setup)
        _write_submissions(rng, setup, scripts)
    timings.rows["submissions"] = len(scripts)

    with timings.step("results"):
        marked = [s for s in scripts if s.outcome]
        samples = _plan_marking(rng, w, setup, marked)
        _write_marking(rng, setup, scripts)
    timings.rows["results"] = len(marked)

    with timings.step("moderation"):
        timings.rows["moderation"] = _write_moderation(samples)

    history = random.Random(f"{seed}:history")
    with timings.step("enrolment history"), _bulk_loads(EnrolmentChange):
        timings.rows["enrolment history"] = _copy(
            EnrolmentChange._meta.db_table,
            [
                "enrolment_id",
                "from_status",
                "to_status",
                "effective_on",
                "reason",
                "note",
                "changed_by_id",
                "recorded_at",
                "imported",
            ],
            _csv_lines(_history_rows(history, w, scripts, resumed)),
            not_null=["from_status", "reason", "note"],
        )

    with timings.step("feedback"), _bulk_loads(FeedbackRating):
        timings.rows["feedback"] = _copy(
            FeedbackRating._meta.db_table,
            ["enrolment_id", "session_id", "rating", "comment", "rated_at"],
            [*w.ratings.lines, *_programme_ratings(w)],
            not_null=["comment"],
        )

    with timings.step("targets"):
        targets = RecruitmentTarget.objects.bulk_create(
            _targets(random.Random(f"{seed}:targets"), w, setup), batch_size=BATCH
        )
    timings.rows["targets"] = len(targets)


def _assessment_setup(w: _World) -> _Setup:
    """Each programme's standard scheme and mark schemes (the services that make them), its deadline policy, a
    window for each cohort and task, the assessors' profiles (each provider's last assessor leads) and the QA
    agent's moderators."""
    for programme in w.programmes:
        for task in scheme_create_default(by=None, programme=programme).tasks.all():
            mark_scheme_create_default(by=None, task=task)
    DeadlineExtension.objects.bulk_create(
        DeadlineExtension(
            programme=programme,
            applies_from=EXTENDED_FROM,
            months=EXTENDED_MONTHS,
            reason="DfE: 24 months to present for participants starting from 1 July 2018",
        )
        for programme in w.programmes
    )
    tasks_of: dict[int, list[AssessmentTask]] = {}
    for task in (
        AssessmentTask.objects.filter(scheme__programme__in=w.programmes)
        .select_related("scheme", "mark_scheme")
        .order_by("scheme__programme_id", "number")
    ):
        tasks_of.setdefault(task.scheme.programme_id, []).append(task)
    criteria_of: dict[int, list[tuple[int, int, int]]] = {}
    for task_id, pk, least, most in (
        Criterion.objects.filter(scheme__task__scheme__programme__in=w.programmes)
        .values_list("scheme__task_id", "pk", "min_mark", "max_mark")
        .order_by("scheme_id", "number")
    ):
        criteria_of.setdefault(task_id, []).append((pk, least, most))
    admins = [w.staff_of[p.pk, "provider_admin"][0].pk for p in w.providers]
    windows = []
    for index, cohort in enumerate(w.cohorts):
        for task in tasks_of[cohort.programme_id]:
            fixed = task.window_kind == AssessmentTask.WindowKind.FIXED
            opens = (
                cohort.end_date - CASE_STUDY_OPENS_BEFORE_END
                if fixed
                else cohort.start_date + LEGACY_OPENS_AFTER
            )
            windows.append(
                AssessmentWindow(
                    cohort=cohort,
                    task=task,
                    opens_on=opens,
                    closes_on=opens + datetime.timedelta(days=task.window_days - 1) if fixed else None,
                    case_study_title="Northfield Learning Trust: three schools, falling rolls"
                    if fixed
                    else "",
                    case_study=CASE_STUDY if fixed else "",
                    created_by_id=admins[index % len(w.providers)],
                )
            )
    AssessmentWindow.objects.bulk_create(windows, batch_size=BATCH)
    assessors_of = [[u.pk for u in w.staff_of[p.pk, "assessor"]] for p in w.providers]
    AssessorProfile.objects.bulk_create(
        AssessorProfile(user_id=pk, is_lead=n == len(pool) - 1)
        for pool in assessors_of
        for n, pk in enumerate(pool)
    )
    moderators = User.objects.bulk_create(
        User(
            email=f"moderator-{n}@qa.example",
            full_name=f"Moderator {n}",
            password=w.password,
            is_moderator=True,
        )
        for n in range(MODERATORS)
    )
    return _Setup(
        tasks_of=tasks_of,
        criteria_of=criteria_of,
        windows={(window.cohort_id, window.task_id): window for window in windows},
        assessors_of=assessors_of,
        admins=admins,
        moderators=[u.pk for u in moderators],
    )


@functools.lru_cache(maxsize=8192)
def _midnight(day: datetime.date) -> datetime.datetime:
    return local_datetime(day, datetime.time(0, 0))


def _at(
    rng: random.Random, day: datetime.date, first_hour: int = 7, last_hour: int = 22
) -> datetime.datetime:
    """A moment on `day` between the hours given, local time (aware arithmetic keeps the wall clock)."""
    hours, minutes = rng.randint(first_hour, last_hour), rng.randint(0, 59)
    return _midnight(day) + datetime.timedelta(hours=hours, minutes=minutes)


def _plan_submissions(
    rng: random.Random, w: _World, setup: _Setup
) -> tuple[list[_Script], dict[int, tuple[datetime.date, datetime.date]]]:
    """Every script, and the places that deferred for a while and came back (enrolment id → away, back).
    Places that passed or failed sent in every task (results from them are known, so by MARKED_BY before NOW);
    a place that came back from deferring presents late, under an extension, as do a few others."""
    latest = TODAY - MARKED_BY
    scripts: list[_Script] = []
    resumed: dict[int, tuple[datetime.date, datetime.date]] = {}
    for place in w.places:
        if place.status not in (Status.COMPLETED, Status.FAILED, Status.ACTIVE):
            continue
        cohort = w.cohorts[place.cohort_index]
        deadline = _deadline(cohort.start_date)
        if rng.random() < RESUMED_SHARE:
            away = cohort.start_date + datetime.timedelta(days=rng.randint(60, 240))
            back = away + datetime.timedelta(days=rng.randint(45, 150))
            if back < TODAY - datetime.timedelta(days=60):
                resumed[place.enrolment_id] = (away, back)
        tasks = setup.tasks_of[cohort.programme_id]
        if place.status == Status.ACTIVE:
            scripts += _active_scripts(rng, place, [setup.windows[cohort.pk, t.pk] for t in tasks], deadline)
            continue
        pause = resumed.get(place.enrolment_id)
        failing = rng.randrange(len(tasks))  # a place that failed failed this task (and perhaps the other)
        first_day: datetime.date | None = None
        for n, task in enumerate(tasks):
            window = setup.windows[cohort.pk, task.pk]
            if window.closes_on is not None:
                due = window.closes_on
                if pause:
                    day = due + (pause[1] - pause[0])
                else:
                    day = due - datetime.timedelta(days=min(task.window_days - 1, int(rng.expovariate(0.8))))
            else:
                due = deadline
                if first_day is not None:
                    day = first_day + datetime.timedelta(days=rng.randint(-60, 30))
                elif pause:
                    day = deadline + datetime.timedelta(days=rng.randint(10, (pause[1] - pause[0]).days))
                elif rng.random() < LATE_SUBMISSION_SHARE:
                    day = deadline + datetime.timedelta(days=rng.randint(3, 45))
                else:
                    span = (deadline - window.opens_on).days
                    day = window.opens_on + datetime.timedelta(days=int(span * rng.betavariate(4, 1.5)))
            day = max(window.opens_on, min(day, latest))
            first_day = first_day or day
            submitted = _at(rng, day)
            passed = place.status == Status.COMPLETED or (n != failing and rng.random() < 0.5)
            scripts.append(
                _Script(
                    place,
                    task,
                    uploaded_at=submitted - datetime.timedelta(minutes=rng.randint(2, 300)),
                    submitted_at=submitted,
                    due=due,
                    outcome="pass" if passed else "fail",
                )
            )
    return scripts, resumed


def _active_scripts(
    rng: random.Random, place: _Place, windows: list[AssessmentWindow], deadline: datetime.date
) -> list[_Script]:
    """A place still under way with a legacy window open: some sent in their tasks in the last month (waiting to
    be marked), some uploaded the first without submitting it. (A case-study window either has not opened or
    has closed, missed.)"""
    if windows[0].closes_on is not None or windows[0].opens_on > TODAY - datetime.timedelta(days=2):
        return []
    first = max(windows[0].opens_on, TODAY - datetime.timedelta(days=30))
    days = (TODAY - first).days - 1
    u = rng.random()
    if u < ACTIVE_SUBMITTED:
        made = []
        for window in windows:
            submitted = _at(rng, first + datetime.timedelta(days=rng.randint(0, days)))
            made.append(
                _Script(
                    place,
                    window.task,
                    uploaded_at=submitted - datetime.timedelta(minutes=rng.randint(2, 300)),
                    submitted_at=submitted,
                    due=deadline,
                )
            )
        return made
    if u < ACTIVE_SUBMITTED + ACTIVE_DRAFT:
        uploaded = _at(rng, first + datetime.timedelta(days=rng.randint(0, days)))
        return [_Script(place, windows[0].task, uploaded_at=uploaded, submitted_at=None, due=deadline)]
    return []


def _write_submissions(rng: random.Random, setup: _Setup, scripts: list[_Script]) -> None:
    """The scripts with their one version each and their history (uploaded, then submitted), by COPY; an
    extension granted for each sent in late."""
    ids = _reserve_ids(Submission, len(scripts))
    version_ids = _reserve_ids(SubmissionVersion, len(scripts))
    for script, pk, number in zip(scripts, ids, rng.sample(range(10**7), len(scripts)), strict=True):
        script.id, script.candidate = pk, f"C{number:07d}"
    with _bulk_loads(Submission, SubmissionVersion, SubmissionChange):
        _copy(
            Submission._meta.db_table,
            [
                "id",
                "enrolment_id",
                "task_id",
                "attempt",
                "status",
                "candidate_number",
                "submitted_version_id",
                "submitted_at",
                "created_at",
                "updated_at",
            ],
            _csv_lines(
                (
                    s.id,
                    s.place.enrolment_id,
                    s.task.pk,
                    1,
                    s.status,
                    s.candidate,
                    version if s.submitted_at else None,
                    s.submitted_at,
                    s.uploaded_at,
                    s.submitted_at or s.uploaded_at,
                )
                for s, version in zip(scripts, version_ids, strict=True)
            ),
        )
        _copy(
            SubmissionVersion._meta.db_table,
            ["id", "submission_id", "number", "uploaded_by_id", "upload_started_at", "uploaded_at"],
            _csv_lines(
                (
                    version,
                    s.id,
                    1,
                    s.place.user_id,
                    s.uploaded_at - datetime.timedelta(minutes=1),
                    s.uploaded_at,
                )
                for s, version in zip(scripts, version_ids, strict=True)
            ),
        )

        def changes() -> Iterator[Sequence[object]]:
            for s in scripts:
                yield (s.id, "", Submission.Status.DRAFT, s.place.user_id, s.uploaded_at, "First upload")
                if s.submitted_at:
                    note = "Submitted under an extension" if s.late else "Submitted"
                    yield (s.id, Submission.Status.DRAFT, s.status, s.place.user_id, s.submitted_at, note)

        _copy(
            SubmissionChange._meta.db_table,
            ["submission_id", "from_status", "to_status", "changed_by_id", "changed_at", "note"],
            _csv_lines(changes()),
            not_null=["from_status", "note"],
        )
    extensions = []
    for s in scripts:
        if not s.late:
            continue
        until = timezone.localdate(s.submitted_at) + datetime.timedelta(days=rng.randint(0, 5))
        asked = local_datetime(s.due - datetime.timedelta(days=rng.randint(3, 20)), datetime.time(12, 0))
        extensions.append(
            Extension(
                enrolment_id=s.place.enrolment_id,
                task=s.task,
                status=Extension.Status.GRANTED,
                reason="Mitigating circumstances: time away from the programme (see the evidence).",
                deadline_then=s.due,
                requested_until=until,
                requested_by_id=s.place.user_id,
                requested_at=asked,
                new_deadline=until,
                decided_by_id=s.place.admin_id,
                decided_at=asked + datetime.timedelta(days=2),
                decision_note="Granted: evidence seen.",
            )
        )
    Extension.objects.bulk_create(extensions, batch_size=BATCH)


def _plan_marking(
    rng: random.Random, w: _World, setup: _Setup, marked: list[_Script]
) -> list[tuple[ModerationSample, list[tuple[_Script, str, int, datetime.datetime, bool]]]]:
    """For each script with an outcome: the first assessor (the provider's non-lead assessors in turn) and their
    outcome, the second marking and the lead's decision where the routing rules send it, when it was decided;
    then each provider's monthly moderation samples (assessment.moderation.sample_plan) with the verdicts, a few
    of which disagree (the assessors had given the other outcome), and when each month's results were released."""
    result_ids = _reserve_ids(Result, len(marked))
    turn = [0] * len(w.providers)
    for script, pk in zip(marked, result_ids, strict=True):
        script.result_id = pk
        pool = setup.assessors_of[script.place.provider_index]
        script.assessor = pool[turn[script.place.provider_index] % (len(pool) - 1)]
        turn[script.place.provider_index] += 1
        script.first = "borderline" if rng.random() < BORDERLINE[script.outcome] else script.outcome
        _route(rng, script, differs=rng.random() < SECOND_DIFFERS)
        day = timezone.localdate(script.submitted_at) + datetime.timedelta(days=rng.randint(*MARKED_WITHIN))
        script.decided_at = _at(rng, day, 10, 17)
    by_month: dict[tuple[int, int, int], list[_Script]] = {}
    for script in marked:
        day = timezone.localdate(script.decided_at)
        by_month.setdefault((script.place.provider_index, day.year, day.month), []).append(script)
    samples = []
    for (provider_index, year, month), group in sorted(by_month.items()):
        first_day = datetime.date(year, month, 1)
        next_month = add_months(first_day, 1)
        drawn_at = local_datetime(next_month + datetime.timedelta(days=2), datetime.time(9, 0))
        if drawn_at + datetime.timedelta(days=14) > NOW:
            continue  # not moderated yet: the month's results wait to be released
        provider = w.providers[provider_index]
        seed = f"national-{provider.slug}-{year}-{month:02d}"
        by_id = {s.result_id: s for s in group}
        # sample_plan reads a result's id, whether it was borderline and its first assessor: stand-ins for the
        # results not written yet (model instances cost ten times as much to make, 40,000 times).
        stand_ins = [
            SimpleNamespace(
                pk=s.result_id,
                was_borderline=s.borderline,
                first_marking=SimpleNamespace(allocation=SimpleNamespace(assessor_id=s.assessor)),
            )
            for s in group
        ]
        items = []
        for stand_in, reason in sample_plan(stand_ins, rate_percent=MODERATION_RATE, seed=seed):
            script = by_id[stand_in.pk]
            moderator = setup.moderators[len(items) % len(setup.moderators)]
            at = drawn_at + datetime.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
            disagrees = not script.borderline and rng.random() < DISAGREE_SHARE
            if disagrees:
                # The assessors had given the other outcome; the moderator's became the result.
                script.disagreed = (moderator, at)
                script.first = script.marked_outcome
                _route(rng, script, differs=False)
            items.append((script, reason, moderator, at, disagrees))
        released = local_datetime(
            timezone.localdate(max(at for *_, at, _ in items)) + datetime.timedelta(days=2),
            datetime.time(10, 0),
        )
        for script in group:
            script.released_at = released
        sample = ModerationSample(
            provider=provider,
            label=f"Results of {first_day:%B %Y}",
            period_start=first_day,
            period_end=next_month - datetime.timedelta(days=1),
            rate_percent=MODERATION_RATE,
            seed=seed,
            drawn_at=drawn_at,
            drawn_by_id=setup.admins[provider_index],
        )
        samples.append((sample, items))
    return samples


def _route(rng: random.Random, script: _Script, *, differs: bool) -> None:
    """The second marking and the lead's decision the routing rules give the first outcome; the second assessor
    agrees unless `differs` (then finds it borderline)."""
    # The rules read the outcomes, and the script's candidate number, id and mark scheme (for the random share
    # of passes): stand-ins for the markings not written yet.
    submission = SimpleNamespace(pk=script.id, candidate_number=script.candidate, task=script.task)
    first = SimpleNamespace(outcome=script.first, allocation=SimpleNamespace(submission=submission))
    if not routing.second_marking(first).needed:
        script.second, script.lead = "", False
        return
    script.second = "borderline" if differs else script.first
    script.lead = routing.lead_decision(first, SimpleNamespace(outcome=script.second)).needed


def _marks(rng: random.Random, criteria: list[tuple[int, int, int]], outcome: str) -> tuple[str, int]:
    """Marks per criterion (as JSON) adding up to a total in the outcome's range."""
    low, high = TOTALS[outcome]
    least, most = sum(c[1] for c in criteria), sum(c[2] for c in criteria)
    total = rng.randint(max(low, least), min(high, most))
    # Shared out evenly above each criterion's least (one at a time where their ranges differ), then a few moved.
    share, extra = divmod(total - least, len(criteria))
    marks = [c[1] + share + (n < extra) for n, c in enumerate(criteria)]
    if any(m > c[2] for m, c in zip(marks, criteria, strict=True)):
        marks, left, k = [c[1] for c in criteria], total - least, 0
        while left:
            if marks[k % len(marks)] < criteria[k % len(marks)][2]:
                marks[k % len(marks)] += 1
                left -= 1
            k += 1
    for _ in range(4):
        i, j = rng.randrange(len(marks)), rng.randrange(len(marks))
        if i != j and marks[i] < criteria[i][2] and marks[j] > criteria[j][1]:
            marks[i] += 1
            marks[j] -= 1
    return json.dumps({str(c[0]): m for c, m in zip(criteria, marks, strict=True)}), total


def _write_marking(rng: random.Random, setup: _Setup, scripts: list[_Script]) -> None:
    """Allocations, markings and results of the scripts with outcomes (times counted back from the decision),
    the changes moderation made, and a first-marking allocation for each script still waiting, by COPY."""
    marked = [s for s in scripts if s.outcome]
    waiting = [s for s in scripts if not s.outcome and s.submitted_at]
    n_markings = sum(1 + bool(s.second) for s in marked)
    allocation_ids = iter(_reserve_ids(Allocation, n_markings + sum(s.lead for s in marked) + len(waiting)))
    marking_ids = iter(_reserve_ids(Marking, n_markings))
    allocations: list[Sequence[object]] = []
    markings: list[Sequence[object]] = []
    results: list[Sequence[object]] = []
    changes: list[ResultChange] = []
    hour = datetime.timedelta(hours=1)

    def allocate(s: _Script, kind: str, assessor: int, at: datetime.datetime, by: int | None) -> int:
        pk = next(allocation_ids)
        due = timezone.localdate(at) + datetime.timedelta(days=10)
        allocations.append((pk, s.id, kind, assessor, by, at, due, ""))
        return pk

    def mark(
        s: _Script, allocation: int, assessor: int, outcome: str, at: datetime.datetime
    ) -> tuple[int, int]:
        pk = next(marking_ids)
        marks, total = _marks(rng, setup.criteria_of[s.task.pk], outcome)
        row = (pk, allocation, "submitted", marks, "{}", "[]", FEEDBACK[outcome], total, outcome, 2, assessor)
        markings.append((*row, at, at))
        return pk, total

    for s in marked:
        pool = setup.assessors_of[s.place.provider_index]
        admin = s.place.admin_id
        if s.lead:
            second_at = s.decided_at - datetime.timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 6))
            first_at = second_at - datetime.timedelta(days=rng.randint(3, 8))
        elif s.second:
            second_at, first_at = s.decided_at, s.decided_at - datetime.timedelta(days=rng.randint(3, 8))
        else:
            first_at = s.decided_at
        allocated = max(s.submitted_at + hour, first_at - datetime.timedelta(days=rng.randint(2, 8)))
        first_marking, total = mark(
            s, allocate(s, "first", s.assessor, allocated, admin), s.assessor, s.first, first_at
        )
        second_marking = None
        if s.second:
            other = pool[(pool.index(s.assessor) + 1) % (len(pool) - 1)]
            allocation = allocate(s, "second", other, first_at + hour, None)
            second_marking, total = mark(s, allocation, other, s.second, second_at)
        if s.lead:
            allocate(s, "lead", pool[-1], second_at + hour, None)
        route = (
            Result.Route.LEAD
            if s.lead
            else Result.Route.MODERATED
            if s.disagreed
            else Result.Route.AGREED
            if s.second
            else Result.Route.FIRST
        )
        results.append(
            (
                s.result_id,
                s.id,
                s.outcome,
                route,
                s.borderline,
                first_marking,
                second_marking,
                None if s.lead else total,
                FEEDBACK[s.outcome],
                s.decided_at,
                pool[-1] if s.lead else None,
                LEAD_RATIONALE if s.lead else "",
                s.released_at,
                admin if s.released_at else None,
                "",
                s.released_at,
            )
        )
        if s.disagreed:
            moderator, at = s.disagreed
            changes.append(
                ResultChange(
                    result_id=s.result_id,
                    from_outcome=s.marked_outcome,
                    to_outcome=s.outcome,
                    changed_by_id=moderator,
                    changed_at=at,
                    reason=DISAGREEMENT,
                    feedback_before=FEEDBACK[s.marked_outcome],
                    source=ResultChange.Source.MODERATION,
                )
            )
    for n, s in enumerate(waiting):
        pool = setup.assessors_of[s.place.provider_index]
        at = min(s.submitted_at + datetime.timedelta(days=rng.randint(1, 3)), NOW)
        allocate(s, "first", pool[n % (len(pool) - 1)], at, s.place.admin_id)
    with _bulk_loads(Allocation, Marking, Result):
        _copy(
            Allocation._meta.db_table,
            [
                "id",
                "submission_id",
                "kind",
                "assessor_id",
                "allocated_by_id",
                "allocated_at",
                "due_on",
                "end_reason",
            ],
            _csv_lines(allocations),
            not_null=["end_reason"],
        )
        _copy(
            Marking._meta.db_table,
            [
                "id",
                "allocation_id",
                "status",
                "marks",
                "comments",
                "omissions",
                "feedback",
                "total",
                "outcome",
                "revision",
                "saved_by_id",
                "saved_at",
                "submitted_at",
            ],
            _csv_lines(markings),
        )
        _copy(
            Result._meta.db_table,
            [
                "id",
                "submission_id",
                "outcome",
                "route",
                "was_borderline",
                "first_marking_id",
                "second_marking_id",
                "total",
                "feedback",
                "decided_at",
                "lead_id",
                "lead_rationale",
                "released_at",
                "released_by_id",
                "release_note",
                "emailed_at",
            ],
            _csv_lines(results),
            not_null=["lead_rationale", "release_note"],
        )
    ResultChange.objects.bulk_create(changes, batch_size=BATCH)


def _write_moderation(
    samples: list[tuple[ModerationSample, list[tuple[_Script, str, int, datetime.datetime, bool]]]],
) -> int:
    """The samples and their items with the moderators' verdicts; returns how many items."""
    ModerationSample.objects.bulk_create([sample for sample, _ in samples], batch_size=BATCH)
    items = ModerationItem.objects.bulk_create(
        (
            ModerationItem(
                sample=sample,
                result_id=script.result_id,
                reason=reason,
                outcome_moderated=script.marked_outcome,
                verdict=ModerationItem.Verdict.DISAGREE if disagrees else ModerationItem.Verdict.AGREE,
                moderator_outcome=script.outcome if disagrees else "",
                rationale=DISAGREEMENT if disagrees else "",
                moderator_id=moderator,
                recorded_at=at,
            )
            for sample, picked in samples
            for script, reason, moderator, at, disagrees in picked
        ),
        batch_size=BATCH,
    )
    return len(items)


def _history_rows(
    rng: random.Random,
    w: _World,
    scripts: list[_Script],
    resumed: dict[int, tuple[datetime.date, datetime.date]],
) -> Iterator[Sequence[object]]:
    """Each place's status changes as the services record them: applied, accepted before the start, active from
    it; then deferred (and back), withdrawn (some after a year deferred), or completed or failed once its results
    were released (decided, where not released yet)."""
    ended: dict[int, datetime.date] = {}
    for s in scripts:
        if s.outcome:
            day = timezone.localdate(s.released_at or s.decided_at)
            ended[s.place.enrolment_id] = max(day, ended.get(s.place.enrolment_id, day))
    for place in w.places:
        cohort = w.cohorts[place.cohort_index]
        start, status = cohort.start_date, place.status
        steps = [("", Status.APPLIED, start - datetime.timedelta(days=rng.randint(50, 120)), "")]
        if status != Status.APPLIED:
            steps.append(
                (Status.APPLIED, Status.ACCEPTED, start - datetime.timedelta(days=rng.randint(7, 45)), "")
            )
        if status not in NOT_STARTED:
            steps.append((Status.ACCEPTED, Status.ACTIVE, start, ""))
            pause = resumed.get(place.enrolment_id)
            if pause:
                steps.append((Status.ACTIVE, Status.DEFERRED, pause[0], rng.choice(DEFERRAL_REASONS)))
                steps.append((Status.DEFERRED, Status.ACTIVE, pause[1], ""))
            if status == Status.WITHDRAWN:
                stopped = place.stopped_on
                later = stopped + datetime.timedelta(days=365 + rng.randint(0, 30))
                if rng.random() < WITHDRAWN_AFTER_DEFERRING and later <= TODAY:
                    steps.append((Status.ACTIVE, Status.DEFERRED, stopped, rng.choice(DEFERRAL_REASONS)))
                    steps.append((Status.DEFERRED, Status.WITHDRAWN, later, "deferred-for-over-12-months"))
                else:
                    steps.append((Status.ACTIVE, Status.WITHDRAWN, stopped, rng.choice(WITHDRAWAL_REASONS)))
            elif status == Status.DEFERRED:
                steps.append((Status.ACTIVE, Status.DEFERRED, place.stopped_on, rng.choice(DEFERRAL_REASONS)))
            elif status in (Status.COMPLETED, Status.FAILED):
                steps.append((Status.ACTIVE, status, ended.get(place.enrolment_id, cohort.end_date), ""))
        for from_status, to_status, day, reason in steps:
            recorded = min(_at(rng, day, 9, 17), NOW)
            yield (
                place.enrolment_id,
                from_status,
                to_status,
                day,
                reason,
                "",
                place.admin_id,
                recorded,
                False,
            )


def _programme_ratings(w: _World) -> Iterator[str]:
    """Ratings of the whole programme, from most who finished it, in the month after its last session."""
    rng = w.ratings.rng
    for place in w.places:
        if place.status not in (Status.COMPLETED, Status.FAILED) or rng.random() >= PROGRAMME_FEEDBACK_SHARE:
            continue
        day = w.cohorts[place.cohort_index].end_date + datetime.timedelta(days=rng.randint(1, 30))
        rated_at = min(local_datetime(day, datetime.time(19, 0)), NOW)
        rating = min(10, bisect.bisect(w.ratings.scales[place.provider_index], rng.random()))
        yield f"{place.enrolment_id},,{rating},,{rated_at.isoformat()}\n"


def _targets(rng: random.Random, w: _World, setup: _Setup) -> Iterator[RecruitmentTarget]:
    """Each provider's targets for each recruitment year it has cohorts in (all its programmes together): a
    recruitment target its recruits reach give or take, and FSM and non-White British shares; a few years have
    none set."""
    recruited: dict[tuple[int, str], int] = {}
    for place in w.places:
        key = (place.provider_index, recruitment_year_of(w.cohorts[place.cohort_index].start_date))
        recruited[key] = recruited.get(key, 0) + (place.status != Status.APPLIED)
    for (provider_index, year), count in sorted(recruited.items()):
        if rng.random() < NO_TARGET_SHARE:
            continue
        yield RecruitmentTarget(
            provider=w.providers[provider_index],
            programme=None,
            recruitment_year=year,
            recruitment_target=max(5, 5 * round(count / rng.uniform(*TARGET_REACHED) / 5)),
            fsm_target_percent=rng.choice(FSM_TARGETS),
            non_white_british_target_percent=rng.choice(NON_WHITE_BRITISH_TARGETS),
            updated_by_id=setup.admins[provider_index],
        )
