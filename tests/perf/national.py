"""The national dataset for benchmarks: 40 providers, 1,200 cohorts, 50,000 enrolments (issue 9's scale),
with each programme's components (online courses with their modules and tasks), each cohort's timetable
(two delivery groups, 80 sessions and a repeat), and what happened up to the dataset's moment `NOW`: about
3,000,000 attendance marks, task completions, learning logs, coaching sessions and components recorded done.

And what the DfE quality metrics read (issue 8; the assessment and feedback part is built by
tests/perf/national_evidence.py): 9,000 schools with their FSM share and performance band;
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
import io
import math
import random
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from participants.models import Enrolment, EvidenceTally, Participant, School
from participants.services.engagement import engagement_tallies_count
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
# Feedback: a share of the sessions each place attended is rated, and most who finished rate the whole programme;
# each provider's ratings centre on its own mean (a few below DfE's goal of 6).
SESSION_FEEDBACK_SHARE = 0.2
RATING_MEANS = (5.6, 9.0)
RATING_SPREAD = 1.6
RATED_AFTER = [datetime.timedelta(minutes=30), datetime.timedelta(hours=20), datetime.timedelta(days=3)]
ATTENDED = frozenset({"present", "late"})


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


def copy_rows(
    table: str, columns: Sequence[str], lines: Iterable[str], *, not_null: Sequence[str] = ()
) -> int:
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
def bulk_load(table: str) -> Iterator[None]:
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


def csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
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
class Place:
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


def deadline_of(start: datetime.date) -> datetime.date:
    """The last day to present for a place that started on `start` (no deferral)."""
    return add_months(start, EXTENDED_MONTHS if start >= EXTENDED_FROM else DEADLINE_MONTHS)


def _phase(cohort: Cohort) -> str:
    """Where the cohort is at NOW: running, presenting (past its last session, not its deadline) or finished."""
    if cohort.end_date >= TODAY:
        return "running"
    if deadline_of(cohort.start_date) + OUTCOMES_KNOWN_AFTER < TODAY:
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
        with timings.step("evidence tallies"), connection.cursor() as cursor:
            # What the services keep as they write records one by one (the engagement recompute reads these).
            engagement_tallies_count()
            cursor.execute("ANALYZE participants_evidencetally")
            timings.rows["evidence tallies"] = EvidenceTally.objects.count()
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
    places_of: list[list[Place]] = [[] for _ in cohorts]
    for i, e in enumerate(enrolments):
        index = i % len(cohorts)
        places_of[index].append(
            Place(
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
    with timings.step("attendance"), bulk_load("participants_attendance"):
        timings.rows["attendance"] = copy_rows(
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

    def span(place: Place) -> tuple[datetime.date, datetime.date]:
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

        timings.rows["task completions"] = copy_rows(
            "participants_taskcompletion",
            ["enrolment_id", "task_id", "completed_on", "source", "recorded_by_id", "recorded_at"],
            csv_lines(task_rows()),
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

        timings.rows["learning logs"] = copy_rows(
            "participants_learninglog",
            ["enrolment_id", "component_id", "done_on", "hours", "activity", "logged_at"],
            csv_lines(log_rows()),
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

        timings.rows["coaching sessions"] = copy_rows(
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
            csv_lines(coaching_rows()),
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

        timings.rows["component completions"] = copy_rows(
            "participants_componentcompletion",
            ["enrolment_id", "component_id", "completed_on", "note", "recorded_by_id", "recorded_at"],
            csv_lines(completion_rows()),
            not_null=["note"],
        )

    world = World(
        providers=providers,
        programmes=programmes,
        cohorts=cohorts,
        places=[place for places in places_of for place in places],
        staff_of=staff_of,
        password=password,
        ratings=ratings,
    )
    # The rest in its own module, which builds on this one's helpers (hence imported here).
    from tests.perf.national_evidence import metrics_evidence

    metrics_evidence(timings, world, seed=seed)


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
    rng: random.Random, places_of: list[list[Place]], timetable_of: list[list[_Slot]], ratings: _Ratings
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
class World:
    """The rows the metrics' evidence is built on."""

    providers: list[Provider]
    programmes: list[Programme]
    cohorts: list[Cohort]
    places: list[Place]
    staff_of: dict[tuple[int, str], list[User]]
    password: str
    ratings: _Ratings
