"""Isolation-matrix cases for importing participants from a spreadsheet (see test_matrix.py).

Uploading, confirming and inviting need MANAGE_ENROLMENTS; reading an import's preview needs VIEW_ENROLMENTS
(platform staff may read, not import). Each provider's world gains one checked import, made on first use.
"""

from collections.abc import Callable

from npqel.access import Action
from participants.models import EnrolmentImport
from tests.isolation.cases import Scoped

OK = (302,)


def _batch(o: dict[str, object]) -> dict[str, object]:
    if "import" not in o:
        o["import"] = EnrolmentImport.objects.create(
            provider=o["provider"],
            uploaded_by=o["admin"],
            file_name=f"{o['provider'].slug}-participants.csv",
            # Empty: confirming it is refused with a message (302), so no case changes another's objects.
            content=b"",
            status=EnrolmentImport.Status.READY,
            report={"ok": True, "summary": ["0 new places"], "counts": {}, "rows": [], "problems": []},
        )
    return {"pk": o["import"].pk}


IMPORT_SCOPED: dict[str, Scoped] = {
    "import_upload": Scoped(Action.MANAGE_ENROLMENTS, lambda o: {"slug": o["provider"].slug}),
    "import_detail": Scoped(Action.VIEW_ENROLMENTS, _batch),
    "import_confirm": Scoped(Action.MANAGE_ENROLMENTS, _batch, method="post", ok=OK),
    "import_invite": Scoped(Action.MANAGE_ENROLMENTS, _batch, method="post", ok=OK),
    # Not stuck: refused with a message (302).
    "import_restart": Scoped(Action.MANAGE_ENROLMENTS, _batch, method="post", ok=OK),
}
IMPORT_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}

API_IMPORT_SCOPED: dict[str, Scoped] = {
    "api:import-detail": Scoped(Action.VIEW_ENROLMENTS, _batch),
    # Confirming or inviting for the empty file is refused with the API's 400, after the access checks.
    "api:import-confirm": Scoped(Action.MANAGE_ENROLMENTS, _batch, method="post", ok=(400,)),
    "api:import-invite": Scoped(Action.MANAGE_ENROLMENTS, _batch, method="post", ok=(400,)),
}
API_IMPORT_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {
    "api:import-list": (Action.VIEW_ENROLMENTS, lambda o: _batch(o) and o["import"].file_name),
}

IMPORT_UNSCOPED: dict[str, str] = {
    "import_example": "a made-up example spreadsheet for provider admins; no provider data",
}
