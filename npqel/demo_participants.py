"""Demo participants: for every demo cohort, 20 to 40 school leaders from schools with realistic FSM shares
and equality data, each place with the history of how it got to where it is (some deferred, some withdrawn).

Deterministic (seeded by the cohort), and a cohort that already has its participants is left alone.
Demo participants cannot sign in (no password); the demo logins in npqel/demo.py are separate.
"""

import datetime
import random
import uuid
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from accounts.models import User
from npqel.demo_engagement import demo_engagement_fill
from participants import services
from participants.models import Enrolment, EnrolmentChange, Participant, School
from programmes.models import Cohort, Provider, StaffMembership
from programmes.timetable import local_datetime

FIRST_NAMES = [
    "Amelia", "Olivia", "Priya", "Sarah", "Helen", "Fatima", "Joanne", "Claire", "Aisha", "Rachel",
    "James", "Mohammed", "David", "Richard", "Daniel", "Tomasz", "Kwame", "Andrew", "Simon", "Rajesh",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Patel", "Jones", "Williams", "Khan", "Brown", "Taylor", "Davies", "Okafor", "Wilson",
    "Evans", "Thomas", "Roberts", "Ahmed", "Walker", "Wright", "Nowak", "Hughes", "Green", "Clarke",
]  # fmt: skip
JOB_ROLES = ["Executive headteacher", "Trust CEO", "Director of school improvement", "Head of school"]
# Where each demo provider recruits: local authorities and their region.
AREAS = {
    "olp": [("Birmingham", "West Midlands"), ("Leeds", "Yorkshire and the Humber"), ("Camden", "London")],
    "alliance": [("Leicester", "East Midlands"), ("Nottingham", "East Midlands")],
    "one-cumbria": [("Cumbria", "North West")],
    "llse": [("Hampshire", "South East"), ("Kent", "South East"), ("Brighton and Hove", "South East")],
    "ascl": [("Manchester", "North West"), ("Bristol", "South West"), ("Newham", "London")],
}
SCHOOL_KINDS = [
    ("Primary School", "primary"),
    ("Academy", "secondary"),
    ("High School", "secondary"),
    ("Church of England Primary", "primary"),
    ("All-through School", "all_through"),
    ("Special School", "special"),
]
ETHNICITY_WEIGHTS = {
    "WBRI": 70, "WIRI": 2, "WOTH": 5, "MWBC": 2, "MWAS": 2, "AIND": 4, "APKN": 3, "ABAN": 1,
    "BCRB": 2, "BAFR": 3, "CHNE": 1, "OOTH": 1, "REFU": 3, "NOBT": 1,
}  # fmt: skip
# Reasons demo histories give, from the DfE codes the lifecycle accepts (participants.services).
DEFERRAL_REASONS = sorted(services.DEFERRAL_REASONS - {"other"})
WITHDRAWAL_REASONS = sorted(services.WITHDRAWAL_REASONS - {"other"})
DEMO_PARTICIPANT_DOMAIN = "demo-participants.example"
# Demo DfE participant IDs are derived from the email address, so every load gives each person the same one.
DEMO_DFE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://npqel.example/demo/dfe-participant-id")


def demo_dfe_participant_id(email: str) -> uuid.UUID:
    """A demo participant's DfE participant ID (what DfE's Lead Provider API would give): the same every load."""
    return uuid.uuid5(DEMO_DFE_NAMESPACE, email.lower())


def _schools(provider: Provider, rng: random.Random) -> list[School]:
    """About a dozen schools in the provider's areas, FSM shares from 4% to 60% (a third at 30% or more)."""
    schools = []
    for index in range(12):
        authority, region = AREAS[provider.slug][index % len(AREAS[provider.slug])]
        kind, phase = SCHOOL_KINDS[index % len(SCHOOL_KINDS)]
        fsm = Decimal(rng.choice([rng.uniform(4, 29.9), rng.uniform(4, 29.9), rng.uniform(30, 60)])).quantize(
            Decimal("0.1")
        )
        urn = (
            f"{1 + Provider.objects.filter(slug__lt=provider.slug).count()}{index:02d}{rng.randint(100, 999)}"
        )
        school, _ = School.objects.get_or_create(
            urn=urn,
            defaults={
                "name": f"{rng.choice(LAST_NAMES)} {kind}",
                "phase": phase,
                "local_authority": authority,
                "region": region,
                "fsm_percent": fsm,
                "pupil_premium_top_half": fsm >= 25,
                "performance_band": rng.choice(["high", "middle", "middle", "low"]),
                # Two schools in three belong to a trust of their area (assessors from it never mark them).
                "trust": f"{authority} Schools Trust" if index % 3 else "",
            },
        )
        schools.append(school)
    return schools


def _statuses(cohort: Cohort, today: datetime.date) -> tuple[list[str], list[int]]:
    if cohort.end_date < today:  # finished: most passed
        return (["completed", "failed", "withdrawn", "deferred"], [72, 6, 14, 8])
    if cohort.start_date > today:  # not started yet
        return (["applied", "accepted", "withdrawn"], [20, 75, 5])
    return (["active", "deferred", "withdrawn", "accepted"], [80, 8, 7, 5])


