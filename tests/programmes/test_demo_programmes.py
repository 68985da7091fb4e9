"""The demo programmes match what the providers publish (docs/DOMAIN.md)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from npqel.access import Role
from npqel.demo import demo_load
from programmes.models import Cohort, Component, Programme, Session
from programmes.selectors import hour_totals
from tests.people import person
from tests.programmes.test_design_pages import Page, assert_accessible

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("demo_for_module"),
]


def programme(slug: str) -> Programme:
    return Programme.objects.get(provider__slug=slug, code="npqel")


def totals(slug: str):
    return hour_totals(Component.objects.filter(programme=programme(slug)))


def test_published_hours_add_up():
    assert totals("olp").total == Decimal("132")
    cumbria = totals("one-cumbria")
    assert (cumbria.total, cumbria.synchronous, cumbria.in_person) == (Decimal(80), Decimal(43), Decimal(12))
    assert totals("llse").total == Decimal("70")
    # Providers that publish no hours say so rather than showing 0.
    assert totals("ascl").unpublished == Component.objects.filter(programme=programme("ascl")).count()


def test_olp_has_six_event_days_with_their_topics():
    cohort = Cohort.objects.get(programme=programme("olp"), code="2019-autumn")
    days = Session.objects.filter(cohort=cohort, component__kind__in=["residential", "event_day"])
    titles = {s.title.split(":")[0].replace(" (North)", "").replace(" (South)", "") for s in days}
    assert titles == {f"Residential Day {n}" for n in (1, 2, 5, 6)} | {"Day 3", "Day 4"}


def test_ascl_october_2020_webinars_and_their_repeats_in_local_time():
    cohort = Cohort.objects.get(programme=programme("ascl"), code="2020-october")
    webinars = Session.objects.filter(cohort=cohort, component__title="Introductory webinars").order_by(
        "starts_at"
    )
    shown = [
        (
            timezone.localtime(s.starts_at).strftime("%a %-d %b %H:%M"),
            timezone.localtime(s.ends_at).strftime("%H:%M"),
            s.repeat_of.title if s.repeat_of else None,
        )
        for s in webinars
    ]
    assert shown == [
        ("Tue 6 Oct 13:30", "15:00", None),
        ("Wed 7 Oct 10:00", "11:30", "Introductory Webinar Part 1"),
        ("Wed 14 Oct 10:00", "11:15", None),
        ("Fri 16 Oct 10:00", "11:15", "Introductory Webinar Part 2"),
    ]
    # 13:30 in October 2020 is British Summer Time: 12:30 UTC.
    assert webinars[0].starts_at.astimezone(datetime.UTC).hour == 12


def test_every_provider_has_a_past_and_a_current_cohort_with_a_timetable():
    today = datetime.date(2026, 11, 23)
    for slug in ("olp", "alliance", "one-cumbria", "llse", "ascl"):
        cohorts = Cohort.objects.filter(programme=programme(slug))
        past = [c for c in cohorts if c.end_date < today]
        current = [c for c in cohorts if c.start_date <= today <= c.end_date]
        assert past and current, slug
        for cohort in (past[0], current[0]):
            assert cohort.sessions.count() >= 5, (slug, cohort.code)


def test_current_cohorts_keep_the_weekdays_and_local_times_of_the_timetable_they_copy():
    ascl = programme("ascl")
    old = Session.objects.filter(cohort__programme=ascl, cohort__code="2020-october").order_by("starts_at")
    new = Session.objects.filter(cohort__programme=ascl, cohort__code="2026-october").order_by("starts_at")
    assert len(old) == len(new)
    for a, b in zip(old, new, strict=True):
        la, lb = timezone.localtime(a.starts_at), timezone.localtime(b.starts_at)
        assert (la.strftime("%a %H:%M"), a.title) == (lb.strftime("%a %H:%M"), b.title)
    repeats = [s for s in new if s.repeat_of_id]
    assert len(repeats) == 2 and all(r.repeat_of.cohort_id == r.cohort_id for r in repeats)


def test_loading_twice_changes_nothing():
    counts = (Component.objects.count(), Session.objects.count(), Cohort.objects.count())
    demo_load()
    assert (Component.objects.count(), Session.objects.count(), Cohort.objects.count()) == counts


# The demo programmes' pages (tests/programmes/test_design_pages.py reads pages the same way) ------------


def demo_page(client, slug: str) -> Page:
    programme = Programme.objects.get(provider__slug=slug, code="npqel")
    return Page(client.get(reverse("programme_detail", args=[programme.pk])))


def test_demo_programme_pages_show_the_hours_each_provider_publishes(client):
    client.force_login(person(Role.PLATFORM_STAFF))

    olp = demo_page(client, "olp")
    assert olp.row("Total") == ["Total", "132"]
    assert olp.row("Peer challenge groups (peer led)")[3] == "0"
    assert "Online course: Strategy and Improvement 4 modules" in olp.text
    assert "At least 100% of the components that count" in olp.text

    cumbria = demo_page(client, "one-cumbria")
    assert cumbria.row("Total")[1] == "80"
    assert cumbria.row("Synchronous (in person and online, live)")[1] == "43"
    assert cumbria.row("In person")[1] == "12"

    llse = demo_page(client, "llse")
    assert llse.row("Total")[1] == "70"
    assert "More than 90% of the components that count" in llse.text

    for slug, count in (("ascl", 7), ("alliance", 8)):
        page = demo_page(client, slug)
        hours = [cells[3] for cells in page.rows if len(cells) == 6 and cells[0] != "Component"]
        assert hours == ["Not published"] * count, slug
        assert f"No component has published hours: all {count} say “Not published”" in page.text
        assert not [cells for cells in page.rows if cells and cells[0] == "Total"]


def test_demo_rules_read_as_the_providers_publish_them(client):
    client.force_login(person(Role.PLATFORM_STAFF))

    ascl = demo_page(client, "ascl")
    assert "18 months; 24 months for participants starting on or after 1 July 2018" in ascl.text
    assert (
        "With executive coaching — £4,800 + VAT: £1,800 at the start, £2,000 after 5 months, £1,000 after 11 months"
        in ascl.text
    )
    assert (
        "Without coaching — £4,300 + VAT: £1,800 at the start, £2,000 after 5 months, £500 after 11 months"
        in (ascl.text)
    )
    assert "Deferral pauses the clock No" in ascl.text

    alliance = demo_page(client, "alliance")
    assert "UK placement: Included" in alliance.text
    assert "USA: £1,500 to £2,500 extra" in alliance.text
    assert "Middle East: £1,500 to £2,000 extra" in alliance.text

    olp = demo_page(client, "olp")
    assert "Deferral pauses the clock Yes" in olp.text
    assert "Self-funded place — £3,890, paid in full at the start" in olp.text


def test_an_admins_pages_of_a_full_demo_programme_have_labels_headers_and_unique_ids(client):
    olp = Programme.objects.get(provider__slug="olp", code="npqel")
    client.force_login(person(Role.PROVIDER_ADMIN, olp.provider))
    course = Component.objects.filter(programme=olp, kind="online_course").first()
    for url in (
        reverse("programme_detail", args=[olp.pk]),
        reverse("programme_rules", args=[olp.pk]),
        reverse("content_framework", args=[olp.pk]),
        reverse("component_detail", args=[course.pk]),
        reverse("component_edit", args=[course.pk]),
        reverse("programme_edit", args=[olp.pk]),
    ):
        assert_accessible(Page(client.get(url)))
