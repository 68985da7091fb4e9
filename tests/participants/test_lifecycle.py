"""The enrolment lifecycle: every allowed change is recorded with who, when, from, to and why; every
other change is refused with a message that says why and what to do instead."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from npqel.access import Role
from npqel.errors import DomainError
from participants import services
from participants.models import Enrolment, EnrolmentChange
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status
D = datetime.date


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2021, 6, 1, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


def enrolment(provider, status=S.APPLIED, **extra) -> Enrolment:
    cohort = CohortFactory(programme__provider=provider, start_date=D(2020, 10, 6), end_date=D(2022, 3, 31))
    return EnrolmentFactory(cohort=cohort, status=status, **extra)


def test_a_place_goes_from_application_to_active_to_deferred_and_back(admin, provider):
    place = enrolment(provider)
    services.enrolment_accept(by=admin, enrolment=place, on=D(2020, 9, 1))
    services.enrolment_start(by=admin, enrolment=place, on=D(2020, 10, 6))
    services.enrolment_defer(
        by=admin, enrolment=place, reason="parental-leave", on=D(2021, 1, 4), note="Due in Feb"
    )
    services.enrolment_resume(by=admin, enrolment=place, on=D(2021, 5, 4))
    place.refresh_from_db()
    assert place.status == S.ACTIVE
    history = [
        (c.from_status, c.to_status, c.effective_on, c.reason, c.changed_by) for c in place.changes.all()
    ]
    assert history == [
        ("applied", "accepted", D(2020, 9, 1), "", admin),
        ("accepted", "active", D(2020, 10, 6), "", admin),
        ("active", "deferred", D(2021, 1, 4), "parental-leave", admin),
        ("deferred", "active", D(2021, 5, 4), "", admin),
    ]


@pytest.mark.parametrize(
    ("status", "attempt", "message"),
    [
        (
            S.APPLIED,
            "defer",
            "is applied, so their place cannot be deferred. Accept their application first.",
        ),
        (S.ACCEPTED, "defer", "is accepted, so their place cannot be deferred. Start their place first"),
        (S.DEFERRED, "defer", "is deferred, so their place cannot be deferred. Resume their place first."),
        (
            S.WITHDRAWN,
            "start",
            "A withdrawn place cannot change. Enrol them on a cohort again if they return.",
        ),
        (S.COMPLETED, "withdraw", "They have passed: their result is final."),
        (S.FAILED, "defer", "They have failed the assessment: their result is final."),
        (S.APPLIED, "pass", "is applied, so their place cannot be marked as passed."),
        (S.ACTIVE, "resume", "is not deferred, so there is nothing to resume."),
    ],
)
def test_illegal_changes_are_refused_with_the_reason_and_nothing_is_written(
    admin, provider, status, attempt, message
):
    place = enrolment(provider, status=status)
    calls = {
        "defer": lambda: services.enrolment_defer(by=admin, enrolment=place, reason="career-break"),
        "start": lambda: services.enrolment_start(by=admin, enrolment=place),
        "withdraw": lambda: services.enrolment_withdraw(by=admin, enrolment=place, reason="change-in-career"),
        "pass": lambda: services.enrolment_record_outcome(by=admin, enrolment=place, passed=True),
        "resume": lambda: services.enrolment_resume(by=admin, enrolment=place),
    }
    with pytest.raises(DomainError, match=message):
        calls[attempt]()
    place.refresh_from_db()
    assert place.status == status and not EnrolmentChange.objects.exists()


def test_reasons_must_be_dfe_codes_of_the_right_kind(admin, provider):
    place = enrolment(provider, status=S.ACTIVE)
    with pytest.raises(DomainError, match="reason for the deferral"):
        services.enrolment_defer(by=admin, enrolment=place, reason="change-in-career")
    with pytest.raises(DomainError, match="reason for the withdrawal"):
        services.enrolment_withdraw(by=admin, enrolment=place, reason="parental-leave")
    services.enrolment_withdraw(by=admin, enrolment=place, reason="other", note="Moved abroad")
    assert place.changes.get().reason == "other"


def test_dates_cannot_be_in_the_future_or_before_the_last_change(admin, provider):
    place = enrolment(provider, status=S.ACTIVE)
    with pytest.raises(DomainError, match="today's date or an earlier one"):
        services.enrolment_defer(by=admin, enrolment=place, reason="bereavement", on=D(2021, 6, 2))
    services.enrolment_defer(by=admin, enrolment=place, reason="bereavement", on=D(2021, 3, 1))
    with pytest.raises(DomainError, match="on or after 1 March 2021, when their place last changed"):
        services.enrolment_resume(by=admin, enrolment=place, on=D(2021, 2, 1))


def test_a_funded_place_can_be_withdrawn_before_the_programme_starts(admin, provider):
    place = enrolment(provider, status=S.ACCEPTED)
    services.enrolment_withdraw(by=admin, enrolment=place, reason="started-in-error", on=D(2020, 9, 20))
    place.refresh_from_db()
    assert place.status == S.WITHDRAWN


def test_only_the_providers_admins_change_its_enrolments(provider, other_provider):
    place = enrolment(provider, status=S.ACTIVE)
    for outsider in (
        person(Role.FACILITATOR, provider),
        person(Role.PLATFORM_STAFF),
        person(Role.PROVIDER_ADMIN, other_provider),
    ):
        with pytest.raises(PermissionDenied):
            services.enrolment_defer(by=outsider, enrolment=place, reason="career-break")
    assert not EnrolmentChange.objects.exists()


def test_a_place_moves_to_another_cohort_with_its_history(admin, provider):
    place = enrolment(provider, status=S.DEFERRED)
    old_code = place.cohort.code
    later = CohortFactory(programme=place.cohort.programme, code="2021-spring", start_date=D(2021, 3, 2))
    services.enrolment_transfer(by=admin, enrolment=place, to_cohort=later, on=D(2021, 5, 1))
    place.refresh_from_db()
    assert place.cohort == later and place.status == S.DEFERRED
    assert place.changes.get().note == f"Moved from cohort {old_code} to 2021-spring."
    elsewhere = CohortFactory()
    with pytest.raises(DomainError, match="Choose a cohort of this provider"):
        services.enrolment_transfer(by=admin, enrolment=place, to_cohort=elsewhere)
    again = CohortFactory(programme=place.cohort.programme, code="2021-autumn", start_date=D(2021, 9, 6))
    with pytest.raises(DomainError, match="Enter today's date or an earlier one"):
        services.enrolment_transfer(by=admin, enrolment=place, to_cohort=again, on=D(2021, 6, 2))


def test_the_assessment_records_an_outcome_without_a_person(provider):
    place = enrolment(provider, status=S.ACTIVE)
    services.enrolment_record_outcome(by=None, enrolment=place, passed=False)
    place.refresh_from_db()
    assert place.status == S.FAILED and place.changes.get().changed_by is None


def test_a_move_cannot_be_dated_before_the_last_status_change(admin, provider):
    place = enrolment(provider, status=S.ACTIVE)
    services.enrolment_defer(by=admin, enrolment=place, reason="bereavement", on=D(2021, 3, 1))
    # A group or coach change (same status) later on does not count: only the deferral does.
    EnrolmentChange.objects.create(
        enrolment=place, from_status=S.DEFERRED, to_status=S.DEFERRED, effective_on=D(2021, 5, 20)
    )
    later = CohortFactory(programme=place.cohort.programme, code="2021-autumn", start_date=D(2021, 9, 6))
    with pytest.raises(
        DomainError,
        match=r"Enter a date on or after 1 March 2021, when their place last changed \(deferred\)\.",
    ) as refused:
        services.enrolment_transfer(by=admin, enrolment=place, to_cohort=later, on=D(2021, 2, 1))
    assert refused.value.field == "on"
    place.refresh_from_db()
    assert place.cohort != later and place.changes.count() == 2
    services.enrolment_transfer(by=admin, enrolment=place, to_cohort=later, on=D(2021, 4, 1))
    place.refresh_from_db()
    assert place.cohort == later and place.changes.count() == 3
