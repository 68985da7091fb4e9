"""The metrics report through the API: the same JSON as the command, for the provider's admins and platform
staff; a clear error for a missing or malformed year."""

import datetime

import pytest
from django.urls import reverse

from npqel.access import Role
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(provider):
    cohort = CohortFactory(
        programme=ProgrammeFactory(provider=provider), start_date=datetime.date(2019, 9, 16)
    )
    EnrolmentFactory(cohort=cohort, participant__ethnicity_code="AIND")
    return reverse("api:provider-metrics", args=[provider.slug])


def test_an_admin_reads_the_report_for_a_year(client, provider, url):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    report = client.get(url, {"year": "2019/20"}).json()
    assert report["provider"] == provider.slug and report["recruitment_year"] == "2019/20"
    assert report["recruitment"]["recruited"] == 1
    assert report["non_white_british"] == {
        "target_percent": None,
        "count": 1,
        "percent": 100.0,
        "percent_of_target": None,
    }
    # The API gives the provider's own staff every group, small ones too (the page and PDF suppress them).
    ethnicity = report["groups"]["breakdowns"]["ethnicity"]["measures"]["retention"]["groups"]
    other = next(g for g in ethnicity if g["group"] == "Other")
    assert (other["suppressed"], other["numerator"], other["denominator"]) == (False, 1, 1)
    assert client.get(url, {"year": "2019/20", "programme": "npqel"}).json()["programme"] == "npqel"


def test_a_missing_or_wrong_year_or_programme_says_what_to_fix(client, provider, url):
    client.force_login(person(Role.PLATFORM_STAFF))
    missing = client.get(url)
    assert missing.status_code == 400
    assert missing.json()["error"]["fields"] == {
        "year": ["Give the recruitment year, for example ?year=2019/20."]
    }
    wrong = client.get(url, {"year": "2019"}).json()["error"]["fields"]["year"][0]
    assert wrong.startswith("“2019” is not a recruitment year")
    assert client.get(url, {"year": "2019/20", "programme": "nope"}).status_code == 400


def test_other_roles_and_providers_do_not_see_it(client, provider, other_provider, url):
    client.force_login(person(Role.FACILITATOR, provider))
    assert client.get(url, {"year": "2019/20"}).status_code == 403
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.get(url, {"year": "2019/20"}).status_code == 404
