"""A participant's data export (a subject access request, issue 9) as a ZIP:

- your-data.json: everything held about them, as data (their account, their record with their own equality
  data, every place in scope with its history, attendance, learning and coaching logs, completions, the feedback
  they gave, submissions with receipts, extensions, released results with every assessor's marks and comments,
  certificates, DfE declarations, and the audit trail's entries about them);
- your-data.html: the same in plain English, readable in any browser without the platform;
- files/: their submitted documents, their extension evidence and their certificates as PDFs.

Who may export what is decided by participants.privacy.export_scope. The ZIP is written to a temporary file that
stays in memory up to SPOOL_BYTES and spills to disk beyond, and stored files are copied into it a chunk at a time,
so a participant with large files never holds the server's memory; the view streams the result.
"""

import datetime
import json
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import ApiToken, User
from assessment.certificates import certificate_pdf
from assessment.models import (
    Certificate,
    Criterion,
    Extension,
    Marking,
    Omission,
    Result,
    Submission,
    SubmissionOverride,
)
from audit.models import AuditEvent
from audit.services import audit_record
from metrics.models import Declaration
from participants.models import (
    Attendance,
    CoachingSession,
    ComponentCompletion,
    EarlierRecord,
    Engagement,
    Enrolment,
    FeedbackRating,
    LearningLog,
    Participant,
    TaskCompletion,
)
from participants.privacy import PLATFORM, PROVIDER, SELF, Scope, _held, export_scope, linked_events_q

logger = logging.getLogger(__name__)

SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 1024 * 1024
JSON_NAME = "your-data.json"
HTML_NAME = "your-data.html"

NOT_INCLUDED = [
    "Results not yet released to you. They are added once your provider releases them (the UK Data Protection "
    "Act 2018 lets exam marks wait until results are announced).",
    "The names of staff who marked, moderated, changed or recorded things on your records, other than your coach. "
    "They are other people's personal data; what they wrote about you and your work is included.",
    "Conflicts of interest that assessors declared about you. Each is the assessor's own statement, and it is "
    "used only to keep your scripts away from them.",
]
NOT_INCLUDED_PROVIDER = (
    "Places with other providers. Each provider is responsible for its own records: ask them, or platform staff, "
    "for theirs."
)


@dataclass
class FileEntry:
    """A file to put in the ZIP: a stored file (by its storage name) or bytes made now (a certificate)."""

    path: str
    shown: dict[str, Any]  # where the JSON describes it: told its path, or that it is missing
    stored: str = ""
    content: bytes | None = None


@dataclass
class Collected:
    data: dict[str, Any]
    files: list[FileEntry] = field(default_factory=list)

    def add(
        self, shown: dict[str, Any], path: str, *, stored: str = "", content: bytes | None = None
    ) -> None:
        """Put a file in the ZIP at `path`, and say so in `shown` (the JSON's entry for it)."""
        shown["in_this_download"] = path
        self.files.append(FileEntry(path=path, shown=shown, stored=stored, content=content))


def _who(scope: Scope, providers: list[str]) -> tuple[str, str]:
    if scope.audience == SELF:
        return "You", "Everything the platform holds about you, with every provider."
    if scope.audience == PLATFORM:
        return "Platform staff", "Everything the platform holds about this person, with every provider."
    return (
        f"An admin of {', '.join(providers)}",
        f"What {', '.join(providers)} holds about this person: their places with "
        f"{'that provider' if len(providers) == 1 else 'those providers'} only.",
    )


def _labels(places: list[Enrolment]) -> tuple[dict[int, str], dict[int, str]]:
    """Criterion titles and omission texts of the places' mark schemes, by id."""
    programmes = {place.cohort.programme_id for place in places}
    criteria = dict(
        Criterion.objects.filter(scheme__task__scheme__programme_id__in=programmes).values_list("pk", "title")
    )
    omissions = dict(
        Omission.objects.filter(scheme__task__scheme__programme_id__in=programmes).values_list("pk", "text")
    )
    return criteria, omissions


def _by_place(queryset: Any, key: str = "enrolment_id") -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in queryset:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


