"""The provider's assessment pages: a programme's scheme and the rules of its tasks; a cohort's windows and who
has submitted, who has not, who has an extension and who is late; the cohort's scripts as a ZIP (candidate
numbers by default); the extension queue and decisions; and eligibility exceptions for a place.

Provider admins change things (Action.MANAGE_ASSESSMENT); platform staff look (Action.VIEW_SUBMISSIONS).
"""

import csv
import hashlib
import io
import logging
import re
import tempfile
import unicodedata
import zipfile
from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessment import provider_selectors as selectors
from assessment import services
from assessment.deadlines import clock, long_day
from assessment.models import AssessmentTask, Extension, Submission, SubmissionFile
from assessment.provider_forms import (
    FILE_TYPE_LABELS,
    ExceptionForm,
    ExtensionDecisionForm,
    TaskRulesForm,
    WindowForm,
)
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.exports import neutralise
from npqel.forms import add_domain_error
from npqel.words import plural
from participants.models import Engagement
from programmes.wording import engagement_text

logger = logging.getLogger(__name__)

# Documents are compressed already (DOCX is a ZIP, PDF streams are deflated): storing them saves the CPU time.
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
COPY_CHUNK_BYTES = 1024 * 1024


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one, so its fields say what is missing), else None."""
    return request.POST if request.method == "POST" else None


# A programme's assessment -------------------------------------------------------------------------------


def rules_of(task: AssessmentTask) -> list[tuple[str, str]]:
    """Every rule of a task in plain English, as (what, rule) pairs."""
    fixed = task.window_kind == AssessmentTask.WindowKind.FIXED
    if fixed:
        window = (
            f"A fixed window of {plural(task.window_days, 'day')} for the whole cohort, opening at 00:00 UK time "
            "on the first day you set for each cohort"
        )
        last_day = "the last day of the window"
    else:
        window = (
            "Any time the participant chooses, from the day you open the window for their cohort until their own "
            "deadline to present for final assessment"
        )
        last_day = "their own deadline day"
    types = " or ".join(FILE_TYPE_LABELS.get(kind, kind.upper()) for kind in task.file_types)
    return [
        ("Main document", f"Up to {task.main_word_limit:,} words"),
        (
            "Appendices",
            f"Up to {task.appendix_word_limit:,} words, counted separately from the main document"
            if task.takes_appendices
            else "None: everything goes in the main document",
        ),
        ("File types", types),
        ("Largest file", f"{task.max_file_mb} MB"),
        ("When they submit", window),
        (
            "Deadline",
            f"{clock(task.deadline_time)} UK time on {last_day} (on time up to {clock(task.deadline_time)}:59)",
        ),
        (
            "Attempts",
            "1 attempt"
            if task.attempts_allowed == 1
            else f"Up to {task.attempts_allowed} attempts (a resubmission after a fail opens once marking"
            " and results are in place)",
        ),
        (
            "Who may submit",
            "Only participants who meet the engagement requirement, or who have an exception recorded"
            if task.eligibility_required
            else "Anyone with an active place, whatever their engagement",
        ),
    ]


@login_required
def programme_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """The programme's scheme and each task's rules, with its cohorts' windows; or the button to set it up."""
    programme = selectors.programme_for_assessment(user=request.user, pk=pk)
    scheme = selectors.scheme_of(programme=programme)
    return render(
        request,
        "assessment/provider/programme.html",
        {
            "programme": programme,
            "scheme": scheme,
            "tasks": [(task, rules_of(task)) for task in scheme.task_list] if scheme else [],
            "cohorts": selectors.programme_cohorts(programme=programme) if scheme else [],
            "can_manage": access_for(request.user).may(Action.MANAGE_ASSESSMENT, programme.provider_id),
        },
    )


