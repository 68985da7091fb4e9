"""The outcome rules at the edges of the borderline band, failure-level omissions, marks out of range, and the
feedback each outcome needs; and the standard mark schemes."""

import pytest

from assessment import services
from assessment.marking import mark_scheme_create_default
from assessment.outcomes import Outcome, feedback_problem, outcome_of
from npqel.access import Role
from npqel.errors import DomainError
from programmes.models import Programme
from tests.people import person
from tests.programmes.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def _scheme(framework=Programme.Framework.REFORMED, number=1):
    programme = ProgrammeFactory(framework=framework)
    task = services.scheme_create_default(by=None, programme=programme).tasks.get(number=number)
    scheme = mark_scheme_create_default(by=None, task=task)
    return scheme, list(scheme.criteria.all()), list(scheme.omissions.all())


def _marks(criteria, total: int) -> dict[int, int]:
    """Marks adding up to `total`, spread over the criteria in order."""
    marks = {}
    for criterion in criteria:
        give = min(criterion.max_mark, total)
        marks[criterion.pk] = give
        total -= give
    return marks


@pytest.mark.parametrize(
    ("total", "outcome"),
    [
        (0, Outcome.FAIL),
        (17, Outcome.FAIL),  # one below the band
        (18, Outcome.BORDERLINE),  # the band's lowest
        (20, Outcome.BORDERLINE),  # the pass mark itself is inside the band
        (21, Outcome.BORDERLINE),  # the band's highest
        (22, Outcome.PASS),  # one above the band
        (40, Outcome.PASS),
    ],
)
def test_the_outcome_at_the_band_edges(total, outcome):
    scheme, criteria, omissions = _scheme()
    decision = outcome_of(
        scheme, criteria=criteria, omissions=omissions, marks=_marks(criteria, total), ticked=set()
    )
    assert (decision.outcome, decision.total) == (outcome, total)


def test_a_failure_level_omission_fails_whatever_the_marks():
    scheme, criteria, omissions = _scheme()
    decision = outcome_of(
        scheme, criteria=criteria, omissions=omissions, marks=_marks(criteria, 40), ticked={omissions[0].pk}
    )
    assert decision.outcome == Outcome.FAIL
    assert decision.reason == "It leaves out The stages of implementation (a failure-level omission)."


def test_the_reason_names_the_band():
    scheme, criteria, omissions = _scheme()
    decision = outcome_of(
        scheme, criteria=criteria, omissions=omissions, marks=_marks(criteria, 19), ticked=set()
    )
    assert decision.reason == "The total, 19, is in the borderline band (18 to 21)."


def test_missing_or_out_of_range_marks_are_refused_with_what_to_fix():
    scheme, criteria, omissions = _scheme()
    marks = _marks(criteria, 20)
    marks[criteria[0].pk] = 11
    del marks[criteria[3].pk]
    with pytest.raises(DomainError) as refused:
        outcome_of(scheme, criteria=criteria, omissions=omissions, marks=marks, ticked=set())
    assert refused.value.message == (
        "The mark for “Identifies the problems” must be from 0 to 10. "
        "Give a mark for “Working with others and governance”."
    )
    other_scheme, _, other_omissions = _scheme()
    with pytest.raises(DomainError, match="Tick only the omissions listed"):
        outcome_of(
            scheme,
            criteria=criteria,
            omissions=omissions,
            marks=_marks(criteria, 20),
            ticked={other_omissions[0].pk},
        )


def test_fail_and_borderline_need_detailed_feedback_a_pass_a_summary():
    assert feedback_problem(Outcome.PASS, "Clear, well-justified plan.") == ""
    assert "short summary" in feedback_problem(Outcome.PASS, "Good.")
    paragraph = "The script identifies the main problems but " + "justifies the solutions only in part. " * 8
    assert feedback_problem(Outcome.BORDERLINE, paragraph) == ""
    assert feedback_problem(Outcome.FAIL, "Not enough.") == (
        "A fail script needs detailed feedback: what it does well and what it must do better "
        "(at least 300 characters; you have written 11)."
    )


def test_each_kind_of_task_gets_its_standard_mark_scheme_once():
    case_study, criteria, omissions = _scheme()
    assert (case_study.pass_mark, case_study.borderline_from, case_study.pass_from) == (20, 18, 22)
    assert [c.max_mark for c in criteria] == [10, 10, 10, 10] and len(omissions) == 2
    assert mark_scheme_create_default(by=None, task=case_study.task).pk == case_study.pk
    task_2, _, omissions_2 = _scheme(Programme.Framework.LEGACY, number=2)
    assert [o.text for o in omissions_2] == [
        "Work in three or more schools",
        "Evidence of impact on pupils' progress or attainment",
    ]


def test_only_a_provider_admin_sets_up_a_mark_scheme(provider):
    programme = ProgrammeFactory(provider=provider)
    task = services.scheme_create_default(by=None, programme=programme).tasks.get()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        mark_scheme_create_default(by=person(Role.ASSESSOR, provider), task=task)
    assert mark_scheme_create_default(by=person(Role.PROVIDER_ADMIN, provider), task=task).pass_mark == 20
