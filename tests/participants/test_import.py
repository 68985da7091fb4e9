# ruff: noqa: E501 (spreadsheet rows are kept one per line, as a provider would see them)
"""Importing enrolments from a spreadsheet: a preview that writes nothing, all or nothing, every mistake
with its row and column and what to fix, the same file twice changes nothing, a changed row updates its
place, past cohorts migrate with their history, and imported people get their invitations in bulk."""

import datetime
import io
import time
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from accounts.models import Invitation, User
from npqel.access import Role
from participants import imports
from participants.models import (
    EarlierRecord,
    Enrolment,
    EnrolmentChange,
    EnrolmentImport,
    Participant,
    School,
)
from programmes.models import Cohort
from tests.accounts.factories import UserFactory
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ProgrammeFactory,
    ProviderFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.django_db
S = Enrolment.Status
D = datetime.date

HEADER = "external_id,email,first_name,last_name,school_urn,school_name,cohort_code,funding_route"
GOOD = f"""{HEADER}
A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,funded_place
A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025,school
A-003,carys.evans@example.org,Carys,Evans,140001,Hillside Academy,ee-2025,
"""


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
    admin = person(Role.PROVIDER_ADMIN, provider)
    return provider, programme, cohort, admin


def check(world, text: str | bytes, **options) -> EnrolmentImport:
    provider, _, _, admin = world
    content = text.encode() if isinstance(text, str) else text
    return imports.import_check(
        by=admin, provider=provider, file_name="cohort.csv", content=content, **options
    )


def confirm(world, batch: EnrolmentImport) -> EnrolmentImport:
    return imports.import_confirm(by=world[3], batch=batch)


def problems(batch: EnrolmentImport) -> set[tuple[int, str]]:
    return {(p["row"], p["column"]) for p in batch.report["problems"]}


def snapshot() -> tuple[int, ...]:
    return (
        Enrolment.objects.count(),
        EnrolmentChange.objects.count(),
        User.objects.count(),
        Participant.objects.count(),
        School.objects.count(),
        Cohort.objects.count(),
        EarlierRecord.objects.count(),
    )


def test_the_preview_lists_what_will_happen_and_writes_nothing(world):
    before = snapshot()
    batch = check(world, GOOD)
    assert batch.status == EnrolmentImport.Status.READY
    assert snapshot() == before
    report = batch.report
    assert report["counts"]["create"] == 3
    assert report["summary"][:3] == ["3 new places", "0 places updated", "0 places unchanged"]
    assert "3 new participants" in report["summary"]
    assert "2 new schools" in report["summary"]
    assert [r["name"] for r in report["rows"]] == ["Amira Khan", "Ben Jones", "Carys Evans"]
    assert "adds Amira Khan <amira.khan@example.org>" in report["rows"][0]["changes"]


def test_confirming_imports_every_row_as_accepted_or_active_places(world):
    provider, _, cohort, admin = world
    batch = confirm(world, check(world, GOOD))
    assert batch.status == EnrolmentImport.Status.IMPORTED
    places = Enrolment.objects.filter(provider=provider).order_by("external_id")
    assert [p.external_id for p in places] == ["A-001", "A-002", "A-003"]
    amira = places[0]
    assert amira.cohort == cohort
    assert amira.imported
    assert amira.funding_route == Enrolment.FundingRoute.FUNDED_PLACE
    assert places[2].funding_route == ""
    # The cohort started on 1 September 2025, before today: accepted, then active from that day.
    assert amira.status == S.ACTIVE
    history = list(
        amira.changes.values_list("from_status", "to_status", "effective_on", "imported", "changed_by")
    )
    assert history == [
        ("", S.ACCEPTED, D(2025, 9, 1), True, admin.pk),
        (S.ACCEPTED, S.ACTIVE, D(2025, 9, 1), True, admin.pk),
    ]
    assert amira.participant.school.urn == "137042"
    assert amira.participant.user.full_name == "Amira Khan"
    assert not amira.participant.user.has_usable_password()


