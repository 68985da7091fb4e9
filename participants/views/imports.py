"""Importing participants from a spreadsheet: upload, see the preview (or every mistake), confirm, then
send the invitations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from npqel.access import Action, access_for, require_page
from npqel.errors import DomainError
from npqel.exports import csv_response
from npqel.forms import add_domain_error
from npqel.words import plural
from participants import imports, selectors
from participants.forms import EnrolmentImportForm
from participants.models import EnrolmentImport
from programmes import selectors as programme_selectors

# A made-up example of every column, offered as a starting point: a current participant, and two from a
# past cohort brought in with their history (one passed after a deferral, one withdrew).
EXAMPLE_ROWS = [
    {
        "external_id": "APP-2026-0001",
        "email": "amira.khan@example.org",
        "first_name": "Amira",
        "last_name": "Khan",
        "school_urn": "137042",
        "cohort_code": "2026-autumn",
        "school_name": "Northfield Primary School",
        "school_fsm_percent": "32.5",
        "ethnicity_code": "AIND",
        "sex": "female",
        "disability": "no",
        "funding_route": "funded_place",
        "cohort_start_date": "2026-09-07",
    },
    {
        "external_id": "APP-2019-0107",
        "email": "ben.jones@example.org",
        "first_name": "Ben",
        "last_name": "Jones",
        "school_urn": "140001",
        "cohort_code": "2019-autumn",
        "school_name": "Hillside Academy",
        "ethnicity_code": "WBRI",
        "funding_route": "school",
        "started_on": "2019-09-02",
        "deferred_on": "2020-01-10",
        "presented_on": "2021-02-01",
        "outcome": "passed",
        "moderated": "yes",
        "moderator_agreed": "yes",
        "feedback_rating": "9",
        "cohort_start_date": "2019-09-02",
    },
    {
        "external_id": "APP-2019-0112",
        "email": "carys.evans@example.org",
        "first_name": "Carys",
        "last_name": "Evans",
        "school_urn": "140001",
        "cohort_code": "2019-autumn",
        "school_name": "Hillside Academy",
        "ethnicity_code": "REFU",
        "sex": "prefer_not",
        "funding_route": "self_funded",
        "started_on": "2019-09-02",
        "withdrawn_on": "2020-05-04",
        "withdrawal_reason": "change-in-career",
        "cohort_start_date": "2019-09-02",
    },
]


@login_required
def import_example(request: HttpRequest) -> HttpResponse:
    """A spreadsheet with every column and three made-up rows, to fill in."""
    require_page(request.user, Action.MANAGE_ENROLMENTS)
    rows = ([row.get(column, "") for column in imports.ALL_COLUMNS] for row in EXAMPLE_ROWS)
    return csv_response("participants-example.csv", imports.ALL_COLUMNS, rows)


@login_required
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """The upload form, with the provider's earlier imports underneath."""
    provider = programme_selectors.provider_get(user=request.user, slug=slug, action=Action.MANAGE_ENROLMENTS)
    programmes = programme_selectors.programme_list(user=request.user, provider=provider)
    posted = request.method == "POST"
    form = EnrolmentImportForm(
        request.POST if posted else None, request.FILES if posted else None, programmes=programmes
    )
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = imports.import_upload(
                by=request.user,
                provider=provider,
                file_name=upload.name,
                content=upload.read(imports.MAX_FILE_BYTES + 1),
                create_cohorts=form.cleaned_data["create_cohorts"],
                programme=form.cleaned_data["programme"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("import_detail", pk=batch.pk)
    context = {
        "provider": provider,
        "form": form,
        "earlier": selectors.import_list(user=request.user, provider_id=provider.pk)[:20],
        "required": imports.REQUIRED_COLUMNS,
        "optional": imports.OPTIONAL_COLUMNS,
    }
    return render(request, "participants/imports/upload.html", context)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What the file will do (or did), or every mistake in it with its row and column."""
    batch = selectors.import_get(user=request.user, pk=pk)
    report = batch.report
    can_manage = access_for(request.user).may(Action.MANAGE_ENROLMENTS, batch.provider_id)
    context = {
        "batch": batch,
        "working": batch.status in (EnrolmentImport.Status.CHECKING, EnrolmentImport.Status.IMPORTING),
        "stuck": imports.import_is_stuck(batch),
        "provider": batch.provider,
        "report": report,
        "changed_rows": [r for r in report.get("rows", []) if r["action"] != "unchanged"],
        "unchanged": report.get("counts", {}).get("unchanged", 0),
        "can_manage": can_manage,
        "form": EnrolmentImportForm(
            programmes=programme_selectors.programme_list(user=request.user, provider=batch.provider),
            initial={"create_cohorts": batch.create_cohorts, "programme": batch.programme_id},
        )
        if can_manage and batch.status == EnrolmentImport.Status.REJECTED
        else None,
    }
    return render(request, "participants/imports/detail.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.import_get(user=request.user, pk=pk, action=Action.MANAGE_ENROLMENTS)
    try:
        imports.import_confirm_later(by=request.user, batch=batch)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("import_detail", pk=batch.pk)


@login_required
@require_POST
def import_restart(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.import_get(user=request.user, pk=pk, action=Action.MANAGE_ENROLMENTS)
    try:
        imports.import_restart(by=request.user, batch=batch)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("import_detail", pk=batch.pk)


@login_required
@require_POST
def import_invite(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.import_get(user=request.user, pk=pk, action=Action.MANAGE_ENROLMENTS)
    try:
        sent = imports.import_invite(by=request.user, batch=batch)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if sent:
            messages.success(
                request, f"{plural(sent, 'invitation')} sent. Each link lets the person set their password."
            )
        else:
            messages.success(
                request,
                "Everyone in this file has set up their account or already has an invitation waiting.",
            )
    return redirect("import_detail", pk=batch.pk)
