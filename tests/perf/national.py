"""The national dataset for benchmarks: 40 providers, 1,200 cohorts, 50,000 enrolments (issue 9's scale),
with each programme's components and each cohort's timetable (two delivery groups, 20 sessions).

Bulk inserts in batches, no per-row saves, deterministic for a given seed. Later issues add their rows
(sessions and 3,000,000 attendance marks, submissions, marks) in `generate` after the enrolments.
`scale` shrinks every count for the smoke test in the normal suite.
"""

import datetime
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import User
from participants.models import Enrolment, Participant
from programmes.models import Cohort, Component, DeliveryGroup, Programme, Provider, Session, StaffMembership
from programmes.timetable import local_datetime

BATCH = 5_000
# A programme's components: (kind, mode, hours, sessions a cohort has of it).
COMPONENTS = [
    ("residential", "in_person", 16, 2),
    ("event_day", "in_person", 16, 2),
    ("webinar", "online_live", 8, 6),
    ("seminar", "online_live", 10, 5),
    ("group_coaching", "online_live", 6, 3),
    ("coaching", "online_live", 6, 0),
    ("online_course", "self_directed", 60, 0),
    ("self_directed", "self_directed", 10, 0),
    ("formative_assessment", "self_directed", 2, 0),
    ("case_study", "self_directed", 8, 0),
]
SESSIONS_PER_COHORT = sum(n for *_, n in COMPONENTS)
PROVIDERS = 40
COHORTS = 1_200
ENROLMENTS = 50_000
STAFF_ROLES = [role.value for role in StaffMembership.Role]
# Participants move through the lifecycle; most recruited cohorts are long past.
STATUS_WEIGHTS = {
    Enrolment.Status.ACTIVE: 30,
    Enrolment.Status.COMPLETED: 45,
    Enrolment.Status.WITHDRAWN: 8,
    Enrolment.Status.DEFERRED: 5,
    Enrolment.Status.FAILED: 4,
    Enrolment.Status.ACCEPTED: 5,
    Enrolment.Status.APPLIED: 3,
}


@dataclass
class Timings:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def report(self) -> str:
        lines = [
            f"  {name:<22} {self.rows.get(name, 0):>9,} rows  {secs:7.2f} s"
            for name, secs in self.seconds.items()
        ]
        return "\n".join([*lines, f"  {'total':<22} {'':>9}       {self.total:7.2f} s"])


def _scaled(count: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(count * scale))


