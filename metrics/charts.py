"""Trend charts of the DfE quality metrics (issue 8): one chart per headline measure that DfE sets a goal or a
target for, drawn from the published tables (metrics.views.Metrics) as inline SVG, with the tables as their
accessible alternative.

Pure functions: no query, no request. The years run along the x axis, each measure's figures are points joined
by lines (a trend across at most three years reads better as a line than as bars, and a goal reads as a line
across it); a figure that is not available is a gap, never a 0. The goal or target is the only dashed line on
its chart. Series differ by marker shape as well as colour, and every colour is a GOV.UK palette colour with at
least 3:1 contrast against white. The SVG carries presentation attributes only (no `style`), so a
Content-Security-Policy without 'unsafe-inline' allows it; everything is built with format_html, so nothing
from the data reaches the page unescaped.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import ceil, floor, log10
from typing import TYPE_CHECKING

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from metrics.views import Metrics, Row, Table

PERCENT, RATING = "%", "out of 10"  # the units of metrics.views.Row that are charted

# GOV.UK Frontend palette colours, each at least 3:1 against white (WCAG 1.4.11, non-text contrast).
BLUE, PURPLE, GREEN, BLACK = "#1d70b8", "#54319f", "#0f7a52", "#0b0c0c"
DARK_GREY, MID_GREY, WHITE = "#484949", "#cecece", "#ffffff"  # text beside figures; grid lines (decoration)
GOAL_DASH = "8 5"

# The drawing, in SVG user units (the SVG scales to its column; its text scales with it).
WIDTH = 400
LEFT, RIGHT = 52, 16  # room for the tick labels on the left
LEGEND_ROW = 20
PLOT_HEIGHT = 170
FONT_SIZE = 13


@dataclass(frozen=True)
class Style:
    colour: str
    marker: str  # circle, square, triangle or diamond
    dash: str = ""  # a stroke-dasharray; "" for a solid line
    hollow: bool = False


MEASURE = Style(BLUE, "circle")
TARGET = Style(BLACK, "diamond", GOAL_DASH, hollow=True)


@dataclass(frozen=True)
class Series:
    """A measure to plot: its name in the summary, its row in the tables, and its name in the legend if shorter."""

    name: str
    table: int
    row: str  # the row's label in that table (metrics.views)
    style: Style
    legend: str = ""


@dataclass(frozen=True)
class Spec:
    key: str
    table: int  # the table that gives the same figures
    title: str
    unit: str
    series: tuple[Series, ...]
    goal: float | None = None  # a fixed goal, drawn across the chart
    goal_name: str = ""  # in the legend
    goal_words: str = ""  # the sentence after the figures in the summary
    least_top: float = 100  # the scale shows at least 0 to this


def _share(key: str, table: int, title: str, who: str) -> Spec:
    return Spec(
        key,
        table,
        title,
        PERCENT,
        (
            Series(f"Actual share {who}", table, "Actual share", MEASURE, legend="Actual share"),
            Series("Target share", table, "Target share", TARGET),
        ),
        goal_words="The aim: an actual share at or above the target share.",
    )


SPECS = (
    Spec(
        "recruitment",
        1,
        "Recruitment as a percentage of the target",
        PERCENT,
        (
            Series(
                "Recruitment as a percentage of the target",
                1,
                "Percentage of target",
                MEASURE,
                legend="Percentage of target",
            ),
        ),
        goal=100,
        goal_name="Goal: 100% or more",
        goal_words="Goal: 100% of the target or more.",
    ),
    _share(
        "fsm",
        2,
        "Share from schools with 30% or more pupils eligible for free school meals",
        "from schools with 30% or more pupils eligible for free school meals",
    ),
    _share(
        "non-white-british",
        3,
        "Share from groups other than White British",
        "from groups other than White British",
    ),
    Spec(
        "presentation",
        4,
        "Presentation for final assessment within the deadline",
        PERCENT,
        (
            Series(
                "Presentation within the deadline",
                4,
                "Percentage within the deadline",
                MEASURE,
                legend="Within the deadline",
            ),
        ),
        goal=90,
        goal_name="Goal: 90% or more",
        goal_words="Goal: 90% or more.",
    ),
    Spec(
        "accuracy",
        5,
        "Assessment accuracy",
        PERCENT,
        (Series("Assessment accuracy", 5, "Accuracy", MEASURE),),
        goal=95,
        goal_name="Goal: 95% or more",
        goal_words="Goal: 95% or more.",
    ),
    Spec(
        "feedback",
        6,
        "Participant feedback: mean rating out of 10",
        RATING,
        (Series("Mean rating out of 10", 6, "Mean rating (0 to 10)", MEASURE, legend="Mean rating"),),
        goal=6,
        goal_name="Goal: 6 or more",
        goal_words="Goal: a mean rating of 6 or more.",
        least_top=10,
    ),
    Spec(
        "retention",
        7,
        "Retention, deferral and achievement",
        PERCENT,
        (
            Series("Retention", 7, "Retention", MEASURE),
            Series("Deferral", 7, "Deferral", Style(PURPLE, "square")),
            Series("Achievement", 7, "Achievement", Style(GREEN, "triangle")),
        ),
        goal_words="DfE's goal here is no significant difference between groups: see “7. By group”.",
    ),
)


# What the templates get -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One plotted series: its names, its style and a figure per year (None: not available) as the table prints
    it."""

    name: str
    legend: str
    style: Style
    values: tuple[float | None, ...]
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Scale:
    """Where a year and a figure sit on the drawing."""

    years: int
    top: float  # the figure at the top of the plot (the bottom is 0)
    step: float  # between ticks
    plot_top: float

    @property
    def plot_bottom(self) -> float:
        return self.plot_top + PLOT_HEIGHT

    @property
    def ticks(self) -> list[float]:
        return [self.step * n for n in range(round(self.top / self.step) + 1)]

    def x(self, index: int) -> float:
        """The middle of the year's band."""
        return LEFT + (index + 0.5) * (WIDTH - LEFT - RIGHT) / self.years

    def y(self, value: float) -> float:
        return self.plot_bottom - PLOT_HEIGHT * float(value) / self.top


