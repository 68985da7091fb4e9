"""Writing the audit trail (issue 9): one AuditEvent per change to an enrolment, an attendance mark, a
submission, a marking, a moderation verdict or a result — who, when, and the values before and after.

The services that make those changes call `audit_record` themselves, inside their own transaction, so an event
exists exactly when its change does (no signals: a change made elsewhere would be recorded without its reason, or
a rolled-back one recorded anyway). Paths that change many rows at once build unsaved events with `audit_event`
and write them with one `audit_record_many`, or run inside `audit_batch`, which collects every event recorded
within it and writes them in one INSERT at its end.

Equality data (ethnicity, sex, disability, age band) is never kept: `audit_record` drops those fields and keeps
only the fact that the person's equality data changed.
"""

import datetime
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone

from audit.models import AuditEvent

if TYPE_CHECKING:
    from accounts.models import User

# Who an event names when no person made the change (a nightly job, a release's knock-on changes).
PLATFORM = "The platform"
# Special-category data, never written to the audit trail, whatever a caller passes.
EQUALITY_FIELDS = frozenset({"ethnicity", "ethnicity_code", "sex", "disability", "age", "age_band"})
# What an event says instead, when a change included equality data.
EQUALITY_CHANGED = "equality_data"
LABEL_LONGEST = 200  # AuditEvent.object_label
ACTOR_LONGEST = 200  # AuditEvent.actor_label

# The events collected by an open `audit_batch` (None: write each at once).
_batch: ContextVar[list[AuditEvent] | None] = ContextVar("audit_batch", default=None)


def json_safe(value: object) -> object:
    """A value as the audit trail keeps it: dates and moments as ISO 8601 text (moments in UTC), decimals and
    UUIDs as text, choices as their stored value, model instances as their text; lists and dicts item by item."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, datetime.datetime):
        return (value.astimezone(datetime.UTC) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def audit_diff(
    before: Mapping[str, object], after: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """The fields whose values differ between two snapshots of an object, each side JSON-safe. A field missing
    from one side counts as None there."""
    changed_before: dict[str, object] = {}
    changed_after: dict[str, object] = {}
    for name in [*before, *(k for k in after if k not in before)]:
        old, new = json_safe(before.get(name)), json_safe(after.get(name))
        if old != new:
            changed_before[name] = old
            changed_after[name] = new
    return changed_before, changed_after


def _without_equality(values: Mapping[str, object] | None) -> tuple[dict[str, object] | None, bool]:
    if values is None:
        return None, False
    kept = {name: json_safe(v) for name, v in values.items() if name not in EQUALITY_FIELDS}
    return kept, len(kept) != len(values)


def actor_label(actor: "User | None") -> str:
    return (actor.display_name if actor is not None else PLATFORM)[:ACTOR_LONGEST]


def audit_event(
    *,
    actor: "User | None",
    action: str,
    obj_type: str,
    obj_id: object,
    provider: object,
    label: str = "",
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    at: datetime.datetime | None = None,
) -> AuditEvent:
    """An unsaved event (for paths that write many at once with `audit_record_many`). `provider` is a Provider,
    its id, or None; `before` None means the object was created, `after` None that it was removed. Equality data
    in either is dropped, leaving only the fact that it changed."""
    before_kept, before_had = _without_equality(before)
    after_kept, after_had = _without_equality(after)
    if before_had or after_had:
        # The fact, never the values: "their equality data changed".
        after_kept = {**(after_kept or {}), EQUALITY_CHANGED: "changed"}
    provider_id = provider if provider is None or isinstance(provider, int) else provider.pk  # type: ignore[attr-defined]
    return AuditEvent(
        provider_id=provider_id,
        at=at or timezone.now(),
        actor=actor,
        actor_label=actor_label(actor),
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        object_label=label[:LABEL_LONGEST],
        before=before_kept,
        after=after_kept,
    )


def audit_record(
    *,
    actor: "User | None",
    action: str,
    obj_type: str,
    obj_id: object,
    provider: object,
    label: str = "",
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    at: datetime.datetime | None = None,
) -> AuditEvent:
    """Record one change: who made it (`actor`; None is the platform itself), what (`action`, e.g.
    "enrolment.withdrawn"), to which object, and the changed fields' values before and after. Call it inside the
    transaction that makes the change. Inside `audit_batch` the event is written when the batch ends."""
    event = audit_event(
        actor=actor,
        action=action,
        obj_type=obj_type,
        obj_id=obj_id,
        provider=provider,
        label=label,
        before=before,
        after=after,
        at=at,
    )
    pending = _batch.get()
    if pending is not None:
        pending.append(event)
    else:
        event.save(force_insert=True)
    return event


def audit_record_many(events: list[AuditEvent]) -> None:
    """Write events built with `audit_event` in one INSERT (or add them to the open batch)."""
    if not events:
        return
    pending = _batch.get()
    if pending is not None:
        pending.extend(events)
    else:
        AuditEvent.objects.bulk_create(events)


@contextmanager
def audit_batch() -> Iterator[list[AuditEvent]]:
    """Collect the events recorded inside the block and write them in one INSERT when it ends without an error
    (nothing is written if it raises). Open it inside the transaction of the change, around code that does not
    catch a rolled-back error and carry on (an event recorded in a savepoint rolled back and swallowed inside
    the block would still be written). A batch inside a batch joins the outer one."""
    if _batch.get() is not None:
        yield _batch.get()  # type: ignore[misc]
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Open an audit batch inside the transaction that makes the changes.")
    events: list[AuditEvent] = []
    token = _batch.set(events)
    try:
        yield events
    finally:
        _batch.reset(token)
    if events:
        AuditEvent.objects.bulk_create(events)
