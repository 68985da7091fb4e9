"""Metric 7 by group (metrics/groups.py): the groups each place falls in, the three measures, the tests of
independence against SciPy and against values worked out by hand, the verdicts people read, and what a published
table hides. Pure: no database."""

import json
import math
import re
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from metrics.groups import (
    BREAKDOWNS,
    MEASURES,
    MONTE_CARLO_SEED,
    MONTE_CARLO_STAGES,
    NOT_KNOWN,
    Place,
    group_differences,
    independence_test,
    monte_carlo_settled,
)

NOT_SIGNIFICANT = "No significant difference at the 5% level"
TOO_FEW = "Too few people to test"


def place(
    *,
    sex="female",
    ethnicity="WBRI",
    disability="no",
    fsm=Decimal("10.00"),
    band="middle",
    started=True,
    withdrawn=False,
    deferred=False,
    submitted=False,
    passed=False,
):
    return Place(sex, ethnicity, disability, fsm, band, started, withdrawn, deferred, submitted, passed)


def achievement(group: dict, numbers: dict) -> list[Place]:
    """Places who submitted, with `numbers[value] = (passed, submitted)` for the attribute `group` names."""
    places = []
    for value, (passed, submitted) in numbers.items():
        places += [place(**{group: value}, submitted=True, passed=i < passed) for i in range(submitted)]
    return places


def retention(group: str, numbers: dict) -> list[Place]:
    """Places who started, with `numbers[value] = (retained, started)`."""
    places = []
    for value, (retained, started) in numbers.items():
        places += [place(**{group: value}, withdrawn=i >= retained) for i in range(started)]
    return places


def table(report: dict, breakdown: str, measure: str) -> dict:
    return report["breakdowns"][breakdown]["measures"][measure]


def rows(report: dict, breakdown: str, measure: str) -> dict:
    return {row["group"]: row for row in table(report, breakdown, measure)["groups"]}


def figures(report: dict, breakdown: str, measure: str) -> dict:
    """group label → (numerator, denominator, percent), or "suppressed"."""
    return {
        label: "suppressed" if row["suppressed"] else (row["numerator"], row["denominator"], row["percent"])
        for label, row in rows(report, breakdown, measure).items()
    }


# Who falls in which group


def test_sex_groups_put_prefer_not_to_say_and_not_obtained_together_as_not_known():
    report = group_differences(
        retention("sex", {"female": (3, 4), "male": (1, 2), "prefer_not": (1, 1), "": (0, 1)})
    )
    assert figures(report, "sex", "retention") == {
        "Female": (3, 4, 75.0),
        "Male": (1, 2, 50.0),
        "Not known": (1, 2, 50.0),
    }


def test_ethnicity_groups_are_white_british_any_other_code_and_refused_or_not_obtained():
    places = retention("ethnicity", {"WBRI": (2, 2), "WIRI": (1, 1), "AIND": (1, 1), "OOTH": (0, 1)})
    places += retention("ethnicity", {"REFU": (1, 1), "NOBT": (1, 1), "": (1, 1)})
    assert figures(group_differences(places), "ethnicity", "retention") == {
        "White British": (2, 2, 100.0),
        "Other": (2, 3, 66.67),
        "Not known": (3, 3, 100.0),
    }


def test_disability_groups():
    places = retention("disability", {"yes": (1, 1), "no": (2, 3), "prefer_not": (0, 1), "": (1, 1)})
    assert figures(group_differences(places), "disability", "retention") == {
        "Yes": (1, 1, 100.0),
        "No": (2, 3, 66.67),
        "Not known": (1, 2, 50.0),
    }


@pytest.mark.parametrize(
    ("fsm", "band"),
    [
        (Decimal("30.00"), "30% or more"),  # exactly 30% is in, as the FSM recruitment metric counts it
        (Decimal("30"), "30% or more"),
        (Decimal("100.00"), "30% or more"),
        (Decimal("29.99"), "Under 30%"),
        (Decimal("0.00"), "Under 30%"),
        (None, "Not known"),
    ],
)
def test_school_fsm_band_edges(fsm, band):
    report = group_differences([place(fsm=fsm)])
    counted = {label: row["denominator"] for label, row in rows(report, "school_fsm", "retention").items()}
    assert counted == {label: int(label == band) for label in ("30% or more", "Under 30%", "Not known")}


