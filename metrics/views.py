"""A provider's DfE quality metrics as providers publish them (issue 8): up to three recruitment years side by
side, one table per metric (rows are the measures, columns the years), a status against each DfE goal, and for
metric 7 each breakdown's verdicts with its group tables. The page, its CSV and its PDF show the same tables,
built once here from `metrics_report(..., publish=True)`: small groups are suppressed in all three, as in
anything published.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.cache import never_cache

from metrics.compute import Records, recruitment_years
from metrics.models import MetricSnapshot
from metrics.services import check_year, snapshots_for_publishing
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.exports import csv_response
from programmes.models import Programme, Provider
from programmes.selectors import programme_list, provider_get

SIDE_BY_SIDE = 3  # the layout providers publish: three recruitment years
NOT_AVAILABLE = "Not available"
NOT_SHOWN = "Not shown"
MET, NOT_MET = "Met", "Not met"
TAG_CLASS = {MET: "govuk-tag--green", NOT_MET: "govuk-tag--red", NOT_AVAILABLE: "govuk-tag--grey"}

PERCENT, COUNT, RATING = "%", "people", "out of 10"


# Formatting -----------------------------------------------------------------------------------------------


def _figure(value: float | int | None, unit: str) -> str:
    """A figure as the tables print it: percentages and ratings to 2 dp, people as whole numbers."""
    if value is None:
        return NOT_AVAILABLE
    if unit == PERCENT:
        return f"{value:,.2f}%"
    if unit == RATING:
        return f"{value:,.2f}"
    return f"{value:,}"


def _status(value: object, goal: Callable[[object], bool]) -> str:
    return NOT_AVAILABLE if value is None else (MET if goal(value) else NOT_MET)


def _when(moment: datetime.datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "j F Y, H:i")


# The tables -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One measure across the years: its label, its unit and a figure per year (None: not available)."""

    label: str
    unit: str
    values: tuple[float | int | None, ...]

    @property
    def cells(self) -> list[str]:
        return [_figure(value, self.unit) for value in self.values]


@dataclass(frozen=True)
class Table:
    number: int
    title: str
    rows: list[Row]
    goal: str = ""


@dataclass(frozen=True)
class Goal:
    """A DfE goal and its status each year: Met, Not met or Not available."""

    label: str
    statuses: list[str]

    @property
    def tags(self) -> list[tuple[str, str]]:
        return [(status, TAG_CLASS[status]) for status in self.statuses]


@dataclass(frozen=True)
class GroupTable:
    """One breakdown's groups in one year: for each group, a cell per measure; and each measure's test."""

    year: str
    measures: list[str]  # column headings, e.g. "Retention (retained of started)"
    rows: list[tuple[str, list[str]]]  # (group, a cell per measure)
    tests: list[tuple[str, str]]  # (measure, the test in words)


@dataclass(frozen=True)
class Breakdown:
    """Metric 7 for one breakdown: the verdict of each measure per year, and the group tables."""

    label: str
    verdicts: list[tuple[str, list[str]]]  # (measure, verdict per year)
    tables: list[GroupTable]


@dataclass(frozen=True)
class Metrics:
    provider: Provider
    programme: Programme | None
    years: list[str]
    tables: list[Table]
    goals: list[Goal]
    breakdowns: list[Breakdown]
    computed_at: datetime.datetime = field(default_factory=timezone.now)
    # The snapshot each year's figures come from (downloads and the public page); empty when computed live.
    snapshots: list[MetricSnapshot] = field(default_factory=list)

    @property
    def traced_to(self) -> str:
        """Where the figures come from, in words, for anything published."""
        if not self.snapshots:
            return ""
        each = "; ".join(
            f"{s.recruitment_year}: snapshot {s.pk} of {_when(s.computed_at)}" for s in self.snapshots
        )
        return f"Figures from the platform's dated snapshots ({each})."


def _pick(reports: Sequence[dict], path: str) -> tuple[float | int | None, ...]:
    section, key = path.split(".")
    return tuple(report[section][key] for report in reports)


def _row(reports: Sequence[dict], label: str, path: str, unit: str) -> Row:
    return Row(label, unit, _pick(reports, path))


def _share_rows(reports: Sequence[dict], section: str, who: str) -> list[Row]:
    return [
        _row(reports, "Target share", f"{section}.target_percent", PERCENT),
        _row(reports, f"Recruited {who}", f"{section}.count", COUNT),
        _row(reports, "Actual share", f"{section}.percent", PERCENT),
        _row(reports, "Percentage of target", f"{section}.percent_of_target", PERCENT),
    ]