@transaction.atomic
def generate(*, scale: float = 1.0, seed: int = 2026) -> Timings:
    """Fill the (empty) database; returns per-step row counts and timings."""
    rng = random.Random(seed)
    timings = Timings()
    n_providers = _scaled(PROVIDERS, scale, 2)
    n_cohorts = max(n_providers, _scaled(COHORTS, scale))
    n_enrolments = _scaled(ENROLMENTS, scale, n_cohorts)
    password = make_password(None)  # unusable: these people never sign in

    with timings.step("providers"):
        providers = Provider.objects.bulk_create(
            Provider(slug=f"provider-{i:02d}", name=f"Provider {i:02d} Leadership Partnership")
            for i in range(n_providers)
        )
        programmes = Programme.objects.bulk_create(
            Programme(
                provider=p,
                code="npqel",
                name=f"NPQEL ({p.name})",
                framework=rng.choice(Programme.Framework.values),
            )
            for p in providers
        )
    timings.rows["providers"] = len(providers)

    with timings.step("staff"):
        staff = [(p, role, i) for p in providers for role in STAFF_ROLES for i in range(3)]
        staff_users = User.objects.bulk_create(
            (
                User(email=f"{role}-{i}@{p.slug}.example", full_name=f"Staff {i}", password=password)
                for p, role, i in staff
            ),
            batch_size=BATCH,
        )
        StaffMembership.objects.bulk_create(
            (
                StaffMembership(user=u, provider=p, role=role)
                for u, (p, role, _) in zip(staff_users, staff, strict=True)
            ),
            batch_size=BATCH,
        )
    timings.rows["staff"] = len(staff_users)

    with timings.step("cohorts"):
        cohorts = []
        for index in range(n_cohorts):
            programme = programmes[index % len(programmes)]
            year = 2017 + (index // len(programmes)) % 9
            autumn = (index // (len(programmes) * 9)) % 2 == 0
            start = datetime.date(year, 10, 1) if autumn else datetime.date(year + 1, 3, 1)
            cohorts.append(
                Cohort(
                    programme=programme,
                    code=f"{start:%Y-%m}-{index}",
                    intake="autumn" if autumn else "spring",
                    start_date=start,
                    end_date=start + datetime.timedelta(days=540),
                )
            )
        cohorts = Cohort.objects.bulk_create(cohorts, batch_size=BATCH)
    timings.rows["cohorts"] = len(cohorts)

    with timings.step("participants"):
        users = User.objects.bulk_create(
            (
                User(
                    email=f"participant{i}@school{i % 9000}.example",
                    full_name=f"Participant {i}",
                    password=password,
                )
                for i in range(n_enrolments)
            ),
            batch_size=BATCH,
        )
        participants = Participant.objects.bulk_create(
            (
                Participant(
                    user=u, job_role=rng.choice(["Executive headteacher", "CEO", "Director of education"])
                )
                for u in users
            ),
            batch_size=BATCH,
        )
    timings.rows["participants"] = len(participants)

    with timings.step("enrolments"):
        statuses = list(STATUS_WEIGHTS)
        weights = list(STATUS_WEIGHTS.values())
        provider_of_programme = {p.pk: p.provider_id for p in programmes}
        enrolments = []
        for i, participant in enumerate(participants):
            cohort = cohorts[i % len(cohorts)]
            enrolments.append(
                Enrolment(
                    participant=participant,
                    cohort=cohort,
                    provider_id=provider_of_programme[cohort.programme_id],
                    status=rng.choices(statuses, weights)[0],
                    start_date=cohort.start_date,
                )
            )
        Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
    timings.rows["enrolments"] = len(enrolments)

    with timings.step("components"):
        components = Component.objects.bulk_create(
            Component(
                programme=programme,
                kind=kind,
                title=f"{kind.replace('_', ' ').capitalize()} {n}",
                mode=mode,
                guided_learning_hours=hours,
                position=n,
            )
            for programme in programmes
            for n, (kind, mode, hours, _) in enumerate(COMPONENTS)
        )
    timings.rows["components"] = len(components)

    with timings.step("sessions"):
        groups = DeliveryGroup.objects.bulk_create(
            (DeliveryGroup(cohort=c, name=name, region=name) for c in cohorts for name in ("North", "South")),
            batch_size=BATCH,
        )
        facilitators = {
            p.pk: [
                u
                for u, (owner, role, _) in zip(staff_users, staff, strict=True)
                if owner == p and role == "facilitator"
            ]
            for p in providers
        }
        components_of: dict[int, list[tuple[Component, int]]] = {}
        for component, (*_, sessions) in zip(components, COMPONENTS * len(programmes), strict=True):
            components_of.setdefault(component.programme_id, []).append((component, sessions))
        sessions = []
        for index, cohort in enumerate(cohorts):
            provider_id = provider_of_programme[cohort.programme_id]
            week = 1
            for component, count in components_of[cohort.programme_id]:
                for n in range(count):
                    day = cohort.start_date + datetime.timedelta(weeks=week, days=n % 5)
                    week += 3
                    sessions.append(
                        Session(
                            cohort=cohort,
                            component=component,
                            group=groups[2 * index + n % 2] if component.mode == "in_person" else None,
                            title=f"{component.title}, part {n + 1}",
                            starts_at=local_datetime(day, datetime.time(10, 0)),
                            ends_at=local_datetime(day, datetime.time(12, 0)),
                            online_link="https://meet.example.org/x"
                            if component.mode == "online_live"
                            else "",
                            venue="Conference centre" if component.mode == "in_person" else "",
                            facilitator=rng.choice(facilitators[provider_id]),
                        )
                    )
        Session.objects.bulk_create(sessions, batch_size=BATCH)
    timings.rows["sessions"] = len(sessions)
    return timings
