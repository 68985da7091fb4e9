# ruff: noqa: E501 (spreadsheet rows are kept one per line, as a provider would see them)
"""The participants import's optional dfe_participant_id column (DfE's own ID for the person, which the DfE
declarations export needs): stored on the participant, anything but a UUID refused with its row and column, an ID
already someone else's refused, the same file twice unchanged, an ID added to a place imported before, and an ID
that declarations were sent to DfE under never changed by a file."""

import datetime
import uuid

import pytest
import time_machine

from metrics.declarations import declarations_export
from npqel.access import Role
from participants import imports
from participants.models import Enrolment, EnrolmentImport, Participant
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory, ProviderFactory

pytestmark = pytest.mark.django_db
D = datetime.date
AMIRA = "db3a7848-7308-4879-942a-c4a70ced400a"
BEN = "5f2c8e1a-9b4d-4c2e-8f3a-1d2b3c4d5e6f"
HEADER = "external_id,email,first_name,last_name,school_urn,school_name,cohort_code,dfe_participant_id"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def world():
    provider = ProviderFactory(slug="ember", name="Ember Leadership")
    programme = ProgrammeFactory(provider=provider, code="npqel")
    cohort = CohortFactory(
        programme=programme, code="ee-2025", start_date=D(2025, 9, 1), end_date=D(2027, 2, 28)
    )
    return provider, cohort, person(Role.PROVIDER_ADMIN, provider)


def run(world, text: str) -> EnrolmentImport:
    provider, _, admin = world
    batch = imports.import_check(by=admin, provider=provider, file_name="cohort.csv", content=text.encode())
    return (
        imports.import_confirm(by=admin, batch=batch)
        if batch.status == EnrolmentImport.Status.READY
        else batch
    )


def problems(batch: EnrolmentImport) -> dict[tuple[int, str], str]:
    return {(p["row"], p["column"]): p["message"] for p in batch.report["problems"]}


def dfe_id(email: str) -> uuid.UUID | None:
    return Participant.objects.get(user__email=email).dfe_participant_id


def test_the_column_is_optional_and_its_id_is_stored_on_the_participant(world):
    batch = run(
        world,
        f"""{HEADER}
A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,{AMIRA.upper()}
A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025,
""",
    )
    assert batch.status == EnrolmentImport.Status.IMPORTED
    assert dfe_id("amira.khan@example.org") == uuid.UUID(AMIRA)  # capitals or not, the same ID
    assert dfe_id("ben.jones@example.org") is None  # empty: nothing recorded
    row = batch.report["rows"][0]
    assert "records their DfE participant ID" in row["changes"]
    assert "dfe_participant_id" in imports.OPTIONAL_COLUMNS


def test_anything_but_a_uuid_is_refused_with_its_row_and_column(world):
    batch = run(
        world,
        f"""{HEADER}
A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,12345
A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025,db3a7848-7308-4879-942a-c4a70ced40
A-003,carys.evans@example.org,Carys,Evans,137042,Northfield Primary,ee-2025,=cmd|' /C calc'!A0
""",
    )
    assert batch.status == EnrolmentImport.Status.REJECTED
    found = problems(batch)
    assert set(found) == {(2, "dfe_participant_id"), (3, "dfe_participant_id"), (4, "dfe_participant_id")}
    assert found[(2, "dfe_participant_id")].startswith(
        "“12345” is not a DfE participant ID. It looks like db3a7848-"
    )
    assert "Copy it from DfE's Lead Provider API, or leave it empty." in found[(3, "dfe_participant_id")]
    assert not Enrolment.objects.exists()


def test_an_id_already_someone_elses_is_refused(world):
    EnrolmentFactory(participant__dfe_participant_id=uuid.UUID(AMIRA))  # at another provider
    batch = run(
        world,
        f"""{HEADER}
A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,{AMIRA}
A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025,{BEN}
A-003,carys.evans@example.org,Carys,Evans,137042,Northfield Primary,ee-2025,{BEN}
""",
    )
    found = problems(batch)
    assert set(found) == {(2, "dfe_participant_id"), (4, "dfe_participant_id")}
    assert found[(2, "dfe_participant_id")] == (
        f"{AMIRA} is already the DfE participant ID of someone else (in another row of this file, or recorded "
        "before). Each person has their own: check the ID against DfE's records."
    )
    assert "already the DfE participant ID of someone else" in found[(4, "dfe_participant_id")]
    assert not Enrolment.objects.filter(provider=world[0]).exists()


