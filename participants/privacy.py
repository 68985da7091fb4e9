"""Data protection (issue 9): who may export or erase a participant's personal data, erasure itself, and the
retention period after which the platform erases people by itself. The export (a subject access request's ZIP)
is built in participants/privacy_export.py; docs/data-protection.md explains every decision.

- Export: the participant themself (everything), a provider admin (only the places with their provider: each
  provider is a separate controller of its own participants' records) and platform staff (everything).
- Erasure (`participant_erase`) pseudonymises, it does not delete: the person's name, email, job, sign-in,
  free text about them and their files go; their places, statuses and dates, outcomes, ratings, equality codes
  and school stay, so the DfE metrics give the same figures before and after.
- Retention (`erase_expired`, nightly): a person whose every place has ended is erased once the longest
  retention period of their places' providers has run from the day their place there ended.
"""

import datetime
import logging
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import ApiToken, Invitation, User
from assessment.models import (
    Allocation,
    AssessorProfile,
    Certificate,
    ConflictDeclaration,
    Extension,
    Marking,
    ModerationItem,
    Receipt,
    Result,
    ResultChange,
    ReviewRequest,
    Submission,
    SubmissionChange,
    SubmissionFile,
    SubmissionOverride,
)
from assessment.services import REFERENCE_ALPHABET
from audit.models import AuditEvent
from audit.services import audit_record
from npqel.access import Action, access_for, require_page
from npqel.errors import DomainError
from participants.models import (
    Attendance,
    CoachingSession,
    ComponentCompletion,
    Enrolment,
    EnrolmentChange,
    EnrolmentImport,
    FeedbackRating,
    LearningLog,
    Participant,
    TaskCompletion,
)
from participants.selectors import participant_list
from participants.standing import LIVE_STATUSES
from programmes.models import CalendarFeed, Provider, StaffMembership
from programmes.timetable import add_months

logger = logging.getLogger(__name__)

Status = Enrolment.Status
ENDED_STATUSES = frozenset({Status.COMPLETED, Status.FAILED, Status.WITHDRAWN})
REASON_LONGEST = 1000
RETENTION_YEARS_RANGE = (1, 50)  # as the database's check on Provider.retention_years
# How far ahead the provider's data-protection page lists the people the nightly job will erase.
DUE_WITHIN_DAYS = 90
PSEUDONYM_PREFIX = "Erased participant"
ERASED_EMAIL_DOMAIN = "erased.invalid"  # .invalid never resolves (RFC 2606): nothing can be sent to it
# What free text about the person reads as in the audit trail once erased (model fields are simply emptied).
ERASED_TEXT = "(erased)"

# Who asked for an export, which decides what it covers.
SELF = "self"
PROVIDER = "provider"
PLATFORM = "platform"


# Who may do what ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What an export covers: the places with every provider (`provider_ids` None) or only with these."""

    audience: str  # SELF, PROVIDER or PLATFORM
    provider_ids: frozenset[int] | None

    def covers(self, provider_id: int | None) -> bool:
        return self.provider_ids is None or provider_id in self.provider_ids


def export_scope(*, by: User, participant: Participant) -> Scope:
    """What `by` may export of the person: everything for themself and for platform staff; for a provider admin,
    only their places with the admin's providers (each provider is the controller of its own records)."""
    if by.pk == participant.user_id:
        return Scope(SELF, None)
    access = access_for(by)
    if access.platform_staff:
        return Scope(PLATFORM, None)
    theirs = set(Enrolment.objects.filter(participant=participant).values_list("provider_id", flat=True))
    mine = access.provider_ids(Action.VIEW_ENROLMENTS) & theirs
    if not mine:
        raise PermissionDenied(
            "Only this person, an admin of their provider or platform staff can export this."
        )
    return Scope(PROVIDER, frozenset(mine))


def privacy_participant_get(*, user: object, pk: int) -> Participant:
    """A participant whose data-protection page the user may open: provider admins for people with a place at
    their provider, platform staff for anyone. 403 for other roles, 404 for someone else's participant."""
    require_page(user, Action.VIEW_ENROLMENTS, "Only provider admins and platform staff can open this page.")
    return get_object_or_404(participant_list(user=user), pk=pk)


def own_participant(*, user: object) -> Participant:
    """The signed-in person's own participant record (404 for someone who has none)."""
    return get_object_or_404(Participant.objects.select_related("user", "school"), user=user)


