"""Participant invitations: only for someone with a place at the provider who has not set up their account;
accepting sets their password and grants nothing new."""

import pytest

from accounts import services
from accounts.models import Invitation
from npqel.access import Role
from npqel.errors import DomainError
from programmes.models import StaffMembership
from tests.accounts.factories import UserFactory
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(provider):
    cohort = CohortFactory(programme=ProgrammeFactory(provider=provider))
    enrolment = EnrolmentFactory(cohort=cohort, participant__user__email="new.head@school.example")
    user = enrolment.participant.user
    user.set_unusable_password()
    user.save()
    return enrolment


def invite(admin, provider, email):
    return services.invitation_create(invited_by=admin, email=email, role="participant", provider=provider)


def test_someone_without_a_place_here_cannot_be_invited_as_a_participant(provider, place):
    admin = person(Role.PROVIDER_ADMIN, provider)
    with pytest.raises(DomainError, match="has no place at this provider. Enrol them on a cohort first"):
        invite(admin, provider, "stranger@school.example")
    elsewhere = ProviderFactory()
    with pytest.raises(DomainError, match="has no place at this provider"):
        invite(person(Role.PROVIDER_ADMIN, elsewhere), elsewhere, place.participant.user.email)


def test_someone_who_has_set_up_their_account_needs_no_invitation(provider, place):
    user = place.participant.user
    user.set_password("a-long-pass-phrase-1")
    user.save()
    with pytest.raises(DomainError, match="has already set up their account"):
        invite(person(Role.PROVIDER_ADMIN, provider), provider, user.email)


def test_accepting_sets_the_password_and_grants_no_staff_role(provider, place):
    invitation = invite(person(Role.PROVIDER_ADMIN, provider), provider, place.participant.user.email)
    assert services.invitation_needs_password(invitation)[0]
    token = services.invitation_link(invitation).rstrip("/").rsplit("/", 1)[-1]
    user = services.invitation_accept(token=token, password="a-long-pass-phrase-1", full_name="New Head")
    assert user == place.participant.user
    assert user.check_password("a-long-pass-phrase-1")
    assert user.full_name == "New Head"
    assert not StaffMembership.objects.filter(user=user).exists()
    assert Invitation.objects.get(pk=invitation.pk).accepted_by == user


def test_a_staff_invitation_to_someone_with_a_password_still_needs_them_signed_in(provider):
    existing = UserFactory(email="coach@school.example")
    invitation = services.invitation_create(
        invited_by=person(Role.PROVIDER_ADMIN, provider),
        email=existing.email,
        role="coach",
        provider=provider,
    )
    assert not services.invitation_needs_password(invitation)[0]
    token = services.invitation_link(invitation).rstrip("/").rsplit("/", 1)[-1]
    with pytest.raises(DomainError, match="There is already an account"):
        services.invitation_accept(token=token, password="a-long-pass-phrase-1")
