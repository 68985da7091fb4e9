"""Second marking: every fail and borderline script, a reproducible random share of passes; a lead assessor
when the two outcomes differ."""

import pytest

from assessment.models import Allocation, AssessmentTask, Marking, MarkScheme, Submission
from assessment.routing import lead_decision, second_marking


def marking(outcome: str, *, number: str = "C0000001", pk: int = 1, share: int = 10) -> Marking:
    scheme = MarkScheme(pass_mark=20, second_marking_pass_percent=share)
    task = AssessmentTask()
    task.mark_scheme = scheme
    submission = Submission(pk=pk, candidate_number=number, task=task)
    return Marking(outcome=outcome, allocation=Allocation(submission=submission))


@pytest.mark.parametrize("outcome", ["fail", "borderline"])
def test_every_fail_and_borderline_is_second_marked(outcome):
    route = second_marking(marking(outcome, share=0))
    assert route.needed and route.reason == f"Every {outcome} script is marked by a second assessor."


def test_a_share_of_passes_is_picked_and_the_pick_is_reproducible():
    picked = [second_marking(marking("pass", number=f"C{n:07d}", pk=n)).needed for n in range(2000)]
    assert 0.07 < sum(picked) / len(picked) < 0.13  # about 10%
    again = [second_marking(marking("pass", number=f"C{n:07d}", pk=n)).needed for n in range(2000)]
    assert picked == again
    assert not any(second_marking(marking("pass", pk=n, share=0)).needed for n in range(200))
    assert all(second_marking(marking("pass", pk=n, share=100)).needed for n in range(200))
    reason = next(second_marking(marking("pass", number=f"C{n:07d}", pk=n)) for n in range(2000) if picked[n])
    assert reason.reason == "Picked at random for a second marking (10% of passes are)."


def test_the_lead_decides_only_when_the_two_disagree():
    assert not lead_decision(marking("pass"), marking("pass")).needed
    route = lead_decision(marking("borderline"), marking("fail"))
    assert route.needed
    assert route.reason == (
        "The assessors disagree (borderline and fail): the lead assessor decides, and that is final."
    )


def test_two_borderline_markings_go_to_the_lead_who_decides_pass_or_fail():
    route = lead_decision(marking("borderline"), marking("borderline"))
    assert route.needed
    assert route.reason == "Both assessors found it borderline: the lead assessor decides pass or fail."
