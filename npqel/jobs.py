"""Background work goes through an outbox (npqel.models.OutboxTask), so that no job is lost while Redis is down.

`enqueue` writes the job in the caller's transaction; once that commits, the job is sent to the broker and its row
marked sent. If the broker cannot be reached the request still succeeds: the row stays unsent and
`outbox_drain` (every minute, and whenever a worker starts) sends it, oldest first, once Redis is back. A job
may run twice (sent, then the mark lost), never zero times: every task is safe to run twice.
"""

import datetime
import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from npqel.models import OutboxTask

logger = logging.getLogger(__name__)

# What a send raises when Redis is down or refuses the connection.
BROKER_ERRORS = (OperationalError, OSError)
# Rows sent per transaction while draining: each batch holds its rows' locks only while it sends them.
DRAIN_BATCH = 100
# Sent rows are kept this long, to see what was sent and when, then deleted by the drain.
KEEP_SENT = datetime.timedelta(days=7)


def enqueue(task: Any, *args: int | str, countdown: float | None = None) -> None:
    """Queue `task` with plain ids/strings once the surrounding transaction commits, so the worker never sees
    uncommitted rows; kept in the outbox until the broker has it."""
    row = OutboxTask.objects.create(task_name=task.name, args=list(args), countdown=countdown)
    transaction.on_commit(lambda: _send_committed(task, row.pk, args, countdown))


def _eager(task: Any) -> bool:
    # Read from the Celery app, not settings: tests/workers switch it off while a real worker runs.
    return bool(task.app.conf.task_always_eager)


def _send_committed(task: Any, pk: int, args: Sequence[object], countdown: float | None) -> None:
    if _eager(task):
        # No broker (`make run` without Redis, the test suite): the task runs here and now. A network error (a mail
        # server down) leaves the job for the drain and the page unharmed; any other error reaches the caller,
        # so that tests see it.
        try:
            _run_here(pk, task, args)
        except BROKER_ERRORS as exc:
            logger.warning("%s failed (%s): left in the outbox", task.name, exc)
        return
    with transaction.atomic():
        # Locked, so that a drain running now cannot send it too; skipped if a drain has it already.
        row = (
            OutboxTask.objects.select_for_update(skip_locked=True).filter(pk=pk, sent_at__isnull=True).first()
        )
        if row is not None:
            _send_rows([row], resolve=lambda name: task)


def _run_here(pk: int, task: Any, args: Sequence[object]) -> bool:
    """Without a broker: mark the job sent (so that no drain runs it as well), then run it in this process,
    outside any transaction of ours, as a worker would. If it fails the job is unmarked, with its error, and
    the error raised. False when something else had already run it."""
    claimed = OutboxTask.objects.filter(pk=pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    try:
        task.apply_async(args=args)
    except Exception as exc:
        OutboxTask.objects.filter(pk=pk).update(sent_at=None, last_error=_error(exc))
        raise
    return True


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _record_failure(rows: Any, exc: BaseException) -> None:
    rows.update(attempts=F("attempts") + 1, last_error=_error(exc))


def _remaining_countdown(row: OutboxTask, now: datetime.datetime) -> float | None:
    """A job sent late keeps its intended time, not a fresh delay: what is left of its countdown, if anything."""
    if not row.countdown:
        return None
    left = row.countdown - (now - row.created_at).total_seconds()
    return left if left > 0 else None


def _send_rows(rows: Sequence[OutboxTask], *, resolve: Any) -> tuple[int, bool]:
    """Send these claimed rows in order and mark the ones sent; returns (how many sent, whether the broker was
    unreachable — the rest are then left for the next drain)."""
    sent: list[int] = []
    broker_down = False
    for row in rows:
        now = timezone.now()
        task = resolve(row.task_name)
        try:
            if task is None:
                raise LookupError(f"No task named {row.task_name} is registered: was it renamed?")
            task.apply_async(args=row.args, countdown=_remaining_countdown(row, now))
        except BROKER_ERRORS as exc:
            logger.warning("Broker unreachable: %s left in the outbox (%s)", row, exc)
            _record_failure(OutboxTask.objects.filter(pk=row.pk), exc)
            broker_down = True
            break
        except Exception as exc:
            # Not the broker (a renamed task, arguments it cannot encode): kept, with the error, for a person to see.
            logger.exception("Could not send %s: left in the outbox", row)
            _record_failure(OutboxTask.objects.filter(pk=row.pk), exc)
            continue
        sent.append(row.pk)
    if sent:
        OutboxTask.objects.filter(pk__in=sent).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
    return len(sent), broker_down


def _run_rows_here(rows: Sequence[OutboxTask]) -> int:
    """Run these jobs in this process, in order (no broker); returns how many ran. One that fails is kept, with
    its error, and the rest still run."""
    ran = 0
    for row in rows:
        task = _registered(row.task_name)
        try:
            if task is None:
                raise LookupError(f"No task named {row.task_name} is registered: was it renamed?")
            ran += _run_here(row.pk, task, row.args)
        except Exception as exc:
            logger.warning("Could not run %s (%s): left in the outbox", row, exc)
            if task is None:
                _record_failure(OutboxTask.objects.filter(pk=row.pk), exc)
    return ran


def _registered(name: str) -> Any:
    from npqel.celery import app

    if name not in app.tasks:
        # A web process has imported only the tasks its pages used; load every app's tasks.py.
        app.loader.import_default_modules()
    return app.tasks.get(name)


def outbox_drain(*, now: datetime.datetime | None = None) -> int:
    """Send every job not yet sent, oldest first, and forget jobs sent more than KEEP_SENT ago; returns how many
    were sent. Stops at the first broker error (Redis still down: the next run carries on). Safe in two
    workers at once: each row is claimed with SELECT … FOR UPDATE SKIP LOCKED, so no job is sent twice."""
    from npqel.celery import app

    total = 0
    after: tuple[datetime.datetime, int] | None = None
    while True:
        unsent = OutboxTask.objects.filter(sent_at__isnull=True).order_by("created_at", "pk")
        if after is not None:
            # Onward from the last row seen, so that a row that keeps failing is tried once per drain.
            unsent = unsent.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], pk__gt=after[1]))
        if app.conf.task_always_eager:
            # No broker: each task runs here, so no transaction of ours is held around it.
            rows = list(unsent[:DRAIN_BATCH])
            sent, broker_down = _run_rows_here(rows), False
        else:
            with transaction.atomic():
                rows = list(unsent.select_for_update(skip_locked=True)[:DRAIN_BATCH])
                sent, broker_down = _send_rows(rows, resolve=_registered)
        total += sent
        if broker_down or len(rows) < DRAIN_BATCH:
            break
        after = (rows[-1].created_at, rows[-1].pk)
    OutboxTask.objects.filter(sent_at__lt=(now or timezone.now()) - KEEP_SENT).delete()
    return total


def outbox_state(*, now: datetime.datetime | None = None) -> dict[str, object]:
    """How many jobs wait in the outbox, how long the oldest has waited, and the last error of the oldest."""
    now = now or timezone.now()
    unsent = OutboxTask.objects.filter(sent_at__isnull=True).order_by("created_at", "pk")
    oldest = unsent.values("created_at", "last_error", "task_name").first()
    return {
        "unsent": unsent.count(),
        "oldest_unsent_seconds": round((now - oldest["created_at"]).total_seconds()) if oldest else None,
        "oldest_unsent_task": oldest["task_name"] if oldest else None,
        "last_error": oldest["last_error"] if oldest else "",
    }
