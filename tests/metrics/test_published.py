"""Published figures traced to snapshots, the public page a provider may choose to have, and platform staff's
comparison of every provider (issue 8).

- Each snapshot keeps the report and its published form (small groups suppressed); a download (CSV, PDF) is
  drawn from the standing snapshot of each year, taken then if a figure changed, and names it.
- The public page shows only the published tables of the latest snapshots, to anyone, once the provider's
  admin has turned it on; it never computes for a visitor.
- Platform staff see every provider's headline figures for a year side by side, in a fixed number of queries.
"""

import csv
import io

import pytest
from django.urls import reverse

from metrics.models import MetricSnapshot
from metrics.services import snapshot_take
from npqel.access import Role
from programmes.models import Provider
from tests.metrics.test_pages import YEARS, intake, place, table
from tests.people import person
from tests.programmes.factories import ProgrammeFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def csv_rows(response) -> dict[tuple[str, str], list[str]]:
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {(row[0], row[1]): row[2:] for row in rows[1:]}


# Snapshots keep the published form -------------------------------------------------------------------------


def test_a_snapshot_keeps_the_published_form_beside_the_full_report(provider, cohorts):
    snapshot, new = snapshot_take(provider=provider, recruitment_year="2020/21")
    assert new
    full = snapshot.data["groups"]["breakdowns"]["disability"]["measures"]["retention"]["groups"]
    shown = snapshot.published["groups"]["breakdowns"]["disability"]["measures"]["retention"]["groups"]
    disabled_full = next(g for g in full if g["group"] == "Yes")
    disabled_shown = next(g for g in shown if g["group"] == "Yes")
    assert (disabled_full["numerator"], disabled_full["denominator"]) == (3, 3)
    assert disabled_shown["suppressed"] and "denominator" not in disabled_shown
    # The rest of the report is the same figures.
    assert {k: v for k, v in snapshot.published.items() if k != "groups"} == {
        k: v for k, v in snapshot.data.items() if k != "groups"
    }
    again, new = snapshot_take(provider=provider, recruitment_year="2020/21")
    assert again.pk == snapshot.pk and not new


def test_an_old_snapshot_without_its_published_form_is_taken_again(provider, cohorts):
    snapshot, _ = snapshot_take(provider=provider, recruitment_year="2019/20")
    MetricSnapshot.objects.filter(pk=snapshot.pk).update(published={})
    fresh, new = snapshot_take(provider=provider, recruitment_year="2019/20")
    assert new and fresh.pk != snapshot.pk and fresh.published["recruitment"]["recruited"] == 5


# Downloads are traced to snapshots -------------------------------------------------------------------------


def test_the_csv_names_the_snapshot_of_each_year_and_downloading_again_takes_no_new_one(
    client, provider, cohorts
):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    url = reverse("metrics_csv", args=[provider.slug])
    first = csv_rows(client.get(url))
    snapshots = {s.recruitment_year: s for s in MetricSnapshot.objects.filter(programme__isnull=True)}
    assert sorted(snapshots) == YEARS
    assert first[("Source", "Snapshot")] == [str(snapshots[year].pk) for year in YEARS]
    assert first[("1. Recruitment", "Recruited")] == ["5", "20", "2"]
    assert csv_rows(client.get(url)) == first
    assert MetricSnapshot.objects.count() == 3

    place(cohorts[0])  # a sixth place in 2019/20: that year's figures change, the others do not
    changed = csv_rows(client.get(url))
    assert changed[("1. Recruitment", "Recruited")] == ["6", "20", "2"]
    newest = MetricSnapshot.objects.filter(recruitment_year="2019/20").order_by("-pk").first()
    assert changed[("Source", "Snapshot")] == [
        str(newest.pk),
        str(snapshots["2020/21"].pk),
        str(snapshots["2021/22"].pk),
    ]
    assert MetricSnapshot.objects.count() == 4


