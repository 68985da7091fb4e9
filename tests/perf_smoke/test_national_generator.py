"""The benchmark's data generator (tests/perf/national.py), run small so it cannot rot between `make bench` runs."""

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from participants.models import (
    Attendance,
    CoachingSession,
    ComponentCompletion,
    Engagement,
    Enrolment,
    LearningLog,
    TaskCompletion,
)
from participants.services.engagement import engagement_recompute
from programmes.models import Cohort, Provider, Session, StaffMembership
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
    assert Engagement.objects.filter(core_tasks_done__gt=0).exists()
    assert (
        Engagement.objects.filter(percent__gte=50).exists()
        and Engagement.objects.filter(at_risk=True).exists()
    )


def test_generator_is_deterministic():
    first = list(generate(scale=0.005, seed=7).rows.items())
    statuses = list(Enrolment.objects.order_by("pk").values_list("status", flat=True))
    marks = list(Attendance.objects.order_by("pk").values_list("status", flat=True))
    assert marks
    Enrolment.objects.all().delete()
    Session.objects.all().delete()
    Cohort.objects.all().delete()
    StaffMembership.objects.all().delete()
    Provider.objects.all().delete()
    User.objects.all().delete()
    assert list(generate(scale=0.005, seed=7).rows.items()) == first
    assert list(Enrolment.objects.order_by("pk").values_list("status", flat=True)) == statuses
    assert list(Attendance.objects.order_by("pk").values_list("status", flat=True)) == marks
