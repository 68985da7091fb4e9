"""Demo data: the five providers of docs/DOMAIN.md and a sign-in for every role. Safe to load twice.

Demo accounts use one shared password and, where the role requires a second factor, a fixed TOTP
secret derived from the email address, so `make run` can print a working way to sign in.
"""

import base64
import hashlib
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from metrics.declarations import declarations_record
from npqel.access import MFA_REQUIRED_ROLES, ROLE_LABELS, Role
from npqel.demo_assessment import demo_assessment_load
from npqel.demo_marking import demo_marking_load
from npqel.demo_participants import demo_dfe_participant_id, demo_participants_load
from npqel.demo_programmes import demo_programmes_load
from participants.models import Enrolment, Participant
from participants.services.engagement import engagement_recompute, engagement_tallies_count
from programmes.models import Provider, StaffMembership

DEMO_PASSWORD = "npqel-demo-2026"  # noqa: S105 - demo accounts only, printed on start

PROVIDERS = [
    # slug, name, managed by (their programmes, rules and timetables are in npqel/demo_programmes.py)
    ("olp", "Outstanding Leaders Partnership", "Best Practice Network"),
    ("alliance", "Alliance of Leading Learning", ""),
    ("one-cumbria", "One Cumbria", ""),
    ("llse", "University of Winchester with Leadership Learning South East", ""),
    ("ascl", "ASCL", ""),
]

# Providers that get one demo user for each provider role, plus a participant.
PROVIDERS_WITH_DEMO_STAFF = ["olp", "llse"]
PROVIDER_ROLES = [Role.PROVIDER_ADMIN, Role.FACILITATOR, Role.COACH, Role.ASSESSOR]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    provider: str
    needs_mfa: bool
    totp_secret: str | None


def demo_totp_secret(email: str) -> str:
    """A fixed base32 secret per demo address, so the printed instructions stay true across reloads."""
    return base64.b32encode(hashlib.sha256(f"npqel-demo:{email}".encode()).digest()[:20]).decode()


def current_code(user: User) -> str:
    """The authenticator code a user's TOTP secret gives right now."""
    import time

    from allauth.mfa import app_settings

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def _user(email: str, full_name: str, *, needs_mfa: bool, **flags: bool) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name, **flags})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if needs_mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, demo_totp_secret(email))
    return user


@transaction.atomic
def demo_load() -> list[DemoLogin]:
    """Create or refresh the demo providers, programmes, cohorts, timetables and people; return the sign-ins."""
    logins: list[DemoLogin] = []
    for slug, name, managed_by in PROVIDERS:
        Provider.objects.update_or_create(slug=slug, defaults={"name": name, "managed_by": managed_by})

    facilitators: dict[str, User] = {}
    for slug in PROVIDERS_WITH_DEMO_STAFF:
        provider = Provider.objects.get(slug=slug)
        for role in PROVIDER_ROLES:
            email = f"{role.value.replace('_', '-')}@{slug}.example"
            needs_mfa = role in MFA_REQUIRED_ROLES
            user = _user(email, f"Demo {ROLE_LABELS[role].lower()} ({provider.name})", needs_mfa=needs_mfa)
            StaffMembership.objects.get_or_create(user=user, provider=provider, role=role.value)
            if role == Role.FACILITATOR:
                facilitators[slug] = user
            logins.append(
                DemoLogin(email, role, slug, needs_mfa, demo_totp_secret(email) if needs_mfa else None)
            )
    cohorts_by_provider = demo_programmes_load(facilitators=facilitators)
    current_cohorts = {slug: cohorts[-1] for slug, cohorts in cohorts_by_provider.items()}
    for slug in PROVIDERS_WITH_DEMO_STAFF:
        provider = Provider.objects.get(slug=slug)
        email = f"participant@{slug}.example"
        user = _user(email, f"Demo participant ({provider.name})", needs_mfa=False)
        participant, _ = Participant.objects.get_or_create(
            user=user,
            defaults={
                "job_role": "Executive headteacher",
                "dfe_participant_id": demo_dfe_participant_id(email),
            },
        )
        if participant.dfe_participant_id is None:  # loaded before demo participants had DfE IDs
            participant.dfe_participant_id = demo_dfe_participant_id(email)
            participant.save(update_fields=["dfe_participant_id", "updated_at"])
        cohort = current_cohorts[slug]
        Enrolment.objects.get_or_create(
            participant=participant,
            cohort=cohort,
            defaults={
                "provider": provider,
                "status": Enrolment.Status.ACTIVE,
                "start_date": cohort.start_date,
            },
        )
        logins.append(DemoLogin(email, Role.PARTICIPANT, slug, False, None))

    demo_participants_load(today=timezone.localdate())
    demo_assessment_load(today=timezone.localdate())
    with connection.cursor() as cursor:
        # As autovacuum would after a bulk load (ANALYZE counts this transaction's own rows): planned for empty
        # tables, the engagement recompute's joins took seconds per cohort instead of a tenth of a second.
        cursor.execute("ANALYZE")
    # Every place's engagement, from the evidence just loaded: counted into the tallies the services keep, then
    # recomputed (as the jobs a change queues would).
    engagement_tallies_count()
    engagement_recompute()

    for email, role, flag in [
        ("moderator@npqel.example", Role.MODERATOR, "is_moderator"),
        ("platform@npqel.example", Role.PLATFORM_STAFF, "is_platform_staff"),
    ]:
        user = _user(email, f"Demo {ROLE_LABELS[role].lower()}", needs_mfa=True, **{flag: True})
        if not getattr(user, flag):
            setattr(user, flag, True)
            user.save(update_fields=[flag])
        logins.append(DemoLogin(email, role, "all providers", True, demo_totp_secret(email)))
    # Marking, moderation, released results and certificates (after the moderator exists: their verdicts).
    demo_marking_load(today=timezone.localdate())
    # The DfE declarations the places have reached so far (the nightly job's work), once results are released.
    for provider in Provider.objects.filter(slug__in=[slug for slug, _, _ in PROVIDERS]).order_by("slug"):
        declarations_record(provider=provider)
    return logins