def _staff_roles(user: User) -> list[str]:
    roles = []
    if user.is_platform_staff or user.is_staff or user.is_superuser:
        roles.append("platform staff")
    if user.is_moderator:
        roles.append("moderator")
    if (
        StaffMembership.objects.filter(user=user).exists()
        or AssessorProfile.objects.filter(user=user).exists()
    ):
        roles.append("provider staff")
    return roles


def _check_may_erase(by: User | None, participant: Participant, places: list[Enrolment]) -> None:
    """Refuse (PermissionDenied for who is asking, DomainError for the person's situation) unless `by` may
    erase the person now. `by` None is the platform's own retention job, which picks only people it may erase."""
    user = participant.user
    staff_platform = by is not None and access_for(by).platform_staff
    if by is not None and not staff_platform:
        if by.pk == user.pk:
            raise PermissionDenied("Ask platform staff to erase your own data.")
        admin_at = access_for(by).provider_ids(Action.MANAGE_ENROLMENTS)
        theirs = {place.provider_id for place in places}
        if not theirs & admin_at:
            raise PermissionDenied("Only an admin of their provider or platform staff can erase this person.")
        if theirs - admin_at:
            raise DomainError(
                "They also have a place with another provider, whose records you cannot erase. Ask platform "
                "staff to erase them: they can see every provider's records."
            )
    if participant.erased_at is not None:
        raise DomainError(
            f"Their personal data was already erased on {timezone.localdate(participant.erased_at):%-d %B %Y}."
        )
    roles = _staff_roles(user)
    if roles:
        raise DomainError(
            f"They also work on the platform ({', '.join(roles)}), and erasing them would lock them out of that "
            "work. Remove their staff roles first, then erase their participant record."
        )
    live = [place for place in places if place.status in LIVE_STATUSES]
    if live and not staff_platform:
        statuses = sorted({place.get_status_display().lower() for place in live})
        raise DomainError(
            f"They still have a place that has not ended ({', '.join(statuses)}). Withdraw it first (or wait "
            "until it is completed or failed), then erase them. Platform staff can erase someone with a place "
            "under way when there is a reason that cannot wait."
        )


def erasure_blocker(*, by: User, participant: Participant) -> str | None:
    """Why `by` cannot erase the person now, in words for the page (None: they can)."""
    places = list(Enrolment.objects.filter(participant=participant).select_related("provider"))
    try:
        _check_may_erase(by, participant, places)
    except (DomainError, PermissionDenied) as problem:
        return getattr(problem, "message", None) or str(problem)
    return None


# Erasure ------------------------------------------------------------------------------------------------


def _pseudonym() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{PSEUDONYM_PREFIX} {code}"


def _replace(text: str, needles: list[str], replacement: str) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), replacement, text, flags=re.IGNORECASE)
    return text


# Keys of audit events' before/after whose values are free text about the person (a withdrawal reason code
# is kept: it is one of DfE's codes, not words about them).
FREE_TEXT_KEYS = frozenset(
    {
        "note",
        "notes",
        "comment",
        "comments",
        "feedback",
        "feedback_before",
        "rationale",
        "lead_rationale",
        "decision_note",
        "activity",
        "focus",
        "reason",
        "revoke_reason",
        "evidence_name",
        "original_name",
        "names_found",
        "job_role",
        "name",
        "email",
        "full_name",
    }
)
REASON_CODES = frozenset(EnrolmentChange.Reason.values)


def _scrub(value: object, needles: list[str], replacement: str, *, free_text: bool = True) -> object:
    """A JSON value with the person's name and email replaced, and (for `free_text`) free text about them
    under FREE_TEXT_KEYS replaced by ERASED_TEXT."""
    if isinstance(value, str):
        return _replace(value, needles, replacement)
    if isinstance(value, list):
        return [_scrub(item, needles, replacement, free_text=free_text) for item in value]
    if isinstance(value, dict):
        scrubbed = {}
        for key, item in value.items():
            if free_text and key in FREE_TEXT_KEYS and item not in (None, "", [], {}):
                scrubbed[key] = item if isinstance(item, str) and item in REASON_CODES else ERASED_TEXT
            else:
                scrubbed[key] = _scrub(item, needles, replacement, free_text=free_text)
        return scrubbed
    return value


