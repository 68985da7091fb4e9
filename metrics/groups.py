"""Metric 7 by group (issue 8; DOMAIN.md §4): retention, deferral and achievement broken down by sex,
ethnicity, disability, school FSM band and school performance band, each with a test of independence and a
plain-English verdict. Pure: it takes `Place` values and touches no database; metrics/compute.py builds them.

Measures (as metric 7 defines them):
- retention = of those who started, those never withdrawn;
- deferral = of those who started, those ever deferred;
- achievement = of those presented for final assessment (submitted), those who passed.

Groups: sex (Female / Male / Not known = prefer not to say or not obtained); ethnicity (White British = WBRI /
Other = any other code / Not known = REFU, NOBT or blank); disability (Yes / No / Not known); school FSM band
(30% or more — exactly 30.00 included, as `School.high_fsm` — / Under 30% / Not known); school performance band
(Higher / Middle / Lower / Not known). Percentages to 2 dp, rounded half up (as floats, like the rest of the
report); None when nobody is in the denominator.

The test (`independence_test`), over the known groups with anyone in the denominator — "Not known" is shown in
the table but never tested, as it is not a group of people with something in common:
- Pearson's chi-square test (`scipy.stats.chi2_contingency`, no continuity correction) when every expected count
  is at least 5. For a 2×2 table too: Yates' correction exists to approximate Fisher's exact test when numbers are
  small, and small tables go to the exact test itself; with counts this large the correction only makes the test
  more conservative (and 2×2 and larger tables then follow one rule).
- Fisher's exact test (`scipy.stats.fisher_exact`, two-sided) for a 2×2 table with any expected count under 5.
- The Fisher–Freeman–Halton exact test for a 2×k table with any expected count under 5: SciPy ≥ 1.15 runs it
  through `fisher_exact(..., method=MonteCarloMethod(...))`, estimating the p-value from random tables with the
  same totals, in stages (a sequential Monte Carlo p-value, after Besag and Clifford): 999 random tables first,
  then 9,999, then 99,999, stopping at the first stage whose estimate lies more than four standard errors (of an
  estimate at p = 0.05) from 0.05, where more tables would change the verdict about once in 30,000 tables. A
  table far from the verdict's edge costs about 2 ms, one near it about 90 ms (a standard error of 0.0007 at
  p = 0.05); the note says how many tables the estimate used. The generator is seeded with a constant, so the
  same table always gives the same p-value and a snapshot recomputed gives the same figures. Exact enumeration
  is not in SciPy, and the issue forbids hand-rolled statistics. Only school performance has more than two known
  groups, so at most three such tests per provider-year.
- "Too few people to test" when fewer than two known groups have anyone in the denominator. When every tested
  person had the same result (everyone retained, say — a zero row), there is no difference to test: the verdict
  says so and the test counts as not significant.
Each test is at the 5% level on its own: 15 tests per provider-year and no adjustment for multiple comparisons,
as the issue asks for a verdict per breakdown (so with 15 chances, a provider-year may well show a "significant"
difference somewhere by chance alone).

Suppression (`publish=True`; internal pages pass publish=False and see everything):
- primary: a group with 1 to 4 people in a measure's denominator shows no numbers, only that it is suppressed.
  A group with nobody in it still shows 0: that says nothing about anyone.
- secondary: each breakdown's groups add up to the overall figures published in metric 7, so when exactly one
  group of a breakdown × measure is suppressed, the smallest other group with people in it is suppressed too
  (earliest in the table on a tie), and the hidden total can no longer be split. Published rows do not say which
  suppression applied, which would point at the small group.
- a test over a suppressed group publishes its verdict (DfE's goal needs it) but not its statistic or p-value,
  from which the hidden counts could be searched for given the published totals.
"""

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from scipy import stats  # type: ignore[import-untyped]

SIGNIFICANCE_LEVEL = 0.05
SMALLEST_EXPECTED = 5  # expected counts below this send a table to an exact test
SMALLEST_PUBLISHED_GROUP = 5  # groups of 1 to 4 people are suppressed in anything published
FSM_THRESHOLD = Decimal(30)  # the DfE FSM metric's threshold, inclusive
# The Monte Carlo estimate's stages: each stops when its estimate is this many standard errors from the 5% level.
MONTE_CARLO_STAGES = (999, 9_999, 99_999)
MONTE_CARLO_SETTLED_AT = 4
MONTE_CARLO_SEED = 20190901  # constant: the same table always gives the same p-value

NOT_KNOWN = "not_known"

# Test results (machine-readable; `verdict` is the sentence for people).
SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "not_significant"
TOO_FEW = "too_few"
NO_VARIATION = "no_variation"