def test_the_same_person_on_two_cohorts_with_the_same_id_is_fine_and_twice_changes_nothing(world):
    provider, cohort, _ = world
    CohortFactory(
        programme=cohort.programme, code="ee-2026", start_date=D(2026, 1, 5), end_date=D(2027, 6, 30)
    )
    text = f"""{HEADER}
A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,{AMIRA}
A-002,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2026,{AMIRA}
"""
    assert run(world, text).status == EnrolmentImport.Status.IMPORTED
    again = run(world, text)
    assert again.report["counts"]["unchanged"] == 2 and again.report["counts"]["update"] == 0
    assert Participant.objects.filter(dfe_participant_id=uuid.UUID(AMIRA)).count() == 1


def test_an_id_added_later_updates_the_place_imported_before(world):
    run(world, f"{HEADER}\nA-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,\n")
    assert dfe_id("amira.khan@example.org") is None
    batch = run(
        world,
        f"{HEADER}\nA-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,{AMIRA}\n",
    )
    assert batch.report["counts"]["update"] == 1
    assert batch.report["rows"][0]["changes"] == ["records their DfE participant ID"]
    assert dfe_id("amira.khan@example.org") == uuid.UUID(AMIRA)
    # A file without the column leaves it alone.
    run(
        world,
        "external_id,email,first_name,last_name,school_urn,cohort_code\nA-001,amira.khan@example.org,Amira,Khan,137042,ee-2025\n",
    )
    assert dfe_id("amira.khan@example.org") == uuid.UUID(AMIRA)


def test_a_mistyped_id_can_be_corrected_until_declarations_are_sent_under_it(world):
    provider, _, admin = world
    row = "A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,{}"
    run(world, f"{HEADER}\n{row.format(BEN)}\n")
    corrected = run(world, f"{HEADER}\n{row.format(AMIRA)}\n")
    assert corrected.report["rows"][0]["changes"] == [f"DfE participant ID {BEN} → {AMIRA}"]
    assert dfe_id("amira.khan@example.org") == uuid.UUID(AMIRA)
    declarations_export(by=admin, provider=provider)  # the place has started: sent to DfE under AMIRA
    refused = run(world, f"{HEADER}\n{row.format(BEN)}\n")
    assert problems(refused) == {
        (
            2,
            "dfe_participant_id",
        ): f"Their declarations were sent to DfE under the ID {AMIRA}, so the file cannot "
        "change it. Check the ID with DfE; if it really has changed, contact platform support."
    }
    assert dfe_id("amira.khan@example.org") == uuid.UUID(AMIRA)


def test_a_row_for_someone_whose_data_was_erased_is_refused_and_writes_nothing_back(world):
    run(world, f"{HEADER}\nEE-1,amira@example.org,Amira,Khan,100001,Ash School,ee-2025,{AMIRA}\n")
    participant = Participant.objects.get(user__email="amira@example.org")
    erased = datetime.datetime(2026, 1, 10, 9, tzinfo=datetime.UTC)
    Participant.objects.filter(pk=participant.pk).update(erased_at=erased)
    participant.user.email, participant.user.full_name = "erased-1@erased.invalid", "Erased participant 1A2B"
    participant.user.save()
    batch = run(world, f"{HEADER}\nEE-1,amira@example.org,Amira,Khan,100001,Ash School,ee-2025,{AMIRA}\n")
    assert batch.status == EnrolmentImport.Status.REJECTED
    assert problems(batch)[(2, "external_id")] == (
        "This place (EE-1) belongs to someone whose personal data was erased on 10 January 2026. "
        "Take the row out of the file."
    )
    participant.user.refresh_from_db()
    assert participant.user.email == "erased-1@erased.invalid"
    assert participant.user.full_name == "Erased participant 1A2B"
