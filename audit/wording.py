"""The audit trail in plain English: what each event says happened ("Withdrew Priya Shah (NPQEL, cohort
2024-aut)") and each changed field as "Status: Active → Withdrawn", with stored values turned back into the
words the pages use (statuses, reasons, outcomes; dates and times in UK time)."""

import datetime
from dataclasses import dataclass

from django.utils import dateformat, timezone

from assessment.models import Extension, ModerationItem, Result, ReviewRequest, Submission
from assessment.outcomes import OUTCOME_LABELS
from audit.models import AuditEvent
from audit.services import EQUALITY_CHANGED
from participants.models import Attendance, Enrolment, EnrolmentChange

NOTHING = "—"

# What each action says happened; {label} is the object as the event names it.
SENTENCES = {
    "enrolment.created": "Enrolled {label}",
    "enrolment.accepted": "Accepted the application of {label}",
    "enrolment.started": "Started the place of {label}",
    "enrolment.resumed": "Resumed the place of {label}",
    "enrolment.reopened": "Reopened the place of {label} after a review",
    "enrolment.deferred": "Deferred {label}",
    "enrolment.withdrawn": "Withdrew {label}",
    "enrolment.completed": "Recorded a pass for {label}",
    "enrolment.failed": "Recorded a fail for {label}",
    "enrolment.transferred": "Moved {label} to another cohort",
    "enrolment.group_changed": "Changed the delivery group of {label}",
    "enrolment.coach_changed": "Changed the coach of {label}",
    "enrolment.funding_changed": "Changed the funding of {label}",
    "enrolment.updated": "Updated the place of {label} from an import",
    # For participants/imports.py's own writes (the person's school and details, the earlier system's record).
    "enrolment.participant_updated": "Updated the details of {label} from an import",
    "enrolment.earlier_record_updated": "Updated the earlier system's record of {label} from an import",
    "attendance.marked": "Marked {label} on the register",
    "attendance.changed": "Changed the register mark of {label}",
    "submission.uploaded": "Uploaded {label}",
    "submission.replaced": "Uploaded a new version of {label}",
    "submission.submitted": "Submitted {label}",
    "submission.withdrawn": "Withdrew the submission of {label}",
    "extension.requested": "Asked for more time on {label}",
    "extension.decided": "Decided the request for more time on {label}",
    "extension.withdrawn": "Withdrew the request for more time on {label}",
    "override.recorded": "Recorded an exception for {label}",
    "override.revoked": "Took back the exception for {label}",
    "allocation.made": "Allocated {label}",
    "allocation.moved": "Moved {label} to another assessor",
    "allocation.ended": "Handed back {label} (conflict of interest declared)",
    "marking.submitted": "Submitted the marking of {label}",
    "result.decided": "Decided the result of {label}",
    "result.lead_decided": "Made the lead assessor's final decision on {label}",
    "result.released": "Released the result of {label}",
    "result.changed_on_review": "Changed the result of {label} on review",
    "result.changed_by_moderation": "Changed the result of {label} after moderation",
    "review.requested": "Asked for a review of the result of {label}",
    "review.decided": "Decided the review of the result of {label}",
    "moderation_sample.drawn": "Drew the moderation sample “{label}”",
    "moderation_item.verdict": "Recorded a moderation verdict on {label}",
    "certificate.issued": "Issued {label}",
    "certificate.revoked": "Revoked {label}",
}

