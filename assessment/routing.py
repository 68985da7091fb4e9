"""Where a marked script goes next (issue 7): every fail and borderline script, and a random share of passes
(the mark scheme's `second_marking_pass_percent`), is marked again by a second assessor; when the two
disagree on the outcome (or both find it borderline), a lead assessor decides, and their decision is final.

The random pick is reproducible: it comes from the script's candidate number and id, so the same script is
always picked or not, whoever asks and whenever, and a provider can show why it was picked.
"""

import hashlib
from dataclasses import dataclass

from assessment.models import Marking
from assessment.outcomes import OUTCOME_LABELS, Outcome


@dataclass(frozen=True)
class Route:
    needed: bool
    reason: str


def _draw(marking: Marking) -> float:
    """A number from 0 to 100 fixed for the script (the same on every call)."""
    submission = marking.allocation.submission
    digest = hashlib.sha256(
        f"second-marking:{submission.candidate_number}:{submission.pk}".encode()
    ).hexdigest()
    return int(digest[:8], 16) % 10_000 / 100


def second_marking(marking: Marking) -> Route:
    """Whether a submitted first marking needs a second assessor, and why."""
    outcome = Outcome(marking.outcome)
    if outcome != Outcome.PASS:
        return Route(True, f"Every {OUTCOME_LABELS[outcome].lower()} script is marked by a second assessor.")
    share = marking.allocation.submission.task.mark_scheme.second_marking_pass_percent
    if _draw(marking) < share:
        return Route(True, f"Picked at random for a second marking ({share}% of passes are).")
    return Route(False, f"A pass not picked for a second marking (only {share}% of passes are).")


def lead_decision(first: Marking, second: Marking) -> Route:
    """Whether two submitted markings of the same script need the lead assessor, and why. Two borderline
    markings agree, but a result is pass or fail, so the lead decides those too."""
    if first.outcome == second.outcome == Outcome.BORDERLINE:
        return Route(True, "Both assessors found it borderline: the lead assessor decides pass or fail.")
    if first.outcome == second.outcome:
        return Route(False, f"Both assessors gave {OUTCOME_LABELS[Outcome(first.outcome)].lower()}.")
    return Route(
        True,
        f"The assessors disagree ({OUTCOME_LABELS[Outcome(first.outcome)].lower()} and "
        f"{OUTCOME_LABELS[Outcome(second.outcome)].lower()}): the lead assessor decides, and that is final.",
    )
