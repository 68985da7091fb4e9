"""Isolation-matrix cases for data protection (participants/views/privacy.py; see test_matrix.py).

- A provider's data-protection page (retention period, who is erased next) is for those who may see its
  enrolments: its admins, and platform staff for every provider (read-only there: changing the period needs
  MANAGE_ENROLMENTS, tested in tests/privacy/test_pages.py).
- A person's data-protection page and data export: provider admins for people with a place at their provider
  (the export then holds only that provider's places), platform staff for anyone. Another provider's person
  answers 404. Erasing (a POST on the person's page) is tested in tests/privacy/test_erase.py and test_pages.py.
- The signed-in participant's own export holds only their own data: nothing of anyone else's to scope.
"""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped

PRIVACY_SCOPED: dict[str, Scoped] = {
    "provider_data_protection": Scoped(Action.VIEW_ENROLMENTS, lambda o: {"slug": o["provider"].slug}),
    "participant_data_protection": Scoped(
        Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].participant_id}
    ),
    "participant_data_export": Scoped(
        Action.VIEW_ENROLMENTS, lambda o: {"pk": o["enrolment"].participant_id}
    ),
}
# Every page belongs to one provider or one person: no list page.
PRIVACY_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
PRIVACY_UNSCOPED: dict[str, str] = {
    "my_data_export": (
        "the signed-in participant's own data as a ZIP; 404 for someone without a participant record "
        "(see tests/privacy/test_export.py)"
    ),
}
