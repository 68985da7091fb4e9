"""`make test`'s dependency audit: pip-audit on the packages installed in .venv, failing on a known vulnerability
that a newer release fixes.

- A vulnerability with a fixed release fails the run, naming the release to upgrade to.
- One with no fixed release yet is listed (there is nothing to upgrade to) and does not fail it.
- An advisory is ignored only if scripts/pip-audit-ignore.toml lists it with a reason and a date to look again;
  every ignored one is printed on each run, and one past its date fails the run.
- If the vulnerability service cannot be reached (this workplace reaches PyPI's package index but not its
  per-release JSON, nor OSV), the run says plainly that nothing was audited. That fails the run only with
  NPQEL_AUDIT_REQUIRED=true (set it where the service is reachable, e.g. a release pipeline), because no change
  to the code could make it pass here.

Usage: .venv/bin/python scripts/audit_dependencies.py
"""

import dataclasses
import datetime
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / "scripts" / "pip-audit-ignore.toml"
PIP_AUDIT = [sys.executable, "-m", "pip_audit"]
# The installed environment (this interpreter's), without the project itself (an editable install, not on PyPI).
ARGUMENTS = ["--local", "--skip-editable", "--progress-spinner", "off", "--format", "json", "--desc", "off"]


@dataclasses.dataclass
class Outcome:
    failures: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    audited: int = 0
    not_audited: list[str] = dataclasses.field(default_factory=list)
    first_skip_reason: str = ""


def read_ignores(text: str, *, today: datetime.date) -> tuple[dict[str, dict], list[str]]:
    """The ignore file's advisories by id, and what is wrong with the file (each a line for the failure list)."""
    entries = tomllib.loads(text).get("ignore", [])
    ignores: dict[str, dict] = {}
    problems = []
    for entry in entries:
        missing = [key for key in ("id", "package", "reason", "review_by") if not entry.get(key)]
        if missing:
            problems.append(f"{IGNORE_FILE.name}: an entry lacks {', '.join(missing)}: {entry}")
            continue
        if not isinstance(entry["review_by"], datetime.date) or entry["review_by"] < today:
            problems.append(
                f"{IGNORE_FILE.name}: {entry['id']} ({entry['package']}) was to be looked at again by "
                f"{entry['review_by']}: check for a fixed release, then remove the entry or move the date on"
            )
        ignores[entry["id"]] = entry
    return ignores, problems


def assess(report: dict, ignores: dict[str, dict]) -> Outcome:
    """What pip-audit's JSON report means for the run."""
    outcome = Outcome()
    used: set[str] = set()
    for dependency in report.get("dependencies", []):
        if "skip_reason" in dependency:
            outcome.not_audited.append(dependency["name"])
            outcome.first_skip_reason = outcome.first_skip_reason or dependency["skip_reason"]
            continue
        outcome.audited += 1
        name, version = dependency["name"], dependency["version"]
        for vulnerability in dependency.get("vulns", []):
            ids = [vulnerability["id"], *vulnerability.get("aliases", [])]
            ignored = next((ignores[i] for i in ids if i in ignores), None)
            label = f"{name} {version}: {vulnerability['id']}"
            if ignored:
                used.add(ignored["id"])
                outcome.notes.append(f"ignored {label} until {ignored['review_by']}: {ignored['reason']}")
            elif vulnerability.get("fix_versions"):
                fixes = ", ".join(vulnerability["fix_versions"])
                outcome.failures.append(
                    f"{label} is fixed in {fixes}: raise the lower bound in pyproject.toml"
                )
            else:
                outcome.notes.append(f"{label} has no fixed release yet: nothing to upgrade to")
    for unused in sorted(set(ignores) - used):
        outcome.notes.append(
            f"{IGNORE_FILE.name}: {unused} matched nothing this run; remove it if it is gone"
        )
    return outcome


def run_pip_audit() -> tuple[dict | None, str]:
    """pip-audit's JSON report, or None and why it could not run."""
    try:
        finished = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [*PIP_AUDIT, *ARGUMENTS], capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        return None, "pip-audit did not finish within 10 minutes"
    try:
        return json.loads(finished.stdout), ""
    except json.JSONDecodeError:
        last_line = (finished.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"pip-audit stopped (exit {finished.returncode}): {last_line}"


def main() -> int:
    required = os.environ.get("NPQEL_AUDIT_REQUIRED", "").lower() in ("1", "true", "yes", "on")
    ignores, failures = read_ignores(
        IGNORE_FILE.read_text() if IGNORE_FILE.exists() else "",
        today=datetime.datetime.now(datetime.UTC).date(),
    )
    report, problem = run_pip_audit()
    outcome = assess(report, ignores) if report is not None else Outcome()
    failures += outcome.failures
    for note in outcome.notes:
        print(f"dependency audit: {note}")
    unreachable = report is None or not outcome.audited
    if unreachable or outcome.not_audited:
        why = problem or (
            f"the vulnerability service answered for {outcome.audited} of "
            f"{outcome.audited + len(outcome.not_audited)} packages (not for: {', '.join(outcome.not_audited[:8])}"
            f"{', …' if len(outcome.not_audited) > 8 else ''}); pip-audit said, e.g.: {outcome.first_skip_reason}"
        )
        headline = "NOTHING WAS AUDITED" if unreachable else "SOME PACKAGES WERE NOT AUDITED"
        print(f"dependency audit: {headline}: {why}.", file=sys.stderr)
        if required:
            failures.append(f"{headline.capitalize()}, and NPQEL_AUDIT_REQUIRED is set")
        else:
            print(
                "dependency audit: not failing for that (set NPQEL_AUDIT_REQUIRED=true where the service is "
                "reachable to make it fail).",
                file=sys.stderr,
            )
    if failures:
        print("dependency audit FAILED:", *(f"  - {line}" for line in failures), sep="\n", file=sys.stderr)
        return 1
    if not unreachable:
        print(f"dependency audit: {outcome.audited} packages audited, no vulnerability with a fix available.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
