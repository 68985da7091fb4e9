"""Isolation-matrix cases for the DfE quality metrics page and its downloads (metrics/views.py; see
test_matrix.py).

The page, its CSV and its PDF show one provider's figures (aggregates only, small groups suppressed) and need
VIEW_METRICS: provider admins at their own provider, platform staff everywhere; any other role gets 403, and an
admin asking for another provider's metrics 404. The world's cohort gives the provider one recruitment year, so
each answers 200 with figures, not an empty page.
"""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped


def _provider(o: dict[str, object]) -> dict[str, object]:
    return {"slug": o["provider"].slug}


METRICS_SCOPED: dict[str, Scoped] = {
    "metrics": Scoped(Action.VIEW_METRICS, _provider),
    "metrics_csv": Scoped(Action.VIEW_METRICS, _provider),
    "metrics_pdf": Scoped(Action.VIEW_METRICS, _provider),
    # Only the provider's own admins choose to publish: platform staff get 403 like any other role.
    "metrics_publishing": Scoped(
        Action.PUBLISH_METRICS, _provider, method="post", data={"public": "yes"}, ok=(302,)
    ),
}
# One provider's page each: no list page.
METRICS_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
# Pages for everyone or for platform staff only (the reason each is outside the provider matrix).
METRICS_UNSCOPED: dict[str, str] = {
    "metrics_public": "for anyone: a provider's published tables, 404 unless it chose to publish them",
    "metrics_overview": "platform staff only (403 for everyone else): every provider side by side",
}