@dataclass(frozen=True)
class Chart:
    id: str  # unique on the page: the SVG's title is f"{id}-title", the summary's paragraph f"{id}-summary"
    title: str
    table_number: int
    table_title: str  # the table that gives the same figures
    lines: tuple[Line, ...]
    goal: float | None
    scale: Scale
    svg: SafeString
    summary: str  # plain words: each series' figures in each year, then the goal


def metric_charts(metrics: "Metrics") -> list[Chart]:
    """The trend charts of `metrics`, in the order of its tables."""
    tables = {table.number: table for table in metrics.tables}
    return [_chart(spec, tables, metrics.years) for spec in SPECS]


def _row(tables: "dict[int, Table]", table: int, label: str) -> "Row":
    for row in tables[table].rows:
        if row.label == label:
            return row
    raise LookupError(
        f"Table {table} has no row {label!r}: metrics/charts.py SPECS must follow metrics/views.py."
    )


def _chart(spec: Spec, tables: "dict[int, Table]", years: Sequence[str]) -> Chart:
    lines = []
    for series in spec.series:
        row = _row(tables, series.table, series.row)
        lines.append(
            Line(
                series.name,
                series.legend or series.name,
                series.style,
                tuple(None if value is None else float(value) for value in row.values),
                tuple(row.cells),
            )
        )
    figures = [value for line in lines for value in line.values if value is not None]
    if spec.goal is not None:
        figures.append(spec.goal)
    top, step = _nice_top(max([spec.least_top, *figures]))
    legend = len(lines) + (spec.goal is not None)
    scale = Scale(years=len(years), top=top, step=step, plot_top=legend * LEGEND_ROW + 16)
    chart_id = f"trend-{spec.key}"
    return Chart(
        id=chart_id,
        title=spec.title,
        table_number=spec.table,
        table_title=tables[spec.table].title,
        lines=tuple(lines),
        goal=spec.goal,
        scale=scale,
        svg=_svg(chart_id, spec, lines, scale, years),
        summary=_summary(spec, lines, years),
    )


