"""The provider's DfE declarations page (metrics/views_declarations.py): counts by type, what is waiting (capped,
with the total), the places held back for want of a DfE participant ID and what to do about it, past exports to
download again, the export button for the provider's admins only, who may open it, a fixed number of queries
however many places; and the nightly job that records every provider's declarations."""

import datetime

import lxml.html
import pytest
from django.urls import reverse

from metrics.declarations import declarations_export, declarations_record
from metrics.models import Declaration, DeclarationExport
from metrics.tasks import declarations_record_task
from npqel.access import Role
from npqel.schedules import BEAT_SCHEDULE
from tests.metrics.declaration_places import NOW, START, D, S, T, change, place
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


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


def counts(page: str) -> dict[str, list[str]]:
    """The counts table: each row's cells by its heading."""
    tree = lxml.html.fromstring(page)
    table = tree.xpath("//table[caption[normalize-space()='Declarations by type']]")[0]
    return {
        row.xpath("string(th)").strip(): [cell.text_content().strip() for cell in row.xpath("td")]
        for row in table.xpath(".//tbody/tr")
    }


def text(page: str) -> str:
    return " ".join(lxml.html.fromstring(page).text_content().split())


def test_an_admin_sees_what_is_recorded_waiting_held_back_and_exported_and_exports(
    client, provider, cohort, admin
):
    exported = place(cohort, percent="65")
    declarations_export(by=admin, provider=provider, now=NOW)
    waiting = place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))])
    held = place(cohort, dfe_id=False, user__full_name="Nadia Osei")
    held.external_id = "OLP-0042"
    held.save()
    declarations_record(provider=provider, now=NOW)
    client.force_login(admin)
    page = client.get(reverse("declarations", args=[provider.slug])).content.decode()
    assert counts(page) == {
        "Started": ["3", "1", "1", "1"],
        "Retained 1": ["1", "0", "0", "1"],
        "Retained 2": ["1", "0", "0", "1"],
        "Completed": ["1", "1", "0", "0"],
        "All declarations": ["6", "2", "1", "3"],
    }
    words = text(page)
    assert f"{waiting.participant.user.display_name} 2024-autumn completed (passed) 9 January 2025" in words
    assert "2 declarations, earliest first." in words
    assert "Nadia Osei" in words and "OLP-0042" in words
    assert "put a column dfe_participant_id in your participants spreadsheet" in words
    assert reverse("import_upload", args=[provider.slug]) in page
    made = DeclarationExport.objects.get()
    assert reverse("declarations_export_json", args=[provider.slug, made.pk]) in page
    assert reverse("declarations_export_csv", args=[provider.slug, made.pk]) in page
    assert "15 January 2025 at 12:00" in words and exported.participant.user.display_name not in words

    response = client.post(reverse("declarations_export", args=[provider.slug]), follow=True)
    assert response.redirect_chain == [(reverse("declarations", args=[provider.slug]), 302)]
    words = text(response.content.decode())
    assert "Success Exported 2 new declarations." in words
    assert counts(response.content.decode())["All declarations"] == ["6", "0", "1", "5"]
    assert (
        "Nothing is waiting: every declaration recorded so far has been exported, apart from those held back"
        in words
    )

    response = client.post(reverse("declarations_export", args=[provider.slug]), follow=True)
    words = text(response.content.decode())
    assert "There is a problem There is nothing new to export" in words
    assert "1 declaration is held back because the participant has no DfE participant ID" in words
    assert DeclarationExport.objects.count() == 2


def test_a_long_list_shows_its_first_rows_and_says_how_many_there_are(
    client, provider, cohort, admin, monkeypatch
):
    monkeypatch.setattr("metrics.declarations.PAGE_ROWS", 2)
    for day in (20, 10, 30):
        place(cohort, history=[(S.ACCEPTED, S.ACTIVE, D(2024, 9, day))])
    for _ in range(3):
        place(cohort, dfe_id=False)
    declarations_record(provider=provider, now=NOW)
    client.force_login(admin)
    page = client.get(reverse("declarations", args=[provider.slug])).content.decode()
    words = text(page)
    assert "The first 2 of 3, earliest first. The export carries all of them." in words
    waiting = lxml.html.fromstring(page).xpath("//h2[@id='waiting']/following-sibling::table[1]//tbody/tr")
    assert [row.xpath("string(td[4])") for row in waiting] == ["10 September 2024", "20 September 2024"]
    assert "3 places with declarations to send have none recorded" in words
    assert "The first 2 of 3 places are shown." in words


