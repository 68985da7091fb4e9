"""Isolation-matrix cases for the DfE declarations pages (metrics/views_declarations.py; see test_matrix.py).

The page and each export's downloads need VIEW_METRICS (provider admins at their own provider, platform staff
everywhere); making an export needs EXPORT_DECLARATIONS (provider admins only: platform staff get 403, as every
other role). Another provider's page, export or download answers 404, like a missing one. Each world provider gets
an export of its own (made directly: the matrix tests who reaches it, not how it was made).
"""

from collections.abc import Callable

from django.utils import timezone

from npqel.access import Action
from tests.isolation.cases import Scoped


def _provider(o: dict[str, object]) -> dict[str, object]:
    return {"slug": o["provider"].slug}


def _export(o: dict[str, object]) -> dict[str, object]:
    from metrics.models import DeclarationExport

    export = DeclarationExport.objects.create(provider=o["provider"], made_at=timezone.now())
    return {"slug": o["provider"].slug, "pk": export.pk}


DECLARATION_SCOPED: dict[str, Scoped] = {
    "declarations": Scoped(Action.VIEW_METRICS, _provider),
    "declarations_export_json": Scoped(Action.VIEW_METRICS, _export),
    "declarations_export_csv": Scoped(Action.VIEW_METRICS, _export),
    # Redirects to the page, with the export made or the reason there was nothing to export.
    "declarations_export": Scoped(Action.EXPORT_DECLARATIONS, _provider, method="post", ok=(302,)),
}
# One provider's page each: no list page.
DECLARATION_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
DECLARATION_UNSCOPED: dict[str, str] = {}
