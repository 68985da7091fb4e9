"""Isolation-matrix cases for session registers (see test_matrix.py).

Taking a register needs TAKE_REGISTER (provider admins and facilitators of the session's provider; platform
staff, coaches, assessors and participants get 403). The POST marks everyone not yet marked as present; it
acts on a fresh place made for the request in the session's group, so it really writes a mark and leaves the
world's own objects as other cases expect them. The world's session is in the past, so its register is open.
"""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped
from tests.participants.factories import EnrolmentFactory


def _session_with_a_fresh_member(o: dict[str, object]) -> dict[str, object]:
    EnrolmentFactory(cohort=o["cohort"], group=o["group"])
    return {"pk": o["session"].pk}


REGISTER_SCOPED: dict[str, Scoped] = {
    "session_register": Scoped(Action.TAKE_REGISTER, lambda o: {"pk": o["session"].pk}),
    "session_register_all_present": Scoped(
        Action.TAKE_REGISTER, _session_with_a_fresh_member, method="post", ok=(302,)
    ),
}
# A register belongs to one session: no register page lists rows of several providers.
REGISTER_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
