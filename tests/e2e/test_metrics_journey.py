"""A provider admin opens the DfE quality metrics from the provider's page and finds every table and goal as the
records say (tests/e2e/metrics_world.py works each figure out by hand); they recompute and save a snapshot, watch
its progress until a real Celery worker has done it, go back to the metrics and download the PDF to publish, whose
text carries the provider's name and the same figures. Every page passes axe-core."""

import io
import re

import pypdf
import pytest
from playwright.sync_api import Locator, Page, expect

from metrics.models import MetricSnapshot, RecomputeRun
from npqel.celery import app as celery_app
from tests.accounts.factories import PASSWORD
from tests.e2e.browsing import check, path_of, submit
from tests.e2e.metrics_world import YEARS, metrics_world
from tests.e2e.steps import enter_code, sign_in
from tests.workers import conftest as workers

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

# The real worker of tests/workers: the recomputation goes through Redis to another process, as in production.
worker = workers.worker

# Each metric's table, as the records of tests/e2e/metrics_world.py give it: a row per measure, 2022/23 then 2023/24.
TABLES = {
    "1. Recruitment": {
        "Recruitment target": ["10", "4"],
        "Recruited": ["8", "5"],
        "Percentage of target": ["80.00%", "125.00%"],
    },
    "2. Participants from schools with 30% or more pupils eligible for free school meals": {
        "Target share": ["25.00%", "Not available"],
        "Recruited from these schools": ["3", "0"],
        "Actual share": ["37.50%", "0.00%"],
        "Percentage of target": ["150.00%", "Not available"],
    },
    "3. Participants from groups other than White British": {
        "Target share": ["20.00%", "Not available"],
        "Recruited from these groups": ["2", "0"],
        "Actual share": ["25.00%", "0.00%"],
        "Percentage of target": ["125.00%", "Not available"],
    },
    "4. Presentation for final assessment within the deadline": {
        "Presented for final assessment": ["4", "0"],
        "Presented within the deadline": ["3", "0"],
        "Percentage within the deadline": ["75.00%", "Not available"],
    },
    "5. Assessment accuracy": {
        "Assessments made": ["4", "0"],
        "Moderated by the quality assurance agent": ["2", "0"],
        "Percentage moderated": ["50.00%", "Not available"],
        "Moderator agreed the outcome": ["2", "0"],
        "Accuracy": ["100.00%", "Not available"],
    },
    "6. Participant feedback": {
        "Ratings received": ["4", "2"],
        "Mean rating (0 to 10)": ["7.00", "5.50"],
    },
    "7. Retention, deferral and achievement": {
        "Started": ["8", "5"],
        "Withdrawn": ["1", "0"],
        "Retention": ["87.50%", "100.00%"],
        "Deferred": ["0", "0"],
        "Deferral": ["0.00%", "0.00%"],
        "Submitted for final assessment": ["4", "0"],
        "Passed": ["3", "0"],
        "Achievement": ["75.00%", "Not available"],
    },
}

GOALS = {
    "Recruitment: 100% of target or more": ["Not met", "Met"],
    "Presentation: 90% or more within the deadline": ["Not met", "Not available"],
    "Assessment accuracy: 95% or more": ["Met", "Not available"],
    "Participant feedback: a mean rating of 6 or more": ["Met", "Not met"],
    "No significant difference between groups": ["Met", "Not available"],
}


def expect_rows(table: Locator, rows: dict[str, list[str]]) -> None:
    """The table has a column per recruitment year, and each measure's row has these cells."""
    expect(table.get_by_role("columnheader")).to_have_text([re.compile(r"^(Goal|Measure)$"), *YEARS])
    expect(table.get_by_role("rowheader")).to_have_text(list(rows))
    for label, cells in rows.items():
        row = table.get_by_role("row").filter(has=table.page.get_by_role("rowheader", name=label, exact=True))
        expect(row.get_by_role("cell")).to_have_text(cells)


def open_metrics(page: Page, provider_name: str) -> None:
    """From the provider's page, its link to the metrics."""
    expect(page.get_by_role("heading", level=1)).to_have_text(provider_name)
    submit(page, page.get_by_role("link", name="DfE quality metrics"))
    expect(page.get_by_role("heading", level=1)).to_have_text("DfE quality metrics")


def consuming(queue: str, *, on: bool) -> None:
    """Stop or start the worker taking jobs from its queue (Celery's remote control), so that the journey can see
    the recomputation waiting before it is done. Jobs sent meanwhile wait in Redis."""
    control = celery_app.control.add_consumer if on else celery_app.control.cancel_consumer
    replies = control(queue, destination=[workers.worker_name(queue)], reply=True)
    assert replies, f"The worker did not answer {'add' if on else 'cancel'}_consumer."