def test_school_performance_groups():
    places = retention("band", {"high": (1, 1), "middle": (1, 2), "low": (0, 1), "": (1, 1)})
    assert figures(group_differences(places), "school_performance", "retention") == {
        "Higher": (1, 1, 100.0),
        "Middle": (1, 2, 50.0),
        "Lower": (0, 1, 0.0),
        "Not known": (1, 1, 100.0),
    }


@pytest.mark.parametrize(
    "odd",
    [{"sex": "other"}, {"disability": "maybe"}, {"band": "outstanding"}],
    ids=["sex", "disability", "band"],
)
def test_a_value_the_metrics_do_not_know_is_refused_rather_than_counted_somewhere(odd):
    with pytest.raises(ValueError, match="the metrics do not know \\(not shown: it is equality data\\)"):
        group_differences([place(**odd)])


# The measures


def test_the_three_measures_count_whom_metric_seven_says():
    places = [
        place(started=True),  # retained
        place(started=True, withdrawn=True),
        place(started=True, deferred=True),  # deferred and still retained
        place(started=True, withdrawn=True, deferred=True),
        place(started=False, withdrawn=True),  # withdrew before starting: in none of retention or deferral
        place(started=True, submitted=True, passed=True),
        place(started=True, submitted=True, passed=False),
        place(started=True, submitted=False, passed=True),  # not presented: not in achievement
    ]
    report = group_differences(places)
    assert figures(report, "sex", "retention")["Female"] == (5, 7, 71.43)
    assert figures(report, "sex", "deferral")["Female"] == (2, 7, 28.57)
    assert figures(report, "sex", "achievement")["Female"] == (1, 2, 50.0)
    labels = {
        m: (table(report, "sex", m)["numerator_label"], table(report, "sex", m)["denominator_label"])
        for m in ("retention", "deferral", "achievement")
    }
    assert labels == {
        "retention": ("retained", "started"),
        "deferral": ("deferred", "started"),
        "achievement": ("passed", "submitted"),
    }


def test_percentages_are_rounded_half_up_to_two_places():
    # 1 of 8 = 12.5 exactly, 1 of 6 = 16.666…, 2 of 3 = 66.666….
    report = group_differences(retention("sex", {"female": (1, 8), "male": (1, 6), "": (2, 3)}))
    assert figures(report, "sex", "retention")["Female"][2] == 12.5
    assert figures(report, "sex", "retention")["Male"][2] == 16.67
    assert figures(report, "sex", "retention")["Not known"][2] == 66.67
    # 1 of 32 = 3.125 and 3 of 32 = 9.375 exactly: half up gives 3.13 and 9.38 (half to even would give 3.12).
    report = group_differences(retention("sex", {"female": (1, 32), "male": (3, 32)}))
    assert figures(report, "sex", "retention")["Female"][2] == 3.13
    assert figures(report, "sex", "retention")["Male"][2] == 9.38


def test_a_group_with_nobody_in_it_shows_zeros_and_no_percentage():
    report = group_differences(retention("sex", {"female": (4, 6)}))  # nobody submitted, no men
    assert figures(report, "sex", "retention")["Male"] == (0, 0, None)
    assert figures(report, "sex", "achievement") == {
        "Female": (0, 0, None),
        "Male": (0, 0, None),
        "Not known": (0, 0, None),
    }
    assert table(report, "sex", "achievement")["test"]["verdict"] == TOO_FEW


def test_nobody_at_all_gives_empty_tables_and_nothing_tested():
    report = group_differences([])
    assert report["any_significant_difference"] is None
    for breakdown in BREAKDOWNS:
        for measure in MEASURES:
            t = table(report, breakdown.key, measure.key)
            assert [row["percent"] for row in t["groups"]] == [None] * len(breakdown.groups)
            assert t["test"]["verdict"] == TOO_FEW
    json.dumps(report, allow_nan=False)


