"""`make test`'s dependency audit (scripts/audit_dependencies.py) reads pip-audit's report: a vulnerability with a
fixed release fails the run; one without is listed; an ignored advisory needs a reason and a date to look again,
and is printed every run; an unreachable vulnerability service is said plainly."""

import datetime
import importlib.util
import subprocess
import sys

from django.conf import settings

SCRIPT = settings.BASE_DIR / "scripts" / "audit_dependencies.py"
_spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)

TODAY = datetime.date(2026, 6, 1)


def report(*dependencies: dict) -> dict:
    """pip-audit's JSON report (`--format json`) for these dependencies."""
    return {"dependencies": list(dependencies), "fixes": []}


def test_a_vulnerability_with_a_fixed_release_fails_naming_the_release():
    outcome = audit.assess(
        report(
            {"name": "django", "version": "5.2.1", "vulns": [{"id": "GHSA-aaaa", "fix_versions": ["5.2.2"]}]},
            {"name": "celery", "version": "5.5.0", "vulns": []},
        ),
        {},
    )
    assert outcome.failures == [
        "django 5.2.1: GHSA-aaaa is fixed in 5.2.2: raise the lower bound in pyproject.toml"
    ]
    assert outcome.audited == 2 and outcome.not_audited == []


def test_a_vulnerability_with_no_fixed_release_is_listed_but_does_not_fail():
    outcome = audit.assess(
        report({"name": "pip", "version": "25.0", "vulns": [{"id": "CVE-2026-1", "fix_versions": []}]}), {}
    )
    assert outcome.failures == []
    assert outcome.notes == ["pip 25.0: CVE-2026-1 has no fixed release yet: nothing to upgrade to"]


def test_an_ignored_advisory_is_printed_with_its_reason_even_when_named_by_an_alias():
    ignores, problems = audit.read_ignores(
        """
[[ignore]]
id = "CVE-2026-9"
package = "lxml"
reason = "Only reached with resolve_entities=True, which we never pass."
review_by = 2026-09-30
""",
        today=TODAY,
    )
    assert problems == []
    outcome = audit.assess(
        report(
            {
                "name": "lxml",
                "version": "5.3.0",
                "vulns": [{"id": "GHSA-bbbb", "fix_versions": ["5.4.0"], "aliases": ["CVE-2026-9"]}],
            }
        ),
        ignores,
    )
    assert outcome.failures == []
    assert outcome.notes == [
        "ignored lxml 5.3.0: GHSA-bbbb until 2026-09-30: Only reached with resolve_entities=True, which we never pass."
    ]


def test_an_ignore_without_a_reason_or_past_its_date_is_refused():
    _ignores, problems = audit.read_ignores(
        """
[[ignore]]
id = "GHSA-cccc"
package = "pillow"
review_by = 2026-09-30

[[ignore]]
id = "GHSA-dddd"
package = "nh3"
reason = "No fix yet."
review_by = 2026-05-31
""",
        today=TODAY,
    )
    assert len(problems) == 2
    assert "lacks reason" in problems[0]
    assert "GHSA-dddd (nh3) was to be looked at again by 2026-05-31" in problems[1]


def test_an_ignore_that_matches_nothing_is_pointed_out():
    ignores, _ = audit.read_ignores(
        '[[ignore]]\nid = "GHSA-eeee"\npackage = "x"\nreason = "r"\nreview_by = 2026-12-31\n', today=TODAY
    )
    outcome = audit.assess(report({"name": "x", "version": "1", "vulns": []}), ignores)
    assert outcome.notes == [
        "pip-audit-ignore.toml: GHSA-eeee matched nothing this run; remove it if it is gone"
    ]


def test_packages_the_service_could_not_answer_for_are_counted_not_passed():
    outcome = audit.assess(
        report(
            {
                "name": "amqp",
                "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)",
            },
            {"name": "django", "version": "5.2.19", "vulns": []},
        ),
        {},
    )
    assert outcome.audited == 1 and outcome.not_audited == ["amqp"] and outcome.failures == []


def test_the_projects_ignore_file_is_valid():
    _ignores, problems = audit.read_ignores(audit.IGNORE_FILE.read_text(), today=datetime.date.today())  # noqa: DTZ011
    assert problems == []


def test_the_audit_runs_on_the_installed_packages_and_says_what_it_could_check():
    finished = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=900, cwd=settings.BASE_DIR
    )
    said = finished.stdout + finished.stderr
    assert finished.returncode == 0, said
    # Either a real audit, or (where the vulnerability service cannot be reached) a plain word that none ran.
    assert "packages audited, no vulnerability with a fix available" in said or (
        "NOTHING WAS AUDITED" in said and "not failing for that" in said
    ), said
