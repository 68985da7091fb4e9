"""Cohorts, groups and sessions: the rules the services enforce, in UK local time across BST and GMT."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from npqel.access import Role
from npqel.errors import DomainError
from programmes import services
from programmes.models import Cohort, Component, Session
from programmes.timetable import add_months, local_datetime, week_aligned_shift
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    SessionFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
T = datetime.time


def local(session: Session) -> tuple[str, str]:
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return start.strftime("%a %Y-%m-%d %H:%M"), end.strftime("%H:%M")


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


@pytest.fixture
def cohort(provider):
    programme = ProgrammeFactory(provider=provider, duration_months=18)
    return CohortFactory(
        programme=programme, code="2020-october", start_date=D(2020, 10, 6), end_date=D(2022, 1, 31)
    )


def test_month_arithmetic_clamps_to_the_last_day_of_the_month():
    assert add_months(D(2019, 8, 31), 18) == D(2021, 2, 28)
    assert add_months(D(2022, 8, 31), 18) == D(2024, 2, 29)
    assert add_months(D(2020, 1, 15), 1) == D(2020, 2, 15)


def test_a_shift_between_start_dates_is_whole_weeks():
    assert week_aligned_shift(D(2020, 10, 6), D(2026, 10, 6)) % 7 == 0
    assert week_aligned_shift(D(2020, 10, 6), D(2020, 10, 6)) == 0
    # Three days later: sessions move a whole week, so none lands before the new start.
    assert week_aligned_shift(D(2020, 10, 6), D(2020, 10, 9)) == 7
    assert week_aligned_shift(D(2020, 10, 6), D(2020, 10, 13)) == 7


def test_copying_a_timetable_keeps_weekdays_and_uk_times_across_the_clock_change(admin, cohort):
    webinar = ComponentFactory(programme=cohort.programme, title="Introductory webinars")
    facilitator = StaffMembershipFactory(provider=cohort.programme.provider, role="facilitator").user
    north = DeliveryGroupFactory(cohort=cohort, name="North", region="North West")
    north.facilitators.add(facilitator)
    part1 = services.session_schedule(
        by=admin,
        cohort=cohort,
        component=webinar,
        starts_at=local_datetime(D(2020, 10, 6), T(13, 30)),  # BST
        ends_at=local_datetime(D(2020, 10, 6), T(15, 0)),
        title="Part 1",
        group=north,
    )
    services.session_schedule(
        by=admin,
        cohort=cohort,
        component=webinar,
        starts_at=local_datetime(D(2020, 10, 7), T(10, 0)),
        ends_at=local_datetime(D(2020, 10, 7), T(11, 30)),
        title="Part 1 (REPEAT)",
        repeat_of=part1,
    )
    # Six weeks later: the copies fall after the clocks go back (25 October 2020), in GMT.
    target = services.cohort_create(
        by=admin,
        programme=cohort.programme,
        code="2020-november",
        intake="autumn",
        start_date=D(2020, 11, 12),  # a Thursday, 37 days on: sessions move 6 whole weeks
        copy_timetable_from=cohort,
    )
    copies = list(target.sessions.order_by("starts_at"))
    assert [local(s) for s in copies] == [
        ("Tue 2020-11-17 13:30", "15:00"),
        ("Wed 2020-11-18 10:00", "11:30"),
    ]
    assert copies[0].starts_at.astimezone(datetime.UTC).hour == 13  # GMT: 13:30 local is 13:30 UTC
    assert part1.starts_at.astimezone(datetime.UTC).hour == 12  # BST: 13:30 local was 12:30 UTC
    assert copies[1].repeat_of == copies[0]
    group = target.groups.get()
    assert (group.name, group.region, list(group.facilitators.all())) == (
        "North",
        "North West",
        [facilitator],
    )
    assert copies[0].group == group
    # The source is untouched.
    assert cohort.sessions.count() == 2


def test_a_timetable_is_copied_only_into_an_empty_cohort_of_the_same_programme(admin, cohort):
    SessionFactory(cohort=cohort)
    busy = CohortFactory(programme=cohort.programme, start_date=D(2021, 3, 2), end_date=D(2022, 8, 31))
    SessionFactory(cohort=busy)
    with pytest.raises(DomainError, match="already has 1 session"):
        services.cohort_copy_timetable(by=admin, source=cohort, target=busy)
    elsewhere = CohortFactory(programme=ProgrammeFactory(provider=cohort.programme.provider, code="other"))
    with pytest.raises(DomainError, match="same programme"):
        services.cohort_copy_timetable(by=admin, source=cohort, target=elsewhere)


def test_a_copy_that_would_run_past_the_cohort_end_writes_nothing(admin, cohort):
    SessionFactory(
        cohort=cohort,
        starts_at=local_datetime(D(2021, 12, 1), T(10, 0)),
        ends_at=local_datetime(D(2021, 12, 1), T(11, 0)),
    )
    with pytest.raises(DomainError, match="after the cohort ends") as caught:
        services.cohort_create(
            by=admin,
            programme=cohort.programme,
            code="short",
            intake="autumn",
            start_date=D(2021, 3, 2),
            end_date=D(2021, 9, 30),
            copy_timetable_from=cohort,
        )
    assert caught.value.field == "end_date"
    assert not Cohort.objects.filter(code="short").exists()


def test_a_weekly_series_stays_at_the_same_uk_time_across_the_clock_change(admin, cohort):
    seminar = ComponentFactory(programme=cohort.programme)
    sessions = services.session_schedule_series(
        by=admin,
        cohort=cohort,
        component=seminar,
        first_day=D(2020, 10, 13),
        start_time=T(16, 0),
        end_time=T(17, 30),
        occurrences=4,
        every_weeks=1,
    )
    assert [local(s) for s in sessions] == [
        ("Tue 2020-10-13 16:00", "17:30"),
        ("Tue 2020-10-20 16:00", "17:30"),
        ("Tue 2020-10-27 16:00", "17:30"),
        ("Tue 2020-11-03 16:00", "17:30"),
    ]
    assert len({s.series for s in Session.objects.filter(cohort=cohort)}) == 1
    assert sessions[0].series is not None


def test_a_series_that_runs_past_the_cohort_names_the_session_and_writes_nothing(admin, cohort):
    seminar = ComponentFactory(programme=cohort.programme)
    with pytest.raises(
        DomainError, match="Session 2 of the series, on 3 February 2022: 3 February 2022 is outside"
    ):
        services.session_schedule_series(
            by=admin,
            cohort=cohort,
            component=seminar,
            first_day=D(2022, 1, 20),
            start_time=T(16, 0),
            end_time=T(17, 0),
            occurrences=3,
            every_weeks=2,
        )
    assert not cohort.sessions.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": local_datetime(D(2020, 11, 3), T(9, 0))}, "must end after it starts"),
        (
            {
                "starts_at": local_datetime(D(2020, 9, 1), T(10, 0)),
                "ends_at": local_datetime(D(2020, 9, 1), T(11, 0)),
            },
            "1 September 2020 is outside the cohort",
        ),
        ({"capacity": 0}, "capacity of 1 or more"),
    ],
)
def test_session_rules_have_plain_messages(admin, cohort, change, message):
    component = ComponentFactory(programme=cohort.programme)
    fields = {
        "starts_at": local_datetime(D(2020, 11, 3), T(10, 0)),
        "ends_at": local_datetime(D(2020, 11, 3), T(11, 0)),
        **change,
    }
    with pytest.raises(DomainError, match=message):
        services.session_schedule(by=admin, cohort=cohort, component=component, **fields)


def test_sessions_only_use_this_cohorts_components_groups_and_facilitators(admin, cohort, other_provider):
    component = ComponentFactory(programme=cohort.programme)
    when = {
        "starts_at": local_datetime(D(2020, 11, 3), T(10, 0)),
        "ends_at": local_datetime(D(2020, 11, 3), T(11, 0)),
    }
    other_programme_component = ComponentFactory()
    with pytest.raises(DomainError, match="component of this cohort's programme"):
        services.session_schedule(by=admin, cohort=cohort, component=other_programme_component, **when)
    other_group = DeliveryGroupFactory()
    with pytest.raises(DomainError, match="this cohort's delivery groups"):
        services.session_schedule(by=admin, cohort=cohort, component=component, group=other_group, **when)
    outsider = person(Role.FACILITATOR, other_provider)
    with pytest.raises(DomainError, match="not a facilitator at this provider"):
        services.session_schedule(by=admin, cohort=cohort, component=component, facilitator=outsider, **when)


def test_a_repeat_is_of_an_original_session_of_the_same_component(admin, cohort):
    component = ComponentFactory(programme=cohort.programme)
    original = SessionFactory(cohort=cohort, component=component)
    repeat = SessionFactory(cohort=cohort, component=component, repeat_of=original)
    when = {"starts_at": original.starts_at, "ends_at": original.ends_at}
    with pytest.raises(DomainError, match="original session, not another repeat"):
        services.session_schedule(by=admin, cohort=cohort, component=component, repeat_of=repeat, **when)
    with pytest.raises(DomainError, match="same cohort and component"):
        services.session_schedule(
            by=admin,
            cohort=cohort,
            component=ComponentFactory(programme=cohort.programme),
            repeat_of=original,
            **when,
        )


def test_only_a_provider_admin_of_the_provider_changes_the_timetable(cohort, provider, other_provider):
    component = ComponentFactory(programme=cohort.programme)
    when = {
        "starts_at": local_datetime(D(2020, 11, 3), T(10, 0)),
        "ends_at": local_datetime(D(2020, 11, 3), T(11, 0)),
    }
    for outsider in (
        person(Role.FACILITATOR, provider),
        person(Role.PLATFORM_STAFF),
        person(Role.PROVIDER_ADMIN, other_provider),
    ):
        with pytest.raises(PermissionDenied):
            services.session_schedule(by=outsider, cohort=cohort, component=component, **when)
    assert not cohort.sessions.exists()


def test_a_cohort_without_an_end_date_runs_for_the_programme_length(admin, cohort):
    new = services.cohort_create(
        by=admin, programme=cohort.programme, code="2021-spring", intake="spring", start_date=D(2021, 8, 31)
    )
    assert new.end_date == D(2023, 2, 27)  # 18 months on, clamped to February, minus a day
    assert new.recruitment_year == "2020/21"


def test_a_cohort_cannot_start_after_its_first_session(admin, cohort):
    SessionFactory(cohort=cohort)
    with pytest.raises(DomainError, match="before the new start date") as caught:
        services.cohort_update(by=admin, cohort=cohort, start_date=D(2020, 12, 1))
    assert caught.value.field == "start_date"


def test_duplicate_codes_are_refused_with_the_field_to_fix(admin, cohort):
    with pytest.raises(DomainError, match="already has a cohort with the code") as caught:
        services.cohort_create(
            by=admin, programme=cohort.programme, code=cohort.code, intake="autumn", start_date=D(2021, 1, 4)
        )
    assert caught.value.field == "code"


def test_groups_take_only_the_providers_facilitators(admin, cohort, other_provider):
    own = StaffMembershipFactory(provider=cohort.programme.provider, role="facilitator").user
    group = services.group_create(by=admin, cohort=cohort, name="North", region="Cumbria", facilitators=[own])
    assert list(group.facilitators.all()) == [own]
    coach = StaffMembershipFactory(provider=cohort.programme.provider, role="coach").user
    with pytest.raises(DomainError, match="Invite them as a facilitator first"):
        services.group_update(by=admin, group=group, name="North", region="", facilitators=[coach])


def test_the_deadline_follows_the_latest_policy_for_the_start_date(admin, cohort):
    programme = cohort.programme
    services.extension_add(
        by=admin, programme=programme, applies_from=D(2018, 7, 1), months=24, reason="COVID-19"
    )
    assert programme.deadline_months_for(D(2018, 6, 30)) == programme.deadline_months == 18
    assert programme.deadline_months_for(D(2018, 7, 1)) == 24


def test_instalments_must_add_up_to_the_fee(admin, cohort):
    programme = cohort.programme
    with pytest.raises(DomainError, match="add up to £4,700.00 but the fee is £4,800.00"):
        services.fee_option_add(
            by=admin,
            programme=programme,
            name="With coaching",
            amount=Decimal("4800"),
            plus_vat=True,
            instalments=[(0, Decimal("1800")), (5, Decimal("2000")), (11, Decimal("900"))],
        )
    option = services.fee_option_add(
        by=admin,
        programme=programme,
        name="With coaching",
        amount=Decimal("4800"),
        plus_vat=True,
        instalments=[(11, Decimal("1000")), (0, Decimal("1800")), (5, Decimal("2000"))],
    )
    assert [i.months_after_start for i in option.instalments.all()] == [0, 5, 11]


def test_a_component_with_sessions_cannot_be_removed_and_modules_belong_to_courses(admin, cohort):
    webinar = ComponentFactory(programme=cohort.programme, title="Webinars")
    SessionFactory(cohort=cohort, component=webinar)
    with pytest.raises(DomainError, match="has 1 scheduled session"):
        services.component_remove(by=admin, component=webinar)
    with pytest.raises(DomainError, match="not an online course"):
        services.module_create(by=admin, course=webinar, title="Module 1")
    course = services.component_create(
        by=admin,
        programme=cohort.programme,
        kind=Component.Kind.ONLINE_COURSE,
        title="Online course",
        mode=Component.Mode.SELF_DIRECTED,
        guided_learning_hours=Decimal("20"),
    )
    module = services.module_create(by=admin, course=course, title="Module 1")
    services.task_create(by=admin, module=module, title="Read", core=True)
    services.task_create(by=admin, module=module, title="Extra reading", core=False)
    assert [(t.title, t.core) for t in module.tasks.all()] == [("Read", True), ("Extra reading", False)]


def test_a_new_component_counts_toward_engagement_when_the_programme_counts_its_kind(admin, cohort):
    programme = cohort.programme
    services.programme_update(by=admin, programme=programme, engagement_kinds=["webinar"])
    webinar = services.component_create(
        by=admin, programme=programme, kind="webinar", title="Webinars", mode="online_live"
    )
    briefing = services.component_create(
        by=admin, programme=programme, kind="online_briefing", title="Briefings", mode="online_live"
    )
    assert (webinar.counts_toward_engagement, briefing.counts_toward_engagement) == (True, False)
    assert webinar.guided_learning_hours is None  # not published


def test_a_cohort_cannot_end_before_its_last_session(admin, cohort):
    SessionFactory(
        cohort=cohort,
        starts_at=local_datetime(D(2021, 6, 8), T(10, 0)),
        ends_at=local_datetime(D(2021, 6, 8), T(11, 0)),
    )
    with pytest.raises(DomainError, match="session on 8 June 2021, after the new end date") as caught:
        services.cohort_update(by=admin, cohort=cohort, end_date=D(2021, 5, 31))
    assert caught.value.field == "end_date"


def test_cohort_dates_far_outside_this_century_are_refused_plainly(admin, cohort):
    with pytest.raises(DomainError, match="Enter a date from 2000 to 2099"):
        services.cohort_create(
            by=admin, programme=cohort.programme, code="typo", intake="autumn", start_date=D(9999, 10, 1)
        )


def test_an_original_keeps_the_component_of_its_repeats(admin, cohort):
    component = ComponentFactory(programme=cohort.programme)
    original = SessionFactory(cohort=cohort, component=component)
    SessionFactory(cohort=cohort, component=component, repeat_of=original)
    with pytest.raises(DomainError, match="has 1 repeat of its component"):
        services.session_update(
            by=admin, session=original, component=ComponentFactory(programme=cohort.programme)
        )


def test_cancelling_an_original_keeps_its_repeats_with_the_earliest_as_the_new_original(admin, cohort):
    component = ComponentFactory(programme=cohort.programme)
    original = SessionFactory(cohort=cohort, component=component, title="Part 1")
    first = SessionFactory(
        cohort=cohort,
        component=component,
        title="Part 1 (REPEAT)",
        repeat_of=original,
        starts_at=original.starts_at + datetime.timedelta(days=1),
        ends_at=original.ends_at + datetime.timedelta(days=1),
    )
    second = SessionFactory(
        cohort=cohort,
        component=component,
        title="Part 1 (second REPEAT)",
        repeat_of=original,
        starts_at=original.starts_at + datetime.timedelta(days=2),
        ends_at=original.ends_at + datetime.timedelta(days=2),
    )
    assert services.session_cancel(by=admin, session=original) == first
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.repeat_of, second.repeat_of) == (None, first)


def test_people_who_left_are_not_copied_and_do_not_block_later_edits(admin, cohort, provider):
    leaver = StaffMembershipFactory(provider=provider, role="facilitator").user
    group = DeliveryGroupFactory(cohort=cohort, name="North")
    group.facilitators.add(leaver)
    session = SessionFactory(cohort=cohort, group=group, facilitator=leaver)
    leaver.memberships.all().delete()

    # Renaming the group or moving the session still works; only newly named people are checked.
    services.group_update(by=admin, group=group, name="North West", region="", facilitators=[leaver])
    services.session_update(by=admin, session=session, venue="Leeds Trinity University")

    target = services.cohort_create(
        by=admin,
        programme=cohort.programme,
        code="next",
        intake="autumn",
        start_date=D(2021, 10, 5),
        copy_timetable_from=cohort,
    )
    copy = target.sessions.get()
    assert copy.facilitator is None
    assert list(target.groups.get().facilitators.all()) == []