FIELD_LABELS = {
    "status": "Status",
    "effective_on": "From",
    "reason": "Reason",
    "note": "Note",
    "imported": "From an import",
    "cohort": "Cohort",
    "group": "Delivery group",
    "coach": "Coach",
    "funding_route": "Funding",
    "fee_option": "Fee option",
    "placement_option": "Placement",
    "start_date": "Start date",
    "external_id": "Your reference",
    "attempt": "Attempt",
    "version": "Version",
    "main_document": "Main document",
    "appendices": "Appendices",
    "receipt": "Receipt",
    "deadline_then": "Deadline when asked",
    "requested_until": "Asked for until",
    "evidence": "Evidence attached",
    "new_deadline": "New deadline",
    "revoked_at": "Taken back",
    "assessor": "Assessor",
    "due_on": "Due",
    "total": "Total",
    "outcome": "Outcome",
    "marks": "Marks",
    "omissions": "Failure-level omissions found",
    "route": "How decided",
    "rationale": "Rationale",
    "released_at": "Released",
    "resubmit_by": "Resubmit by",
    "release_note": "Released without moderation because",
    "verdict": "Verdict",
    "moderator_outcome": "Moderator's outcome",
    "outcome_moderated": "Outcome moderated",
    "feedback_replaced": "Feedback replaced",
    "period_start": "Results decided from",
    "period_end": "Results decided to",
    "rate_percent": "Share to moderate (%)",
    "seed": "Seed",
    "scripts": "Scripts in the sample",
    "code": "Code",
    "name": "Name on it",
    "awarded_on": "Awarded on",
    "school": "School",
    "dfe_participant_id": "DfE participant ID",
    "presented_on": "Presented for assessment on",
    "moderated": "Moderated",
    "moderator_agreed": "Moderator agreed",
    "feedback_rating": "Feedback rating (0 to 10)",
    EQUALITY_CHANGED: "Equality data",
}
FIELD_ORDER = {name: position for position, name in enumerate(FIELD_LABELS)}
DATE_FIELDS = frozenset(
    {
        "effective_on",
        "start_date",
        "deadline_then",
        "requested_until",
        "new_deadline",
        "due_on",
        "resubmit_by",
        "period_start",
        "period_end",
        "awarded_on",
        "presented_on",
    }
)
MOMENT_FIELDS = frozenset({"released_at", "revoked_at"})

_OUTCOMES = {**dict(Result.Outcome.choices), **{str(k): v for k, v in OUTCOME_LABELS.items()}}
# Stored values → words, for fields whose values are choices. "status" depends on the kind of object.
STATUS_LABELS = {
    "enrolment": dict(Enrolment.Status.choices),
    "attendance": dict(Attendance.Status.choices),
    "submission": dict(Submission.Status.choices),
    "extension": dict(Extension.Status.choices),
    "review": dict(ReviewRequest.Status.choices),
}
CHOICE_LABELS = {
    "funding_route": dict(Enrolment.FundingRoute.choices),
    "outcome": _OUTCOMES,
    "moderator_outcome": _OUTCOMES,
    "outcome_moderated": _OUTCOMES,
    "route": dict(Result.Route.choices),
    "verdict": dict(ModerationItem.Verdict.choices),
}
ENROLMENT_REASONS = {value: label for value, label in EnrolmentChange.Reason.choices if value}


@dataclass(frozen=True)
class Change:
    """One field of an event: its label, and its value before and after in words (None: not there)."""

    label: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.label}: {self.after if self.after is not None else NOTHING}"
        return f"{self.label}: {self.before} → {self.after if self.after is not None else NOTHING}"


@dataclass(frozen=True)
class Described:
    sentence: str
    changes: list[Change]

    @property
    def text(self) -> str:
        """The sentence and every change on one line (for the CSV)."""
        return self.sentence + (
            ": " + "; ".join(str(change) for change in self.changes) if self.changes else ""
        )


def _day(value: str) -> str:
    try:
        return dateformat.format(datetime.date.fromisoformat(value), "j F Y")
    except ValueError:
        return value


def _moment(value: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return dateformat.format(moment, "j F Y, H:i")


def value_words(object_type: str, name: str, value: object) -> str:
    """A stored value as a person reads it."""
    if value is None or value == "":
        return "none"
    if name == EQUALITY_CHANGED:
        return "changed (what it says is not kept in the history)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_words(object_type, '', v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(value_words(object_type, "", v) for v in value) or "none"
    if name == "status":
        return STATUS_LABELS.get(object_type, {}).get(str(value), str(value))
    if name == "reason" and object_type == "enrolment":
        return ENROLMENT_REASONS.get(str(value), str(value))
    if name in CHOICE_LABELS:
        return CHOICE_LABELS[name].get(str(value), str(value))
    if name in DATE_FIELDS:
        return _day(str(value))
    if name in MOMENT_FIELDS:
        return _moment(str(value))
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


def describe(event: AuditEvent) -> Described:
    """What the event says happened, and each field before and after, in words."""
    template = SENTENCES.get(event.action)
    label = event.object_label or f"{event.object_type} {event.object_id}"
    sentence = template.format(label=label) if template else f"{event.action}: {label}"
    before = event.before or {}
    after = event.after or {}
    # In the order FIELD_LABELS gives (the database keeps JSON keys in an order of its own).
    names = sorted({*before, *after}, key=lambda name: (FIELD_ORDER.get(name, len(FIELD_ORDER)), name))
    changes = []
    for name in names:
        changes.append(
            Change(
                label=FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
                before=value_words(event.object_type, name, before[name]) if name in before else None,
                after=value_words(event.object_type, name, after[name]) if name in after else None,
            )
        )
    return Described(sentence=sentence, changes=changes)