def test_an_admin_reads_the_metrics_recomputes_them_with_progress_and_downloads_the_pdf(
    page: Page, provider, worker
):
    world = metrics_world(provider)

    # 1. The admin signs in and follows the provider's link to its metrics: the two recruitment years with
    # cohorts, side by side, every figure as worked out from the records.
    sign_in(page, world.admin.email, PASSWORD)
    enter_code(page, world.secret)
    assert path_of(page) == "/"
    submit(page, page.get_by_role("link", name=provider.name))
    open_metrics(page, provider.name)
    assert path_of(page) == f"/providers/{provider.slug}/metrics/"
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=2, name=re.compile(r"^\d\. "))).to_have_text(
        [*TABLES, "7. By group"]  # metric 7 again, by group, after the seven tables
    )
    for title, rows in TABLES.items():
        expect_rows(main.get_by_role("table", name=f"{title}, by recruitment year", exact=True), rows)

    # Each DfE goal's status in words (not colour alone): 2022/23 misses recruitment and presentation.
    goals = main.get_by_role("table", name="Whether each goal was met, by recruitment year")
    expect_rows(goals, GOALS)
    expect(goals.locator(".govuk-tag--red")).to_have_text(["Not met", "Not met", "Not met"])

    # 2. They recompute and save a snapshot. The worker is held back for a moment so that the page can be seen
    # waiting: nothing done yet, a progress bar at 0 of the 4 sets (2 years, for all programmes and for the one).
    consuming(worker, on=False)
    submit(page, main.get_by_role("button", name="Recompute and save a snapshot"))
    run = RecomputeRun.objects.get(provider=provider)
    assert path_of(page) == f"/metrics/recomputes/{run.pk}/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Recomputing the DfE quality metrics")
    progress = page.locator("#progress")
    expect(progress).to_contain_text("Recomputing: 0 of 4 done.")
    bar = progress.get_by_role("progressbar")
    expect(bar).to_have_attribute("max", "4")
    expect(bar).to_have_attribute("value", "0")
    assert MetricSnapshot.objects.filter(provider=provider).count() == 0

    # The worker takes the job; the page, polling, shows it finished without being reloaded.
    page.evaluate("window.__npqelSamePage = true")
    consuming(worker, on=True)
    expect(progress.get_by_role("heading", name="Recomputed")).to_be_visible(timeout=60_000)
    expect(progress).to_contain_text(re.compile(r"4 sets of figures checked at \d\d:\d\d: 4 changed\."))
    expect(progress.get_by_role("progressbar")).to_have_count(0)
    assert page.evaluate("window.__npqelSamePage === true"), "the page was reloaded instead of updated"
    check(page)
    run.refresh_from_db()
    assert (run.total, run.done, run.changed, run.problem) == (4, 4, 4, "")
    assert run.finished_at is not None and run.requested_by == world.admin

    # A dated snapshot of each year, for all programmes and for the programme, holding the page's figures.
    snapshots = MetricSnapshot.objects.filter(provider=provider)
    scopes = list(snapshots.values_list("recruitment_year", "programme"))
    assert len(scopes) == 4 and set(scopes) == {
        ("2022/23", None),
        ("2022/23", world.programme.pk),
        ("2023/24", None),
        ("2023/24", world.programme.pk),
    }
    earlier = snapshots.get(recruitment_year="2022/23", programme=None).data
    assert earlier["recruitment"] == {"target": 10, "recruited": 8, "percent_of_target": 80.0}
    assert earlier["presentation"] == {"presented": 4, "within_deadline": 3, "percent": 75.0}

    # 3. Back to the provider, and to the metrics again.
    submit(page, page.get_by_role("link", name=f"Back to {provider.name}"))
    open_metrics(page, provider.name)
    expect_rows(
        page.get_by_role("table", name="1. Recruitment, by recruitment year", exact=True),
        TABLES["1. Recruitment"],
    )

    # 4. The PDF to publish: the provider's name and the same figures.
    with page.expect_download() as downloading:
        page.get_by_role("link", name="PDF, ready to publish").click()
    assert downloading.value.suggested_filename == f"{provider.slug}-dfe-metrics-2022-23-2023-24.pdf"
    pdf = pypdf.PdfReader(io.BytesIO(downloading.value.path().read_bytes()))
    text = " ".join(" ".join(sheet.extract_text().split()) for sheet in pdf.pages)
    assert f"Provider {provider.name}" in text
    assert "Recruitment years 2022/23, 2023/24" in text
    for goal, statuses in GOALS.items():
        assert f"{goal} {' '.join(statuses)}" in text, f"The PDF has no goal {goal}: {statuses}"
    # Each measure's label, then its figure for each year (a table may break across pages: look row by row).
    for title, rows in TABLES.items():
        assert title in text
        for label, cells in rows.items():
            assert f"{label} {' '.join(cells)}" in text, f"The PDF's {title} has no row {label}: {cells}"
