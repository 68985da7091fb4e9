"""Isolation-matrix cases for the marking pages (assessment/views/marking.py and marking_admin.py; see
test_matrix.py).

- An assessor's pages (a script beside the mark form, autosave, the lead's decision, declaring a conflict, the
  script's files) need MARK_SCRIPTS and open only the scripts allocated to that assessor: the world's own
  script is allocated to the world's assessor; the other provider's to an assessor of its own, so every role
  gets 404 (or 403 for a role that never marks).
- The cohort's marking page needs VIEW_SUBMISSIONS (provider admins, platform staff everywhere); allocating,
  moving, setting an assessor's capacity and releasing need MANAGE_ASSESSMENT (provider admins only).
The queue lists the signed-in assessor's own allocations only, so it is not provider-scoped.
"""

import io

from django.utils import timezone
from pypdf import PdfWriter

from assessment import services
from assessment.marking import mark_scheme_create_default
from assessment.models import (
    Allocation,
    Marking,
    Result,
    ReviewRequest,
    Submission,
    SubmissionFile,
    SubmissionVersion,
)
from npqel.access import Action
from programmes.models import StaffMembership
from tests.isolation.cases import Scoped
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import StaffMembershipFactory

OK = (302,)


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _assessor(o: dict[str, object]):
    """The provider's assessor: at the own provider, the world's assessor; at the other, one of its own."""
    membership = StaffMembership.objects.filter(
        provider=o["provider"], role=StaffMembership.Role.ASSESSOR
    ).first()
    if membership is None:
        membership = StaffMembershipFactory(provider=o["provider"], role=StaffMembership.Role.ASSESSOR)
    return membership.user


def _task(o: dict[str, object]):
    scheme = services.scheme_create_default(by=None, programme=o["programme"])
    task = scheme.tasks.order_by("number").first()
    mark_scheme_create_default(by=None, task=task)
    return task


def _allocation(o: dict[str, object], kind: str = "first") -> Allocation:
    """A submitted script on a place of the world's cohort, allocated to the provider's assessor (once a world)."""
    task = _task(o)
    if "marking_place" not in o:  # a place of its own: other cases give the world's place other scripts
        o["marking_place"] = EnrolmentFactory(cohort=o["cohort"])
    submission = Submission.objects.filter(enrolment=o["marking_place"], task=task).first()
    now = timezone.now()
    if submission is None:
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        submission = Submission.objects.create(
            enrolment=o["marking_place"],
            task=task,
            candidate_number=services._candidate_number(),
            created_at=now,
            updated_at=now,
        )
        version = SubmissionVersion.objects.create(
            submission=submission, number=1, upload_started_at=now, uploaded_at=now
        )
        data = _pdf()
        SubmissionFile.objects.create(
            version=version,
            role="main",
            file=default_storage.save("submissions/isolation-marking.pdf", ContentFile(data)),
            original_name="script.pdf",
            kind="pdf",
            size=len(data),
            sha256="0" * 64,
            words=0,
        )
        submission.status, submission.submitted_version, submission.submitted_at = "submitted", version, now
        submission.save()
    allocation = submission.allocations.filter(kind=kind, ended_at__isnull=True).first()
    return allocation or Allocation.objects.create(
        submission=submission, kind=kind, assessor=_assessor(o), allocated_at=now, due_on=now.date()
    )


def _review(o: dict[str, object]) -> dict[str, object]:
    """A released result of the world's marking script, with a request to review it (made once per world)."""
    allocation = _allocation(o)
    submission = allocation.submission
    result = Result.objects.filter(submission=submission).first()
    if result is None:
        now = timezone.now()
        marking = Marking.objects.create(
            allocation=allocation, status="submitted", total=30, outcome="pass", feedback="Good", saved_at=now
        )
        result = Result.objects.create(
            submission=submission,
            outcome="pass",
            route="first",
            first_marking=marking,
            feedback="Good",
            decided_at=now,
            released_at=now,
        )
        ReviewRequest.objects.create(
            result=result,
            reason="Isolation",
            requested_by=submission.enrolment.participant.user,
            requested_at=now,
        )
    return {"pk": result.reviews.get().pk}


def _cohort_task(o: dict[str, object]) -> dict[str, object]:
    return {"pk": o["cohort"].pk, "number": _task(o).number}


MARKING_SCOPED: dict[str, Scoped] = {
    # The assessor's side
    "marking_page": Scoped(Action.MARK_SCRIPTS, lambda o: {"pk": _allocation(o).pk}),
    "lead_decision": Scoped(Action.MARK_SCRIPTS, lambda o: {"pk": _allocation(o, "lead").pk}),
    "marking_conflict": Scoped(Action.MARK_SCRIPTS, lambda o: {"pk": _allocation(o).pk}),
    "marking_autosave": Scoped(Action.MARK_SCRIPTS, lambda o: {"pk": _allocation(o).pk}, method="post"),
    "script_file": Scoped(
        Action.MARK_SCRIPTS, lambda o: {"pk": _allocation(o).submission.submitted_version.files.get().pk}
    ),
    # The provider admin's side
    "cohort_marking": Scoped(Action.VIEW_SUBMISSIONS, _cohort_task),
    "allocation_move": Scoped(Action.MANAGE_ASSESSMENT, lambda o: {"pk": _allocation(o).pk}),
    "allocation_run": Scoped(
        Action.MANAGE_ASSESSMENT,
        _cohort_task,
        method="post",
        data={"kind": "first", "due_on": "2099-01-31"},
        ok=OK,
    ),
    "assessor_set": Scoped(
        Action.MANAGE_ASSESSMENT,
        lambda o: {**_cohort_task(o), "user_pk": _assessor(o).pk},
        method="post",
        data={"capacity": "12"},
        ok=OK,
    ),
    "results_release": Scoped(Action.MANAGE_ASSESSMENT, _cohort_task, method="post", ok=OK),
    "review_queue": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"slug": o["provider"].slug}),
    "review_decide": Scoped(Action.VIEW_SUBMISSIONS, _review),
    # A participant's own request for a review: the world's place is nobody else's (like my_task).
    "review_ask": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk, "number": 1}, ok=(404,)),
}
MARKING_UNSCOPED: dict[str, str] = {
    "marking_queue": "the signed-in assessor's own allocations only (selectors.marking_queue); other roles 403",
}