def test_platform_staff_see_the_page_but_do_not_export(client, provider, cohort):
    place(cohort)
    staff = person(Role.PLATFORM_STAFF)
    client.force_login(staff)
    page = client.get(reverse("declarations", args=[provider.slug])).content.decode()
    assert "DfE declarations" in page and "Export new declarations" not in page
    assert "ask one of your provider admins to import it again" not in page  # nothing held back
    assert client.post(reverse("declarations_export", args=[provider.slug])).status_code == 403
    assert not DeclarationExport.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR, Role.PARTICIPANT]
)
def test_other_roles_may_not_open_it(client, provider, cohort, role):
    client.force_login(person(role, provider))
    assert client.get(reverse("declarations", args=[provider.slug])).status_code == 403
    assert client.post(reverse("declarations_export", args=[provider.slug])).status_code == 403


def test_another_providers_page_and_exports_answer_404_like_missing_ones(
    client, provider, other_provider, cohort, admin
):
    place(cohort)
    made = declarations_export(by=admin, provider=provider, now=NOW)
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.get(reverse("declarations", args=[provider.slug])).status_code == 404
    assert client.post(reverse("declarations_export", args=[provider.slug])).status_code == 404
    for name in ("declarations_export_json", "declarations_export_csv"):
        assert client.get(reverse(name, args=[provider.slug, made.pk])).status_code == 404
        # Their own slug with this provider's export: still not theirs.
        assert client.get(reverse(name, args=[other_provider.slug, made.pk])).status_code == 404
    client.force_login(admin)
    assert (
        client.get(reverse("declarations_export_json", args=[provider.slug, made.pk + 1000])).status_code
        == 404
    )


def test_the_provider_page_links_to_it_for_those_who_may_see_it(client, provider):
    url = reverse("declarations", args=[provider.slug])
    for role, shown in ((Role.PROVIDER_ADMIN, True), (Role.PLATFORM_STAFF, True), (Role.FACILITATOR, False)):
        client.force_login(person(role, provider))
        assert (url in client.get(reverse("provider_detail", args=[provider.slug])).content.decode()) is shown


def test_the_page_reads_in_a_fixed_number_of_queries(
    client, provider, cohort, admin, django_assert_num_queries
):
    def places(n):
        for _ in range(n):
            place(cohort, percent="65")
            place(cohort, dfe_id=False)
            place(cohort, history=[(S.ACCEPTED, S.ACTIVE, START), (S.ACTIVE, S.COMPLETED, D(2025, 1, 9))])

    def export_and_review(now):
        declarations_export(by=admin, provider=provider, now=now)
        for sent in Declaration.objects.filter(
            declaration_type=T.COMPLETED, export__isnull=False, voided_at__isnull=True
        ).select_related("enrolment"):
            change(sent.enrolment, S.COMPLETED, S.FAILED, D(2025, 1, 20))

    places(1)
    export_and_review(NOW)
    places(1)
    declarations_record(provider=provider, now=NOW)  # one void waiting, new places waiting and held back
    client.force_login(admin)
    url = reverse("declarations", args=[provider.slug])
    client.get(url)  # the session and anything cached once
    with django_assert_num_queries(11) as few:
        page = client.get(url).content.decode()
    assert "1 declaration sent to DfE before was voided since" in text(page)
    places(15)
    export_and_review(NOW + datetime.timedelta(days=1))
    places(15)
    declarations_record(provider=provider, now=NOW + datetime.timedelta(days=1))
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert counts(page)["All declarations"][0] == str(32 * 6)
    assert "16 declarations sent to DfE before were voided since" in text(page)


def test_the_nightly_job_records_every_providers_declarations_once(
    provider, other_provider, cohort, django_capture_on_commit_callbacks
):
    mine = place(cohort)
    theirs = place(
        CohortFactory(
            programme=ProgrammeFactory(provider=other_provider), start_date=START, end_date=D(2026, 2, 27)
        )
    )
    assert BEAT_SCHEDULE["record-dfe-declarations"]["task"] == declarations_record_task.name
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert declarations_record_task() == 0  # queues one job per provider
    assert len(queued) == 2
    assert set(Declaration.objects.values_list("enrolment_id", "declaration_type")) == {
        (mine.pk, T.STARTED),
        (theirs.pk, T.STARTED),
    }
    assert declarations_record_task(provider.pk) == 0  # run again: nothing new
    assert declarations_record_task(10**9) == 0  # a provider removed since: nothing to do
