"""Isolation-matrix cases for a participant's own final-assessment pages (see test_matrix.py).

The world's enrolment belongs to its own participant only, so its task pages, uploads, submit, withdraw and
extension requests answer 404 to every role at either provider (or 403 where a role may never open them);
that the owner gets them is tested in tests/assessment/test_submitting.py. Receipts and stored files are
also open to those who may see the provider's submissions (provider admins, platform staff).
"""

import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from assessment import services
from assessment.models import Extension, Receipt, Submission, SubmissionFile, SubmissionVersion
from npqel.access import Action
from tests.isolation.cases import Scoped

NOBODY_ELSE = (404,)


def _task_kwargs(o: dict[str, object]) -> dict[str, object]:
    services.scheme_create_default(by=None, programme=o["programme"])
    return {"pk": o["enrolment"].pk, "number": 1}


def _version(o: dict[str, object]) -> SubmissionVersion:
    services.scheme_create_default(by=None, programme=o["programme"])
    task = o["programme"].assessment_scheme.tasks.get(number=1)
    now = timezone.now()
    submission, _ = Submission.objects.get_or_create(
        enrolment=o["enrolment"],
        task=task,
        attempt=1,
        defaults={"candidate_number": services._candidate_number(), "created_at": now, "updated_at": now},
    )
    number = submission.versions.count() + 1
    version = SubmissionVersion.objects.create(
        submission=submission, number=number, upload_started_at=now, uploaded_at=now
    )
    name = default_storage.save("submissions/isolation.pdf", ContentFile(b"%PDF-1.4 isolation"))
    SubmissionFile.objects.create(
        version=version,
        role="main",
        file=name,
        original_name="a.pdf",
        kind="pdf",
        size=18,
        sha256="0" * 64,
        words=2,
    )
    return version


def _receipt(o: dict[str, object]) -> Receipt:
    version = _version(o)
    return Receipt.objects.create(
        submission=version.submission,
        version=version,
        reference=services._receipt_reference(),
        issued_at=timezone.now(),
        content={"task": "Case study", "files": [], "deadline_text": "", "reference": ""},
    )


def _extension(o: dict[str, object]) -> dict[str, object]:
    services.scheme_create_default(by=None, programme=o["programme"])
    extension = Extension.objects.create(
        enrolment=o["enrolment"],
        task=o["programme"].assessment_scheme.tasks.get(number=1),
        reason="Isolation",
        deadline_then=datetime.date(2026, 3, 29),
        requested_until=datetime.date(2026, 4, 5),
        requested_at=timezone.now(),
        status=Extension.Status.WITHDRAWN,
    )
    return {"pk": extension.pk}


ASSESSMENT_PARTICIPANT_SCOPED: dict[str, Scoped] = {
    "my_assessment": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}, ok=NOBODY_ELSE),
    "my_task": Scoped(Action.VIEW_ENROLMENTS, _task_kwargs, ok=NOBODY_ELSE),
    "task_upload": Scoped(
        Action.VIEW_ENROLMENTS,
        _task_kwargs,
        method="post",
        ok=NOBODY_ELSE,
    ),
    "extension_ask": Scoped(Action.VIEW_ENROLMENTS, _task_kwargs, ok=NOBODY_ELSE),
    "version_submit": Scoped(
        Action.VIEW_ENROLMENTS,
        lambda o: {"pk": _version(o).pk},
        method="post",
        data={"declaration": "on"},
        ok=NOBODY_ELSE,
    ),
    "submission_withdraw": Scoped(
        Action.VIEW_ENROLMENTS, lambda o: {"pk": _version(o).submission_id}, method="post", ok=NOBODY_ELSE
    ),
    "extension_withdraw": Scoped(Action.VIEW_ENROLMENTS, _extension, method="post", ok=NOBODY_ELSE),
    "receipt_detail": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"reference": _receipt(o).reference}),
    "submission_file_download": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"pk": _version(o).files.get().pk}),
}
