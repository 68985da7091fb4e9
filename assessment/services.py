"""Every write to final assessment: schemes and windows, uploads (each a new version, every file checked by its
content and word-counted by the server), submitting with the declaration and its receipt, withdrawing,
extensions and eligibility overrides. The deadline rules are in assessment/deadlines.py.

Who may write:
- a participant: uploads, submits and withdraws their own submissions, asks for and withdraws extensions;
- a provider admin (Action.MANAGE_ASSESSMENT): schemes and windows of their programmes, extension decisions
  and eligibility overrides for places at their provider.
"""

import datetime
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from typing import BinaryIO, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from assessment import deadlines
from assessment.anonymity import names_found
from assessment.documents import (
    EVIDENCE_EXTENSIONS,
    CheckedDocument,
    DocumentRefused,
    check_document,
    check_evidence,
)
from assessment.models import (
    MAIN_FIRST,
    AssessmentScheme,
    AssessmentTask,
    AssessmentWindow,
    Extension,
    Receipt,
    Result,
    Submission,
    SubmissionChange,
    SubmissionFile,
    SubmissionOverride,
    SubmissionVersion,
)
from audit.services import audit_diff, audit_record
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.jobs import enqueue
from participants.models import Engagement, Enrolment
from programmes.models import Cohort, Programme

logger = logging.getLogger(__name__)

Status = Submission.Status
# Places that may submit: under way. A deferred participant resumes first; an ended place cannot submit.
SUBMITTING_STATUSES = frozenset({Enrolment.Status.ACTIVE})
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
REASON_LENGTH = 2000
# Unambiguous characters for references people read out on the phone (no 0/O, 1/I/L).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


# Schemes and windows ---------------------------------------------------------------------------------

LEGACY_TASKS = [
    {
        "number": 1,
        "title": "Task 1: sustainable business development strategy",
        "description": (
            "Design a sustainable business development strategy for your organisation: analyse the options "
            "for their benefits, costs and risks, present it to your governing board, and write an account of "
            "its design, implementation and evaluation."
        ),
    },
    {
        "number": 2,
        "title": "Task 2: improvement project across three or more schools",
        "description": (
            "Lead a project to improve progress and attainment in three or more schools (one may be your own): "
            "present your plans to stakeholders and write an account of the project and its impact."
        ),
    },
]


@transaction.atomic
def scheme_create_default(*, by: User | None, programme: Programme) -> AssessmentScheme:
    """The programme's scheme with the qualification's standard tasks for its framework (legacy: Task 1 and
    Task 2, 4,000 words each plus 2,000 of appendices, submitted when the participant chooses before their
    deadline; reformed: one case-study response of 1,500 words in a fixed 8-day window). Returns the
    existing scheme if there is one."""
    if by is not None:
        _require_manage(by, programme.provider_id)
    scheme, created = AssessmentScheme.objects.get_or_create(
        programme=programme,
        defaults={"name": f"{programme.name}: final assessment"},
    )
    if not created:
        return scheme
    if programme.framework == Programme.Framework.LEGACY:
        for task in LEGACY_TASKS:
            AssessmentTask.objects.create(
                scheme=scheme,
                main_word_limit=4000,
                appendix_word_limit=2000,
                window_kind=AssessmentTask.WindowKind.CHOSEN,
                window_days=1,
                **task,
            )
    else:
        AssessmentTask.objects.create(
            scheme=scheme,
            number=1,
            title="Case-study response",
            description=(
                "Read the case study when the window opens and answer its questions: identify the problems, "
                "select and justify solutions, and define and justify how you would implement them."
            ),
            main_word_limit=1500,
            appendix_word_limit=0,
            window_kind=AssessmentTask.WindowKind.FIXED,
            window_days=8,
        )
    return scheme


ALLOWED_FILE_TYPES = ("pdf", "docx")


def _open_windows(task: AssessmentTask) -> bool:
    """Some cohort's window for the task has opened and not yet closed (a chosen window closes at each
    participant's own deadline, so it counts as open once it has opened)."""
    today = timezone.localdate()
    return task.windows.filter(opens_on__lte=today).exclude(closes_on__lt=today).exists()