def _marking(marking: Marking, criteria: dict[int, str], omissions: dict[int, str]) -> dict[str, Any]:
    def title(criterion_id: object) -> str:
        try:
            return criteria.get(int(str(criterion_id)), f"Criterion {criterion_id}")
        except ValueError:
            return str(criterion_id)

    return {
        "kind": marking.allocation.get_kind_display(),
        "marks": {title(k): v for k, v in (marking.marks or {}).items()},
        "comments": {title(k): v for k, v in (marking.comments or {}).items() if v},
        "omissions_found": [omissions.get(int(o), f"Omission {o}") for o in (marking.omissions or [])],
        "feedback": marking.feedback,
        "total": marking.total,
        "outcome": marking.outcome,
        "submitted_at": marking.submitted_at,
    }


def collect(*, participant: Participant, scope: Scope, now: datetime.datetime) -> Collected:
    """Everything held about the person within `scope`, as JSON-ready data, and the files to go with it."""
    user = participant.user
    places = list(
        Enrolment.objects.filter(participant=participant)
        .filter(**({} if scope.provider_ids is None else {"provider_id__in": scope.provider_ids}))
        .select_related(
            "cohort__programme", "provider", "group", "coach", "fee_option", "placement_option", "participant"
        )
        .prefetch_related("changes")
        .order_by("cohort__start_date", "pk")
    )
    ids = [place.pk for place in places]
    providers = sorted({place.provider.name for place in places})
    made_by, covers = _who(scope, providers)
    not_included = list(NOT_INCLUDED)
    if scope.audience == PROVIDER:
        not_included.append(NOT_INCLUDED_PROVIDER)
    collected = Collected(data={})

    account: dict[str, Any] = {
        "name": user.full_name,
        "email": user.email,
        "joined_on": user.date_joined,
        "last_signed_in_at": user.last_login,
        "can_sign_in": user.is_active,
    }
    if scope.audience != PROVIDER:  # the platform's own account data, not a provider's
        account["api_keys"] = [
            {
                "name": t.name,
                "created_at": t.created_at,
                "last_used_at": t.last_used_at,
                "revoked_at": t.revoked_at,
            }
            for t in ApiToken.objects.filter(user=user).order_by("created_at")
        ]
        account["two_factor_authentication"] = [
            Authenticator.Type(kind).label
            for kind in Authenticator.objects.filter(user=user).values_list("type", flat=True)
        ]
    record = {
        "school": {"urn": participant.school.urn, "name": participant.school.name}
        if participant.school
        else None,
        "job_role": participant.job_role,
        "dfe_participant_id": participant.dfe_participant_id,
        "equality_data": {
            "ethnicity": {
                "code": participant.ethnicity_code,
                "label": participant.get_ethnicity_code_display(),
            },
            "sex": participant.get_sex_display(),
            "disability": participant.get_disability_display(),
            "age_band": participant.get_age_band_display(),
        },
        "personal_data_erased_at": participant.erased_at,
    }

    engagement = {e.enrolment_id: e for e in Engagement.objects.filter(enrolment_id__in=ids)}
    earlier = {e.enrolment_id: e for e in EarlierRecord.objects.filter(enrolment_id__in=ids)}
    attendance = _by_place(
        Attendance.objects.filter(enrolment_id__in=ids)
        .select_related("session__component")
        .order_by("session__starts_at", "pk")
    )
    tasks_done = _by_place(
        TaskCompletion.objects.filter(enrolment_id__in=ids).select_related("task__module__course")
    )
    components_done = _by_place(
        ComponentCompletion.objects.filter(enrolment_id__in=ids).select_related("component")
    )
    learning = _by_place(
        LearningLog.objects.filter(enrolment_id__in=ids).select_related("component").order_by("done_on", "pk")
    )
    coaching = _by_place(
        CoachingSession.objects.filter(enrolment_id__in=ids)
        .select_related("component", "coach")
        .order_by("held_on", "pk")
    )
    feedback = _by_place(
        FeedbackRating.objects.filter(enrolment_id__in=ids).select_related("session__component")
    )
    submissions = _by_place(
        Submission.objects.filter(enrolment_id__in=ids)
        .select_related("task")
        .prefetch_related("versions__files", "receipts", "changes")
        .order_by("task__number", "attempt")
    )
    extensions = _by_place(
        Extension.objects.filter(enrolment_id__in=ids).select_related("task").order_by("requested_at", "pk")
    )
    overrides = _by_place(
        SubmissionOverride.objects.filter(enrolment_id__in=ids).order_by("recorded_at", "pk")
    )
    # Released results only (see NOT_INCLUDED), with every submitted marking of the script.
    results = {
        r.submission_id: r
        for r in Result.objects.filter(
            submission__enrolment_id__in=ids, released_at__isnull=False
        ).prefetch_related("changes", "reviews", "moderation_items")
    }
    markings: dict[int, list[Marking]] = {}
    for marking in (
        Marking.objects.filter(allocation__submission_id__in=results, status=Marking.Status.SUBMITTED)
        .select_related("allocation")
        .order_by("submitted_at", "pk")
    ):
        markings.setdefault(marking.allocation.submission_id, []).append(marking)
    certificates = _by_place(Certificate.objects.filter(enrolment_id__in=ids).order_by("issued_at", "pk"))
    declarations = _by_place(
        Declaration.objects.filter(enrolment_id__in=ids).order_by("declaration_date", "pk")
    )
    criteria, omissions = _labels(places)

    shown_places = []
    for number, place in enumerate(places, start=1):
        folder = f"files/place-{number}-{slugify(place.provider.name)[:40]}-{slugify(place.cohort.code)[:30]}"
        e = engagement.get(place.pk)
        er = earlier.get(place.pk)
        shown_submissions = []
        for submission in submissions.get(place.pk, []):
            task = submission.task
            versions = []
            for version in submission.versions.all():
                files = []
                for f in version.files.all():
                    entry: dict[str, Any] = {
                        "role": f.get_role_display(),
                        "your_file_name": f.original_name,
                        "kind": f.kind,
                        "bytes": f.size,
                        "sha256": f.sha256,
                        "words": f.words,
                        "pages": f.pages,
                    }
                    if f.file.name:
                        collected.add(
                            entry,
                            f"{folder}/task-{task.number}/attempt-{submission.attempt}-version-"
                            f"{version.number}-{f.role}.{f.kind}",
                            stored=f.file.name,
                        )
                    else:
                        entry["in_this_download"] = None
                    files.append(entry)
                versions.append(
                    {"number": version.number, "uploaded_at": version.uploaded_at, "files": files}
                )
            result = results.get(submission.pk)
            shown_submissions.append(
                {
                    "task": task.title,
                    "attempt": submission.attempt,
                    "status": submission.get_status_display(),
                    "candidate_number": submission.candidate_number,
                    "submitted_at": submission.submitted_at,
                    "versions": versions,
                    "receipts": [
                        {"reference": r.reference, "issued_at": r.issued_at, "content": r.content}
                        for r in sorted(submission.receipts.all(), key=lambda r: (r.issued_at, r.pk))
                    ],
                    "history": [
                        {
                            "from": c.get_from_status_display() if c.from_status else None,
                            "to": c.get_to_status_display(),
                            "at": c.changed_at,
                            "note": c.note,
                        }
                        for c in submission.changes.all()
                    ],
                    "result": None
                    if result is None
                    else {
                        "outcome": result.get_outcome_display(),
                        "how_it_was_decided": result.get_route_display(),
                        "total": result.total,
                        "feedback": result.feedback,
                        # The lead assessor's reasons are their opinion about this script: personal data of
                        # the participant's, so included (docs/data-protection.md).
                        "lead_assessor_rationale": result.lead_rationale,
                        "decided_at": result.decided_at,
                        "released_at": result.released_at,
                        "resubmit_by": result.resubmit_by,
                        "markings": [
                            _marking(m, criteria, omissions) for m in markings.get(submission.pk, [])
                        ],
                        "moderation": [
                            {
                                "verdict": item.get_verdict_display(),
                                "moderator_outcome": item.get_moderator_outcome_display(),
                                "rationale": item.rationale,
                                "recorded_at": item.recorded_at,
                            }
                            for item in result.moderation_items.all()
                            if item.verdict
                        ],
                        "changes": [
                            {
                                "from": c.get_from_outcome_display(),
                                "to": c.get_to_outcome_display(),
                                "at": c.changed_at,
                                "by": c.get_source_display(),
                                "reason": c.reason,
                            }
                            for c in result.changes.all()
                        ],
                        "reviews_asked_for": [
                            {
                                "reason": r.reason,
                                "asked_at": r.requested_at,
                                "status": r.get_status_display(),
                                "decision": r.decision_note,
                                "decided_at": r.decided_at,
                            }
                            for r in result.reviews.all()
                        ],
                    },
                }
            )
        shown_extensions = []
        for ext in extensions.get(place.pk, []):
            shown: dict[str, Any] = {
                "task": ext.task.title,
                "status": ext.get_status_display(),
                "reason": ext.reason,
                "deadline_then": ext.deadline_then,
                "asked_until": ext.requested_until,
                "asked_at": ext.requested_at,
                "new_deadline": ext.new_deadline,
                "decided_at": ext.decided_at,
                "decision_note": ext.decision_note,
                "evidence_file_name": ext.evidence_name,
            }
            if ext.evidence.name:
                suffix = PurePath(ext.evidence.name).suffix
                collected.add(
                    shown, f"{folder}/extension-{ext.pk}-evidence{suffix}", stored=ext.evidence.name
                )
            shown_extensions.append(shown)
        shown_certificates = []
        for certificate in certificates.get(place.pk, []):
            shown = {
                "code": certificate.code,
                "name_on_it": certificate.name,
                "qualification": certificate.qualification,
                "provider": certificate.provider_name,
                "awarded_on": certificate.awarded_on,
                "issued_at": certificate.issued_at,
                "revoked_at": certificate.revoked_at,
                "revoke_reason": certificate.revoke_reason,
            }
            if certificate.revoked_at is None and certificate.name:
                verify_url = settings.SITE_URL.rstrip("/") + reverse(
                    "certificate_verify", args=[certificate.code]
                )
                collected.add(
                    shown,
                    f"{folder}/certificate-{certificate.code}.pdf",
                    content=certificate_pdf(certificate, verify_url=verify_url),
                )
            shown_certificates.append(shown)
        shown_places.append(
            {
                "provider": place.provider.name,
                "programme": place.cohort.programme.name,
                "cohort": place.cohort.code,
                "cohort_starts_on": place.cohort.start_date,
                "cohort_ends_on": place.cohort.end_date,
                "started_on": place.started_on,
                "status": place.get_status_display(),
                "group": place.group.name if place.group else None,
                "coach": place.coach.display_name if place.coach else None,
                "funding": place.get_funding_route_display(),
                "fee_option": str(place.fee_option) if place.fee_option else None,
                "placement": str(place.placement_option) if place.placement_option else None,
                "providers_reference": place.external_id,
                "history": [
                    {
                        "from": c.get_from_status_display() if c.from_status else None,
                        "to": c.get_to_status_display(),
                        "effective_on": c.effective_on,
                        "reason": c.get_reason_display() if c.reason else "",
                        "note": c.note,
                        "recorded_at": c.recorded_at,
                    }
                    for c in sorted(place.changes.all(), key=lambda c: (c.effective_on, c.recorded_at, c.pk))
                ],
                "engagement": None
                if e is None
                else {
                    "percent": e.percent,
                    "credited_hours": e.credited_hours,
                    "planned_hours": e.planned_hours,
                    "meets_the_rule": e.meets_threshold,
                    "eligible_for_assessment": e.eligible,
                    "at_risk": e.at_risk,
                    "worked_out_at": e.computed_at,
                },
                "earlier_system_record": None
                if er is None
                else {
                    "presented_on": er.presented_on,
                    "moderated": er.moderated,
                    "moderator_agreed": er.moderator_agreed,
                    "feedback_rating": er.feedback_rating,
                },
                "attendance": [
                    {
                        "session": a.session.display_title,
                        "starts_at": a.session.starts_at,
                        "status": a.get_status_display(),
                        "marked_at": a.marked_at,
                    }
                    for a in attendance.get(place.pk, [])
                ],
                "online_tasks_done": [
                    {
                        "task": t.task.title,
                        "course": t.task.module.course.title,
                        "done_on": t.completed_on,
                        "source": t.get_source_display(),
                    }
                    for t in tasks_done.get(place.pk, [])
                ],
                "components_done": [
                    {"component": c.component.title, "done_on": c.completed_on, "note": c.note}
                    for c in components_done.get(place.pk, [])
                ],
                "learning_logged": [
                    {
                        "component": log.component.title,
                        "on": log.done_on,
                        "hours": log.hours,
                        "activity": log.activity,
                    }
                    for log in learning.get(place.pk, [])
                ],
                "coaching": [
                    {
                        "component": c.component.title,
                        "on": c.held_on,
                        "minutes": c.minutes,
                        "focus": c.focus,
                        "coach": c.coach.display_name if c.coach else None,
                    }
                    for c in coaching.get(place.pk, [])
                ],
                "feedback_you_gave": [
                    {
                        "about": f.session.display_title if f.session else "The whole programme",
                        "rating_out_of_10": f.rating,
                        "comment": f.comment,
                        "at": f.rated_at,
                    }
                    for f in feedback.get(place.pk, [])
                ],
                "submissions": shown_submissions,
                "extensions": shown_extensions,
                "permission_to_submit": [
                    {"reason": o.reason, "given_at": o.recorded_at, "taken_back_at": o.revoked_at}
                    for o in overrides.get(place.pk, [])
                ],
                "certificates": shown_certificates,
                "dfe_declarations": [
                    {
                        "type": d.get_declaration_type_display(),
                        "date": d.declaration_date,
                        "passed": d.has_passed,
                        "sent_to_dfe": d.export_id is not None,
                        "voided_at": d.voided_at,
                        "void_reason": d.void_reason,
                    }
                    for d in declarations.get(place.pk, [])
                ],
            }
        )

    events = AuditEvent.objects.filter(linked_events_q(_held(participant, places)))
    if scope.provider_ids is not None:
        events = events.filter(provider_id__in=scope.provider_ids)
    trail = [
        {
            "at": event.at,
            "what": event.action,
            "about": event.object_label,
            "before": event.before,
            "after": event.after,
            "by_you": event.actor_id == user.pk,
        }
        for event in events.order_by("at", "pk")
    ]

    collected.data = {
        "about_this_download": {
            "made_at": now,
            "made_by": made_by,
            "covers": covers,
            "not_included": not_included,
        },
        "account": account,
        "participant_record": record,
        "places": shown_places,
        "audit_trail": trail,
    }
    return collected


