"""Recording DfE declarations (metrics/declarations.py): who is declared started, retained-1, retained-2 and
completed, on which date (midnight UK time, with the right offset either side of the clock change), the
engagement milestones at exactly their boundary, withdrawn places not newly declared retained, a retention date
never after the place finished nor before it started, a review that changes the outcome voiding and re-recording
the completed declaration, and recording twice adding nothing, in a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest

from metrics.declarations import declarations_record, midnight, rfc3339
from metrics.models import Declaration
from participants.models import Attendance, Engagement
from participants.services.engagement import engagement_recompute
from programmes.timetable import local_datetime
from tests.metrics.declaration_places import (
    NOW,
    START,
    D,
    S,
    T,
    change,
    engagement,
    place,
    standing,
    uk_midnight,
)
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ComponentFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(provider):
    return ProgrammeFactory(provider=provider)  # retained-1 at 30%, retained-2 at 60% (the defaults)


@pytest.fixture
def cohort(programme):
    return CohortFactory(programme=programme, code="2024-autumn", start_date=START, end_date=D(2026, 2, 27))


def record(provider, now=NOW):
    return declarations_record(provider=provider, now=now)


def test_a_date_is_midnight_uk_time_with_its_offset_either_side_of_the_clock_change():
    assert midnight(D(2024, 9, 2)) == uk_midnight(D(2024, 9, 2))
    assert rfc3339(midnight(D(2024, 9, 2))) == "2024-09-02T00:00:00+01:00"  # British Summer Time
    assert rfc3339(midnight(D(2025, 1, 15))) == "2025-01-15T00:00:00+00:00"  # Greenwich Mean Time
    # 23:00 UTC on 1 September is already 2 September in the UK.
    assert rfc3339(datetime.datetime(2024, 9, 1, 23, 0, tzinfo=datetime.UTC)) == "2024-09-02T00:00:00+01:00"


def test_started_is_every_place_that_began_dated_by_its_first_change_to_active(provider, cohort):
    resumed = place(
        cohort,
        S.ACCEPTED,
        history=[
            (S.ACCEPTED, S.ACTIVE, D(2024, 9, 10)),
            (S.ACTIVE, S.DEFERRED, D(2024, 11, 1)),
            (S.DEFERRED, S.ACTIVE, D(2025, 1, 6)),
        ],
    )
    left = place(
        cohort,
        S.ACCEPTED,
        history=[(S.ACCEPTED, S.ACTIVE, D(2024, 9, 16)), (S.ACTIVE, S.WITHDRAWN, D(2024, 12, 2))],
    )
    imported_active = place(cohort, S.ACTIVE, start=None)  # no change to active: the cohort's start
    own_start = place(cohort, S.ACTIVE, start=D(2024, 10, 7))  # no change to active: their own start
    # Moved to another cohort while active: a change from active to active is a move, not a start.
    moved = place(cohort, S.ACTIVE, start=D(2024, 9, 9))
    change(moved, S.ACTIVE, S.ACTIVE, D(2024, 12, 9))
    deferred = place(cohort, S.DEFERRED, history=[(S.ACTIVE, S.DEFERRED, D(2024, 10, 1))])
    never_began = [
        place(cohort, S.APPLIED),
        place(cohort, S.ACCEPTED),
        place(cohort, S.ACCEPTED, history=[(S.ACCEPTED, S.WITHDRAWN, D(2024, 8, 20))]),
    ]
    assert record(provider).recorded == 6
    dates = {p.pk: standing(p)[T.STARTED].declaration_date for p in (resumed, left, imported_active)}
    assert dates == {
        resumed.pk: uk_midnight(D(2024, 9, 10)),  # the first time, not the resumption
        left.pk: uk_midnight(D(2024, 9, 16)),
        imported_active.pk: uk_midnight(START),
    }
    assert standing(own_start)[T.STARTED].declaration_date == uk_midnight(D(2024, 10, 7))
    assert standing(moved)[T.STARTED].declaration_date == uk_midnight(D(2024, 9, 9))
    assert standing(deferred)[T.STARTED].declaration_date == uk_midnight(START)
    assert not Declaration.objects.filter(enrolment__in=never_began).exists()
    assert standing(resumed)[T.STARTED].has_passed is None and standing(left)[T.STARTED].recorded_at == NOW


@pytest.mark.parametrize(
    ("percent", "declared"),
    [
        (None, set()),  # never measured
        ("0.00", set()),
        ("29.99", set()),
        ("30.00", {T.RETAINED_1}),  # exactly the milestone: at least
        ("59.99", {T.RETAINED_1}),
        ("60.00", {T.RETAINED_1, T.RETAINED_2}),
        ("100.00", {T.RETAINED_1, T.RETAINED_2}),
    ],
)
def test_retained_at_least_the_programmes_milestones(provider, cohort, percent, declared):
    enrolment = place(cohort, percent=percent)
    record(provider)
    assert set(standing(enrolment)) - {T.STARTED} == declared
    for kind in declared:  # first seen today (after the start, before any finish)
        assert standing(enrolment)[kind].declaration_date == uk_midnight(NOW.date())
        assert rfc3339(standing(enrolment)[kind].declaration_date) == "2025-01-15T00:00:00+00:00"


def test_each_programme_sets_its_own_milestones(provider):
    strict = ProgrammeFactory(
        provider=provider, code="strict", retained_1_percent=Decimal("40"), retained_2_percent=Decimal("80")
    )
    cohort = CohortFactory(programme=strict, start_date=START, end_date=D(2026, 2, 27))
    below, first, both = (place(cohort, percent=p) for p in ("39.99", "40.00", "80.00"))
    record(provider)
    assert T.RETAINED_1 not in standing(below)
    assert set(standing(first)) == {T.STARTED, T.RETAINED_1}
    assert set(standing(both)) == {T.STARTED, T.RETAINED_1, T.RETAINED_2}


def test_retention_reads_the_engagement_the_recompute_stored(provider, programme, cohort):
    """End to end: 3 of 10 one-hour webinars attended is 30.00% engagement, retained-1 and not retained-2."""
    component = ComponentFactory(programme=programme, guided_learning_hours=Decimal("10"))
    sessions = [
        SessionFactory(
            cohort=cohort,
            component=component,
            starts_at=local_datetime(D(2024, 9, 10) + datetime.timedelta(weeks=n), datetime.time(16)),
            ends_at=local_datetime(D(2024, 9, 10) + datetime.timedelta(weeks=n), datetime.time(17)),
        )
        for n in range(10)
    ]
    enrolment = EnrolmentFactory(cohort=cohort)
    for session in sessions[:3]:
        Attendance.objects.create(
            enrolment=enrolment, session=session, status=Attendance.Status.PRESENT, marked_at=NOW
        )
    engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    assert Engagement.objects.get(pk=enrolment.pk).percent == Decimal("30.00")
    record(provider)
    assert set(standing(enrolment)) == {T.STARTED, T.RETAINED_1}


def test_a_withdrawn_place_is_not_newly_declared_retained_but_keeps_what_was_declared(provider, cohort):
    stayed_long_enough = place(cohort, percent="45")
    record(provider)
    assert set(standing(stayed_long_enough)) == {T.STARTED, T.RETAINED_1}
    change(stayed_long_enough, S.ACTIVE, S.WITHDRAWN, D(2025, 2, 3))
    engagement(stayed_long_enough, "75")  # credited late for work done before they left
    never_seen = place(
        cohort,
        S.WITHDRAWN,
        history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.WITHDRAWN, D(2024, 12, 20))],
        percent="70",
    )
    record(provider, now=NOW + datetime.timedelta(days=30))
    assert set(standing(stayed_long_enough)) == {T.STARTED, T.RETAINED_1}  # no retained-2; retained-1 stays
    assert set(standing(never_seen)) == {T.STARTED}


def test_retention_is_never_dated_after_the_place_finished_nor_before_it_started(provider, cohort):
    finished = place(
        cohort,
        S.ACTIVE,
        history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2024, 12, 10))],
        percent="65",
    )
    record(provider)  # on 15 January 2025: after they finished
    assert standing(finished)[T.RETAINED_1].declaration_date == uk_midnight(D(2024, 12, 10))
    assert standing(finished)[T.RETAINED_2].declaration_date == uk_midnight(D(2024, 12, 10))
    # Credited for pre-course work before their place starts: dated from the start, not before.
    early = place(
        CohortFactory(programme=cohort.programme, start_date=D(2025, 3, 3), end_date=D(2026, 7, 31)),
        start=None,
        percent="35",
    )
    record(provider)
    assert standing(early)[T.STARTED].declaration_date == uk_midnight(D(2025, 3, 3))
    assert standing(early)[T.RETAINED_1].declaration_date == uk_midnight(D(2025, 3, 3))


@pytest.mark.parametrize(("status", "has_passed"), [(S.COMPLETED, True), (S.FAILED, False)])
def test_completed_is_dated_by_the_latest_change_to_the_outcome(provider, cohort, status, has_passed):
    enrolment = place(
        cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, status, D(2025, 1, 9))], percent="95"
    )
    record(provider)
    completed = standing(enrolment)[T.COMPLETED]
    assert completed.has_passed is has_passed
    assert completed.declaration_date == uk_midnight(D(2025, 1, 9))
    assert set(standing(enrolment)) == {T.STARTED, T.RETAINED_1, T.RETAINED_2, T.COMPLETED}


def test_an_outcome_with_no_change_recorded_is_dated_today(provider, cohort):
    enrolment = place(cohort, S.FAILED)  # e.g. set by hand, no history
    record(provider)
    assert standing(enrolment)[T.COMPLETED].declaration_date == uk_midnight(NOW.date())
    assert record(provider, now=NOW + datetime.timedelta(days=3)).recorded == 0  # not re-dated tomorrow
    assert standing(enrolment)[T.COMPLETED].declaration_date == uk_midnight(NOW.date())


def test_a_review_that_changes_the_outcome_voids_the_declaration_and_records_a_new_one(provider, cohort):
    enrolment = place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))])
    record(provider)
    passed = standing(enrolment)[T.COMPLETED]
    change(enrolment, S.COMPLETED, S.FAILED, D(2025, 2, 3))  # the review found it a fail
    later = NOW + datetime.timedelta(days=20)
    assert record(provider, now=later).voided == 1
    passed.refresh_from_db()
    assert (
        passed.voided_at == later
        and passed.void_reason == "The result changed on review from passed to failed."
    )
    failed = standing(enrolment)[T.COMPLETED]
    assert failed.has_passed is False and failed.declaration_date == uk_midnight(D(2025, 2, 3))

    change(enrolment, S.FAILED, S.ACTIVE, D(2025, 2, 10))  # a second review: back to resubmit
    record(provider, now=later + datetime.timedelta(days=1))
    failed.refresh_from_db()
    assert failed.void_reason == "The result was set aside on review: the place is now active."
    assert T.COMPLETED not in standing(enrolment)

    change(enrolment, S.ACTIVE, S.COMPLETED, D(2025, 3, 3))  # resubmitted and passed
    record(provider, now=later + datetime.timedelta(days=30))
    again = standing(enrolment)[T.COMPLETED]
    assert again.has_passed is True and again.declaration_date == uk_midnight(D(2025, 3, 3))
    assert Declaration.objects.filter(enrolment=enrolment, declaration_type=T.COMPLETED).count() == 3
    assert standing(enrolment)[T.STARTED].voided_at is None  # a review never touches the start


def test_a_review_not_seen_in_between_still_re_dates_the_completion(provider, cohort):
    enrolment = place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))])
    record(provider)
    first = standing(enrolment)[T.COMPLETED]
    # Set aside and passed again between two nightly runs: the outcome is the same, its date is not.
    change(enrolment, S.COMPLETED, S.ACTIVE, D(2025, 1, 20))
    change(enrolment, S.ACTIVE, S.COMPLETED, D(2025, 2, 14))
    assert record(provider, now=NOW + datetime.timedelta(days=40)).voided == 1
    first.refresh_from_db()
    assert first.void_reason == "The place was finished again on 14 February 2025, after a review."
    assert standing(enrolment)[T.COMPLETED].declaration_date == uk_midnight(D(2025, 2, 14))


def test_recording_twice_adds_nothing(provider, cohort):
    place(cohort, percent="70", history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.FAILED, D(2025, 1, 9))])
    place(cohort, percent="31")
    place(cohort, S.DEFERRED, history=[(S.ACTIVE, S.DEFERRED, D(2024, 11, 1))])
    first = record(provider)
    assert (first.recorded, first.voided) == (4 + 2 + 1, 0)
    before = list(Declaration.objects.order_by("pk").values())
    for days in (0, 1, 60):  # again now, tomorrow, and months later: the same facts, the same dates
        again = record(provider, now=NOW + datetime.timedelta(days=days))
        assert (again.recorded, again.voided) == (0, 0)
    assert list(Declaration.objects.order_by("pk").values()) == before


def test_one_providers_places_are_never_declared_for_another(provider, other_provider, cohort):
    mine = place(cohort)
    theirs = place(
        CohortFactory(
            programme=ProgrammeFactory(provider=other_provider), start_date=START, end_date=D(2026, 2, 27)
        )
    )
    record(provider)
    assert set(Declaration.objects.values_list("enrolment_id", "provider_id")) == {(mine.pk, provider.pk)}
    record(other_provider)
    assert Declaration.objects.get(enrolment=theirs).provider == other_provider


def test_recording_takes_a_fixed_number_of_queries_however_many_places(
    provider, cohort, django_assert_num_queries
):
    def places(n):
        for _ in range(n):
            place(cohort, percent="65")
            place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))])
            place(cohort, S.ACCEPTED)

    def review_all():
        for enrolment in Declaration.objects.filter(declaration_type=T.COMPLETED, voided_at__isnull=True):
            change(enrolment.enrolment, S.COMPLETED, S.FAILED, D(2025, 2, 3))

    places(2)
    record(provider)
    review_all()
    places(2)
    # Lock, places, standing declarations, the voids, the new ones; and the transaction's savepoint and release.
    with django_assert_num_queries(7):
        assert record(provider, now=NOW + datetime.timedelta(days=30)).voided == 2
    review_all()
    places(20)
    with django_assert_num_queries(7):
        assert record(provider, now=NOW + datetime.timedelta(days=31)).recorded == 20 * 5 + 2