def test_the_csv_of_one_programme_comes_from_that_programmes_snapshots(client, provider, programme, cohorts):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    response = client.get(
        reverse("metrics_csv", args=[provider.slug]), {"years": "2019/20", "programme": "npqel"}
    )
    rows = csv_rows(response)
    snapshot = MetricSnapshot.objects.get(programme=programme, recruitment_year="2019/20")
    assert rows[("Source", "Snapshot")] == [str(snapshot.pk)]


# The public page ---------------------------------------------------------------------------------------------


def test_the_public_page_is_not_found_until_the_admin_publishes(
    client, provider, cohorts, django_capture_on_commit_callbacks
):
    public_url = reverse("metrics_public", args=[provider.slug])
    assert client.get(public_url).status_code == 404
    assert client.get(reverse("metrics_public", args=["no-such-provider"])).status_code == 404

    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    with django_capture_on_commit_callbacks(execute=True):  # the snapshots it queues are taken
        response = client.post(reverse("metrics_publishing", args=[provider.slug]), {"public": "yes"})
    assert response.status_code == 302 and response["Location"] == reverse("metrics", args=[provider.slug])
    provider.refresh_from_db()
    assert provider.metrics_public
    assert MetricSnapshot.objects.filter(provider=provider, programme__isnull=True).count() == 4

    client.logout()
    response = client.get(public_url)
    assert response.status_code == 200
    page = response.content.decode()
    recruitment = table(page, "1. Recruitment")
    assert recruitment["Measure"] == YEARS and recruitment["Recruited"] == ["5", "20", "2"]
    assert table(page, "Whether each goal was met")["Recruitment: 100% of target or more"] == [
        "Met",
        "Not met",
        "Not available",
    ]
    disability = table(page, "Disability, 2020/21")
    assert disability["Yes"][:2] == ["Not shown"] * 2 and "3 of 3 (" not in page
    snapshot = MetricSnapshot.objects.get(
        provider=provider, programme__isnull=True, recruitment_year="2019/20"
    )
    assert f"2019/20: snapshot {snapshot.pk} of" in page
    # Only the published tables: nothing to download, recompute or change.
    assert "metrics.csv" not in page and "Recompute" not in page and "<form" not in page.split("<main")[1]

    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    client.post(reverse("metrics_publishing", args=[provider.slug]), {"public": "no"})
    client.logout()
    assert client.get(public_url).status_code == 404


def test_the_public_page_shows_snapshots_and_never_computes_for_a_visitor(
    client, provider, cohorts, django_assert_max_num_queries
):
    Provider.objects.filter(pk=provider.pk).update(metrics_public=True)
    public_url = reverse("metrics_public", args=[provider.slug])
    page = client.get(public_url).content.decode()
    assert "No figures are published yet" in page
    assert not MetricSnapshot.objects.exists()

    for year in YEARS:
        snapshot_take(provider=provider, recruitment_year=year)
    for _ in range(4):
        place(cohorts[0])  # recorded after the snapshots: the public page still shows 5 until the next one
    with django_assert_max_num_queries(6):  # the provider, its years, a snapshot per year
        page = client.get(public_url).content.decode()
    assert table(page, "1. Recruitment")["Recruited"] == ["5", "20", "2"]


def test_only_the_providers_own_admins_choose_to_publish(client, provider, other_provider, cohorts):
    url = reverse("metrics_publishing", args=[provider.slug])
    for role in (Role.PLATFORM_STAFF, Role.FACILITATOR, Role.ASSESSOR):
        client.force_login(person(role, provider))
        assert client.post(url, {"public": "yes"}).status_code == 403, role
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.post(url, {"public": "yes"}).status_code == 404
    provider.refresh_from_db()
    assert not provider.metrics_public