CHI_SQUARE = "Pearson's chi-square test"
FISHER = "Fisher's exact test"
FISHER_FREEMAN_HALTON = "Fisher–Freeman–Halton exact test"

VERDICT_NOT_SIGNIFICANT = "No significant difference at the 5% level"
VERDICT_SIGNIFICANT = "A significant difference at the 5% level"
VERDICT_TOO_FEW = "Too few people to test"
VERDICT_NO_VARIATION = "No difference to test: everyone tested had the same result"
NOTE_SMALL = "Some groups are small, so an exact test was used."
NOTE_MONTE_CARLO = "Its p-value is estimated from {resamples:,} random tables with the same totals."
NOTE_WITHHELD = "The p-value is not published because a group is too small to show."


@dataclass(frozen=True)
class Place:
    """One recruited enrolment, as metrics/compute.py passes it."""

    sex: str  # participants.models.Participant.Sex value ("female", "male", "prefer_not", "")
    ethnicity: str  # DfE code ("WBRI", other codes, "REFU", "NOBT", "")
    disability: str  # "yes", "no", "prefer_not", ""
    school_fsm_percent: Decimal | None
    school_performance_band: str  # "high", "middle", "low", ""
    started: bool
    withdrawn: bool  # ever withdrawn
    deferred: bool  # ever deferred
    submitted: bool  # presented for final assessment
    passed: bool


def _choose(value: str, groups: dict[str, str], what: str) -> str:
    try:
        return groups[value]
    except KeyError:
        # Never the value itself: equality data stays out of logs and error reports.
        raise ValueError(f"A {what} the metrics do not know (not shown: it is equality data)") from None


def _sex(place: Place) -> str:
    return _choose(
        place.sex, {"female": "female", "male": "male", "prefer_not": NOT_KNOWN, "": NOT_KNOWN}, "Sex"
    )


def _ethnicity(place: Place) -> str:
    # As Participant.white_british: refused or not obtained is not known; any other code is not White British.
    if place.ethnicity in ("REFU", "NOBT", ""):
        return NOT_KNOWN
    return "white_british" if place.ethnicity == "WBRI" else "other"


def _disability(place: Place) -> str:
    return _choose(
        place.disability, {"yes": "yes", "no": "no", "prefer_not": NOT_KNOWN, "": NOT_KNOWN}, "Disability"
    )


def _fsm(place: Place) -> str:
    if place.school_fsm_percent is None:
        return NOT_KNOWN
    return "fsm_30_plus" if place.school_fsm_percent >= FSM_THRESHOLD else "fsm_under_30"


def _performance(place: Place) -> str:
    return _choose(
        place.school_performance_band,
        {"high": "higher", "middle": "middle", "low": "lower", "": NOT_KNOWN},
        "School performance band",
    )


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    groups: tuple[tuple[str, str], ...]  # (key, label) in the order tables show them; NOT_KNOWN last
    group_of: Callable[[Place], str]


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    denominator_label: str
    numerator_label: str
    in_denominator: Callable[[Place], bool]
    in_numerator: Callable[[Place], bool]  # asked only of places in the denominator


BREAKDOWNS = (
    Breakdown("sex", "Sex", (("female", "Female"), ("male", "Male"), (NOT_KNOWN, "Not known")), _sex),
    Breakdown(
        "ethnicity",
        "Ethnicity",
        (("white_british", "White British"), ("other", "Other"), (NOT_KNOWN, "Not known")),
        _ethnicity,
    ),
    Breakdown(
        "disability", "Disability", (("yes", "Yes"), ("no", "No"), (NOT_KNOWN, "Not known")), _disability
    ),
    Breakdown(
        "school_fsm",
        "School free school meals",
        (("fsm_30_plus", "30% or more"), ("fsm_under_30", "Under 30%"), (NOT_KNOWN, "Not known")),
        _fsm,
    ),
    Breakdown(
        "school_performance",
        "School performance",
        (("higher", "Higher"), ("middle", "Middle"), ("lower", "Lower"), (NOT_KNOWN, "Not known")),
        _performance,
    ),
)

MEASURES = (
    Measure("retention", "Retention", "started", "retained", lambda p: p.started, lambda p: not p.withdrawn),
    Measure("deferral", "Deferral", "started", "deferred", lambda p: p.started, lambda p: p.deferred),
    Measure("achievement", "Achievement", "submitted", "passed", lambda p: p.submitted, lambda p: p.passed),
)


