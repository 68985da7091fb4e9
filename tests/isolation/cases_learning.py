"""Isolation-matrix cases for online learning (see test_matrix.py).

The cohort's online-learning grid needs VIEW_ENROLMENTS (provider admins; platform staff look at every
provider's); importing a learning platform's export, its example file and recording or removing a component
done need RECORD_LEARNING (provider admins only: platform staff, facilitators, coaches, assessors and
participants get 403). Removing a component that is not recorded is answered with a message (302), so no case
changes another's objects.
"""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped

LEARNING_SCOPED: dict[str, Scoped] = {
    "cohort_online_learning": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"pk": o["cohort"].pk}),
    "lms_import": Scoped(Action.RECORD_LEARNING, lambda o: {"pk": o["cohort"].pk}),
    "lms_import_example": Scoped(Action.RECORD_LEARNING, lambda o: {"pk": o["cohort"].pk}),
    "enrolment_component_done": Scoped(Action.RECORD_LEARNING, lambda o: {"pk": o["enrolment"].pk}),
    "enrolment_component_done_remove": Scoped(
        Action.RECORD_LEARNING,
        lambda o: {"pk": o["enrolment"].pk, "component_pk": o["component"].pk},
        method="post",
        ok=(302,),
    ),
}
# Each page is about one cohort or one place: none lists rows of several providers.
LEARNING_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
