import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from npqel.access import ANONYMOUS, Action, Role, access_for, provider_q
from programmes.models import Provider
from tests.accounts.factories import UserFactory
from tests.programmes.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db


def test_roles_come_from_memberships_flags_and_enrolments(make_person, provider, other_provider):
    facilitator = make_person(Role.FACILITATOR, provider)
    StaffMembershipFactory(user=facilitator, provider=other_provider, role="assessor")
    access = access_for(facilitator)
    assert access.roles == {Role.FACILITATOR, Role.ASSESSOR}
    assert access.provider_ids(Action.VIEW_COHORTS) == {provider.pk}
    assert access.needs_mfa  # assessor somewhere
    assert access_for(make_person(Role.PARTICIPANT, provider)).roles == {Role.PARTICIPANT}
    assert not access_for(make_person(Role.COACH, provider)).needs_mfa


def test_anonymous_and_inactive_users_hold_nothing(provider):
    user = UserFactory(is_active=False, is_platform_staff=True)
    assert access_for(user) is ANONYMOUS
    from django.contrib.auth.models import AnonymousUser

    assert access_for(AnonymousUser()).roles == frozenset()


def test_roles_are_read_once_per_request(make_person, provider):
    user = make_person(Role.PROVIDER_ADMIN, provider)
    with CaptureQueriesContext(connection) as first:
        access_for(user)
    with CaptureQueriesContext(connection) as second:
        access_for(user)
    assert len(first) == 1 and len(second) == 0


def test_platform_staff_filter_keeps_everything_even_inside_an_or(make_person, provider, other_provider):
    staff = make_person(Role.PLATFORM_STAFF)
    from django.db.models import Q

    assert Provider.objects.filter(provider_q(staff, Action.VIEW_PROVIDER, via="pk") | Q(pk=-1)).count() == 2
    moderator = make_person(Role.MODERATOR)
    assert Provider.objects.filter(provider_q(moderator, Action.VIEW_PROVIDER, via="pk")).count() == 0
