"""Isolation-matrix cases for the enrolment actions and history, participants and schools in the API (see
test_matrix.py).

Each action case makes a fresh place in the state it needs (active to defer or withdraw, deferred to resume),
so the cases neither depend on their order nor change the world's enrolment that other cases read.
"""

from collections.abc import Callable

from npqel.access import Action
from participants.models import Enrolment
from tests.isolation.cases import Scoped
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory

JSON = "application/json"
MANAGE = Action.MANAGE_ENROLMENTS


def fresh_place(status: str) -> Callable[[dict[str, object]], dict[str, object]]:
    def kwargs(o: dict[str, object]) -> dict[str, object]:
        return {"pk": EnrolmentFactory(cohort=o["cohort"], status=status).pk}

    return kwargs


# A transfer names its target cohort in the body, which the case's `data` holds before the world exists. So
# the URL's kwargs make both the place and a second cohort of its provider, and put that cohort's id in this
# body, which the matrix sends with the very request those kwargs are for.
TRANSFER_BODY: dict[str, object] = {}


def place_and_target(o: dict[str, object]) -> dict[str, object]:
    TRANSFER_BODY["cohort"] = CohortFactory(programme=o["programme"]).pk
    return fresh_place(Enrolment.Status.ACTIVE)(o)


def post(kwargs: Callable[[dict[str, object]], dict[str, object]], data: dict[str, object]) -> Scoped:
    return Scoped(MANAGE, kwargs, method="post", data=data, content_type=JSON)


PARTICIPANT_API_SCOPED: dict[str, Scoped] = {
    "api:enrolment-history": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].pk}),
    "api:enrolment-defer": post(fresh_place(Enrolment.Status.ACTIVE), {"reason": "parental-leave"}),
    "api:enrolment-resume": post(fresh_place(Enrolment.Status.DEFERRED), {}),
    "api:enrolment-withdraw": post(fresh_place(Enrolment.Status.ACTIVE), {"reason": "change-in-career"}),
    "api:enrolment-transfer": post(place_and_target, TRANSFER_BODY),
    "api:participant-detail": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].participant_id}),
}

# Each list with the text of one row, as the API writes it.
PARTICIPANT_API_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {
    "api:participant-list": (
        Action.VIEW_ENROLMENTS,
        lambda o: f'"email":"{o["enrolment"].participant.user.email}"',
    ),
}

PARTICIPANT_API_UNSCOPED: dict[str, str] = {
    "api:school-list": (
        "schools are public reference data (DfE's Get Information About Schools), no provider's: provider "
        "admins and platform staff read them all, other roles get 403 (see test_participant_api)"
    ),
    "api:school-detail": "one school by its URN: public reference data, as api:school-list",
}