def _nice_top(most: float) -> tuple[float, float]:
    """The top of the scale and the step between ticks: at most five steps of 1, 2, 2.5 or 5 times a power of
    ten, reaching `most` or more (125 → 0 to 125 in 25s; 130 → 0 to 150 in 50s)."""
    power = 10 ** floor(log10(most / 5))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if ceil(most / step - 1e-9) <= 5:
            return ceil(most / step - 1e-9) * step, step
    raise AssertionError("unreachable: a step of 10 × power always fits")  # pragma: no cover


def _summary(spec: Spec, lines: Sequence[Line], years: Sequence[str]) -> str:
    sentences = []
    for line in lines:
        if all(value is None for value in line.values):
            sentences.append(f"{line.name}: not available in any year shown.")
            continue
        figures = ", ".join(
            f"{'not available' if value is None else cell} in {year}"
            for value, cell, year in zip(line.values, line.cells, years, strict=True)
        )
        sentences.append(f"{line.name}: {figures}.")
    sentences.append(spec.goal_words)
    return " ".join(sentences)


# The SVG ------------------------------------------------------------------------------------------------------


def _n(value: float) -> str:
    """A coordinate: two decimals are finer than any screen or printer."""
    return f"{value:.2f}"


def _join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _tick_label(value: float, unit: str) -> str:
    figure = f"{value:g}"
    return f"{figure}%" if unit == PERCENT else figure


def _marker(style: Style, x: float, y: float, tooltip: str) -> SafeString:
    fill = WHITE if style.hollow else style.colour
    paint = format_html(
        'fill="{}" stroke="{}" stroke-width="{}"', fill, style.colour if style.hollow else WHITE, "2"
    )
    title = format_html("<title>{}</title>", tooltip)
    if style.marker == "square":
        return format_html(
            '<rect x="{}" y="{}" width="10" height="10" {}>{}</rect>', _n(x - 5), _n(y - 5), paint, title
        )
    if style.marker == "triangle":
        points = f"{_n(x)},{_n(y - 6)} {_n(x + 6.5)},{_n(y + 6)} {_n(x - 6.5)},{_n(y + 6)}"
        return format_html('<polygon points="{}" {}>{}</polygon>', points, paint, title)
    if style.marker == "diamond":
        points = f"{_n(x)},{_n(y - 6)} {_n(x + 6)},{_n(y)} {_n(x)},{_n(y + 6)} {_n(x - 6)},{_n(y)}"
        return format_html('<polygon points="{}" {}>{}</polygon>', points, paint, title)
    return format_html('<circle cx="{}" cy="{}" r="5.5" {}>{}</circle>', _n(x), _n(y), paint, title)


def _stroke(style: Style) -> SafeString:
    if style.dash:
        return format_html('stroke="{}" stroke-width="2.5" stroke-dasharray="{}"', style.colour, style.dash)
    return format_html('stroke="{}" stroke-width="2.5"', style.colour)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Unbroken runs of (year's index, figure): a line joins a run; a missing figure breaks it."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return runs


def _legend(spec: Spec, lines: Sequence[Line]) -> SafeString:
    entries = []
    y = 14.0
    for line in lines:
        entries.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" {}/>{}<text x="{}" y="{}">{}</text>',
                LEFT,
                _n(y),
                LEFT + 32,
                _n(y),
                _stroke(line.style),
                _marker(line.style, LEFT + 16, y, line.legend),
                LEFT + 42,
                _n(y + 4.5),
                line.legend,
            )
        )
        y += LEGEND_ROW
    if spec.goal is not None:
        entries.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" {}/><text x="{}" y="{}">{}</text>',
                LEFT,
                _n(y),
                LEFT + 32,
                _n(y),
                _stroke(Style(BLACK, "", GOAL_DASH)),
                LEFT + 42,
                _n(y + 4.5),
                spec.goal_name,
            )
        )
    return format_html('<g class="npqel-chart__legend" fill="{}">{}</g>', BLACK, _join(entries))


