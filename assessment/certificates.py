"""Certificates and transcripts (issue 7): the certificate of a passed qualification, with a code anyone can
check at /verify/<code>; a transcript of any place (passed, failed, under way or withdrawn); both as A4 PDFs
drawn by WeasyPrint from templates.

- Issuing: `certificate_issue`, called by the release of results once a place is completed. What a certificate
  says (name, qualification, provider, date of award) is frozen when it is issued.
- Revoking: `certificate_revoke`, by a provider admin (Action.MANAGE_ASSESSMENT), with the reason. The
  verification page then says it was revoked and when, never why.
- Reading: the selectors below, scoped by npqel/access.py. A participant downloads their own place's transcript
  and certificate; a provider admin (Action.VIEW_ENROLMENTS; platform staff everywhere) any place's at their
  provider; another provider's place answers 404 like a missing one.
- Verifying: anyone, signed in or not, by the code. Lookups are counted per IP address (`verify_lookup_allowed`)
  so that codes cannot be guessed by trying them in bulk.
"""

import datetime
import ipaddress
import re
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Max, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from assessment.models import AssessmentTask, Certificate, Result, Submission
from assessment.services import REFERENCE_ALPHABET
from audit.services import audit_record
from npqel.access import Action, access_for, provider_q, require_page
from npqel.errors import DomainError
from participants.eligibility import Explanation, PartRow, percent_or_dash
from participants.models import Enrolment, EnrolmentChange
from participants.selectors import engagement_explained, enrolment_list

QUALIFICATION = "National Professional Qualification for Executive Leadership"
# Letters and digits nobody confuses when reading a code aloud or off paper: no 0/O, no 1/I/L.
CODE_ALPHABET = REFERENCE_ALPHABET
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
CODE_LENGTH = CODE_GROUPS * CODE_GROUP_LENGTH
REASON_LENGTH = 2000

# Verification lookups allowed from one IP address (an IPv6 /64) in each window. A person checking a few
# certificates never meets it; guessing one code among 31^12 ≈ 8 × 10^17 at this rate is hopeless.
VERIFY_LOOKUPS_PER_WINDOW = 20
VERIFY_WINDOW_SECONDS = 15 * 60

Status = Enrolment.Status


def long_day(value: datetime.date) -> str:
    """e.g. "11 June 2026"."""
    return f"{value:%-d %B %Y}"


# Codes ------------------------------------------------------------------------------------------------


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP_LENGTH] for i in range(0, CODE_LENGTH, CODE_GROUP_LENGTH))


def normalise_code(text: str) -> str | None:
    """A code as people type it (lower case, spaces, dashes or none) in its stored form XXXX-XXXX-XXXX; None
    when it cannot be a certificate code."""
    raw = re.sub(r"[\s\-‐‑‒–—_.]", "", text or "").upper()
    if len(raw) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in raw):
        return None
    return "-".join(raw[i : i + CODE_GROUP_LENGTH] for i in range(0, CODE_LENGTH, CODE_GROUP_LENGTH))


# Issuing and revoking -----------------------------------------------------------------------------------


def _passes(enrolment: Enrolment) -> QuerySet[Result]:
    return Result.objects.filter(
        submission__enrolment=enrolment, outcome=Result.Outcome.PASS, released_at__isnull=False
    )


@transaction.atomic
def certificate_issue(*, enrolment: Enrolment) -> Certificate:
    """The place's certificate: the valid one it has, else issued now (a place completed, with its passes
    released; after a revoked one, a new certificate with a new code). Freezes the participant's name, the
    qualification, the provider's name and the date of award (the UK date of the latest release of a pass)."""
    place = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("participant__user", "provider")
        .get(pk=enrolment.pk)
    )
    existing = Certificate.objects.filter(enrolment=place, revoked_at__isnull=True).first()
    if existing is not None:
        return existing
    user = place.participant.user
    if place.participant.erased_at is not None:
        raise DomainError(
            "This person's personal data has been erased, so no certificate can be issued: it would carry no "
            "name. If they need one, they must contact the provider."
        )
    if place.status != Status.COMPLETED:
        raise DomainError(
            f"A certificate is issued only for a passed qualification: {user.display_name}'s place is "
            f"{place.get_status_display().lower()}. It is issued when their results are released as passes."
        )
    released = _passes(place).aggregate(latest=Max("released_at"))["latest"]
    if released is None:
        raise DomainError(
            f"No passing result has been released for {user.display_name}: release their results first, and "
            "the certificate is issued with them."
        )
    name = " ".join(user.full_name.split())
    if not name:
        raise DomainError(
            f"We have no full name for {user.email}, and a certificate must show one: ask them to add it on "
            "their account page (or correct it on their record), then issue the certificate again."
        )
    while True:
        code = _new_code()
        if not Certificate.objects.filter(code=code).exists():  # the unique constraint backs this up
            break
    certificate = Certificate.objects.create(
        enrolment=place,
        code=code,
        name=name,
        qualification=QUALIFICATION,
        provider_name=place.provider.name,
        awarded_on=timezone.localdate(released),
        issued_at=timezone.now(),
    )
    # Issued by the platform itself, as results are released (or a review changes one).
    audit_record(
        actor=None,
        action="certificate.issued",
        obj_type="certificate",
        obj_id=certificate.pk,
        provider=place.provider_id,
        label=f"certificate {code} of {user.display_name}",
        before=None,
        after={"code": code, "name": name, "awarded_on": certificate.awarded_on},
        at=certificate.issued_at,
    )
    return certificate