def _history(
    enrolment: Enrolment, status: str, rng: random.Random, today: datetime.date
) -> list[EnrolmentChange]:
    """The changes that took the place from application to `status`, on plausible dates."""
    start = enrolment.cohort.start_date
    steps: list[tuple[str, str, datetime.date, str]] = [
        ("applied", "accepted", start - datetime.timedelta(days=30), "")
    ]
    if status in ("active", "deferred", "completed", "failed") or (status == "withdrawn" and start <= today):
        steps.append(("accepted", "active", start, ""))
    if status == "deferred":
        steps.append(
            (
                "active",
                "deferred",
                start + datetime.timedelta(days=rng.randint(60, 200)),
                rng.choice(DEFERRAL_REASONS),
            )
        )
    if status == "withdrawn":
        frm = steps[-1][1]
        steps.append(
            (
                frm,
                "withdrawn",
                max(steps[-1][2], min(today, start + datetime.timedelta(days=rng.randint(20, 300)))),
                rng.choice(WITHDRAWAL_REASONS),
            )
        )
    if status in ("completed", "failed"):
        steps.append(
            ("active", status, enrolment.cohort.end_date - datetime.timedelta(days=rng.randint(10, 60)), "")
        )
    if status == "applied":
        steps = []
    return [
        EnrolmentChange(
            enrolment=enrolment, from_status=frm, to_status=to, effective_on=min(on, today), reason=reason
        )
        for frm, to, on, reason in steps
    ]


def demo_participants_load(*, today: datetime.date) -> int:
    """Fill every demo cohort that has fewer than 20 places; returns how many places were created.

    A cohort is filled in one go (bulk inserts), inside demo_load's transaction: all of it or none.
    """
    password = make_password(None)
    created = 0
    for provider in Provider.objects.filter(slug__in=AREAS).order_by("slug"):
        rng = random.Random(f"npqel-demo-{provider.slug}")  # noqa: S311 - demo data, not secrets
        schools = _schools(provider, rng)
        coaches = list(
            User.objects.filter(memberships__provider=provider, memberships__role=StaffMembership.Role.COACH)
        )
        for cohort in (
            Cohort.objects.filter(programme__provider=provider)
            .select_related("programme")
            .order_by("start_date")
        ):
            if cohort.enrolments.count() >= 20:
                continue
            created += _fill(cohort, provider, schools, coaches, password, today)
    # Demo people loaded before they had DfE participant IDs get theirs.
    missing = list(
        Participant.objects.filter(
            dfe_participant_id__isnull=True, user__email__endswith=f"@{DEMO_PARTICIPANT_DOMAIN}"
        ).select_related("user")
    )
    for participant in missing:
        participant.dfe_participant_id = demo_dfe_participant_id(participant.user.email)
    Participant.objects.bulk_update(missing, ["dfe_participant_id"], batch_size=1000)
    return created


def _fill(
    cohort: Cohort,
    provider: Provider,
    schools: list[School],
    coaches: list[User],
    password: str,
    today: datetime.date,
) -> int:
    rng = random.Random(f"npqel-demo-{provider.slug}-{cohort.code}")  # noqa: S311
    groups = list(cohort.groups.all())
    statuses, weights = _statuses(cohort, today)
    routes = (
        ["funded_place", "scholarship"]
        if cohort.programme.framework == "reformed"
        else ["scholarship", "school", "self_funded"]
    )
    people = []
    for n in range(rng.randint(20, 40)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}.{provider.slug}.{cohort.code}.{n}@{DEMO_PARTICIPANT_DOMAIN}"
        people.append((n, User(email=email, full_name=f"{first} {last}", password=password)))
    users = User.objects.bulk_create([user for _, user in people])
    participants = Participant.objects.bulk_create(
        Participant(
            user=user,
            school=rng.choice(schools),
            job_role=rng.choice(JOB_ROLES),
            ethnicity_code=rng.choices(list(ETHNICITY_WEIGHTS), list(ETHNICITY_WEIGHTS.values()))[0],
            sex=rng.choice(["female", "female", "male", "male", "prefer_not"]),
            disability=rng.choice(["no"] * 8 + ["yes", "prefer_not"]),
            age_band=rng.choice(["35_44", "45_54", "45_54", "55_plus", "prefer_not"]),
            dfe_participant_id=demo_dfe_participant_id(user.email),
        )
        for user in users
    )
    statuses_chosen = [rng.choices(statuses, weights)[0] for _ in participants]
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            participant=participant,
            cohort=cohort,
            provider=provider,
            status=status,
            start_date=cohort.start_date,
            group=rng.choice(groups) if groups else None,
            coach=rng.choice(coaches) if coaches else None,
            funding_route=rng.choice(routes),
            external_id=f"{cohort.code}-{n:03d}",
        )
        for (n, _), participant, status in zip(people, participants, statuses_chosen, strict=True)
    )
    EnrolmentChange.objects.bulk_create(
        change
        for enrolment, status in zip(enrolments, statuses_chosen, strict=True)
        for change in _history(enrolment, status, rng, today)
    )
    demo_engagement_fill(
        cohort=cohort, enrolments=enrolments, now=local_datetime(today, datetime.time.min), rng=rng
    )
    return len(enrolments)
