"""Exporting DfE declarations (metrics/declarations.py declarations_export): each export carries only what is new,
a second with nothing new is refused with the reason, voids are reported once, places without a DfE participant
ID are held back and go in the first export after the ID is added, the JSON matches DfE's request schema item by
item, the CSV says what to do with each row (safely, in a spreadsheet), only provider admins export, and two
exports at the same moment never carry the same declaration."""

import csv
import datetime
import io
import json
import re
import uuid

import jsonschema
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from metrics.declarations import declarations_export, declarations_record
from metrics.models import Declaration, DeclarationExport
from npqel.access import Role
from npqel.errors import DomainError
from tests.metrics.declaration_places import NOW, START, D, S, T, change, engagement, place, standing
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory
from tests.together import together

pytestmark = pytest.mark.django_db
COURSE = "npq-executive-leadership"
NOTHING_NEW = "There is nothing new to export: every declaration recorded so far is in an earlier export."

# DfE's request schemas for a declaration (DFE-Digital/npq-registration,
# spec/swagger_schemas/requests/participant_declaration_{started,retained,completed}_request.rb), as JSON Schema.
# The formats (uuid, date-time) are checked by hand below: jsonschema checks them only with optional packages.
_COMMON = {
    "participant_id": {"type": "string", "format": "uuid"},
    "declaration_date": {"type": "string", "format": "date-time"},
    "course_identifier": {"type": "string", "enum": [COURSE, "npq-headship", "npq-senior-leadership"]},
}
_REQUIRED = ["participant_id", "declaration_type", "declaration_date", "course_identifier"]
STARTED = {
    "type": "object",
    "additionalProperties": False,
    "properties": {**_COMMON, "declaration_type": {"type": "string", "enum": ["started"]}},
    "required": _REQUIRED,
}
RETAINED = {
    "type": "object",
    "additionalProperties": False,
    "properties": {**_COMMON, "declaration_type": {"type": "string", "enum": ["retained-1", "retained-2"]}},
    "required": _REQUIRED,
}
COMPLETED = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_COMMON,
        "declaration_type": {"type": "string", "enum": ["completed"]},
        "has_passed": {"type": "boolean"},
        "application_id": {"type": ["string", "null"]},
    },
    "required": [*_REQUIRED, "has_passed"],
}
ITEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["participant-declaration"]},
        "attributes": {"anyOf": [STARTED, RETAINED, COMPLETED]},
    },
    "required": ["type", "attributes"],
}
RFC3339_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def assert_dfe_shaped(item: dict) -> None:
    jsonschema.validate(item, ITEM)
    attributes = item["attributes"]
    assert str(uuid.UUID(attributes["participant_id"])) == attributes["participant_id"]
    assert RFC3339_WITH_OFFSET.match(attributes["declaration_date"]), attributes["declaration_date"]
    assert datetime.datetime.fromisoformat(attributes["declaration_date"]).tzinfo is not None


@pytest.fixture
def cohort(provider):
    return CohortFactory(
        programme=ProgrammeFactory(provider=provider),
        code="2024-autumn",
        start_date=START,
        end_date=D(2026, 2, 27),
    )


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


def export(admin, provider, now=NOW):
    return declarations_export(by=admin, provider=provider, now=now)


def download(client, admin, made, extension):
    client.force_login(admin)
    name = f"declarations_export_{extension}"
    return client.get(reverse(name, args=[made.provider.slug, made.pk]))


def test_the_schema_check_itself_refuses_what_dfe_would():
    started = {
        "participant_id": str(uuid.uuid4()),
        "declaration_type": "started",
        "declaration_date": "2024-09-02T00:00:00+01:00",
        "course_identifier": COURSE,
    }
    assert_dfe_shaped({"type": "participant-declaration", "attributes": started})
    for wrong in (
        {**started, "has_passed": True},  # no extra properties on started
        {**started, "declaration_type": "completed"},  # completed needs has_passed
        {k: v for k, v in started.items() if k != "course_identifier"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            assert_dfe_shaped({"type": "participant-declaration", "attributes": wrong})


def test_an_export_carries_every_new_declaration_once_and_then_nothing_new_is_refused(
    provider, cohort, admin
):
    finished = place(
        cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))], percent="91"
    )
    going = place(cohort, percent="35")
    first = export(admin, provider)
    assert (first.provider, first.made_by, first.made_at) == (provider, admin, NOW)
    assert first.declarations.count() == 4 + 2 == Declaration.objects.count()
    with pytest.raises(DomainError) as refused:
        export(admin, provider, now=NOW + datetime.timedelta(hours=1))
    assert refused.value.message == NOTHING_NEW
    assert DeclarationExport.objects.count() == 1
    # Only what is new goes in the next one: the second place reaches its second milestone.
    engagement(going, "61")
    second = export(admin, provider, now=NOW + datetime.timedelta(days=7))
    assert list(second.declarations.values_list("enrolment_id", "declaration_type")) == [
        (going.pk, T.RETAINED_2)
    ]
    assert set(first.declarations.values_list("enrolment_id", flat=True)) == {finished.pk, going.pk}