def test_the_same_file_twice_changes_nothing(world):
    confirm(world, check(world, GOOD))
    before = snapshot()
    stamps = list(Enrolment.objects.order_by("pk").values_list("updated_at", flat=True))
    again = check(world, GOOD)
    assert again.report["summary"][:3] == ["0 new places", "0 places updated", "3 places unchanged"]
    confirm(world, again)
    assert snapshot() == before
    assert list(Enrolment.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_a_changed_row_updates_its_place_and_never_duplicates_it(world):
    confirm(world, check(world, GOOD))
    changed = GOOD.replace(
        "A-002,ben.jones@example.org,Ben,Jones", "A-002,ben.jones@example.org,Benjamin,Jones"
    )
    changed = changed.replace("ee-2025,school", "ee-2025,self_funded")
    batch = confirm(world, check(world, changed))
    assert batch.report["counts"] == {"create": 0, "update": 1, "unchanged": 2}
    ben = Enrolment.objects.get(external_id="A-002")
    assert ben.funding_route == Enrolment.FundingRoute.SELF_FUNDED
    assert ben.participant.user.full_name == "Benjamin Jones"
    assert Enrolment.objects.filter(participant=ben.participant).count() == 1
    row = next(r for r in batch.report["rows"] if r["external_id"] == "A-002")
    assert row["changes"] == [
        "name Ben Jones → Benjamin Jones",
        "funding Paid by the school or trust → Self-funded",
    ]
    # The place's history says what the file changed, and that an import did it.
    latest = ben.changes.order_by("pk").last()
    assert latest.imported and latest.from_status == latest.to_status
    assert latest.note == (
        "Changed by import: name Ben Jones → Benjamin Jones; funding Paid by the school or trust → Self-funded."
    )


def test_someone_who_has_set_up_their_account_keeps_their_own_name_and_address(world):
    confirm(world, check(world, GOOD))
    user = User.objects.get(email="amira.khan@example.org")
    user.set_password("a-long-pass-phrase-1")
    user.full_name = "Dr Amira Khan"
    user.save()
    batch = check(world, GOOD)
    assert batch.status == EnrolmentImport.Status.READY  # the name in the file is not forced on them
    moved = check(world, GOOD.replace("amira.khan@example.org", "amira@elsewhere.org"))
    assert moved.status == EnrolmentImport.Status.REJECTED
    [problem] = moved.report["problems"]
    assert (problem["row"], problem["column"]) == (2, "email")
    assert "whose account is set up or used elsewhere" in problem["message"]


def test_a_place_entered_by_hand_is_matched_not_duplicated(world):
    provider, _, cohort, _ = world
    by_hand = EnrolmentFactory(
        cohort=cohort, participant__user__email="amira.khan@example.org", external_id=""
    )
    batch = confirm(world, check(world, GOOD))
    by_hand.refresh_from_db()
    assert by_hand.external_id == "A-001"
    assert Enrolment.objects.filter(provider=provider).count() == 3
    assert "matched to their existing place" in batch.report["rows"][0]["changes"]


def test_one_bad_row_means_nothing_is_written(world):
    before = snapshot()
    bad = GOOD + "A-004,dev.patel@example.org,Dev,Patel,137042,,no-such-cohort,\n"
    batch = check(world, bad)
    assert batch.status == EnrolmentImport.Status.REJECTED
    assert problems(batch) == {(5, "cohort_code")}
    assert batch.report["rows"] == [] or all(r["row"] != 5 for r in batch.report["rows"])
    with pytest.raises(imports.DomainError, match="mistakes"):
        confirm(world, batch)
    assert snapshot() == before


MISTAKES = f"""{HEADER},school_fsm_percent,ethnicity_code,sex,disability,started_on,deferred_on,withdrawn_on,withdrawal_reason,presented_on,outcome,moderated,moderator_agreed,feedback_rating
M-01,,Ann,Ash,137042,Northfield Primary,ee-2025,,,,,,,,,,,,,,
M-02,not-an-email,Bob,Birch,137042,Northfield Primary,ee-2025,,,,,,,,,,,,,,
M-03,c@example.org,Cat,Cole,ABC12,Northfield Primary,ee-2025,,,,,,,,,,,,,,
M-04,d@example.org,Dan,Dale,999999,,ee-2025,,,,,,,,,,,,,,
M-05,e@example.org,Eve,Elm,137042,Northfield Primary,ee-2099,,,,,,,,,,,,,,
M-06,f@example.org,Fay,Fir,137042,Northfield Primary,ee-2025,,120,,,,,,,,,,,,
M-07,g@example.org,Gus,Gale,137042,Northfield Primary,ee-2025,,,XXXX,,,,,,,,,,,
M-08,h@example.org,Hal,Hay,137042,Northfield Primary,ee-2025,,,,unknown,,,,,,,,,,
M-09,i@example.org,Ivy,Ives,137042,Northfield Primary,ee-2025,,,,,maybe,,,,,,,,,
M-10,j@example.org,Jo,Jay,137042,Northfield Primary,ee-2025,voucher,,,,,,,,,,,,,
M-11,k@example.org,Kit,Kay,137042,Northfield Primary,ee-2025,,,,,,01/09/2025,,,,,,,,
M-12,l@example.org,Lu,Lee,137042,Northfield Primary,ee-2025,,,,,,,2026-03-01,,,,,,,
M-13,m@example.org,Mo,May,137042,Northfield Primary,ee-2025,,,,,,,,2025-11-01,,,,,,
M-14,n@example.org,Nia,Nye,137042,Northfield Primary,ee-2025,,,,,,,,2025-11-01,bored,,,,,
M-15,o@example.org,Oz,Oak,137042,Northfield Primary,ee-2025,,,,,,,,,,2025-12-01,merit,,,
M-16,p@example.org,Pip,Pye,137042,Northfield Primary,ee-2025,,,,,,,,,,,passed,,,
M-17,q@example.org,Quin,Quay,137042,Northfield Primary,ee-2025,,,,,,,,,,,,,yes,
M-18,r@example.org,Ray,Rye,137042,Northfield Primary,ee-2025,,,,,,,,,,,,,,11
M-01,s@example.org,Sam,Sand,137042,Northfield Primary,ee-2025,,,,,,,,,,,,,,
M-20,t@example.org,Tom,Teal,137042,Northfield Primary,ee-2025,,,,,,2025-10-01,2025-09-01,,,,,,,
M-21,u@example.org,Uma,Urn,137042,Northfield Primary,ee-2025,,,,,,,,2025-10-01,other,2025-12-01,passed,,,
M-22,v@example.org,Vic,Vale,137042,Northfield Primary,ee-future,,,,,,,2025-12-01,,,,,,,
M-23,w@example.org,Wyn,West,137042,Northfield Primary,ee-2025,,,,,,,,2025-10-01,other,,,,,
"""


def test_a_file_full_of_mistakes_gets_every_one_back_with_its_row_and_column(world):
    _, programme, _, _ = world
    CohortFactory(programme=programme, code="ee-future", start_date=D(2026, 9, 1), end_date=D(2028, 2, 28))
    before = snapshot()
    # M-23 is a good row; importing stops at nothing, writes nothing, and reports every mistake at once.
    batch = check(world, MISTAKES)
    assert batch.status == EnrolmentImport.Status.REJECTED
    assert snapshot() == before
    messages = {(p["row"], p["column"]): p["message"] for p in batch.report["problems"]}
    expected = {
        (2, "email"): "Fill in email",
        (3, "email"): "not an email address",
        (4, "school_urn"): "not a school URN",
        (5, "school_name"): "School URN 999999 is not known here yet",
        (6, "cohort_code"): "There is no cohort “ee-2099”",
        (7, "school_fsm_percent"): "Write a number from 0 to 100",
        (8, "ethnicity_code"): "DfE's ethnicity codes",
        (9, "sex"): "female, male or prefer not to say",
        (10, "disability"): "yes, no or prefer not to say",
        (11, "funding_route"): "funded_place, scholarship, school, self_funded",
        (12, "started_on"): "Write it as YYYY-MM-DD",
        (13, "deferred_on"): "is in the future",
        (14, "withdrawal_reason"): "Give the withdrawal reason",
        (15, "withdrawal_reason"): "DfE's withdrawal reasons",
        (16, "outcome"): "Write passed or failed",
        (17, "presented_on"): "Give the date they presented",
        (18, "moderator_agreed"): "Set moderated to yes",
        (19, "feedback_rating"): "from 0 to 10",
        (20, "external_id"): "Row 2 has the same external_id",
        (21, "deferred_on"): "before their start on 1 October 2025",
        (22, "outcome"): "Someone who withdrew has no outcome",
        (23, "deferred_on"): "before their start on 1 September 2026 (cohort ee-future's start)",
    }
    assert len(expected) >= 15
    for where, words in expected.items():
        assert where in messages, f"no problem reported at row {where[0]}, column {where[1]}"
        assert words in messages[where], f"row {where[0]}: {messages[where]!r}"
    assert not any(row == 24 for row, _ in messages)  # the good row has no problem of its own


def test_headers_match_in_any_case_and_order_and_xlsx_cells_can_be_dates_and_numbers(world):
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "Cohort_Code",
            "EMAIL",
            "Last Name",
            "First name",
            "School URN",
            "school_name",
            "External ID",
            "Started_On",
            "School_FSM_Percent",
        ]
    )
    sheet.append(
        [
            "ee-2025",
            "amira.khan@example.org",
            "Khan",
            "Amira",
            137042,
            "Northfield Primary",
            "A-001",
            datetime.datetime(2025, 9, 8),  # noqa: DTZ001 (Excel's date cells carry no time zone)
            31.5,
        ]
    )
    sheet.append([None] * 9)  # blank rows are skipped, not mistakes
    buffer = io.BytesIO()
    book.save(buffer)
    batch = confirm(world, check(world, buffer.getvalue()))
    assert batch.status == EnrolmentImport.Status.IMPORTED, batch.report["problems"]
    amira = Enrolment.objects.get(external_id="A-001")
    assert amira.start_date == D(2025, 9, 8)
    assert amira.participant.school.fsm_percent == Decimal("31.50")


