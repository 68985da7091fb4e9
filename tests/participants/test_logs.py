"""Self-directed learning and coaching (issue 5): a participant logs their own self-directed hours (a day from
the cohort's start to today, 0.5 to 24 hours to one decimal); a coach, or a provider admin, logs a
participant's coaching sessions (date, length, focus), which the participant sees. Each change queues the
cohort's engagement for recomputing. The same number of queries for 10 rows as for 100."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from npqel.access import Role
from npqel.errors import DomainError
from participants.models import CoachingSession, Engagement, EngagementQueue, Enrolment, LearningLog
from participants.services import logs
from programmes.models import Component, StaffMembership
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ComponentFactory, ProgrammeFactory, ProviderFactory
from tests.programmes.test_design_pages import Page, assert_accessible

pytestmark = pytest.mark.django_db

D = datetime.date
S = Enrolment.Status
K = Component.Kind
TODAY = D(2023, 6, 6)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(local_datetime(TODAY, datetime.time(10, 0)), tick=False):
        yield TODAY


@pytest.fixture
def programme(provider):
    return ProgrammeFactory(provider=provider, name="NPQEL Spring")


@pytest.fixture
def reading(programme):
    return ComponentFactory(
        programme=programme,
        kind=K.SELF_DIRECTED,
        mode=Component.Mode.SELF_DIRECTED,
        title="Reading and reflection",
        guided_learning_hours=Decimal("20"),
    )


@pytest.fixture
def coaching(programme):
    return ComponentFactory(
        programme=programme,
        kind=K.COACHING,
        mode=Component.Mode.ONLINE_LIVE,
        title="One-to-one coaching",
        guided_learning_hours=Decimal("6"),
    )


@pytest.fixture
def cohort(programme):
    return CohortFactory(
        programme=programme, code="2023-spring", start_date=D(2023, 1, 9), end_date=D(2024, 7, 31)
    )


def named(role, provider, name):
    user = person(role, provider)
    user.full_name = name
    user.save()
    return user


@pytest.fixture
def coach(provider):
    return named(Role.COACH, provider, "Cal Coach")


@pytest.fixture
def other_coach(provider):
    return named(Role.COACH, provider, "Cleo Coach")


@pytest.fixture
def admin(provider):
    return named(Role.PROVIDER_ADMIN, provider, "Al Admin")


@pytest.fixture
def amara(cohort, coach):
    return EnrolmentFactory(
        cohort=cohort,
        coach=coach,
        participant__user__full_name="Amara Okafor",
        participant__user__email="amara@oakfield.example",
    )


@pytest.fixture
def me(amara):
    return amara.participant.user


def add(enrolment, *, component, on=None, hours="1.5", activity="Read the case study", by=None):
    return logs.learning_log_add(
        by=by or enrolment.participant.user,
        enrolment=enrolment,
        component=component,
        done_on=on or D(2023, 6, 1),
        hours=hours,
        activity=activity,
    )


def refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# Self-directed learning: the service ------------------------------------------------------------------


def test_a_participant_logs_their_learning_and_engagement_is_recomputed(
    amara, reading, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        log = add(amara, component=reading, hours="2.5", activity="  Read the trust growth case study  ")
    log.refresh_from_db()
    assert (log.done_on, log.hours, log.activity, log.component) == (
        D(2023, 6, 1),
        Decimal("2.5"),
        "Read the trust growth case study",
        reading,
    )
    assert Engagement.objects.get(pk=amara.pk).credited_hours == Decimal("2.5")


def test_each_log_queues_its_cohorts_engagement(amara, reading):
    add(amara, component=reading)
    assert EngagementQueue.objects.filter(cohort=amara.cohort).exists()


def test_only_the_participant_logs_their_own_learning(amara, reading, admin, cohort):
    someone_else = EnrolmentFactory(cohort=cohort).participant.user
    for by in (admin, someone_else):
        with pytest.raises(PermissionDenied):
            add(amara, component=reading, by=by)
    assert not LearningLog.objects.exists()


def test_the_component_must_be_self_directed_learning_of_their_programme(amara, reading, coaching):
    other_programmes = ComponentFactory(kind=K.SELF_DIRECTED, mode=Component.Mode.SELF_DIRECTED)
    for component in (coaching, other_programmes):
        error = refusal(lambda c=component: add(amara, component=c))
        assert error.field == "component"
        assert error.message == "Choose one of your programme's self-directed learning components."


def test_no_future_days_and_none_before_the_cohort_started(amara, reading):
    error = refusal(lambda: add(amara, component=reading, on=D(2023, 6, 7)))
    assert (error.field, error.message) == (
        "done_on",
        "Enter today's date or an earlier one: log learning once it has happened.",
    )
    error = refusal(lambda: add(amara, component=reading, on=D(2023, 1, 8)))
    assert error.message == "Enter a date on or after 9 January 2023, when cohort 2023-spring started."
    # The first and the last days allowed.
    add(amara, component=reading, on=D(2023, 1, 9))
    add(amara, component=reading, on=TODAY)
    assert LearningLog.objects.count() == 2


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0.4", "Enter at least 0.5 hours (half an hour)."),
        ("0", "Enter at least 0.5 hours (half an hour)."),
        ("-2", "Enter at least 0.5 hours (half an hour)."),
        ("24.1", "Enter 24 hours or fewer: log each day's learning separately."),
        ("1.25", "Enter the hours to one decimal place at most, for example 1.5 or 0.7."),
        ("an hour", "Enter the hours as a number, for example 1.5."),
        ("NaN", "Enter the hours as a number, for example 1.5."),
        ("", "Enter the hours as a number, for example 1.5."),
    ],
)
def test_hours_are_half_an_hour_to_a_day_to_one_decimal(amara, reading, hours, message):
    error = refusal(lambda: add(amara, component=reading, hours=hours))
    assert (error.field, error.message) == ("hours", message)


@pytest.mark.parametrize("hours", ["0.5", "24", "7.3", Decimal("1.0"), 3])
def test_hours_at_the_limits_and_in_tenths_are_logged(amara, reading, hours):
    assert add(amara, component=reading, hours=hours).hours == Decimal(str(hours))


def test_a_day_holds_no_more_than_24_hours_in_all(amara, reading):
    add(amara, component=reading, hours="20")
    error = refusal(lambda: add(amara, component=reading, hours="4.5"))
    assert error.message == (
        "You have already logged 20 hours on 1 June 2023, and a day has 24: enter 4 hours or fewer, or choose "
        "another day."
    )
    add(amara, component=reading, hours="4")


def test_an_activity_is_needed_and_kept_short(amara, reading):
    assert refusal(lambda: add(amara, component=reading, activity="   ")).field == "activity"
    error = refusal(lambda: add(amara, component=reading, activity="x" * 301))
    assert error.message == "Describe what you did in 300 characters or fewer (you wrote 301)."


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (S.APPLIED, "Your place has not been confirmed yet, so no learning can be logged until it is."),
        (S.WITHDRAWN, "Your place has ended (withdrawn), so no more learning can be logged."),
        (S.COMPLETED, "Your place has ended (completed (passed)), so no more learning can be logged."),
    ],
)
def test_only_a_place_under_way_logs_learning(amara, reading, status, message):
    Enrolment.objects.filter(pk=amara.pk).update(status=status)
    assert refusal(lambda: add(amara, component=reading)).message == message


def test_a_deferred_participant_may_still_log_what_they_did(amara, reading):
    Enrolment.objects.filter(pk=amara.pk).update(status=S.DEFERRED)
    assert add(amara, component=reading).pk


def test_a_participant_removes_only_their_own_logs(amara, reading, cohort):
    log = add(amara, component=reading)
    EngagementQueue.objects.all().delete()
    someone_else = EnrolmentFactory(cohort=cohort).participant.user
    with pytest.raises(PermissionDenied):
        logs.learning_log_remove(by=someone_else, log=log)
    logs.learning_log_remove(by=amara.participant.user, log=log)
    assert not LearningLog.objects.exists()
    assert EngagementQueue.objects.filter(cohort=cohort).exists()


# Coaching: the service -----------------------------------------------------------------------------------


def log_coaching(enrolment, by, **fields):
    values = {"held_on": D(2023, 5, 30), "minutes": 60, "focus": "Leading change in the trust", **fields}
    return logs.coaching_session_log(by=by, enrolment=enrolment, **values)


def test_the_coach_logs_a_session_against_the_programmes_coaching_component(amara, coach, coaching):
    session = log_coaching(amara, coach, focus="  Leading change  ")
    assert (session.component, session.coach, session.logged_by, session.minutes, session.focus) == (
        coaching,
        coach,
        coach,
        60,
        "Leading change",
    )
    assert EngagementQueue.objects.filter(cohort=amara.cohort).exists()


def test_an_admin_logs_for_any_place_and_the_places_coach_is_recorded(amara, admin, coach, coaching):
    session = log_coaching(amara, admin)
    assert (session.coach, session.logged_by) == (coach, admin)


def test_only_the_places_coach_or_an_admin_logs_its_coaching(amara, other_coach, coaching, provider):
    facilitator = person(Role.FACILITATOR, provider)
    elsewhere = person(Role.PROVIDER_ADMIN, ProviderFactory())
    for by in (other_coach, facilitator, elsewhere, amara.participant.user):
        with pytest.raises(PermissionDenied):
            log_coaching(amara, by)
    assert not CoachingSession.objects.exists()


def test_a_coach_who_has_left_the_provider_can_no_longer_log(amara, coach, coaching):
    StaffMembership.objects.filter(user=coach).delete()
    with pytest.raises(PermissionDenied):
        log_coaching(amara, coach)


def test_the_coaching_component_must_be_chosen_when_there_are_several(amara, coach, coaching, programme):
    group_coaching = ComponentFactory(programme=programme, kind=K.COACHING, title="Coaching, second year")
    error = refusal(lambda: log_coaching(amara, coach))
    assert (error.field, error.message) == (
        "component",
        "Choose which of the programme's coaching components this session was for.",
    )
    assert log_coaching(amara, coach, component=group_coaching).component == group_coaching
    webinar = ComponentFactory(programme=programme)
    assert refusal(lambda: log_coaching(amara, coach, component=webinar)).field == "component"


def test_a_programme_without_coaching_says_how_to_put_it_right(amara, coach):
    error = refusal(lambda: log_coaching(amara, coach))
    assert error.message == (
        "The programme has no individual coaching component to log coaching against. Ask a provider admin to "
        "add one (of kind “Individual coaching or mentoring”) to the programme."
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"minutes": 0}, "minutes", "Enter how long the session lasted as 1 to 480 minutes (8 hours)."),
        ({"minutes": 481}, "minutes", "Enter how long the session lasted as 1 to 480 minutes (8 hours)."),
        (
            {"minutes": True},
            "minutes",
            "Enter how long the session lasted, in whole minutes, for example 60.",
        ),
        (
            {"held_on": D(2023, 6, 7)},
            "held_on",
            "Enter today's date or an earlier one: log a session once it has happened.",
        ),
        (
            {"held_on": D(2022, 12, 1)},
            "held_on",
            "Enter a date on or after 9 January 2023, when cohort 2023-spring started.",
        ),
        (
            {"focus": " "},
            "focus",
            "Enter what the session focused on, for example “Leading change in the trust”.",
        ),
    ],
)
def test_coaching_sessions_say_what_to_fix(amara, coach, coaching, fields, field, message):
    error = refusal(lambda: log_coaching(amara, coach, **fields))
    assert (error.field, error.message) == (field, message)


def test_coaching_is_not_logged_for_an_ended_place(amara, coach, coaching):
    Enrolment.objects.filter(pk=amara.pk).update(status=S.WITHDRAWN)
    assert refusal(lambda: log_coaching(amara, coach)).message == (
        "Amara Okafor's place has ended (withdrawn), so no more coaching can be logged."
    )


def test_who_may_remove_a_coaching_session(amara, coach, other_coach, admin, coaching):
    by_coach = log_coaching(amara, coach)
    by_admin = log_coaching(amara, admin)
    with pytest.raises(PermissionDenied):
        logs.coaching_session_remove(by=other_coach, session=by_coach)
    # The place's coach changes: the new coach may not remove what the old one held.
    Enrolment.objects.filter(pk=amara.pk).update(coach=other_coach)
    amara.refresh_from_db()
    error = refusal(lambda: logs.coaching_session_remove(by=other_coach, session=by_coach))
    assert error.message == "Another coach held this session, so only they or a provider admin can remove it."
    logs.coaching_session_remove(by=admin, session=by_coach)
    assert list(CoachingSession.objects.all()) == [by_admin]


# Pages: the participant's self-directed learning ---------------------------------------------------------


def test_the_learning_page_shows_hours_against_the_plan_and_adds_a_log(client, amara, me, reading):
    add(amara, component=reading, hours="3", on=D(2023, 5, 2), activity="Visited a partner school")
    client.force_login(me)
    url = reverse("my_learning", args=[amara.pk])
    page = Page(client.get(url))
    assert_accessible(page)
    assert page.row("Reading and reflection") == ["Reading and reflection", "20", "3", "17"]
    assert page.row("2 May 2023")[:3] == ["2 May 2023", "Visited a partner school", "3"]
    # With one self-directed component, nobody is asked which.
    assert not page.all("select")

    response = client.post(
        url, {"done_on": "2023-06-05", "hours": "1.5", "activity": "Read the toolkit", "component": ""}
    )
    assert response.status_code == 302
    page = Page(client.get(response.url))
    assert "Logged 1.5 hours on 5 June 2023." in page.text
    assert page.row("Reading and reflection") == ["Reading and reflection", "20", "4.5", "15.5"]


def test_the_learning_page_shows_what_to_fix_next_to_the_field(client, amara, me, reading):
    client.force_login(me)
    response = client.post(
        reverse("my_learning", args=[amara.pk]),
        {"done_on": "2023-06-05", "hours": "1.25", "activity": "Read"},
    )
    page = Page(response)
    assert page.all("title")[0][1].startswith("Error:")
    assert "Enter the hours to one decimal place at most, for example 1.5 or 0.7." in page.text_of(
        "id_hours-error"
    )
    assert page.value_of("id_activity") == "Read"
    assert not LearningLog.objects.exists()


def test_with_several_self_directed_components_the_participant_chooses(client, amara, me, reading, programme):
    visits = ComponentFactory(
        programme=programme, kind=K.SELF_DIRECTED, mode=Component.Mode.SELF_DIRECTED, title="School visits"
    )
    client.force_login(me)
    url = reverse("my_learning", args=[amara.pk])
    page = Page(client.get(url))
    assert [text for _, text in page.all("option")] == ["Reading and reflection", "School visits"]
    client.post(
        url, {"component": str(visits.pk), "done_on": "2023-06-05", "hours": "2", "activity": "Visit"}
    )
    assert LearningLog.objects.get().component == visits


def test_a_participant_removes_a_log_from_the_page(client, amara, me, reading):
    log = add(amara, component=reading)
    client.force_login(me)
    response = client.post(reverse("learning_log_remove", args=[log.pk]))
    assert response.url == reverse("my_learning", args=[amara.pk])
    assert "Removed the 1.5 hours logged on 1 June 2023." in Page(client.get(response.url)).text
    assert not LearningLog.objects.exists()


def test_nobody_else_opens_a_participants_learning_or_coaching(client, amara, reading, admin, coach, cohort):
    log = add(amara, component=reading)
    someone_else = EnrolmentFactory(cohort=cohort).participant.user
    for user in (admin, coach, someone_else):
        client.force_login(user)
        for name in ("my_learning", "my_coaching"):
            assert client.get(reverse(name, args=[amara.pk])).status_code == 404, (user, name)
        assert client.post(reverse("learning_log_remove", args=[log.pk])).status_code == 404
    assert LearningLog.objects.exists()


def test_an_ended_place_shows_its_learning_without_the_form(client, amara, me, reading):
    add(amara, component=reading)
    Enrolment.objects.filter(pk=amara.pk).update(status=S.COMPLETED)
    client.force_login(me)
    page = Page(client.get(reverse("my_learning", args=[amara.pk])))
    assert "Your place has ended (completed (passed)), so no more learning can be logged." in page.text
    assert not page.all("input", name="hours")
    assert page.form_actions() == {reverse("account_logout")}


def test_the_participant_sees_the_coaching_logged_for_them_read_only(
    client, amara, me, coach, admin, coaching
):
    log_coaching(amara, coach, held_on=D(2023, 4, 4), minutes=90, focus="Building the senior team")
    log_coaching(amara, admin, held_on=D(2023, 5, 9), minutes=45, focus="Trust finances")
    client.force_login(me)
    page = Page(client.get(reverse("my_coaching", args=[amara.pk])))
    assert_accessible(page)
    assert page.row("9 May 2023") == ["9 May 2023", "Trust finances", "45 minutes", "Cal Coach"]
    assert page.row("4 April 2023") == ["4 April 2023", "Building the senior team", "90 minutes", "Cal Coach"]
    assert "Logged so far: 2 hours 15 minutes in 2 sessions." in page.text
    assert "One-to-one coaching (6 hours)" in page.text
    assert page.form_actions() == {reverse("account_logout")}


@pytest.mark.parametrize("n", [10, 100])
def test_the_learning_page_query_count_is_pinned(client, amara, me, reading, django_assert_num_queries, n):
    LearningLog.objects.bulk_create(
        LearningLog(
            enrolment=amara,
            component=reading,
            done_on=D(2023, 2, 1),
            hours=Decimal("0.5"),
            activity=f"Log {i}",
        )
        for i in range(n)
    )
    client.force_login(me)
    # Session, user, roles (1); the place; its self-directed components; its logs.
    with django_assert_num_queries(6):
        page = Page(client.get(reverse("my_learning", args=[amara.pk])))
    assert page.text.count("Log ") >= n


@pytest.mark.parametrize("n", [10, 100])
def test_the_coaching_page_query_count_is_pinned(
    client, amara, me, coach, coaching, django_assert_num_queries, n
):
    CoachingSession.objects.bulk_create(
        CoachingSession(
            enrolment=amara,
            component=coaching,
            coach=coach,
            held_on=D(2023, 2, 1),
            minutes=30,
            focus=f"Focus {i}",
        )
        for i in range(n)
    )
    client.force_login(me)
    # Session, user, roles (1); the place; its coaching; the programme's coaching components.
    with django_assert_num_queries(6):
        page = Page(client.get(reverse("my_coaching", args=[amara.pk])))
    assert len([row for row in page.rows if row[1].startswith("Focus ")]) == n


# Pages: coaches and admins ----------------------------------------------------------------------------


def test_a_coach_sees_their_coachees_across_providers(client, amara, coach, coaching, other_coach, cohort):
    log_coaching(amara, coach, held_on=D(2023, 5, 30))
    elsewhere = ProviderFactory(name="Northern Leaders")
    StaffMembership.objects.create(user=coach, provider=elsewhere, role=StaffMembership.Role.COACH)
    theirs = EnrolmentFactory(
        cohort=CohortFactory(
            programme=ProgrammeFactory(provider=elsewhere, name="NPQEL North"), code="north-1"
        ),
        coach=coach,
        participant__user__full_name="Bola Adeyemi",
    )
    # Someone else's coachee, and a place at a provider the coach no longer works for.
    EnrolmentFactory(cohort=cohort, coach=other_coach, participant__user__full_name="Cy Other")
    gone = ProviderFactory(name="Gone Trust")
    EnrolmentFactory(
        cohort=CohortFactory(programme=ProgrammeFactory(provider=gone)),
        coach=coach,
        participant__user__full_name="Dee Former",
    )
    client.force_login(coach)
    page = Page(client.get(reverse("coachees")))
    assert_accessible(page)
    assert [row[0] for row in page.rows[1:]] == ["Amara Okafor", "Bola Adeyemi"]
    assert page.row("Amara Okafor")[1:] == [
        "NPQEL Spring, cohort 2023-spring " + amara.provider.name,
        "Active",
        "1",
        "30 May 2023",
    ]
    assert page.row("Bola Adeyemi")[3:] == ["0", "None yet"]
    assert reverse("enrolment_coaching", args=[theirs.pk]) in page.hrefs()
    assert "People you coach" in [text for _, text in page.all("a")]


def test_only_coaches_and_admins_open_the_coachee_list(client, provider):
    for role in (Role.FACILITATOR, Role.PLATFORM_STAFF, Role.PARTICIPANT, Role.ASSESSOR):
        client.force_login(person(role, provider))
        assert client.get(reverse("coachees")).status_code == 403, role


@pytest.mark.parametrize("n", [10, 60])
def test_the_coachee_list_query_count_is_pinned(
    client, coach, cohort, coaching, django_assert_num_queries, n
):
    places = [EnrolmentFactory(cohort=cohort, coach=coach) for _ in range(n)]
    CoachingSession.objects.bulk_create(
        CoachingSession(
            enrolment=p, component=coaching, coach=coach, held_on=D(2023, 2, 1), minutes=30, focus="x"
        )
        for p in places
    )
    client.force_login(coach)
    # Session, user, roles (1); the coachees with their counts.
    with django_assert_num_queries(4):
        page = Page(client.get(reverse("coachees")))
    assert len(page.rows) == n + 1


def test_the_coach_logs_a_session_on_the_coaching_page(client, amara, coach, coaching):
    client.force_login(coach)
    url = reverse("enrolment_coaching", args=[amara.pk])
    page = Page(client.get(url))
    assert_accessible(page)
    assert reverse("coachees") in page.hrefs()
    response = client.post(url, {"held_on": "2023-06-05", "minutes": "75", "focus": "Board relationships"})
    assert response.status_code == 302
    page = Page(client.get(url))
    assert "Logged a coaching session of 1 hour 15 minutes on 5 June 2023." in page.text
    assert page.row("5 June 2023")[:4] == ["5 June 2023", "Board relationships", "75 minutes", "Cal Coach"]
    session = CoachingSession.objects.get()
    assert reverse("coaching_session_remove", args=[session.pk]) in page.form_actions()


def test_the_coaching_page_shows_what_to_fix(client, amara, coach, coaching):
    client.force_login(coach)
    url = reverse("enrolment_coaching", args=[amara.pk])
    page = Page(client.post(url, {"held_on": "2023-06-07", "minutes": "0", "focus": ""}))
    assert "Enter how long it lasted, in minutes as 1 or more." in page.text_of("id_minutes-error")
    assert "Enter what the session focused on." in page.text_of("id_focus-error")
    page = Page(client.post(url, {"held_on": "2023-06-07", "minutes": "30", "focus": "Teams"}))
    assert "log a session once it has happened" in page.text_of("id_held_on-error")
    assert not CoachingSession.objects.exists()


def test_an_admin_reaches_the_coaching_page_from_the_record(client, amara, admin, coach, coaching):
    client.force_login(admin)
    record = Page(client.get(reverse("enrolment_detail", args=[amara.pk])))
    url = reverse("enrolment_coaching", args=[amara.pk])
    assert url in record.hrefs()
    page = Page(client.get(url))
    assert reverse("enrolment_detail", args=[amara.pk]) in page.hrefs()
    client.post(url, {"held_on": "2023-06-05", "minutes": "60", "focus": "Strategy"})
    session = CoachingSession.objects.get()
    assert (session.coach, session.logged_by) == (coach, admin)
    response = client.post(reverse("coaching_session_remove", args=[session.pk]))
    assert response.url == url and not CoachingSession.objects.exists()


def test_other_coaches_and_other_roles_cannot_reach_a_places_coaching(
    client, amara, coach, other_coach, coaching, provider
):
    session = log_coaching(amara, coach)
    url = reverse("enrolment_coaching", args=[amara.pk])
    remove = reverse("coaching_session_remove", args=[session.pk])
    client.force_login(other_coach)
    assert client.get(url).status_code == 404 and client.post(remove).status_code == 404
    for role in (Role.FACILITATOR, Role.PLATFORM_STAFF):
        client.force_login(person(role, provider))
        assert client.get(url).status_code == 403 and client.post(remove).status_code == 403
    client.force_login(person(Role.PROVIDER_ADMIN, ProviderFactory()))
    assert client.get(url).status_code == 404 and client.post(remove).status_code == 404
    assert CoachingSession.objects.exists()


@pytest.mark.parametrize("n", [10, 100])
def test_the_coaching_log_query_count_is_pinned(client, amara, coach, coaching, django_assert_num_queries, n):
    CoachingSession.objects.bulk_create(
        CoachingSession(
            enrolment=amara,
            component=coaching,
            coach=coach,
            logged_by=coach,
            held_on=D(2023, 2, 1),
            minutes=30,
            focus=f"Focus {i}",
        )
        for i in range(n)
    )
    client.force_login(coach)
    # Session, user, roles (1); the place; the programme's coaching components; its coaching.
    with django_assert_num_queries(6):
        page = Page(client.get(reverse("enrolment_coaching", args=[amara.pk])))
    assert len([row for row in page.rows if row[1].startswith("Focus ")]) == n


# The participant's home page ---------------------------------------------------------------------------


def test_the_home_page_links_to_learning_coaching_and_ratings(client, amara, me):
    client.force_login(me)
    page = Page(client.get(reverse("home")))
    links = {text: a["href"] for a, text in page.all("a")}
    assert links["Log self-directed learning"] == reverse("my_learning", args=[amara.pk])
    assert links["Your coaching sessions"] == reverse("my_coaching", args=[amara.pk])
    assert links["Rate your sessions"] == reverse("my_feedback", args=[amara.pk])