# The tests of independence


def test_chi_square_on_a_2x2_table_matches_the_hand_worked_value_and_scipy():
    # Retained 20 of 40 women and 30 of 40 men: expected 25 and 15 in each column, so
    # chi-square = 2 × 25/25 + 2 × 25/15 = 5.3333 on 1 degree of freedom, p = 0.0209 (no Yates correction).
    report = group_differences(retention("sex", {"female": (20, 40), "male": (30, 40)}))
    test = table(report, "sex", "retention")["test"]
    scipy_result = stats.chi2_contingency([[20, 30], [20, 10]], correction=False)
    assert test["test"] == "Pearson's chi-square test"
    assert test["statistic_name"] == "chi-square"
    assert test["statistic"] == pytest.approx(16 / 3, abs=1e-4)
    assert test["statistic"] == pytest.approx(scipy_result.statistic, abs=1e-4)
    assert test["degrees_of_freedom"] == 1
    assert test["p_value"] == pytest.approx(scipy_result.pvalue, rel=1e-3)
    assert test["p_value"] == pytest.approx(0.02092, abs=1e-5)
    assert test["verdict"] == "A significant difference at the 5% level (p = 0.021)"
    assert report["any_significant_difference"] is True


def test_chi_square_on_a_2x3_table_matches_scipy():
    places = retention("band", {"high": (40, 60), "middle": (50, 60), "low": (30, 60), "": (2, 9)})
    test = table(group_differences(places), "school_performance", "retention")["test"]
    scipy_result = stats.chi2_contingency([[40, 50, 30], [20, 10, 30]])  # SciPy corrects only 1 dof tables
    assert test["test"] == "Pearson's chi-square test"
    assert test["statistic"] == pytest.approx(scipy_result.statistic, abs=1e-4)
    assert test["degrees_of_freedom"] == 2
    assert test["p_value"] == pytest.approx(scipy_result.pvalue, rel=1e-3)
    assert test["verdict"] == "A significant difference at the 5% level (p < 0.001)"


def test_fishers_exact_test_on_the_lady_tasting_tea():
    # Fisher's own example: 3 of 4 cups right each way. Two-sided p = (1 + 16 + 16 + 1) / 70 = 0.4857.
    test = table(
        group_differences(achievement("sex", {"female": (3, 4), "male": (1, 4)})), "sex", "achievement"
    )["test"]
    assert test["test"] == "Fisher's exact test"
    assert test["p_value"] == pytest.approx(34 / 70, abs=1e-4)
    assert test["statistic_name"] == "odds ratio"
    assert test["statistic"] == pytest.approx(9.0)  # (3 × 3) / (1 × 1)
    assert test["verdict"] == NOT_SIGNIFICANT
    assert test["note"] == "Some groups are small, so an exact test was used."


def test_fishers_exact_test_matches_scipy_and_a_hypergeometric_sum():
    # Passed 8 of 9 and 2 of 7. With the margins fixed, the tables at least as unlikely as this one are
    # x = 8, 9 (and x = 3, 2 at the other tail) of the hypergeometric(16, 10, 9).
    test = table(
        group_differences(achievement("sex", {"female": (8, 9), "male": (2, 7)})), "sex", "achievement"
    )["test"]
    pmf = [math.comb(10, x) * math.comb(6, 9 - x) / math.comb(16, 9) for x in range(3, 10)]
    observed = pmf[8 - 3]
    by_hand = sum(p for p in pmf if p <= observed * (1 + 1e-9))
    assert test["p_value"] == pytest.approx(stats.fisher_exact([[8, 2], [1, 5]]).pvalue, rel=1e-3)
    assert test["p_value"] == pytest.approx(by_hand, rel=1e-3)
    assert test["verdict"] == "A significant difference at the 5% level (p = 0.035)"


