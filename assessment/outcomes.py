"""The outcome of a marked script, from its task's mark scheme (issue 7):

- fail, if any failure-level omission is ticked, whatever the marks;
- fail, if the total is below the borderline band;
- borderline, inside the band (pass mark − margin ≤ total < pass mark + margin);
- pass, above it.

Fail and borderline scripts need detailed feedback; a pass needs a short summary (DOMAIN.md: only failed or
borderline scripts receive detailed feedback). Every mark must be given, within its criterion's range.
"""

from dataclasses import dataclass
from enum import StrEnum

from assessment.models import Criterion, MarkScheme, Omission
from npqel.errors import DomainError


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    BORDERLINE = "borderline"
    FAIL = "fail"


OUTCOME_LABELS = {Outcome.PASS: "Pass", Outcome.BORDERLINE: "Borderline", Outcome.FAIL: "Fail"}
# The least feedback each outcome needs, in characters (a sentence for a summary, a paragraph for detail).
FEEDBACK_LEAST = {Outcome.PASS: 20, Outcome.BORDERLINE: 300, Outcome.FAIL: 300}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    total: int
    reason: str  # in plain words: why this outcome


def outcome_of(
    scheme: MarkScheme,
    *,
    criteria: list[Criterion],
    omissions: list[Omission],
    marks: dict[int, int],
    ticked: set[int],
) -> Decision:
    """The outcome of one marking: `marks` by criterion id, `ticked` the ids of the omissions found.
    Refuses a missing or out-of-range mark, or an omission of another scheme."""
    problems = []
    for criterion in criteria:
        mark = marks.get(criterion.pk)
        if mark is None:
            problems.append(f"Give a mark for “{criterion.title}”.")
        elif not criterion.min_mark <= mark <= criterion.max_mark:
            problems.append(
                f"The mark for “{criterion.title}” must be from {criterion.min_mark} to {criterion.max_mark}."
            )
    if problems:
        raise DomainError(" ".join(problems), field="marks")
    unknown = ticked - {omission.pk for omission in omissions}
    if unknown:
        raise DomainError("Tick only the omissions listed in this task's mark scheme.", field="omissions")
    total = sum(marks[criterion.pk] for criterion in criteria)
    band = f"{scheme.borderline_from} to {scheme.pass_from - 1}"
    found = [omission.text for omission in omissions if omission.pk in ticked]
    if found:
        return Decision(
            Outcome.FAIL, total, "It leaves out " + "; ".join(found) + " (a failure-level omission)."
        )
    if total < scheme.borderline_from:
        return Decision(Outcome.FAIL, total, f"The total, {total}, is below the borderline band ({band}).")
    if total < scheme.pass_from:
        return Decision(Outcome.BORDERLINE, total, f"The total, {total}, is in the borderline band ({band}).")
    return Decision(Outcome.PASS, total, f"The total, {total}, is above the borderline band ({band}).")


def feedback_problem(outcome: Outcome, feedback: str) -> str:
    """What is wrong with the feedback for this outcome ("" when it will do)."""
    text = " ".join(feedback.split())
    least = FEEDBACK_LEAST[outcome]
    if len(text) >= least:
        return ""
    if outcome == Outcome.PASS:
        return f"Write a short summary of the script's strengths (at least {least} characters)."
    return (
        f"A {OUTCOME_LABELS[outcome].lower()} script needs detailed feedback: what it does well and what it must "
        f"do better (at least {least} characters; you have written {len(text)})."
    )
