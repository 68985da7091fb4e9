"""Candidate numbers and receipt references are random and unique. A random one may already be given (or be given
at this very moment by another upload or submit): the unique constraint then refuses it, and the service tries
another instead of failing the participant's upload or submit."""

import datetime
import itertools

import pytest
import time_machine
from django.db import IntegrityError

from assessment import services
from assessment.models import Receipt, Submission
from tests.assessment.factories import case_study_place, make_eligible, upload
from tests.participants.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db

DURING = datetime.datetime(2026, 3, 24, 10, 0, tzinfo=datetime.UTC)  # the window opened on 22 March


@pytest.fixture(autouse=True)
def _media_and_clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(DURING, tick=False):
        yield


def clashing_then(taken: str, fresh: str):
    """A code maker that draws a code already given first (`taken`), then `fresh`."""
    codes = itertools.chain([taken], itertools.repeat(fresh))
    return lambda: next(codes)


def two_places():
    amara, task, _ = case_study_place()
    ben = EnrolmentFactory(cohort=amara.cohort)
    make_eligible(ben)
    return amara, ben, task


def test_a_candidate_number_given_meanwhile_is_replaced_by_another(monkeypatch):
    amara, ben, task = two_places()
    taken = upload(amara, task).submission.candidate_number

    monkeypatch.setattr(services, "_candidate_number", clashing_then(taken, "C7654321"))
    version = upload(ben, task)

    assert version.submission.candidate_number == "C7654321"
    assert Submission.objects.filter(candidate_number=taken).get().enrolment == amara


def test_a_receipt_reference_given_meanwhile_is_replaced_by_another(monkeypatch):
    amara, ben, task = two_places()
    first = services.submission_submit(
        by=amara.participant.user, version=upload(amara, task), declaration=True
    )

    monkeypatch.setattr(services, "_receipt_reference", clashing_then(first.reference, "NPQ-ABCD-EFGH"))
    second = services.submission_submit(by=ben.participant.user, version=upload(ben, task), declaration=True)

    assert second.reference == "NPQ-ABCD-EFGH"
    assert Receipt.objects.get(reference=first.reference).submission.enrolment == amara
    assert Submission.objects.get(pk=second.submission_id).status == Submission.Status.SUBMITTED


def test_any_other_refusal_is_not_retried():
    tries = []

    def refused(value: str):
        tries.append(value)
        raise IntegrityError("another constraint")

    with pytest.raises(IntegrityError, match="another constraint"):
        services._with_fresh(lambda: "C0000001", refused, taken=lambda value: False)
    assert tries == ["C0000001"]


def test_a_clash_on_every_try_is_raised_after_the_last():
    tries = []

    def clashing(value: str):
        tries.append(value)
        raise IntegrityError("duplicate key value violates unique constraint")

    with pytest.raises(IntegrityError):
        services._with_fresh(lambda: f"C{len(tries):07d}", clashing, taken=lambda value: True)
    assert len(tries) == services.FRESH_TRIES