@transaction.atomic
def task_update(
    *,
    by: User,
    task: AssessmentTask,
    title: str,
    description: str,
    main_word_limit: int,
    appendix_word_limit: int,
    file_types: Iterable[str],
    max_file_mb: int,
    window_kind: str,
    window_days: int,
    deadline_time: datetime.time,
    attempts_allowed: int,
    eligibility_required: bool,
) -> AssessmentTask:
    """Change a task's rules. Word limits and file rules apply to uploads from now on (what was uploaded
    stands); a new window length to windows opened or moved from now on; the window kind cannot change once a
    cohort has a window for the task, nor the deadline time while a window is open."""
    task = AssessmentTask.objects.select_for_update().select_related("scheme__programme").get(pk=task.pk)
    _require_manage(by, task.scheme.programme.provider_id)
    types = sorted(set(file_types))
    if not types or not set(types) <= set(ALLOWED_FILE_TYPES):
        raise DomainError("Choose PDF, Word (.docx) or both.", field="file_types")
    if not title.strip():
        raise DomainError("Give the task a title.", field="title")
    if main_word_limit < 1:
        raise DomainError("The word limit must be at least 1.", field="main_word_limit")
    if not 1 <= max_file_mb <= 100:
        raise DomainError("The largest file must be between 1 and 100 MB.", field="max_file_mb")
    if not 1 <= window_days <= 366:
        raise DomainError("A window lasts between 1 and 366 days.", field="window_days")
    if not 1 <= attempts_allowed <= 5:
        raise DomainError("Allow between 1 and 5 attempts.", field="attempts_allowed")
    if window_kind != task.window_kind and task.windows.exists():
        raise DomainError(
            "Cohorts already have windows for this task, so the kind of window cannot change.",
            field="window_kind",
        )
    if deadline_time != task.deadline_time and _open_windows(task):
        raise DomainError(
            "A cohort's window for this task is open now, so its deadline time cannot change: participants are "
            "working to it. Change it once the window has closed, or give extensions.",
            field="deadline_time",
        )
    task.title = title.strip()
    task.description = description.strip()
    task.main_word_limit = main_word_limit
    task.appendix_word_limit = appendix_word_limit
    task.file_types = types
    task.max_file_mb = max_file_mb
    task.window_kind = window_kind
    task.window_days = window_days
    task.deadline_time = deadline_time
    task.attempts_allowed = attempts_allowed
    task.eligibility_required = eligibility_required
    task.save()
    return task


@transaction.atomic
def window_set(
    *,
    by: User,
    cohort: Cohort,
    task: AssessmentTask,
    opens_on: datetime.date,
    case_study_title: str = "",
    case_study: str = "",
) -> AssessmentWindow:
    """Open (or move) a cohort's window for a task. A fixed window lasts the task's `window_days`, its deadline
    on the last of them; a chosen window runs from `opens_on` to each participant's own deadline."""
    _require_manage(by, cohort.programme.provider_id)
    if task.scheme.programme_id != cohort.programme_id:
        raise DomainError("That task belongs to another programme's assessment.")
    closes_on = None
    if task.window_kind == AssessmentTask.WindowKind.FIXED:
        closes_on = opens_on + datetime.timedelta(days=task.window_days - 1)
    existing = AssessmentWindow.objects.select_for_update().filter(cohort=cohort, task=task).first()
    if (
        existing is not None
        and existing.opens_on != opens_on
        and timezone.now() >= deadlines.opens_at(existing)
    ):
        if Submission.objects.filter(enrolment__cohort=cohort, task=task).exists():
            raise DomainError(
                "Participants have already uploaded for this window, so its dates cannot move. "
                "Give anyone who needs more time an extension instead."
            )
    window, _ = AssessmentWindow.objects.update_or_create(
        cohort=cohort,
        task=task,
        defaults={
            "opens_on": opens_on,
            "closes_on": closes_on,
            "case_study_title": case_study_title.strip(),
            "case_study": case_study.strip(),
            "created_by": by,
        },
    )
    return window


# Who may submit --------------------------------------------------------------------------------------


def live_override(enrolment: Enrolment) -> SubmissionOverride | None:
    return SubmissionOverride.objects.filter(enrolment=enrolment, revoked_at__isnull=True).first()


NOT_ELIGIBLE = (
    "You cannot submit yet because you have not met the programme's engagement requirement. Your home page "
    "shows what is missing; if something stopped you, ask your provider to record an exception."
)


def cannot_submit_because(enrolment: Enrolment, task: AssessmentTask, *, eligible: bool) -> str:
    """Why this place may not submit this task at all, whatever the window ("" when it may). `eligible`: the
    place meets the engagement rule or has a live override."""
    if enrolment.status not in SUBMITTING_STATUSES:
        return (
            f"Your place is {enrolment.get_status_display().lower()}, so you cannot submit. "
            "Contact your provider if this is wrong."
        )
    if task.eligibility_required and not eligible:
        return NOT_ELIGIBLE
    return ""


def is_eligible(enrolment: Enrolment) -> bool:
    """Meets the engagement rule (as last computed) or has an override an admin recorded."""
    return (
        Engagement.objects.filter(enrolment=enrolment, eligible=True).exists()
        or live_override(enrolment) is not None
    )


def granted_extension(enrolment: Enrolment, task: AssessmentTask) -> Extension | None:
    return (
        Extension.objects.filter(enrolment=enrolment, task=task, status=Extension.Status.GRANTED)
        .order_by("-decided_at", "-pk")
        .first()
    )


def window_for(enrolment: Enrolment, task: AssessmentTask) -> AssessmentWindow | None:
    return (
        AssessmentWindow.objects.select_related("task")
        .filter(cohort_id=enrolment.cohort_id, task=task)
        .first()
    )


