"""Recording who pays for a place: funding route, fee option (with or without coaching) and placement, each
from the place's programme, kept in the place's history and shown on the participant's home page."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from npqel.access import Role
from npqel.errors import DomainError
from participants import services
from participants.models import Enrolment
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2024, 3, 1, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def programme(provider):
    programme = ProgrammeFactory(provider=provider, name="NPQEL")
    with_coaching = programme.fee_options.create(name="With coaching", amount=Decimal("4800"), plus_vat=True)
    with_coaching.instalments.create(months_after_start=0, amount=Decimal("1800"))
    with_coaching.instalments.create(months_after_start=5, amount=Decimal("3000"))
    programme.fee_options.create(name="Without coaching", amount=Decimal("4300"), plus_vat=True)
    programme.placement_options.create(name="New York", cost_from=Decimal("1500"), cost_to=Decimal("2500"))
    return programme


@pytest.fixture
def place(programme):
    cohort = CohortFactory(programme=programme, start_date=D(2023, 10, 2), end_date=D(2025, 3, 31))
    return EnrolmentFactory(cohort=cohort, participant__user__full_name="Asha Patel")


def test_the_admin_records_funding_fee_and_placement_and_the_history_says_so(
    client, provider, programme, place
):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    record = client.get(reverse("enrolment_detail", args=[place.pk])).content.decode()
    assert reverse("enrolment_change_funding", args=[place.pk]) in record
    page = client.get(reverse("enrolment_change_funding", args=[place.pk])).content.decode()
    assert "With coaching: £4,800 + VAT: £1,800 at the start, £3,000 after 5 months" in page
    fee = programme.fee_options.get(name="With coaching")
    placement = programme.placement_options.get()
    response = client.post(
        reverse("enrolment_change_funding", args=[place.pk]),
        {"funding_route": "school", "fee_option": fee.pk, "placement_option": placement.pk},
        follow=True,
    )
    assert "Asha Patel&#x27;s funding and fees are saved." in response.content.decode()
    place.refresh_from_db()
    assert (place.funding_route, place.fee_option, place.placement_option) == ("school", fee, placement)
    note = place.changes.get().note
    assert note == (
        "Changed funding Not known yet → Paid by the school or trust; fee option none → With coaching; "
        "placement none → New York."
    )
    # The participant sees the fee and when each instalment is due.
    client.force_login(place.participant.user)
    home = client.get("/").content.decode()
    assert "With coaching" in home
    assert "£1,800" in home


def test_switching_to_without_coaching_changes_the_price(provider, programme, place):
    admin = person(Role.PROVIDER_ADMIN, provider)
    with_coaching, without = programme.fee_options.order_by("name")
    services.enrolment_change_funding(
        by=admin,
        enrolment=place,
        funding_route="self_funded",
        fee_option=with_coaching,
        placement_option=None,
    )
    services.enrolment_change_funding(
        by=admin, enrolment=place, funding_route="self_funded", fee_option=without, placement_option=None
    )
    place.refresh_from_db()
    assert place.fee_option.amount == Decimal("4300")
    assert place.changes.order_by("pk").last().note == "Changed fee option With coaching → Without coaching."


def test_another_programmes_options_and_no_change_are_refused(provider, programme, place):
    admin = person(Role.PROVIDER_ADMIN, provider)
    foreign = ProgrammeFactory(provider=provider, code="other").fee_options.create(
        name="X", amount=Decimal("1")
    )
    with pytest.raises(DomainError, match="Choose one of this programme's fee options."):
        services.enrolment_change_funding(
            by=admin, enrolment=place, funding_route="", fee_option=foreign, placement_option=None
        )
    with pytest.raises(DomainError, match="Nothing has changed"):
        services.enrolment_change_funding(
            by=admin, enrolment=place, funding_route="", fee_option=None, placement_option=None
        )
    with pytest.raises(DomainError, match="Choose how the place is funded"):
        services.enrolment_change_funding(
            by=admin, enrolment=place, funding_route="voucher", fee_option=None, placement_option=None
        )
    assert not place.changes.exists()


def test_a_withdrawn_place_can_still_have_its_fees_put_right(provider, programme, place):
    Enrolment.objects.filter(pk=place.pk).update(status=Enrolment.Status.WITHDRAWN)
    place.refresh_from_db()
    services.enrolment_change_funding(
        by=person(Role.PROVIDER_ADMIN, provider),
        enrolment=place,
        funding_route="self_funded",
        fee_option=None,
        placement_option=None,
    )
    assert Enrolment.objects.get(pk=place.pk).funding_route == "self_funded"


def test_only_this_providers_admins_change_funding(client, provider, place):
    for role in (Role.FACILITATOR, Role.PLATFORM_STAFF):
        with pytest.raises(PermissionDenied):
            services.enrolment_change_funding(
                by=person(role, provider),
                enrolment=place,
                funding_route="school",
                fee_option=None,
                placement_option=None,
            )
    client.force_login(person(Role.PLATFORM_STAFF))
    assert client.get(reverse("enrolment_change_funding", args=[place.pk])).status_code == 403
