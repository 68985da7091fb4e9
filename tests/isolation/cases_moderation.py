"""Isolation-matrix cases for the moderation pages (assessment/views/moderation.py; see test_matrix.py).

- The provider's pages (its samples and the form to draw one, a sample's scripts and verdicts, marking quality)
  need VIEW_SUBMISSIONS to look: provider admins, and platform staff everywhere. Drawing (a POST to the samples
  page) needs MANAGE_ASSESSMENT; tests/assessment/test_moderation_pages.py checks it.
- The moderator's pages hold every provider's sampled scripts by design (moderators work across providers, by
  candidate number only), so they are not provider-scoped: they answer 403 to every other role, which
  tests/assessment/test_moderation_pages.py checks for each role against scripts of two providers.
Each world's sample is drawn fresh, from results written by tests/assessment/moderation_factories.py.
"""

from collections.abc import Callable

from npqel.access import Action
from tests.assessment.moderation_factories import drawn_sample, marked_world
from tests.isolation.cases import Scoped


def _sample(o: dict[str, object]) -> dict[str, object]:
    """A sample of three results on the world's cohort, drawn by its provider's admin."""
    return {"pk": drawn_sample(marked_world(o["provider"], cohort=o["cohort"]), by=o["admin"]).pk}


MODERATION_SCOPED: dict[str, Scoped] = {
    "moderation_samples": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"slug": o["provider"].slug}),
    "moderation_sample": Scoped(Action.VIEW_SUBMISSIONS, _sample),
    "marking_quality": Scoped(Action.VIEW_SUBMISSIONS, lambda o: {"slug": o["provider"].slug}),
}
# Every provider page of moderation belongs to one provider or sample: no list page without arguments.
MODERATION_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
MODERATION_UNSCOPED: dict[str, str] = {
    "moderation_queue": "moderators only, every provider's samples by candidate number (cross-provider by "
    "design); every other role gets 403: see tests/assessment/test_moderation_pages.py",
    "moderation_item": "moderators only, one sampled script of any provider by candidate number; every other "
    "role gets 403: see tests/assessment/test_moderation_pages.py",
}