def resubmission_from(enrolment: Enrolment, task: AssessmentTask) -> Result | None:
    """The released fail, with an attempt left, that the place is resubmitting after: its `resubmit_by` is the
    deadline of the next attempt (None: a first attempt)."""
    return (
        Result.objects.filter(
            submission__enrolment=enrolment,
            submission__task=task,
            released_at__isnull=False,
            outcome=Result.Outcome.FAIL,
            resubmit_by__isnull=False,
        )
        .select_related("submission")
        .order_by("-submission__attempt")
        .first()
    )


def deadline_of(enrolment: Enrolment, task: AssessmentTask) -> deadlines.TaskDeadline | None:
    """This participant's deadline on this task: a resubmission's, or the window's with any extension (None: no
    window set yet)."""
    resubmitting = resubmission_from(enrolment, task)
    if resubmitting is not None:
        return deadlines.resubmission_deadline(task, resubmitting.resubmit_by)
    window = window_for(enrolment, task)
    if window is None:
        return None
    return deadlines.task_deadline(
        window=window, enrolment=enrolment, extension=granted_extension(enrolment, task)
    )


def _check_may_upload(
    enrolment: Enrolment, task: AssessmentTask, *, started_at: datetime.datetime
) -> deadlines.TaskDeadline:
    """Refuse an upload unless the window is open for this participant when the upload began; return the
    deadline that applies."""
    if task.scheme.programme_id != enrolment.cohort.programme_id:
        raise DomainError("That task is not part of your programme's assessment.")
    resubmitting = resubmission_from(enrolment, task)
    if resubmitting is not None:
        deadline = deadlines.resubmission_deadline(task, resubmitting.resubmit_by)
    else:
        window = window_for(enrolment, task)
        if window is None:
            raise DomainError("Your provider has not opened this task for submissions yet.")
        if started_at < deadlines.opens_at(window):
            raise DomainError(
                f"This task opens on {deadlines.long_day(window.opens_on)}. Come back then to upload."
            )
        deadline = deadlines.task_deadline(
            window=window, enrolment=enrolment, extension=granted_extension(enrolment, task)
        )
    if not deadline.on_time(started_at):
        raise DomainError(
            f"The deadline was {deadline.text()}, so uploads are closed. "
            "If something stopped you submitting, ask your provider for an extension."
        )
    problem = cannot_submit_because(enrolment, task, eligible=is_eligible(enrolment))
    if problem:
        raise DomainError(problem)
    return deadline


def _check_arrived_in_time(deadline: deadlines.TaskDeadline, *, started_at: datetime.datetime) -> None:
    """An upload that began before the deadline but is still arriving after it counts only if it arrived
    within MAX_UPLOAD_SPAN of its start: a trickle cannot hold the deadline open."""
    now = timezone.now()
    if not deadline.on_time(now) and now - started_at > deadlines.MAX_UPLOAD_SPAN:
        raise DomainError(
            f"Your upload began before the deadline ({deadline.text()}) but took more than "
            f"{int(deadlines.MAX_UPLOAD_SPAN.total_seconds() // 60)} minutes to arrive, so it cannot count as on "
            "time. If your connection stopped you, ask your provider for an extension.",
            field="main",
        )


# Uploads and submitting --------------------------------------------------------------------------------

AUDIT_FILE_FIELDS = {SubmissionFile.Role.MAIN: "main_document", SubmissionFile.Role.APPENDICES: "appendices"}


def _new_code(length: int) -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def _candidate_number() -> str:
    """A random number for the candidate; unique among submissions by their constraint (see _with_fresh)."""
    return f"C{secrets.randbelow(10**7):07d}"


def _receipt_reference() -> str:
    """A random receipt reference; unique among receipts by their constraint (see _with_fresh)."""
    return f"NPQ-{_new_code(4)}-{_new_code(4)}"


T = TypeVar("T")


# Tries of a fresh candidate number or receipt reference. With 50,000 of ten million numbers given, one try in
# 200 clashes, so five tries all clash about once in 10^11 submissions.
FRESH_TRIES = 5


def _with_fresh(code: Callable[[], str], create: Callable[[str], T], *, taken: Callable[[str], bool]) -> T:
    """create(value) with a random value = code(), in a savepoint. A value already given (now, or at this moment
    by another transaction) is refused by the unique constraint, and another is tried: no query beforehand to
    check, since a clash is rare. Any other refusal, or a clash on every try, is raised."""
    for _ in range(FRESH_TRIES - 1):
        value = code()
        try:
            with transaction.atomic():
                return create(value)
        except IntegrityError:
            if not taken(value):
                raise
    return create(code())  # the last try: a clash now is raised


def _check_file(
    file: BinaryIO, *, task: AssessmentTask, label: str, word_limit: int, field: str
) -> CheckedDocument:
    """Check one uploaded file; a refusal names the form field it belongs to."""
    checked = check_document(
        file, allowed=task.file_types, max_bytes=task.max_bytes, label=label, field=field
    )
    if checked.words > word_limit:
        over = checked.words - word_limit
        raise DocumentRefused(
            f"Your {label} has {checked.words:,} words; the limit is {word_limit:,}. "
            f"Cut at least {over:,} {'word' if over == 1 else 'words'} and upload it again.",
            field=field,
        )
    return checked