def test_an_expected_count_of_exactly_five_keeps_chi_square_and_below_five_goes_exact():
    # 5 of 10 and 5 of 10: every expected count is exactly 5.
    test = table(
        group_differences(achievement("sex", {"female": (5, 10), "male": (5, 10)})), "sex", "achievement"
    )
    assert test["test"]["test"] == "Pearson's chi-square test"
    # 4 of 9 and 5 of 10: expected 9 × 9 / 19 = 4.26 in a cell.
    test = table(
        group_differences(achievement("sex", {"female": (4, 9), "male": (5, 10)})), "sex", "achievement"
    )
    assert test["test"]["test"] == "Fisher's exact test"


def freeman_halton_by_enumeration(columns: list[tuple[int, int]]) -> float:
    """The exact p-value of a 2×k table, worked out independently: every first row with the same margins."""
    totals = [whole for _, whole in columns]
    first_row = sum(part for part, _ in columns)

    def probability(row):
        return math.prod(math.comb(t, x) for t, x in zip(totals, row, strict=True)) / math.comb(
            sum(totals), first_row
        )

    def rows(i, left):
        if i == len(totals) - 1:
            if left <= totals[i]:
                yield (left,)
            return
        for x in range(min(left, totals[i]) + 1):
            for rest in rows(i + 1, left - x):
                yield (x, *rest)

    observed = probability([part for part, _ in columns])
    return sum(p for p in map(probability, rows(0, first_row)) if p <= observed * (1 + 1e-9))


def test_a_2xk_table_with_small_numbers_gets_the_fisher_freeman_halton_test():
    numbers = {"high": (8, 9), "middle": (2, 7), "low": (3, 7)}
    places = achievement("band", numbers)
    test = table(group_differences(places), "school_performance", "achievement")["test"]
    exact = freeman_halton_by_enumeration(list(numbers.values()))
    scipy_result = stats.fisher_exact(
        [[8, 2, 3], [1, 5, 4]],
        method=stats.MonteCarloMethod(n_resamples=99_999, rng=np.random.default_rng(MONTE_CARLO_SEED)),
    )
    assert test["test"] == "Fisher–Freeman–Halton exact test"
    assert test["p_value"] == pytest.approx(scipy_result.pvalue, rel=1e-3)
    assert test["p_value"] == pytest.approx(exact, abs=0.005)
    assert test["note"] == (
        "Some groups are small, so an exact test was used. "
        "Its p-value is estimated from 99,999 random tables with the same totals."
    )
    assert test["verdict"] == NOT_SIGNIFICANT
    # The same table gives the same p-value every time (a recomputed snapshot does not drift).
    assert table(group_differences(reversed(places)), "school_performance", "achievement")["test"] == test


@pytest.mark.parametrize(
    "numbers",
    [
        {"high": (9, 9), "middle": (0, 7), "low": (7, 7)},
        {"high": (2, 2), "middle": (0, 1), "low": (0, 2)},  # more cells than people
        {"high": (3, 5), "middle": (2, 3), "low": (0, 5), "": (2, 7)},
        {"high": (1, 1), "middle": (0, 1), "low": (0, 1)},
    ],
)
def test_the_fisher_freeman_halton_estimate_is_close_to_the_exact_p_value(numbers):
    test = table(group_differences(achievement("band", numbers)), "school_performance", "achievement")["test"]
    tested = [n for band, n in numbers.items() if band]
    exact = freeman_halton_by_enumeration(tested)
    resamples = int(re.search(r"from ([\d,]+) random tables", test["note"]).group(1).replace(",", ""))
    assert test["test"] == "Fisher–Freeman–Halton exact test"
    # Within four standard errors of an estimate from that many tables, and the same verdict as the exact test.
    assert test["p_value"] == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / resamples) + 0.001)
    assert test["significant"] == (exact < 0.05)