def test_windows_csv_with_semicolons_and_utf8_with_bom_both_read_correctly(world):
    windows = "external_id;email;first_name;last_name;school_urn;school_name;cohort_code\r\nA-9;zoe@example.org;Zoë;Brontë;137042;Northfield Primary;ee-2025\r\n"
    confirm(world, check(world, windows.encode("cp1252")))
    assert User.objects.get(email="zoe@example.org").full_name == "Zoë Brontë"
    with_bom = "\ufeff" + GOOD
    batch = check(world, with_bom.encode("utf-8"))
    assert batch.status == EnrolmentImport.Status.READY


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV text file"),
        (b"PK\x03\x04garbage", "could not be opened as an Excel workbook"),
        (b"external_id,emial,first_name,last_name,school_urn,cohort_code\n", "Did you mean “email”?"),
        (
            b"external_id,email,first_name\nA,b@example.org,C\n",
            "Add the required columns: last_name, school_urn, cohort_code",
        ),
        (HEADER.encode() + b"\n", "no participants under them"),
        (b"external_id,email,email,first_name,last_name,school_urn,cohort_code\n", "appears twice"),
    ],
)
def test_a_file_that_cannot_be_read_says_what_to_change(world, content, words):
    batch = check(world, content)
    assert batch.status == EnrolmentImport.Status.REJECTED
    [problem] = batch.report["problems"]
    assert problem["row"] == 1
    assert words in problem["message"]


