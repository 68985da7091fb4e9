from decimal import Decimal

import factory

from participants.models import Enrolment, Participant, School
from tests.accounts.factories import UserFactory
from tests.programmes.factories import CohortFactory


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("urn",)

    urn = factory.Sequence(lambda n: f"{100000 + n}")
    name = factory.Sequence(lambda n: f"Oakfield Academy {n}")
    phase = School.Phase.SECONDARY
    local_authority = "Cumbria"
    region = "North West"
    fsm_percent = Decimal("24.50")


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    job_role = "Executive headteacher"


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    participant = factory.SubFactory(ParticipantFactory)
    cohort = factory.SubFactory(CohortFactory)
    provider = factory.LazyAttribute(lambda o: o.cohort.programme.provider)
    status = Enrolment.Status.ACTIVE
    start_date = factory.LazyAttribute(lambda o: o.cohort.start_date)