def _axes(spec: Spec, scale: Scale, years: Sequence[str], gaps: Sequence[int]) -> SafeString:
    grid = _join(
        format_html(
            '<line class="npqel-chart__tick" data-value="{}" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
            '<text x="{}" y="{}" text-anchor="end">{}</text>',
            f"{tick:g}",
            LEFT,
            _n(scale.y(tick)),
            WIDTH - RIGHT,
            _n(scale.y(tick)),
            MID_GREY if tick else BLACK,
            LEFT - 6,
            _n(scale.y(tick) + 4.5),
            _tick_label(tick, spec.unit),
        )
        for tick in scale.ticks
    )
    labels = _join(
        format_html(
            '<text class="npqel-chart__year" x="{}" y="{}" text-anchor="middle">{}</text>',
            _n(scale.x(index)),
            _n(scale.plot_bottom + 20),
            year,
        )
        for index, year in enumerate(years)
    )
    # Where nothing is plotted for a year, say so: an empty column could be misread as nothing at all.
    missing = _join(
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="{}">Not available</text>',
            _n(scale.x(index)),
            _n(scale.plot_bottom - 10),
            DARK_GREY,
        )
        for index in gaps
    )
    return format_html('<g class="npqel-chart__axes" fill="{}">{}{}{}</g>', BLACK, grid, labels, missing)


def _svg(chart_id: str, spec: Spec, lines: Sequence[Line], scale: Scale, years: Sequence[str]) -> SafeString:
    height = scale.plot_bottom + 32
    goal = (
        format_html(
            '<line class="npqel-chart__goal" x1="{}" y1="{}" x2="{}" y2="{}" {}/>',
            LEFT,
            _n(scale.y(spec.goal)),
            WIDTH - RIGHT,
            _n(scale.y(spec.goal)),
            _stroke(Style(BLACK, "", GOAL_DASH)),
        )
        if spec.goal is not None
        else ""
    )
    series = []
    for line in lines:
        polylines = _join(
            format_html(
                '<polyline fill="none" points="{}" {}/>',
                " ".join(f"{_n(scale.x(i))},{_n(scale.y(value))}" for i, value in run),
                _stroke(line.style),
            )
            for run in _runs(line.values)
            if len(run) > 1
        )
        markers = _join(
            _marker(line.style, scale.x(i), scale.y(value), f"{line.name}, {year}: {cell}")
            for i, (value, cell, year) in enumerate(zip(line.values, line.cells, years, strict=True))
            if value is not None
        )
        series.append(
            format_html(
                '<g class="npqel-chart__series" data-series="{}">{}{}</g>', line.name, polylines, markers
            )
        )
    gaps = [index for index in range(len(years)) if all(line.values[index] is None for line in lines)]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="npqel-chart__svg" viewBox="0 0 {} {}" width="{}" '
        'height="{}" role="img" aria-labelledby="{}-title" aria-describedby="{}-summary" font-size="{}">'
        '<title id="{}-title">{}</title>{}{}{}{}</svg>',
        WIDTH,
        _n(height),
        WIDTH,
        _n(height),
        chart_id,
        chart_id,
        FONT_SIZE,
        chart_id,
        spec.title,
        _legend(spec, lines),
        _axes(spec, scale, years, gaps),
        goal,
        _join(series),
    )