@pytest.mark.parametrize(
    ("cells", "resamples"),
    [
        ([[0, 0, 4], [2, 4, 2]], 999),  # p ≈ 0.10: settled by the first stage
        ([[0, 0, 5], [1, 4, 2]], 9_999),  # p ≈ 0.03
        ([[8, 2, 3], [1, 5, 4]], 99_999),  # p ≈ 0.057: near the verdict's edge, every table
    ],
)
def test_the_monte_carlo_estimate_takes_more_tables_only_near_the_verdicts_edge(cells, resamples):
    result = independence_test([(cells[0][i], cells[0][i] + cells[1][i]) for i in range(3)])
    scipy_result = stats.fisher_exact(
        cells,
        method=stats.MonteCarloMethod(n_resamples=resamples, rng=np.random.default_rng(MONTE_CARLO_SEED)),
    )
    assert result["note"].endswith(f"estimated from {resamples:,} random tables with the same totals.")
    assert result["p_value"] == pytest.approx(scipy_result.pvalue, rel=1e-3)
    earlier = [n for n in MONTE_CARLO_STAGES if n < resamples]
    assert all(not monte_carlo_settled(scipy_stage(cells, n), n) for n in earlier)
    assert monte_carlo_settled(scipy_result.pvalue, resamples) or resamples == MONTE_CARLO_STAGES[-1]


def scipy_stage(cells, resamples: int) -> float:
    rng = np.random.default_rng(MONTE_CARLO_SEED)
    return stats.fisher_exact(cells, method=stats.MonteCarloMethod(n_resamples=resamples, rng=rng)).pvalue


def test_not_known_is_shown_but_left_out_of_the_test():
    # Women and men alike; nobody whose sex is not known was retained. Tested with them it would be significant.
    places = retention("sex", {"female": (20, 40), "male": (20, 40), "": (0, 40)})
    t = table(group_differences(places), "sex", "retention")
    assert {row["group"]: (row["denominator"], row["tested"]) for row in t["groups"]} == {
        "Female": (40, True),
        "Male": (40, True),
        "Not known": (40, False),
    }
    assert t["test"]["p_value"] == pytest.approx(1.0)
    assert t["test"]["verdict"] == NOT_SIGNIFICANT


def test_a_known_group_with_nobody_in_it_is_left_out_of_the_test():
    places = retention("band", {"high": (20, 40), "low": (30, 40)})
    t = table(group_differences(places), "school_performance", "retention")
    assert [row["tested"] for row in t["groups"]] == [True, False, True, False]
    assert t["test"]["degrees_of_freedom"] == 1
    assert t["test"]["statistic"] == pytest.approx(16 / 3, abs=1e-4)


@pytest.mark.parametrize(
    ("numbers", "verdict"),
    [
        ({"female": (20, 40), "male": (21, 40)}, NOT_SIGNIFICANT),
        ({"female": (9, 20), "male": (5, 27)}, "A significant difference at the 5% level (p = 0.0497)"),
        ({"female": (10, 100), "male": (60, 100)}, "A significant difference at the 5% level (p < 0.001)"),
        ({"female": (20, 40)}, TOO_FEW),  # one group
        ({"female": (20, 40), "": (3, 40)}, TOO_FEW),  # one known group
        (
            {"female": (40, 40), "male": (12, 12)},
            "No difference to test: everyone tested had the same result",
        ),
    ],
    ids=["not-significant", "just-significant", "very-significant", "one-group", "one-known", "all-retained"],
)
def test_verdicts(numbers, verdict):
    report = group_differences(retention("sex", numbers))
    assert table(report, "sex", "retention")["test"]["verdict"] == verdict


def test_the_report_says_whether_any_test_found_a_difference():
    same = retention("sex", {"female": (20, 40), "male": (21, 40)})
    assert group_differences(same)["any_significant_difference"] is False
    everyone_retained = retention("sex", {"female": (40, 40), "male": (12, 12)})
    assert group_differences(everyone_retained)["any_significant_difference"] is False
    nobody_comparable = retention("sex", {"female": (20, 40)})
    assert group_differences(nobody_comparable)["any_significant_difference"] is None
    different = retention("ethnicity", {"WBRI": (10, 100), "BAFR": (60, 100)})
    assert group_differences(different)["any_significant_difference"] is True


# Suppression in anything published