@transaction.atomic
def certificate_revoke(*, by: User, certificate: Certificate, reason: str) -> Certificate:
    """A provider admin revokes a certificate (issued in error, a result changed on review…), with the reason.
    The verification page then says it was revoked and when; the reason stays with the provider."""
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("enrolment__participant__user")
        .get(pk=certificate.pk)
    )
    if not access_for(by).may(Action.MANAGE_ASSESSMENT, certificate.enrolment.provider_id):
        raise PermissionDenied("Only a provider admin of this provider can revoke its certificates.")
    if certificate.enrolment.participant.user_id == by.pk:
        raise PermissionDenied("Another admin of your provider must decide about your own certificate.")
    if certificate.revoked_at is not None:
        raise DomainError(
            f"This certificate was already revoked on {long_day(timezone.localdate(certificate.revoked_at))}."
        )
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the certificate is revoked, in a sentence or two.", field="reason")
    if len(reason) > REASON_LENGTH:
        raise DomainError(f"Keep the reason to {REASON_LENGTH:,} characters.", field="reason")
    certificate.revoked_at = timezone.now()
    certificate.revoke_reason = reason
    certificate.save(update_fields=["revoked_at", "revoke_reason"])
    audit_record(
        actor=by,
        action="certificate.revoked",
        obj_type="certificate",
        obj_id=certificate.pk,
        provider=certificate.enrolment.provider_id,
        label=f"certificate {certificate.code} of {certificate.enrolment.participant.user.display_name}",
        before={"revoked_at": None},
        after={"revoked_at": certificate.revoked_at, "reason": reason},
        at=certificate.revoked_at,
    )
    return certificate


# Reading --------------------------------------------------------------------------------------------------


def _status_history() -> Prefetch:
    return Prefetch("changes", queryset=EnrolmentChange.objects.order_by("effective_on", "recorded_at", "pk"))


def document_place(*, user: object, pk: int) -> Enrolment:
    """A place whose transcript and certificate the user may download: their own, or any at a provider where
    they may see enrolments. Another provider's place (or someone else's, for a participant) answers 404."""
    places = (
        enrolment_list(user=user)
        .select_related("participant__user", "cohort__programme", "provider")
        .prefetch_related(_status_history(), "certificates")
    )
    return get_object_or_404(places, pk=pk)


def valid_certificate(enrolment: Enrolment) -> Certificate | None:
    """The place's certificate if it has one that is not revoked (read with the place by document_place)."""
    certificate = enrolment.current_certificate
    return None if certificate is None or certificate.revoked_at else certificate


def certificate_for_revoke(*, user: object, pk: int) -> Certificate:
    """The certificate of a place (by the place's id) that the user may revoke: 403 for a role that never may
    (platform staff only look), 404 for another provider's place or a place without a certificate."""
    require_page(user, Action.MANAGE_ASSESSMENT, "Only a provider admin can revoke a certificate.")
    certificates = Certificate.objects.filter(
        provider_q(user, Action.MANAGE_ASSESSMENT, via="enrolment__provider")
    ).select_related("enrolment__participant__user", "enrolment__cohort__programme")
    certificate = certificates.filter(enrolment_id=pk).order_by(
        F("revoked_at").desc(nulls_first=True), "-issued_at"
    )
    return get_object_or_404(certificates, pk=getattr(certificate.first(), "pk", None))


def certificate_by_code(*, code: str) -> Certificate | None:
    """The certificate with this code (in its stored form, see normalise_code), for the public verification
    page; anyone may ask, so it reads nothing but the certificate's own frozen facts."""
    return (
        Certificate.objects.filter(code=code)
        .only("code", "name", "qualification", "provider_name", "awarded_on", "revoked_at")
        .first()
    )


def verify_lookup_allowed(*, client_ip: str, now: float | None = None) -> bool:
    """Count one verification lookup from this IP address: False once it has made VERIFY_LOOKUPS_PER_WINDOW
    in the current window (IPv6 addresses counted by their /64, which one household or office shares)."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        source = client_ip
    else:
        if address.version == 6:
            source = str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address)
        else:
            source = str(address)
    window = int((now if now is not None else time.time()) // VERIFY_WINDOW_SECONDS)
    key = f"npqel:verify:{source}:{window}"
    # add() then incr(): atomic in Redis, so two lookups at once are both counted.
    cache.add(key, 0, timeout=VERIFY_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=VERIFY_WINDOW_SECONDS)
        count = 1
    return count <= VERIFY_LOOKUPS_PER_WINDOW


# The transcript -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptLine:
    """One submitted attempt at a task and its outcome, as far as it has been released."""

    attempt: int
    submitted_on: datetime.date | None
    outcome: str  # "Pass", "Fail" or "Not released yet"
    released_on: datetime.date | None


@dataclass(frozen=True)
class TaskLine:
    task: AssessmentTask
    attempts: list[AttemptLine] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """The latest attempt's outcome; "Not submitted" when nothing was."""
        return self.attempts[-1].outcome if self.attempts else "Not submitted"


