"""A participant's final assessment: their tasks with each window and deadline (UK time) and a countdown, the
upload (drag and drop, with a plain file input underneath), the word count the server made, the declaration
and submit, the receipt, and asking for more time. Works without JavaScript."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from assessment import selectors, services
from assessment.documents import EXTENSIONS, KIND_LABELS
from assessment.forms import ExtensionForm, SubmitForm, UploadForm
from assessment.models import MAIN_FIRST, AssessmentTask, SubmissionFile
from assessment.uploads import (
    announced_too_large,
    cap_uploads,
    refusal,
    refusal_too_large,
    request_started_at,
)
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
        },
        status=status,
    )


def _only_error(form: forms.Form, field: str, message: str) -> None:
    """Show just this message, next to `field`, on a bound form (whatever else it would have said)."""
    form.is_valid()
    form.errors.clear()
    form.add_error(field, message)


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
    started_at = request_started_at(request)
    enrolment = selectors.own_place(user=request.user, pk=pk)
    task = selectors.task_of(enrolment=enrolment, number=number)
    cap = cap_uploads(request, task.max_bytes)
    if announced_too_large(request, cap):
        # Answered before any of the body is read (so before the CSRF check, which reads it): nothing is kept.
        form = UploadForm({}, {}, takes_appendices=task.takes_appendices, accept=_accept(task))
        _only_error(form, "main", refusal_too_large(cap))
        return _task_page(request, enrolment, task, upload_form=form, status=413)
    return _task_upload(request, enrolment, task, cap, started_at)


@csrf_protect
def _task_upload(request, enrolment, task, cap, started_at):  # type: ignore[no-untyped-def]
    form = UploadForm(
        request.POST, request.FILES, takes_appendices=task.takes_appendices, accept=_accept(task)
    )
    too_large = refusal(cap, {"main": "main document", "appendices": "appendices"})
    if too_large:
        _only_error(form, "appendices" if "appendices" in cap.refused else "main", too_large)
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
        add_domain_error(form, error)
        return _task_page(request, enrolment, task, upload_form=form, status=400)
    words = ", ".join(
        f"{f.get_role_display().lower()} {f.words:,} words" for f in version.files.order_by(*MAIN_FIRST)
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
            _only_error(form, "declaration", error.message)
            return _task_page(request, enrolment, task, submit_form=form, status=400)
        messages.error(request, error.message)
        return redirect("my_task", pk=enrolment.pk, number=task.number)
    messages.success(
        request, f"Submitted. Your receipt number is {receipt.reference}; we have emailed it to you."
    )
    return redirect("receipt_detail", reference=receipt.reference)


@login_required
def submission_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask to confirm, then take back a submission before the deadline, then back to the task."""
    submission = selectors.own_submission(user=request.user, pk=pk)
    if request.method != "POST":
        enrolment = selectors.own_place(user=request.user, pk=submission.enrolment_id)
        position = next(
            p for p in selectors.task_positions(enrolment=enrolment) if p.task.pk == submission.task_id
        )
        return render(
            request,
            "assessment/withdraw_confirm.html",
            {"enrolment": enrolment, "position": position, "task": submission.task, "submission": submission},
        )
    try:
        services.submission_withdraw(by=request.user, submission=submission)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        deadline = services.deadline_of(submission.enrolment, submission.task)
        messages.success(
            request,
            "Your submission is withdrawn: nothing is submitted for this task now. Upload and submit again by "
            f"{deadline.text() if deadline else 'the deadline'} to be assessed.",
        )
    return redirect("my_task", pk=submission.enrolment_id, number=submission.task.number)


@login_required
def receipt_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """A receipt: reference, server time, deadline, and each file's name, words and SHA-256; and, when it no
    longer stands, what replaced it."""
    receipt = selectors.receipt_get(user=request.user, reference=reference)
    submission = receipt.submission
    latest = selectors.latest_receipt(submission=submission)
    return render(
        request,
        "assessment/receipt.html",
        {
            "receipt": receipt,
            "content": receipt.content,
            "own": submission.enrolment.participant.user_id == request.user.pk,
            "enrolment": submission.enrolment,
            "stands": submission.is_submitted and latest is not None and latest.pk == receipt.pk,
            "latest": latest if latest is not None and latest.pk != receipt.pk else None,
            "withdrawn": submission.status == submission.Status.WITHDRAWN,
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


@csrf_exempt
@login_required
def extension_ask(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Ask for more time on a task, with the reason and optional evidence (its size capped as it streams in,
    like a submission's; the CSRF check follows once the cap is in place)."""
    enrolment = selectors.own_place(user=request.user, pk=pk)
    task = selectors.task_of(enrolment=enrolment, number=number)
    cap = cap_uploads(request, services.EVIDENCE_MAX_BYTES, files_expected=1)
    if request.method == "POST" and announced_too_large(request, cap):
        form = ExtensionForm({}, {})
        _only_error(form, "evidence", refusal_too_large(cap))
        return _extension_page(request, enrolment, task, form, status=413)
    return _extension_ask(request, enrolment, task, cap)


def _extension_page(
    request: HttpRequest, enrolment: Enrolment, task: AssessmentTask, form: ExtensionForm, status: int = 200
) -> HttpResponse:
    position = next(p for p in selectors.task_positions(enrolment=enrolment) if p.task.pk == task.pk)
    return render(
        request,
        "assessment/extension_ask.html",
        {"enrolment": enrolment, "task": task, "position": position, "form": form},
        status=status,
    )


@csrf_protect
def _extension_ask(request, enrolment, task, cap):  # type: ignore[no-untyped-def]
    form = ExtensionForm(request.POST or None, request.FILES or None)
    too_large = refusal(cap, {"evidence": "evidence"})
    if too_large:
        _only_error(form, "evidence", too_large)
        return _extension_page(request, enrolment, task, form, status=400)
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
            add_domain_error(form, error)
        else:
            messages.success(
                request, "Your request is sent. Your provider will decide and you will see it here."
            )
            return redirect("my_task", pk=enrolment.pk, number=task.number)
    return _extension_page(request, enrolment, task, form, status=400 if form.errors else 200)


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


@login_required
def review_ask(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Ask for a released result to be reviewed, saying what was marked wrongly and why."""
    from assessment.results import review_request

    enrolment = selectors.own_place(user=request.user, pk=pk)
    task = selectors.task_of(enrolment=enrolment, number=number)
    position = next(p for p in selectors.task_positions(enrolment=enrolment) if p.task.pk == task.pk)
    if position.result is None:
        messages.info(request, "There is no released result of this task to review.")
        return redirect("my_task", pk=enrolment.pk, number=task.number)
    error = ""
    if request.method == "POST":
        try:
            review_request(by=request.user, result=position.result, reason=request.POST.get("reason", ""))
        except DomainError as problem:
            error = problem.message
        else:
            messages.success(
                request, "Your request for a review is sent. Your provider will decide and tell you here."
            )
            return redirect("my_task", pk=enrolment.pk, number=task.number)
    return render(
        request,
        "assessment/review_ask.html",
        {
            "enrolment": enrolment,
            "task": task,
            "position": position,
            "error": error,
            "reason": request.POST.get("reason", ""),
        },
        status=400 if error else 200,
    )
