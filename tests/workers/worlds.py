"""What the worker tests register attendance against: a cohort under way with a live component of two hours in
two one-hour sessions, one held just now and one next week."""

import datetime
from decimal import Decimal

from django.utils import timezone

from programmes.models import Component, Provider, Session
from tests.programmes.factories import CohortFactory, ComponentFactory, ProgrammeFactory, SessionFactory


def live_cohort(provider: Provider) -> Session:
    """The session held just now (its cohort is `session.cohort`)."""
    now = timezone.now()
    today = timezone.localdate(now)
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider),
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=300),
    )
    component = ComponentFactory(
        programme=cohort.programme,
        kind=Component.Kind.WEBINAR,
        mode=Component.Mode.ONLINE_LIVE,
        guided_learning_hours=Decimal("2"),
    )
    held = SessionFactory(
        cohort=cohort,
        component=component,
        starts_at=now - datetime.timedelta(minutes=90),
        ends_at=now - datetime.timedelta(minutes=30),
    )
    SessionFactory(
        cohort=cohort,
        component=component,
        starts_at=now + datetime.timedelta(days=7),
        ends_at=now + datetime.timedelta(days=7, hours=1),
    )
    return held
