"""Isolation-matrix cases for calendar pages and feeds (see test_matrix.py)."""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped

CALENDAR_SCOPED: dict[str, Scoped] = {
    "session_ics": Scoped(Action.VIEW_COHORTS, lambda o: {"pk": o["session"].pk}),
}
CALENDAR_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
CALENDAR_UNSCOPED: dict[str, str] = {
    "calendar": (
        "the signed-in user's own feed address and their own calendar's sessions "
        "(whose sessions a feed holds: tests/programmes/test_calendar.py)"
    ),
    "calendar_reset": "replaces the signed-in user's own feed address; POST only",
    "calendar_feed": (
        "no sign-in: the unguessable key in the address is the capability; unknown or replaced keys answer 404 "
        "and each feed holds only its owner's sessions (tests/programmes/test_calendar.py)"
    ),
}
