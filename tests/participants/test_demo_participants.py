"""The demo cohorts are full of plausible participants whose histories explain their status."""

import pytest
from django.db.models import Count

from participants.models import Enrolment, Participant, School
from programmes.models import Cohort

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("demo_for_module"),
]


def test_every_demo_cohort_has_20_to_40_participants_with_histories_that_explain_their_status():
    sizes = Cohort.objects.annotate(n=Count("enrolments")).values_list("n", flat=True)
    assert sizes and all(20 <= n <= 41 for n in sizes)  # 41: a demo login joins one current cohort
    statuses = set(Enrolment.objects.values_list("status", flat=True))
    assert {"deferred", "withdrawn", "completed", "active"} <= statuses
    for enrolment in Enrolment.objects.prefetch_related("changes").filter(
        participant__user__email__endswith="demo-participants.example"
    ):
        changes = list(enrolment.changes.all())
        if enrolment.status != "applied":
            assert changes[-1].to_status == enrolment.status, enrolment
        for change in changes:
            if change.to_status == "deferred":
                assert change.reason in {
                    "parental-leave",
                    "long-term-sickness",
                    "career-break",
                    "bereavement",
                }
            if change.to_status == "withdrawn":
                assert change.reason


def test_demo_schools_and_equality_data_look_like_real_ones():
    fsm = [s.fsm_percent for s in School.objects.all()]
    assert min(fsm) >= 4 and max(fsm) <= 60
    assert any(f >= 30 for f in fsm) and any(f < 30 for f in fsm)
    codes = set(Participant.objects.values_list("ethnicity_code", flat=True))
    assert "WBRI" in codes and len(codes - {"WBRI", "REFU", "NOBT"}) >= 5
    assert Participant.objects.filter(sex="prefer_not").exists()


def test_demo_places_have_engagement_from_marks_tasks_logs_and_ratings_spread_from_eligible_to_at_risk():
    from participants.models import (
        Attendance,
        CoachingSession,
        ComponentCompletion,
        Engagement,
        FeedbackRating,
        LearningLog,
        TaskCompletion,
    )

    for model in (
        Attendance,
        TaskCompletion,
        LearningLog,
        CoachingSession,
        ComponentCompletion,
        FeedbackRating,
    ):
        assert model.objects.exists(), model.__name__
    # Every place has its engagement worked out; some are eligible, some at risk, and only started ones.
    assert Engagement.objects.count() == Enrolment.objects.count()
    assert Engagement.objects.filter(eligible=True).exists()
    assert Engagement.objects.filter(at_risk=True).exists()
    assert (
        not Engagement.objects.filter(at_risk=True)
        .exclude(enrolment__status__in=["active", "deferred"])
        .exists()
    )
