"""The benchmark's data generator (tests/perf/national.py), run small so it cannot rot between `make bench` runs."""

import pytest
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from assessment.models import (
    AssessmentWindow,
    Extension,
    ModerationItem,
    Result,
    ResultChange,
    Submission,
    SubmissionVersion,
)
from metrics.compute import metrics_report
from metrics.models import RecruitmentTarget
from participants.models import (
    Attendance,
    CoachingSession,
    ComponentCompletion,
    Engagement,
    Enrolment,
    EnrolmentChange,
    EvidenceTally,
    FeedbackRating,
    LearningLog,
    Participant,
    TaskCompletion,
)
from participants.services.engagement import COLUMNS, engagement_measure_many, engagement_recompute
from programmes.models import Cohort, Provider, Session, StaffMembership, recruitment_year_of
from tests.perf.national import (
    MODULES,
    NOT_STARTED,
    NOW,
    REPEATS_PER_COHORT,
    SESSIONS_PER_COHORT,
    TASKS_PER_MODULE,
    generate,
)

pytestmark = pytest.mark.django_db


def test_generator_fills_every_table_consistently_at_a_small_scale():
    timings = generate(scale=0.02)
    assert timings.rows == {
        "providers": 2,
        "staff": 2 * 4 * 3,
        "cohorts": 24,
        "participants": 1_000,
        "enrolments": 1_000,
        "components": 2 * 10,
        "modules and tasks": 2 * len(MODULES) * (1 + TASKS_PER_MODULE),
        "sessions": 24 * SESSIONS_PER_COHORT,
        "session repeats": 24 * REPEATS_PER_COHORT,
        "attendance": Attendance.objects.count(),
        "task completions": TaskCompletion.objects.count(),
        "learning logs": LearningLog.objects.count(),
        "coaching sessions": CoachingSession.objects.count(),
        "component completions": ComponentCompletion.objects.count(),
        "schools": 180,
        "assessment schemes": AssessmentWindow.objects.count(),
        "submissions": Submission.objects.count(),
        "results": Result.objects.count(),
        "moderation": ModerationItem.objects.count(),
        "enrolment history": EnrolmentChange.objects.count(),
        "feedback": FeedbackRating.objects.count(),
        "targets": RecruitmentTarget.objects.count(),
        "evidence tallies": EvidenceTally.objects.count(),
    }
    assert Provider.objects.count() == 2 and Cohort.objects.count() == 24
    assert StaffMembership.objects.filter(role="provider_admin").count() == 6
    # The denormalised provider always matches the cohort's.
    assert not Enrolment.objects.exclude(provider=F("cohort__programme__provider")).exists()
    assert set(Enrolment.objects.values_list("status", flat=True)) >= {"active", "completed", "withdrawn"}
    assert "total" in timings.report()
    # Every session falls inside its cohort and belongs to its programme.
    assert not Session.objects.exclude(component__programme=F("cohort__programme")).exists()
    assert all(
        s.cohort.start_date <= timezone.localdate(s.starts_at) <= s.cohort.end_date
        for s in Session.objects.select_related("cohort")
    )
    assert Session.objects.filter(repeat_of__isnull=False).count() == 24 * REPEATS_PER_COHORT
    gives_the_metrics_what_they_read()


def attendance_constraints() -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, "participants_attendance")