@dataclass
class Held:
    """The ids of every row about the person, by the object type the audit trail names them with."""

    participant: Participant
    places: list[Enrolment]
    ids: dict[str, set[int]] = field(default_factory=dict)

    def of(self, *kinds: str) -> set[int]:
        found: set[int] = set()
        for kind in kinds:
            found |= self.ids.get(kind, set())
        return found


def _held(participant: Participant, places: list[Enrolment]) -> Held:
    enrolment_ids = [place.pk for place in places]
    submissions = Submission.objects.filter(enrolment_id__in=enrolment_ids)
    results = Result.objects.filter(submission__in=submissions)
    allocations = Allocation.objects.filter(submission__in=submissions)
    reviews = ReviewRequest.objects.filter(result__in=results)
    held = Held(participant=participant, places=places)

    def ids(queryset: QuerySet) -> set[int]:
        return set(queryset.values_list("pk", flat=True))

    held.ids = {
        "participant": {participant.pk},
        "user": {participant.user_id},
        "enrolment": set(enrolment_ids),
        "attendance": ids(Attendance.objects.filter(enrolment_id__in=enrolment_ids)),
        "submission": ids(submissions),
        "extension": ids(Extension.objects.filter(enrolment_id__in=enrolment_ids)),
        "override": ids(SubmissionOverride.objects.filter(enrolment_id__in=enrolment_ids)),
        "allocation": ids(allocations),
        "marking": ids(Marking.objects.filter(allocation__in=allocations)),
        "result": ids(results),
        "moderation_item": ids(ModerationItem.objects.filter(result__in=results)),
        "review": ids(reviews),
        "certificate": ids(Certificate.objects.filter(enrolment_id__in=enrolment_ids)),
        "task_completion": ids(TaskCompletion.objects.filter(enrolment_id__in=enrolment_ids)),
        "component_completion": ids(ComponentCompletion.objects.filter(enrolment_id__in=enrolment_ids)),
        "learning_log": ids(LearningLog.objects.filter(enrolment_id__in=enrolment_ids)),
        "coaching_session": ids(CoachingSession.objects.filter(enrolment_id__in=enrolment_ids)),
        "feedback": ids(FeedbackRating.objects.filter(enrolment_id__in=enrolment_ids)),
    }
    # The same rows under the other names an audit event may give them.
    held.ids["submission_override"] = held.ids["override"]
    held.ids["moderation"] = held.ids["moderation_item"]
    held.ids["review_request"] = held.ids["review"]
    held.ids["feedback_rating"] = held.ids["feedback"]
    return held


def linked_events_q(held: Held) -> Q:
    """Audit events about the person's own rows (their places, marks, submissions, results…)."""
    linked = Q(pk__in=[])
    for kind, ids in held.ids.items():
        if ids:
            linked |= Q(object_type=kind, object_id__in=[str(pk) for pk in ids])
    return linked


def _scrub_audit(held: Held, *, name: str, email: str, pseudonym: str) -> int:
    """Pseudonymise the audit trail's rows that mention the person: events they made (the actor's name), events
    about their rows (name, email and free text in the label and the values before and after) and any event of
    their providers that names their email (unique to them; a name alone may be someone else's). The rows stay."""
    user_id = held.participant.user_id
    providers = {place.provider_id for place in held.places}
    mentions = Q(object_label__icontains=email) | Q(actor_label__icontains=email)
    events = AuditEvent.objects.filter(
        Q(actor_id=user_id)
        | linked_events_q(held)
        | (mentions & (Q(provider_id__in=providers) | Q(provider__isnull=True)))
    )
    linked_keys = {(kind, str(pk)) for kind, ids in held.ids.items() for pk in ids}
    needles = [n for n in (email, name) if n]
    changed = []
    for event in events.iterator(chunk_size=500):
        about_them = (event.object_type, event.object_id) in linked_keys
        ours = needles if about_them else [email]
        if event.actor_id == user_id:
            event.actor_label = pseudonym
        event.actor_label = _replace(event.actor_label, ours, pseudonym)
        event.object_label = _replace(event.object_label, ours, pseudonym)
        event.before = _scrub(event.before, ours, pseudonym, free_text=about_them)
        event.after = _scrub(event.after, ours, pseudonym, free_text=about_them)
        changed.append(event)
    AuditEvent.objects.bulk_update(
        changed, ["actor_label", "object_label", "before", "after"], batch_size=500
    )
    return len(changed)