def _names_in(file: BinaryIO, checked: CheckedDocument, by: User) -> list[str]:
    """The participant's name or email as found in a checked document (a document that cannot be read well
    enough to look is refused: it could not be made anonymous either)."""
    file.seek(0)
    return names_found(file.read(), checked.kind, full_name=by.full_name, email=by.email)


def _store(file: BinaryIO, checked: CheckedDocument, folder: str) -> str:
    """Save under a generated name (never the client's) and return the stored name."""
    file.seek(0)
    return default_storage.save(f"{folder}/{uuid.uuid4().hex}{EVIDENCE_EXTENSIONS[checked.kind]}", file)


def _display_name(name: str | None, fallback: str) -> str:
    """The client's filename, only to show back to them: no path, no control characters, at most 255."""
    cleaned = "".join(ch for ch in (name or "").replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable())
    return (cleaned.strip() or fallback)[:255]


def version_upload(
    *,
    by: User,
    enrolment: Enrolment,
    task: AssessmentTask,
    main: BinaryIO,
    main_name: str | None = None,
    appendices: BinaryIO | None = None,
    appendices_name: str | None = None,
    started_at: datetime.datetime | None = None,
) -> SubmissionVersion:
    """Check and keep a new version of the participant's submission for a task (a draft until they submit it).
    The files are checked by content and word-counted first; nothing is kept from a refused upload.
    `started_at` is when the server began receiving the request (the deadline rule reads it)."""
    if enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can upload their own assessment.")
    started_at = started_at or timezone.now()
    deadline = _check_may_upload(enrolment, task, started_at=started_at)
    # Here, before the files are checked (which takes the server's time, not theirs), the upload has arrived.
    _check_arrived_in_time(deadline, started_at=started_at)
    if appendices is not None and not task.takes_appendices:
        raise DomainError(
            "This task does not take appendices: put everything in your main document.", field="appendices"
        )
    checked_main = _check_file(
        main, task=task, label="main document", word_limit=task.main_word_limit, field="main"
    )
    checked_appendices = None
    if appendices is not None:
        checked_appendices = _check_file(
            appendices, task=task, label="appendices", word_limit=task.appendix_word_limit, field="appendices"
        )
    # Marking is anonymous: the participant is warned when their name or email is in the text.
    names = {SubmissionFile.Role.MAIN: _names_in(main, checked_main, by)}
    if appendices is not None and checked_appendices is not None:
        names[SubmissionFile.Role.APPENDICES] = _names_in(appendices, checked_appendices, by)
    stored: list[str] = []
    try:
        stored.append(_store(main, checked_main, "submissions"))
        if appendices is not None and checked_appendices is not None:
            stored.append(_store(appendices, checked_appendices, "submissions"))
        return _record_version(
            by=by,
            enrolment=enrolment,
            task=task,
            started_at=started_at,
            names=names,
            files=[
                (
                    SubmissionFile.Role.MAIN,
                    stored[0],
                    _display_name(main_name, "main document"),
                    checked_main,
                ),
                *(
                    [
                        (
                            SubmissionFile.Role.APPENDICES,
                            stored[1],
                            _display_name(appendices_name, "appendices"),
                            checked_appendices,
                        )
                    ]
                    if checked_appendices is not None
                    else []
                ),
            ],
        )
    except BaseException:
        # Nothing half-written: a version that was not recorded leaves no file behind.
        for name in stored:
            default_storage.delete(name)
        raise


def _resubmitting_after(submission: Submission) -> bool:
    """This attempt failed, its result is out, and another attempt is allowed."""
    result = Result.objects.filter(submission=submission).first()
    return (
        result is not None
        and result.released_at is not None
        and result.outcome == Result.Outcome.FAIL
        and result.resubmit_by is not None
        and submission.attempt < submission.task.attempts_allowed
    )


def _check_replaceable(submission: Submission) -> None:
    """Once a script is with an assessor, or has its result, it can no longer be replaced (a resubmission after
    a fail is a new attempt, not a replacement)."""
    if _resubmitting_after(submission):
        return
    if Result.objects.filter(submission=submission).exists():
        raise DomainError("Your submission has been marked, so it can no longer be replaced.")
    if submission.is_submitted and submission.allocations.filter(ended_at__isnull=True).exists():
        raise DomainError(
            "Your submission is with an assessor, so it can no longer be replaced. Contact your provider if "
            "something is wrong with it."
        )


