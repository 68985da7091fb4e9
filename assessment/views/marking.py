"""Marking pages (issue 7): an assessor's queue; the script beside the mark form (drafts saved as they type,
a save from an older copy refused); the lead assessor's decision; the script's files as an anonymous copy; and
a declared conflict of interest. Assessors see candidate numbers only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from assessment import allocation as allocation_services
from assessment import marking as marking_services
from assessment import marking_selectors as selectors
from assessment import results
from assessment.anonymity import stripped_copy
from assessment.documents import EXTENSIONS
from assessment.models import Allocation, Marking, Result, SubmissionFile
from assessment.outcomes import FEEDBACK_LEAST, OUTCOME_LABELS, Outcome
from assessment.script_view import ScriptNotShown, docx_as_html
from assessment.views.participant import CONTENT_TYPES
from npqel.csp import SELF, csp_replace
from npqel.errors import DomainError

# Bump when the way a script is shown changes, so cached HTML is made again.
HTML_VERSION = 1


@login_required
def marking_queue(request: HttpRequest) -> HttpResponse:
    """The scripts allocated to me: still to mark, due soonest first; then the ones I have marked."""
    queue = selectors.marking_queue(user=request.user)
    return render(request, "assessment/marking/queue.html", {"queue": queue, "today": timezone.localdate()})


def _read_form(
    post: QueryDict, criteria: list
) -> tuple[dict[int, int | None], dict[int, str], set[int], list[str]]:
    """Marks, comments and ticked omissions as posted, and what could not be read."""
    marks: dict[int, int | None] = {}
    comments: dict[int, str] = {}
    problems = []
    for criterion in criteria:
        raw = post.get(f"mark-{criterion.pk}", "").strip()
        comments[criterion.pk] = post.get(f"comment-{criterion.pk}", "")
        if not raw:
            marks[criterion.pk] = None
        elif raw.isascii() and raw.isdigit():
            marks[criterion.pk] = int(raw)
        else:
            marks[criterion.pk] = None
            problems.append(f"The mark for “{criterion.title}” must be a whole number, like 7.")
    ticked = {int(value) for value in post.getlist("omission") if value.isascii() and value.isdigit()}
    return marks, comments, ticked, problems


def _revision(post: QueryDict) -> int:
    raw = post.get("revision", "")
    return int(raw) if raw.isascii() and raw.isdigit() else -1


def _script(allocation: Allocation) -> list[dict[str, object]]:
    """Each file of the script, for the page: a PDF shown inline, a DOCX as HTML from the stripped copy."""
    shown = []
    for stored in selectors.script_files(allocation.submission):
        entry: dict[str, object] = {"file": stored, "html": ""}
        if stored.kind == "docx":
            entry["html"] = cache.get_or_set(
                f"script-html:{HTML_VERSION}:{stored.sha256}", lambda stored=stored: _docx_html(stored), 3600
            )
        shown.append(entry)
    return shown


def _docx_html(stored: SubmissionFile) -> str:
    """The stripped copy of a Word script as safe HTML ("" when it cannot be shown: the page offers the
    download instead)."""
    with stored.file.open("rb") as handle:
        try:
            return docx_as_html(stripped_copy(handle.read(), stored.kind))
        except (ScriptNotShown, DomainError):
            return ""


def _marking_context(allocation: Allocation, marking: Marking | None, post: QueryDict | None) -> dict:
    scheme = allocation.submission.task.mark_scheme
    criteria = list(scheme.criteria.all())
    omissions = list(scheme.omissions.all())
    rows = []
    for criterion in criteria:
        key = str(criterion.pk)
        if post is not None:
            mark, comment = post.get(f"mark-{criterion.pk}", ""), post.get(f"comment-{criterion.pk}", "")
        else:
            mark = marking.marks.get(key, "") if marking else ""
            comment = marking.comments.get(key, "") if marking else ""
        rows.append({"criterion": criterion, "mark": mark, "comment": comment})
    if post is not None:
        ticked = {int(v) for v in post.getlist("omission") if v.isascii() and v.isdigit()}
        feedback = post.get("feedback", "")
    else:
        ticked = set(marking.omissions) if marking else set()
        feedback = marking.feedback if marking else ""
    return {
        "allocation": allocation,
        "submission": allocation.submission,
        "scheme": scheme,
        "rows": rows,
        "omissions": [{"omission": o, "ticked": o.pk in ticked} for o in omissions],
        "feedback": feedback,
        "marking": marking,
        "revision": marking.revision if marking else 0,
        "most": sum(c.max_mark for c in criteria),
        "least_detailed": FEEDBACK_LEAST[Outcome.FAIL],
        "least_summary": FEEDBACK_LEAST[Outcome.PASS],
        "script": _script(allocation),
    }


def _save(request: HttpRequest, allocation: Allocation, *, submit: bool) -> Marking:
    criteria = list(allocation.submission.task.mark_scheme.criteria.all())
    marks, comments, ticked, problems = _read_form(request.POST, criteria)
    if problems:
        raise DomainError(" ".join(problems), field="marks")
    return marking_services.marking_save(
        by=request.user,
        allocation=allocation,
        revision=_revision(request.POST),
        marks=marks,
        comments=comments,
        ticked=ticked,
        feedback=request.POST.get("feedback", ""),
        submit=submit,
    )


@login_required
def marking_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The script beside the mark form. 'Save draft' keeps it as it is; 'Submit marking' works out the outcome
    and sends the script on (a second assessor, the lead, or its result)."""
    allocation = selectors.allocation_for_assessor(user=request.user, pk=pk)
    if allocation.kind == Allocation.Kind.LEAD:
        return redirect("lead_decision", pk=allocation.pk)
    marking = getattr(allocation, "marking", None)
    error = ""
    if request.method == "POST":
        submit = "submit" in request.POST
        try:
            marking = _save(request, allocation, submit=submit)
        except DomainError as problem:
            error = problem.message
        else:
            if submit:
                messages.success(
                    request,
                    f"Marking of {allocation.submission.candidate_number} submitted: "
                    f"{OUTCOME_LABELS[Outcome(marking.outcome)].lower()}, {marking.total} marks.",
                )
                return redirect("marking_queue")
            messages.success(request, "Draft saved.")
            return redirect("marking_page", pk=allocation.pk)
    context = _marking_context(allocation, marking, request.POST if error else None)
    if error:
        # The revision their page had: pressing Save again from this page is still refused if someone saved since.
        context["revision"] = _revision(request.POST)
    context["error"] = error
    context["closed"] = allocation.ended_at is not None or (
        marking is not None and marking.status == Marking.Status.SUBMITTED
    )
    return render(request, "assessment/marking/mark.html", context, status=400 if error else 200)


