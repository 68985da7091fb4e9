"""The trend charts of the DfE quality metrics (metrics/charts.py): each figure plotted where the chart's own scale
says, a figure that is not available left as a gap (never drawn as 0), the goal or target as a dashed line named
in the legend, words under each chart giving the figures as the table prints them, nothing from the data
unescaped, series told apart by more than colour, and the charts on the page (with 2 or more years) and in the
PDF. The figures are test_pages.py's, worked out by hand there."""

import io
from dataclasses import replace

import lxml.etree
import lxml.html
import pypdf
import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from metrics.charts import metric_charts
from metrics.views import Metrics, metrics_pdf_bytes, metrics_tables
from npqel.access import Role
from tests.metrics import test_pages
from tests.metrics.test_pages import YEARS, intake, page_of, place
from tests.people import person

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
MARKERS = (f"{SVG}circle", f"{SVG}rect", f"{SVG}polygon")

# test_pages.py's fixtures: one programme and four recruitment years with hand-worked figures.
programme = test_pages.programme
cohorts = test_pages.cohorts


@pytest.fixture
def published(provider, cohorts) -> Metrics:
    """The published tables of 2019/20 to 2021/22: recruitment 125.00%, 50.00%, not available; FSM share 20.00%,
    0.00%, 0.00% against a target of 40.00%, none, none; mean rating 7.50, 5.50, not available; retention
    100.00%, 60.00%, 100.00%; nobody presented, so presentation and accuracy are not available."""
    return metrics_tables(provider=provider, years=YEARS, programme=None)


def with_row(metrics: Metrics, number: int, label: str, values: tuple) -> Metrics:
    """`metrics` with one row's figures changed (its cells follow, as the table would print them)."""
    found = [
        row for table in metrics.tables if table.number == number for row in table.rows if row.label == label
    ]
    assert found, f"table {number} has no row {label!r}"
    tables = [
        replace(
            table, rows=[replace(row, values=values) if row.label == label else row for row in table.rows]
        )
        if table.number == number
        else table
        for table in metrics.tables
    ]
    return replace(metrics, tables=tables)


def charts_of(metrics: Metrics) -> dict:
    return {chart.id: chart for chart in metric_charts(metrics)}


def drawing(chart) -> lxml.etree._Element:
    return lxml.etree.fromstring(str(chart.svg).encode())  # well-formed XML, or this fails


def tick_y(svg, value: float) -> float:
    """Where the chart's own grid line for `value` is drawn."""
    (line,) = svg.findall(f".//{SVG}line[@data-value='{value:g}']")
    assert line.get("y1") == line.get("y2")
    return float(line.get("y1"))


def year_x(svg, year: str) -> float:
    (label,) = [
        text
        for text in svg.iter(f"{SVG}text")
        if text.get("class") == "npqel-chart__year" and text.text == year
    ]
    return float(label.get("x"))


def centre(marker) -> tuple[float, float]:
    if marker.tag == f"{SVG}circle":
        return float(marker.get("cx")), float(marker.get("cy"))
    if marker.tag == f"{SVG}rect":
        return (
            float(marker.get("x")) + float(marker.get("width")) / 2,
            float(marker.get("y")) + float(marker.get("height")) / 2,
        )
    points = [tuple(map(float, pair.split(","))) for pair in marker.get("points").split()]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def series(svg, name: str):
    (group,) = svg.findall(f".//{SVG}g[@data-series='{name}']")
    return group


def points(svg, name: str) -> list[tuple[float, float]]:
    return [centre(marker) for marker in series(svg, name) if marker.tag in MARKERS]


def lines(svg, name: str) -> list[list[tuple[float, float]]]:
    return [
        [tuple(map(float, pair.split(","))) for pair in polyline.get("points").split()]
        for polyline in series(svg, name).iter(f"{SVG}polyline")
    ]


def goal_line(svg):
    found = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "npqel-chart__goal"]
    return found[0] if found else None


def close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 0.01 and abs(a[1] - b[1]) < 0.01