def _tables(reports: Sequence[dict]) -> list[Table]:
    """Metrics 1 to 7 (overall) in the layout providers publish."""
    return [
        Table(
            1,
            "Recruitment",
            [
                _row(reports, "Recruitment target", "recruitment.target", COUNT),
                _row(reports, "Recruited", "recruitment.recruited", COUNT),
                _row(reports, "Percentage of target", "recruitment.percent_of_target", PERCENT),
            ],
            "100% of the recruitment target or more",
        ),
        Table(
            2,
            "Participants from schools with 30% or more pupils eligible for free school meals",
            _share_rows(reports, "fsm", "from these schools"),
        ),
        Table(
            3,
            "Participants from groups other than White British",
            _share_rows(reports, "non_white_british", "from these groups"),
        ),
        Table(
            4,
            "Presentation for final assessment within the deadline",
            [
                _row(reports, "Presented for final assessment", "presentation.presented", COUNT),
                _row(reports, "Presented within the deadline", "presentation.within_deadline", COUNT),
                _row(reports, "Percentage within the deadline", "presentation.percent", PERCENT),
            ],
            "90% or more within the deadline",
        ),
        Table(
            5,
            "Assessment accuracy",
            [
                _row(reports, "Assessments made", "accuracy.assessments", COUNT),
                _row(reports, "Moderated by the quality assurance agent", "accuracy.moderated", COUNT),
                _row(reports, "Percentage moderated", "accuracy.moderated_percent", PERCENT),
                _row(reports, "Moderator agreed the outcome", "accuracy.agreed", COUNT),
                _row(reports, "Accuracy", "accuracy.accuracy_percent", PERCENT),
            ],
            "95% accuracy or more",
        ),
        Table(
            6,
            "Participant feedback",
            [
                _row(reports, "Ratings received", "feedback.responses", COUNT),
                _row(reports, "Mean rating (0 to 10)", "feedback.mean_rating", RATING),
            ],
            "a mean rating of 6 or more",
        ),
        Table(
            7,
            "Retention, deferral and achievement",
            [
                _row(reports, "Started", "retention.started", COUNT),
                _row(reports, "Withdrawn", "retention.withdrawn", COUNT),
                _row(reports, "Retention", "retention.retention_percent", PERCENT),
                _row(reports, "Deferred", "retention.deferred", COUNT),
                _row(reports, "Deferral", "retention.deferred_percent", PERCENT),
                _row(reports, "Submitted for final assessment", "retention.submitted", COUNT),
                _row(reports, "Passed", "retention.passed", COUNT),
                _row(reports, "Achievement", "retention.achievement_percent", PERCENT),
            ],
            "no significant difference between groups",
        ),
    ]


# DfE's goals: (label, the figure it is judged on, the test), judged on the figures as published (two decimals).
GOALS: list[tuple[str, str, Callable[[object], bool]]] = [
    ("Recruitment: 100% of target or more", "recruitment.percent_of_target", lambda v: v >= 100),
    ("Presentation: 90% or more within the deadline", "presentation.percent", lambda v: v >= 90),
    ("Assessment accuracy: 95% or more", "accuracy.accuracy_percent", lambda v: v >= 95),
    ("Participant feedback: a mean rating of 6 or more", "feedback.mean_rating", lambda v: v >= 6),
    ("No significant difference between groups", "groups.any_significant_difference", lambda v: not v),
]


def goal_status(report: dict, path: str, goal: Callable[[object], bool]) -> str:
    return _status(_pick([report], path)[0], goal)


def _goals(reports: Sequence[dict]) -> list[Goal]:
    return [
        Goal(label, [goal_status(report, path, goal) for report in reports]) for label, path, goal in GOALS
    ]


def _group_cell(group: dict) -> str:
    if group["suppressed"]:
        return NOT_SHOWN
    return f"{group['numerator']:,} of {group['denominator']:,} ({_figure(group['percent'], PERCENT)})"


def _test_words(test: dict) -> str:
    words = [test["verdict"]]
    if test["test"]:
        words.append(f"Test used: {test['test']}")
    if test["note"]:
        words.append(test["note"])
    return " ".join(word if word.endswith(".") else f"{word}." for word in words)


