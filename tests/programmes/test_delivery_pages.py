"""Cohort, group, session, timetable and "my sessions" pages, as an admin and as a facilitator sees them."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from npqel.access import Role
from programmes.models import Cohort, Session
from programmes.timetable import local_datetime
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
T = datetime.time


@pytest.fixture
def cohort(provider):
    programme = ProgrammeFactory(provider=provider, duration_months=18)
    return CohortFactory(
        programme=programme, code="2020-october", start_date=D(2020, 10, 6), end_date=D(2022, 1, 31)
    )


@pytest.fixture
def admin_client(client, provider):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    return client


def webinar_on(cohort: Cohort, day: datetime.date, start: datetime.time, title: str, **extra) -> Session:
    return SessionFactory(
        cohort=cohort,
        component=extra.pop("component", None) or ComponentFactory(programme=cohort.programme),
        title=title,
        starts_at=local_datetime(day, start),
        ends_at=local_datetime(day, start) + datetime.timedelta(minutes=90),
        **extra,
    )


def test_an_admin_opens_a_cohort_by_copying_a_timetable(admin_client, cohort):
    webinar_on(cohort, D(2020, 10, 6), T(13, 30), "Introductory Webinar Part 1")
    response = admin_client.post(
        reverse("cohort_create", args=[cohort.programme_id]),
        {
            "code": "2026-october",
            "intake": "autumn",
            "start_date": "2026-10-06",
            "end_date": "",
            "copy_timetable_from": cohort.pk,
        },
    )
    new = Cohort.objects.get(code="2026-october")
    assert response.status_code == 302 and response.url == reverse("cohort_detail", args=[new.pk])
    page = admin_client.get(response.url).content.decode()
    assert "Cohort 2026-october opened. 1 session copied from 2020-october." in page
    assert new.end_date == D(2028, 4, 5)  # the programme's 18 months
    week = admin_client.get(reverse("cohort_timetable", args=[new.pk]) + "?week=2026-10-06").content.decode()
    assert "Tuesday 6 October 2026" in week and "13:30 to 15:00: Introductory Webinar Part 1" in week


def test_cohort_form_errors_say_what_to_fix(admin_client, cohort):
    response = admin_client.post(
        reverse("cohort_create", args=[cohort.programme_id]),
        {"code": "2020 october!", "intake": "autumn", "start_date": "2021-01-04", "end_date": "2020-12-01"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Use only letters, numbers and hyphens in the code" in page
    response = admin_client.post(
        reverse("cohort_create", args=[cohort.programme_id]),
        {"code": "2021-spring", "intake": "spring", "start_date": "2021-01-04", "end_date": "2020-12-01"},
    )
    assert "The end date must be after the start date (4 January 2021)." in response.content.decode()
    assert not Cohort.objects.filter(code="2021-spring").exists()


def test_an_admin_schedules_a_weekly_series_and_sees_it_week_by_week(admin_client, cohort):
    component = ComponentFactory(programme=cohort.programme, title="Online seminars")
    response = admin_client.post(
        reverse("session_create", args=[cohort.pk]),
        {
            "component": component.pk,
            "title": "Online seminar",
            "day": "2020-10-20",
            "start_time": "16:00",
            "end_time": "17:30",
            "occurrences": "3",
            "every_weeks": "1",
            "online_link": "meet.example.org/seminar",
        },
    )
    assert response.status_code == 302
    assert response.url.endswith("?week=2020-10-19")
    assert (
        "3 sessions scheduled, starting Tuesday 20 October 2020 at 16:00."
        in admin_client.get(response.url).content.decode()
    )
    assert cohort.sessions.count() == 3
    assert all(s.online_link == "https://meet.example.org/seminar" for s in cohort.sessions.all())
    # The third falls after the clocks go back, still at 16:00 UK time.
    page = admin_client.get(
        reverse("cohort_timetable", args=[cohort.pk]) + "?week=2020-11-03"
    ).content.decode()
    assert "Week of 2 November 2020" in page and "16:00 to 17:30: Online seminar" in page


def test_a_session_form_with_bad_times_keeps_what_was_typed(admin_client, cohort):
    component = ComponentFactory(programme=cohort.programme)
    response = admin_client.post(
        reverse("session_create", args=[cohort.pk]),
        {
            "component": component.pk,
            "title": "Residential Day 1",
            "day": "2019-01-10",
            "start_time": "09:00",
            "end_time": "17:00",
            "occurrences": "1",
            "every_weeks": "1",
        },
    )
    page = response.content.decode()
    assert "10 January 2019 is outside the cohort, which runs from 6 October 2020 to 31 January 2022." in page
    assert 'value="Residential Day 1"' in page
    response = admin_client.post(
        reverse("session_create", args=[cohort.pk]),
        {
            "component": component.pk,
            "day": "2020-11-10",
            "start_time": "17:00",
            "end_time": "09:00",
            "occurrences": "1",
            "every_weeks": "1",
        },
    )
    assert "The end time must be after the start time." in response.content.decode()
    assert not cohort.sessions.exists()


def test_a_repeat_is_shown_with_its_original(admin_client, cohort):
    component = ComponentFactory(programme=cohort.programme)
    original = webinar_on(cohort, D(2020, 10, 6), T(13, 30), "Part 1", component=component)
    admin_client.post(
        reverse("session_create", args=[cohort.pk]),
        {
            "component": component.pk,
            "title": "Part 1 (REPEAT)",
            "day": "2020-10-07",
            "start_time": "10:00",
            "end_time": "11:30",
            "occurrences": "1",
            "every_weeks": "1",
            "repeat_of": original.pk,
        },
    )
    page = admin_client.get(reverse("session_detail", args=[original.pk])).content.decode()
    assert (
        "Repeated on" in page
        and "Wednesday 7 October, 10:00" in page
        and "Attending either counts once." in page
    )


def test_an_admin_edits_and_cancels_a_session(admin_client, cohort):
    session = webinar_on(cohort, D(2020, 11, 3), T(16, 0), "Webinar")
    form = admin_client.get(reverse("session_edit", args=[session.pk])).content.decode()
    assert 'value="2020-11-03"' in form and 'value="16:00:00"' in form
    admin_client.post(
        reverse("session_edit", args=[session.pk]),
        {
            "component": session.component_id,
            "title": "Webinar (moved)",
            "day": "2020-11-04",
            "start_time": "10:00",
            "end_time": "11:00",
        },
    )
    session.refresh_from_db()
    assert (session.title, session.starts_at) == ("Webinar (moved)", local_datetime(D(2020, 11, 4), T(10, 0)))
    response = admin_client.post(reverse("session_cancel", args=[session.pk]))
    assert response.status_code == 302 and not Session.objects.filter(pk=session.pk).exists()


def test_an_admin_forms_a_group_with_facilitators(admin_client, cohort, provider):
    facilitator = person(Role.FACILITATOR, provider)
    response = admin_client.post(
        reverse("group_create", args=[cohort.pk]),
        {"name": "North", "region": "North of England", "facilitators": [facilitator.pk]},
    )
    assert response.status_code == 302
    page = admin_client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()
    assert (
        "Group North formed." in page and escape(facilitator.display_name) in page
    )  # a name may hold an apostrophe
    group = cohort.groups.get()
    admin_client.post(reverse("group_remove", args=[group.pk]))
    assert not cohort.groups.exists()


def test_a_facilitator_reads_the_timetable_but_cannot_change_it(client, cohort, provider):
    webinar_on(cohort, D(2020, 11, 3), T(16, 0), "Webinar")
    client.force_login(person(Role.FACILITATOR, provider))
    page = client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()
    assert "Webinar" not in page or "Schedule sessions" not in page
    assert "Schedule sessions" not in page and "Change the cohort" not in page
    assert client.get(reverse("session_create", args=[cohort.pk])).status_code == 403
    assert client.get(reverse("cohort_timetable", args=[cohort.pk]) + "?show=all").status_code == 200


def test_my_sessions_lists_what_a_facilitator_runs_and_nothing_else(client, cohort, provider):
    facilitator = person(Role.FACILITATOR, provider)
    group = DeliveryGroupFactory(cohort=cohort, name="North")
    group.facilitators.add(facilitator)
    webinar_on(cohort, D(2021, 3, 2), T(16, 0), "Mine as facilitator", facilitator=facilitator)
    webinar_on(cohort, D(2021, 3, 3), T(16, 0), "My group's", group=group)
    webinar_on(cohort, D(2021, 3, 4), T(16, 0), "Someone else's")
    webinar_on(cohort, D(2020, 10, 20), T(16, 0), "Already happened", facilitator=facilitator)
    client.force_login(facilitator)
    with time_machine.travel(datetime.datetime(2021, 1, 15, 12, tzinfo=datetime.UTC)):
        page = client.get(reverse("my_sessions")).content.decode()
    coming, _, recent = page.partition("Recent sessions")
    assert "Mine as facilitator" in coming and "My group&#x27;s" in coming
    assert "Already happened" in recent
    assert "Someone else" not in page


def test_the_timetable_opens_on_this_week_while_the_cohort_runs(admin_client, cohort):
    webinar_on(cohort, D(2021, 1, 12), T(16, 0), "This week's webinar")
    with time_machine.travel(datetime.datetime(2021, 1, 14, 12, tzinfo=datetime.UTC)):
        page = admin_client.get(reverse("cohort_timetable", args=[cohort.pk])).content.decode()
    assert "Week of 11 January 2021" in page and "This week&#x27;s webinar" in page


PAGES = [
    # (url name, object, pinned queries) for a facilitator: session, user, roles (1), then the page's own reads.
    ("cohort_detail", "cohort", 8),  # the session count comes with the cohort
    ("cohort_timetable", "cohort", 6),
    # The session page counts its register's marks for those who take it (one query), and asks whether the
    # facilitator runs it, to offer its feedback results (one query).
    ("session_detail", "session", 7),
    ("my_sessions", None, 5),
]


@pytest.mark.parametrize(("name", "obj", "queries"), PAGES, ids=[p[0] for p in PAGES])
def test_delivery_page_query_counts_are_pinned_and_flat(
    client, provider, cohort, django_assert_num_queries, name, obj, queries
):
    facilitator = person(Role.FACILITATOR, provider)
    group = DeliveryGroupFactory(cohort=cohort)
    group.facilitators.add(facilitator)
    first = webinar_on(cohort, D(2021, 1, 12), T(16, 0), "First", group=group, facilitator=facilitator)
    client.force_login(facilitator)
    args = {"cohort": [cohort.pk], "session": [first.pk], None: []}[obj]
    url = reverse(name, args=args) + ("?show=all" if name == "cohort_timetable" else "")

    def grow(n: int) -> None:
        for i in range(n):
            g = DeliveryGroupFactory(cohort=cohort)
            g.facilitators.add(facilitator)
            webinar_on(
                cohort,
                D(2021, 1, 13) + datetime.timedelta(days=i),
                T(16, 0),
                f"More {i}",
                group=g,
                facilitator=facilitator,
            )
            webinar_on(
                cohort, D(2021, 1, 13), T(10, 0), f"Repeat {i}", component=first.component, repeat_of=first
            )

    with time_machine.travel(datetime.datetime(2021, 1, 11, 12, tzinfo=datetime.UTC)):
        grow(1)
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
        grow(8)
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200


def test_out_of_range_numbers_and_dates_get_plain_messages_not_errors(admin_client, cohort):
    response = admin_client.post(
        reverse("cohort_create", args=[cohort.programme_id]),
        {"code": "big", "intake": "autumn", "start_date": "9999-10-01", "recruitment_target": "99999999999"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a date from 2000 to 2099. Check the year." in page
    assert "Enter the number of people you aim to recruit as 100,000 or fewer." in page
    component = ComponentFactory(programme=cohort.programme)
    response = admin_client.post(
        reverse("session_create", args=[cohort.pk]),
        {
            "component": component.pk,
            "day": "2020-11-10",
            "start_time": "10:00",
            "end_time": "11:00",
            "occurrences": "1",
            "every_weeks": "1",
            "capacity": "99999999999",
        },
    )
    assert "Enter the number of places as 100,000 or fewer." in response.content.decode()
    for week in ("9999-12-31", "0001-01-01", "not-a-date"):
        assert (
            admin_client.get(reverse("cohort_timetable", args=[cohort.pk]) + f"?week={week}").status_code
            == 200
        )


def test_errors_on_radios_link_to_the_first_radio_and_are_read_with_the_field(admin_client, cohort):
    page = admin_client.post(
        reverse("cohort_create", args=[cohort.programme_id]), {"code": "x", "start_date": "2021-01-04"}
    ).content.decode()
    assert '<a href="#id_intake_0">Choose the intake: autumn or spring.</a>' in page
    assert 'aria-describedby="id_intake-error"' in page
    assert 'id="id_intake-error"' in page