def _zip(collected: Collected, html: Callable[[], str], now: datetime.datetime) -> IO[bytes]:
    """Write the ZIP: files first (a stored file missing from storage is noted), then the JSON and the HTML
    (drawn by `html` once the files are in) that describe them."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open, for streaming
    stamp = timezone.localtime(now).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in collected.files:
            info = zipfile.ZipInfo(entry.path, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED  # PDFs and Word files are compressed already
            if entry.content is not None:
                archive.writestr(info, entry.content)
                continue
            try:
                source = default_storage.open(entry.stored, "rb")
            except FileNotFoundError:
                logger.error("Stored file %s is missing; left out of a data export", entry.stored)
                entry.shown["in_this_download"] = None
                entry.shown["missing"] = "The file could not be found in storage. Ask your provider about it."
                continue
            with source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, CHUNK)
        archive.writestr(
            zipfile.ZipInfo(JSON_NAME, date_time=stamp),
            json.dumps(collected.data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            zipfile.ZipInfo(HTML_NAME, date_time=stamp), html(), compress_type=zipfile.ZIP_DEFLATED
        )
    out.seek(0)
    return out


def participant_data_export_file(
    *, by: User, participant: Participant, now: datetime.datetime | None = None
) -> IO[bytes]:
    """The ZIP of what `by` may export of the person (participants.privacy.export_scope), as an open temporary
    file positioned at its start (the caller streams and closes it). Recorded on each covered provider's audit
    trail."""
    now = now or timezone.now()
    participant = Participant.objects.select_related("user", "school").get(pk=participant.pk)
    scope = export_scope(by=by, participant=participant)
    collected = collect(participant=participant, scope=scope, now=now)
    out = _zip(
        collected,
        lambda: render_to_string(
            "participants/privacy/your_data.html", {"data": collected.data, "audience": scope.audience}
        ),
        now,
    )
    providers = sorted(
        {
            pid
            for pid in Enrolment.objects.filter(participant=participant).values_list("provider_id", flat=True)
            if scope.covers(pid)
        }
    )
    with transaction.atomic():
        for provider_id in providers or [None]:
            audit_record(
                actor=by,
                action="participant.data_exported",
                obj_type="participant",
                obj_id=participant.pk,
                provider=provider_id,
                label=participant.user.display_name,
                after={"for": scope.audience},
                at=now,
            )
    return out


def participant_data_export(
    *, by: User, participant: Participant, now: datetime.datetime | None = None
) -> bytes:
    """The same ZIP as bytes (for the command line and tests; the page streams the file instead)."""
    with participant_data_export_file(by=by, participant=participant, now=now) as out:
        return out.read()