def _scrub_imports(held: Held, *, name: str, email: str, pseudonym: str) -> None:
    """The previews of their providers' spreadsheet imports name them (rows they were on, "adds Name <email>"):
    their rows and any mention of their email are pseudonymised."""
    providers = {place.provider_id for place in held.places}
    external_ids = {place.external_id for place in held.places if place.external_id}
    batches = EnrolmentImport.objects.filter(provider_id__in=providers).annotate(
        text=Cast("report", CharField())
    )
    mentioned = Q(text__icontains=email)
    for external_id in external_ids:
        mentioned |= Q(text__contains=f'"{external_id}"')
    changed = []
    for batch in batches.filter(mentioned).defer("content").iterator(chunk_size=100):
        report = dict(batch.report)
        rows = []
        for row in report.get("rows", []):
            if isinstance(row, dict) and row.get("external_id") in external_ids:
                row = _scrub(row, [email, name], pseudonym, free_text=False)
                row["name"] = pseudonym
            rows.append(_scrub(row, [email], pseudonym, free_text=False))
        if "rows" in report:
            report["rows"] = rows
        report = {
            k: (v if k == "rows" else _scrub(v, [email], pseudonym, free_text=False))
            for k, v in report.items()
        }
        batch.report = report
        changed.append(batch)
    EnrolmentImport.objects.bulk_update(changed, ["report"], batch_size=100)


def _end_sessions(user: User, *, last_login: datetime.datetime | None) -> None:
    """Sign the person out everywhere. (Their unusable password already makes every session of theirs useless:
    Django checks a hash of the password on each request. This removes the rows too.) Someone who never signed
    in has none, which spares the nightly job reading every live session for each person it erases."""
    if last_login is None or settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return
    theirs = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=1000)
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=theirs).delete()