def test_each_point_sits_where_its_figure_is_on_the_charts_own_scale(published):
    charts = charts_of(published)
    recruitment = drawing(charts["trend-recruitment"])
    ticks = [tick_y(recruitment, value) for value in (0, 25, 50, 75, 100, 125)]
    assert all(
        abs((ticks[n] - ticks[n + 1]) - (ticks[0] - ticks[1])) < 0.01 for n in range(5)
    )  # evenly spaced
    labels = [text.text for text in recruitment.iter(f"{SVG}text") if text.get("text-anchor") == "end"]
    assert labels == ["0%", "25%", "50%", "75%", "100%", "125%"]
    xs = [year_x(recruitment, year) for year in YEARS]
    assert xs[0] < xs[1] < xs[2] and abs((xs[1] - xs[0]) - (xs[2] - xs[1])) < 0.01
    # 125.00% on the 125% line above 2019/20, 50.00% on the 50% line above 2020/21, nothing for 2021/22.
    (first, second) = points(recruitment, "Recruitment as a percentage of the target")
    assert close(first, (xs[0], tick_y(recruitment, 125))) and close(second, (xs[1], tick_y(recruitment, 50)))
    assert lines(recruitment, "Recruitment as a percentage of the target") == [[first, second]]

    feedback = drawing(charts["trend-feedback"])
    six, eight, four = tick_y(feedback, 6), tick_y(feedback, 8), tick_y(feedback, 4)
    assert tick_y(feedback, 10) < eight < six < four < tick_y(feedback, 0)  # 0 to 10, upwards
    (high, low) = points(feedback, "Mean rating out of 10")
    assert close(
        high, (year_x(feedback, "2019/20"), six + 0.75 * (eight - six))
    )  # 7.50: ¾ of the way from 6 to 8
    assert close(low, (year_x(feedback, "2020/21"), four + 0.75 * (six - four)))  # 5.50

    retention = drawing(charts["trend-retention"])
    hundred, sixty = tick_y(retention, 100), tick_y(retention, 60)
    assert [y for _, y in points(retention, "Retention")] == pytest.approx(
        [hundred, sixty, hundred], abs=0.01
    )
    assert [y for _, y in points(retention, "Deferral")] == pytest.approx(
        [tick_y(retention, 0)] * 3, abs=0.01
    )


def test_a_figure_not_available_is_a_gap_never_a_zero(published):
    gap = with_row(published, 4, "Percentage within the deadline", (88.0, None, 91.5))
    svg = drawing(charts_of(gap)["trend-presentation"])
    name = "Presentation within the deadline"
    zero = tick_y(svg, 0)
    drawn = points(svg, name)
    assert [x for x, _ in drawn] == pytest.approx([year_x(svg, "2019/20"), year_x(svg, "2021/22")], abs=0.01)
    assert all(abs(y - zero) > 1 for _, y in drawn)  # nothing plotted at 0 for 2020/21
    assert lines(svg, name) == []  # and no line across the gap
    (missing,) = [text for text in svg.iter(f"{SVG}text") if text.text == "Not available"]
    assert float(missing.get("x")) == pytest.approx(year_x(svg, "2020/21"), abs=0.01)

    joined = drawing(
        charts_of(with_row(published, 4, "Percentage within the deadline", (80.0, 90.0, None)))[
            "trend-presentation"
        ]
    )
    assert len(points(joined, name)) == 2 and lines(joined, name) == [points(joined, name)]

    # A target set for 2019/20 only: one point, no line; the actual share of 0.00% is a real 0, drawn at 0.
    fsm = drawing(charts_of(published)["trend-fsm"])
    (target,) = points(fsm, "Target share")
    assert close(target, (year_x(fsm, "2019/20"), tick_y(fsm, 40))) and lines(fsm, "Target share") == []
    actual = points(fsm, "Actual share from schools with 30% or more pupils eligible for free school meals")
    assert [y for _, y in actual] == pytest.approx(
        [tick_y(fsm, 20), tick_y(fsm, 0), tick_y(fsm, 0)], abs=0.01
    )