def test_the_metrics_page_offers_publishing_to_admins_with_the_public_address(client, provider, cohorts):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    page = client.get(reverse("metrics", args=[provider.slug])).content.decode()
    assert reverse("metrics_publishing", args=[provider.slug]) in page
    assert "Publish these tables" in page
    Provider.objects.filter(pk=provider.pk).update(metrics_public=True)
    page = client.get(reverse("metrics", args=[provider.slug])).content.decode()
    assert f"http://testserver{reverse('metrics_public', args=[provider.slug])}" in page
    assert "Stop publishing" in page
    client.force_login(person(Role.PLATFORM_STAFF))
    page = client.get(reverse("metrics", args=[provider.slug])).content.decode()
    assert reverse("metrics_publishing", args=[provider.slug]) not in page


# Platform staff: every provider side by side -----------------------------------------------------------------


def test_platform_staff_see_every_provider_side_by_side(client, provider, other_provider, cohorts):
    for year in YEARS:
        snapshot_take(provider=provider, recruitment_year=year)
    client.force_login(person(Role.PLATFORM_STAFF))
    response = client.get(reverse("metrics_overview"), {"year": "2020/21"})
    assert response.status_code == 200
    page = response.content.decode()
    rows = table(page, "2020/21")
    assert rows["Provider"][:2] == ["Recruitment, % of target", "FSM 30%+ schools, share"]
    olp = rows["Outstanding Leaders Partnership"]
    assert olp[0] == "50.00% Not met"  # 20 of a target of 40
    assert olp[5] == "5.50 Not met"  # mean feedback rating
    assert olp[6] == "60.00%"  # retention: no goal of its own
    assert olp[9] == "Found"  # a significant difference by sex
    assert rows[other_provider.name] == ["No snapshot of 2020/21"]
    assert "1 provider has no snapshot of 2020/21" in page
    # The latest year with snapshots is the default.
    assert table(client.get(reverse("metrics_overview")).content.decode(), "2021/22")


def test_the_comparison_is_for_platform_staff_only_and_explains_a_wrong_year(client, provider, cohorts):
    snapshot_take(provider=provider, recruitment_year="2019/20")
    for role in (Role.PROVIDER_ADMIN, Role.MODERATOR, Role.ASSESSOR, Role.PARTICIPANT):
        client.force_login(person(role, provider))
        assert client.get(reverse("metrics_overview")).status_code == 403, role
    client.force_login(person(Role.PLATFORM_STAFF))
    response = client.get(reverse("metrics_overview"), {"year": "2030/31"})
    assert response.status_code == 400
    assert "No provider has a snapshot of 2030/31. Choose a year from the list." in response.content.decode()


def test_the_comparison_reads_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    staff = person(Role.PLATFORM_STAFF)
    client.force_login(staff)

    def providers(n: int) -> None:
        for _ in range(n):
            provider = ProviderFactory()
            place(intake(ProgrammeFactory(provider=provider), 2020))
            snapshot_take(provider=provider, recruitment_year="2020/21")

    providers(2)
    client.get(reverse("metrics_overview"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("metrics_overview"))
    providers(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("metrics_overview")).content.decode()
    assert len(table(page, "2020/21")) == 1 + 7


def test_the_home_page_links_platform_staff_to_the_comparison(client):
    client.force_login(person(Role.PLATFORM_STAFF))
    assert reverse("metrics_overview") in client.get(reverse("home")).content.decode()


def test_the_pdf_names_its_snapshots_and_lists_metric_7_in_the_pages_order(client, provider, cohorts):
    import pypdf

    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    response = client.get(reverse("metrics_pdf", args=[provider.slug]), {"years": "2019/20,2020/21"})
    text = " ".join(
        " ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    first, second = (
        MetricSnapshot.objects.get(programme__isnull=True, recruitment_year=year)
        for year in ("2019/20", "2020/21")
    )
    assert f"2019/20: snapshot {first.pk} of" in text and f"2020/21: snapshot {second.pk} of" in text
    # Read back from PostgreSQL's jsonb (keys in its own order), the measures keep the page's order.
    retention, deferral, achievement = (
        text.index(f"{m} (") for m in ("Retention", "Deferral", "Achievement")
    )
    assert retention < deferral < achievement
