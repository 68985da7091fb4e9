"""Private calendar feeds and per-session .ics files, read back as a calendar app would read them."""

import datetime
import zoneinfo

import icalendar
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from npqel.access import Role
from participants.models import Enrolment
from programmes import services
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _autumn_2022():
    """Today is 1 June 2021 here: the feed holds everything to come and the past year's sessions."""
    with time_machine.travel(datetime.datetime(2021, 6, 1, 12, tzinfo=datetime.UTC), tick=False):
        yield


LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = datetime.UTC


def feed_url(user) -> str:
    return reverse("calendar_feed", kwargs={"key": services.calendar_feed_get_or_create(user=user).key})


def events(response) -> dict[str, icalendar.Event]:
    """The events of an iCalendar response, by summary."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def event_count(response) -> int:
    assert response.status_code == 200, response.status_code
    return len(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


def titles(response) -> set[str]:
    return {summary.split(" – ")[0] for summary in events(response)}


def session_at(cohort, day: datetime.date, title: str, hour: int = 10, **fields):
    return SessionFactory(
        cohort=cohort,
        title=title,
        starts_at=local_datetime(day, datetime.time(hour, 0)),
        ends_at=local_datetime(day, datetime.time(hour + 1, 30)),
        **fields,
    )


@pytest.fixture
def cohort(provider):
    return CohortFactory(
        programme=ProgrammeFactory(provider=provider, name="NPQEL Autumn"), code="2022-autumn"
    )


@pytest.fixture
def other_cohort(other_provider):
    return CohortFactory(programme=ProgrammeFactory(provider=other_provider), code="llse-2022")


def test_sessions_keep_their_uk_wall_clock_time_in_summer_time_and_in_winter(client, provider, cohort):
    session_at(cohort, datetime.date(2022, 10, 10), "October seminar")  # BST: 10:00 London is 09:00 UTC
    session_at(cohort, datetime.date(2022, 12, 12), "December seminar")  # GMT: 10:00 London is 10:00 UTC
    admin = person(Role.PROVIDER_ADMIN, provider)

    found = events(client.get(feed_url(admin)))

    october = found["October seminar – NPQEL Autumn, 2022-autumn"]
    assert october.decoded("DTSTART") == datetime.datetime(2022, 10, 10, 9, 0, tzinfo=UTC)
    assert october.decoded("DTEND") == datetime.datetime(2022, 10, 10, 10, 30, tzinfo=UTC)
    december = found["December seminar – NPQEL Autumn, 2022-autumn"]
    assert december.decoded("DTSTART") == datetime.datetime(2022, 12, 12, 10, 0, tzinfo=UTC)
    # What a calendar app set to UK time shows: 10:00 both times.
    for event in (october, december):
        assert event.decoded("DTSTART").astimezone(LONDON).time() == datetime.time(10, 0)
        assert event.decoded("DTEND").astimezone(LONDON).time() == datetime.time(11, 30)


def test_a_facilitators_feed_has_their_own_sessions_and_no_one_elses(client, provider, cohort, other_cohort):
    facilitator = person(Role.FACILITATOR, provider)
    group = DeliveryGroupFactory(cohort=cohort, name="North West")
    group.facilitators.add(facilitator)
    session_at(cohort, datetime.date(2022, 10, 11), "Led by them", facilitator=facilitator)
    session_at(cohort, datetime.date(2022, 10, 12), "Their group's session", group=group)
    session_at(
        cohort,
        datetime.date(2022, 10, 13),
        "A colleague's session",
        facilitator=person(Role.FACILITATOR, provider),
    )
    session_at(other_cohort, datetime.date(2022, 10, 14), "Another provider's session")

    assert titles(client.get(feed_url(facilitator))) == {"Led by them", "Their group's session"}


def test_a_facilitator_who_leaves_the_provider_loses_its_sessions_from_their_feed(client, provider, cohort):
    facilitator = person(Role.FACILITATOR, provider)
    session_at(cohort, datetime.date(2022, 10, 11), "Led by them", facilitator=facilitator)
    url = feed_url(facilitator)
    assert titles(client.get(url)) == {"Led by them"}
    facilitator.memberships.all().delete()
    assert titles(client.get(url)) == set()


def test_an_admins_feed_has_every_session_of_their_provider_only(client, provider, cohort, other_cohort):
    admin = person(Role.PROVIDER_ADMIN, provider)
    second_cohort = CohortFactory(programme=cohort.programme, code="2023-spring")
    session_at(cohort, datetime.date(2022, 10, 11), "Launch day")
    session_at(second_cohort, datetime.date(2023, 3, 14), "Spring launch")
    session_at(other_cohort, datetime.date(2022, 10, 11), "Another provider's launch")

    assert titles(client.get(feed_url(admin))) == {"Launch day", "Spring launch"}


def test_a_participants_feed_has_their_cohorts_sessions_without_links_to_staff_pages(
    client, provider, cohort, other_cohort
):
    participant = EnrolmentFactory(cohort=cohort).participant.user
    left = CohortFactory(programme=cohort.programme, code="2021-autumn")
    EnrolmentFactory(cohort=left, participant=participant.participant, status=Enrolment.Status.WITHDRAWN)
    applied = CohortFactory(programme=cohort.programme, code="2023-spring")
    EnrolmentFactory(cohort=applied, participant=participant.participant, status=Enrolment.Status.APPLIED)
    session_at(applied, datetime.date(2022, 10, 13), "Cohort they only applied to")
    session_at(cohort, datetime.date(2022, 10, 11), "Residential day 1")
    session_at(cohort, datetime.date(2022, 10, 12), "Residential day 2")
    session_at(left, datetime.date(2021, 10, 12), "Cohort they withdrew from")
    session_at(CohortFactory(programme=cohort.programme), datetime.date(2022, 10, 11), "Another cohort's day")
    session_at(other_cohort, datetime.date(2022, 10, 11), "Another provider's day")

    found = events(client.get(feed_url(participant)))

    assert {summary.split(" – ")[0] for summary in found} == {"Residential day 1", "Residential day 2"}
    # Participants cannot open the session page, so the event does not link to it.
    assert all("URL" not in event for event in found.values())


def test_each_event_says_what_where_who_and_links_to_the_session(client, provider, cohort):
    admin = person(Role.PROVIDER_ADMIN, provider)
    facilitator = person(Role.FACILITATOR, provider)
    facilitator.full_name = "Priya Shah"
    facilitator.save()
    component = ComponentFactory(programme=cohort.programme, title="Executive-led webinars")
    group = DeliveryGroupFactory(cohort=cohort, name="Cumbria")
    first = session_at(
        cohort,
        datetime.date(2020, 10, 6),
        "Introductory webinar part 1",
        hour=13,
        component=component,
        group=group,
        facilitator=facilitator,
        venue="",
        online_link="https://meet.example.org/intro",
    )
    repeat = session_at(
        cohort,
        datetime.date(2020, 10, 7),
        "Introductory webinar part 1 (repeat)",
        component=component,
        repeat_of=first,
        venue="Rheged Centre, Penrith",
        online_link="https://meet.example.org/intro-repeat",
    )

    response = client.get(feed_url(admin))
    calendar = icalendar.Calendar.from_ical(response.content)
    found = events(response)
    original = found["Introductory webinar part 1 – NPQEL Autumn, 2022-autumn"]
    again = found["Introductory webinar part 1 (repeat) – NPQEL Autumn, 2022-autumn"]

    assert str(calendar["X-WR-CALNAME"]) == "NPQEL sessions"
    assert str(calendar["VERSION"]) == "2.0"
    assert "PRODID" in calendar
    assert str(original["UID"]) == f"session-{first.pk}@npqel"
    assert str(original["LOCATION"]) == "https://meet.example.org/intro"
    assert str(original["URL"]) == f"http://testserver/sessions/{first.pk}/"
    description = str(original["DESCRIPTION"])
    assert "Executive-led webinars" in description
    assert "Group: Cumbria" in description
    assert "Facilitator: Priya Shah" in description
    assert "DTSTAMP" in original
    assert str(again["UID"]) == f"session-{repeat.pk}@npqel"
    assert str(again["LOCATION"]) == "Rheged Centre, Penrith"
    assert "Repeat of “Introductory webinar part 1” on Tue 6 Oct 2020 13:00" in str(again["DESCRIPTION"])
    assert "Join online: https://meet.example.org/intro-repeat" in str(again["DESCRIPTION"])
    # The same session keeps its UID on the next fetch, so calendar apps update it rather than duplicate it.
    assert str(events(client.get(feed_url(admin)))[str(original["SUMMARY"])]["UID"]) == str(original["UID"])


def test_the_feed_works_without_signing_in_but_the_calendar_page_needs_it(client, provider, cohort):
    admin = person(Role.PROVIDER_ADMIN, provider)
    session_at(cohort, datetime.date(2022, 10, 11), "Launch day")
    url = feed_url(admin)

    response = client.get(url)

    assert titles(response) == {"Launch day"}
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    page = client.get(reverse("calendar"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("account_login"))
    refused = client.post(reverse("calendar_reset"))
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("account_login"))
    assert client.get(url).status_code == 200  # the anonymous reset changed nothing


def test_the_feed_holds_the_past_year_and_everything_to_come(client, provider, cohort):
    admin = person(Role.PROVIDER_ADMIN, provider)
    session_at(cohort, datetime.date(2020, 5, 26), "Over a year ago")
    session_at(cohort, datetime.date(2020, 6, 9), "Within the year")
    session_at(cohort, datetime.date(2023, 6, 9), "Two years ahead")
    assert titles(client.get(feed_url(admin))) == {"Within the year", "Two years ahead"}


def test_an_unknown_address_or_a_deactivated_persons_address_is_not_found(client, provider):
    admin = person(Role.PROVIDER_ADMIN, provider)
    url = feed_url(admin)
    assert client.get(reverse("calendar_feed", kwargs={"key": "not-a-real-key"})).status_code == 404

    admin.is_active = False
    admin.save()

    assert client.get(url).status_code == 404


def test_the_calendar_page_shows_the_full_address_what_it_holds_and_when_it_was_last_used(
    client, provider, cohort
):
    facilitator = person(Role.FACILITATOR, provider)
    session_at(cohort, datetime.date(2021, 3, 9), "Past seminar", facilitator=facilitator)
    soon = local_datetime(timezone.localdate() + datetime.timedelta(days=3), datetime.time(9, 30))
    SessionFactory(
        cohort=cohort,
        title="Next residential",
        starts_at=soon,
        ends_at=soon + datetime.timedelta(hours=7),
        facilitator=facilitator,
    )
    client.force_login(facilitator)

    page = client.get(reverse("calendar")).content.decode()

    key = services.calendar_feed_get_or_create(user=facilitator).key
    assert f'value="http://testserver/calendar/{key}.ics"' in page
    assert f'href="webcal://testserver/calendar/{key}.ics"' in page
    assert "Your calendar has 2 sessions" in page
    assert "whose group you facilitate" in page
    assert "every session at the providers you manage" not in page  # they manage none
    assert "Next residential" in page and "09:30" in page
    assert "Past seminar" not in page  # only sessions still to come are listed
    assert "No calendar app has used this address yet" in page

    client.logout()
    client.get(f"/calendar/{key}.ics")
    client.force_login(facilitator)

    assert (
        "A calendar app last collected your sessions from this address on"
        in client.get(reverse("calendar")).content.decode()
    )


def test_getting_a_new_address_stops_the_old_one_at_once(client, provider, cohort):
    admin = person(Role.PROVIDER_ADMIN, provider)
    session_at(cohort, datetime.date(2022, 10, 11), "Launch day")
    client.force_login(admin)
    client.get(reverse("calendar"))
    old = feed_url(admin)
    assert client.get(old).status_code == 200

    response = client.post(reverse("calendar_reset"), follow=True)

    assert "You have a new calendar address and the old one no longer works" in response.content.decode()
    new = feed_url(admin)
    assert new != old
    assert new in response.content.decode()
    client.logout()
    assert client.get(old).status_code == 404
    assert titles(client.get(new)) == {"Launch day"}
    # Resetting only takes a POST.
    client.force_login(admin)
    assert client.get(reverse("calendar_reset")).status_code == 405


def test_a_session_downloads_as_an_ics_file_but_not_another_providers(client, provider, cohort, other_cohort):
    facilitator = person(Role.FACILITATOR, provider)
    mine = session_at(cohort, datetime.date(2022, 12, 12), "Day 3: Strategy & Improvement")
    theirs = session_at(other_cohort, datetime.date(2022, 12, 12), "Another provider's day")
    client.force_login(facilitator)

    response = client.get(reverse("session_ics", kwargs={"pk": mine.pk}))

    assert (
        response["Content-Disposition"] == 'attachment; filename="day-3-strategy-improvement-2022-12-12.ics"'
    )
    found = events(response)
    assert list(found) == ["Day 3: Strategy & Improvement – NPQEL Autumn, 2022-autumn"]
    assert next(iter(found.values())).decoded("DTSTART") == datetime.datetime(2022, 12, 12, 10, 0, tzinfo=UTC)
    # A single file carries no calendar name, so Outlook adds the event instead of opening a new calendar.
    assert "X-WR-CALNAME" not in icalendar.Calendar.from_ical(response.content)
    assert client.get(reverse("session_ics", kwargs={"pk": theirs.pk})).status_code == 404
    client.logout()
    assert client.get(reverse("session_ics", kwargs={"pk": mine.pk})).status_code == 302


def grow(cohort, facilitator, n: int) -> None:
    for i in range(n):
        group = DeliveryGroupFactory(cohort=cohort)
        group.facilitators.add(facilitator)
        first = session_at(
            cohort, datetime.date(2022, 11, 1) + datetime.timedelta(days=i), f"Seminar {i}", group=group
        )
        session_at(
            cohort,
            datetime.date(2022, 11, 1) + datetime.timedelta(days=i),
            f"Seminar {i} repeat",
            hour=14,
            repeat_of=first,
            facilitator=facilitator,
        )


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.FACILITATOR, Role.PARTICIPANT])
def test_feed_query_count_is_pinned_and_does_not_grow_with_sessions(
    client, django_assert_num_queries, provider, cohort, role
):
    user = (
        EnrolmentFactory(cohort=cohort).participant.user
        if role == Role.PARTICIPANT
        else person(role, provider)
    )
    url = feed_url(user)
    grow(cohort, user, 2)
    # Feed by key, record its use, the owner's roles (1), the sessions with everything an event shows, and
    # the originals of the repeats among them.
    with django_assert_num_queries(5):
        assert event_count(client.get(url)) == 4
    grow(cohort, user, 6)
    with django_assert_num_queries(5):
        assert event_count(client.get(url)) == 16


def test_calendar_page_query_count_does_not_grow_with_sessions(
    client, django_assert_num_queries, provider, cohort
):
    facilitator = person(Role.FACILITATOR, provider)
    services.calendar_feed_get_or_create(user=facilitator)
    client.force_login(facilitator)
    for more in (2, 6):
        grow(cohort, facilitator, more)
        # Session, user, roles (1); the feed (in a savepoint: 3); the session count, the next sessions and
        # the originals of the repeats among them.
        with django_assert_num_queries(9):
            assert client.get(reverse("calendar")).status_code == 200


def test_a_participant_downloads_their_own_sessions_but_no_other_groups_or_places(
    client, provider, cohort, other_cohort
):
    from participants.models import Enrolment
    from tests.participants.factories import EnrolmentFactory

    north = DeliveryGroupFactory(cohort=cohort, name="North")
    south = DeliveryGroupFactory(cohort=cohort, name="South")
    place = EnrolmentFactory(cohort=cohort, group=north)
    everyone = session_at(cohort, datetime.date(2022, 12, 12), "Day 3: Strategy & Improvement")
    ours = session_at(cohort, datetime.date(2022, 12, 13), "North webinar", group=north)
    theirs = session_at(cohort, datetime.date(2022, 12, 14), "South webinar", group=south)
    elsewhere = session_at(other_cohort, datetime.date(2022, 12, 12), "Another provider's day")
    client.force_login(place.participant.user)

    for mine in (everyone, ours):
        response = client.get(reverse("session_ics", kwargs={"pk": mine.pk}))
        assert response.status_code == 200
        # A participant cannot open the session's page, so the event does not link to it.
        assert "URL" not in next(iter(events(response).values()))
    for not_mine in (theirs, elsewhere):
        assert client.get(reverse("session_ics", kwargs={"pk": not_mine.pk})).status_code == 404

    # An applicant, or someone whose place has ended, gets no timetable.
    Enrolment.objects.filter(pk=place.pk).update(status=Enrolment.Status.WITHDRAWN)
    assert client.get(reverse("session_ics", kwargs={"pk": everyone.pk})).status_code == 404
