"""The weekly at-risk digest: each provider admin gets the places at risk at their provider, each coach the
places they coach that are at risk, with the reasons and a link to act on. Nobody with nothing at risk gets
an email. Sent at most once a week to each person, however often the job runs."""

import datetime
import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from npqel.words import plural
from participants.models import AtRiskDigest, Enrolment, EnrolmentChange
from participants.selectors import standing_of
from participants.standing import AT_RISK_STATUSES, with_submitted
from programmes.models import StaffMembership
from programmes.timetable import week_start

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AtRiskPlace:
    enrolment: Enrolment
    reasons: list[str]
    link: str


@dataclass
class Digest:
    """What one person is sent: at-risk places by provider (as admin) and the places they coach."""

    recipient: User
    as_admin: dict[str, list[AtRiskPlace]] = field(default_factory=dict)
    as_coach: list[AtRiskPlace] = field(default_factory=list)

    @property
    def count(self) -> int:
        places = {p.enrolment.pk for rows in self.as_admin.values() for p in rows}
        return len(places | {p.enrolment.pk for p in self.as_coach})


def at_risk_places(*, today: datetime.date) -> list[AtRiskPlace]:
    """Every started, unfinished place at risk today, with its reasons (a fixed number of queries)."""
    history = EnrolmentChange.objects.order_by("effective_on", "recorded_at", "pk")
    places = (
        with_submitted(Enrolment.objects.filter(status__in=AT_RISK_STATUSES))
        .select_related(
            "participant__user", "cohort__programme__provider", "coach", "engagement", "earlier_record"
        )
        .prefetch_related(Prefetch("changes", queryset=history), "cohort__programme__extensions")
        .order_by("provider_id", "cohort__start_date", "participant__user__full_name", "pk")
    )
    site = settings.SITE_URL.rstrip("/")
    return [
        AtRiskPlace(
            enrolment=standing.enrolment,
            reasons=standing.risks,
            link=site + reverse("enrolment_detail", args=[standing.enrolment.pk]),
        )
        for standing in (standing_of(enrolment, today=today) for enrolment in places)
        if standing.risks
    ]


def digests(*, today: datetime.date) -> list[Digest]:
    """Who is told about which places this week."""
    places = at_risk_places(today=today)
    by_provider: dict[int, list[AtRiskPlace]] = defaultdict(list)
    for place in places:
        by_provider[place.enrolment.provider_id].append(place)
    found: dict[int, Digest] = {}
    admins = StaffMembership.objects.filter(
        role=StaffMembership.Role.PROVIDER_ADMIN, provider_id__in=by_provider, user__is_active=True
    ).select_related("user", "provider")
    for membership in admins:
        digest = found.setdefault(membership.user_id, Digest(recipient=membership.user))
        digest.as_admin[membership.provider.name] = by_provider[membership.provider_id]
    site = settings.SITE_URL.rstrip("/")
    # Only someone who still coaches at the place's provider hears about it (as the coaching pages decide).
    coaching = set(
        StaffMembership.objects.filter(
            role=StaffMembership.Role.COACH, provider_id__in=by_provider
        ).values_list("user_id", "provider_id")
    )
    for place in places:
        coach = place.enrolment.coach
        if coach is None or not coach.is_active or (coach.pk, place.enrolment.provider_id) not in coaching:
            continue
        link = site + reverse("enrolment_coaching", args=[place.enrolment.pk])
        found.setdefault(coach.pk, Digest(recipient=coach)).as_coach.append(
            AtRiskPlace(enrolment=place.enrolment, reasons=place.reasons, link=link)
        )
    return sorted(found.values(), key=lambda d: d.recipient.pk)


def digest_send_weekly(*, today: datetime.date | None = None) -> int:
    """Send this week's digests to everyone with places at risk who has not had this week's yet. Returns how
    many were sent. A failure to send to one person is logged and leaves theirs unsent, for the next run
    (the schedule runs daily: a person's digest goes out once a week); the others are still sent."""
    today = today or timezone.localdate()
    week_of = week_start(today)
    sent = 0
    for digest in digests(today=today):
        try:
            with transaction.atomic():
                # Claimed first: a second run waits here, then finds it taken.
                AtRiskDigest.objects.create(
                    recipient=digest.recipient, week_of=week_of, places=digest.count, sent_at=timezone.now()
                )
                send_mail(
                    subject=f"NPQEL: {plural(digest.count, 'participant')} at risk this week",
                    message=render_to_string(
                        "participants/email/at_risk_digest.txt", {"digest": digest, "week_of": week_of}
                    ),
                    from_email=None,
                    recipient_list=[digest.recipient.email],
                )
        except IntegrityError:
            continue
        except (OSError, smtplib.SMTPException):
            logger.exception(
                "At-risk digest to user %s not sent; the next run tries again", digest.recipient.pk
            )
            continue
        sent += 1
    return sent
