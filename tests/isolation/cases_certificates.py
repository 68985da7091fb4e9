"""Isolation-matrix cases for certificates and transcripts (assessment/views/certificates.py; see
test_matrix.py).

- A place's transcript and certificate download for its own participant and for those who may see the
  provider's enrolments (VIEW_ENROLMENTS: provider admins, and platform staff everywhere). The world's place
  is someone else's, so the matrix's participant gets 404, like every other role (that the owner gets them is
  tested in tests/assessment/test_certificates.py).
- Revoking a certificate needs MANAGE_ASSESSMENT: provider admins only, so platform staff get 403.
- The verification pages are public and read only a certificate's own four facts, found by its code: no
  provider's data to scope.
Certificates are made on a fresh completed place of the world's cohort, so the world's own place stays as
other cases expect it.
"""

from collections.abc import Callable

from django.utils import timezone

from assessment.certificates import QUALIFICATION, _new_code
from assessment.models import Certificate
from npqel.access import Action
from participants.models import Enrolment
from tests.isolation.cases import Scoped
from tests.participants.factories import EnrolmentFactory


def _certified_place(o: dict[str, object]) -> dict[str, object]:
    """A new completed place on the world's cohort, with its certificate."""
    place = EnrolmentFactory(cohort=o["cohort"], status=Enrolment.Status.COMPLETED)
    Certificate.objects.create(
        enrolment=place,
        code=_new_code(),
        name=place.participant.user.full_name or "Isolation Participant",
        qualification=QUALIFICATION,
        provider_name=o["provider"].name,
        awarded_on=timezone.localdate(),
        issued_at=timezone.now(),
    )
    return {"pk": place.pk}


CERTIFICATE_SCOPED: dict[str, Scoped] = {
    "transcript_download": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}),
    "certificate_download": Scoped(Action.VIEW_ENROLMENTS, _certified_place),
    "certificate_revoke": Scoped(Action.MANAGE_ASSESSMENT, _certified_place),
}
# Every certificate page belongs to one place (or is public): no list page.
CERTIFICATE_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
CERTIFICATE_UNSCOPED: dict[str, str] = {
    "certificate_verify_start": "public: a form asking for a certificate's code; no data",
    "certificate_verify": (
        "public, rate-limited per IP: only the name, qualification, provider and date of award of the certificate "
        "with that code (see test_certificates)"
    ),
}
