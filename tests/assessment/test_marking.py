"""An assessor's marking of an allocated script: drafts saved as often as they like, a save made from an older
copy refused rather than overwriting, submitting with every mark and the feedback its outcome needs."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from assessment import services
from assessment.marking import mark_scheme_create_default, marking_save
from assessment.models import Allocation, Marking
from npqel.access import Role
from npqel.errors import DomainError
from tests.assessment.factories import case_study_place, upload
from tests.people import person

pytestmark = pytest.mark.django_db
DETAIL = "The plan names the problems but does not justify the chosen solutions against alternatives. " * 4


@pytest.fixture
def allocated(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    with time_machine.travel(datetime.datetime(2026, 3, 25, 12, 0, tzinfo=datetime.UTC), tick=False):
        receipt = services.submission_submit(
            by=enrolment.participant.user, version=upload(enrolment, task), declaration=True
        )
    scheme = mark_scheme_create_default(by=None, task=task)
    assessor = person(Role.ASSESSOR, provider)
    allocation = Allocation.objects.create(
        submission=receipt.submission,
        assessor=assessor,
        allocated_at=timezone.now(),
        due_on=datetime.date(2026, 4, 20),
    )
    return allocation, list(scheme.criteria.all()), list(scheme.omissions.all())


def _save(allocation, criteria, revision, marks, **kwargs):
    return marking_save(
        by=allocation.assessor,
        allocation=allocation,
        revision=revision,
        marks={c.pk: m for c, m in zip(criteria, marks, strict=False)},
        comments=kwargs.pop("comments", {}),
        ticked=kwargs.pop("ticked", set()),
        feedback=kwargs.pop("feedback", ""),
        **kwargs,
    )


def test_a_draft_keeps_what_was_given_and_counts_its_saves(allocated):
    allocation, criteria, _ = allocated
    draft = _save(allocation, criteria, 0, [7, None], comments={criteria[0].pk: "Clear priorities."})
    assert (draft.status, draft.revision, draft.marks) == ("draft", 1, {str(criteria[0].pk): 7})
    again = _save(allocation, criteria, 1, [7, 6])
    assert again.revision == 2 and again.marks == {str(criteria[0].pk): 7, str(criteria[1].pk): 6}
    assert again.comments == {}  # what the form sends is what is kept


def test_a_save_from_an_older_copy_is_refused_and_nothing_is_overwritten(allocated):
    allocation, criteria, _ = allocated
    _save(allocation, criteria, 0, [7])  # the first tab
    _save(allocation, criteria, 1, [8])  # the second tab, opened after
    with pytest.raises(DomainError, match="was saved again at .* after you opened it"):
        _save(allocation, criteria, 1, [2])  # the first tab again, still showing revision 1
    assert Marking.objects.get().marks == {str(criteria[0].pk): 8}


def test_submitting_needs_every_mark_and_the_feedback_the_outcome_needs(allocated):
    allocation, criteria, omissions = allocated
    with pytest.raises(DomainError, match="Give a mark for"):
        _save(allocation, criteria, 0, [5, 5, 5], submit=True)
    with pytest.raises(DomainError, match="needs detailed feedback") as refused:
        _save(allocation, criteria, 0, [5, 5, 5, 4], submit=True, feedback="Weak.")
    assert refused.value.field == "feedback"
    assert not Marking.objects.exists()  # nothing half-written
    marking = _save(allocation, criteria, 0, [5, 5, 5, 4], submit=True, feedback=DETAIL)
    assert (marking.status, marking.total, marking.outcome) == ("submitted", 19, "borderline")
    with pytest.raises(DomainError, match="can no longer change"):
        _save(allocation, criteria, 1, [10, 10, 10, 10], submit=True, feedback="Excellent work throughout.")


def test_an_omission_fails_a_high_scoring_script(allocated):
    allocation, criteria, omissions = allocated
    marking = _save(
        allocation, criteria, 0, [10, 10, 10, 10], ticked={omissions[0].pk}, submit=True, feedback=DETAIL
    )
    assert (marking.total, marking.outcome) == (40, "fail")


def test_only_the_allocated_assessor_marks_and_only_while_allocated(allocated, provider):
    allocation, criteria, _ = allocated
    with pytest.raises(PermissionDenied):
        marking_save(
            by=person(Role.ASSESSOR, provider),
            allocation=allocation,
            revision=0,
            marks={},
            comments={},
            ticked=set(),
            feedback="",
        )
    allocation.ended_at = timezone.now()
    allocation.save()
    with pytest.raises(DomainError, match="moved to another assessor"):
        _save(allocation, criteria, 0, [5])


def test_a_first_save_from_a_page_that_claims_a_later_revision_is_refused_plainly(allocated):
    allocation, criteria, _ = allocated
    with pytest.raises(DomainError, match="This page is out of date, so nothing was saved"):
        _save(allocation, criteria, 3, [7])
    assert not Marking.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_from_the_same_copy_keep_one_and_refuse_the_other(provider):
    """Two tabs (or two people on one account) press Save together, both from revision 0: the row lock lets one
    in; the other is told, and nothing of it is written."""
    from tests.together import together

    enrolment, task, _ = case_study_place(provider=provider)
    with time_machine.travel(datetime.datetime(2026, 3, 25, 12, 0, tzinfo=datetime.UTC), tick=False):
        receipt = services.submission_submit(
            by=enrolment.participant.user, version=upload(enrolment, task), declaration=True
        )
    criteria = list(mark_scheme_create_default(by=None, task=task).criteria.all())
    allocation = Allocation.objects.create(
        submission=receipt.submission,
        assessor=person(Role.ASSESSOR, provider),
        allocated_at=timezone.now(),
        due_on=datetime.date(2026, 4, 20),
    )
    results = together(
        *(
            lambda words=words: _save(allocation, criteria, 0, [5], feedback=words)
            for words in ("From the first tab", "From the second tab")
        )
    )
    saved = [r for r in results if isinstance(r, Marking)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(saved) == 1 and len(refused) == 1, results
    marking = Marking.objects.get()
    assert (marking.revision, marking.feedback) == (1, saved[0].feedback)