def test_missing_cohorts_are_created_when_asked_for_so_past_cohorts_migrate_in_one_go(world):
    provider, programme, _, _ = world
    past = f"""{HEADER},cohort_start_date,started_on,deferred_on,withdrawn_on,withdrawal_reason,presented_on,outcome,moderated,moderator_agreed,feedback_rating
P-1,past.one@example.org,Pat,One,137042,Northfield Primary,ee-2019,funded_place,2019-09-02,,2020-01-10,,,2021-02-01,passed,yes,yes,9
P-2,past.two@example.org,Pat,Two,137042,Northfield Primary,ee-2019,school,2019-09-02,,,2020-05-04,change-in-career,,,,,
P-3,past.three@example.org,Pat,Three,140001,Hillside Academy,ee-2019,,2019-09-02,,,,,2021-03-01,failed,yes,no,4
"""
    refused = check(world, past)
    assert problems(refused) == {(2, "cohort_code"), (3, "cohort_code"), (4, "cohort_code")}
    assert "tick “create missing cohorts”" in refused.report["problems"][0]["message"]
    batch = confirm(world, check(world, past, create_cohorts=True, programme=programme))
    assert batch.status == EnrolmentImport.Status.IMPORTED, batch.report["problems"]
    cohort = Cohort.objects.get(programme=programme, code="ee-2019")
    assert cohort.start_date == D(2019, 9, 2)
    assert cohort.intake == Cohort.Intake.AUTUMN
    one = Enrolment.objects.get(external_id="P-1")
    assert one.status == S.COMPLETED
    steps = [(c.to_status, c.effective_on, c.imported) for c in one.changes.all()]
    assert steps == [
        (S.ACCEPTED, D(2019, 9, 2), True),
        (S.ACTIVE, D(2019, 9, 2), True),
        (S.DEFERRED, D(2020, 1, 10), True),
        (S.ACTIVE, D(2021, 2, 1), True),
        (S.COMPLETED, D(2021, 2, 1), True),
    ]
    assert one.changes.get(to_status=S.DEFERRED).reason == EnrolmentChange.Reason.OTHER
    record = one.earlier_record
    assert (record.presented_on, record.moderated, record.moderator_agreed, record.feedback_rating) == (
        D(2021, 2, 1),
        True,
        True,
        9,
    )
    two = Enrolment.objects.get(external_id="P-2")
    assert two.status == S.WITHDRAWN
    assert two.changes.get(to_status=S.WITHDRAWN).reason == "change-in-career"
    assert Enrolment.objects.get(external_id="P-3").status == S.FAILED
    before = snapshot()
    again = confirm(world, check(world, past, create_cohorts=True, programme=programme))
    assert again.report["counts"]["unchanged"] == 3
    assert snapshot() == before


