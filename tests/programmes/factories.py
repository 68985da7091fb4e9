import datetime
from decimal import Decimal

import factory

from programmes.models import (
    Cohort,
    Component,
    ContentArea,
    DeadlineExtension,
    DeliveryGroup,
    DeliveryPartner,
    FeeOption,
    LeadershipBehaviour,
    LearningStatement,
    Module,
    PlacementOption,
    Programme,
    Provider,
    Session,
    StaffMembership,
    Task,
)
from programmes.timetable import local_datetime


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


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    programme = factory.SubFactory(ProgrammeFactory)
    kind = Component.Kind.WEBINAR
    title = factory.Sequence(lambda n: f"Webinar series {n}")
    guided_learning_hours = Decimal("6")
    mode = Component.Mode.ONLINE_LIVE


class DeliveryGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryGroup

    cohort = factory.SubFactory(CohortFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    region = "North West"


class SessionFactory(factory.django.DjangoModelFactory):
    """A session on the cohort's first Tuesday-ish day, 16:00–17:30 London time."""

    class Meta:
        model = Session

    cohort = factory.SubFactory(CohortFactory)
    component = factory.LazyAttribute(lambda o: ComponentFactory(programme=o.cohort.programme))
    title = factory.Sequence(lambda n: f"Session {n}")
    starts_at = factory.LazyAttribute(
        lambda o: local_datetime(o.cohort.start_date + datetime.timedelta(days=7), datetime.time(16, 0))
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(minutes=90))
    online_link = "https://meet.example.org/session"


def timetable_for(cohort: Cohort, *, tag: str) -> dict[str, object]:
    """One of every programme and timetable object around `cohort`, named with `tag` so a test can tell
    whose rows a page shows."""
    programme = cohort.programme
    area = ContentArea.objects.create(programme=programme, title=f"Area {tag}")
    statement = LearningStatement.objects.create(
        area=area, kind=LearningStatement.Kind.LEARN_THAT, text=f"Learn that {tag}"
    )
    behaviour = LeadershipBehaviour.objects.create(programme=programme, title=f"Behaviour {tag}")
    component = ComponentFactory(programme=programme, title=f"Webinar {tag}")
    course = ComponentFactory(
        programme=programme,
        title=f"Course {tag}",
        kind=Component.Kind.ONLINE_COURSE,
        mode=Component.Mode.SELF_DIRECTED,
    )
    module = Module.objects.create(course=course, title=f"Module {tag}")
    task = Task.objects.create(module=module, title=f"Task {tag}", core=True)
    extension = DeadlineExtension.objects.create(
        programme=programme, applies_from=datetime.date(2018, 7, 1), months=24
    )
    fee_option = FeeOption.objects.create(programme=programme, name=f"Fee {tag}", amount=Decimal("3890"))
    placement = PlacementOption.objects.create(programme=programme, name=f"Placement {tag}")
    partner = DeliveryPartner.objects.create(provider=programme.provider, name=f"Partner {tag}")
    group = DeliveryGroupFactory(cohort=cohort, name=f"Group {tag}")
    session = SessionFactory(cohort=cohort, component=component, group=group, title=f"Session {tag}")
    return {
        "programme": programme,
        "component": component,
        "course": course,
        "module": module,
        "task": task,
        "area": area,
        "statement": statement,
        "behaviour": behaviour,
        "extension": extension,
        "fee_option": fee_option,
        "placement": placement,
        "partner": partner,
        "group": group,
        "session": session,
    }