def percent(part: int, whole: int) -> float | None:
    """part ÷ whole × 100 to 2 dp, rounded half up (in Decimal, then a float like the rest of the report);
    None when whole is 0."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _significant_figures(value: float, figures: int = 4) -> float | None:
    value = float(value)
    return float(f"{value:.{figures}g}") if math.isfinite(value) else None


def _p_text(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    text = f"{p:.3f}"
    if p < SIGNIFICANCE_LEVEL <= float(text):  # 0.0496 would read as 0.050
        text = f"{p:.4f}"
    return f"p = {text}"


def _untested(result: str, verdict: str) -> dict:
    return {
        "test": None,
        "statistic_name": None,
        "statistic": None,
        "degrees_of_freedom": None,
        "p_value": None,
        "result": result,
        "significant": False if result == NO_VARIATION else None,
        "verdict": verdict,
        "note": None,
    }


def monte_carlo_settled(p: float, resamples: int) -> bool:
    """Whether an estimate from `resamples` random tables is far enough from the 5% level that more tables
    could not change the verdict: more than MONTE_CARLO_SETTLED_AT standard errors of an estimate at 0.05."""
    standard_error = math.sqrt(SIGNIFICANCE_LEVEL * (1 - SIGNIFICANCE_LEVEL) / resamples)
    return abs(p - SIGNIFICANCE_LEVEL) > MONTE_CARLO_SETTLED_AT * standard_error


def _fisher_freeman_halton(table: np.ndarray) -> tuple[float, float, int]:
    """The Monte Carlo estimate's statistic (the observed table's probability), p-value and the number of random
    tables it took, in the stages of MONTE_CARLO_STAGES."""
    for resamples in MONTE_CARLO_STAGES:
        method = stats.MonteCarloMethod(n_resamples=resamples, rng=np.random.default_rng(MONTE_CARLO_SEED))
        result = stats.fisher_exact(table, method=method)
        # When a table has more cells than people SciPy (1.17) hands back one-element arrays, not scalars.
        statistic, p = np.asarray(result.statistic).item(), np.asarray(result.pvalue).item()
        if monte_carlo_settled(p, resamples):
            break
    return statistic, p, resamples


def independence_test(groups: Sequence[tuple[int, int]]) -> dict:
    """A test that the measure does not depend on the group, over (numerator, denominator) per group, each
    denominator above 0: which test, its statistic, p-value, result and verdict, JSON-ready. Remembered by
    table (each test is a function of the counts alone, the Monte Carlo one seeded): a snapshot's report and
    its published form, a provider's only programme and all its programmes, and every night's snapshots with
    nothing changed ask for the same tables again."""
    return dict(_independence_test(tuple((int(part), int(whole)) for part, whole in groups)))


@functools.lru_cache(maxsize=65_536)
def _independence_test(groups: tuple[tuple[int, int], ...]) -> dict:
    if len(groups) < 2:
        return _untested(TOO_FEW, VERDICT_TOO_FEW)
    if any(whole <= 0 or not 0 <= part <= whole for part, whole in groups):
        raise ValueError(f"Each group needs 0 ≤ numerator ≤ denominator and a denominator above 0: {groups}")
    table = np.array([[part for part, _ in groups], [whole - part for part, whole in groups]], dtype=np.int64)
    if (table.sum(axis=1) == 0).any():
        return _untested(NO_VARIATION, VERDICT_NO_VARIATION)

    dof: int | None = None
    note: str | None = None
    statistic: float | None
    if (stats.contingency.expected_freq(table) >= SMALLEST_EXPECTED).all():
        chi2 = stats.chi2_contingency(table, correction=False)
        test, statistic_name, p = CHI_SQUARE, "chi-square", float(chi2.pvalue)
        statistic, dof = round(float(chi2.statistic), 4), int(chi2.dof)
    elif table.shape[1] == 2:
        fisher = stats.fisher_exact(table)
        test, statistic_name, p, note = FISHER, "odds ratio", float(fisher.pvalue), NOTE_SMALL
        # The sample odds ratio of the first group's against the second's; infinite with a zero cell.
        statistic = _significant_figures(fisher.statistic)
    else:
        table_probability, p, resamples = _fisher_freeman_halton(table)
        test, statistic_name = FISHER_FREEMAN_HALTON, "probability of the table"
        statistic = _significant_figures(table_probability)
        note = f"{NOTE_SMALL} {NOTE_MONTE_CARLO.format(resamples=resamples)}"

    significant = p < SIGNIFICANCE_LEVEL
    return {
        "test": test,
        "statistic_name": statistic_name if statistic is not None else None,
        "statistic": statistic,
        "degrees_of_freedom": dof,
        "p_value": _significant_figures(p),
        "result": SIGNIFICANT if significant else NOT_SIGNIFICANT,
        "significant": significant,
        "verdict": f"{VERDICT_SIGNIFICANT} ({_p_text(p)})" if significant else VERDICT_NOT_SIGNIFICANT,
        "note": note,
    }


def _suppressed_indexes(denominators: Sequence[int]) -> set[int]:
    """The groups a published table hides: those of 1 to 4 people, and a second one when only one is."""
    hidden = {i for i, whole in enumerate(denominators) if 0 < whole < SMALLEST_PUBLISHED_GROUP}
    if len(hidden) == 1:
        others = [i for i, whole in enumerate(denominators) if whole and i not in hidden]
        if others:
            hidden.add(min(others, key=lambda i: (denominators[i], i)))
    if len(hidden) == 1:
        # The one group with people is small: the zero rows beside it would give it away (with the published
        # total, "Yes: not shown, No: 0" is the whole table). Hide every row.
        hidden = set(range(len(denominators)))
    return hidden


def _counts(
    breakdown: Breakdown, measure: Measure, group_keys: Sequence[str], places
) -> dict[str, list[int]]:
    counts = {key: [0, 0] for key, _ in breakdown.groups}  # key → [numerator, denominator]
    for key, place in zip(group_keys, places, strict=True):
        if measure.in_denominator(place):
            counts[key][1] += 1
            counts[key][0] += measure.in_numerator(place)
    return counts


def _measure_table(
    breakdown: Breakdown, measure: Measure, counts: dict[str, list[int]], publish: bool
) -> dict:
    tested = [key for key, _ in breakdown.groups if key != NOT_KNOWN and counts[key][1]]
    test = independence_test([(counts[key][0], counts[key][1]) for key in tested])

    hidden = _suppressed_indexes([counts[key][1] for key, _ in breakdown.groups]) if publish else set()
    rows = []
    for i, (key, label) in enumerate(breakdown.groups):
        row: dict = {"key": key, "group": label, "tested": key in tested, "suppressed": i in hidden}
        if i not in hidden:
            part, whole = counts[key]
            row |= {"denominator": whole, "numerator": part, "percent": percent(part, whole)}
        rows.append(row)

    if any(row["suppressed"] and row["tested"] for row in rows) and test["p_value"] is not None:
        test |= {
            "statistic": None,
            "statistic_name": None,
            "p_value": None,
            "verdict": VERDICT_SIGNIFICANT if test["significant"] else VERDICT_NOT_SIGNIFICANT,
            "note": NOTE_WITHHELD,
        }
    return {
        "label": measure.label,
        "denominator_label": measure.denominator_label,
        "numerator_label": measure.numerator_label,
        "groups": rows,
        "test": test,
    }


def group_differences(places: Iterable[Place], *, publish: bool = False) -> dict:
    """The "groups" part of the metrics report: for each breakdown and measure, every group's numerator,
    denominator and percent (suppressed where `publish` and the group is small) and a test of independence.
    `any_significant_difference` is None when nothing could be tested (DfE's goal: no significant difference)."""
    internal, published = group_differences_both(places)
    return published if publish else internal


def group_differences_both(places: Iterable[Place]) -> tuple[dict, dict]:
    """The "groups" part as internal pages show it and as it is published, from one count of the places."""
    places = list(places)
    counts: dict[tuple[str, str], dict[str, list[int]]] = {}
    for breakdown in BREAKDOWNS:
        group_keys = [breakdown.group_of(place) for place in places]
        for measure in MEASURES:
            counts[breakdown.key, measure.key] = _counts(breakdown, measure, group_keys, places)
    return _groups_part(counts, publish=False), _groups_part(counts, publish=True)


def _groups_part(counts: dict[tuple[str, str], dict[str, list[int]]], *, publish: bool) -> dict:
    breakdowns: dict[str, dict] = {
        breakdown.key: {
            "label": breakdown.label,
            "measures": {
                measure.key: _measure_table(breakdown, measure, counts[breakdown.key, measure.key], publish)
                for measure in MEASURES
            },
        }
        for breakdown in BREAKDOWNS
    }
    outcomes = [
        table["test"]["significant"]
        for breakdown in breakdowns.values()
        for table in breakdown["measures"].values()
        if table["test"]["significant"] is not None
    ]
    return {
        "published": publish,
        "smallest_published_group": SMALLEST_PUBLISHED_GROUP,
        "significance_level": SIGNIFICANCE_LEVEL,
        "any_significant_difference": any(outcomes) if outcomes else None,
        "breakdowns": breakdowns,
    }
