"""The national dataset's assessment and metrics evidence (tests/perf/national.py builds the rest and calls
`metrics_evidence` last): each programme's final assessment, submissions with their markings and results, the
moderation samples, feedback ratings of sessions and programmes, and the providers' recruitment targets.
"""

import bisect
import datetime
import functools
import json
import random
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.db import connection
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
from participants.models import EnrolmentChange, FeedbackRating
from programmes.models import (
    DeadlineExtension,
    recruitment_year_of,
)
from programmes.timetable import add_months, local_datetime
from tests.perf.national import (
    BATCH,
    EXTENDED_FROM,
    EXTENDED_MONTHS,
    NOT_STARTED,
    NOW,
    TODAY,
    Place,
    Status,
    Timings,
    World,
    bulk_load,
    copy_rows,
    csv_lines,
    deadline_of,
)

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
PROGRAMME_FEEDBACK_SHARE = 0.55
# Targets per provider and recruitment year: recruited ÷ target spread around 100%; a few years have none set.
TARGET_REACHED = (0.8, 1.15)
FSM_TARGETS = [Decimal(n) for n in (20, 25, 30, 35, 40)]
NON_WHITE_BRITISH_TARGETS = [Decimal(n) for n in ("10", "12.5", "15", "20", "25")]
NO_TARGET_SHARE = 0.04


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

    place: Place
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
    """bulk_load for several tables that point at each other: every key is put back once all are loaded."""
    with ExitStack() as stack:
        for model in models:
            stack.enter_context(bulk_load(model._meta.db_table))
        yield


def metrics_evidence(timings: Timings, w: World, *, seed: int) -> None:
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
        timings.rows["enrolment history"] = copy_rows(
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
            csv_lines(_history_rows(history, w, scripts, resumed)),
            not_null=["from_status", "reason", "note"],
        )

    with timings.step("feedback"), _bulk_loads(FeedbackRating):
        timings.rows["feedback"] = copy_rows(
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


def _assessment_setup(w: World) -> _Setup:
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
    rng: random.Random, w: World, setup: _Setup
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
        deadline = deadline_of(cohort.start_date)
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
    rng: random.Random, place: Place, windows: list[AssessmentWindow], deadline: datetime.date
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
        copy_rows(
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
            csv_lines(
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
        copy_rows(
            SubmissionVersion._meta.db_table,
            ["id", "submission_id", "number", "uploaded_by_id", "upload_started_at", "uploaded_at"],
            csv_lines(
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

        copy_rows(
            SubmissionChange._meta.db_table,
            ["submission_id", "from_status", "to_status", "changed_by_id", "changed_at", "note"],
            csv_lines(changes()),
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
    rng: random.Random, w: World, setup: _Setup, marked: list[_Script]
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
        copy_rows(
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
            csv_lines(allocations),
            not_null=["end_reason"],
        )
        copy_rows(
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
            csv_lines(markings),
        )
        copy_rows(
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
            csv_lines(results),
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
    w: World,
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


def _programme_ratings(w: World) -> Iterator[str]:
    """Ratings of the whole programme, from most who finished it, in the month after its last session."""
    rng = w.ratings.rng
    for place in w.places:
        if place.status not in (Status.COMPLETED, Status.FAILED) or rng.random() >= PROGRAMME_FEEDBACK_SHARE:
            continue
        day = w.cohorts[place.cohort_index].end_date + datetime.timedelta(days=rng.randint(1, 30))
        rated_at = min(local_datetime(day, datetime.time(19, 0)), NOW)
        rating = min(10, bisect.bisect(w.ratings.scales[place.provider_index], rng.random()))
        yield f"{place.enrolment_id},,{rating},,{rated_at.isoformat()}\n"


def _targets(rng: random.Random, w: World, setup: _Setup) -> Iterator[RecruitmentTarget]:
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