@login_required
@require_POST
def scheme_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Set up the qualification's standard assessment for the programme's framework."""
    programme = selectors.programme_for_scheme_change(user=request.user, pk=pk)
    existed = selectors.scheme_of(programme=programme) is not None
    scheme = services.scheme_create_default(by=request.user, programme=programme)
    if existed:
        messages.success(request, "The assessment was already set up: nothing has changed.")
    else:
        count = scheme.tasks.count()
        messages.success(
            request,
            f"The standard assessment is set up with {plural(count, 'task')}. Check the rules below, then open "
            "a window for each cohort.",
        )
    return redirect("programme_assessment", pk=programme.pk)


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one task's rules (from now on: what is already uploaded stands)."""
    task = selectors.task_for_change(user=request.user, pk=pk)
    programme = task.scheme.programme
    form = TaskRulesForm(_posted(request), initial=TaskRulesForm.initial_for(task))
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_update(by=request.user, task=task, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"The rules of {task.title} are saved. Word limits and files apply to uploads from now on; "
                "a new window length applies to windows you open or move from now on.",
            )
            return redirect("programme_assessment", pk=programme.pk)
    return render(
        request, "assessment/provider/task_form.html", {"form": form, "task": task, "programme": programme}
    )


# A cohort's assessment -----------------------------------------------------------------------------------


@login_required
def cohort_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """Each task's window and deadline, then every place: submitted, uploaded, late, extensions; filtered by
    ?show= (all, submitted, not_submitted, extension, late)."""
    cohort = selectors.cohort_for_assessment(user=request.user, pk=pk)
    show = request.GET.get("show", "all")
    if show not in selectors.SHOW_CHOICES:
        show = "all"
    access = access_for(request.user)
    provider_id = cohort.programme.provider_id
    return render(
        request,
        "assessment/provider/cohort.html",
        {
            "cohort": cohort,
            "tables": selectors.cohort_assessment(user=request.user, cohort=cohort, show=show),
            "show": show,
            "show_label": selectors.SHOW_CHOICES[show],
            "filters": list(selectors.SHOW_CHOICES.items()),
            "can_manage": access.may(Action.MANAGE_ASSESSMENT, provider_id),
            "now": timezone.now(),
        },
    )


