"""Isolation-matrix cases for the history of changes (audit/views.py; see test_matrix.py).

A provider's history and its CSV need VIEW_AUDIT_TRAIL (provider admins at their own provider, platform staff):
provider admins at their own provider, platform staff everywhere. Any other role gets 403; an admin asking for
another provider's history 404, like a missing one. The page of every provider's history is for platform staff
only, so it sits outside the provider matrix (tests/audit/test_history_pages.py checks it).
"""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped


def _provider(o: dict[str, object]) -> dict[str, object]:
    return {"slug": o["provider"].slug}


AUDIT_SCOPED: dict[str, Scoped] = {
    "provider_history": Scoped(Action.VIEW_AUDIT_TRAIL, _provider),
    "provider_history_csv": Scoped(Action.VIEW_AUDIT_TRAIL, _provider),
}
# One provider's page each; the every-provider page is platform staff's alone (below).
AUDIT_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
AUDIT_UNSCOPED: dict[str, str] = {
    "platform_history": "platform staff only (403 for everyone else): every provider's history of changes",
    "platform_history_csv": "platform staff only (403 for everyone else): the same as a CSV",
}