def test_confirming_checks_again_and_writes_nothing_if_the_records_changed_since_the_preview(world):
    _, _, cohort, _ = world
    batch = check(world, GOOD)
    cohort.code = "renamed"
    cohort.save()
    before = snapshot()
    batch = confirm(world, batch)
    assert batch.status == EnrolmentImport.Status.REJECTED
    assert problems(batch) == {(2, "cohort_code"), (3, "cohort_code"), (4, "cohort_code")}
    assert snapshot() == before


def test_a_file_is_imported_once(world):
    batch = confirm(world, check(world, GOOD))
    with pytest.raises(imports.DomainError, match="already been imported"):
        confirm(world, batch)


def test_only_this_providers_admins_can_import(world):
    provider, _, _, _ = world
    for user in (
        person(Role.FACILITATOR, provider),
        person(Role.PLATFORM_STAFF),
        person(Role.PROVIDER_ADMIN, ProviderFactory()),
    ):
        with pytest.raises(PermissionDenied):
            imports.import_check(by=user, provider=provider, file_name="x.csv", content=GOOD.encode())


def test_the_command_imports_all_or_nothing_and_lists_each_mistake(world, tmp_path, capsys):
    good = tmp_path / "cohort.csv"
    good.write_text(GOOD)
    call_command("import_enrolments", "ember", str(good), "--dry-run")
    assert "Would import cohort.csv for Ember Leadership: 3 new places" in capsys.readouterr().out
    assert Enrolment.objects.count() == 0
    call_command("import_enrolments", "ember", str(good))
    out = capsys.readouterr().out
    assert "Imported cohort.csv for Ember Leadership: 3 new places" in out
    assert Enrolment.objects.filter(changes__changed_by__isnull=True).distinct().count() == 3  # by the system
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(GOOD.replace("ee-2025", "ee-2031"))
    with pytest.raises(CommandError, match="Nothing was imported: 3 mistakes to fix in unknown.csv"):
        call_command("import_enrolments", "ember", str(unknown))
    assert "add --create-cohorts --programme CODE" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD.replace("A-003,carys.evans@example.org", "A-003,carys.evans"))
    with pytest.raises(CommandError, match="Nothing was imported: 1 mistake"):
        call_command("import_enrolments", "ember", str(bad))
    assert "Row 4, email: “carys.evans” is not an email address" in capsys.readouterr().err
    with pytest.raises(CommandError, match="no provider “nope”. Known providers: ember"):
        call_command("import_enrolments", "nope", str(good))
    with pytest.raises(CommandError, match="no programme “zzz”"):
        call_command("import_enrolments", "ember", str(good), "--create-cohorts", "--programme", "zzz")


