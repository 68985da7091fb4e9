"""Enqueue background work only once the surrounding transaction has committed."""

import logging
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: int | str, countdown: float | None = None) -> None:
    """Queue `task` with plain ids/strings after commit, so the worker never sees uncommitted rows.

    If the broker cannot be reached the request still succeeds: the row it saved records that the work
    is outstanding, and a periodic sweep (npqel/schedules.py) queues it again once Redis is back.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, countdown=countdown)
        except (OperationalError, OSError):
            logger.warning("Broker unreachable: %s%s left for the periodic sweep", task.name, args)

    transaction.on_commit(send)
