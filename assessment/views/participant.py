"""A participant's final assessment: their tasks with each window and deadline (UK time) and a countdown, the
upload (drag and drop, with a plain file input underneath), the word count the server made, the declaration
and submit, the receipt, and asking for more time. Works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from assessment import deadlines, selectors, services
from assessment.documents import EXTENSIONS, KIND_LABELS
from assessment.forms import ExtensionForm, SubmitForm, UploadForm
from assessment.models import AssessmentTask, SubmissionFile
from assessment.uploads import cap_uploads, refusal
from npqel.errors import DomainError
from npqel.forms import add_domain_error
from participants.models import Enrolment

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@login_required
def my_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """The place's final assessment: each task, whether it is open, its deadline and what is done."""
    enrolment = selectors.own_place(user=request.user, pk=pk)
    positions = selectors.task_positions(enrolment=enrolment)
    return render(
        request,
        "assessment/my_assessment.html",
        {"enrolment": enrolment, "positions": positions, "scheme": _scheme(enrolment)},
    )


def _scheme(enrolment: Enrolment) -> object:
    return getattr(enrolment.cohort.programme, "assessment_scheme", None)


def _accept(task: AssessmentTask) -> str:
    return ",".join(EXTENSIONS[kind] for kind in task.file_types)


def _task_page(
    request: HttpRequest,
    enrolment: Enrolment,
    task: AssessmentTask,
    *,
    upload_form: UploadForm | None = None,
    submit_form: SubmitForm | None = None,
    status: int = 200,
) -> HttpResponse:
    position = next(p for p in selectors.task_positions(enrolment=enrolment) if p.task.pk == task.pk)
    return render(
        request,
        "assessment/my_task.html",
        {
            "enrolment": enrolment,
            "position": position,
            "task": task,
            "upload_form": upload_form
            or UploadForm(takes_appendices=task.takes_appendices, accept=_accept(task)),
            "submit_form": submit_form or SubmitForm(),
            "file_types": " or ".join(KIND_LABELS[kind] for kind in task.file_types),
            "grace_minutes": int(deadlines.GRACE.total_seconds() // 60),
        },
        status=status,
    )


@login_required
def my_task(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One task: the case study once the window is open, the deadline and countdown, the limits, what has been
    uploaded (with the server's word count), the declaration and submit button, receipts and extensions."""
    enrolment = selectors.own_place(user=request.user, pk=pk)
    task = selectors.task_of(enrolment=enrolment, number=number)
    return _task_page(request, enrolment, task)


@csrf_exempt
@login_required
@require_POST
def task_upload(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Upload a new version. The moment the request began is taken before its body is read (the deadline rule
    reads it), and the size cap is put in place before the files stream in; the CSRF check follows below,
    once the cap is in place (Django reads the body to check it)."""
    started_at = timezone.now()
    enrolment = selectors.own_place(user=request.user, pk=pk)
    task = selectors.task_of(enrolment=enrolment, number=number)
    cap = cap_uploads(request, task.max_bytes)
    return _task_upload(request, enrolment, task, cap, started_at)


@csrf_protect
def _task_upload(request, enrolment, task, cap, started_at):  # type: ignore[no-untyped-def]
    form = UploadForm(
        request.POST, request.FILES, takes_appendices=task.takes_appendices, accept=_accept(task)
    )
    too_large = refusal(cap, {"main": "main document", "appendices": "appendices"})
    if too_large:
        form.is_valid()
        form.errors.clear()
        form.add_error("main" if "appendices" not in cap.refused else "appendices", too_large)
        return _task_page(request, enrolment, task, upload_form=form, status=400)
    if not form.is_valid():
        return _task_page(request, enrolment, task, upload_form=form, status=400)
    main = form.cleaned_data["main"]
    appendices = form.cleaned_data.get("appendices")
    try:
        version = services.version_upload(
            by=request.user,
            enrolment=enrolment,
            task=task,
            main=main,
            main_name=main.name,
            appendices=appendices,
            appendices_name=appendices.name if appendices else None,
            started_at=started_at,
        )
    except DomainError as error:
        field = "appendices" if "appendices" in error.message and "appendices" in form.fields else "main"
        add_domain_error(form, DomainError(error.message, field=error.field or field))
        return _task_page(request, enrolment, task, upload_form=form, status=400)
    words = ", ".join(
        f"{f.get_role_display().lower()} {f.words:,} words" for f in version.files.order_by("role")
    )
    messages.success(
        request,
        f"Uploaded ({words}). It is not submitted yet: check it, tick the declaration and submit it below.",
    )
    return redirect(f"{reverse('my_task', args=[enrolment.pk, task.number])}#submit")


@login_required
@require_POST
def version_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit an uploaded version with the declaration, then show its receipt."""
    version = selectors.own_version(user=request.user, pk=pk)
    enrolment = selectors.own_place(user=request.user, pk=version.submission.enrolment_id)
    task = version.submission.task
    form = SubmitForm(request.POST)
    try:
        receipt = services.submission_submit(
            by=request.user, version=version, declaration=form.is_valid() and form.cleaned_data["declaration"]
        )
    except DomainError as error:
        if error.field == "declaration":
            form = SubmitForm(request.POST)
            form.is_valid()
            form.errors.clear()
            add_domain_error(form, error)
            return _task_page(request, enrolment, task, submit_form=form, status=400)
        messages.error(request, error.message)
        return redirect("my_task", pk=enrolment.pk, number=task.number)
    messages.success(request, f"Submitted. Your receipt number is {receipt.reference}; we have emailed it to you.")
    return redirect("receipt_detail", reference=receipt.reference)


@login_required
@require_POST
def submission_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back a submission before the deadline, then back to the task."""
    submission = selectors.own_submission(user=request.user, pk=pk)
    try:
        services.submission_withdraw(by=request.user, submission=submission)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "Your submission is withdrawn. Upload and submit again before the deadline to be assessed."
        )
    return redirect("my_task", pk=submission.enrolment_id, number=submission.task.number)


@login_required
def receipt_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """A receipt: reference, server time, deadline, and each file's name, words and SHA-256."""
    receipt = selectors.receipt_get(user=request.user, reference=reference)
    enrolment = receipt.submission.enrolment
    return render(
        request,
        "assessment/receipt.html",
        {
            "receipt": receipt,
            "content": receipt.content,
            "own": enrolment.participant.user_id == request.user.pk,
            "enrolment": enrolment,
        },
    )


@login_required
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A stored file, to its participant or an admin of its provider. The download's name carries the candidate
    number, task and version, never a person's name."""
    stored: SubmissionFile = selectors.submission_file_get(user=request.user, pk=pk)
    submission = stored.version.submission
    name = (
        f"{submission.candidate_number}-task{submission.task.number}-v{stored.version.number}-{stored.role}"
        f"{EXTENSIONS[stored.kind]}"
    )
    return FileResponse(
        stored.file.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[stored.kind]
    )


@login_required
def extension_ask(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Ask for more time on a task, with the reason and optional evidence."""
    enrolment = selectors.own_place(user=request.user, pk=pk)
    task = selectors.task_of(enrolment=enrolment, number=number)
    position = next(p for p in selectors.task_positions(enrolment=enrolment) if p.task.pk == task.pk)
    form = ExtensionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        evidence = form.cleaned_data.get("evidence")
        try:
            services.extension_request(
                by=request.user,
                enrolment=enrolment,
                task=task,
                reason=form.cleaned_data["reason"],
                until=form.cleaned_data["until"],
                evidence=evidence,
                evidence_name=evidence.name if evidence else None,
            )
        except DomainError as error:
            add_domain_error(form, DomainError(error.message, field=error.field or "evidence"))
        else:
            messages.success(request, "Your request is sent. Your provider will decide and you will see it here.")
            return redirect("my_task", pk=enrolment.pk, number=task.number)
    return render(
        request,
        "assessment/extension_ask.html",
        {"enrolment": enrolment, "task": task, "position": position, "form": form},
    )


@login_required
@require_POST
def extension_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    extension = selectors.own_extension(user=request.user, pk=pk)
    try:
        services.extension_withdraw(by=request.user, extension=extension)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your request for more time is withdrawn.")
    return redirect("my_task", pk=extension.enrolment_id, number=extension.task.number)
