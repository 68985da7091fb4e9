"""History of changes (the audit trail, issue 9): a provider's page for its admins and platform staff, a page of
every provider's for platform staff, and the same filtered history as a CSV. Read-only: events are written by
the services that make the changes (audit/services.py)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from audit import selectors
from audit.forms import HistoryFilterForm
from audit.models import AuditEvent
from audit.wording import describe
from npqel.access import require_platform_staff
from npqel.exports import csv_response
from programmes.models import Provider


def _query(form: HistoryFilterForm, **extra: object) -> str:
    """The filters as a query string (without the page unless given), for page links and the CSV link."""
    values = {
        name: value
        for name, value in (form.data.items() if form.is_bound else [])
        if name not in ("page", *extra) and value
    }
    values.update({name: value for name, value in extra.items() if value})
    return urlencode(values)


def _rows(events: list[AuditEvent]) -> list[tuple[AuditEvent, object]]:
    return [(event, describe(event)) for event in events]


def _history(request: HttpRequest, provider: Provider | None) -> HttpResponse:
    form = HistoryFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    page = (
        selectors.history_page(
            user=request.user, provider=provider, filters=form.filters(), page=form.page_number
        )
        if valid
        else None
    )
    return render(
        request,
        "audit/history.html",
        {
            "provider": provider,
            "form": form,
            "filtered": form.is_bound and form.filters().any,
            "page": page,
            "rows": _rows(page.events) if page else [],
            "previous_query": _query(form, page=page.number - 1 if page and page.number > 2 else None),
            "next_query": _query(form, page=page.number + 1 if page else None),
            "csv_query": _query(form),
            "page_size": selectors.PAGE_SIZE,
        },
        status=200 if valid else 400,
    )


@never_cache
@login_required
def provider_history(request: HttpRequest, slug: str) -> HttpResponse:
    """Every change to the provider's enrolments, attendance, submissions, marking, moderation and results,
    newest first, 50 a page, with filters."""
    return _history(request, selectors.history_provider(user=request.user, slug=slug))


@never_cache
@login_required
def platform_history(request: HttpRequest) -> HttpResponse:
    """The same for every provider at once: platform staff only."""
    require_platform_staff(request.user)
    return _history(request, None)


def _csv(request: HttpRequest, provider: Provider | None) -> HttpResponse:
    form = HistoryFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        problems = " ".join(error for errors in form.errors.values() for error in errors)
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    events = selectors.audit_events(user=request.user, provider=provider, filters=form.filters())
    header = [
        "When (UK time)",
        "Who",
        *(["Provider"] if provider is None else []),
        "What happened",
        "Before",
        "After",
        "Kind of object",
        "Object id",
        "Action",
    ]

    def rows():
        taken = 0
        for event in events.iterator(chunk_size=2000):
            if taken == selectors.CSV_LIMIT:
                yield [
                    f"Only the newest {selectors.CSV_LIMIT:,} changes are in this file: choose dates to see more."
                ]
                return
            taken += 1
            described = describe(event)
            yield [
                timezone.localtime(event.at),
                event.actor_label,
                *([event.provider.name if event.provider else ""] if provider is None else []),
                described.sentence,
                "; ".join(f"{c.label}: {c.before}" for c in described.changes if c.before is not None),
                "; ".join(
                    f"{c.label}: {c.after if c.after is not None else 'none'}" for c in described.changes
                ),
                event.object_type,
                event.object_id,
                event.action,
            ]

    name = f"history-{provider.slug if provider else 'all-providers'}-{timezone.localdate():%Y-%m-%d}.csv"
    return csv_response(name, header, rows())


@never_cache
@login_required
def provider_history_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The provider's history, filtered as on the page, as a CSV (newest first)."""
    return _csv(request, selectors.history_provider(user=request.user, slug=slug))


@never_cache
@login_required
def platform_history_csv(request: HttpRequest) -> HttpResponse:
    """Every provider's history, filtered as on the page, as a CSV: platform staff only."""
    require_platform_staff(request.user)
    return _csv(request, None)