@transaction.atomic
def _record_version(
    *,
    by: User,
    enrolment: Enrolment,
    task: AssessmentTask,
    started_at: datetime.datetime,
    files: Iterable[tuple[str, str, str, CheckedDocument]],
    names: dict[str, list[str]],
) -> SubmissionVersion:
    # Two uploads at the same moment are taken one after the other: the place's row is the lock, so they make
    # one submission with two versions.
    Enrolment.objects.select_for_update(of=("self",)).filter(pk=enrolment.pk).first()
    files = list(files)
    now = timezone.now()
    submission = (
        Submission.objects.select_for_update()
        .filter(enrolment=enrolment, task=task)
        .order_by("-attempt")
        .first()
    )
    if submission is not None:
        _check_replaceable(submission)
    new = submission is None or _resubmitting_after(submission)
    # The trail's "before" of a replaced upload (None: a new submission, or a new attempt after a fail).
    before = None if new else {"status": submission.status, "attempt": submission.attempt}  # type: ignore[union-attr]
    if new:
        attempt = submission.attempt + 1 if submission else 1
        submission = _with_fresh(
            _candidate_number,
            lambda number: Submission.objects.create(
                enrolment=enrolment,
                task=task,
                attempt=attempt,
                candidate_number=number,
                created_at=now,
                updated_at=now,
            ),
            taken=lambda number: Submission.objects.filter(candidate_number=number).exists(),
        )
        _history(
            submission,
            "",
            Status.DRAFT,
            by=by,
            at=now,
            note="First upload" if attempt == 1 else f"Attempt {attempt}",
        )
    elif submission.status == Status.WITHDRAWN:
        _history(submission, submission.status, Status.DRAFT, by=by, at=now, note="Uploaded again")
        submission.status = Status.DRAFT
    last = submission.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = SubmissionVersion.objects.create(
        submission=submission,
        number=last + 1,
        uploaded_by=by,
        upload_started_at=started_at,
        uploaded_at=now,
    )
    for role, name, original_name, checked in files:
        SubmissionFile.objects.create(
            version=version,
            role=role,
            file=name,
            original_name=original_name,
            kind=checked.kind,
            size=checked.size,
            sha256=checked.sha256,
            words=checked.words,
            pages=checked.pages,
            names_found=names.get(role, []),
        )
    submission.updated_at = now
    submission.save(update_fields=["status", "updated_at"])
    # What the trail keeps of the upload: the version, and each file's name, words and SHA-256.
    after: dict[str, object] = {
        "status": submission.status,
        "attempt": submission.attempt,
        "version": version.number,
    }
    if before is not None:
        before["version"] = last
        before, after = audit_diff(before, after)
    for role, _, original_name, checked in files:
        after[AUDIT_FILE_FIELDS[role]] = (
            f"{original_name} ({checked.words:,} words, SHA-256 {checked.sha256})"
        )
    audit_record(
        actor=by,
        action="submission.uploaded" if before is None else "submission.replaced",
        obj_type="submission",
        obj_id=submission.pk,
        provider=enrolment.provider_id,
        label=submission_label(submission, task=task, name=by.display_name),
        before=before,
        after=after,
        at=now,
    )
    return version


def submission_label(submission: Submission, *, task: AssessmentTask, name: str | None = None) -> str:
    """How the audit trail names a script: "Priya Shah (C1234567), Case-study response". Without `name`, the
    candidate number alone, as assessors and moderators know it."""
    who = f"{name} ({submission.candidate_number})" if name else submission.candidate_number
    return f"{who}, {task.title}"


def receipt_content(
    *,
    reference: str,
    submission: Submission,
    version: SubmissionVersion,
    files: Iterable[SubmissionFile],
    deadline: deadlines.TaskDeadline,
    submitted_at: datetime.datetime,
) -> dict[str, object]:
    """What a receipt says, frozen as issued: reference, times, deadline and each file's hash and words."""
    task = submission.task
    return {
        "reference": reference,
        "candidate_number": submission.candidate_number,
        "task": task.title,
        "programme": submission.enrolment.cohort.programme.name,
        "attempt": submission.attempt,
        "version": version.number,
        "upload_started_at": version.upload_started_at.isoformat(),
        "uploaded_at": version.uploaded_at.isoformat(),
        "submitted_at": submitted_at.isoformat(),
        "deadline": deadline.ends_at.isoformat(),
        "deadline_text": deadline.text(),
        "extended": deadline.extended,
        "files": [
            {
                "role": f.role,
                "name": f.original_name,
                "kind": f.kind,
                "size": f.size,
                "sha256": f.sha256,
                "words": f.words,
                "word_limit": task.main_word_limit
                if f.role == SubmissionFile.Role.MAIN
                else task.appendix_word_limit,
            }
            for f in files
        ],
    }