@login_required
def window_set(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Open or move the cohort's window for a task (and, for a fixed window, give its case study)."""
    cohort = selectors.cohort_for_assessment(user=request.user, pk=pk, action=Action.MANAGE_ASSESSMENT)
    task = selectors.cohort_task(cohort=cohort, number=number)
    window = task.window  # type: ignore[attr-defined]
    fixed = task.window_kind == AssessmentTask.WindowKind.FIXED
    initial = {}
    if window is not None:
        initial = {
            "opens_on": window.opens_on,
            "case_study_title": window.case_study_title,
            "case_study": window.case_study,
        }
    form = WindowForm(_posted(request), initial=initial, fixed=fixed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            window = services.window_set(
                by=request.user,
                cohort=cohort,
                task=task,
                opens_on=data["opens_on"],
                case_study_title=data.get("case_study_title", ""),
                case_study=data.get("case_study", ""),
            )
        except DomainError as error:
            # Every refusal here is about the dates: show it by the first day.
            form.add_error(error.field if error.field in form.fields else "opens_on", error.message)
        else:
            if window.closes_on is not None:
                when = (
                    f"opens on {long_day(window.opens_on)} and closes at {clock(task.deadline_time)} on "
                    f"{long_day(window.closes_on)} (UK time)"
                )
            else:
                when = f"opens on {long_day(window.opens_on)}; each participant's own deadline closes it"
            messages.success(request, f"{task.title} for cohort {cohort.code}: the window {when}.")
            return redirect("cohort_assessment", pk=cohort.pk)
    return render(
        request,
        "assessment/provider/window_form.html",
        {"form": form, "cohort": cohort, "task": task, "window": window, "fixed": fixed},
    )


# The cohort's scripts as a ZIP ---------------------------------------------------------------------------


def _safe_segment(text: str) -> str:
    """A name usable as a folder in a ZIP on any computer: no path separators, control or reserved characters."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch.isprintable() and ch not in '/\\:*?"<>|' else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip(" .")[:80]


def _folder(submission: Submission, *, with_names: bool) -> str:
    if not with_names:
        return submission.candidate_number
    name = _safe_segment(submission.enrolment.participant.user.display_name)
    return f"{submission.candidate_number} {name}".strip()


def _copy_checked(stored: SubmissionFile, archive: zipfile.ZipFile, arcname: str) -> str:
    """Copy a stored file into the archive, hashing it on the way: "Matches the receipt", or what went wrong."""
    digest = hashlib.sha256()
    try:
        with stored.file.storage.open(stored.file.name, "rb") as source, archive.open(arcname, "w") as target:
            while chunk := source.read(COPY_CHUNK_BYTES):
                digest.update(chunk)
                target.write(chunk)
    except FileNotFoundError:
        logger.error("Submission file %s is missing from storage (%s)", stored.pk, stored.file.name)
        return "Missing from storage: contact support"
    if digest.hexdigest() != stored.sha256:
        logger.error("Submission file %s does not match its recorded SHA-256", stored.pk)
        return "Does not match the receipt: contact support"
    return "Matches the receipt"


def build_scripts_zip(submissions: list[Submission], *, with_names: bool) -> tempfile.SpooledTemporaryFile:
    """The submitted files of each submission in a folder named by candidate number (and name, if asked), with
    manifest.csv listing each file's SHA-256, words and when it was submitted. Rewound, ready to stream."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # FileResponse closes it
    header = ["Candidate number", *(["Name"] if with_names else []), "File", "Document", "SHA-256", "Words"]
    header += ["Submitted at (UK time)", "On time or extension", "Check"]
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(header)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for submission in submissions:
            folder = _folder(submission, with_names=with_names)
            version = submission.submitted_version
            for stored in version.files.all() if version else []:
                arcname = f"{folder}/{stored.role}.{stored.kind}"
                check = _copy_checked(stored, archive, arcname)
                late = submission.status == Submission.Status.LATE_WITH_EXTENSION
                row = [
                    submission.candidate_number,
                    *([submission.enrolment.participant.user.display_name] if with_names else []),
                    arcname,
                    stored.get_role_display(),
                    stored.sha256,
                    stored.words,
                    # To the second, UK time: the manifest is proof of when each script came in.
                    f"{timezone.localtime(submission.submitted_at):%Y-%m-%d %H:%M:%S}"
                    if submission.submitted_at
                    else "",
                    "Under an extension" if late else "On time",
                    check,
                ]
                writer.writerow([neutralise(cell) for cell in row])
        archive.writestr("manifest.csv", "\ufeff" + manifest.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    spool.seek(0)
    return spool


def _zip_name(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(parts)).strip("-") + ".zip"


@login_required
def scripts_zip(request: HttpRequest, pk: int, number: int) -> FileResponse:
    """Every submitted script of a task on the cohort, as a ZIP: folders by candidate number (for marking), or
    with ?names=1 by candidate number and name. The download's own name never holds a participant's name."""
    cohort = selectors.cohort_for_assessment(user=request.user, pk=pk)
    task = selectors.cohort_task(cohort=cohort, number=number)
    with_names = request.GET.get("names") == "1"
    spool = build_scripts_zip(
        selectors.scripts(user=request.user, cohort=cohort, task=task), with_names=with_names
    )
    today = timezone.localdate()
    filename = _zip_name(
        "scripts",
        cohort.code,
        f"task-{task.number}",
        *(["with-names"] if with_names else []),
        f"{today:%Y-%m-%d}",
    )
    response = FileResponse(spool, as_attachment=True, filename=filename, content_type="application/zip")
    # Personal data: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response


# Extensions -----------------------------------------------------------------------------------------------


@login_required
def extension_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """Requests for more time waiting for a decision (oldest first), then the latest decisions."""
    provider = selectors.provider_for_assessment(user=request.user, slug=slug)
    waiting, decided = selectors.extension_queue(provider=provider)
    return render(
        request,
        "assessment/provider/extension_queue.html",
        {
            "provider": provider,
            "waiting": waiting,
            "decided": decided,
            "can_decide": access_for(request.user).may(Action.MANAGE_ASSESSMENT, provider.pk),
        },
    )


@login_required
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant a request with a new last day (prefilled with the day asked for), or refuse it with a note."""
    extension = selectors.extension_for_decision(user=request.user, pk=pk)
    enrolment = extension.enrolment
    who = enrolment.participant.user.display_name
    provider = enrolment.cohort.programme.provider
    form = ExtensionDecisionForm(_posted(request), initial={"new_deadline": extension.requested_until})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grant = data["decision"] == "grant"
        try:
            extension = services.extension_decide(
                by=request.user,
                extension=extension,
                grant=grant,
                new_deadline=data["new_deadline"] if grant else None,
                note=data["note"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if grant and extension.new_deadline is not None:
                new = f"{clock(extension.task.deadline_time)} on {long_day(extension.new_deadline)} (UK time)"
                messages.success(
                    request, f"{who} has more time on {extension.task.title}: their deadline is now {new}."
                )
            else:
                messages.success(
                    request, f"{who}'s request for more time on {extension.task.title} is refused."
                )
            return redirect("extension_queue", slug=provider.slug)
    return render(
        request,
        "assessment/provider/extension_decide.html",
        {
            "extension": extension,
            "enrolment": enrolment,
            "provider": provider,
            "who": who,
            "deadline": selectors.current_deadline(extension=extension),
            "form": form,
            "waiting": extension.status == Extension.Status.REQUESTED,
        },
    )


@login_required
def extension_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """The evidence sent with a request, for the provider's admins and the participant who sent it."""
    extension = selectors.extension_with_evidence(user=request.user, pk=pk)
    stored = extension.evidence
    # The name they gave it, with the suffix of what it really is (the stored name's, decided by content).
    suffix = PurePath(stored.name).suffix
    stem = PurePath(extension.evidence_name).stem if extension.evidence_name else "evidence"
    try:
        file = stored.storage.open(stored.name, "rb")
    except FileNotFoundError:
        logger.error(
            "Evidence of extension request %s is missing from storage (%s)", extension.pk, stored.name
        )
        raise Http404("The evidence file is missing.") from None
    response = FileResponse(file, as_attachment=True, filename=f"{stem}{suffix}")
    response["Cache-Control"] = "private, no-store"
    return response


# Eligibility exceptions -------------------------------------------------------------------------------


@login_required
def assessment_exception(request: HttpRequest, pk: int) -> HttpResponse:
    """A place's engagement and its exceptions; an admin records one (with the reason) or takes it back."""
    enrolment = selectors.place_for_exception(user=request.user, pk=pk)
    can_manage = access_for(request.user).may(Action.MANAGE_ASSESSMENT, enrolment.provider_id)
    who = enrolment.participant.user.display_name
    history = selectors.exception_history(enrolment=enrolment)
    live = next((override for override in history if override.revoked_at is None), None)
    form = ExceptionForm(_posted(request))
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only the provider's admins can record an exception.")
        if form.is_valid():
            try:
                services.override_record(
                    by=request.user, enrolment=enrolment, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, f"{who} may now submit without meeting the engagement requirement.")
                return redirect("assessment_exception", pk=enrolment.pk)
    try:
        engagement = enrolment.engagement
    except Engagement.DoesNotExist:
        engagement = None  # not measured yet
    return render(
        request,
        "assessment/provider/exception.html",
        {
            "enrolment": enrolment,
            "cohort": enrolment.cohort,
            "who": who,
            "engagement": engagement,
            "needed": engagement_text(enrolment.cohort.programme),
            "tasks": selectors.tasks_needing_eligibility(enrolment=enrolment),
            "history": history,
            "live": live,
            "form": form,
            "can_manage": can_manage,
        },
    )


@login_required
@require_POST
def assessment_exception_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back the place's exception: from now on they may submit only once they meet the requirement."""
    enrolment = selectors.place_for_exception_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name
    live = selectors.live_exception(enrolment=enrolment)
    if live is None:
        messages.error(request, f"{who} has no exception to take back.")
        return redirect("assessment_exception", pk=enrolment.pk)
    try:
        services.override_revoke(by=request.user, override=live)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"The exception is taken back: {who} may submit only once they meet the engagement requirement. "
            "Anything already submitted stands.",
        )
    return redirect("assessment_exception", pk=enrolment.pk)
