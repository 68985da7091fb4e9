import datetime

import factory

from programmes.models import Cohort, Programme, Provider, StaffMembership


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"provider-{n}")
    name = factory.Sequence(lambda n: f"Provider {n} Leadership Trust")


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    provider = factory.SubFactory(ProviderFactory)
    code = "npqel"
    name = factory.LazyAttribute(lambda o: f"NPQEL ({o.provider.name})")
    framework = Programme.Framework.REFORMED


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"cohort-{n}")
    intake = Cohort.Intake.AUTUMN
    start_date = datetime.date(2022, 10, 3)
    end_date = datetime.date(2024, 3, 29)


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory("tests.accounts.factories.UserFactory")
    provider = factory.SubFactory(ProviderFactory)
    role = StaffMembership.Role.FACILITATOR