@transaction.atomic
def submission_submit(
    *, by: User, version: SubmissionVersion, declaration: bool, now: datetime.datetime | None = None
) -> Receipt:
    """Submit an uploaded version with the declaration that it is the participant's own work, and issue the
    receipt (emailed). Submitting the version already submitted returns its receipt again (a double click
    makes one receipt)."""
    submission = (
        Submission.objects.select_for_update()
        .select_related("task__scheme", "enrolment__cohort__programme", "enrolment__participant__user")
        .get(pk=version.submission_id)
    )
    enrolment = submission.enrolment
    if enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can submit their own assessment.")
    now = now or timezone.now()
    existing = Receipt.objects.filter(version=version).order_by("-issued_at", "-pk").first()
    if existing is not None and submission.is_submitted and submission.submitted_version_id == version.pk:
        return existing
    if not declaration:
        raise DomainError(
            "Tick the box to declare that this is your own work before you submit.", field="declaration"
        )
    latest = submission.versions.order_by("-number").first()
    if latest is None or latest.pk != version.pk:
        raise DomainError(
            "You have uploaded a newer version since: submit that one, or upload this file again."
        )
    task = submission.task
    deadline = deadline_of(enrolment, task)
    if deadline is None:
        raise DomainError("Your provider has not opened this task for submissions yet.")
    if not deadline.on_time(version.upload_started_at):
        raise DomainError(f"The deadline was {deadline.text()}, so this upload cannot be submitted.")
    if not deadline.may_submit(
        upload_started_at=version.upload_started_at, uploaded_at=version.uploaded_at, now=now
    ):
        raise DomainError(
            f"The deadline was {deadline.text()}. An upload made in time must be submitted within "
            f"{int(deadlines.GRACE.total_seconds() // 60)} minutes of the deadline (or of the upload finishing), "
            "so this one can no longer be submitted. Ask your provider for an extension."
        )
    problem = cannot_submit_because(enrolment, task, eligible=is_eligible(enrolment))
    if problem:
        raise DomainError(problem)
    late = deadline.extended and not version.upload_started_at < deadline.original_ends_at
    to = Status.LATE_WITH_EXTENSION if late else Status.SUBMITTED
    files = list(version.files.order_by(*MAIN_FIRST))
    receipt = _with_fresh(
        _receipt_reference,
        lambda reference: Receipt.objects.create(
            submission=submission,
            version=version,
            reference=reference,
            issued_at=now,
            late_with_extension=late,
            content=receipt_content(
                reference=reference,
                submission=submission,
                version=version,
                files=files,
                deadline=deadline,
                submitted_at=now,
            ),
        ),
        taken=lambda reference: Receipt.objects.filter(reference=reference).exists(),
    )
    _history(submission, submission.status, to, by=by, at=now, note=f"Receipt {receipt.reference}")
    audit_record(
        actor=by,
        action="submission.submitted",
        obj_type="submission",
        obj_id=submission.pk,
        provider=enrolment.provider_id,
        label=submission_label(submission, task=task, name=enrolment.participant.user.display_name),
        before={"status": submission.status},
        after={"status": to, "version": version.number, "receipt": receipt.reference},
        at=now,
    )
    submission.status = to
    submission.submitted_version = version
    submission.submitted_at = now
    submission.updated_at = now
    submission.save(update_fields=["status", "submitted_version", "submitted_at", "updated_at"])
    from assessment.tasks import receipt_email_task

    enqueue(receipt_email_task, receipt.pk)
    return receipt


@transaction.atomic
def submission_withdraw(*, by: User, submission: Submission, reason: str = "") -> Submission:
    """Take back a submission before the deadline (the files stay on record); the participant may upload and
    submit again while the window is open."""
    submission = (
        Submission.objects.select_for_update(of=("self", "enrolment", "enrolment__participant"))
        .select_related("enrolment__participant", "task")
        .get(pk=submission.pk)
    )
    if submission.enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can withdraw their own submission.")
    if not submission.is_submitted:
        raise DomainError("Only a submitted assessment can be withdrawn.")
    if (
        Result.objects.filter(submission=submission).exists()
        or submission.allocations.filter(ended_at__isnull=True).exists()
    ):
        raise DomainError("Your submission is with an assessor, so it stands and cannot be withdrawn.")
    deadline = deadline_of(submission.enrolment, submission.task)
    now = timezone.now()
    if deadline is None or not deadline.on_time(now):
        raise DomainError("The deadline has passed, so your submission stands and cannot be withdrawn.")
    _history(submission, submission.status, Status.WITHDRAWN, by=by, at=now, note=reason.strip())
    audit_record(
        actor=by,
        action="submission.withdrawn",
        obj_type="submission",
        obj_id=submission.pk,
        provider=submission.enrolment.provider_id,
        label=submission_label(submission, task=submission.task, name=by.display_name),
        before={"status": submission.status},
        after={"status": Status.WITHDRAWN, **({"reason": reason.strip()} if reason.strip() else {})},
        at=now,
    )
    submission.status = Status.WITHDRAWN
    submission.submitted_version = None
    submission.submitted_at = None
    submission.updated_at = now
    submission.save(update_fields=["status", "submitted_version", "submitted_at", "updated_at"])
    return submission


def _history(
    submission: Submission,
    from_status: str,
    to_status: str,
    *,
    by: User | None,
    at: datetime.datetime,
    note: str,
) -> None:
    SubmissionChange.objects.create(
        submission=submission,
        from_status=from_status,
        to_status=to_status,
        changed_by=by,
        changed_at=at,
        note=note,
    )


