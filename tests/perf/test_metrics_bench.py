"""`make bench`: every provider's DfE quality metrics for every recruitment year of the national dataset (issue 8),
taken as the nightly job takes them (metrics.services.snapshots_take_all: a snapshot of each year, all programmes
together and each programme), printed beside one plain SQL aggregate over the same rows (the places, their
cohorts, participants, schools and status history, the submissions, results, moderation verdicts and feedback
ratings), and checked against it figure by figure.

Issue 9's budget, printed but not enforced yet: all metric snapshots within 3× the plain aggregate, and under
10 s. When over it, one provider's snapshots are profiled (queries and their time, then cProfile) to show where
the time goes.

The dataset is generated once per run and shared with the other benchmark modules. This one alone, as
scripts/bench.sh runs it (on its own database):
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres NPQEL_TEST_DB_NAME=test_npqel_bench \\
        .venv/bin/pytest tests/perf/test_metrics_bench.py -p no:randomly -s --override-ini addopts="-p no:cacheprovider"
"""

import cProfile
import io
import os
import pstats
import re
import time
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from metrics.compute import recruitment_years
from metrics.models import MetricSnapshot
from metrics.services import snapshots_take_all
from programmes.models import Programme, Provider
from tests.perf.national import national_dataset

BUDGET_RATIO = 3
BUDGET_S = 10
# Not issue 9's budget: a bound only a broken plan (or a loop gone quadratic) misses, even on a busy machine.
BOUND_S = 900

# One statement over the same rows the metrics read, grouped by provider and recruitment year (the academic
# year, September to August, the cohort starts in), with the metrics' definitions in plain SQL: recruited
# (accepted or beyond; withdrawn only after being accepted), started, FSM ≥ 30%, non-White British, presented
# (a submission sent in: the latest of each task's first) and within the deadline (the programme's months for
# that start, from its dated policies; no programme here pauses the clock for a deferral), passed, withdrawn and
# deferred (ever), outcomes, moderated and agreed, and every feedback rating of the year's places.
PLAIN_AGGREGATE = """
WITH history AS (
    SELECT enrolment_id,
           bool_or(from_status IN ('accepted', 'active', 'deferred')) AS was_recruited,
           bool_or(to_status = 'active') AS ever_active,
           bool_or(to_status = 'withdrawn') AS ever_withdrawn,
           bool_or(to_status = 'deferred') AS ever_deferred
    FROM participants_enrolmentchange GROUP BY enrolment_id
), presented AS (
    SELECT enrolment_id, MAX(first_at) AS presented_at
    FROM (
        SELECT enrolment_id, task_id, MIN(submitted_at) AS first_at FROM assessment_submission
        WHERE status IN ('submitted', 'late_with_extension') GROUP BY enrolment_id, task_id
    ) AS tasks
    GROUP BY enrolment_id
), outcomes AS (
    SELECT s.enrolment_id, COUNT(*) AS results,
           COUNT(*) FILTER (WHERE v.result_id IS NOT NULL) AS moderated,
           COUNT(*) FILTER (WHERE v.agreed) AS agreed
    FROM assessment_result r
    JOIN assessment_submission s ON s.id = r.submission_id
    LEFT JOIN (
        SELECT result_id, bool_or(verdict = 'agree') AS agreed FROM assessment_moderationitem
        WHERE verdict <> '' GROUP BY result_id
    ) AS v ON v.result_id = r.id
    GROUP BY s.enrolment_id
), feedback AS (
    SELECT enrolment_id, COUNT(*) AS responses, SUM(rating) AS total
    FROM participants_feedbackrating GROUP BY enrolment_id
), place AS (
    SELECT e.provider_id,
           EXTRACT(YEAR FROM c.start_date - INTERVAL '8 months')::int AS first_year,
           e.status,
           e.status IN ('accepted', 'active', 'deferred', 'completed', 'failed')
               OR (e.status = 'withdrawn' AND COALESCE(h.was_recruited, false)) AS recruited,
           e.status IN ('active', 'deferred', 'completed', 'failed') OR COALESCE(h.ever_active, false) AS started,
           e.status = 'withdrawn' OR COALESCE(h.ever_withdrawn, false) AS withdrawn,
           e.status = 'deferred' OR COALESCE(h.ever_deferred, false) AS deferred,
           s.fsm_percent >= 30 AS high_fsm,
           p.ethnicity_code NOT IN ('', 'REFU', 'NOBT', 'WBRI') AS non_white_british,
           (pr.presented_at AT TIME ZONE 'Europe/London')::date AS presented_on,
           (COALESCE(e.start_date, c.start_date) + make_interval(months => COALESCE(
               (SELECT x.months FROM programmes_deadlineextension x
                WHERE x.programme_id = c.programme_id AND x.applies_from <= COALESCE(e.start_date, c.start_date)
                ORDER BY x.applies_from DESC LIMIT 1),
               prog.deadline_months)))::date AS deadline,
           o.results, o.moderated, o.agreed, f.responses, f.total
    FROM participants_enrolment e
    JOIN programmes_cohort c ON c.id = e.cohort_id
    JOIN programmes_programme prog ON prog.id = c.programme_id
    JOIN participants_participant p ON p.id = e.participant_id
    LEFT JOIN participants_school s ON s.id = p.school_id
    LEFT JOIN history h ON h.enrolment_id = e.id
    LEFT JOIN presented pr ON pr.enrolment_id = e.id
    LEFT JOIN outcomes o ON o.enrolment_id = e.id
    LEFT JOIN feedback f ON f.enrolment_id = e.id
)
SELECT provider_id, first_year,
       COUNT(*) FILTER (WHERE recruited) AS recruited,
       COUNT(*) FILTER (WHERE recruited AND high_fsm) AS fsm,
       COUNT(*) FILTER (WHERE recruited AND non_white_british) AS non_white_british,
       COUNT(*) FILTER (WHERE recruited AND presented_on IS NOT NULL) AS presented,
       COUNT(*) FILTER (WHERE recruited AND presented_on <= deadline) AS within_deadline,
       COALESCE(SUM(results) FILTER (WHERE recruited), 0)
           + COUNT(*) FILTER (WHERE recruited AND status IN ('completed', 'failed') AND results IS NULL)
           AS assessments,
       COALESCE(SUM(moderated) FILTER (WHERE recruited), 0) AS moderated,
       COALESCE(SUM(agreed) FILTER (WHERE recruited), 0) AS agreed,
       COALESCE(SUM(responses), 0) AS responses,
       COALESCE(SUM(total), 0) AS rating_total,
       COUNT(*) FILTER (WHERE recruited AND started) AS started,
       COUNT(*) FILTER (WHERE recruited AND started AND withdrawn) AS withdrawn,
       COUNT(*) FILTER (WHERE recruited AND started AND deferred) AS deferred,
       COUNT(*) FILTER (WHERE recruited AND presented_on IS NOT NULL AND status = 'completed') AS passed
FROM place
GROUP BY provider_id, first_year
ORDER BY provider_id, first_year
"""
# Where each column of the plain aggregate is in a report.
FIGURES = {
    "recruited": ("recruitment", "recruited"),
    "fsm": ("fsm", "count"),
    "non_white_british": ("non_white_british", "count"),
    "presented": ("presentation", "presented"),
    "within_deadline": ("presentation", "within_deadline"),
    "assessments": ("accuracy", "assessments"),
    "moderated": ("accuracy", "moderated"),
    "agreed": ("accuracy", "agreed"),
    "responses": ("feedback", "responses"),
    "started": ("retention", "started"),
    "withdrawn": ("retention", "withdrawn"),
    "deferred": ("retention", "deferred"),
    "passed": ("retention", "passed"),
}


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return national_dataset()


