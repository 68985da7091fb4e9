"""A provider's DfE declarations (issue 8): what is recorded, what the next export carries, which places cannot
be declared yet (no DfE participant ID), the exports made (each downloadable again, JSON for DfE's Lead Provider
API and CSV), and for the provider's admins the button that makes the next export."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from metrics import declarations
from metrics.models import DeclarationExport
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.exports import csv_response
from npqel.words import plural
from programmes.selectors import provider_get


@never_cache
@login_required
def declarations_page(request: HttpRequest, slug: str) -> HttpResponse:
    provider = provider_get(user=request.user, slug=slug, action=Action.VIEW_METRICS)
    return render(
        request,
        "metrics/declarations.html",
        {
            "provider": provider,
            "overview": declarations.declaration_overview(user=request.user, provider=provider),
            "can_export": access_for(request.user).may(Action.EXPORT_DECLARATIONS, provider.pk),
            "can_import": access_for(request.user).may(Action.MANAGE_ENROLMENTS, provider.pk),
            "page_rows": declarations.PAGE_ROWS,
            "exports_shown": declarations.EXPORTS_SHOWN,
        },
    )


@login_required
@require_POST
def declarations_export(request: HttpRequest, slug: str) -> HttpResponse:
    provider = provider_get(user=request.user, slug=slug, action=Action.EXPORT_DECLARATIONS)
    try:
        export = declarations.declarations_export(by=request.user, provider=provider)
    except DomainError as problem:
        messages.error(request, problem.message)
    else:
        declared, voided = export.declarations.count(), export.voids.count()
        told = plural(declared, "new declaration") + (f" and {plural(voided, 'void')}" if voided else "")
        messages.success(
            request,
            f"Exported {told}. Download the file from “Exports made” below and send it to DfE: the JSON for the "
            "Lead Provider API, or the CSV to check in a spreadsheet.",
        )
    return redirect("declarations", slug=provider.slug)


def _export(request: HttpRequest, slug: str, pk: int) -> DeclarationExport:
    provider = provider_get(user=request.user, slug=slug, action=Action.VIEW_METRICS)
    return declarations.declaration_export_get(user=request.user, provider=provider, pk=pk)


@never_cache
@login_required
def export_json(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The export in DfE's request shape, the same bytes each time it is downloaded."""
    export = _export(request, slug, pk)
    body = json.dumps(declarations.export_batch(export).payload(), indent=2, ensure_ascii=False)
    return HttpResponse(
        body + "\n",
        content_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{declarations.export_filename(export, "json")}"',
            # Personal data: no shared cache may keep a copy.
            "Cache-Control": "private, no-store",
        },
    )


@never_cache
@login_required
def export_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The same export as a CSV, with the person and cohort of each row for checking."""
    export = _export(request, slug, pk)
    return csv_response(
        declarations.export_filename(export, "csv"),
        declarations.CSV_HEADER,
        declarations.export_batch(export).csv_rows(),
    )