def receipt_mark_emailed(*, receipt_id: int) -> bool:
    """Send the receipt email once; safe to run twice (a sent receipt is not sent again)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    with transaction.atomic():
        receipt = (
            Receipt.objects.select_for_update()
            .select_related("submission__enrolment__participant__user")
            .filter(pk=receipt_id, emailed_at__isnull=True)
            .first()
        )
        if receipt is None:
            return False
        user = receipt.submission.enrolment.participant.user
        context = {"receipt": receipt, "content": receipt.content, "user": user}
        send_mail(
            subject=f"Receipt {receipt.reference}: your {receipt.content['task']} is submitted",
            message=render_to_string("assessment/email/receipt.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
        receipt.emailed_at = timezone.now()
        receipt.save(update_fields=["emailed_at"])
    return True


def receipts_email_unsent(*, older_than: datetime.timedelta = datetime.timedelta(minutes=5)) -> int:
    """Queue the emails of receipts never sent (Redis was down, the worker died, the mail server refused);
    returns how many. Safe alongside the first attempt: a receipt is emailed once."""
    from assessment.tasks import receipt_email_task

    unsent = list(
        Receipt.objects.filter(emailed_at__isnull=True, issued_at__lt=timezone.now() - older_than)
        .order_by("issued_at")
        .values_list("pk", flat=True)[:500]
    )
    for receipt_id in unsent:
        enqueue(receipt_email_task, receipt_id)
    return len(unsent)


# Extensions ---------------------------------------------------------------------------------------------


def _require_manage(by: User, provider_id: int) -> None:
    if not access_for(by).may(Action.MANAGE_ASSESSMENT, provider_id):
        raise PermissionDenied("Only a provider admin of this provider can do this.")


def _not_own(by: User, enrolment: Enrolment) -> None:
    """An admin who is also a participant never decides about their own place."""
    if enrolment.participant.user_id == by.pk:
        raise PermissionDenied("Another admin of your provider must decide about your own place.")


def _reason(text: str, field: str = "reason") -> str:
    text = text.strip()
    if not text:
        raise DomainError("Say why, in a sentence or two.", field=field)
    if len(text) > REASON_LENGTH:
        raise DomainError(f"Keep it to {REASON_LENGTH:,} characters.", field=field)
    return text


@transaction.atomic
def extension_request(
    *,
    by: User,
    enrolment: Enrolment,
    task: AssessmentTask,
    reason: str,
    until: datetime.date,
    evidence: BinaryIO | None = None,
    evidence_name: str | None = None,
) -> Extension:
    """A participant asks for more time on a task, with their reason and (optionally) evidence (a PDF, a Word
    document or a photo, checked by content; a scan is fine). One open request per task at a time."""
    if enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can ask for an extension of their own deadline.")
    if enrolment.status not in SUBMITTING_STATUSES:
        raise DomainError(
            f"Your place is {enrolment.get_status_display().lower()}, so you cannot ask for more time."
        )
    reason = _reason(reason)
    deadline = deadline_of(enrolment, task)
    if deadline is None:
        raise DomainError("Your provider has not opened this task yet, so there is no deadline to extend.")
    if until <= deadline.last_day:
        raise DomainError(
            f"Ask for a day after your current deadline ({deadlines.long_day(deadline.last_day)}).",
            field="until",
        )
    if Extension.objects.filter(enrolment=enrolment, task=task, status=Extension.Status.REQUESTED).exists():
        raise DomainError(
            "You have already asked for more time on this task: wait for your provider's decision."
        )
    stored = ""
    digest = ""
    if evidence is not None:
        checked = check_evidence(evidence, max_bytes=EVIDENCE_MAX_BYTES, field="evidence")
        stored = _store(evidence, checked, "evidence")
        digest = checked.sha256
    try:
        extension = Extension.objects.create(
            enrolment=enrolment,
            task=task,
            reason=reason,
            evidence=stored,
            evidence_name=_display_name(evidence_name, "evidence") if stored else "",
            evidence_sha256=digest,
            deadline_then=deadline.last_day,
            requested_until=until,
            requested_by=by,
            requested_at=timezone.now(),
        )
    except IntegrityError:
        if stored:
            default_storage.delete(stored)
        raise DomainError(
            "You have already asked for more time on this task: wait for your provider's decision."
        ) from None
    # Not the reason: it is the participant's own account of their circumstances (often their health), kept
    # on the request for those deciding it, not copied into the trail.
    _audit_extension(
        extension,
        by=by,
        action="requested",
        name=by.display_name,
        before=None,
        after={
            "status": extension.status,
            "deadline_then": extension.deadline_then,
            "requested_until": extension.requested_until,
            "evidence": bool(stored),
        },
    )
    return extension


@transaction.atomic
def extension_decide(
    *, by: User, extension: Extension, grant: bool, new_deadline: datetime.date | None = None, note: str = ""
) -> Extension:
    """A provider admin grants (with the new last day) or refuses a request; the decision is recorded."""
    extension = (
        Extension.objects.select_for_update(of=("self", "enrolment", "enrolment__participant", "task"))
        .select_related("enrolment__participant__user", "task")
        .get(pk=extension.pk)
    )
    _require_manage(by, extension.enrolment.provider_id)
    _not_own(by, extension.enrolment)
    if extension.status != Extension.Status.REQUESTED:
        raise DomainError(f"This request has already been {extension.get_status_display().lower()}.")
    if grant:
        if new_deadline is None:
            raise DomainError("Give the new last day for submitting.", field="new_deadline")
        if new_deadline <= extension.deadline_then:
            raise DomainError(
                f"The new deadline must be after the current one ({deadlines.long_day(extension.deadline_then)}).",
                field="new_deadline",
            )
        extension.status = Extension.Status.GRANTED
        extension.new_deadline = new_deadline
    else:
        extension.status = Extension.Status.REFUSED
        note = _reason(note, "note")
    extension.decided_by = by
    extension.decided_at = timezone.now()
    extension.decision_note = note.strip()
    extension.save()
    _audit_extension(
        extension,
        by=by,
        action="decided",
        name=extension.enrolment.participant.user.display_name,
        before={"status": Extension.Status.REQUESTED},
        after={
            "status": extension.status,
            **({"new_deadline": extension.new_deadline} if grant else {}),
            **({"note": extension.decision_note} if extension.decision_note else {}),
        },
    )
    return extension


def _audit_extension(
    extension: Extension,
    *,
    by: User,
    action: str,
    name: str,
    before: dict[str, object] | None,
    after: dict[str, object],
) -> None:
    audit_record(
        actor=by,
        action=f"extension.{action}",
        obj_type="extension",
        obj_id=extension.pk,
        provider=extension.enrolment.provider_id,
        label=f"{name}, {extension.task.title}",
        before=before,
        after=after,
    )


@transaction.atomic
def extension_withdraw(*, by: User, extension: Extension) -> Extension:
    """The participant takes back a request that has not been decided."""
    extension = (
        Extension.objects.select_for_update(of=("self", "enrolment", "enrolment__participant"))
        .select_related("enrolment__participant", "task")
        .get(pk=extension.pk)
    )
    if extension.enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can withdraw their own request.")
    if extension.status != Extension.Status.REQUESTED:
        raise DomainError(f"This request has already been {extension.get_status_display().lower()}.")
    extension.status = Extension.Status.WITHDRAWN
    extension.decided_by = by
    extension.decided_at = timezone.now()
    extension.decision_note = "Withdrawn by the participant."
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _audit_extension(
        extension,
        by=by,
        action="withdrawn",
        name=by.display_name,
        before={"status": Extension.Status.REQUESTED},
        after={"status": extension.status},
    )
    return extension


# Eligibility overrides ----------------------------------------------------------------------------------


@transaction.atomic
def override_record(*, by: User, enrolment: Enrolment, reason: str) -> SubmissionOverride:
    """A provider admin lets a participant who does not meet the engagement rule submit, with the reason."""
    _require_manage(by, enrolment.provider_id)
    _not_own(by, enrolment)
    reason = _reason(reason)
    Enrolment.objects.select_for_update(of=("self",)).filter(pk=enrolment.pk).first()
    if live_override(enrolment) is not None:
        raise DomainError("They may already submit without meeting the engagement rule.")
    override = SubmissionOverride.objects.create(
        enrolment=enrolment, reason=reason, recorded_by=by, recorded_at=timezone.now()
    )
    _audit_override(override, by=by, action="recorded", before=None, after={"reason": reason})
    return override


def _audit_override(
    override: SubmissionOverride,
    *,
    by: User,
    action: str,
    before: dict[str, object] | None,
    after: dict[str, object],
) -> None:
    name = User.objects.filter(participant__enrolments=override.enrolment_id).values_list(
        "full_name", "email"
    )
    full_name, email = name.get()
    audit_record(
        actor=by,
        action=f"override.{action}",
        obj_type="override",
        obj_id=override.pk,
        provider=override.enrolment.provider_id,
        label=f"{full_name or email}: may submit without meeting the engagement rule",
        before=before,
        after=after,
    )


@transaction.atomic
def override_revoke(*, by: User, override: SubmissionOverride) -> SubmissionOverride:
    """Take back an override; submissions already made stand."""
    override = SubmissionOverride.objects.select_for_update().select_related("enrolment").get(pk=override.pk)
    _require_manage(by, override.enrolment.provider_id)
    if override.revoked_at is not None:
        raise DomainError("This exception has already been taken back.")
    override.revoked_by = by
    override.revoked_at = timezone.now()
    override.save(update_fields=["revoked_by", "revoked_at"])
    _audit_override(
        override,
        by=by,
        action="revoked",
        before={"revoked_at": None},
        after={"revoked_at": override.revoked_at},
    )
    return override
