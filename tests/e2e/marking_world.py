"""The people and data for the marking journey, set up in Python before the browser opens: a provider's reformed
programme with the case-study task and its standard mark scheme (four criteria of 10, pass mark 20, borderline
18 to 21), a cohort whose only participant submitted a real Word document in an open window, three assessors
(the third a lead), a moderator and a provider admin, each with a password and, where the role needs one, an
authenticator app whose secret the journey types codes from."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from assessment import services
from assessment.marking import mark_scheme_create_default
from assessment.models import AssessmentTask, AssessorProfile, Submission
from npqel.access import Role
from participants.models import Enrolment
from programmes.models import Provider, StaffMembership
from tests.accounts.factories import UserFactory, give_totp
from tests.assessment.factories import case_study_place, upload
from tests.programmes.factories import StaffMembershipFactory

# The words of the participant's script that the assessors read beside the form (tests/assessment/factories.py).
SCRIPT_HEADING = "My case-study response"
SCRIPT_WORDS = 1200


@dataclass(frozen=True)
class Person:
    user: User
    secret: str  # the authenticator app's secret ("" for a participant, who needs none)


@dataclass(frozen=True)
class MarkingWorld:
    provider: Provider
    enrolment: Enrolment
    task: AssessmentTask
    script: Submission
    admin: Person
    first: Person  # Ann Adams: first in name order, so the first marking goes to her
    second: Person  # Ben Brown: second in name order, so the second marking goes to him
    lead: Person  # Cat Cole, the only lead assessor
    moderator: Person


def _assessor(provider: Provider, name: str, *, lead: bool = False) -> Person:
    user = StaffMembershipFactory(
        provider=provider, role=StaffMembership.Role.ASSESSOR, user__full_name=name
    ).user
    AssessorProfile.objects.create(user=user, capacity=20, is_lead=lead)
    return Person(user, give_totp(user))


def marking_world(provider: Provider) -> MarkingWorld:
    """A submitted script waiting for its first marking, and everyone who will take it to a certificate."""
    # The 8-day window opened three days ago, so the participant can submit today, whatever today is.
    enrolment, task, _window = case_study_place(
        provider=provider, opens_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    mark_scheme_create_default(by=None, task=task)
    participant = enrolment.participant.user
    version = upload(enrolment, task, SCRIPT_WORDS)
    services.submission_submit(by=participant, version=version, declaration=True)

    admin = StaffMembershipFactory(
        provider=provider, role=Role.PROVIDER_ADMIN.value, user__full_name="Priya Admin"
    ).user
    moderator = UserFactory(full_name="Mo Moderator", is_moderator=True)
    return MarkingWorld(
        provider=provider,
        enrolment=enrolment,
        task=task,
        script=Submission.objects.get(pk=version.submission_id),
        admin=Person(admin, give_totp(admin)),
        first=_assessor(provider, "Ann Adams"),
        second=_assessor(provider, "Ben Brown"),
        lead=_assessor(provider, "Cat Cole", lead=True),
        moderator=Person(moderator, give_totp(moderator)),
    )