def test_places_without_a_dfe_participant_id_are_held_back_until_it_is_added(provider, cohort, admin):
    known = place(cohort)
    unknown = place(cohort, dfe_id=False)
    first = export(admin, provider)
    assert list(first.declarations.values_list("enrolment_id", flat=True)) == [known.pk]
    with pytest.raises(DomainError) as refused:
        export(admin, provider)
    assert refused.value.message.startswith(NOTHING_NEW)
    assert (
        "1 declaration is held back because the participant has no DfE participant ID"
        in refused.value.message
    )
    assert "column dfe_participant_id" in refused.value.message
    participant = unknown.participant
    participant.dfe_participant_id = uuid.uuid4()
    participant.save()
    second = export(admin, provider)
    assert list(second.declarations.values_list("enrolment_id", flat=True)) == [unknown.pk]


def test_a_void_is_reported_once_beside_the_declaration_that_replaces_it(client, provider, cohort, admin):
    enrolment = place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))])
    first = export(admin, provider)
    passed = standing(enrolment)[T.COMPLETED]
    change(enrolment, S.COMPLETED, S.FAILED, D(2025, 2, 3))
    second = export(admin, provider, now=NOW + datetime.timedelta(days=30))
    assert list(second.voids.all()) == [passed] and list(first.voids.all()) == []
    payload = json.loads(download(client, admin, second, "json").content)
    participant_id = str(enrolment.participant.dfe_participant_id)
    assert payload["meta"]["to_void"] == [
        {
            "participant_id": participant_id,
            "declaration_type": "completed",
            "declaration_date": "2025-01-09T00:00:00+00:00",
            "has_passed": True,
            "reason": "The result changed on review from passed to failed.",
        }
    ]
    assert [item["attributes"] for item in payload["data"]] == [
        {
            "participant_id": participant_id,
            "declaration_type": "completed",
            "declaration_date": "2025-02-03T00:00:00+00:00",
            "course_identifier": COURSE,
            "has_passed": False,
        }
    ]
    with pytest.raises(DomainError, match="nothing new"):
        export(admin, provider, now=NOW + datetime.timedelta(days=31))


def test_a_declaration_voided_before_it_was_ever_sent_is_neither_sent_nor_voided(provider, cohort, admin):
    enrolment = place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))])
    declarations_record(provider=provider, now=NOW)
    change(enrolment, S.COMPLETED, S.FAILED, D(2025, 2, 3))
    made = export(admin, provider, now=NOW + datetime.timedelta(days=30))
    assert list(made.declarations.values_list("declaration_type", "has_passed")) == [
        (T.STARTED, None),
        (T.COMPLETED, False),
    ]
    assert not made.voids.exists()
    assert (
        Declaration.objects.filter(
            voided_at__isnull=False, export__isnull=True, void_export__isnull=True
        ).count()
        == 1
    )


def test_the_json_is_dfes_request_shape_and_downloads_the_same_each_time(client, provider, cohort, admin):
    place(cohort, percent="65")  # started, retained-1, retained-2
    place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))])
    place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.FAILED, D(2025, 1, 10))])
    made = export(admin, provider)
    response = download(client, admin, made, "json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    assert (
        f'filename="olp-dfe-declarations-2025-01-15-1200-{made.pk}.json"' in response["Content-Disposition"]
    )
    assert "no-store" in response["Cache-Control"]
    payload = json.loads(response.content)
    assert set(payload) == {"data", "meta"}
    assert payload["meta"] == {"provider": "olp", "exported_at": "2025-01-15T12:00:00+00:00", "to_void": []}
    assert len(payload["data"]) == 3 + 2 + 2
    for item in payload["data"]:
        assert_dfe_shaped(item)
        assert item["attributes"]["course_identifier"] == COURSE
        assert ("has_passed" in item["attributes"]) is (item["attributes"]["declaration_type"] == "completed")
    kinds = sorted(item["attributes"]["declaration_type"] for item in payload["data"])
    assert kinds == ["completed", "completed", "retained-1", "retained-2", "started", "started", "started"]
    assert {
        i["attributes"].get("has_passed") for i in payload["data"] if "has_passed" in i["attributes"]
    } == {
        True,
        False,
    }
    started = [
        i["attributes"]["declaration_date"]
        for i in payload["data"]
        if i["attributes"]["declaration_type"] == "started"
    ]
    assert started == ["2024-09-02T00:00:00+01:00"] * 3  # summer time: an hour ahead of UTC
    assert download(client, admin, made, "json").content == response.content