def _breakdowns(reports: Sequence[dict], years: Sequence[str]) -> list[Breakdown]:
    """Metric 7 by group: each breakdown's verdicts per measure and year, and its group table per year."""
    from metrics.groups import BREAKDOWNS, MEASURES

    first = reports[0]["groups"]["breakdowns"]
    breakdowns = []
    # In the order metrics/groups.py defines them: a snapshot's JSON comes back from PostgreSQL (jsonb) with
    # its keys in another order.
    for key in [b.key for b in BREAKDOWNS if b.key in first]:
        breakdown = first[key]
        measure_keys = [m.key for m in MEASURES if m.key in breakdown["measures"]]
        verdicts = [
            (
                breakdown["measures"][measure]["label"],
                [
                    report["groups"]["breakdowns"][key]["measures"][measure]["test"]["verdict"]
                    for report in reports
                ],
            )
            for measure in measure_keys
        ]
        tables = []
        for year, report in zip(years, reports, strict=True):
            measures = report["groups"]["breakdowns"][key]["measures"]
            columns = [measures[m] for m in measure_keys]
            groups = [g["group"] for g in columns[0]["groups"]]
            tables.append(
                GroupTable(
                    year=year,
                    measures=[
                        f"{m['label']} ({m['numerator_label']} of {m['denominator_label']})" for m in columns
                    ],
                    rows=[
                        (group, [_group_cell(m["groups"][i]) for m in columns])
                        for i, group in enumerate(groups)
                    ],
                    tests=[(m["label"], _test_words(m["test"])) for m in columns],
                )
            )
        breakdowns.append(Breakdown(breakdown["label"], verdicts, tables))
    return breakdowns


def metrics_tables(*, provider: Provider, years: Sequence[str], programme: Programme | None) -> Metrics:
    """The published tables of `years` (oldest first), computed now from one reading of the records: a fixed
    number of queries however many years and places."""
    records = Records.read(provider, years)
    reports = [records.reports(year, programme)[1] for year in years]
    return _metrics(provider, programme, list(years), reports)


def metrics_tables_from(snapshots: Sequence[MetricSnapshot], *, provider: Provider) -> Metrics:
    """The published tables of these snapshots (one per year, oldest first), as they were computed."""
    return _metrics(
        provider,
        snapshots[0].programme if snapshots else None,
        [snapshot.recruitment_year for snapshot in snapshots],
        [snapshot.published for snapshot in snapshots],
        snapshots=list(snapshots),
    )


def _metrics(
    provider: Provider,
    programme: Programme | None,
    years: list[str],
    reports: Sequence[dict],
    *,
    snapshots: list[MetricSnapshot] | None = None,
) -> Metrics:
    extra = {}
    if snapshots:
        extra = {"snapshots": snapshots, "computed_at": max(s.computed_at for s in snapshots)}
    return Metrics(
        provider=provider,
        programme=programme,
        years=years,
        tables=_tables(reports),
        goals=_goals(reports),
        breakdowns=_breakdowns(reports, years),
        **extra,
    )


def published_metrics(*, provider: Provider, years: Sequence[str], programme: Programme | None) -> Metrics:
    """What a download shows: the tables of each year's standing snapshot, taken now where a figure changed."""
    snapshots = snapshots_for_publishing(provider=provider, years=list(years), programme=programme)
    return metrics_tables_from(snapshots, provider=provider)


# What is asked for --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    provider: Provider
    years: list[str]  # oldest first
    programme: Programme | None
    available: list[str]  # every recruitment year with cohorts, newest first
    programmes: list[Programme]


def _choice(request: HttpRequest, slug: str) -> tuple[Choice, str | None]:
    """The provider (403/404 by access), the years and programme asked for, and what was wrong with the
    request, if anything (then the latest years, all programmes)."""
    provider = provider_get(user=request.user, slug=slug, action=Action.VIEW_METRICS)
    available = recruitment_years(provider)
    programmes = list(programme_list(user=request.user, provider=provider))
    latest = sorted(available[:SIDE_BY_SIDE])
    asked = [
        year.strip() for text in request.GET.getlist("years") for year in text.split(",") if year.strip()
    ]
    code = request.GET.get("programme", "").strip()
    try:
        years = sorted({check_year(year) for year in asked}) if asked else latest
        if len(years) > SIDE_BY_SIDE:
            raise DomainError(f"Choose up to {SIDE_BY_SIDE} recruitment years to show side by side.")
        programme = None
        if code:
            programme = next((p for p in programmes if p.code.lower() == code.lower()), None)
            if programme is None:
                raise DomainError(
                    f"{provider.name} has no programme with the code “{code}”. Choose one from the list."
                )
    except DomainError as problem:
        return Choice(provider, latest, None, available, programmes), problem.message
    return Choice(provider, years, programme, available, programmes), None


