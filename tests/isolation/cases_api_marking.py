"""Isolation-matrix cases for the marking API (assessment/api_marking.py; see test_matrix.py).

- An assessor's scripts (MARK_SCRIPTS) are only those allocated to them: the world's own script is allocated to
  the world's assessor, the other provider's to an assessor of its own (tests/isolation/cases_marking.py), so
  every role gets 404 for it, or 403 for a role that never marks. The lead's decision is sent with an outcome
  that is not one, so the world's assessor gets 400 (found, then refused) and nothing is decided.
- A cohort's marking is read with VIEW_SUBMISSIONS (provider admins; platform staff everywhere) and changed with
  MANAGE_ASSESSMENT (provider admins). Releasing is refused (400) while the world's script is still being marked,
  and the move names an assessor nobody is, so both prove the request got past scoping without changing
  anything other cases read.
- Results are read with VIEW_SUBMISSIONS: the world's result is of a new place on the world's cohort (not the
  matrix's participant's), released, so the participant gets 404 for it like everyone without the action.
- Moderators' endpoints hold every provider's sampled scripts by design (by candidate number), and the
  certificate check is public: neither is provider-scoped (tests/api/test_marking_api.py checks both).
"""

from collections.abc import Callable

from django.utils import timezone

from assessment.models import Result
from npqel.access import Action
from tests.assessment.moderation_factories import marked_result, marked_world
from tests.isolation.cases import Scoped
from tests.isolation.cases_marking import _allocation, _assessor, _cohort_task

JSON = "application/json"
REFUSED = (400,)
NOBODY = 9_000_000_000  # no user has this id


def _result(o: dict[str, object]) -> Result:
    """A released result of a new place on the world's cohort, first-marked by the provider's assessor."""
    if "marking_api_result" not in o:
        world = marked_world(o["provider"], cohort=o["cohort"])
        o["marking_api_result"] = marked_result(world, first=_assessor(o), released_at=timezone.now())
    return o["marking_api_result"]


MARKING_API_SCOPED: dict[str, Scoped] = {
    # An assessor's side
    "api:marking-allocation-detail": Scoped(Action.MARK_SCRIPTS, lambda o: {"pk": _allocation(o).pk}),
    "api:marking-allocation-marking": Scoped(Action.MARK_SCRIPTS, lambda o: {"pk": _allocation(o).pk}),
    "api:marking-allocation-decision": Scoped(
        Action.MARK_SCRIPTS,
        lambda o: {"pk": _allocation(o, "lead").pk},
        method="post",
        data={"outcome": "not an outcome", "feedback": "", "rationale": ""},
        content_type=JSON,
        ok=REFUSED,
    ),
    # The provider admin's side
    "api:cohort-marking": Scoped(Action.VIEW_SUBMISSIONS, _cohort_task),
    "api:cohort-marking-allocate": Scoped(
        Action.MANAGE_ASSESSMENT,
        _cohort_task,
        method="post",
        data={"kind": "first", "due_on": "2099-01-31"},
        content_type=JSON,
    ),
    "api:cohort-marking-release": Scoped(
        Action.MANAGE_ASSESSMENT, _cohort_task, method="post", content_type=JSON, ok=REFUSED
    ),
    "api:allocation-move": Scoped(
        Action.MANAGE_ASSESSMENT,
        lambda o: {"pk": _allocation(o).pk},
        method="post",
        data={"to": NOBODY, "reason": "Isolation"},
        content_type=JSON,
        ok=REFUSED,
    ),
    # Results
    "api:result-detail": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"pk": _result(o).pk}),
}

# Each list with the text of one row, as the API writes it.
MARKING_API_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {
    "api:result-list": (
        Action.VIEW_SUBMISSIONS,
        lambda o: f'"candidate_number":"{_result(o).submission.candidate_number}"',
    ),
    # The signed-in assessor's own scripts: another provider's script is another assessor's, never listed.
    "api:marking-allocation-list": (
        Action.MARK_SCRIPTS,
        lambda o: f'"candidate_number":"{_allocation(o).submission.candidate_number}"',
    ),
}

MARKING_API_UNSCOPED: dict[str, str] = {
    "api:moderation-item-list": "moderators only, every provider's sampled scripts by candidate number "
    "(cross-provider by design); every other role gets 403: see tests/api/test_marking_api.py",
    "api:moderation-item-detail": "moderators only, one sampled script of any provider by candidate number; "
    "every other role gets 403: see tests/api/test_marking_api.py",
    "api:moderation-item-verdict": "moderators only, a verdict on a sampled script of any provider; every other "
    "role gets 403: see tests/api/test_marking_api.py",
    "api:certificate-check": "public, rate-limited per IP: only the four facts of the certificate with that code, "
    "or that it was revoked and when (see tests/api/test_marking_api.py)",
}