def test_imported_participants_get_their_invitations_in_bulk_once(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    provider, _, _, admin = world
    batch = confirm(world, check(world, GOOD))
    ready = User.objects.get(email="carys.evans@example.org")
    ready.set_password("a-long-pass-phrase-1")
    ready.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.import_invite(by=admin, batch=batch) == 2
    invited = set(
        Invitation.objects.filter(role=Invitation.Role.PARTICIPANT, provider=provider).values_list(
            "email", flat=True
        )
    )
    assert invited == {"amira.khan@example.org", "ben.jones@example.org"}
    assert imports.import_invite(by=admin, batch=batch) == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["amira.khan@example.org", "ben.jones@example.org"]


def test_an_imported_participant_sets_their_password_from_the_invitation(world, client):
    from accounts import services as account_services

    provider, _, _, admin = world
    batch = confirm(world, check(world, GOOD))
    imports.import_invite(by=admin, batch=batch)
    invitation = Invitation.objects.get(email="amira.khan@example.org")
    link = account_services.invitation_link(invitation)
    page = client.get(link)
    assert page.status_code == 200
    assert "Amira Khan" in page.content.decode()  # the name from the import, ready to confirm
    response = client.post(
        link,
        {
            "full_name": "Amira Khan",
            "password": "a-long-pass-phrase-1",
            "password_again": "a-long-pass-phrase-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="amira.khan@example.org")
    assert user.has_usable_password()
    assert Participant.objects.filter(user=user).count() == 1
    assert client.get("/").status_code == 200


def test_schools_are_shared_so_an_import_fills_in_what_is_unknown_and_never_overwrites(world):
    SchoolFactory(urn="137042", name="Northfield Primary School", fsm_percent=None)
    SchoolFactory(urn="140001", name="Hillside Academy", fsm_percent=Decimal("12.00"))
    text = GOOD.replace("school_name,cohort_code", "school_name,cohort_code").replace(
        HEADER, HEADER + ",school_fsm_percent"
    )
    text = (
        text.replace("funded_place\n", "funded_place,35\n")
        .replace(",school\n", ",school,35\n")
        .replace("ee-2025,\n", "ee-2025,,40\n")
    )
    confirm(world, check(world, text))
    assert School.objects.get(urn="137042").fsm_percent == Decimal("35.00")
    assert School.objects.get(urn="137042").name == "Northfield Primary School"
    assert School.objects.get(urn="140001").fsm_percent == Decimal("12.00")


def test_an_account_used_by_another_provider_or_by_staff_elsewhere_cannot_be_enrolled_by_a_file(world):
    provider, _, _, _ = world
    elsewhere = EnrolmentFactory(
        participant__user__email="amira.khan@example.org"
    )  # a place at another provider
    StaffMembershipFactory(user__email="ben.jones@example.org")  # works for another provider
    UserFactory(email="carys.evans@example.org", is_moderator=True)
    before = (elsewhere.participant.ethnicity_code, elsewhere.participant.school_id)
    with_ethnicity = GOOD.replace(HEADER, HEADER + ",ethnicity_code").replace(
        "funded_place\n", "funded_place,WBRI\n"
    )
    batch = check(world, with_ethnicity)
    messages = {p["row"]: p["message"] for p in batch.report["problems"]}
    assert "amira.khan@example.org belongs to someone with a place at another provider" in messages[2]
    assert "ben.jones@example.org belongs to someone who works for another provider" in messages[3]
    assert "carys.evans@example.org belongs to a moderator or platform staff" in messages[4]
    assert all("each provider's records are kept apart" in m for m in messages.values())
    elsewhere.participant.refresh_from_db()
    assert (elsewhere.participant.ethnicity_code, elsewhere.participant.school_id) == before


def test_this_providers_own_coach_can_also_hold_a_place(world):
    provider = world[0]
    coach = StaffMembershipFactory(provider=provider, role="coach", user__email="amira.khan@example.org").user
    batch = confirm(world, check(world, GOOD))
    assert batch.status == EnrolmentImport.Status.IMPORTED
    assert Enrolment.objects.filter(participant__user=coach, provider=provider).exists()


def test_a_file_cannot_rename_or_readdress_an_account_used_elsewhere(world):
    confirm(world, check(world, GOOD))
    amira = User.objects.get(email="amira.khan@example.org")
    EnrolmentFactory(participant=amira.participant)  # she now also has a place at another provider
    moved = check(world, GOOD.replace("amira.khan@example.org", "attacker@example.org"))
    assert problems(moved) == {(2, "email")}
    renamed = check(world, GOOD.replace("Amira,Khan", "Someone,Else"))
    assert renamed.report["rows"][0]["action"] == "unchanged"
    amira.refresh_from_db()
    assert (amira.email, amira.full_name) == ("amira.khan@example.org", "Amira Khan")


def test_values_longer_than_their_records_hold_are_row_mistakes_not_errors(world):
    _, programme, _, _ = world
    long_id = "X" * 101
    text = GOOD.replace("A-001", long_id).replace("Ben,Jones", "Ben," + "J" * 199)
    text = text.replace(
        "A-003,carys.evans@example.org,Carys,Evans,140001,Hillside Academy,ee-2025,",
        "A-003,carys.evans@example.org,Carys,Evans,140001,Hillside Academy,Autumn 2019,",
    )
    batch = check(world, text, create_cohorts=True, programme=programme)
    messages = {(p["row"], p["column"]): p["message"] for p in batch.report["problems"]}
    assert messages[(2, "external_id")] == "This is 101 characters long; the most is 100. Shorten it."
    assert "first_name and last_name must be 199 characters or fewer" in messages[(3, "last_name")]
    assert "use letters, numbers, hyphens and underscores only" in messages[(4, "cohort_code")]


def test_a_reimport_that_moves_a_place_starts_it_with_its_new_cohort(world):
    _, programme, _, _ = world
    later = CohortFactory(
        programme=programme, code="ee-2026", start_date=D(2026, 9, 7), end_date=D(2028, 2, 28)
    )
    with time_machine.travel(datetime.datetime(2025, 8, 1, 12, tzinfo=datetime.UTC), tick=False):
        confirm(world, check(world, GOOD))
    assert Enrolment.objects.get(external_id="A-001").status == S.ACCEPTED
    confirm(
        world,
        check(
            world,
            GOOD.replace(
                "A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025",
                "A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2026",
            ),
        ),
    )
    amira = Enrolment.objects.get(external_id="A-001")
    assert amira.cohort == later
    assert amira.status == S.ACCEPTED  # the new cohort starts in September: not active from the old start


def test_data_under_a_column_without_a_name_is_refused(world):
    batch = check(
        world,
        GOOD.replace(
            "A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025,school",
            "A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025,school,oops",
        ),
    )
    [problem] = batch.report["problems"]
    assert problem["message"].startswith("Row 3 has something in column I, which has no name in row 1.")


def test_a_tiny_xlsx_that_claims_a_vast_sheet_is_refused_quickly(world):
    book = Workbook()
    sheet = book.active
    sheet.append(list(imports.REQUIRED_COLUMNS))
    sheet.append(["A-1", "a@example.org", "A", "B", "137042", "ee-2025"])
    sheet.cell(row=200_000, column=16_000, value="far away")
    buffer = io.BytesIO()
    book.save(buffer)
    assert len(buffer.getvalue()) < 20_000
    started = time.perf_counter()
    batch = check(world, buffer.getvalue())
    assert time.perf_counter() - started < 5
    assert "The sheet goes on past row 6,000" in batch.report["problems"][0]["message"]


def test_invitations_go_only_to_places_still_going(world, django_capture_on_commit_callbacks):
    provider, programme, _, admin = world
    past = f"""{HEADER},cohort_start_date,started_on,withdrawn_on,withdrawal_reason
P-1,past.one@example.org,Pat,One,137042,Northfield Primary,ee-2019,school,2019-09-02,2019-09-02,2020-05-04,change-in-career
"""
    batch = confirm(world, check(world, past, create_cohorts=True, programme=programme))
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.import_invite(by=admin, batch=batch) == 0  # withdrawn years ago: no invitation


def test_a_deferral_date_that_differs_from_the_recorded_one_says_so(world):
    text = GOOD.replace(HEADER, HEADER + ",deferred_on").replace(
        "funded_place\n", "funded_place,2025-11-03\n"
    )
    text = text.replace(",school\n", ",school,\n").replace("ee-2025,\n", "ee-2025,,\n")
    confirm(world, check(world, text))
    assert Enrolment.objects.get(external_id="A-001").status == S.DEFERRED
    again = check(world, text.replace("2025-11-03", "2025-11-10"))
    [problem] = again.report["problems"]
    assert (problem["row"], problem["column"]) == (2, "deferred_on")
    assert problem["message"] == "They are recorded as deferred from 2025-11-03. Check the date."


def test_a_deferred_place_can_have_its_funding_changed_by_a_reimport(world):
    text = GOOD.replace(HEADER, HEADER + ",deferred_on").replace(
        "funded_place\n", "funded_place,2025-11-03\n"
    )
    text = text.replace(",school\n", ",school,\n").replace("ee-2025,\n", "ee-2025,,\n")
    confirm(world, check(world, text))
    changed = confirm(world, check(world, text.replace("funded_place,2025-11-03", "scholarship,2025-11-03")))
    assert changed.status == EnrolmentImport.Status.IMPORTED, changed.report["problems"]
    again = check(world, text.replace("funded_place,2025-11-03", "scholarship,2025-11-03"))
    assert again.report["counts"] == {"create": 0, "update": 0, "unchanged": 3}
