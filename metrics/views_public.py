"""The metrics pages outside one provider's own (issue 8): the public page of a provider that publishes its
tables, the provider admin's choice to publish, and platform staff's comparison of every provider.

Both pages read stored snapshots only (metrics/selectors.py): a visitor or a page of forty providers never
makes the platform compute anything.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from metrics import selectors, services
from metrics.views import (
    COUNT,
    GOALS,
    PERCENT,
    RATING,
    SIDE_BY_SIDE,
    TAG_CLASS,
    _figure,
    _pick,
    goal_status,
    metrics_tables_from,
)
from npqel.access import Action
from npqel.errors import DomainError
from programmes.selectors import provider_get


def public_metrics(request: HttpRequest, slug: str) -> HttpResponse:
    """A provider's published tables, for anyone: the latest snapshot of each of its latest three years."""
    provider = selectors.published_provider_get(slug=slug)
    snapshots = selectors.latest_published(provider=provider, years=SIDE_BY_SIDE)
    metrics = metrics_tables_from(snapshots, provider=provider) if snapshots else None
    return render(request, "metrics/public.html", {"provider": provider, "metrics": metrics})


@login_required
@require_POST
def publishing(request: HttpRequest, slug: str) -> HttpResponse:
    """Turn the provider's public metrics page on or off."""
    provider = provider_get(user=request.user, slug=slug, action=Action.VIEW_METRICS)
    public = request.POST.get("public") == "yes"
    try:
        provider = services.metrics_publishing_set(by=request.user, provider=provider, public=public)
    except DomainError as problem:
        messages.error(request, problem.message)
        return redirect("metrics", slug=provider.slug)
    if provider.metrics_public:
        messages.success(
            request,
            "Your published tables are now public. Share the address on this page; the figures there are "
            "the latest dated snapshot of each year.",
        )
    else:
        messages.success(request, "Your metrics are no longer public. The public address now says not found.")
    return redirect("metrics", slug=provider.slug)


# Platform staff: every provider side by side ----------------------------------------------------------------

COLUMNS: list[tuple[str, str, str]] = [
    ("Recruitment, % of target", "recruitment.percent_of_target", PERCENT),
    ("FSM 30%+ schools, share", "fsm.percent", PERCENT),
    ("Non-White British, share", "non_white_british.percent", PERCENT),
    ("Presented within the deadline", "presentation.percent", PERCENT),
    ("Assessment accuracy", "accuracy.accuracy_percent", PERCENT),
    ("Mean feedback rating", "feedback.mean_rating", RATING),
    ("Retention", "retention.retention_percent", PERCENT),
    ("Achievement", "retention.achievement_percent", PERCENT),
    ("Recruited", "recruitment.recruited", COUNT),
]
# Which column each goal's status is shown beside.
GOAL_OF_COLUMN = {path: (path, goal) for _, path, goal in GOALS}


@dataclass(frozen=True)
class Cell:
    text: str
    status: str = ""  # Met, Not met, Not available, or "" for a figure with no goal

    @property
    def tag(self) -> str:
        return TAG_CLASS.get(self.status, "")


@dataclass(frozen=True)
class ProviderRow:
    row: selectors.ProviderYear
    cells: list[Cell]
    difference: Cell | None


def _provider_row(row: selectors.ProviderYear) -> ProviderRow:
    if row.snapshot is None:
        return ProviderRow(row, [], None)
    report = row.snapshot.published
    cells = []
    for _, path, unit in COLUMNS:
        value = _pick([report], path)[0]
        goal = GOAL_OF_COLUMN.get(path)
        cells.append(Cell(_figure(value, unit), goal_status(report, *goal) if goal else ""))
    label, path, goal = GOALS[-1]
    status = goal_status(report, path, goal)
    difference = Cell({"Met": "None found", "Not met": "Found"}.get(status, status), status)
    return ProviderRow(row, cells, difference)


@login_required
def providers_side_by_side(request: HttpRequest) -> HttpResponse:
    """Platform staff: one recruitment year's headline figures of every provider, from their latest snapshots."""
    years = selectors.snapshot_years(user=request.user)
    year = request.GET.get("year", "").strip() or (years[0] if years else "")
    problem = None
    if year and year not in years:
        problem = f"No provider has a snapshot of {year}. Choose a year from the list."
        year = years[0] if years else ""
    rows = (
        [
            _provider_row(row)
            for row in selectors.providers_side_by_side(user=request.user, recruitment_year=year)
        ]
        if year
        else []
    )
    return render(
        request,
        "metrics/overview.html",
        {
            "years": years,
            "year": year,
            "problem": problem,
            "columns": [label for label, _, _ in COLUMNS],
            "rows": rows,
            "missing": sum(1 for row in rows if row.row.snapshot is None),
        },
        status=400 if problem else 200,
    )
