"""Enqueue background work only once the surrounding transaction has committed."""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction


def enqueue(task: Any, *args: int | str, **kwargs: int | str) -> None:
    """Queue `task` with plain ids/strings after commit, so the worker never sees uncommitted rows."""
    send: Callable[[], object] = partial(task.delay, *args, **kwargs)
    transaction.on_commit(send)