def test_four_people_are_suppressed_when_published_and_five_are_shown():
    places = retention("sex", {"female": (30, 40), "male": (3, 4)}) + retention("ethnicity", {"AIND": (4, 5)})
    internal = group_differences(places)
    published = group_differences(places, publish=True)
    assert figures(internal, "sex", "retention")["Male"] == (3, 4, 75.0)
    assert rows(published, "sex", "retention")["Male"] == {
        "key": "male",
        "group": "Male",
        "tested": True,
        "suppressed": True,
    }
    assert figures(published, "ethnicity", "retention")["Other"] == (4, 5, 80.0)
    assert published["published"] is True and internal["published"] is False


def test_one_suppressed_group_takes_the_next_smallest_with_it_so_it_cannot_be_worked_out_by_subtraction():
    # Women 40, men 4, not known 10: the total started is published, so men = total − 40 − 10 unless a second
    # group is hidden too. The smaller of the others (not known) is.
    places = retention("sex", {"female": (30, 40), "male": (3, 4), "": (8, 10)})
    published = group_differences(places, publish=True)
    assert figures(published, "sex", "retention") == {
        "Female": (30, 40, 75.0),
        "Male": "suppressed",
        "Not known": "suppressed",
    }
    # The same people, and so the same suppression, in deferral, whose denominator is also those who started.
    assert figures(published, "sex", "deferral") == {
        "Female": (0, 40, 0.0),
        "Male": "suppressed",
        "Not known": "suppressed",
    }
    # A published row does not say which group was the small one.
    assert (
        rows(published, "sex", "retention")["Male"].keys()
        == rows(published, "sex", "retention")["Not known"].keys()
    )


def test_a_group_with_nobody_does_not_protect_a_small_one():
    # Nobody's sex is not known (a 0 is published), so hiding men alone would leave them as total − women.
    published = group_differences(retention("sex", {"female": (30, 40), "male": (3, 4)}), publish=True)
    assert figures(published, "sex", "retention") == {
        "Female": "suppressed",
        "Male": "suppressed",
        "Not known": (0, 0, None),
    }


def test_two_small_groups_protect_each_other():
    places = retention("sex", {"female": (30, 40), "male": (3, 4), "": (2, 3)})
    assert figures(group_differences(places, publish=True), "sex", "retention") == {
        "Female": (30, 40, 75.0),
        "Male": "suppressed",
        "Not known": "suppressed",
    }


def test_a_published_test_over_a_suppressed_group_keeps_its_verdict_but_not_its_p_value():
    places = retention("sex", {"female": (30, 40), "male": (0, 4), "": (8, 10)})
    internal = table(group_differences(places), "sex", "retention")["test"]
    published = table(group_differences(places, publish=True), "sex", "retention")["test"]
    assert internal["verdict"].startswith("A significant difference at the 5% level (p = ")
    assert published["verdict"] == "A significant difference at the 5% level"
    assert published["p_value"] is None and published["statistic"] is None
    assert published["note"] == "The p-value is not published because a group is too small to show."
    assert published["significant"] is True


def test_a_published_test_over_groups_all_shown_keeps_its_p_value():
    # Only "not known" is small; women and men tie as the smallest other group, so the first in the table
    # (women) is hidden with it, and the test, which women are in, loses its p-value.
    places = retention("sex", {"female": (20, 40), "male": (30, 40), "": (1, 2)})
    published = group_differences(places, publish=True)
    assert figures(published, "sex", "retention")["Not known"] == "suppressed"
    assert figures(published, "sex", "retention")["Female"] == "suppressed"
    assert figures(published, "sex", "retention")["Male"] == (30, 40, 75.0)
    assert table(published, "sex", "retention")["test"]["p_value"] is None

    places = retention("sex", {"female": (20, 40), "male": (30, 40), "": (1, 2), "prefer_not": (2, 3)})
    published = group_differences(places, publish=True)
    assert figures(published, "sex", "retention")["Not known"] == (3, 5, 60.0)
    test = table(published, "sex", "retention")["test"]
    assert test["verdict"] == "A significant difference at the 5% level (p = 0.021)"


# Properties over random places

