"""The provider admin's cohort roster: one row per place with its standing, filtered, sorted and exported
to CSV; the same number of queries for 10 people as for 200."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from npqel.access import Role
from participants.models import Enrolment, EnrolmentChange
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.django_db
S = Enrolment.Status
D = datetime.date


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2024, 3, 1, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def cohort(provider):
    programme = ProgrammeFactory(provider=provider, name="NPQEL", deadline_months=18)
    return CohortFactory(
        programme=programme, code="2023-spring", start_date=D(2023, 1, 9), end_date=D(2024, 7, 31)
    )


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


def place(cohort, name: str, *, deferred_on: datetime.date | None = None, **fields) -> Enrolment:
    """A place for a person called `name`; deferred from `deferred_on` (with its history) if given."""
    fields.setdefault("participant__user__email", name.lower().replace(" ", ".") + "@school.example")
    enrolment = EnrolmentFactory(
        cohort=cohort,
        participant__user__full_name=name,
        status=S.DEFERRED if deferred_on else fields.pop("status", S.ACTIVE),
        **fields,
    )
    if deferred_on:
        EnrolmentChange.objects.create(
            enrolment=enrolment, from_status=S.ACTIVE, to_status=S.DEFERRED, effective_on=deferred_on
        )
    return enrolment


@pytest.fixture
def people(cohort, provider):
    north = DeliveryGroupFactory(cohort=cohort, name="North")
    south = DeliveryGroupFactory(cohort=cohort, name="South")
    coach = StaffMembershipFactory(provider=provider, role="coach", user__full_name="Cal Coach").user
    oakfield = SchoolFactory(name="Oakfield Academy", urn="140001", fsm_percent=Decimal("31.20"))
    return {
        "Amara Okafor": place(
            cohort,
            "Amara Okafor",
            group=north,
            coach=coach,
            funding_route="funded_place",
            participant__school=oakfield,
        ),
        # Started early: deadline 30 April 2024, 60 days away.
        "Ben Hughes": place(
            cohort,
            "Ben Hughes",
            group=south,
            funding_route="school",
            start_date=D(2022, 10, 31),
            participant__school=SchoolFactory(name="Beech Hill Primary"),
        ),
        # Deferred since 20 January 2023: 13 months.
        "Cara Lewis": place(
            cohort,
            "Cara Lewis",
            deferred_on=D(2023, 1, 20),
            start_date=D(2023, 2, 6),
            participant__school=SchoolFactory(name="Castle School"),
        ),
        "Dev Patel": place(
            cohort,
            "Dev Patel",
            status=S.WITHDRAWN,
            group=north,
            funding_route="self_funded",
            participant__school=oakfield,
        ),
        "Eve Smith": place(
            cohort,
            "Eve Smith",
            status=S.APPLIED,
            funding_route="scholarship",
            start_date=D(2023, 4, 3),
            participant__school=None,
        ),
    }


def names_in_order(page: str, names) -> list[str]:
    shown = [name for name in names if f">{name}</a>" in page]
    return sorted(shown, key=lambda name: page.index(f">{name}</a>"))


def roster(client, cohort, query: str = "") -> str:
    response = client.get(reverse("cohort_roster", args=[cohort.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_roster_shows_each_place_with_its_standing(client, admin, cohort, people):
    other_cohort = CohortFactory(programme=cohort.programme, code="2023-autumn")
    place(other_cohort, "Fay Elsewhere")
    client.force_login(admin)
    page = roster(client, cohort)
    assert names_in_order(page, [*people, "Fay Elsewhere"]) == list(people)
    assert "5 places." in page and "2 are at risk." in page
    amara = page[page.index(">Amara Okafor<") : page.index(">Ben Hughes<")]
    for shown in (
        "amara.okafor@school.example",
        "Oakfield Academy",
        "North",
        "Cal Coach",
        "DfE funded place",
        "Active",
        "9 Jan 2023",
        "9 Jul 2024",
        "130 days left",
    ):
        assert shown in amara, shown
    assert "At risk" not in amara
    ben = page[page.index(">Ben Hughes<") : page.index(">Cara Lewis<")]
    assert "30 Apr 2024" in ben and "60 days left" in ben and "Deadline in 60 days" in ben
    cara = page[page.index(">Cara Lewis<") : page.index(">Dev Patel<")]
    assert "Deferred" in cara and "Deferred for 13 months" in cara and "Not known yet" in cara
    dev = page[page.index(">Dev Patel<") : page.index(">Eve Smith<")]
    assert "Withdrawn" in dev and "days left" not in dev  # an ended place has no deadline to count down
    assert reverse("enrolment_detail", args=[people["Amara Okafor"].pk]) in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=active", ["Amara Okafor", "Ben Hughes"]),
        ("?status=deferred", ["Cara Lewis"]),
        ("?group=none", ["Cara Lewis", "Eve Smith"]),
        ("?funding_route=not_known", ["Cara Lewis"]),
        ("?funding_route=scholarship", ["Eve Smith"]),
        ("?at_risk=on", ["Ben Hughes", "Cara Lewis"]),
        ("?status=active&at_risk=on", ["Ben Hughes"]),
        ("?status=completed", []),
    ],
)
def test_the_roster_filters(client, admin, cohort, people, query, expected):
    client.force_login(admin)
    page = roster(client, cohort, query)
    assert names_in_order(page, people) == expected
    if expected:
        assert f"Showing {len(expected)} of 5 places." in page
    else:
        assert "Nobody matches these filters." in page


def test_the_roster_filters_by_group(client, admin, cohort, people):
    client.force_login(admin)
    north = people["Amara Okafor"].group
    page = roster(client, cohort, f"?group={north.pk}")
    assert names_in_order(page, people) == ["Amara Okafor", "Dev Patel"]
    assert f'<option value="{north.pk}" selected>North</option>' in page


def test_a_made_up_filter_value_is_ignored_with_a_message(client, admin, cohort, people):
    client.force_login(admin)
    page = roster(client, cohort, "?status=asleep&sort=shoe-size")
    assert names_in_order(page, people) == list(people)
    assert "Choose a status from the list." in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Amara Okafor", "Ben Hughes", "Cara Lewis", "Dev Patel", "Eve Smith"]),
        ("-name", ["Eve Smith", "Dev Patel", "Cara Lewis", "Ben Hughes", "Amara Okafor"]),
        # In the order of the lifecycle; the same status in name order.
        ("status", ["Eve Smith", "Amara Okafor", "Ben Hughes", "Cara Lewis", "Dev Patel"]),
        ("-status", ["Dev Patel", "Cara Lewis", "Amara Okafor", "Ben Hughes", "Eve Smith"]),
        # Ended places have no deadline: last, whichever way.
        ("deadline", ["Ben Hughes", "Amara Okafor", "Cara Lewis", "Eve Smith", "Dev Patel"]),
        ("-deadline", ["Eve Smith", "Cara Lewis", "Amara Okafor", "Ben Hughes", "Dev Patel"]),
        # No school known: last.
        ("school", ["Ben Hughes", "Cara Lewis", "Amara Okafor", "Dev Patel", "Eve Smith"]),
        ("-school", ["Amara Okafor", "Dev Patel", "Cara Lewis", "Ben Hughes", "Eve Smith"]),
    ],
)
def test_the_roster_sorts(client, admin, cohort, people, sort, expected):
    client.force_login(admin)
    assert names_in_order(roster(client, cohort, f"?sort={sort}"), people) == expected


def test_column_headers_sort_and_say_how_the_table_is_sorted(client, admin, cohort, people):
    client.force_login(admin)
    page = roster(client, cohort, "?status=active&sort=deadline")
    assert (
        'aria-sort="ascending"><a class="govuk-link" href="?status=active&amp;sort=-deadline">Deadline</a></th>'
        in page
    )
    assert 'aria-sort="none"><a class="govuk-link" href="?status=active&amp;sort=name">Name</a>' in page
    page = roster(client, cohort, "?sort=-deadline")
    assert 'aria-sort="descending"><a class="govuk-link" href="?sort=deadline">Deadline</a>' in page
    # The filter form keeps the sort; the export link keeps filters and sort.
    page = roster(client, cohort, "?at_risk=on&sort=-name")
    assert '<input type="hidden" name="sort" value="-name"' in page
    assert reverse("cohort_roster_csv", args=[cohort.pk]) + "?at_risk=on&amp;sort=-name" in page


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").removeprefix("\ufeff"))))


def test_the_csv_export_has_the_rows_shown_with_the_same_filters_and_order(client, admin, cohort, people):
    client.force_login(admin)
    response = client.get(reverse("cohort_roster_csv", args=[cohort.pk]) + "?at_risk=on&sort=-name")
    assert response["Content-Disposition"] == 'attachment; filename="roster-2023-spring-2024-03-01.csv"'
    rows = read_csv(response)
    assert rows[0] == [
        "Name", "Email", "School", "School URN", "Delivery group", "Coach", "Funding route", "Status",
        "Start date", "Deadline", "Days left", "At risk", "Why at risk",
    ]  # fmt: skip
    assert rows[1:] == [
        [
            "Cara Lewis", "cara.lewis@school.example", "Castle School", people["Cara Lewis"].participant.school.urn,
            "", "", "Not known yet", "Deferred", "2023-02-06", "2024-08-06", "158", "Yes", "Deferred for 13 months",
        ],
        [
            "Ben Hughes", "ben.hughes@school.example", "Beech Hill Primary",
            people["Ben Hughes"].participant.school.urn,
            "South", "", "Paid by the school or trust", "Active", "2022-10-31", "2024-04-30", "60", "Yes",
            "Deadline in 60 days with nothing submitted",
        ],
    ]  # fmt: skip
    everyone = read_csv(client.get(reverse("cohort_roster_csv", args=[cohort.pk])))
    assert [row[0] for row in everyone[1:]] == list(people)
    dev = everyone[4]
    assert dev[7:12] == ["Withdrawn", "2023-01-09", "", "", "No"]


def test_the_csv_export_never_hands_a_spreadsheet_a_formula(client, admin, cohort):
    place(
        cohort,
        '=HYPERLINK("http://evil.example","Click")',
        participant__school=SchoolFactory(name="@SUM(1+1)"),
        participant__user__email="mallory@school.example",
    )
    client.force_login(admin)
    row = read_csv(client.get(reverse("cohort_roster_csv", args=[cohort.pk])))[1]
    assert row[0] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row[2] == "'@SUM(1+1)"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PROVIDER_ADMIN, 200),
        (Role.FACILITATOR, 403),
        (Role.COACH, 403),
        (Role.ASSESSOR, 403),
        (Role.PARTICIPANT, 403),
        (Role.MODERATOR, 403),
        (Role.PLATFORM_STAFF, 200),
    ],
)
def test_only_those_who_see_enrolments_open_the_roster(client, provider, cohort, people, role, status):
    client.force_login(person(role, provider))
    for name in ("cohort_roster", "cohort_roster_csv"):
        assert client.get(reverse(name, args=[cohort.pk])).status_code == status, name


def test_another_providers_admin_gets_not_found(client, other_provider, cohort, people):
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    for name in ("cohort_roster", "cohort_roster_csv"):
        assert client.get(reverse(name, args=[cohort.pk])).status_code == 404, name


def test_the_cohort_page_links_to_the_roster_for_those_who_may_see_it(client, provider, cohort):
    link = reverse("cohort_roster", args=[cohort.pk])
    for role, shown in ((Role.PROVIDER_ADMIN, True), (Role.PLATFORM_STAFF, True), (Role.FACILITATOR, False)):
        client.force_login(person(role, provider))
        page = client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()
        assert (link in page) is shown, role


@pytest.mark.parametrize(("name", "queries"), [("cohort_roster", 10), ("cohort_roster_csv", 10)])
def test_roster_query_counts_are_pinned_and_flat(
    client, provider, admin, cohort, django_assert_num_queries, name, queries
):
    groups = [DeliveryGroupFactory(cohort=cohort, name=f"Group {n}") for n in range(3)]
    coaches = [StaffMembershipFactory(provider=provider, role="coach").user for _ in range(3)]
    cohort.programme.extensions.create(applies_from=D(2018, 7, 1), months=24)

    def grow(n: int) -> None:
        for i in range(n):
            deferred = i % 3 == 0
            place(
                cohort,
                f"Person {Enrolment.objects.count()}",
                deferred_on=D(2023, 2, 1) if deferred else None,
                group=groups[i % 3],
                coach=coaches[i % 3],
                funding_route="funded_place",
            )

    client.force_login(admin)
    url = reverse(name, args=[cohort.pk]) + "?sort=deadline"
    grow(10)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    grow(190)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Person ") >= 200