def _delete_files(names: Iterable[str]) -> None:
    """Remove stored files once the erasure has committed. Stored names are random, never a person's, so a
    failure is logged with the name for an operator to remove by hand."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception(
                "Could not delete stored file %s of an erased participant; remove it by hand", name
            )


@transaction.atomic
def participant_erase(
    *, by: User | None, participant: Participant, reason: str, now: datetime.datetime | None = None
) -> Participant:
    """Erase a person's personal data by pseudonymising it, in one transaction (their files are deleted from
    storage once it commits). Keeps what the DfE metrics and declarations read. `by` None: the platform's
    retention job. See docs/data-protection.md for each field."""
    now = now or timezone.now()
    participant = Participant.objects.select_for_update().select_related("user").get(pk=participant.pk)
    places = list(Enrolment.objects.filter(participant=participant).select_related("provider"))
    _check_may_erase(by, participant, places)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Say why their data is erased (for example, “their request of 3 March 2026”).", field="reason"
        )
    if len(reason) > REASON_LONGEST:
        raise DomainError(f"Keep the reason to {REASON_LONGEST:,} characters.", field="reason")

    user = participant.user
    name, email = user.full_name.strip(), user.email
    pseudonym = _pseudonym()
    new_email = f"erased-{uuid.uuid4().hex}@{ERASED_EMAIL_DOMAIN}"
    held = _held(participant, places)
    enrolment_ids = held.of("enrolment")

    # The account: no name, no address, no way in.
    last_login = user.last_login
    user.full_name = pseudonym
    user.email = new_email
    user.set_unusable_password()
    user.is_active = False
    user.last_login = None
    user.save(update_fields=["full_name", "email", "password", "is_active", "last_login"])
    ApiToken.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(user=user).delete()
    _end_sessions(user, last_login=last_login)
    invitations = Invitation.objects.filter(Q(accepted_by=user) | Q(email__iexact=email))
    invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    invitations.update(email=new_email, full_name=pseudonym)

    # The participant record: school, equality codes and DfE's ID stay (the metrics and declarations read them).
    participant.job_role = ""
    participant.erased_at = now
    participant.save(update_fields=["job_role", "erased_at", "updated_at"])
    # Touched, so that systems syncing enrolments by `updated_since` fetch the new (pseudonymous) name.
    Enrolment.objects.filter(pk__in=enrolment_ids).update(updated_at=now)

    # Free text about them, written by them or by staff.
    EnrolmentChange.objects.filter(enrolment_id__in=enrolment_ids).exclude(note="").update(note="")
    ComponentCompletion.objects.filter(enrolment_id__in=enrolment_ids).exclude(note="").update(note="")
    LearningLog.objects.filter(enrolment_id__in=enrolment_ids).update(activity="")
    CoachingSession.objects.filter(enrolment_id__in=enrolment_ids).update(focus="")
    FeedbackRating.objects.filter(enrolment_id__in=enrolment_ids).exclude(comment="").update(comment="")
    ConflictDeclaration.objects.filter(participant=participant).update(reason="")

    # Assessment: outcomes, totals, marks, dates and word counts stay; words about them and their files go.
    submission_ids = held.of("submission")
    files = SubmissionFile.objects.filter(version__submission_id__in=submission_ids)
    extensions = Extension.objects.filter(enrolment_id__in=enrolment_ids)
    stored = [n for n in files.values_list("file", flat=True) if n]
    stored += [n for n in extensions.values_list("evidence", flat=True) if n]
    files.update(file="", original_name="", names_found=[])
    receipts = list(Receipt.objects.filter(submission_id__in=submission_ids))
    for receipt in receipts:
        content = dict(receipt.content)
        content["files"] = [{**f, "name": ""} for f in content.get("files", [])]
        receipt.content = content
    Receipt.objects.bulk_update(receipts, ["content"])
    SubmissionChange.objects.filter(submission_id__in=submission_ids).exclude(note="").update(note="")
    extensions.update(reason="", decision_note="", evidence="", evidence_name="", evidence_sha256="")
    SubmissionOverride.objects.filter(enrolment_id__in=enrolment_ids).update(reason="")
    Marking.objects.filter(pk__in=held.of("marking")).update(comments={}, feedback="")
    Result.objects.filter(pk__in=held.of("result")).update(feedback="", lead_rationale="")
    ResultChange.objects.filter(result_id__in=held.of("result")).update(reason="", feedback_before="")
    ModerationItem.objects.filter(pk__in=held.of("moderation_item")).update(rationale="")
    ReviewRequest.objects.filter(pk__in=held.of("review")).update(reason="", decision_note="")
    Certificate.objects.filter(enrolment_id__in=enrolment_ids).update(name="", revoke_reason="")
    # Nobody is left to tell: emails never sent (a receipt, a result, perhaps released later) are marked done, so
    # that the sweeps never send them to the erased address.
    Receipt.objects.filter(submission_id__in=submission_ids, emailed_at__isnull=True).update(emailed_at=now)
    Result.objects.filter(pk__in=held.of("result"), emailed_at__isnull=True).update(emailed_at=now)

    # Where the records around them name them.
    _scrub_audit(held, name=name, email=email, pseudonym=pseudonym)
    _scrub_imports(held, name=name, email=email, pseudonym=pseudonym)

    # The erasure itself, on each of their providers' trails (the reason without their name or email).
    why = _replace(reason, [n for n in (email, name) if n], pseudonym)
    for provider_id in sorted({place.provider_id for place in places}) or [None]:
        audit_record(
            actor=by,
            action="participant.erased",
            obj_type="participant",
            obj_id=participant.pk,
            provider=provider_id,
            label=pseudonym,
            after={
                "reason": why,
                "open_places": sum(1 for place in places if place.status in LIVE_STATUSES) or None,
            },
            at=now,
        )
    transaction.on_commit(lambda: _delete_files(stored))
    return participant


# Retention ----------------------------------------------------------------------------------------------


@transaction.atomic
def provider_retention_set(*, by: User, provider: Provider, years: int) -> Provider:
    """A provider admin sets how many years after a person's last place with them ended their personal data is
    erased (1 to 50)."""
    if not access_for(by).may(Action.MANAGE_ENROLMENTS, provider.pk):
        raise PermissionDenied("Only an admin of this provider can change how long it keeps personal data.")
    low, high = RETENTION_YEARS_RANGE
    if not low <= years <= high:
        raise DomainError(f"Enter a whole number of years from {low} to {high}.", field="years")
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.retention_years != years:
        audit_record(
            actor=by,
            action="provider.retention_changed",
            obj_type="provider",
            obj_id=provider.pk,
            provider=provider,
            label=provider.name,
            before={"retention_years": provider.retention_years},
            after={"retention_years": years},
        )
        provider.retention_years = years
        provider.save(update_fields=["retention_years"])
    return provider


def _ended_on() -> Coalesce:
    """The day a place ended: when it moved to its (final) status, else, with no history, its cohort's end."""
    change = (
        EnrolmentChange.objects.filter(enrolment=OuterRef("pk"), to_status=OuterRef("status"))
        .exclude(from_status=F("to_status"))
        .order_by("-effective_on", "-pk")
        .values("effective_on")[:1]
    )
    return Coalesce(Subquery(change), F("cohort__end_date"))


