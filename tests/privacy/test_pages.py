"""The data-protection pages: a provider admin sets how long their provider keeps personal data and sees who is
erased in the next 90 days (platform staff see it, read-only, for any provider); a person's page downloads their
data or erases it, with a reason and a confirmation, or says plainly why it cannot be erased yet."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from npqel.access import Role
from participants.models import Enrolment, EnrolmentChange
from programmes.models import Provider
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status


def ended_place(
    provider: Provider, *, years_ago: float = 7, status: str = S.WITHDRAWN, name: str = ""
) -> Enrolment:
    """A place with the provider that ended `years_ago` years ago (by days), with its history."""
    on = timezone.localdate() - datetime.timedelta(days=int(years_ago * 365.25))
    programme = provider.programmes.first() or ProgrammeFactory(provider=provider)
    cohort = CohortFactory(programme=programme, start_date=on - datetime.timedelta(days=400), end_date=on)
    enrolment = EnrolmentFactory(
        cohort=cohort, status=status, **({"participant__user__full_name": name} if name else {})
    )
    EnrolmentChange.objects.create(
        enrolment=enrolment, from_status=S.ACTIVE, to_status=status, effective_on=on
    )
    return enrolment


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


def test_an_admin_sets_the_retention_period_and_it_is_audited(client, provider, admin):
    client.force_login(admin)
    url = reverse("provider_data_protection", args=[provider.slug])
    page = client.get(url).content.decode()
    assert 'name="years"' in page and 'value="7"' in page
    response = client.post(url, {"years": "10"})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.retention_years == 10
    event = AuditEvent.objects.get(action="provider.retention_changed")
    assert (event.actor, event.before, event.after) == (
        admin,
        {"retention_years": 7},
        {"retention_years": 10},
    )
    assert "erased 10 years after" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("years", "message"),
    [
        ("0", "Enter at least 1 year."),
        ("51", "Enter 50 years or fewer."),
        ("seven", "Enter a whole number"),
        ("", "Enter how many years"),
    ],
)
def test_a_retention_period_out_of_range_is_refused_next_to_its_field(
    client, provider, admin, years, message
):
    client.force_login(admin)
    response = client.post(reverse("provider_data_protection", args=[provider.slug]), {"years": years})
    assert response.status_code == 400 and message in response.content.decode()
    provider.refresh_from_db()
    assert provider.retention_years == 7


def test_platform_staff_see_any_providers_page_but_do_not_set_its_retention(client, provider):
    client.force_login(person(Role.PLATFORM_STAFF))
    url = reverse("provider_data_protection", args=[provider.slug])
    page = client.get(url).content.decode()
    assert "keeps personal data for <strong>7 years</strong>" in page and 'name="years"' not in page
    assert client.post(url, {"years": "3"}).status_code == 403
    provider.refresh_from_db()
    assert provider.retention_years == 7


def test_the_page_lists_who_is_erased_in_the_next_90_days_with_their_buttons(client, provider, admin):
    soon = ended_place(provider, years_ago=6.95, name="Soon Tobe-Erased")
    overdue = ended_place(provider, years_ago=7.2, name="Over Due")
    ended_place(provider, years_ago=5, name="Much Later")
    ended_place(provider, years_ago=9, status=S.ACTIVE, name="Still Studying")
    client.force_login(admin)
    page = client.get(reverse("provider_data_protection", args=[provider.slug])).content.decode()
    assert page.index("Over Due") < page.index("Soon Tobe-Erased")
    assert "Much Later" not in page and "Still Studying" not in page
    assert "Tonight (due" in page
    for enrolment in (soon, overdue):
        assert reverse("participant_data_export", args=[enrolment.participant_id]) in page
        assert reverse("participant_data_protection", args=[enrolment.participant_id]) in page


def test_the_page_reads_the_same_number_of_queries_however_many_are_due(client, provider, admin):
    client.force_login(admin)
    url = reverse("provider_data_protection", args=[provider.slug])
    ended_place(provider, years_ago=7.1)
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        ended_place(provider, years_ago=7.1)
    with CaptureQueriesContext(connection) as five:
        page = client.get(url).content.decode()
    assert page.count("Erase now") == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_an_admin_erases_a_person_from_their_page_with_a_reason_and_a_confirmation(client, provider, admin):
    enrolment = ended_place(provider, name="Grace Ended-Place")
    client.force_login(admin)
    url = reverse("participant_data_protection", args=[enrolment.participant_id])
    page = client.get(url).content.decode()
    assert "Grace Ended-Place" in page and "Erase their personal data" in page
    assert reverse("participant_data_export", args=[enrolment.participant_id]) in page

    response = client.post(url, {"reason": "Her request of 2 June"})
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    enrolment.participant.refresh_from_db()
    assert enrolment.participant.erased_at is None

    response = client.post(url, {"reason": "Her request of 2 June", "confirm": "on"}, follow=True)
    assert "Their personal data is erased" in response.content.decode()
    enrolment.participant.refresh_from_db()
    assert enrolment.participant.erased_at is not None
    page = response.content.decode()
    assert "Grace Ended-Place" not in page and "was erased on" in page and 'name="reason"' not in page


def test_a_person_with_a_place_under_way_cannot_be_erased_by_an_admin_and_the_page_says_why(
    client, provider, admin
):
    enrolment = ended_place(provider, status=S.ACTIVE)
    client.force_login(admin)
    url = reverse("participant_data_protection", args=[enrolment.participant_id])
    page = client.get(url).content.decode()
    assert "Withdraw it first" in page and 'name="reason"' not in page
    response = client.post(url, {"reason": "Asked", "confirm": "on"}, follow=True)
    assert "Withdraw it first" in response.content.decode()
    enrolment.participant.refresh_from_db()
    assert enrolment.participant.erased_at is None

    client.force_login(person(Role.PLATFORM_STAFF))
    page = client.get(url).content.decode()
    assert 'name="reason"' in page and "still have a place under way" in page


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.PARTICIPANT])
def test_other_roles_cannot_open_the_pages(client, provider, role):
    enrolment = ended_place(provider)
    client.force_login(person(role, provider))
    assert (
        client.get(reverse("participant_data_protection", args=[enrolment.participant_id])).status_code == 403
    )
    assert client.get(reverse("provider_data_protection", args=[provider.slug])).status_code == 403


def test_the_provider_page_and_the_record_link_to_data_protection_and_the_history(client):
    enrolment = EnrolmentFactory()
    provider = enrolment.provider
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    page = client.get(reverse("provider_detail", args=[provider.slug])).content.decode()
    assert reverse("provider_data_protection", args=[provider.slug]) in page
    assert reverse("provider_history", args=[provider.slug]) in page
    record = client.get(reverse("enrolment_detail", args=[enrolment.pk])).content.decode()
    assert reverse("participant_data_protection", args=[enrolment.participant.pk]) in record
    client.force_login(person(Role.FACILITATOR, provider))
    page = client.get(reverse("provider_detail", args=[provider.slug])).content.decode()
    assert "data-protection" not in page and "/history/" not in page
