"""Isolation-matrix cases for self check-in (see test_matrix.py).

Running check-in needs TAKE_REGISTER (provider admins and facilitators of the session's provider; platform
staff, coaches, assessors and participants get 403). The world's session is in the past, so its check-in page
says check-in has closed, and closing (a POST) has nothing to close: both still answer as for any session.

The participant's check-in page holds no provider data: the code they type matches only sessions at which
one of their own places is expected (tests/participants/test_checkin.py), and other roles get 403.
"""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped

CHECKIN_SCOPED: dict[str, Scoped] = {
    "session_check_in": Scoped(Action.TAKE_REGISTER, lambda o: {"pk": o["session"].pk}),
    "session_check_in_close": Scoped(
        Action.TAKE_REGISTER, lambda o: {"pk": o["session"].pk}, method="post", ok=(302,)
    ),
}
# Check-in belongs to one session: no check-in page lists rows of several providers.
CHECKIN_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
CHECKIN_UNSCOPED: dict[str, str] = {
    "check_in": "participants only (others 403); a code matches only sessions the participant is expected at "
    "(see tests/participants/test_checkin.py)",
}
