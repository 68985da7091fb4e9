"""The API's list of enrolments writes each place from plain rows (participants.selectors.enrolment_rows and
row_standings, for speed); it must say exactly what the enrolment's own address says, whatever the place's
state: its deadline (own start, extension policies, a deferral pausing the clock), engagement and at-risk
flag (engagement, a deadline near with or without a submission or an earlier system's presentation, a long
deferral) and its people."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from assessment import services as assessment_services
from assessment.models import Submission
from npqel.access import Role
from participants.models import EarlierRecord, Enrolment, EnrolmentChange
from programmes.models import DeadlineExtension
from tests.accounts.factories import UserFactory
from tests.assessment.factories import case_study_place, make_eligible, upload
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

S = Enrolment.Status
D = datetime.date
# The cohorts start on 3 October 2022: with 24 months (set on each programme) their deadline, 3 October 2024,
# is 63 days away.
TODAY = datetime.datetime(2024, 8, 1, 9, 0, tzinfo=datetime.UTC)


def change(enrolment: Enrolment, before: str, after: str, on: datetime.date) -> None:
    EnrolmentChange.objects.create(enrolment=enrolment, from_status=before, to_status=after, effective_on=on)


def handed_in(provider) -> Enrolment:
    """A place that submitted its case study (in its window, the week before today) with its deadline near."""
    enrolment, task, _ = case_study_place(opens_on=D(2024, 7, 24), provider=provider)
    enrolment.start_date = D(2022, 10, 3)
    enrolment.save()
    with time_machine.travel(datetime.datetime(2024, 7, 25, 9, 0, tzinfo=datetime.UTC), tick=False):
        version = upload(enrolment, task, 1200)
        assessment_services.submission_submit(
            by=enrolment.participant.user, version=version, declaration=True
        )
    assert Submission.objects.get(pk=version.submission_id).status == Submission.Status.SUBMITTED
    return enrolment


@pytest.fixture
def places(provider):
    """One place in each state that changes what the list says."""
    plain = CohortFactory(
        programme=ProgrammeFactory(provider=provider, code="plain", deadline_months=24), code="plain"
    )
    pausing = CohortFactory(
        programme=ProgrammeFactory(
            provider=provider, code="pausing", deadline_months=24, deferral_pauses_clock=True
        ),
        code="pausing",
    )
    extended = CohortFactory(
        programme=ProgrammeFactory(provider=provider, code="extended", deadline_months=24), code="extended"
    )
    DeadlineExtension.objects.create(programme=extended.programme, applies_from=D(2022, 9, 1), months=30)

    near = EnrolmentFactory(cohort=plain, coach=UserFactory(email="coach@olp.example"))
    far = EnrolmentFactory(cohort=plain, start_date=D(2023, 9, 4), funding_route="scholarship")
    low = EnrolmentFactory(cohort=plain, start_date=D(2023, 9, 4))
    make_eligible(low, eligible=False)
    eligible = EnrolmentFactory(cohort=plain)
    make_eligible(eligible)
    presented_before = EnrolmentFactory(cohort=plain)
    EarlierRecord.objects.create(enrolment=presented_before, presented_on=D(2024, 6, 1))
    withdrawn = EnrolmentFactory(cohort=plain, status=S.WITHDRAWN)
    change(withdrawn, S.ACTIVE, S.WITHDRAWN, D(2023, 1, 9))
    away = EnrolmentFactory(cohort=pausing, status=S.DEFERRED)
    change(away, S.ACCEPTED, S.ACTIVE, D(2022, 10, 3))
    change(away, S.ACTIVE, S.DEFERRED, D(2023, 5, 2))
    back = EnrolmentFactory(cohort=pausing)
    change(back, S.ACTIVE, S.DEFERRED, D(2023, 1, 2))
    change(back, S.DEFERRED, S.ACTIVE, D(2023, 3, 1))
    change(back, S.ACTIVE, S.ACTIVE, D(2023, 2, 1))  # a transfer: neither starts nor ends a pause
    longer = EnrolmentFactory(cohort=extended)
    return {
        "near": near,
        "far": far,
        "low": low,
        "eligible": eligible,
        "presented_before": presented_before,
        "handed_in": handed_in(provider),
        "withdrawn": withdrawn,
        "away": away,
        "back": back,
        "longer": longer,
    }


def test_every_listed_place_says_what_its_own_address_says(api, provider, places):
    admin = api(person(Role.PROVIDER_ADMIN, provider))
    with time_machine.travel(TODAY, tick=False):
        listed = admin.get("/api/v1/enrolments/", page_size=100).json()["results"]
        own = {place.pk: admin.get(f"/api/v1/enrolments/{place.pk}/").json() for place in places.values()}

    assert {row["id"]: row for row in listed} == own
    by_name = {name: own[place.pk] for name, place in places.items()}
    # The states the places were made for, so that the comparison above covers each of them.
    assert {name: row["at_risk"] for name, row in by_name.items()} == {
        "near": True,  # deadline in 63 days, nothing submitted
        "far": False,
        "low": True,  # engagement cannot reach the threshold
        "eligible": True,  # eligible, but the deadline is near with nothing submitted
        "presented_before": False,
        "handed_in": False,
        "withdrawn": False,
        "away": True,  # deferred for 14 months
        "back": False,  # deadline moved on by 58 days of deferral
        "longer": False,  # 30 months under the extension policy
    }
    assert by_name["back"]["deadline"] == "2024-11-30"
    assert by_name["longer"]["deadline"] == "2025-04-03"
    assert by_name["away"]["deadline"] == "2026-01-03"  # 3 October 2024 + 457 days away so far
    assert by_name["far"]["started_on"] == "2023-09-04" and by_name["far"]["start_date"] == "2023-09-04"
    assert (by_name["eligible"]["engagement_percent"], by_name["eligible"]["eligible"]) == ("100.00", True)
    assert by_name["near"]["coach_email"] == "coach@olp.example" and by_name["far"]["coach_email"] is None
    assert Decimal(by_name["low"]["engagement_percent"]) == 0