def test_the_csv_has_a_row_per_declaration_saying_what_to_do_and_is_safe_in_a_spreadsheet(
    client, provider, cohort, admin
):
    enrolment = place(
        cohort,
        history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))],
        user__full_name='=HYPERLINK("https://evil.example","Click")',
    )
    export(admin, provider)
    change(enrolment, S.COMPLETED, S.FAILED, D(2025, 2, 3))
    made = export(admin, provider, now=NOW + datetime.timedelta(days=30))
    response = download(client, admin, made, "csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="olp-dfe-declarations-2025-02-14-1200-{made.pk}.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    participant_id = str(enrolment.participant.dfe_participant_id)
    name = '\'=HYPERLINK("https://evil.example","Click")'  # a leading ' : read as text, never run
    assert rows == [
        [
            "participant_id",
            "declaration_type",
            "declaration_date",
            "course_identifier",
            "has_passed",
            "Participant",
            "Cohort",
            "Action",
        ],
        [
            participant_id,
            "completed",
            "2025-01-09T00:00:00+00:00",
            COURSE,
            "true",
            name,
            "2024-autumn",
            "Void: The result changed on review from passed to failed.",
        ],
        [
            participant_id,
            "completed",
            "2025-02-03T00:00:00+00:00",
            COURSE,
            "false",
            name,
            "2024-autumn",
            "Declare",
        ],
    ]
    assert download(client, admin, made, "csv").content == response.content


@pytest.mark.parametrize("role", [Role.PLATFORM_STAFF, Role.FACILITATOR, Role.COACH, Role.ASSESSOR])
def test_only_the_providers_admins_export(provider, cohort, role):
    place(cohort)
    with pytest.raises(PermissionDenied):
        declarations_export(by=person(role, provider), provider=provider, now=NOW)
    assert not DeclarationExport.objects.exists() and not Declaration.objects.exists()


def test_an_admin_of_another_provider_cannot_export_this_ones(provider, other_provider, cohort):
    place(cohort)
    with pytest.raises(PermissionDenied):
        declarations_export(by=person(Role.PROVIDER_ADMIN, other_provider), provider=provider, now=NOW)


def test_the_command_prints_what_is_waiting_without_marking_it_exported(provider, cohort, admin, capsys):
    enrolment = place(cohort, percent="31")
    call_command("declarations_export", "--provider", "olp")
    payload = json.loads(capsys.readouterr().out)
    assert payload["meta"]["exported_at"] is None
    assert [i["attributes"]["declaration_type"] for i in payload["data"]] == ["started", "retained-1"]
    assert not Declaration.objects.filter(export__isnull=False).exists()
    call_command("declarations_export", "--provider", "olp", "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert (
        rows[1][:2] == [str(enrolment.participant.dfe_participant_id), "started"] and rows[1][-1] == "Declare"
    )
    made = export(admin, provider)
    call_command("declarations_export", "--provider", "olp", "--export", str(made.pk))
    reprinted = json.loads(capsys.readouterr().out)
    assert reprinted["meta"]["exported_at"] == "2025-01-15T12:00:00+00:00" and len(reprinted["data"]) == 2


# Two at the same moment, against PostgreSQL (each thread has its own connection and transaction).


@pytest.mark.django_db(transaction=True)
def test_two_exports_at_the_same_moment_carry_each_declaration_once(provider, cohort, admin):
    for percent in ("10", "40", "70"):
        place(cohort, percent=percent)
    results = together(*(lambda: declarations_export(by=admin, provider=provider) for _ in range(2)))
    made = [r for r in results if isinstance(r, DeclarationExport)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].message == NOTHING_NEW
    assert Declaration.objects.count() == 3 + 2 + 1  # recorded once, though both recorded first
    assert set(Declaration.objects.values_list("export_id", flat=True)) == {made[0].pk}
