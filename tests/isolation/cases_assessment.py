"""Isolation-matrix cases for the provider's assessment pages (assessment/views/provider.py; see
test_matrix.py).

- Looking (a programme's scheme, a cohort's submissions and scripts ZIP, the extension queue, a place's
  eligibility exceptions) needs VIEW_SUBMISSIONS: provider admins, and platform staff everywhere.
- Changing (setting up the scheme, a task's rules, a window, deciding a request, taking back an exception)
  needs MANAGE_ASSESSMENT: provider admins only, so platform staff get 403.
- A request's evidence opens for MANAGE_ASSESSMENT (often medical: platform staff do not open it) and for the
  participant who sent it; the world's request is someone else's, so the matrix's participant gets 404.
Each world gains, on first use, its programme's standard scheme. Decisions act on a fresh request and the
take-back on a fresh place with an exception, so the world's own objects stay as other cases expect them.
"""

import datetime
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from assessment import services
from assessment.models import AssessmentTask, Extension, SubmissionOverride
from npqel.access import Action
from tests.isolation.cases import Scoped
from tests.participants.factories import EnrolmentFactory

OK = (302,)
LAST_DAY = datetime.date(2026, 3, 29)


def _task(o: dict[str, object]) -> AssessmentTask:
    """The world's programme's first task (the standard scheme, set up on first use)."""
    scheme = services.scheme_create_default(by=None, programme=o["programme"])
    return scheme.tasks.order_by("number").first()


def _cohort_task(o: dict[str, object]) -> dict[str, object]:
    return {"pk": o["cohort"].pk, "number": _task(o).number}


def _fresh_request(o: dict[str, object], *, evidence: bool = False) -> dict[str, object]:
    """A new request for more time by a new place on the world's cohort."""
    place = EnrolmentFactory(cohort=o["cohort"])
    stored = ""
    if evidence:
        stored = default_storage.save("evidence/isolation.pdf", ContentFile(b"%PDF-1.4 isolation evidence"))
    extension = Extension.objects.create(
        enrolment=place,
        task=_task(o),
        reason=f"Isolation {o['provider'].slug}",
        evidence=stored,
        evidence_name="letter.pdf" if stored else "",
        deadline_then=LAST_DAY,
        requested_until=LAST_DAY + datetime.timedelta(days=7),
        requested_by=place.participant.user,
        requested_at=timezone.now(),
    )
    return {"pk": extension.pk}


def _place_with_exception(o: dict[str, object]) -> dict[str, object]:
    place = EnrolmentFactory(cohort=o["cohort"])
    SubmissionOverride.objects.create(
        enrolment=place, reason="Isolation", recorded_by=o["admin"], recorded_at=timezone.now()
    )
    return {"pk": place.pk}


PROVIDER_ASSESSMENT_SCOPED: dict[str, Scoped] = {
    # Looking
    "programme_assessment": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"pk": o["programme"].pk}),
    "cohort_assessment": Scoped(Action.VIEW_SUBMISSIONS, lambda o: _task(o) and {"pk": o["cohort"].pk}),
    "cohort_scripts_zip": Scoped(Action.VIEW_SUBMISSIONS, _cohort_task),
    "extension_queue": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"slug": o["provider"].slug}),
    "assessment_exception": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"pk": o["enrolment"].pk}),
    "extension_evidence": Scoped(Action.MANAGE_ASSESSMENT, lambda o: _fresh_request(o, evidence=True)),
    # Changing
    "assessment_task_edit": Scoped(Action.MANAGE_ASSESSMENT, lambda o: {"pk": _task(o).pk}),
    "assessment_window_set": Scoped(Action.MANAGE_ASSESSMENT, _cohort_task),
    "extension_decide": Scoped(Action.MANAGE_ASSESSMENT, _fresh_request),
    # Setting up the scheme again changes nothing (it exists): the redirect proves the page was reached.
    "assessment_scheme_create": Scoped(
        Action.MANAGE_ASSESSMENT, lambda o: {"pk": o["programme"].pk}, method="post", ok=OK
    ),
    "assessment_exception_revoke": Scoped(
        Action.MANAGE_ASSESSMENT, _place_with_exception, method="post", ok=OK
    ),
}
# Every provider page of the assessment belongs to one programme, cohort, provider or place: no list page
# without arguments.
PROVIDER_ASSESSMENT_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