@login_required
@require_POST
def marking_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: save the draft as the assessor types; answers with what happened and the new revision."""
    allocation = selectors.allocation_for_assessor(user=request.user, pk=pk)
    try:
        marking = _save(request, allocation, submit=False)
    except DomainError as problem:
        return render(request, "assessment/marking/_autosave.html", {"error": problem.message})
    return render(request, "assessment/marking/_autosave.html", {"marking": marking})


@login_required
def lead_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead assessor reads both markings beside the script and decides pass or fail, for good."""
    allocation = selectors.allocation_for_assessor(user=request.user, pk=pk)
    if allocation.kind != Allocation.Kind.LEAD:
        return redirect("marking_page", pk=allocation.pk)
    submission = allocation.submission
    result = getattr(submission, "result", None)
    error, field = "", ""
    if request.method == "POST" and result is None:
        try:
            result = results.lead_decide(
                by=request.user,
                allocation=allocation,
                outcome=request.POST.get("outcome", ""),
                feedback=request.POST.get("feedback", ""),
                rationale=request.POST.get("rationale", ""),
            )
        except DomainError as problem:
            error, field = problem.message, problem.field or ""
        else:
            messages.success(
                request,
                f"Your decision on {submission.candidate_number} is recorded: {result.get_outcome_display().lower()}.",
            )
            return redirect("marking_queue")
    markings = selectors.markings_of(submission)
    scheme = submission.task.mark_scheme
    criteria = list(scheme.criteria.all())
    return render(
        request,
        "assessment/marking/lead.html",
        {
            "allocation": allocation,
            "submission": submission,
            "result": result,
            "scheme": scheme,
            "criteria": [
                {
                    "criterion": c,
                    "first": markings["first"].marks.get(str(c.pk)) if "first" in markings else None,
                    "second": markings["second"].marks.get(str(c.pk)) if "second" in markings else None,
                }
                for c in criteria
            ],
            "first": markings.get("first"),
            "second": markings.get("second"),
            "outcomes": Result.Outcome.choices,
            "posted": request.POST if error else {},
            "feedback": request.POST.get("feedback", "")
            if error
            else getattr(markings.get("first"), "feedback", ""),
            "error": error,
            "field": field,
            "script": _script(allocation),
        },
        status=400 if error else 200,
    )


@login_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})  # the marking and moderation pages show a PDF script in a frame
def script_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A file of a script, as an assessor or moderator opens it: a copy without its author fields, named by
    candidate number. PDFs open in the page; DOCX files download."""
    stored = selectors.script_file_for_marker(user=request.user, pk=pk)
    submission = stored.version.submission
    with stored.file.open("rb") as handle:
        try:
            data = stripped_copy(handle.read(), stored.kind)
        except DomainError as problem:  # checked on upload, so only a file damaged since
            return HttpResponse(problem.message, status=409, content_type="text/plain; charset=utf-8")
    name = (
        f"{submission.candidate_number}-task{submission.task.number}-{stored.role}{EXTENSIONS[stored.kind]}"
    )
    response = HttpResponse(data, content_type=CONTENT_TYPES[stored.kind])
    disposition = "inline" if stored.kind == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def conflict_declare(request: HttpRequest, pk: int) -> HttpResponse:
    """An assessor who recognises the participant behind a script says so: the script goes back to the
    provider admin, and they are never allocated that participant again. Nobody is named on the page."""
    allocation = selectors.allocation_for_assessor(user=request.user, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            allocation_services.conflict_declare(
                by=request.user,
                participant=allocation.submission.enrolment.participant,
                reason=request.POST.get("reason", ""),
            )
        except DomainError as problem:
            error = problem.message
        else:
            messages.success(
                request,
                f"Conflict recorded. {allocation.submission.candidate_number} has gone back to the provider "
                "to give to another assessor, and you will not be given this participant's work again.",
            )
            return redirect("marking_queue")
    return render(
        request,
        "assessment/marking/conflict.html",
        {"allocation": allocation, "error": error, "reason": request.POST.get("reason", "")},
        status=400 if error else 200,
    )
