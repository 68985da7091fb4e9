"""Isolation-matrix cases for the assessment API (assessment/api.py; see test_matrix.py).

Each provider's world gains, on first use, its programme's assessment scheme and a submission of the world's
place (a version with a file, submitted, with its receipt) and an extension request on it.
- Windows, submissions, receipts and extension requests are read with VIEW_SUBMISSIONS (provider admins;
  platform staff everywhere). The window read is of a fresh cohort of the provider, which the matrix's own
  participant (on the world's first cohort) is not in: a participant sees only their own cohorts' windows.
- Submitting a version is for the participant who uploaded it only: the world's place is someone else's, so
  every role, at either provider, gets 404 (that the owner may submit is tested in
  tests/api/test_assessment_api.py).
- Deciding a request needs MANAGE_ASSESSMENT (provider admins): each case makes a fresh request to grant.
"""

import datetime
from collections.abc import Callable

from django.utils import timezone

from assessment import services
from assessment.models import (
    AssessmentTask,
    AssessmentWindow,
    Extension,
    Receipt,
    Submission,
    SubmissionFile,
    SubmissionVersion,
)
from npqel.access import Action
from tests.isolation.cases import Scoped
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory

JSON = "application/json"
NOBODY_ELSE = (404,)
OPENS_ON = datetime.date(2024, 3, 4)
LAST_DAY = datetime.date(2024, 3, 11)


def _task(o: dict[str, object]) -> AssessmentTask:
    if "assessment_task" not in o:
        scheme = services.scheme_create_default(by=None, programme=o["programme"])
        o["assessment_task"] = scheme.tasks.order_by("number").first()
    return o["assessment_task"]


def _window(o: dict[str, object]) -> dict[str, object]:
    if "assessment_window" not in o:
        o["assessment_window"] = AssessmentWindow.objects.create(
            cohort=CohortFactory(programme=o["programme"]),
            task=_task(o),
            opens_on=OPENS_ON,
            closes_on=LAST_DAY,
            case_study_title=f"Case study of {o['provider'].slug}",
        )
    return {"pk": o["assessment_window"].pk}


def _submission(o: dict[str, object]) -> Submission:
    """The world's place's submission of the first task: one version with a file, submitted, its receipt."""
    if "submission" not in o:
        enrolment = o["enrolment"]
        now = timezone.now()
        submission = Submission.objects.create(
            enrolment=enrolment,
            task=_task(o),
            candidate_number=f"C{enrolment.pk:07d}",
            created_at=now,
            updated_at=now,
        )
        version = SubmissionVersion.objects.create(
            submission=submission,
            number=1,
            uploaded_by=enrolment.participant.user,
            upload_started_at=now,
            uploaded_at=now,
        )
        SubmissionFile.objects.create(
            version=version,
            role=SubmissionFile.Role.MAIN,
            file=f"submissions/isolation-{enrolment.pk}.docx",
            original_name="response.docx",
            kind="docx",
            size=1000,
            sha256="0" * 64,
            words=1200,
        )
        receipt = Receipt.objects.create(
            submission=submission,
            version=version,
            reference=f"NPQ-ISO{enrolment.pk}"[:20],
            issued_at=now,
            content={"reference": "", "files": []},
        )
        submission.status = Submission.Status.SUBMITTED
        submission.submitted_version = version
        submission.submitted_at = now
        submission.save()
        o.update(submission=submission, version=version, receipt=receipt)
    return o["submission"]


def _extension(o: dict[str, object], place: object = None) -> Extension:
    enrolment = place or o["enrolment"]
    return Extension.objects.create(
        enrolment=enrolment,
        task=_task(o),
        reason=f"Isolation {o['provider'].slug}",
        deadline_then=LAST_DAY,
        requested_until=LAST_DAY + datetime.timedelta(days=14),
        requested_by=enrolment.participant.user,
        requested_at=timezone.now(),
    )


def _the_extension(o: dict[str, object]) -> dict[str, object]:
    if "extension_request" not in o:
        o["extension_request"] = _extension(o)
    return {"pk": o["extension_request"].pk}


def _a_fresh_request(o: dict[str, object]) -> dict[str, object]:
    return {"pk": _extension(o, EnrolmentFactory(cohort=o["cohort"])).pk}


ASSESSMENT_API_SCOPED: dict[str, Scoped] = {
    "api:assessment-window-detail": Scoped(Action.VIEW_SUBMISSIONS, _window),
    "api:submission-detail": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"pk": _submission(o).pk}),
    "api:receipt-detail": Scoped(
        Action.VIEW_SUBMISSIONS, lambda o: _submission(o) and {"reference": o["receipt"].reference}
    ),
    "api:submission-version-submit": Scoped(
        Action.VIEW_SUBMISSIONS,
        lambda o: _submission(o) and {"pk": o["version"].pk},
        method="post",
        data={"declaration": True},
        content_type=JSON,
        ok=NOBODY_ELSE,
    ),
    "api:extension-detail": Scoped(Action.VIEW_SUBMISSIONS, _the_extension),
    "api:extension-decide": Scoped(
        Action.MANAGE_ASSESSMENT,
        _a_fresh_request,
        method="post",
        data={"grant": True, "new_deadline": str(LAST_DAY + datetime.timedelta(days=7))},
        content_type=JSON,
    ),
}

# Each list with the text of one row, as the API writes it (the rows are made by the cases above, which the
# matrix runs first).
ASSESSMENT_API_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {
    "api:assessment-window-list": (
        Action.VIEW_SUBMISSIONS,
        lambda o: f'"case_study_title":"Case study of {o["provider"].slug}"',
    ),
    "api:submission-list": (
        Action.VIEW_SUBMISSIONS,
        lambda o: f'"candidate_number":"{_submission(o).candidate_number}"',
    ),
    "api:extension-list": (Action.VIEW_SUBMISSIONS, lambda o: f'"reason":"Isolation {o["provider"].slug}"'),
}

ASSESSMENT_API_UNSCOPED: dict[str, str] = {
    "api:submission-upload": (
        "a participant uploads to their own place, named in the body: other roles get 403, and anyone else's "
        "place (at any provider) is refused like one that does not exist (see tests/api/test_assessment_api.py)"
    ),
}