CODES = ["WBRI", "WIRI", "MWBA", "AIND", "BCRB", "CHNE", "OOTH", "REFU", "NOBT", ""]
places_strategy = st.lists(
    st.builds(
        Place,
        sex=st.sampled_from(["female", "male", "prefer_not", ""]),
        ethnicity=st.sampled_from(CODES),
        disability=st.sampled_from(["yes", "no", "prefer_not", ""]),
        school_fsm_percent=st.one_of(st.none(), st.decimals(0, 100, places=2)),
        school_performance_band=st.sampled_from(["high", "middle", "low", ""]),
        started=st.booleans(),
        withdrawn=st.booleans(),
        deferred=st.booleans(),
        submitted=st.booleans(),
        passed=st.booleans(),
    ),
    max_size=60,
)


def every_table(report):
    for breakdown in BREAKDOWNS:
        for measure in MEASURES:
            yield breakdown, measure, table(report, breakdown.key, measure.key)


@settings(max_examples=40, deadline=None)
@given(places_strategy)
def test_figures_are_always_consistent(places):
    report = group_differences(places)
    json.dumps(report, allow_nan=False)  # JSON-ready: no Decimal, NumPy number, NaN or infinity
    for _, measure, t in every_table(report):
        in_denominator = [p for p in places if measure.in_denominator(p)]
        assert sum(row["denominator"] for row in t["groups"]) == len(in_denominator)
        assert sum(row["numerator"] for row in t["groups"]) == sum(map(measure.in_numerator, in_denominator))
        for row in t["groups"]:
            assert 0 <= row["numerator"] <= row["denominator"]
            if row["denominator"]:
                assert 0 <= row["percent"] <= 100
                assert row["percent"] == pytest.approx(100 * row["numerator"] / row["denominator"], abs=0.005)
            else:
                assert row["percent"] is None
            assert row["tested"] == (row["key"] != NOT_KNOWN and row["denominator"] > 0)
        p = t["test"]["p_value"]
        assert p is None or 0 <= p <= 1
        assert (t["test"]["verdict"] == TOO_FEW) == (sum(row["tested"] for row in t["groups"]) < 2)


@settings(max_examples=25, deadline=None)
@given(places_strategy, st.randoms(use_true_random=False))
def test_the_order_of_the_places_changes_nothing(places, rnd):
    shuffled = list(places)
    rnd.shuffle(shuffled)
    assert group_differences(shuffled) == group_differences(places)
    assert group_differences(shuffled, publish=True) == group_differences(places, publish=True)


@settings(max_examples=40, deadline=None)
@given(places_strategy)
def test_published_tables_hide_every_small_group_and_never_just_one(places):
    internal = group_differences(places)
    published = group_differences(places, publish=True)
    for breakdown, measure, t in every_table(published):
        shown = table(internal, breakdown.key, measure.key)["groups"]
        hidden = [row for row in t["groups"] if row["suppressed"]]
        with_people = [row for row in shown if row["denominator"]]
        for row, full in zip(t["groups"], shown, strict=True):
            if 0 < full["denominator"] < 5:
                assert row["suppressed"]
            if row["suppressed"]:
                assert set(row) == {"key", "group", "tested", "suppressed"}
            else:
                assert row == full  # what is shown is the internal figure
        assert len(hidden) != 1 or len(with_people) == 1
        if any(row["suppressed"] and row["tested"] for row in t["groups"]):
            assert t["test"]["p_value"] is None and "(p " not in t["test"]["verdict"]
        assert t["test"]["significant"] == table(internal, breakdown.key, measure.key)["test"]["significant"]


def test_when_the_only_group_with_people_is_small_the_whole_table_is_hidden():
    """Four starters, all disabled: "Yes: not shown" beside "No: 0" would give them away with the published
    total, so no row of the table is shown."""
    from metrics.groups import Place

    places = [
        Place(
            sex="female",
            ethnicity="WBRI",
            disability="yes",
            school_fsm_percent=None,
            school_performance_band="",
            started=True,
            withdrawn=n < 2,
            deferred=False,
            submitted=False,
            passed=False,
        )
        for n in range(4)
    ]
    rows = group_differences(places, publish=True)["breakdowns"]["disability"]["measures"]["retention"][
        "groups"
    ]
    assert all(row["suppressed"] for row in rows)
    assert all("numerator" not in row for row in rows)