def test_generator_adds_engagement_evidence_of_every_kind():
    constraints = attendance_constraints()
    timings = generate(scale=0.02)
    # The marks are loaded without their table's keys and indexes, which are put back as they were.
    assert attendance_constraints() == constraints
    # About 60 marks a place, as at national scale (3,000,000 for 50,000).
    assert 40_000 <= timings.rows["attendance"] <= 80_000
    for name in ("task completions", "learning logs", "coaching sessions", "component completions"):
        assert timings.rows[name] > 100, name
    print("\n" + timings.report())
    marks = Attendance.objects.all()
    # Only registers taken by now, for the places expected there: their cohort's sessions and their group's.
    assert not marks.filter(session__ends_at__gt=NOW).exists()
    assert not marks.exclude(session__cohort=F("enrolment__cohort")).exists()
    assert (
        not marks.filter(session__group__isnull=False).exclude(session__group=F("enrolment__group")).exists()
    )
    assert not marks.filter(enrolment__status__in=NOT_STARTED).exists()
    assert not marks.filter(marked_at__lt=F("session__ends_at")).exists()
    # A realistic mix: mostly present.
    shares = {
        status: marks.filter(status=status).count() / marks.count() for status in Attendance.Status.values
    }
    assert shares["present"] > 0.75 and shares["late"] > 0.02
    assert shares["absent"] > 0.02 and shares["authorised_absence"] > 0.01
    # A repeat is marked only for those who missed its first run, and they were there.
    repeat_marks = marks.filter(session__repeat_of__isnull=False)
    assert repeat_marks.exists() and not repeat_marks.exclude(status="present").exists()
    assert not repeat_marks.filter(
        enrolment__attendances__session=F("session__repeat_of"),
        enrolment__attendances__status__in=["present", "late"],
    ).exists()
    # Each kind of evidence belongs to a component of that kind on the place's own programme.
    assert not TaskCompletion.objects.exclude(
        task__module__course__programme=F("enrolment__cohort__programme")
    ).exists()
    assert not TaskCompletion.objects.exclude(task__module__course__kind="online_course").exists()
    assert not LearningLog.objects.exclude(component__programme=F("enrolment__cohort__programme")).exists()
    assert set(LearningLog.objects.values_list("component__kind", flat=True)) == {"self_directed"}
    assert not CoachingSession.objects.exclude(coach=F("enrolment__coach")).exists()
    assert set(CoachingSession.objects.values_list("component__kind", flat=True)) == {"coaching"}
    assert set(ComponentCompletion.objects.values_list("component__kind", flat=True)) == {
        "formative_assessment",
        "case_study",
    }
    assert not LearningLog.objects.filter(done_on__gt=timezone.localdate(NOW)).exists()
    # The engagement recompute takes all of it: every place measured, with every kind of evidence credited.
    assert engagement_recompute(now=NOW) == 1_000
    assert Engagement.objects.count() == 1_000
    # It read the tallies the generator counted: the same figures as measuring each place from its records.
    fresh = engagement_measure_many(enrolment_ids=Enrolment.objects.values_list("pk", flat=True), now=NOW)
    for row in Engagement.objects.all():
        measure = fresh[row.pk][0]
        assert {column: getattr(row, column) for column in (*COLUMNS, "eligible", "at_risk")} == {
            column: getattr(measure, column) for column in (*COLUMNS, "eligible", "at_risk")
        }, row.pk
    assert Engagement.objects.filter(core_tasks_done__gt=0).exists()
    assert (
        Engagement.objects.filter(percent__gte=50).exists()
        and Engagement.objects.filter(at_risk=True).exists()
    )


