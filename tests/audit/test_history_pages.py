"""The history of changes pages: a provider's admins read their provider's history, platform staff every
provider's; anyone else is refused (403), and another provider's history answers 404. Filters by kind, person,
dates and object; 50 a page, newest first, UK time; the same query count however many events; a CSV of the
filtered history with formulas neutralised; a link from a participant's record to their place's history."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from audit.models import AuditEvent
from audit.services import audit_record
from npqel.access import Role
from participants import services
from participants.models import Enrolment
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
D = datetime.date
UTC = datetime.UTC
# 14:30 UTC on 3 June 2025 is 15:30 in London (summer time): the page shows London time.
WITHDRAWN_AT = datetime.datetime(2025, 6, 3, 14, 30, tzinfo=UTC)


def history(provider) -> str:
    return reverse("provider_history", args=[provider.slug])


@pytest.fixture
def admin(provider):
    user = person(Role.PROVIDER_ADMIN, provider)
    user.full_name = "Dana Whitfield"
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def place(provider):
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider, name="NPQEL"),
        code="2024-aut",
        start_date=D(2024, 9, 1),
        end_date=D(2026, 3, 31),
    )
    return EnrolmentFactory(
        cohort=cohort, status=Enrolment.Status.ACTIVE, participant__user__full_name="Priya Shah"
    )


@pytest.fixture
def withdrawn(admin, place):
    with time_machine.travel(WITHDRAWN_AT, tick=False):
        services.enrolment_withdraw(by=admin, enrolment=place, reason="change-in-school-circumstances")
    return AuditEvent.objects.get()


def event(
    provider,
    *,
    action="attendance.changed",
    obj_type="attendance",
    label="Ada Lovelace at Day 2",
    at=None,
    actor=None,
):
    return audit_record(
        actor=actor,
        action=action,
        obj_type=obj_type,
        obj_id=1,
        provider=provider,
        label=label,
        before={"status": "absent"},
        after={"status": "late"},
        at=at,
    )


def test_the_admin_reads_what_changed_in_plain_english_in_uk_time(client, admin, withdrawn, provider):
    client.force_login(admin)
    page = client.get(history(provider)).content.decode()
    assert "History of changes" in page
    assert "Withdrew Priya Shah (NPQEL, cohort 2024-aut)" in page
    assert "Status: Active → Withdrawn" in page and "Reason: Change in school circumstances" in page
    assert "Dana Whitfield" in page
    assert "3 Jun 2025" in page and "15:30:00" in page


def test_filters_narrow_the_history_by_kind_person_dates_and_object(client, admin, withdrawn, provider):
    facilitator = person(Role.FACILITATOR, provider)
    facilitator.full_name = "Femi Adebayo"
    event(provider, actor=facilitator, at=datetime.datetime(2025, 6, 10, 9, 0, tzinfo=UTC))
    event(
        provider,
        action="result.released",
        obj_type="result",
        label="Ben Jones (C7654321), Case study",
        at=datetime.datetime(2025, 7, 1, 9, 0, tzinfo=UTC),
    )
    client.force_login(admin)

    def shown(**query) -> set[str]:
        page = client.get(history(provider), query).content.decode()
        return {
            sentence
            for sentence in (
                "Withdrew Priya Shah",
                "Changed the register mark of Ada",
                "Released the result of Ben",
            )
            if sentence in page
        }

    assert shown() == {
        "Withdrew Priya Shah",
        "Changed the register mark of Ada",
        "Released the result of Ben",
    }
    assert shown(kind="enrolments") == {"Withdrew Priya Shah"}
    assert shown(kind="attendance") == {"Changed the register mark of Ada"}
    assert shown(kind="results") == {"Released the result of Ben"}
    assert shown(kind="marking") == set()
    assert shown(who="femi") == {"Changed the register mark of Ada"}
    assert shown(who="the platform") == {"Released the result of Ben"}
    assert shown(who=admin.email) == {"Withdrew Priya Shah"}
    assert shown(since="2025-06-04", until="2025-06-30") == {"Changed the register mark of Ada"}
    assert shown(until="2025-06-03") == {"Withdrew Priya Shah"}
    assert shown(search="C7654321") == {"Released the result of Ben"}
    assert shown(enrolment=withdrawn.object_id) == {"Withdrew Priya Shah"}
    refused = client.get(history(provider), {"since": "2025-07-01", "until": "2025-06-01"})
    assert refused.status_code == 400
    assert "The last day must be on or after the first day." in refused.content.decode()


def test_the_history_is_only_for_the_providers_admins_and_platform_staff(
    client, admin, withdrawn, provider, other_provider
):
    event(other_provider, label="Someone Elsewhere at Day 1")
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.get(history(provider)).status_code == 404
    assert client.get(reverse("provider_history_csv", args=[provider.slug])).status_code == 404
    for role in (Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR):
        client.force_login(person(role, provider))
        assert client.get(history(provider)).status_code == 403, role
        assert client.get(reverse("platform_history")).status_code == 403, role
    client.force_login(admin)
    own = client.get(history(provider)).content.decode()
    assert "Withdrew Priya Shah" in own and "Someone Elsewhere" not in own
    assert client.get(reverse("platform_history")).status_code == 403
    client.force_login(person(Role.PLATFORM_STAFF))
    assert "Withdrew Priya Shah" in client.get(history(provider)).content.decode()
    everyone = client.get(reverse("platform_history")).content.decode()
    assert "Withdrew Priya Shah" in everyone and "Someone Elsewhere" in everyone
    assert escape(other_provider.name) in everyone


def test_the_page_takes_the_same_queries_however_many_events(
    client, admin, provider, django_assert_num_queries
):
    for _ in range(3):
        event(provider)
    client.force_login(admin)
    client.get(history(provider))  # the session and anything cached on first use
    with django_assert_num_queries(6):
        # Session, user, roles (1), the second factor's check, the provider, one page of events.
        assert client.get(history(provider)).status_code == 200
    for n in range(120):
        event(provider, label=f"Person {n} at Day 2")
    with django_assert_num_queries(6):
        page = client.get(history(provider)).content.decode()
    assert page.count("Changed the register mark of") == 50


def test_fifty_a_page_newest_first(client, admin, provider):
    start = datetime.datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    for n in range(51):
        event(provider, label=f"Person {n:02d} at Day 2", at=start + datetime.timedelta(minutes=n))
    client.force_login(admin)
    first = client.get(history(provider)).content.decode()
    assert "Person 50" in first and "Person 01" in first and "Person 00" not in first
    assert first.index("Person 50") < first.index("Person 49")
    assert "Older changes" in first and "Newer changes" not in first
    second = client.get(history(provider), {"page": "2"}).content.decode()
    assert "Person 00" in second and "Person 01" not in second
    assert "Newer changes" in second and "Older changes" not in second
    assert client.get(history(provider), {"page": "10000000000000000000"}).status_code == 400


def test_the_csv_holds_the_filtered_history_with_formulas_neutralised(client, admin, withdrawn, provider):
    mischief = person(Role.PROVIDER_ADMIN, provider)
    mischief.full_name = '=HYPERLINK("http://evil.example")'
    event(provider, actor=mischief, label="Ada Lovelace at Day 2")
    client.force_login(admin)
    response = client.get(reverse("provider_history_csv", args=[provider.slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0] == [
        "When (UK time)",
        "Who",
        "What happened",
        "Before",
        "After",
        "Kind of object",
        "Object id",
        "Action",
    ]
    by_action = {row[-1]: row for row in rows[1:]}
    withdrawal = by_action["enrolment.withdrawn"]
    assert withdrawal[:5] == [
        "2025-06-03 15:30",
        "Dana Whitfield",
        "Withdrew Priya Shah (NPQEL, cohort 2024-aut)",
        "Status: Active",
        "Status: Withdrawn; From: 3 June 2025; Reason: Change in school circumstances",
    ]
    assert by_action["attendance.changed"][1] == '\'=HYPERLINK("http://evil.example")'
    only = client.get(reverse("provider_history_csv", args=[provider.slug]), {"kind": "attendance"})
    assert [row[-1] for row in csv.reader(io.StringIO(only.content.decode().lstrip("\ufeff")))][1:] == [
        "attendance.changed"
    ]


def test_a_participants_record_links_to_the_history_of_their_place(client, admin, withdrawn, place, provider):
    client.force_login(admin)
    record = client.get(reverse("enrolment_detail", args=[place.pk])).content.decode()
    link = f"{history(provider)}?enrolment={place.pk}"
    assert link in record
    page = client.get(link).content.decode()
    assert "Showing the changes to one participant" in page
    assert "Withdrew Priya Shah" in page
