"""Isolation-matrix cases for the cohort roster, participant records and the changes made from them (see
test_matrix.py).

Reading needs VIEW_ENROLMENTS (provider admins; platform staff everywhere); every change needs
MANAGE_ENROLMENTS (provider admins only: platform staff get 403). Each change acts on a fresh place in the
status it needs, made for the request, so the world's own enrolment stays as other cases expect it.
"""

from collections.abc import Callable

from npqel.access import Action
from participants.models import Enrolment
from tests.isolation.cases import Scoped
from tests.participants.factories import EnrolmentFactory

OK = (302,)
# A day in the past: a change is recorded once it has happened.
ON = "2024-01-15"
S = Enrolment.Status


def _fresh(status: str) -> Callable[[dict[str, object]], dict[str, object]]:
    """The pk of a new place on the world's cohort, in `status`, made only for the request."""
    return lambda o: {"pk": EnrolmentFactory(cohort=o["cohort"], status=status).pk}


def _fresh_with(status: str, field: str, key: str) -> Callable[[dict[str, object]], dict[str, object]]:
    """As _fresh, with `field` set to the world's object `key` (so the request can take it away)."""
    return lambda o: {"pk": EnrolmentFactory(cohort=o["cohort"], status=status, **{field: o[key]}).pk}


ROSTER_SCOPED: dict[str, Scoped] = {
    # Reading
    "cohort_roster": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["cohort"].pk}),
    "cohort_roster_csv": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["cohort"].pk}),
    "enrolment_detail": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}),
    # The transfer form lists the provider's other cohorts, which differ per world: its page is enough.
    "enrolment_transfer": Scoped(Action.MANAGE_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}),
    # Changes
    "enrolment_accept": Scoped(
        Action.MANAGE_ENROLMENTS, _fresh(S.APPLIED), method="post", data={"on": ON}, ok=OK
    ),
    "enrolment_start": Scoped(
        Action.MANAGE_ENROLMENTS, _fresh(S.ACCEPTED), method="post", data={"on": ON}, ok=OK
    ),
    "enrolment_defer": Scoped(
        Action.MANAGE_ENROLMENTS,
        _fresh(S.ACTIVE),
        method="post",
        data={"reason": "other", "on": ON},
        ok=OK,
    ),
    "enrolment_resume": Scoped(
        Action.MANAGE_ENROLMENTS, _fresh(S.DEFERRED), method="post", data={"on": ON}, ok=OK
    ),
    "enrolment_withdraw": Scoped(
        Action.MANAGE_ENROLMENTS,
        _fresh(S.ACTIVE),
        method="post",
        data={"reason": "other", "on": ON},
        ok=OK,
    ),
    "enrolment_change_group": Scoped(
        Action.MANAGE_ENROLMENTS,
        _fresh_with(S.ACTIVE, "group", "group"),
        method="post",
        data={"group": ""},
        ok=OK,
    ),
    "enrolment_change_coach": Scoped(
        Action.MANAGE_ENROLMENTS,
        _fresh_with(S.ACTIVE, "coach", "admin"),
        method="post",
        data={"coach": ""},
        ok=OK,
    ),
    "enrolment_change_funding": Scoped(
        Action.MANAGE_ENROLMENTS,
        _fresh(S.ACTIVE),
        method="post",
        data={"funding_route": "self_funded"},
        ok=OK,
    ),
}
# The roster belongs to one cohort: no participants page lists rows of several providers.
ROSTER_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
