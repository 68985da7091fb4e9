import pytest
from django.urls import reverse

from npqel.access import Role

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_participant_sees_their_enrolment_and_no_provider_pages(signed_in, make_person, provider):
    participant = make_person(Role.PARTICIPANT, provider)
    page = signed_in(participant).get(reverse("home")).content.decode()
    assert "Your programme" in page
    assert "Active" in page
    assert reverse("provider_list") not in page
    # Their own page: what is next, the deadline, the rules for eligibility, progress and funding.
    for heading in (
        "What is next",
        "Your deadline",
        "What you must do to be eligible for the final assessment",
        "Your progress by component",
        "Funding and fees",
    ):
        assert heading in page


def test_provider_admin_home_links_to_their_provider_only(signed_in, make_person, provider, other_provider):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    page = signed_in(admin).get(reverse("home")).content.decode()
    assert provider.name in page
    assert other_provider.name not in page


def test_page_uses_own_header_without_crown_or_gds_font(signed_in, make_person, provider):
    page = signed_in(make_person(Role.FACILITATOR, provider)).get(reverse("home")).content.decode()
    assert "NPQEL Programme Manager" in page
    assert "govuk-header__logo" not in page and "crown" not in page.lower()
    assert 'class="govuk-skip-link"' in page
    assert "GDS Transport" not in page