def test_the_goal_is_a_dashed_line_at_the_goal_named_in_the_legend(published):
    charts = charts_of(published)
    for key, goal, between, legend in [
        ("recruitment", 100, (100, 100), "Goal: 100% or more"),
        ("presentation", 90, (80, 100), "Goal: 90% or more"),
        ("accuracy", 95, (80, 100), "Goal: 95% or more"),
        ("feedback", 6, (6, 6), "Goal: 6 or more"),
    ]:
        svg = drawing(charts[f"trend-{key}"])
        line = goal_line(svg)
        low, high = tick_y(svg, between[0]), tick_y(svg, between[1])
        expected = low + (goal - between[0]) / ((between[1] - between[0]) or 1) * (high - low)
        assert float(line.get("y1")) == float(line.get("y2")) == pytest.approx(expected, abs=0.01), key
        assert line.get("stroke-dasharray"), key
        assert float(line.get("x1")) == pytest.approx(
            float(svg.find(f".//{SVG}line[@data-value='0']").get("x1"))
        )
        assert legend in [text.text for text in svg.iter(f"{SVG}text")], key
    # The share charts' target is a series of its own, dashed; the actual share is solid.
    fsm = drawing(charts["trend-fsm"])
    assert goal_line(fsm) is None
    assert series(fsm, "Target share").find(f"{SVG}polyline") is None  # one target only (see the gap test)
    assert {"Actual share", "Target share"} <= {text.text for text in fsm.iter(f"{SVG}text")}
    dashed = [line for line in fsm.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1  # the legend's sample for the target
    both = with_row(published, 2, "Target share", (40.0, 30.0, None))
    (target_line,) = drawing(charts_of(both)["trend-fsm"]).findall(
        f".//{SVG}g[@data-series='Target share']/{SVG}polyline"
    )
    assert target_line.get("stroke-dasharray")
    assert (
        goal_line(drawing(charts["trend-retention"])) is None
    )  # metric 7's goal is about groups, not a figure


def test_the_words_under_each_chart_give_the_figures_as_the_table_prints_them(published):
    gap = with_row(published, 4, "Percentage within the deadline", (88.0, None, 91.5))
    assert charts_of(gap)["trend-presentation"].summary == (
        "Presentation within the deadline: 88.00% in 2019/20, not available in 2020/21, 91.50% in 2021/22. "
        "Goal: 90% or more."
    )
    charts = charts_of(published)
    assert charts["trend-recruitment"].summary == (
        "Recruitment as a percentage of the target: 125.00% in 2019/20, 50.00% in 2020/21, not available in "
        "2021/22. Goal: 100% of the target or more."
    )
    assert charts["trend-feedback"].summary.startswith(
        "Mean rating out of 10: 7.50 in 2019/20, 5.50 in 2020/21, not available in 2021/22."
    )
    assert charts["trend-accuracy"].summary.startswith(
        "Assessment accuracy: not available in any year shown."
    )
    assert "Target share: 40.00% in 2019/20, not available in 2020/21, not available in 2021/22." in (
        charts["trend-fsm"].summary
    )
    # Every figure the chart plots is in its words, exactly as its table prints it.
    tables = {table.number: table for table in published.tables}
    retention = charts["trend-retention"]
    for label in ("Retention", "Deferral"):
        (row,) = [row for row in tables[7].rows if row.label == label]
        assert (
            f"{label}: " + ", ".join(f"{cell} in {year}" for cell, year in zip(row.cells, YEARS, strict=True))
            in retention.summary
        )
    assert retention.table_number == 7 and retention.table_title == tables[7].title


def test_nothing_from_the_data_reaches_the_page_unescaped(published):
    hostile_year = '<script>alert("year")</script>'
    hostile = replace(
        published,
        years=[hostile_year, "2020/21", "2021/22"],
        tables=[
            replace(table, title="<img src=x onerror=alert(1)>") if table.number == 1 else table
            for table in published.tables
        ],
    )
    html = render_to_string("metrics/_charts.html", {"metrics": hostile})
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    charts = metric_charts(hostile)
    for chart in charts:
        assert year_x(drawing(chart), hostile_year)  # well-formed, carrying the text itself
    assert hostile_year in charts[0].summary  # plain text, which the template escapes (above)


def contrast_with_white(colour: str) -> float:
    """WCAG 2's contrast ratio of `colour` (#rrggbb) against white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_series_differ_by_marker_not_colour_alone_and_every_colour_contrasts(published):
    for chart in metric_charts(published):
        svg = drawing(chart)
        assert not svg.xpath("//@style") and svg.find(f".//{SVG}style") is None  # nothing a strict CSP blocks
        legend = svg.find(f"{SVG}g[@class='npqel-chart__legend']")
        shapes = [
            (marker.tag, len((marker.get("points") or "").split()), marker.get("fill") == "#ffffff")
            for marker in legend
            if marker.tag in MARKERS
        ]
        assert len(shapes) == len(chart.lines) == len(set(shapes)), chart.id  # a different marker for each
        drawn = {
            element.get(attribute)
            for group in svg.iter(f"{SVG}g")
            if group.get("data-series") or group.get("class") == "npqel-chart__legend"
            for element in group.iter()
            for attribute in ("stroke", "fill")
            if element.get(attribute) not in (None, "none", "#ffffff")
        }
        assert drawn and all(contrast_with_white(colour) >= 3 for colour in drawn), (chart.id, drawn)


def test_the_charts_cost_no_query(published, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert len(metric_charts(published)) == 7


def test_the_page_shows_the_trends_after_the_tables_with_two_or_more_years(client, provider, cohorts):
    page = page_of(client, person(Role.PROVIDER_ADMIN, provider), provider).content.decode()
    tree = lxml.html.fromstring(page)
    headings = [h.text_content().strip() for h in tree.iter("h2")]
    assert headings.index("Trends") > headings.index("7. By group")
    trends = page[page.index('id="trends"') :]
    assert "style=" not in trends and "<style" not in trends  # ready for a CSP without 'unsafe-inline'
    svgs = tree.xpath("//svg")
    assert len(svgs) == 7
    for svg in svgs:
        assert svg.get("role") == "img"
        (title,) = tree.xpath(f"//*[@id='{svg.get('aria-labelledby')}']")
        assert title.tag == "title" and title.getparent() is svg
        assert svg.getprevious().tag == "h3" and svg.getprevious().text_content() == title.text_content()
        (summary,) = tree.xpath(f"//*[@id='{svg.get('aria-describedby')}']")
        assert summary.getprevious() is svg and "above gives the same figures." in summary.text_content()
        (link,) = summary.iter("a")
        assert tree.xpath(f"//*[@id='{link.get('href')[1:]}']")  # the table's heading is on the page
    recruitment = tree.get_element_by_id("trend-recruitment-summary").text_content()
    assert " ".join(recruitment.split()) == (
        "Recruitment as a percentage of the target: 125.00% in 2019/20, 50.00% in 2020/21, not available in "
        "2021/22. Goal: 100% of the target or more. The table “1. Recruitment” above gives the same figures."
    )
    rows = tree.xpath("//h2[@id='trends']/following-sibling::div[contains(@class, 'govuk-grid-row')]")
    assert [
        len(row.xpath("./div[contains(@class, 'govuk-grid-column-one-half-from-desktop')]")) for row in rows
    ] == [
        2,
        2,
        2,
        1,
    ]


def test_with_one_year_the_page_says_when_trends_appear(client, provider, cohorts):
    admin = person(Role.PROVIDER_ADMIN, provider)
    page = page_of(client, admin, provider, years="2019/20").content.decode()
    assert "<svg" not in page
    assert (
        "Trends appear when two or more recruitment years are shown. Tick them under “Recruitment years” above."
        in page
    )


def test_with_only_one_year_of_cohorts_there_is_nothing_more_to_tick(client, provider, programme):
    place(intake(programme, 2019))
    page = page_of(client, person(Role.PROVIDER_ADMIN, provider), provider).content.decode()
    assert "Trends appear when two or more recruitment years are shown.</p>" in page and "<svg" not in page


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_pdf_draws_the_charts_after_the_tables(client, provider, cohorts):
    client.force_login(person(Role.PLATFORM_STAFF))
    response = client.get(reverse("metrics_pdf", args=[provider.slug]), {"years": "2019/20,2020/21"})
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert text.index("Trends") > text.index("7. By group")
    assert "Recruitment as a percentage of the target" in text[text.index("Trends") :]
    assert (
        "Recruitment as a percentage of the target: 125.00% in 2019/20, 50.00% in 2020/21. Goal: 100% of the "
        "target or more. Table 1 above gives the same figures."
    ) in text
    # Words that only the SVG holds: WeasyPrint drew the charts themselves, legend and axis included.
    assert "Goal: 100% or more" in text and "Goal: 6 or more" in text and "125%" in text


def test_a_one_year_pdf_has_no_trends(provider, cohorts):
    text = pdf_text(metrics_pdf_bytes(provider=provider, recruitment_year="2019/20"))
    assert "Percentage of target 125.00%" in text and "Trends" not in text
