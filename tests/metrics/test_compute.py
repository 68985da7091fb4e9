"""The seven metrics against figures worked out by hand: who counts as recruited and started, shares and "% of
target" from the unrounded share (DOMAIN.md's 7 of 120 against 4%: 5.83% and 145.83%), the 18/24-month boundary
on 1 July 2018, imported history beside live records, and None (never 0, never an error) where there is no target
or nothing to divide by."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment.models import Submission
from metrics.compute import metrics_report, percent, two_places, year_bounds
from metrics.models import RecruitmentTarget
from participants.models import EarlierRecord, Enrolment, EnrolmentChange, FeedbackRating
from programmes.models import DeadlineExtension
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
UK = zoneinfo.ZoneInfo("Europe/London")
KEYS = [
    "provider",
    "programme",
    "recruitment_year",
    "recruitment",
    "fsm",
    "non_white_british",
    "presentation",
    "accuracy",
    "feedback",
    "retention",
    "groups",
]


@pytest.fixture
def programme(provider):
    programme = ProgrammeFactory(provider=provider, deadline_months=18)
    DeadlineExtension.objects.create(programme=programme, applies_from=datetime.date(2018, 7, 1), months=24)
    return programme


def cohort(programme, start=datetime.date(2019, 9, 16), **targets):
    return CohortFactory(
        programme=programme, start_date=start, end_date=start + datetime.timedelta(days=500), **targets
    )


def place(cohort, status="active", *, fsm=None, ethnicity="WBRI", history=(), start=None, **participant):
    school = SchoolFactory(fsm_percent=Decimal(fsm)) if fsm is not None else None
    enrolment = EnrolmentFactory(
        cohort=cohort,
        status=status,
        start_date=start or cohort.start_date,
        participant__school=school,
        participant__ethnicity_code=ethnicity,
        **{f"participant__{k}": v for k, v in participant.items()},
    )
    for from_status, to_status, on in history:
        EnrolmentChange.objects.create(
            enrolment=enrolment, from_status=from_status, to_status=to_status, effective_on=on
        )
    return enrolment


def report(provider, year="2019/20", programme=None):
    return metrics_report(provider=provider, recruitment_year=year, programme=programme)


def test_percentages_round_half_up_and_percent_of_target_uses_the_unrounded_share():
    share = percent(7, 120)  # 5.8333…
    assert two_places(share) == 5.83
    assert two_places(percent(share, Decimal("4"))) == 145.83  # not 145.75 (from 5.83) and not 150
    assert two_places(Decimal("2.345")) == 2.35 and two_places(Decimal("2.344")) == 2.34
    assert percent(3, 0) is None and two_places(None) is None
    assert year_bounds("2019/20") == (datetime.date(2019, 9, 1), datetime.date(2020, 8, 31))


def test_the_worked_example_of_domain_md_7_of_120_against_4_percent(provider, programme):
    intake = cohort(programme)
    for n in range(120):
        place(intake, fsm="35" if n < 7 else "10")
    RecruitmentTarget.objects.create(
        provider=provider, recruitment_year="2019/20", recruitment_target=100, fsm_target_percent=Decimal("4")
    )
    figures = report(provider)
    assert list(figures) == KEYS
    assert figures["recruitment"] == {"target": 100, "recruited": 120, "percent_of_target": 120.0}
    assert figures["fsm"] == {"target_percent": 4.0, "count": 7, "percent": 5.83, "percent_of_target": 145.83}
    assert figures["non_white_british"]["percent_of_target"] is None  # no target set


def test_recruited_means_accepted_or_beyond_and_withdrawals_later_still_count(provider, programme):
    intake = cohort(programme)
    place(intake, "applied")  # not recruited
    place(
        intake, "withdrawn", history=[("applied", "withdrawn", datetime.date(2019, 8, 1))]
    )  # never accepted
    place(intake, "accepted")  # recruited, not started
    place(  # recruited and started, then withdrawn: counts in both
        intake,
        "withdrawn",
        history=[
            ("accepted", "active", datetime.date(2019, 9, 16)),
            ("active", "withdrawn", datetime.date(2020, 1, 10)),
        ],
    )
    place(
        intake, "withdrawn", history=[("accepted", "withdrawn", datetime.date(2019, 9, 1))]
    )  # before starting
    place(intake, "active")
    place(intake, "deferred", history=[("active", "deferred", datetime.date(2020, 2, 1))])
    place(intake, "completed")
    place(intake, "failed")
    figures = report(provider)
    assert figures["recruitment"]["recruited"] == 7
    retention = figures["retention"]
    assert (retention["started"], retention["withdrawn"], retention["deferred"]) == (5, 1, 1)
    assert retention["retention_percent"] == 80.0 and retention["deferred_percent"] == 20.0
    # The completed place never presented here (no submission, nothing imported): achievement is of those who did.
    assert (retention["passed"], retention["submitted"], retention["achievement_percent"]) == (0, 0, None)


def test_the_year_is_the_academic_year_the_cohort_starts_in(provider, programme):
    place(cohort(programme, datetime.date(2019, 9, 1)))
    place(cohort(programme, datetime.date(2020, 8, 31)))
    place(cohort(programme, datetime.date(2020, 9, 1)))
    place(cohort(programme, datetime.date(2019, 8, 31)))
    assert report(provider)["recruitment"]["recruited"] == 2
    assert report(provider, "2020/21")["recruitment"]["recruited"] == 1


def test_non_white_british_counts_known_ethnicities_other_than_wbri_over_all_recruited(provider, programme):
    intake = cohort(programme, non_white_british_target_percent=Decimal("20"), recruitment_target=8)
    for code in ["WBRI", "WBRI", "AIND", "BCRB", "WIRI", "REFU", "NOBT", "WBRI"]:
        place(intake, ethnicity=code)
    shares = report(provider)["non_white_british"]
    assert shares == {"target_percent": 20.0, "count": 3, "percent": 37.5, "percent_of_target": 187.5}


@pytest.mark.parametrize(
    ("start", "months"),
    [(datetime.date(2018, 6, 30), 18), (datetime.date(2018, 7, 1), 24)],
)
def test_presentation_within_the_deadline_at_the_1_july_2018_boundary(provider, programme, start, months):
    """Presented exactly on the last day of 18 months, and the day after: for a start on 30 June 2018 only the
    first is in time; for a start on 1 July 2018 both are (24 months)."""
    intake = cohort(programme, start)
    year = "2017/18" if start.month < 9 else "2018/19"
    on_time = place(intake, start=start)
    late = place(intake, start=start)
    eighteen = datetime.date(2019, 12, 30) if start.day == 30 else datetime.date(2020, 1, 1)
    EarlierRecord.objects.create(enrolment=on_time, presented_on=eighteen)
    EarlierRecord.objects.create(enrolment=late, presented_on=eighteen + datetime.timedelta(days=1))
    presentation = report(provider, year)["presentation"]
    within = 1 if months == 18 else 2
    assert presentation == {"presented": 2, "within_deadline": within, "percent": within * 50.0}


def test_a_submission_here_counts_as_presenting(provider):
    from tests.assessment.marking_setup import marking_cohort

    setup = marking_cohort(provider, 2)  # two places that submitted on 25 March 2026, cohort started 2024/25
    EnrolmentFactory(cohort=setup.cohort)  # and one that has not
    presentation = metrics_report(provider=provider, recruitment_year="2024/25")["presentation"]
    assert presentation == {"presented": 2, "within_deadline": 2, "percent": 100.0}
    assert Submission.objects.filter(status="submitted").count() == 2


def test_feedback_is_the_mean_of_every_rating_here_and_imported(provider, programme):
    intake = cohort(programme)
    now = timezone.now()
    for rating in (7, 9, 4):  # each place's rating of the programme
        FeedbackRating.objects.create(enrolment=place(intake), rating=rating, rated_at=now)
    EarlierRecord.objects.create(enrolment=place(intake), feedback_rating=10)
    assert report(provider)["feedback"] == {"responses": 4, "mean_rating": 7.5}


def test_accuracy_from_imported_outcomes(provider, programme):
    intake = cohort(programme)
    for moderated, agreed in [(True, True), (True, False), (False, None), (None, None)]:
        enrolment = place(intake, "completed")
        EarlierRecord.objects.create(
            enrolment=enrolment,
            presented_on=datetime.date(2020, 6, 1),
            moderated=moderated,
            moderator_agreed=agreed,
        )
    accuracy = report(provider)["accuracy"]
    assert accuracy == {
        "assessments": 4,
        "moderated": 2,
        "moderated_percent": 50.0,
        "agreed": 1,
        "accuracy_percent": 50.0,
    }


def test_nothing_recruited_gives_none_never_zero_or_an_error(provider, programme):
    figures = report(provider, "2030/31")
    assert figures["recruitment"] == {"target": None, "recruited": 0, "percent_of_target": None}
    assert figures["fsm"]["percent"] is None and figures["presentation"]["percent"] is None
    assert figures["accuracy"]["accuracy_percent"] is None and figures["feedback"]["mean_rating"] is None
    assert figures["retention"]["retention_percent"] is None


def test_targets_come_from_the_programme_then_the_provider_then_the_cohorts(provider, programme):
    intake = cohort(programme, recruitment_target=30, fsm_target_percent=Decimal("10"))
    cohort(programme, datetime.date(2020, 1, 6), recruitment_target=10, fsm_target_percent=Decimal("30"))
    place(intake)
    assert report(provider)["recruitment"]["target"] == 40  # the cohorts' own
    assert report(provider)["fsm"]["target_percent"] == 15.0  # weighted by their numbers: (300 + 300) / 40
    RecruitmentTarget.objects.create(provider=provider, recruitment_year="2019/20", recruitment_target=50)
    assert report(provider)["recruitment"]["target"] == 50
    # One programme is judged against its own target (here its cohorts'), never the whole provider's.
    assert report(provider, programme=programme)["recruitment"]["target"] == 40
    assert report(provider)["fsm"]["target_percent"] is None  # the row says nothing of FSM
    RecruitmentTarget.objects.create(
        provider=provider, programme=programme, recruitment_year="2019/20", recruitment_target=45
    )
    assert report(provider, programme=programme)["recruitment"]["target"] == 45
    assert report(provider)["recruitment"]["target"] == 50


def test_another_providers_places_never_count(provider, other_provider, programme):
    place(cohort(programme))
    other = ProgrammeFactory(provider=other_provider)
    place(cohort(other))
    place(cohort(other))
    assert report(provider)["recruitment"]["recruited"] == 1
    assert report(other_provider)["recruitment"]["recruited"] == 2
    assert Enrolment.objects.count() == 3


def test_the_feedback_mean_is_exact_before_rounding(provider, programme):
    """40 ratings adding up to 1: a mean of 0.025, which rounds half up to 0.03 (adding up averages as floats
    would give 0.0249999… and 0.02)."""
    intake = cohort(programme)
    FeedbackRating.objects.create(enrolment=place(intake), rating=0, rated_at=timezone.now())
    for n in range(39):
        EarlierRecord.objects.create(enrolment=place(intake), feedback_rating=1 if n == 0 else 0)
    assert report(provider)["feedback"] == {"responses": 40, "mean_rating": 0.03}


def test_with_two_tasks_a_place_presented_when_it_sent_the_second(provider, programme):
    """Task 1 sent in time and Task 2 after the deadline: presented late."""
    from assessment import services

    programme.framework = "legacy"
    programme.save()
    scheme = services.scheme_create_default(by=None, programme=programme)
    intake = cohort(programme)  # starts 16 September 2019: 24 months to 16 September 2021
    enrolment = place(intake)
    for task, when in zip(
        scheme.tasks.order_by("number"),
        (datetime.datetime(2021, 1, 10, 12, tzinfo=UK), datetime.datetime(2021, 10, 10, 12, tzinfo=UK)),
        strict=True,
    ):
        submission = Submission.objects.create(
            enrolment=enrolment,
            task=task,
            candidate_number=f"C{task.number:07d}",
            created_at=when,
            updated_at=when,
        )
        version = submission.versions.create(number=1, upload_started_at=when, uploaded_at=when)
        submission.status, submission.submitted_version, submission.submitted_at = "submitted", version, when
        submission.save()
    assert report(provider)["presentation"] == {"presented": 1, "within_deadline": 0, "percent": 0.0}