def erase_dates(places: QuerySet[Enrolment]) -> dict[int, datetime.date]:
    """For each participant of `places` (pass every place of each person) whose places have all ended, the day
    their data is due to be erased: the latest of each place's end plus its provider's retention period."""
    due: dict[int, datetime.date] = {}
    live: set[int] = set()
    rows = places.annotate(ended_on=_ended_on()).values_list(
        "participant_id", "status", "ended_on", "provider__retention_years"
    )
    for participant_id, status, ended_on, years in rows.iterator(chunk_size=2000):
        if status not in ENDED_STATUSES:
            live.add(participant_id)
            continue
        day = add_months(ended_on, 12 * years)
        if participant_id not in due or day > due[participant_id]:
            due[participant_id] = day
    return {pk: day for pk, day in due.items() if pk not in live}


def _candidates() -> QuerySet[Enrolment]:
    """Every place of the people not yet erased who have no place under way."""
    under_way = Enrolment.objects.exclude(status__in=ENDED_STATUSES).values("participant_id")
    return Enrolment.objects.filter(participant__erased_at__isnull=True).exclude(participant_id__in=under_way)


@dataclass(frozen=True)
class Due:
    """A person the nightly job will erase on `erase_on`, as their provider's data-protection page lists them."""

    participant: Participant
    erase_on: datetime.date
    elsewhere: bool  # they also have places with another provider (whose retention may set the date)


def retention_due(
    *, provider: Provider, within_days: int = DUE_WITHIN_DAYS, today: datetime.date | None = None
) -> list[Due]:
    """The provider's participants due to be erased within `within_days` (or overdue), soonest first. A fixed
    number of queries however many people."""
    today = today or timezone.localdate()
    theirs = Enrolment.objects.filter(provider=provider).values("participant_id")
    places = _candidates().filter(participant_id__in=theirs)
    dates = {
        pk: day for pk, day in erase_dates(places).items() if day <= today + datetime.timedelta(within_days)
    }
    elsewhere = set(
        places.filter(participant_id__in=dates)
        .exclude(provider=provider)
        .values_list("participant_id", flat=True)
    )
    people = Participant.objects.filter(pk__in=dates).select_related("user")
    return sorted(
        (Due(participant=p, erase_on=dates[p.pk], elsewhere=p.pk in elsewhere) for p in people),
        key=lambda due: (due.erase_on, due.participant.pk),
    )


def retention_due_ids(*, today: datetime.date | None = None) -> list[int]:
    """Every participant whose retention period has run out by `today` (their places all ended)."""
    today = today or timezone.localdate()
    return sorted(pk for pk, day in erase_dates(_candidates()).items() if day <= today)


def erase_expired(*, today: datetime.date | None = None) -> int:
    """Nightly: erase everyone whose retention period has run out, each in their own transaction (one refused
    does not stop the rest); returns how many were erased. Safe to run twice: an erased person is not picked."""
    today = today or timezone.localdate()
    erased = 0
    for participant_id in retention_due_ids(today=today):
        participant = Participant.objects.filter(pk=participant_id, erased_at__isnull=True).first()
        if participant is None:
            continue
        try:
            participant_erase(
                by=None,
                participant=participant,
                reason="The provider's retention period ended after their last place ended.",
            )
        except DomainError as problem:
            # The messages name no one: the id is enough for an operator to look.
            logger.warning(
                "Participant %s is due for erasure but was not erased: %s", participant_id, problem.message
            )
            continue
        erased += 1
    return erased


# Export -------------------------------------------------------------------------------------------------


def participant_data_export(
    *, by: User, participant: Participant, now: datetime.datetime | None = None
) -> bytes:
    """The person's data as a ZIP (built by participants/privacy_export.py, which also streams it to pages)."""
    from participants import privacy_export  # it imports this module

    return privacy_export.participant_data_export(by=by, participant=participant, now=now)