@dataclass(frozen=True)
class Transcript:
    """What a place's transcript shows: who, where, each component's hours, engagement, each task's outcome and
    the overall status."""

    enrolment: Enrolment
    name: str
    qualification: str
    status: str  # "Completed (passed) on 11 June 2026"
    engagement: Explanation
    components: list[PartRow]
    tasks: list[TaskLine]
    certificate: Certificate | None
    produced_on: datetime.date

    @property
    def planned_hours(self) -> Decimal:
        return sum((row.part.planned_hours for row in self.components), Decimal(0))

    @property
    def credited_hours(self) -> Decimal:
        return sum((row.part.credited_hours for row in self.components), Decimal(0))

    @property
    def engagement_percent(self) -> str:
        return percent_or_dash(self.engagement.figures.percent)


def status_line(enrolment: Enrolment) -> str:
    """The place's status in words, with the day it began where recorded: "Withdrawn on 3 March 2025".
    Reads the prefetched `changes` (oldest first)."""
    label = enrolment.get_status_display()
    status = enrolment.status
    change = next(
        (
            c
            for c in reversed(list(enrolment.changes.all()))
            if c.to_status == status and c.from_status != status
        ),
        None,
    )
    if change is None or status in (Status.APPLIED, Status.ACTIVE):
        return label
    return f"{label} {'since' if status == Status.DEFERRED else 'on'} {long_day(change.effective_on)}"


def _task_lines(enrolment: Enrolment) -> list[TaskLine]:
    """Each task of the place's programme with its submitted attempts (two queries). Outcomes only once
    released: a decided result waiting for release reads "Not released yet"."""
    tasks = list(
        AssessmentTask.objects.filter(scheme__programme_id=enrolment.cohort.programme_id).order_by("number")
    )
    attempts: dict[int, list[AttemptLine]] = {}
    submissions = (
        Submission.objects.filter(enrolment=enrolment)
        .exclude(status__in=[Submission.Status.DRAFT, Submission.Status.WITHDRAWN])
        .select_related("result")
        .order_by("task_id", "attempt")
    )
    for submission in submissions:
        result = getattr(submission, "result", None)
        released = result is not None and result.released_at is not None
        attempts.setdefault(submission.task_id, []).append(
            AttemptLine(
                attempt=submission.attempt,
                submitted_on=timezone.localdate(submission.submitted_at) if submission.submitted_at else None,
                outcome=result.get_outcome_display() if released else "Not released yet",
                released_on=timezone.localdate(result.released_at) if released else None,
            )
        )
    return [TaskLine(task=task, attempts=attempts.get(task.pk, [])) for task in tasks]


def transcript_for(*, enrolment: Enrolment, now: datetime.datetime | None = None) -> Transcript:
    """The transcript of a place the caller may already see (from document_place): its engagement measured
    now, the same way its record and the participant's home page measure it. A fixed number of queries
    however many components, tasks or attempts."""
    now = now or timezone.now()
    engagement = engagement_explained(enrolment=enrolment, now=now)
    return Transcript(
        enrolment=enrolment,
        name=enrolment.participant.user.display_name,
        qualification=QUALIFICATION,
        status=status_line(enrolment),
        engagement=engagement,
        components=engagement.rows,
        tasks=_task_lines(enrolment),
        certificate=valid_certificate(enrolment),
        produced_on=timezone.localdate(now),
    )


# PDFs -----------------------------------------------------------------------------------------------------


def _pdf(template: str, context: dict[str, object]) -> bytes:
    import weasyprint  # slow to import: only requests that draw a PDF pay for it

    html = render_to_string(template, context)
    # Nothing to fetch: the templates carry their own styles and refer to no image, font or stylesheet.
    return weasyprint.HTML(string=html).write_pdf()


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    """The certificate as an A4 PDF: name, qualification, provider, date of award, the code and the address
    where anyone can check it (`verify_url`, absolute, made by the view from the request)."""
    import segno

    # segno draws the QR code itself from our own address (path data only): no one's text goes into the SVG.
    qr = segno.make(verify_url, error="m").svg_inline(scale=3, dark="#0b0c0c", light="#ffffff")
    return _pdf(
        "assessment/certificates/certificate_pdf.html",
        {
            "certificate": certificate,
            "verify_url": verify_url,
            "qr": qr,
            "awarded": long_day(certificate.awarded_on),
        },
    )


def transcript_pdf(enrolment: Enrolment, *, now: datetime.datetime | None = None) -> bytes:
    """The place's transcript as an A4 PDF (the place from document_place, or read the same way)."""
    transcript = transcript_for(enrolment=enrolment, now=now)
    return _pdf("assessment/certificates/transcript_pdf.html", {"t": transcript})
