"""Engagement and eligibility (participants/services/engagement.py): the threshold at exactly 90.00% under
"at least" and "more than", a session and its repeat counted once, to date and the maximum still possible,
core tasks, required components, logs capped at the planned hours, at risk, and a recompute that is safe
to run twice and gathers a burst of changes into one job per cohort."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from participants.models import (
    Attendance,
    CoachingSession,
    ComponentCompletion,
    ComponentPlan,
    Engagement,
    EngagementQueue,
    EvidenceTally,
    LearningLog,
    TaskCompletion,
)
from participants.services import engagement as service
from programmes.models import Component, Module, Programme, Task
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    SessionFactory,
)
from tests.together import together

pytestmark = pytest.mark.django_db
D = datetime.date
A = Attendance.Status
K = Component.Kind
M = Component.Mode
# Halfway through the cohort (3 Oct 2022 – 29 Mar 2024 is 543 days; this is day 270).
NOW = local_datetime(D(2023, 6, 30), datetime.time(12, 0))


def at(day: D, hour: int = 10):
    return local_datetime(day, datetime.time(hour, 0))


@pytest.fixture
def programme(provider):
    return ProgrammeFactory(provider=provider, name="NPQEL")


@pytest.fixture
def cohort(programme):
    return CohortFactory(programme=programme, start_date=D(2022, 10, 3), end_date=D(2024, 3, 29))


def webinars(cohort, *, hours: str | None = "10", contents: int = 10, past: int | None = None, group=None):
    """A live component with `contents` one-hour sessions, the first `past` of them over by NOW."""
    component = ComponentFactory(
        programme=cohort.programme,
        kind=K.WEBINAR,
        mode=M.ONLINE_LIVE,
        guided_learning_hours=None if hours is None else Decimal(hours),
    )
    past = contents if past is None else past
    sessions = []
    for n in range(contents):
        day = (
            D(2022, 10, 10) + datetime.timedelta(weeks=n)
            if n < past
            else D(2023, 9, 4) + datetime.timedelta(weeks=n)
        )
        sessions.append(
            SessionFactory(
                cohort=cohort, component=component, group=group, starts_at=at(day), ends_at=at(day, 11)
            )
        )
    return component, sessions


def mark(enrolment, sessions, status=A.PRESENT):
    for session in sessions:
        Attendance.objects.create(enrolment=enrolment, session=session, status=status, marked_at=NOW)


def measured(enrolment) -> Engagement:
    service.engagement_recompute(cohort_ids=[enrolment.cohort_id], now=NOW)
    return Engagement.objects.get(pk=enrolment.pk)


# The threshold --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "eligible"),
    [(Programme.Comparison.AT_LEAST, True), (Programme.Comparison.MORE_THAN, False)],
)
def test_exactly_90_percent_meets_at_least_but_not_more_than(programme, cohort, comparison, eligible):
    programme.engagement_comparison = comparison
    programme.save()
    _, sessions = webinars(cohort, contents=10)
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions[:9])
    row = measured(place)
    assert row.percent == Decimal("90.00")
    assert row.meets_threshold is eligible
    assert row.eligible is eligible


def test_just_below_90_is_not_enough_even_at_least(programme, cohort):
    # 89.9 of 100 hours: 89.90%.
    component, sessions = webinars(cohort, hours="89.9", contents=1)
    ComponentFactory(
        programme=programme, kind=K.SEMINAR, mode=M.IN_PERSON, guided_learning_hours=Decimal("10.1")
    )
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions)
    row = measured(place)
    assert row.percent == Decimal("89.90")
    assert not row.eligible


def test_more_than_90_is_met_by_90_01(programme, cohort):
    programme.engagement_comparison = Programme.Comparison.MORE_THAN
    programme.save()
    webinars(cohort, hours="9001", contents=1)
    place = EnrolmentFactory(cohort=cohort)
    ComponentCompletion.objects.create(
        enrolment=place, component=Component.objects.get(), completed_on=NOW.date()
    )
    ComponentFactory(
        programme=programme, kind=K.SEMINAR, mode=M.IN_PERSON, guided_learning_hours=Decimal("999")
    )
    row = measured(place)
    assert row.percent == Decimal("90.01")
    assert row.eligible


# Repeats --------------------------------------------------------------------------------------------


def test_a_session_and_its_repeat_count_once(cohort):
    component, (first, second) = webinars(cohort, hours="4", contents=2)
    repeat = SessionFactory(
        cohort=cohort,
        component=component,
        repeat_of=first,
        starts_at=at(D(2022, 10, 12)),
        ends_at=at(D(2022, 10, 12), 11),
    )
    both = EnrolmentFactory(cohort=cohort)
    mark(both, [first, repeat])
    only_repeat = EnrolmentFactory(cohort=cohort)
    mark(only_repeat, [repeat])
    service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    # Two pieces of content (the first session with its repeat, and the second): 2 hours each.
    for place in (both, only_repeat):
        row = Engagement.objects.get(pk=place.pk)
        assert row.credited_hours == Decimal("2")
        assert row.percent == Decimal("50.00")


def test_late_counts_absences_do_not(cohort):
    _, sessions = webinars(cohort, contents=4)
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions[:1], A.PRESENT)
    mark(place, sessions[1:2], A.LATE)
    mark(place, sessions[2:3], A.ABSENT)
    mark(place, sessions[3:], A.AUTHORISED_ABSENCE)
    assert measured(place).percent == Decimal("50.00")


# To date and the maximum still possible -------------------------------------------------------------


def test_to_date_and_maximum_still_possible(cohort):
    # Four sessions: two over (one attended), two still to come.
    _, sessions = webinars(cohort, hours="8", contents=4, past=2)
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions[:1])
    row = measured(place)
    assert row.percent == Decimal("25.00")  # 2 of 8 hours
    assert row.to_date_percent == Decimal("50.00")  # 2 of the 4 hours held so far
    assert row.max_percent == Decimal("75.00")  # 2 + the 4 still to come, of 8
    # Cannot reach 90% any more: at risk.
    assert row.at_risk
    assert not row.eligible


def test_a_repeat_still_to_come_keeps_a_missed_session_possible(cohort):
    component, (first,) = webinars(cohort, hours="2", contents=1)
    SessionFactory(
        cohort=cohort,
        component=component,
        repeat_of=first,
        starts_at=at(D(2023, 9, 4)),
        ends_at=at(D(2023, 9, 4), 11),
    )
    place = EnrolmentFactory(cohort=cohort)
    row = measured(place)
    assert (row.percent, row.to_date_percent, row.max_percent) == (Decimal("0.00"), None, Decimal("100.00"))
    assert not row.at_risk


def test_only_the_places_own_groups_sessions_count(cohort):
    north, south = DeliveryGroupFactory(cohort=cohort), DeliveryGroupFactory(cohort=cohort)
    component, north_sessions = webinars(cohort, hours="6", contents=3, group=north)
    for n in range(3):
        day = D(2022, 11, 1) + datetime.timedelta(weeks=n)
        SessionFactory(
            cohort=cohort, component=component, group=south, starts_at=at(day), ends_at=at(day, 11)
        )
    place = EnrolmentFactory(cohort=cohort, group=north)
    mark(place, north_sessions[:2])
    row = measured(place)
    assert row.percent == Decimal("66.67")  # 2 of their group's 3, not 2 of 6


def test_components_without_published_hours_count_their_session_lengths(cohort):
    _, sessions = webinars(cohort, hours=None, contents=3)
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions[:2])
    row = measured(place)
    assert (row.planned_hours, row.credited_hours) == (Decimal("3"), Decimal("2"))


# Online tasks, required components, logs -------------------------------------------------------------


@pytest.fixture
def course(programme):
    course = ComponentFactory(
        programme=programme, kind=K.ONLINE_COURSE, mode=M.SELF_DIRECTED, guided_learning_hours=Decimal("10")
    )
    module = Module.objects.create(course=course, title="Strategy")
    core = [Task.objects.create(module=module, title=f"Core {n}", core=True) for n in range(2)]
    optional = Task.objects.create(module=module, title="Optional", core=False)
    return course, core, optional


def test_core_tasks_credit_the_course_and_optional_ones_do_not(cohort, course):
    _, core, optional = course
    place = EnrolmentFactory(cohort=cohort)
    TaskCompletion.objects.create(enrolment=place, task=optional, completed_on=NOW.date())
    TaskCompletion.objects.create(enrolment=place, task=core[0], completed_on=NOW.date())
    row = measured(place)
    assert (row.core_tasks_done, row.core_tasks_total) == (1, 2)
    assert row.credited_hours == Decimal("5")
    assert not row.eligible
    TaskCompletion.objects.create(enrolment=place, task=core[1], completed_on=NOW.date())
    row = measured(place)
    assert (row.core_tasks_done, row.percent) == (2, Decimal("100.00"))
    assert row.eligible


def test_every_core_task_is_needed_even_above_the_threshold(programme, cohort, course):
    _, core, _ = course
    _, sessions = webinars(cohort, hours="990", contents=1)
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions)
    TaskCompletion.objects.create(enrolment=place, task=core[0], completed_on=NOW.date())
    row = measured(place)
    assert row.percent == Decimal("99.50")
    assert row.meets_threshold
    assert not row.eligible  # one core task is missing


def test_a_required_component_outside_engagement_must_be_recorded_done(programme, cohort):
    webinars(cohort, contents=1)
    diagnostic = ComponentFactory(
        programme=programme,
        kind=K.DIAGNOSTIC_360,
        mode=M.SELF_DIRECTED,
        guided_learning_hours=Decimal("3"),
        counts_toward_engagement=False,
        required=True,
    )
    place = EnrolmentFactory(cohort=cohort)
    mark(place, cohort.sessions.all())
    row = measured(place)
    assert (row.percent, row.required_missing, row.eligible) == (Decimal("100.00"), 1, False)
    ComponentCompletion.objects.create(enrolment=place, component=diagnostic, completed_on=NOW.date())
    row = measured(place)
    assert (row.required_missing, row.eligible) == (0, True)


def test_logged_hours_count_up_to_the_planned_hours(programme, cohort):
    self_directed = ComponentFactory(
        programme=programme, kind=K.SELF_DIRECTED, mode=M.SELF_DIRECTED, guided_learning_hours=Decimal("5")
    )
    coaching = ComponentFactory(
        programme=programme, kind=K.COACHING, mode=M.ONLINE_LIVE, guided_learning_hours=Decimal("6")
    )
    place = EnrolmentFactory(cohort=cohort)
    for hours in ("4", "3"):
        LearningLog.objects.create(
            enrolment=place,
            component=self_directed,
            done_on=NOW.date(),
            hours=Decimal(hours),
            activity="Reading",
        )
    CoachingSession.objects.create(
        enrolment=place, component=coaching, held_on=NOW.date(), minutes=90, focus="Finance"
    )
    row = measured(place)
    assert row.credited_hours == Decimal("6.5")  # 5 (capped) + 1.5
    assert row.planned_hours == Decimal("11")


def test_self_paced_hours_fall_due_across_the_cohort(cohort, course):
    place = EnrolmentFactory(cohort=cohort)
    row = measured(place)
    # Day 270 of 543: 10 × 270 / 543 hours are due so far.
    assert row.due_hours == Decimal("4.9724")
    assert row.to_date_percent == Decimal("0.00")
    assert row.max_percent == Decimal("100.00")


# At risk -----------------------------------------------------------------------------------------------


def test_lagging_more_than_the_margin_is_at_risk(programme, cohort):
    _, sessions = webinars(cohort, hours="40", contents=40, past=10)
    at_the_margin = EnrolmentFactory(cohort=cohort)
    mark(at_the_margin, sessions[:8])  # 80% to date: exactly 10 points under 90
    lagging = EnrolmentFactory(cohort=cohort)
    mark(lagging, sessions[:7])  # 70% to date, though 92.5% can still be reached overall
    service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    margin_row, lagging_row = (Engagement.objects.get(pk=p.pk) for p in (at_the_margin, lagging))
    assert (margin_row.to_date_percent, margin_row.max_percent, margin_row.at_risk) == (
        Decimal("80.00"),
        Decimal("95.00"),
        False,
    )
    assert (lagging_row.to_date_percent, lagging_row.at_risk) == (Decimal("70.00"), True)
    programme.at_risk_margin = Decimal("25")
    programme.save()
    service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    assert not Engagement.objects.get(pk=lagging.pk).at_risk


def test_places_not_started_or_ended_are_never_at_risk(cohort):
    webinars(cohort, contents=4)
    places = [EnrolmentFactory(cohort=cohort, status=s) for s in ("accepted", "withdrawn", "completed")]
    service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    assert not Engagement.objects.filter(pk__in=[p.pk for p in places], at_risk=True).exists()
    assert Engagement.objects.filter(pk__in=[p.pk for p in places]).count() == 3


# Recomputing ---------------------------------------------------------------------------------------


def test_recompute_is_safe_to_run_twice_and_touches_only_its_cohorts(programme, cohort):
    _, sessions = webinars(cohort, contents=4)
    other = CohortFactory(programme=programme)
    place, elsewhere = EnrolmentFactory(cohort=cohort), EnrolmentFactory(cohort=other)
    mark(place, sessions[:3])
    service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    first = Engagement.objects.get(pk=place.pk)
    service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    second = Engagement.objects.get(pk=place.pk)
    assert [getattr(first, f) for f in service.COLUMNS] == [getattr(second, f) for f in service.COLUMNS]
    assert Engagement.objects.count() == 1
    assert not Engagement.objects.filter(pk=elsewhere.pk).exists()


def test_measure_matches_what_the_recompute_stores(cohort, course):
    _, sessions = webinars(cohort, hours="8", contents=4, past=2)
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions[:1])
    TaskCompletion.objects.create(enrolment=place, task=course[1][0], completed_on=NOW.date())
    measure, parts = service.engagement_measure(enrolment_id=place.pk, now=NOW)
    row = measured(place)
    for field in service.COLUMNS:
        assert getattr(measure, field) == getattr(row, field), field
    assert (measure.eligible, measure.at_risk) == (row.eligible, row.at_risk)
    assert sum(p.credited_hours for p in parts if p.counted) == row.credited_hours


def test_a_burst_of_changes_queues_one_recompute_per_cohort(
    cohort, django_capture_on_commit_callbacks, settings
):
    other = CohortFactory(programme=cohort.programme)
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(5):
            service.engagement_changed(cohort_ids=[cohort.pk, other.pk])
    # One job per cohort, however many changes.
    assert len(callbacks) == 2
    assert EngagementQueue.objects.get(cohort=cohort).version == 5


def test_a_change_during_a_recompute_keeps_the_cohort_queued(cohort, django_capture_on_commit_callbacks):
    place = EnrolmentFactory(cohort=cohort)
    service.engagement_changed(cohort_ids=[cohort.pk])
    real = service.engagement_recompute

    def recompute_then_change(**kwargs):
        result = real(**kwargs)
        service.engagement_changed(cohort_ids=[cohort.pk])  # arrives while the job runs
        return result

    service.engagement_recompute = recompute_then_change
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            assert service.engagement_recompute_queued(cohort_id=cohort.pk)
    finally:
        service.engagement_recompute = real
    assert EngagementQueue.objects.filter(cohort=cohort).exists()
    assert callbacks, "another run is queued"
    assert Engagement.objects.filter(pk=place.pk).exists()
    # The next run finds nothing new and empties the queue; a run after that has nothing to do.
    assert service.engagement_recompute_queued(cohort_id=cohort.pk)
    assert not EngagementQueue.objects.exists()
    assert not service.engagement_recompute_queued(cohort_id=cohort.pk)


def test_a_register_save_recomputes_after_commit(cohort, provider, django_capture_on_commit_callbacks):
    from npqel.access import Role
    from participants import services as participant_services
    from tests.people import person

    _, sessions = webinars(cohort, contents=2)
    place = EnrolmentFactory(cohort=cohort)
    with django_capture_on_commit_callbacks(execute=True):
        participant_services.register_save(
            by=person(Role.FACILITATOR, provider), session=sessions[0], marks={place.pk: A.PRESENT}
        )
    assert Engagement.objects.get(pk=place.pk).percent == Decimal("50.00")
    assert not EngagementQueue.objects.exists()


def test_lost_jobs_are_queued_again_by_the_sweep(cohort):
    service.engagement_changed(cohort_ids=[cohort.pk])
    assert service.engagement_sweep(now=NOW.replace(year=2000)) == []
    later = datetime.datetime.now(tz=datetime.UTC) + service.SWEEP_AFTER + datetime.timedelta(seconds=1)
    assert service.engagement_sweep(now=later) == [cohort.pk]


def test_a_required_component_without_hours_must_be_done_even_if_it_counts(programme, cohort):
    _, sessions = webinars(cohort, contents=1)
    coaching = ComponentFactory(
        programme=programme, kind=K.COACHING, mode=M.ONLINE_LIVE, guided_learning_hours=None, required=True
    )
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions)
    row = measured(place)
    assert (row.percent, row.required_missing, row.eligible) == (Decimal("100.00"), 1, False)
    CoachingSession.objects.create(
        enrolment=place, component=coaching, held_on=NOW.date(), minutes=60, focus="Finance"
    )
    row = measured(place)
    assert (row.required_missing, row.eligible) == (0, True)


def test_the_python_and_sql_forms_of_how_components_are_evidenced_agree(programme):
    from django.db import connection

    for kind in K.values:
        for mode in M.values:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {service.EVIDENCE_SQL} FROM (SELECT %s AS kind, %s AS mode) AS c",  # noqa: S608
                    [kind, mode],
                )
                assert cursor.fetchone()[0] == service.evidence_of(kind, mode), (kind, mode)


def test_recompute_says_how_many_places_it_wrote(cohort):
    EnrolmentFactory.create_batch(3, cohort=cohort)
    assert service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW) == 3


def test_several_places_are_measured_in_two_queries(programme, cohort, django_assert_num_queries):
    _, sessions = webinars(cohort, contents=2)
    places = EnrolmentFactory.create_batch(3, cohort=cohort)
    mark(places[0], sessions[:1])
    with django_assert_num_queries(2):
        measured = service.engagement_measure_many(enrolment_ids=[p.pk for p in places], now=NOW)
    assert {pk: m.percent for pk, (m, _) in measured.items()} == {
        places[0].pk: Decimal("50.00"),
        places[1].pk: Decimal("0.00"),
        places[2].pk: Decimal("0.00"),
    }
    assert all(len(parts) == 1 for _, parts in measured.values())


def test_the_most_still_possible_is_never_more_than_the_planned_hours(cohort):
    # 2.5 hours over 16 pieces of content: the first attended, still open (its repeat is to come). Credited
    # 0.1563 (rounded up) and 2.34375 to come: rounded down, 2.3437, so 2.5000 at most.
    component, sessions = webinars(cohort, hours="2.5", contents=16, past=1)
    SessionFactory(
        cohort=cohort,
        component=component,
        repeat_of=sessions[0],
        starts_at=at(D(2023, 12, 1)),
        ends_at=at(D(2023, 12, 1), 11),
    )
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions[:1])
    row = measured(place)
    measure, parts = service.engagement_measure(enrolment_id=place.pk, now=NOW)
    assert (row.credited_hours, row.possible_hours, row.planned_hours) == (
        Decimal("0.1563"),
        Decimal("2.5000"),
        Decimal("2.5000"),
    )
    assert measure.possible_hours == parts[0].possible_hours == row.possible_hours
    assert service.engagement_recompute(now=NOW) == 0  # every place, from the tallies: the same


# The evidence tallies the recompute reads ------------------------------------------------------------


def test_a_cohorts_recompute_counts_its_places_tallies_from_their_records(programme, cohort, course):
    component, sessions = webinars(cohort, hours=None, contents=3)
    repeat = SessionFactory(
        cohort=cohort,
        component=component,
        repeat_of=sessions[0],
        starts_at=at(D(2022, 10, 12)),
        ends_at=at(D(2022, 10, 12), 11),
    )
    self_directed = ComponentFactory(
        programme=programme, kind=K.SELF_DIRECTED, mode=M.SELF_DIRECTED, guided_learning_hours=Decimal("5")
    )
    case_study = ComponentFactory(programme=programme, kind=K.CASE_STUDY, mode=M.SELF_DIRECTED)
    place, other = EnrolmentFactory(cohort=cohort), EnrolmentFactory(cohort=cohort)
    mark(place, [sessions[0], repeat, sessions[1]])  # a session and its repeat count once
    mark(other, sessions, status=A.ABSENT)
    TaskCompletion.objects.create(enrolment=place, task=course[1][0], completed_on=NOW.date())
    TaskCompletion.objects.create(enrolment=place, task=course[2], completed_on=NOW.date())  # optional
    LearningLog.objects.create(
        enrolment=place, component=self_directed, done_on=NOW.date(), hours=Decimal("2.5"), activity="Reading"
    )
    ComponentCompletion.objects.create(enrolment=place, component=case_study, completed_on=NOW.date())

    service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    tallies = {
        tally.component_id: (
            tally.contents_attended,
            tally.hours_attended,
            tally.core_tasks_done,
            tally.hours_logged,
            tally.recorded_done,
        )
        for tally in EvidenceTally.objects.filter(enrolment=place)
    }
    assert tallies == {
        component.pk: (2, Decimal(2), 0, 0, False),
        course[0].pk: (0, 0, 1, 0, False),
        self_directed.pk: (0, 0, 0, Decimal("2.5"), False),
        case_study.pk: (0, 0, 0, 0, True),
    }
    # With what it credits, which time passing does not change.
    credits = {
        tally.component_id: (tally.evidence, tally.counted, tally.credited_hours, tally.done)
        for tally in EvidenceTally.objects.filter(enrolment=place)
    }
    assert credits[component.pk] == ("attendance", True, Decimal("2"), False)  # 2 of 3 hours
    assert credits[course[0].pk] == ("tasks", True, Decimal("5"), False)  # 1 of 2 core tasks
    assert credits[self_directed.pk] == ("learning_log", True, Decimal("2.5"), False)
    assert credits[case_study.pk][0] == "completion" and credits[case_study.pk][3]
    # Only places with some evidence have a tally; every group with places has the programme's plans.
    assert not EvidenceTally.objects.filter(enrolment=other).exists()
    plans = {plan.component_id: plan for plan in ComponentPlan.objects.filter(cohort=cohort, group_key=0)}
    assert set(plans) == set(programme.components.values_list("pk", flat=True))
    assert (plans[component.pk].planned_hours, plans[component.pk].units, plans[component.pk].in_hours) == (
        Decimal(3),
        Decimal(3),
        True,
    )
    assert plans[course[0].pk].core_total == 2
    # Counting again replaces them: the log removed, its tally goes.
    LearningLog.objects.all().delete()
    service.engagement_recompute(enrolment_ids=[place.pk], now=NOW)
    assert not EvidenceTally.objects.filter(enrolment=place, component=self_directed).exists()


def test_every_place_recomputed_reads_the_tallies_and_counts_again_the_queued_cohorts(programme, cohort):
    _, sessions = webinars(cohort, contents=4)
    queued_cohort = CohortFactory(programme=programme, start_date=cohort.start_date, end_date=cohort.end_date)
    _, queued_sessions = webinars(queued_cohort, contents=4)
    place, queued_place = EnrolmentFactory(cohort=cohort), EnrolmentFactory(cohort=queued_cohort)
    mark(place, sessions[:1])
    mark(queued_place, queued_sessions[:1])
    service.engagement_recompute(cohort_ids=[cohort.pk, queued_cohort.pk], now=NOW)

    # Marks written past the services (which would queue the cohort): the tallies do not know of them.
    mark(place, sessions[1:2])
    mark(queued_place, queued_sessions[1:2])
    service.engagement_changed(cohort_ids=[queued_cohort.pk])  # what every service does beside its change
    assert service.engagement_recompute(now=NOW) == 1  # one place's figures changed
    assert Engagement.objects.get(pk=place.pk).credited_hours == Decimal("2.5")  # the tally: 1 of 4
    assert Engagement.objects.get(pk=queued_place.pk).credited_hours == Decimal("5")  # counted again: 2 of 4
    # The cohort's own recompute counts its tallies again.
    assert measured(place).credited_hours == Decimal("5")


@pytest.mark.django_db(transaction=True)
def test_recomputes_of_one_cohort_at_the_same_moment_count_its_tallies_once_each(programme, cohort):
    # A cohort's job, its job again (the sweep re-queued it) and the nightly run of every place, at once: each
    # deletes the cohort's tallies and inserts them again, one after the other.
    _, sessions = webinars(cohort, contents=4)
    places = [EnrolmentFactory(cohort=cohort) for _ in range(3)]
    for place in places:
        mark(place, sessions[:2])
    service.engagement_changed(cohort_ids=[cohort.pk])
    for _ in range(3):
        results = together(
            lambda: service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW),
            lambda: service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW),
            lambda: service.engagement_recompute(now=NOW),
        )
        assert all(isinstance(result, int) for result in results), results
    assert EvidenceTally.objects.filter(enrolment__in=places).count() == 3
    assert {row.credited_hours for row in Engagement.objects.filter(pk__in=[p.pk for p in places])} == {
        Decimal("5")
    }


# A change committed while the nightly run works: the run had read the queue (empty) before it, so its tallies
# for that cohort are stale; the cohort's job recounts and writes meanwhile. The run must not overwrite it.
LATER = NOW + datetime.timedelta(days=400)  # every session over


@pytest.mark.django_db(transaction=True)
def test_the_nightly_run_leaves_a_cohort_queued_meanwhile_to_its_own_job(cohort, monkeypatch):
    _, sessions = webinars(cohort, contents=4, past=2)
    place = EnrolmentFactory(cohort=cohort)
    mark(place, sessions[:1])
    service.engagement_recompute(cohort_ids=[cohort.pk], now=NOW)
    EngagementQueue.objects.all().delete()
    assert Engagement.objects.get(pk=place.pk).credited_hours == Decimal("2.5")

    n_paused, n_go, j_wrote, j_commit = (threading.Event() for _ in range(4))
    real_open = service._open_sessions
    nightly_thread = {}

    def paused_open(cursor, params, **kwargs):
        if threading.current_thread() is nightly_thread.get("t"):
            n_paused.set()
            n_go.wait(30)
        return real_open(cursor, params, **kwargs)

    monkeypatch.setattr(service, "_open_sessions", paused_open)
    monkeypatch.setattr(service, "enqueue", lambda *a, **k: None)  # the job is run by hand below
    out = {}

    def nightly():
        try:
            out["n"] = service.engagement_recompute(now=LATER)
        except BaseException as e:  # noqa: BLE001
            out["n"] = e
        finally:
            connection.close()

    def job():
        try:
            version = EngagementQueue.objects.get(cohort_id=cohort.pk).version
            with transaction.atomic():
                service.engagement_recompute(cohort_ids=[cohort.pk], now=LATER)
                j_wrote.set()
                j_commit.wait(30)
            out["deleted"] = EngagementQueue.objects.filter(cohort_id=cohort.pk, version=version).delete()[0]
        except BaseException as e:  # noqa: BLE001
            out["j"] = e
        finally:
            connection.close()

    n = threading.Thread(target=nightly)
    nightly_thread["t"] = n
    n.start()
    assert n_paused.wait(30)  # the nightly run has read the queue (empty) and counted nothing
    # A change through the services' path: a mark, and the cohort queued, committed.
    with transaction.atomic():
        mark(place, sessions[1:2])
        service.engagement_changed(cohort_ids=[cohort.pk])
    j = threading.Thread(target=job)
    j.start()
    assert j_wrote.wait(30)  # the cohort's job has written the new figures, not yet committed
    n_go.set()  # the nightly statement starts now: its snapshot has the mark, not the job's tallies
    time.sleep(2)  # ... and waits on the place's Engagement row
    j_commit.set()
    j.join(30)
    n.join(30)
    assert "j" not in out and not isinstance(out.get("n"), BaseException), out
    assert out["deleted"] == 1 and not EngagementQueue.objects.exists()
    fresh = service.engagement_measure(enrolment_id=place.pk, now=LATER)[0]
    stored = Engagement.objects.get(pk=place.pk)
    assert stored.credited_hours == fresh.credited_hours
