"""Snapshots of the metrics: kept with their time, and a recomputation that finds the same figures writes
nothing (so a published figure can be traced to the snapshot it came from, and re-running is harmless)."""

import datetime

import pytest

from metrics.models import MetricSnapshot
from metrics.services import snapshot_take, snapshots_take_all
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_a_recomputation_with_the_same_figures_writes_nothing_and_a_change_writes_one(provider):
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider), start_date=datetime.date(2019, 9, 16)
    )
    EnrolmentFactory(cohort=cohort)
    first, new = snapshot_take(provider=provider, recruitment_year="2019/20")
    assert new and first.data["recruitment"]["recruited"] == 1
    again, new = snapshot_take(provider=provider, recruitment_year="2019/20")
    assert (again, new) == (first, False)
    EnrolmentFactory(cohort=cohort)
    changed, new = snapshot_take(provider=provider, recruitment_year="2019/20")
    assert new and changed.data["recruitment"]["recruited"] == 2 and changed.computed_at >= first.computed_at
    assert MetricSnapshot.objects.count() == 2


def test_every_year_and_programme_of_every_provider(provider, other_provider):
    for year in (2018, 2019):
        cohort = CohortFactory(
            programme=ProgrammeFactory(provider=provider, code=f"npqel-{year}"),
            start_date=datetime.date(year, 10, 1),
        )
        EnrolmentFactory(cohort=cohort)
    # each year: all programmes together, and each of the two programmes
    assert snapshots_take_all(providers=[provider, other_provider]) == 6
    assert snapshots_take_all(providers=[provider, other_provider]) == 0
    years = set(MetricSnapshot.objects.values_list("recruitment_year", flat=True))
    assert years == {"2018/19", "2019/20"}


def test_a_providers_snapshots_take_a_fixed_number_of_queries_however_many_years_and_places(
    provider, django_assert_max_num_queries
):
    programme = ProgrammeFactory(provider=provider)

    def intake(year: int, places: int) -> None:
        cohort = CohortFactory(programme=programme, start_date=datetime.date(year, 10, 1))
        EnrolmentFactory.create_batch(places, cohort=cohort)

    intake(2019, 1)
    with django_assert_max_num_queries(20) as one_year:  # the scopes, the records, then compare and write
        assert snapshots_take_all(providers=[provider]) == 2
    for year in (2020, 2021, 2022):
        intake(year, 6)
    MetricSnapshot.objects.all().delete()
    with django_assert_max_num_queries(len(one_year.captured_queries)):
        assert snapshots_take_all(providers=[provider]) == 8