def empty_database() -> None:
    """Every row the generator writes gone and the ids starting again from 1 (which results a moderation sample
    picks depends on their ids), inside the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses while deferred checks are pending
        cursor.execute(
            "TRUNCATE accounts_user, programmes_provider, participants_school RESTART IDENTITY CASCADE"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_generator_is_deterministic():
    empty_database()
    first = list(generate(scale=0.005, seed=7).rows.items())
    statuses = list(Enrolment.objects.order_by("pk").values_list("status", flat=True))
    marks = list(Attendance.objects.order_by("pk").values_list("status", flat=True))
    outcomes = list(Result.objects.order_by("pk").values_list("outcome", "route", "total"))
    assert marks and outcomes
    empty_database()
    assert list(generate(scale=0.005, seed=7).rows.items()) == first
    assert list(Enrolment.objects.order_by("pk").values_list("status", flat=True)) == statuses
    assert list(Attendance.objects.order_by("pk").values_list("status", flat=True)) == marks
    assert list(Result.objects.order_by("pk").values_list("outcome", "route", "total")) == outcomes


def gives_the_metrics_what_they_read():
    """What the DfE metrics read (issue 8) is there, realistic and consistent with each place's status."""
    people = Participant.objects.all()
    assert not people.filter(school__isnull=True).exists()
    white_british = people.filter(ethnicity_code="WBRI").count() / people.count()
    assert 0.6 < white_british < 0.9
    assert people.exclude(ethnicity_code__in=["WBRI", "REFU", "NOBT"]).count() > 50
    assert people.filter(ethnicity_code__in=["REFU", "NOBT"]).exists()
    assert {"female", "male"} <= set(people.values_list("sex", flat=True))
    assert people.filter(disability="yes").exists() and people.filter(school__fsm_percent__gte=30).exists()
    # Every place's history ends in its status; a withdrawn place had begun, so it counts as recruited.
    latest = EnrolmentChange.objects.filter(enrolment=OuterRef("pk")).order_by(
        "-effective_on", "-recorded_at"
    )
    places = Enrolment.objects.annotate(last=latest.values("to_status")[:1])
    assert not places.exclude(last=F("status")).exists()
    assert (
        not places.filter(status="withdrawn")
        .exclude(changes__from_status__in=["active", "deferred"])
        .exists()
    )
    assert EnrolmentChange.objects.filter(from_status="deferred", to_status="active").exists()
    # Every place that passed or failed presented and was marked: all passes, or at least one fail.
    finished = places.filter(status__in=["completed", "failed"])
    assert not finished.exclude(submissions__status__in=["submitted", "late_with_extension"]).exists()
    results = Result.objects.all()
    assert not results.filter(outcome="fail", submission__enrolment__status="completed").exists()
    assert not finished.filter(status="failed").exclude(submissions__result__outcome="fail").exists()
    assert not results.exclude(submission__enrolment__status__in=["completed", "failed"]).exists()
    assert not Submission.objects.exclude(status="draft").filter(submitted_version__isnull=True).exists()
    assert SubmissionVersion.objects.count() == Submission.objects.count()
    late = Submission.objects.filter(status="late_with_extension")
    assert (
        late.exists()
        and not late.exclude(
            Exists(
                Extension.objects.filter(
                    enrolment=OuterRef("enrolment"), task=OuterRef("task"), status="granted"
                )
            )
        ).exists()
    )
    # Moderated: every borderline script of a month sampled; a disagreement changed the result.
    items = ModerationItem.objects.all()
    assert items.filter(verdict="agree").exists()
    assert not results.filter(
        was_borderline=True, released_at__isnull=False, moderation_items__isnull=True
    ).exists()
    assert not results.filter(released_at__isnull=False, decided_at__gt=F("released_at")).exists()
    changed = items.filter(verdict="disagree")
    assert changed.count() == ResultChange.objects.count() == results.filter(route="moderated").count()
    assert not changed.exclude(moderator_outcome=F("result__outcome")).exists()
    # Feedback from 0 to 10, before NOW; a session rated only by someone there.
    ratings = FeedbackRating.objects.all()
    assert (
        ratings.filter(session__isnull=True).exists() and ratings.filter(session__isnull=False).count() > 1000
    )
    assert not ratings.filter(Q(rating__gt=10) | Q(rated_at__gt=NOW)).exists()
    attended = Attendance.objects.filter(
        enrolment=OuterRef("enrolment"), session=OuterRef("session"), status__in=["present", "late"]
    )
    assert not ratings.filter(session__isnull=False).exclude(Exists(attended)).exists()
    # A provider's year, as the metrics see it: every figure there to compute.
    provider = Provider.objects.order_by("pk").first()
    year = recruitment_year_of(
        Cohort.objects.filter(programme__provider=provider).order_by("start_date")[1].start_date
    )
    assert RecruitmentTarget.objects.filter(provider=provider).count() >= 5
    report = metrics_report(provider=provider, recruitment_year=year)
    assert report["recruitment"]["recruited"] > 20 and report["fsm"]["count"] > 0
    assert report["non_white_british"]["count"] > 0
    assert 0 < report["presentation"]["within_deadline"] <= report["presentation"]["presented"]
    assert report["accuracy"]["assessments"] >= report["presentation"]["presented"] > 0
    assert report["accuracy"]["moderated"] > 0 and report["feedback"]["responses"] > 0
    assert 0 < report["retention"]["withdrawn"] < report["retention"]["started"]
    assert 0 < report["retention"]["passed"] <= report["retention"]["submitted"]
