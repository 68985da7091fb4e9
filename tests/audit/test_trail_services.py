"""Writing the audit trail: only the fields that changed, kept as JSON a person can read back (dates as ISO
text, moments in UTC, decimals as text); equality data never kept, only the fact that it changed; a batch
writes its events in one INSERT when it ends, and none when what it wrapped failed."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services import PLATFORM, audit_batch, audit_diff, audit_record
from npqel.access import Role
from tests.people import person

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def test_a_diff_keeps_only_the_changed_fields_as_json_safe_values():
    before, after = audit_diff(
        {
            "status": "active",
            "start_date": datetime.date(2024, 9, 1),
            "fee": Decimal("2450.00"),
            "group": "North",
            "moment": datetime.datetime(
                2024, 6, 1, 13, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
            ),
        },
        {
            "status": "withdrawn",
            "start_date": datetime.date(2024, 9, 1),
            "fee": Decimal("2450.00"),
            "group": None,
            "moment": datetime.datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
            "coach": "Sam Okafor",
        },
    )
    # The same moment in two time zones is no change; a field only on one side counts as None on the other.
    assert before == {"status": "active", "group": "North", "coach": None}
    assert after == {"status": "withdrawn", "group": None, "coach": "Sam Okafor"}
    changed, _ = audit_diff({"fee": Decimal("1.50"), "on": datetime.date(2024, 1, 2)}, {})
    assert changed == {"fee": "1.50", "on": "2024-01-02"}
    json.dumps(changed)


def test_an_event_names_its_actor_and_keeps_its_values_as_json(provider):
    admin = person(Role.PROVIDER_ADMIN, provider)
    admin.full_name = "Dana Whitfield"
    when = datetime.datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    audit_record(
        actor=admin,
        action="enrolment.updated",
        obj_type="enrolment",
        obj_id=42,
        provider=provider,
        label="Priya Shah (NPQEL, cohort 2024-aut)",
        before={"start_date": datetime.date(2024, 9, 1)},
        after={"start_date": datetime.date(2024, 10, 1), "fee": Decimal("99.50")},
        at=when,
    )
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_label, event.at, event.provider, event.object_id) == (
        admin,
        "Dana Whitfield",
        when,
        provider,
        "42",
    )
    assert event.before == {"start_date": "2024-09-01"}
    assert event.after == {"start_date": "2024-10-01", "fee": "99.50"}
    job = audit_record(actor=None, action="enrolment.failed", obj_type="enrolment", obj_id=42, provider=None)
    assert job.actor_label == PLATFORM == "The platform"


def test_equality_data_is_never_kept_only_the_fact_that_it_changed(provider):
    audit_record(
        actor=None,
        action="participant.updated",
        obj_type="participant",
        obj_id=7,
        provider=provider,
        before={"ethnicity_code": "WBRI", "sex": "male", "school": "Oakfield"},
        after={
            "ethnicity_code": "BCRB",
            "sex": "female",
            "disability": "yes",
            "age_band": "35_44",
            "school": "Hill",
        },
    )
    event = AuditEvent.objects.get()
    assert event.before == {"school": "Oakfield"}
    assert event.after == {"school": "Hill", "equality_data": "changed"}
    stored = json.dumps([event.before, event.after, event.object_label])
    for value in ("WBRI", "BCRB", "male", "yes", "35_44", "ethnicity", "sex", "disability", "age_band"):
        assert value not in stored


def test_a_batch_writes_every_event_in_one_insert_when_it_ends(provider):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with audit_batch():
            for n in range(5):
                audit_record(
                    actor=None, action="attendance.marked", obj_type="attendance", obj_id=n, provider=provider
                )
            # Nothing is written until the batch ends.
            assert not AuditEvent.objects.exists()
    inserts = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')
    ]
    assert len(inserts) == 1
    assert sorted(AuditEvent.objects.values_list("object_id", flat=True)) == ["0", "1", "2", "3", "4"]


def test_a_batch_that_fails_writes_nothing(provider):
    with pytest.raises(ValueError), transaction.atomic(), audit_batch():
        audit_record(actor=None, action="result.released", obj_type="result", obj_id=1, provider=provider)
        raise ValueError("the release failed")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_refused_outside_a_transaction():
    # Its events would be written after the changes had been committed without them.
    with pytest.raises(RuntimeError, match="inside the transaction"), audit_batch():
        pass