def plain_aggregate() -> dict[tuple[int, str], dict[str, object]]:
    """The plain aggregate's rows by (provider id, recruitment year)."""
    with connection.cursor() as cursor:
        cursor.execute(PLAIN_AGGREGATE)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {
        (row["provider_id"], f"{row['first_year']}/{(row['first_year'] + 1) % 100:02d}"): row for row in rows
    }


def timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def mean_rating(total: int, responses: int) -> float | None:
    if not responses:
        return None
    return float((Decimal(total) / responses).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def differences(plain: dict[tuple[int, str], dict[str, object]]) -> list[str]:
    """Every figure of the all-programmes snapshots that differs from the plain aggregate's, as text."""
    found = []
    snapshots = MetricSnapshot.objects.filter(programme__isnull=True).select_related("provider")
    seen = set()
    for snapshot in snapshots:
        key = (snapshot.provider_id, snapshot.recruitment_year)
        seen.add(key)
        row = plain.get(key)
        if row is None:
            found.append(f"{snapshot.provider.slug} {snapshot.recruitment_year}: not in the plain aggregate")
            continue
        data = snapshot.data
        for column, (part, name) in FIGURES.items():
            if data[part][name] != row[column]:
                found.append(
                    f"{snapshot.provider.slug} {snapshot.recruitment_year} {part}.{name}: "
                    f"report {data[part][name]}, plain SQL {row[column]}"
                )
        mean = mean_rating(row["rating_total"], row["responses"])
        if data["feedback"]["mean_rating"] != mean:
            found.append(
                f"{snapshot.provider.slug} {snapshot.recruitment_year} feedback.mean_rating: "
                f"report {data['feedback']['mean_rating']}, plain SQL {mean}"
            )
    found += [f"provider {pk} {year}: no snapshot" for pk, year in sorted(set(plain) - seen)]
    return found


def query_shape(sql: str) -> str:
    """A query with its numbers and quoted values taken out, so that the same query for other rows groups."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)[:150]


def where_the_time_goes(provider: Provider) -> None:
    """One provider's snapshots again (every figure unchanged, so nothing is written, and the Monte Carlo
    p-values remembered): the queries, their count and time by shape, then where Python spends it."""
    scopes = len(recruitment_years(provider)) * (1 + Programme.objects.filter(provider=provider).count())
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        seconds, _ = timed(lambda: snapshots_take_all(providers=[provider]))
    in_sql = sum(float(q["time"]) for q in queries.captured_queries)
    print(
        f"\n{provider.slug}: {scopes} snapshots in {seconds:.2f} s, {len(queries)} queries "
        f"({len(queries) / scopes:.0f} a snapshot) taking {in_sql:.2f} s in PostgreSQL; "
        f"{seconds - in_sql:.2f} s in Python"
    )
    by_shape: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for query in queries.captured_queries:
        by_shape[query_shape(query["sql"])] += float(query["time"])
        count[query_shape(query["sql"])] += 1
    print("  slowest queries (all runs of each, total):")
    for shape, total in by_shape.most_common(6):
        print(f"  {total:6.2f} s  {count[shape]:4d}×  {shape}")
    profile = cProfile.Profile()
    profile.enable()
    snapshots_take_all(providers=[provider])
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(
        r"metrics|scipy/stats|django/db", 25
    )
    print("  cProfile, by cumulative time (metrics code, SciPy's statistics, Django's database layer):")
    print("\n".join("  " + line for line in out.getvalue().splitlines() if line.strip())[:6000])


@pytest.mark.django_db
def test_all_metric_snapshots_beside_a_plain_aggregate(national):
    providers = list(Provider.objects.order_by("pk"))
    years = {p.pk: recruitment_years(p) for p in providers}
    programmes = Counter(Programme.objects.values_list("provider_id", flat=True))
    provider_years = sum(len(y) for y in years.values())
    scopes = sum(len(years[p.pk]) * (1 + programmes[p.pk]) for p in providers)
    MetricSnapshot.objects.all().delete()  # every scope's first snapshot is taken here

    plain = plain_aggregate()  # warms the cache with the rows both read
    aggregate = min(timed(plain_aggregate)[0] for _ in range(3))
    taken, written = timed(lambda: snapshots_take_all(providers=providers))
    again, rewritten = timed(lambda: snapshots_take_all(providers=providers))

    print(
        f"\nDfE metrics of {len(providers)} providers: {provider_years} provider-years, {scopes} snapshots "
        "(each year for all programmes together and for each programme); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"  plain SQL aggregate over the same rows        {aggregate:8.2f} s (fastest of 3, warm)")
    ratio = taken / aggregate
    runs = (
        ("all snapshots, first run (all written)", taken),
        # The same figures: nothing written, and SciPy's Monte Carlo p-values remembered from the first run.
        ("again, nothing changed", again),
    )
    for label, seconds in runs:
        over = seconds > BUDGET_RATIO * aggregate or seconds > BUDGET_S
        print(
            f"  {label:<44} {seconds:8.2f} s; {seconds / aggregate:6.1f}× the aggregate; "
            f"{seconds / scopes * 1000:.0f} ms a snapshot" + ("  OVER BUDGET" if over else "  within budget")
        )
    print(
        f"  issue 9's budget: ≤ {BUDGET_RATIO}× the plain aggregate ({BUDGET_RATIO * aggregate:.2f} s) and under "
        f"{BUDGET_S} s: {'over budget' if ratio > BUDGET_RATIO or taken > BUDGET_S else 'within budget'} "
        "(printed, not enforced yet)"
    )

    problems = differences(plain)
    totals = {column: sum(row[column] for row in plain.values()) for column in FIGURES}
    print("  over all provider-years: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))
    if ratio > BUDGET_RATIO or taken > BUDGET_S:
        print(
            f"  of the first run's {taken:.0f} s, {taken - again:.0f} s went on what the second did not repeat: "
            "writing the snapshots, and SciPy's Monte Carlo tests (their p-values are remembered by table)"
        )
        where_the_time_goes(providers[0])

    # Every scope written once, and a second run finds the same figures and writes nothing.
    assert written == scopes == MetricSnapshot.objects.count()
    assert rewritten == 0 and MetricSnapshot.objects.count() == scopes
    # Each provider-year's figures are the plain aggregate's, and the dataset gives every metric something.
    assert len(plain) == provider_years
    assert not problems, f"{len(problems)} figures differ from the plain aggregate's, e.g.:\n" + "\n".join(
        problems[:20]
    )
    assert all(totals.values()), totals
    assert taken <= BOUND_S
