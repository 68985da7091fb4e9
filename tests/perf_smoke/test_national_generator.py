"""The benchmark's data generator (tests/perf/national.py), run small so it cannot rot between `make bench` runs."""

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from participants.models import Enrolment
from programmes.models import Cohort, Provider, Session, StaffMembership
from tests.perf.national import SESSIONS_PER_COHORT, generate

pytestmark = pytest.mark.django_db


def test_generator_fills_every_table_consistently_at_a_small_scale():
    timings = generate(scale=0.02)
    assert timings.rows == {
        "providers": 2,
        "staff": 2 * 4 * 3,
        "cohorts": 24,
        "participants": 1_000,
        "enrolments": 1_000,
        "components": 2 * 10,
        "sessions": 24 * SESSIONS_PER_COHORT,
    }
    assert Provider.objects.count() == 2 and Cohort.objects.count() == 24
    assert StaffMembership.objects.filter(role="provider_admin").count() == 6
    # The denormalised provider always matches the cohort's.
    assert not Enrolment.objects.exclude(provider=F("cohort__programme__provider")).exists()
    assert set(Enrolment.objects.values_list("status", flat=True)) >= {"active", "completed", "withdrawn"}
    assert "total" in timings.report()
    # Every session falls inside its cohort and belongs to its programme.
    assert not Session.objects.exclude(component__programme=F("cohort__programme")).exists()
    assert all(
        s.cohort.start_date <= timezone.localdate(s.starts_at) <= s.cohort.end_date
        for s in Session.objects.select_related("cohort")
    )


def test_generator_is_deterministic():
    first = list(generate(scale=0.005, seed=7).rows.items())
    statuses = list(Enrolment.objects.order_by("pk").values_list("status", flat=True))
    Enrolment.objects.all().delete()
    Session.objects.all().delete()
    Cohort.objects.all().delete()
    StaffMembership.objects.all().delete()
    Provider.objects.all().delete()
    User.objects.all().delete()
    assert list(generate(scale=0.005, seed=7).rows.items()) == first
    assert list(Enrolment.objects.order_by("pk").values_list("status", flat=True)) == statuses
