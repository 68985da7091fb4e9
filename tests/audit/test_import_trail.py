"""The participants import changes a person's own record, a place's external id and the earlier system's
record directly (not through the lifecycle services): each lands in the audit trail too, equality answers only
as "changed"."""

import datetime

import pytest

from audit.models import AuditEvent
from npqel.access import Role
from participants import imports
from participants.models import EnrolmentImport
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory, ProviderFactory

pytestmark = pytest.mark.django_db
HEADER = (
    "external_id,email,first_name,last_name,school_urn,school_name,cohort_code,ethnicity_code,presented_on"
)


def run(provider, admin, text):
    batch = imports.import_check(by=admin, provider=provider, file_name="cohort.csv", content=text.encode())
    assert batch.status == EnrolmentImport.Status.READY, batch.report
    return imports.import_confirm(by=admin, batch=batch)


def test_an_imports_direct_changes_are_in_the_history():
    provider = ProviderFactory(slug="ember")
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider),
        code="ee-2025",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2027, 2, 28),
    )
    admin = person(Role.PROVIDER_ADMIN, provider)
    by_hand = EnrolmentFactory(cohort=cohort, participant__user__email="amira@example.org")
    run(
        provider,
        admin,
        f"{HEADER}\nEE-1,amira@example.org,Amira,Khan,100001,Ash School,ee-2025,AIND,2026-03-02\n",
    )
    events = {e.action: e for e in AuditEvent.objects.filter(object_id=str(by_hand.pk))}
    adopted = events["enrolment.updated"]
    assert (adopted.before, adopted.after) == ({"external_id": ""}, {"external_id": "EE-1"})
    assert adopted.actor_id == admin.pk
    details = events["enrolment.participant_updated"]
    assert details.after["school"] == "Ash School"
    assert details.after.get("equality_data") == "changed" and "AIND" not in str(details.after)
    earlier = events["enrolment.earlier_record_updated"]
    assert earlier.before is None and earlier.after == {"presented_on": "2026-03-02"}
