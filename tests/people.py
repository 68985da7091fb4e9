"""People in each role, ready to sign in (with a second factor where the role needs one)."""

from accounts.models import User
from npqel.access import MFA_REQUIRED_ROLES, Role
from programmes.models import Provider
from tests.accounts.factories import UserFactory, give_totp
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory, StaffMembershipFactory

ALL_ROLES = list(Role)


def person(role: Role, provider: Provider | None = None) -> User:
    """A user holding `role` (at `provider` for provider roles and participants)."""
    if role == Role.PLATFORM_STAFF:
        user = UserFactory(is_platform_staff=True)
    elif role == Role.MODERATOR:
        user = UserFactory(is_moderator=True)
    elif role == Role.PARTICIPANT:
        assert provider is not None
        programme = provider.programmes.first() or ProgrammeFactory(provider=provider)
        cohort = programme.cohorts.first() or CohortFactory(programme=programme)
        user = EnrolmentFactory(cohort=cohort).participant.user
    else:
        assert provider is not None
        user = StaffMembershipFactory(provider=provider, role=role.value).user
    if role in MFA_REQUIRED_ROLES:
        give_totp(user)
    return user
