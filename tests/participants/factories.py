import factory

from participants.models import Enrolment, Participant
from tests.accounts.factories import UserFactory
from tests.programmes.factories import CohortFactory


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    user = factory.SubFactory(UserFactory)
    job_role = "Executive headteacher"


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    participant = factory.SubFactory(ParticipantFactory)
    cohort = factory.SubFactory(CohortFactory)
    provider = factory.LazyAttribute(lambda o: o.cohort.programme.provider)
    status = Enrolment.Status.ACTIVE
    start_date = factory.LazyAttribute(lambda o: o.cohort.start_date)
