"""The records behind the metrics journey, set up in Python before the browser opens: one provider's programme
with two recruitment years of places, targets and imported history, whose seven metrics are worked out by hand
below, and a provider admin with a password and an authenticator app.

2022/23 (cohort olp-2022, started 3 October 2022; 18 months to present, to 3 April 2024), target 10 places, 25%
from schools with 30% or more FSM, 20% from groups other than White British. Eight places, all started:
  1. completed, school FSM 35%, White British, presented 12 Feb 2024, moderated and agreed, rated 9;
  2. completed, school FSM 35%, Indian, presented 1 Mar 2024, moderated and agreed, rated 8;
  3. completed, school FSM 35%, White British, presented 28 Jun 2024 (late), not moderated, rated 7;
  4. failed, school FSM 24.5%, White British, presented 15 Jan 2024, moderation not recorded, rated 4 (imported);
  5. withdrawn after starting, Caribbean;
  6, 7. active, White British;  8. active, ethnicity not obtained.
  - recruitment 8 of 10: 80.00% (goal not met);
  - FSM 3 of 8: 37.50%, 150.00% of the 25% target; other than White British 2 of 8: 25.00%, 125.00% of 20%;
  - presentation 3 of 4 within the deadline: 75.00% (not met);
  - accuracy: 4 outcomes, 2 moderated (50.00%), 2 agreed: 100.00% (met);
  - feedback: 9, 8, 7 and 4: 4 ratings, mean 7.00 (met);
  - retention: 8 started, 1 withdrawn: 87.50%; none deferred: 0.00%; 4 submitted, 3 passed: 75.00%;
  - groups (met): with one withdrawal and one fail, no Fisher's exact test here can reach 5% (the smallest
    p-value is 1 in 4: the one fail is the only submission from a school under 30% FSM); nobody deferred (no
    difference to test); sex, disability and school performance are not known, so not tested.
2023/24 (cohort olp-2023, started 2 October 2023), target 4 places and no shares. Five active places, White British,
from schools under 30% FSM, rated 5 and 6 by two of them:
  - recruitment 5 of 4: 125.00% (met); FSM and other than White British 0.00%, no target: not available;
  - nobody presented or assessed yet: not available; feedback mean 5.50 (not met);
  - groups: one known group in every breakdown, nothing to compare: not available.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from metrics.models import RecruitmentTarget
from npqel.access import Role
from participants.models import EarlierRecord, Enrolment, EnrolmentChange, FeedbackRating, School
from programmes.models import Cohort, Programme, Provider
from tests.accounts.factories import give_totp
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory, StaffMembershipFactory

Status = Enrolment.Status
YEARS = ["2022/23", "2023/24"]


@dataclass(frozen=True)
class MetricsWorld:
    provider: Provider
    programme: Programme
    admin: User
    secret: str  # the admin's authenticator app


def _intake(programme: Programme, code: str, start: datetime.date) -> Cohort:
    return CohortFactory(
        programme=programme, code=code, start_date=start, end_date=start + datetime.timedelta(days=540)
    )


def _place(
    cohort: Cohort,
    status: str,
    *,
    school: School,
    ethnicity: str,
    presented_on: datetime.date | None = None,
    moderated: bool | None = None,
    agreed: bool | None = None,
    rating: int | None = None,
    imported_rating: int | None = None,
) -> Enrolment:
    enrolment = EnrolmentFactory(
        cohort=cohort, status=status, participant__school=school, participant__ethnicity_code=ethnicity
    )
    if status == Status.WITHDRAWN:  # began, then left: started and withdrawn
        for from_status, to_status, on in (
            (Status.ACCEPTED, Status.ACTIVE, cohort.start_date),
            (Status.ACTIVE, Status.WITHDRAWN, cohort.start_date + datetime.timedelta(days=120)),
        ):
            EnrolmentChange.objects.create(
                enrolment=enrolment, from_status=from_status, to_status=to_status, effective_on=on
            )
    if presented_on or imported_rating is not None:
        # What the provider's earlier system recorded: the presentation date, moderation and a rating.
        EarlierRecord.objects.create(
            enrolment=enrolment,
            presented_on=presented_on,
            moderated=moderated,
            moderator_agreed=agreed,
            feedback_rating=imported_rating,
        )
    if rating is not None:
        FeedbackRating.objects.create(enrolment=enrolment, rating=rating, rated_at=timezone.now())
    return enrolment


def metrics_world(provider: Provider) -> MetricsWorld:
    """The provider's two recruitment years of places (see the module's docstring for every figure)."""
    programme = ProgrammeFactory(
        provider=provider, code="npqel", name="NPQ for Executive Leadership", deadline_months=18
    )
    high_fsm = SchoolFactory(name="Northfield Primary", fsm_percent=Decimal("35"))
    low_fsm = SchoolFactory(name="Hillside Academy", fsm_percent=Decimal("24.5"))

    earlier = _intake(programme, "olp-2022", datetime.date(2022, 10, 3))
    RecruitmentTarget.objects.create(
        provider=provider,
        recruitment_year="2022/23",
        recruitment_target=10,
        fsm_target_percent=Decimal("25"),
        non_white_british_target_percent=Decimal("20"),
    )
    agreed = {"moderated": True, "agreed": True}
    _place(
        earlier,
        Status.COMPLETED,
        school=high_fsm,
        ethnicity="WBRI",
        presented_on=datetime.date(2024, 2, 12),
        rating=9,
        **agreed,
    )
    _place(
        earlier,
        Status.COMPLETED,
        school=high_fsm,
        ethnicity="AIND",
        presented_on=datetime.date(2024, 3, 1),
        rating=8,
        **agreed,
    )
    _place(
        earlier,
        Status.COMPLETED,
        school=high_fsm,
        ethnicity="WBRI",
        presented_on=datetime.date(2024, 6, 28),
        moderated=False,
        rating=7,
    )
    _place(
        earlier,
        Status.FAILED,
        school=low_fsm,
        ethnicity="WBRI",
        presented_on=datetime.date(2024, 1, 15),
        imported_rating=4,
    )
    _place(earlier, Status.WITHDRAWN, school=low_fsm, ethnicity="BCRB")
    _place(earlier, Status.ACTIVE, school=low_fsm, ethnicity="WBRI")
    _place(earlier, Status.ACTIVE, school=low_fsm, ethnicity="WBRI")
    _place(earlier, Status.ACTIVE, school=low_fsm, ethnicity="NOBT")

    later = _intake(programme, "olp-2023", datetime.date(2023, 10, 2))
    RecruitmentTarget.objects.create(provider=provider, recruitment_year="2023/24", recruitment_target=4)
    for rating in (5, 6, None, None, None):
        _place(later, Status.ACTIVE, school=low_fsm, ethnicity="WBRI", rating=rating)

    admin = StaffMembershipFactory(
        provider=provider, role=Role.PROVIDER_ADMIN.value, user__full_name="Priya Admin"
    ).user
    return MetricsWorld(provider=provider, programme=programme, admin=admin, secret=give_totp(admin))
