"""Recruitment targets: imported from a CSV all or nothing, every mistake with its row and column; set by a
provider admin or platform staff; and `manage.py metrics_report` printing the report as JSON or CSV."""

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from metrics.models import RecruitmentTarget
from metrics.services import TargetsRefused, target_set, targets_import
from npqel.access import Role
from tests.people import person

pytestmark = pytest.mark.django_db
HEADER = "provider,recruitment_year,recruitment_target,fsm_target_percent,non_white_british_target_percent\n"


def test_a_good_file_imports_and_importing_it_again_changes_nothing(provider, other_provider, tmp_path):
    content = (HEADER + "olp,2019/20,120,4,12.5\nllse,2019/20,80,,\n").encode()
    targets_import(by=None, content=content)
    targets_import(by=None, content=content)
    rows = {(t.provider.slug, t.recruitment_year): t for t in RecruitmentTarget.objects.all()}
    assert len(rows) == 2
    olp = rows[("olp", "2019/20")]
    assert (olp.recruitment_target, olp.fsm_target_percent, olp.non_white_british_target_percent) == (
        120,
        Decimal("4.00"),
        Decimal("12.50"),
    )
    llse = rows[("llse", "2019/20")]
    assert (llse.recruitment_target, llse.fsm_target_percent) == (80, None)
    path = tmp_path / "targets.csv"
    path.write_bytes((HEADER + "olp,2020/21,130,5,15\n").encode("cp1252"))
    out = io.StringIO()
    call_command("import_targets", str(path), stdout=out)
    assert out.getvalue().strip() == "Imported 1 row of targets."


def test_a_file_with_mistakes_imports_nothing_and_says_what_to_fix(provider):
    content = (
        HEADER
        + "olp,2019/20,120,4,12.5\n"
        + "nobody,2019/20,10,,\n"
        + "olp,2019-20,10,,\n"
        + "olp,2020/21,lots,,\n"
        + "olp,2021/22,10,130,\n"
        + "olp,2019/20,5,,\n"
    ).encode()
    with pytest.raises(TargetsRefused) as refused:
        targets_import(by=None, content=content)
    problems = [(p.row, p.column) for p in refused.value.problems]
    assert problems == [
        (3, "provider"),
        (4, "recruitment_year"),
        (5, "recruitment_target"),
        (6, "fsm_target_percent"),
        (7, "recruitment_year"),
    ]
    assert "Row 4, recruitment_year: “2019-20” is not a recruitment year. Write it as 2019/20" in str(
        refused.value.problems[1]
    )
    assert not RecruitmentTarget.objects.exists()


def test_a_missing_column_is_named(provider, tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("provider,recruitment_year\nolp,2019/20\n")
    with pytest.raises(CommandError, match="recruitment_target, fsm_target_percent"):
        call_command("import_targets", str(path))


def test_admins_and_platform_staff_set_targets_and_nobody_else(provider, other_provider):
    target_set(
        by=person(Role.PROVIDER_ADMIN, provider),
        provider=provider,
        programme=None,
        recruitment_year="2019/20",
        recruitment_target=100,
        fsm_target_percent=None,
        non_white_british_target_percent=None,
    )
    target_set(
        by=person(Role.PLATFORM_STAFF),
        provider=provider,
        programme=None,
        recruitment_year="2019/20",
        recruitment_target=110,
        fsm_target_percent=None,
        non_white_british_target_percent=None,
    )
    assert RecruitmentTarget.objects.get().recruitment_target == 110
    for user in (person(Role.PROVIDER_ADMIN, other_provider), person(Role.FACILITATOR, provider)):
        with pytest.raises(PermissionDenied):
            target_set(
                by=user,
                provider=provider,
                programme=None,
                recruitment_year="2019/20",
                recruitment_target=1,
                fsm_target_percent=None,
                non_white_british_target_percent=None,
            )


def test_the_report_command_prints_json_with_exactly_the_issues_keys_and_csv(provider):
    RecruitmentTarget.objects.create(provider=provider, recruitment_year="2019/20", recruitment_target=50)
    out = io.StringIO()
    call_command(
        "metrics_report", "--provider", provider.slug, "--year", "2019/20", "--format", "json", stdout=out
    )
    report = json.loads(out.getvalue())
    assert list(report) == [
        "provider",
        "programme",
        "recruitment_year",
        "recruitment",
        "fsm",
        "non_white_british",
        "presentation",
        "accuracy",
        "feedback",
        "retention",
        "groups",
    ]
    assert list(report["recruitment"]) == ["target", "recruited", "percent_of_target"]
    assert list(report["fsm"]) == ["target_percent", "count", "percent", "percent_of_target"]
    assert list(report["presentation"]) == ["presented", "within_deadline", "percent"]
    assert list(report["accuracy"]) == [
        "assessments",
        "moderated",
        "moderated_percent",
        "agreed",
        "accuracy_percent",
    ]
    assert list(report["feedback"]) == ["responses", "mean_rating"]
    assert list(report["retention"]) == [
        "started",
        "withdrawn",
        "retention_percent",
        "deferred",
        "deferred_percent",
        "submitted",
        "passed",
        "achievement_percent",
    ]
    out = io.StringIO()
    call_command(
        "metrics_report", "--provider", provider.slug, "--year", "2019/20", "--format", "csv", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "metric,measure,value"
    assert "recruitment,target,50" in lines and "recruitment,percent_of_target,0.00" in lines
    assert "fsm,percent," in lines  # nobody recruited: no share, an empty cell, not 0


def test_the_report_command_says_what_is_wrong(provider):
    with pytest.raises(CommandError, match="There is no provider “nope”. Known providers: olp"):
        call_command("metrics_report", "--provider", "nope", "--year", "2019/20")
    with pytest.raises(CommandError, match="is not a recruitment year"):
        call_command("metrics_report", "--provider", provider.slug, "--year", "2019")


def test_the_report_command_writes_the_publishable_pdf(provider, tmp_path):
    import pypdf

    RecruitmentTarget.objects.create(provider=provider, recruitment_year="2019/20", recruitment_target=50)
    path = tmp_path / "metrics.pdf"
    out = io.StringIO()
    call_command(
        "metrics_report",
        "--provider",
        provider.slug,
        "--year",
        "2019/20",
        "--format",
        "pdf",
        "--output",
        str(path),
        stdout=out,
    )
    assert out.getvalue().strip() == f"Wrote {path}."
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    assert provider.name in text and "2019/20" in text and "Recruitment" in text
    with pytest.raises(CommandError, match="Say where to write the PDF with --output"):
        call_command("metrics_report", "--provider", provider.slug, "--year", "2019/20", "--format", "pdf")
