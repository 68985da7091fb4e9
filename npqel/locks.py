"""Advisory locks on names, for a job that reads what is stored and then writes (two at once would write twice).

Not a row's lock, which would hold up every other change to that row meanwhile. Each name becomes a 64-bit key
(the first 8 bytes of its SHA-256); the keys are taken in one statement, in order, so two callers over
overlapping names cannot deadlock. Held until the transaction ends. SQLite (make run) already writes one
transaction at a time: nothing to take.
"""

import hashlib
from collections.abc import Iterable

from django.db import connection


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def lock_names(names: Iterable[str]) -> None:
    """Take the advisory lock of each name until the surrounding transaction ends."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({_key(name) for name in names})
    if not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key ORDER BY key", [keys]
        )