def _download_choice(request: HttpRequest, slug: str) -> tuple[Choice, str | None]:
    choice, problem = _choice(request, slug)
    if not problem and not choice.years:
        problem = f"{choice.provider.name} has no cohorts yet, so there are no metrics to download."
    return choice, problem


def _filename(choice: Choice, extension: str) -> str:
    years = "-".join(year.replace("/", "-") for year in choice.years) or "no-years"
    scope = f"-{choice.programme.code}" if choice.programme else ""
    return f"{choice.provider.slug}{scope}-dfe-metrics-{years}.{extension}"


def _query(choice: Choice) -> str:
    params = {"years": ",".join(choice.years)}
    if choice.programme:
        params["programme"] = choice.programme.code
    return urlencode(params)


# Views ------------------------------------------------------------------------------------------------------


@never_cache
@login_required
def metrics_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The provider's DfE quality metrics, up to three recruitment years side by side."""
    choice, problem = _choice(request, slug)
    metrics = (
        metrics_tables(provider=choice.provider, years=choice.years, programme=choice.programme)
        if choice.years
        else None
    )
    return render(
        request,
        "metrics/metrics.html",
        {
            "provider": choice.provider,
            "choice": choice,
            "problem": problem,
            "metrics": metrics,
            "query": _query(choice),
            "can_recompute": access_for(request.user).may(Action.MANAGE_TARGETS, choice.provider.pk),
            "can_publish": access_for(request.user).may(Action.PUBLISH_METRICS, choice.provider.pk),
            "public_url": request.build_absolute_uri(reverse("metrics_public", args=[choice.provider.slug])),
        },
        status=400 if problem else 200,
    )


@never_cache
@login_required
def metrics_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The same tables as a CSV: a row per metric and measure, a column per year."""
    choice, problem = _download_choice(request, slug)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    metrics = published_metrics(provider=choice.provider, years=choice.years, programme=choice.programme)
    return csv_response(_filename(choice, "csv"), ["Metric", "Measure", *metrics.years], _csv_rows(metrics))


def _csv_rows(metrics: Metrics) -> list[list[object]]:
    rows: list[list[object]] = []
    for table in metrics.tables:
        for row in table.rows:
            rows.append([f"{table.number}. {table.title}", row.label, *row.cells])
    for goal in metrics.goals:
        rows.append(["DfE goals", goal.label, *goal.statuses])
    for breakdown in metrics.breakdowns:
        metric = f"7. By group: {breakdown.label}"
        for measure, verdicts in breakdown.verdicts:
            rows.append([metric, f"{measure}: verdict", *verdicts])
        for column, measure in enumerate(breakdown.tables[0].measures if breakdown.tables else []):
            for index, (group, _) in enumerate(breakdown.tables[0].rows):
                cells = [table.rows[index][1][column] for table in breakdown.tables]
                rows.append([metric, f"{measure}: {group}", *cells])
    if metrics.snapshots:
        rows.append(["Source", "Snapshot", *(snapshot.pk for snapshot in metrics.snapshots)])
        rows.append(
            [
                "Source",
                "Computed at (UK time)",
                *(f"{timezone.localtime(s.computed_at):%Y-%m-%d %H:%M}" for s in metrics.snapshots),
            ]
        )
    return rows


@never_cache
@login_required
def metrics_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The same tables as a publishable A4 PDF."""
    choice, problem = _download_choice(request, slug)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    metrics = published_metrics(provider=choice.provider, years=choice.years, programme=choice.programme)
    return HttpResponse(
        _pdf("metrics/metrics_pdf.html", {"metrics": metrics}),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{_filename(choice, "pdf")}"'},
    )


def metrics_pdf_bytes(
    *, provider: Provider, recruitment_year: str, programme: Programme | None = None
) -> bytes:
    """The publishable PDF of one recruitment year (manage.py metrics_report --format pdf), from its standing
    snapshot."""
    metrics = published_metrics(provider=provider, years=[recruitment_year], programme=programme)
    return _pdf("metrics/metrics_pdf.html", {"metrics": metrics})


def _pdf(template: str, context: dict[str, object]) -> bytes:
    import weasyprint  # slow to import: only requests that draw a PDF pay for it
    from django.template.loader import render_to_string

    # Nothing to fetch: the template carries its own styles and refers to no image, font or stylesheet.
    return weasyprint.HTML(string=render_to_string(template, context)).write_pdf()
