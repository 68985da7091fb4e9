"""The participant's home page: what is next, status, deadline with a countdown, progress by component,
what makes them eligible for the final assessment, and funding with instalments (issue 4, "Pages")."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from assessment import services as assessment_services
from assessment.models import AssessmentWindow
from npqel.access import Role
from participants import services
from participants.models import Enrolment, Participant
from programmes.models import Component, FeeOption, Instalment, Module, PlacementOption, Programme, Task
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory, ParticipantFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    SessionFactory,
)
from tests.programmes.test_design_pages import Page, assert_accessible

pytestmark = pytest.mark.django_db

D = datetime.date
T = datetime.time
LONDON = ZoneInfo("Europe/London")
# A Tuesday in GMT: 96 days before 28 February 2027, the deadline of a start on 31 August 2025.
TODAY = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=LONDON)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(TODAY, tick=False)
    return TODAY.date()


@pytest.fixture
def programme(provider):
    return ProgrammeFactory(
        provider=provider,
        name="NPQEL Autumn",
        deadline_months=18,
        engagement_threshold=Decimal("90"),
        engagement_comparison=Programme.Comparison.AT_LEAST,
        engagement_kinds=["residential", "webinar", "online_course"],
    )


@pytest.fixture
def components(programme):
    residential = ComponentFactory(
        programme=programme,
        kind=Component.Kind.RESIDENTIAL,
        title="Residentials",
        mode=Component.Mode.IN_PERSON,
        guided_learning_hours=Decimal("12"),
        position=1,
    )
    webinar = ComponentFactory(programme=programme, title="Executive-led webinars", position=2)
    course = ComponentFactory(
        programme=programme,
        kind=Component.Kind.ONLINE_COURSE,
        title="Strategy and Improvement",
        mode=Component.Mode.SELF_DIRECTED,
        guided_learning_hours=Decimal("20"),
        position=3,
    )
    diagnostic = ComponentFactory(
        programme=programme,
        kind=Component.Kind.DIAGNOSTIC_360,
        title="360° diagnostic",
        mode=Component.Mode.SELF_DIRECTED,
        guided_learning_hours=None,
        counts_toward_engagement=False,
        position=4,
    )
    for m in range(3):
        module = Module.objects.create(course=course, title=f"Module {m + 1}", position=m)
        for t in range(4):
            Task.objects.create(module=module, title=f"Core task {t + 1}", core=True, position=t)
        Task.objects.create(module=module, title="Further reading", core=False, position=9)
    return {"residential": residential, "webinar": webinar, "course": course, "diagnostic": diagnostic}


@pytest.fixture
def cohort(programme):
    return CohortFactory(
        programme=programme, code="2025-autumn", start_date=D(2025, 8, 31), end_date=D(2027, 3, 31)
    )


@pytest.fixture
def groups(cohort):
    return DeliveryGroupFactory(cohort=cohort, name="North"), DeliveryGroupFactory(
        cohort=cohort, name="South"
    )


@pytest.fixture
def enrolment(cohort, groups):
    participant = ParticipantFactory(user__full_name="Sam Okafor")
    return EnrolmentFactory(participant=participant, cohort=cohort, group=groups[0])


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


def session(cohort, component, on, start, end, **fields):
    return SessionFactory(
        cohort=cohort,
        component=component,
        starts_at=local_datetime(on, start),
        ends_at=local_datetime(on, end),
        online_link=fields.pop("online_link", ""),
        **fields,
    )


def home(client, user) -> Page:
    client.force_login(user)
    return Page(client.get(reverse("home")))


def summary(page: Page, key: str) -> str:
    """The value beside `key` in a summary list."""
    tags = [(tag, text) for tag, _, text in page.elements if tag in ("dt", "dd")]
    found = [tags[i + 1][1] for i, (tag, text) in enumerate(tags[:-1]) if tag == "dt" and text == key]
    assert found, f"no {key!r} in {tags}"
    return found[0]


def section(page: Page, heading: str, until: str) -> str:
    """The page's text from one heading to the next."""
    text = page.text
    start = text.index(heading)
    return text[start : text.index(until, start)]


# What is next ------------------------------------------------------------------------------------------


def test_what_is_next_lists_this_week_and_next_in_uk_time_with_calendar_links(
    client, time_machine, enrolment, cohort, groups, components
):
    # Monday 19 October 2026, British Summer Time; the clocks go back on Sunday 25 October.
    time_machine.move_to(datetime.datetime(2026, 10, 19, 9, 0, tzinfo=LONDON), tick=False)
    north, south = groups
    residential = session(
        cohort,
        components["residential"],
        D(2026, 10, 21),
        T(10),
        T(16),
        title="Residential day 1",
        venue="Crewe Hall, Cheshire",
    )
    webinar = session(
        cohort,
        components["webinar"],
        D(2026, 10, 27),
        T(16),
        T(17, 30),
        title="Webinar: governance",
        group=north,
        online_link="https://meet.example.org/governance",
    )
    other_group = session(
        cohort, components["webinar"], D(2026, 10, 22), T(16), T(17), group=south, title="South only"
    )
    ended = session(cohort, components["webinar"], D(2026, 10, 19), T(7), T(8), title="Early briefing")
    later = session(cohort, components["webinar"], D(2026, 11, 10), T(16), T(17), title="November webinar")

    page = home(client, enrolment.participant.user)

    next_up = section(page, "What is next", "Your deadline")
    # 10:00 on the wall clock in London, though stored as 09:00 UTC.
    assert "This week" in next_up and "Wednesday 21 October 2026, 10:00 to 16:00" in next_up
    assert "Crewe Hall, Cheshire" in next_up
    assert "Next week" in next_up and "Tuesday 27 October 2026, 16:00 to 17:30" in next_up
    assert "Webinar: governance" in next_up and "Join online" in next_up
    for absent in (other_group, ended, later):
        assert absent.title not in next_up
    hrefs = page.hrefs()
    assert reverse("session_ics", kwargs={"pk": residential.pk}) in hrefs
    assert reverse("session_ics", kwargs={"pk": webinar.pk}) in hrefs
    assert reverse("session_ics", kwargs={"pk": other_group.pk}) not in hrefs
    assert reverse("calendar") in hrefs
    assert "https://meet.example.org/governance" in hrefs
    # A participant cannot open session pages: none is linked.
    assert reverse("session_detail", kwargs={"pk": residential.pk}) not in hrefs
    assert_accessible(page)


def test_with_nothing_this_week_the_page_says_when_the_next_session_is(
    client, today, enrolment, cohort, components
):
    session(cohort, components["webinar"], D(2026, 12, 15), T(16), T(17), title="Webinar: finance")

    next_up = section(home(client, enrolment.participant.user), "What is next", "Your deadline")

    assert (
        "You have no sessions this week. Your next session is Webinar: finance on Tuesday 15 December 2026 "
        "at 16:00." in next_up
    )
    assert "Next week" not in next_up


def test_with_no_sessions_to_come_the_page_says_so(client, today, enrolment):
    next_up = section(home(client, enrolment.participant.user), "What is next", "Your deadline")
    assert "You have no sessions this week. No more sessions are timetabled for you yet." in next_up


# Status and deadline -----------------------------------------------------------------------------------


def test_an_active_participant_sees_their_status_and_deadline_counting_down(client, today, enrolment):
    page = home(client, enrolment.participant.user)

    assert summary(page, "Status") == "Active"
    assert summary(page, "Your start") == "31 August 2025"
    assert summary(page, "Your group") == "North"
    deadline = section(page, "Your deadline", "What you must do")
    assert "Present your final assessment by 28 February 2027 — 96 days left" in deadline
    assert "Your programme allows 18 months from your start on 31 August 2025." in deadline
    assert "paused" not in deadline


def test_after_the_deadline_the_page_says_it_has_passed(client, time_machine, enrolment):
    time_machine.move_to(datetime.datetime(2027, 3, 5, 12, 0, tzinfo=LONDON), tick=False)

    deadline = section(home(client, enrolment.participant.user), "Your deadline", "What you must do")

    assert "Your deadline to present your final assessment was 28 February 2027 — 5 days ago." in deadline
    assert "Speak to your provider about what happens next." in deadline
    assert "left" not in deadline


def test_a_deferred_participant_sees_their_deadline_paused_where_the_programme_pauses_the_clock(
    client, time_machine, admin, enrolment, programme
):
    programme.deferral_pauses_clock = True
    programme.save()
    time_machine.move_to(datetime.datetime(2026, 3, 3, 9, 0, tzinfo=LONDON), tick=False)
    services.enrolment_defer(by=admin, enrolment=enrolment, reason="parental-leave", on=D(2026, 3, 3))
    time_machine.move_to(TODAY, tick=False)

    page = home(client, enrolment.participant.user)

    assert summary(page, "Status") == "Deferred since 3 March 2026 (parental leave) — your deadline is paused"
    deadline = section(page, "Your deadline", "What you must do")
    # 266 days deferred so far move 28 February 2027 on to 21 November 2027.
    assert "Present your final assessment by 21 November 2027 — 362 days left" in deadline
    assert "it has moved on by 266 days so far, and moves on a day for every day until you resume" in deadline


def test_a_deferral_on_a_programme_that_does_not_pause_the_clock_says_so(
    client, time_machine, admin, enrolment
):
    time_machine.move_to(datetime.datetime(2026, 3, 3, 9, 0, tzinfo=LONDON), tick=False)
    services.enrolment_defer(by=admin, enrolment=enrolment, reason="long-term-sickness")
    time_machine.move_to(TODAY, tick=False)

    page = home(client, enrolment.participant.user)

    assert (
        summary(page, "Status")
        == "Deferred since 3 March 2026 (long-term sickness) — your deadline is not paused on this programme"
    )
    assert "Present your final assessment by 28 February 2027 — 96 days left" in page.text


def test_time_spent_deferred_stays_added_after_resuming(client, time_machine, admin, enrolment, programme):
    programme.deferral_pauses_clock = True
    programme.save()
    time_machine.move_to(datetime.datetime(2026, 6, 1, 9, 0, tzinfo=LONDON), tick=False)
    services.enrolment_defer(by=admin, enrolment=enrolment, reason="career-break", on=D(2026, 3, 3))
    services.enrolment_resume(by=admin, enrolment=enrolment, on=D(2026, 6, 1))
    time_machine.move_to(TODAY, tick=False)

    page = home(client, enrolment.participant.user)

    assert summary(page, "Status") == "Active"
    deadline = section(page, "Your deadline", "What you must do")
    assert "Present your final assessment by 29 May 2027" in deadline  # 28 February + 90 days
    assert "This includes 90 days added for the time you were deferred." in deadline


def test_an_applicant_sees_neither_timetable_nor_deadline_yet(client, today, cohort, components):
    applicant = EnrolmentFactory(cohort=cohort, status=Enrolment.Status.APPLIED)
    soon = session(cohort, components["webinar"], D(2026, 11, 25), T(16), T(17), title="Webinar: launch")

    page = home(client, applicant.participant.user)

    assert summary(page, "Status") == "Applied — your provider has not confirmed your place yet"
    assert "Your timetable and your deadline appear here once your provider confirms your place." in page.text
    assert soon.title not in page.text
    assert reverse("session_ics", kwargs={"pk": soon.pk}) not in page.hrefs()
    assert "What you must do to be eligible for the final assessment" in page.text


def test_an_accepted_participant_sees_when_their_place_starts_and_their_first_session(
    client, today, programme, components
):
    cohort = CohortFactory(
        programme=programme, code="2027-spring", start_date=D(2027, 1, 11), end_date=D(2028, 6, 30)
    )
    accepted = EnrolmentFactory(cohort=cohort, status=Enrolment.Status.ACCEPTED)
    session(cohort, components["residential"], D(2027, 1, 14), T(9), T(17), title="Launch residential")

    page = home(client, accepted.participant.user)

    assert summary(page, "Status") == "Accepted — your place starts on 11 January 2027"
    assert "Your next session is Launch residential on Thursday 14 January 2027 at 09:00." in page.text
    assert "Present your final assessment by 11 July 2028 — 595 days left" in page.text


def test_a_completed_place_shows_its_result_briefly(client, time_machine, admin, enrolment, provider):
    time_machine.move_to(datetime.datetime(2026, 9, 14, 9, 0, tzinfo=LONDON), tick=False)
    services.enrolment_record_outcome(by=None, enrolment=enrolment, passed=True)
    time_machine.move_to(TODAY, tick=False)

    page = home(client, enrolment.participant.user)

    assert "Your places" in page.text and "Your earlier places" not in page.text
    assert (
        page.row("NPQEL Autumn " + provider.name)[-1]
        == "Completed — you passed (result on 14 September 2026) Rate the programme NPQEL Autumn"
        " Download your transcript (PDF) for NPQEL Autumn"
    )
    for gone in ("What is next", "Your deadline", "Funding and fees"):
        assert gone not in page.text


def test_current_places_come_first_and_past_ones_are_brief(client, time_machine, admin, provider, enrolment):
    user = enrolment.participant.user
    earlier = EnrolmentFactory(
        participant=enrolment.participant,
        cohort=CohortFactory(
            programme=ProgrammeFactory(provider=provider, code="old", name="NPQEL 2019"),
            code="2019-spring",
            start_date=D(2019, 3, 1),
            end_date=D(2020, 9, 30),
        ),
    )
    time_machine.move_to(datetime.datetime(2019, 10, 4, 9, 0, tzinfo=LONDON), tick=False)
    services.enrolment_withdraw(by=admin, enrolment=earlier, reason="change-in-career")
    time_machine.move_to(TODAY, tick=False)

    page = home(client, user)

    headings = [text for _, text in page.all("h2")]
    assert headings.index("NPQEL Autumn") == 0 and "NPQEL 2019" not in headings
    assert page.row("NPQEL 2019 " + provider.name) == [
        "NPQEL 2019 " + provider.name,
        "2019-spring",
        "1 March 2019",
        "Withdrawn on 4 October 2019 (change in career) Download your transcript (PDF) for NPQEL 2019",
    ]
    assert "Your earlier places" in page.text
    # One deadline: the withdrawn place has none.
    assert page.text.count("Present your final assessment by") == 2  # the countdown and the checklist


# Progress by component ---------------------------------------------------------------------------------


def test_progress_shows_planned_hours_beside_hours_held_so_far(
    client, today, enrolment, cohort, groups, components
):
    north, south = groups
    session(cohort, components["residential"], D(2025, 10, 2), T(9), T(15), title="Residential day 1")
    session(cohort, components["residential"], D(2027, 1, 14), T(9), T(15), title="Residential day 2")
    webinar = session(cohort, components["webinar"], D(2025, 11, 4), T(16), T(17, 30), title="Webinar 1")
    # Its repeat, for those who missed it: the same content, so it counts once.
    session(
        cohort,
        components["webinar"],
        D(2025, 11, 6),
        T(10),
        T(11, 30),
        title="Webinar 1 (repeat)",
        repeat_of=webinar,
    )
    session(cohort, components["webinar"], D(2025, 12, 2), T(16), T(17), group=north, title="North webinar")
    session(cohort, components["webinar"], D(2025, 12, 3), T(16), T(20), group=south, title="South webinar")

    page = home(client, enrolment.participant.user)

    assert page.row("Residentials Residential, in person") == [
        "Residentials Residential, in person",
        "12",
        "6 hours 1 of 2 sessions",
        "50%",
    ]
    # 1.5 hours once (not its repeat) and the North group's hour; the South group's session is not theirs.
    assert page.row("Executive-led webinars Webinar, online, live") == [
        "Executive-led webinars Webinar, online, live",
        "6",
        "2.5 hours 2 of 2 sessions",
        "42%",
    ]
    assert page.row("Strategy and Improvement Online course, self-directed") == [
        "Strategy and Improvement Online course, self-directed",
        "20",
        "Self-directed: no sessions",
        "–",
    ]
    assert page.row("360° diagnostic 360° diagnostic, self-directed, does not count toward engagement") == [
        "360° diagnostic 360° diagnostic, self-directed, does not count toward engagement",
        "Not published",
        "Self-directed: no sessions",
        "–",
    ]
    assert page.row("Total") == ["Total", "38", "8.5", ""]
    progress = section(page, "Your progress by component", "Funding and fees")
    assert "1 of 4 components has no published hours. The planned total leaves it out." in progress
    assert "It is not a record of your own attendance." in progress
    assert "attended" not in progress.lower()


# Eligibility -------------------------------------------------------------------------------------------


def test_the_checklist_says_what_the_programme_asks_before_the_final_assessment(
    client, today, enrolment, components
):
    items = [text for _, text in home(client, enrolment.participant.user).all("li")]

    assert "Take part in at least 90% of the hours of: residential, webinar and online course" in items
    assert "Complete every core task of the online course “Strategy and Improvement” (12 tasks)" in items
    assert "Complete the required component: 360° diagnostic" in items
    assert "Present your final assessment by 28 February 2027" in items


def test_the_checklist_follows_a_stricter_programme(client, today, enrolment, programme):
    programme.engagement_threshold = Decimal("95.5")
    programme.engagement_comparison = Programme.Comparison.MORE_THAN
    programme.save()
    ComponentFactory(
        programme=programme, kind=Component.Kind.EVENT_DAY, title="Event days", mode=Component.Mode.IN_PERSON
    )
    ComponentFactory(
        programme=programme,
        kind=Component.Kind.PLACEMENT,
        title="Placement",
        mode=Component.Mode.IN_PERSON,
        counts_toward_engagement=False,
    )
    ComponentFactory(
        programme=programme,
        kind=Component.Kind.CHANGE_PROJECT,
        title="Change project",
        mode=Component.Mode.SELF_DIRECTED,
        counts_toward_engagement=False,
    )
    ComponentFactory(
        programme=programme,
        kind=Component.Kind.CONFERENCE,
        title="Conference",
        mode=Component.Mode.IN_PERSON,
        counts_toward_engagement=False,
        required=False,
    )

    items = [text for _, text in home(client, enrolment.participant.user).all("li")]

    assert "Take part in more than 95.5% of the hours of: event day or face-to-face workshop" in items
    assert "Complete the required components: Placement and Change project" in items
    assert not [item for item in items if "Conference" in item or "core task" in item]


# Funding and instalments -------------------------------------------------------------------------------


def test_fee_with_vat_and_instalments_dated_from_the_start(client, today, enrolment, programme):
    fee = FeeOption.objects.create(
        programme=programme, name="With coaching", amount=Decimal("4800"), plus_vat=True
    )
    for months, amount in ((0, "1800"), (5, "2000"), (15, "1000")):
        Instalment.objects.create(fee_option=fee, months_after_start=months, amount=Decimal(amount))
    programme.fee_notes = "Non-refundable once enrolment is confirmed."
    programme.save()
    placement = PlacementOption.objects.create(
        programme=programme, name="Far East", cost_from=Decimal("1500"), cost_to=Decimal("2000")
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(
        fee_option=fee, placement_option=placement, funding_route=Enrolment.FundingRoute.SCHOOL
    )

    page = home(client, enrolment.participant.user)

    funding = section(page, "Funding and fees", "Your account")
    assert "Your school or trust pays for your place." in funding
    assert summary(page, "Fee") == "With coaching: £4,800 + VAT"
    assert summary(page, "Total") == "£5,760 including VAT at 20%"
    assert summary(page, "Placement") == "Far East: £1,500 to £2,000 extra"
    assert page.row("Was due 31 August 2025") == ["Was due 31 August 2025", "£1,800 + VAT (£2,160 with VAT)"]
    assert page.row("Was due 31 January 2026") == [
        "Was due 31 January 2026",
        "£2,000 + VAT (£2,400 with VAT)",
    ]
    # 31 August + 15 months: November has 30 days.
    assert page.row("Due 30 November 2026") == ["Due 30 November 2026", "£1,000 + VAT (£1,200 with VAT)"]
    assert "Non-refundable once enrolment is confirmed." in funding


def test_instalments_with_vat_add_up_to_the_total_with_vat(client, today, enrolment, programme):
    fee = FeeOption.objects.create(programme=programme, name="Thirds", amount=Decimal("1000"), plus_vat=True)
    for months, amount in ((0, "333.33"), (5, "333.33"), (15, "333.34")):
        Instalment.objects.create(fee_option=fee, months_after_start=months, amount=Decimal(amount))
    Enrolment.objects.filter(pk=enrolment.pk).update(fee_option=fee)

    page = home(client, enrolment.participant.user)

    assert summary(page, "Total") == "£1,200 including VAT at 20%"
    # £333.33 + VAT rounds to £400.00, and so would £333.34 + VAT (£400.008) to £400.01: the last instalment
    # takes what is left of the £1,200, so the three come to the total.
    rows = [
        page.row("Was due 31 August 2025"),
        page.row("Was due 31 January 2026"),
        page.row("Due 30 November 2026"),
    ]
    assert [amount for _, amount in rows] == [
        "£333.33 + VAT (£400 with VAT)",
        "£333.33 + VAT (£400 with VAT)",
        "£333.34 + VAT (£400 with VAT)",
    ]


def test_a_fee_without_vat_has_no_vat_total(client, today, enrolment, programme):
    fee = FeeOption.objects.create(programme=programme, name="Standard", amount=Decimal("3890"))
    Instalment.objects.create(fee_option=fee, months_after_start=0, amount=Decimal("3890"))
    Enrolment.objects.filter(pk=enrolment.pk).update(fee_option=fee, funding_route="self_funded")

    page = home(client, enrolment.participant.user)

    assert "You pay for your place yourself." in page.text
    assert summary(page, "Fee") == "Standard: £3,890"
    assert page.row("Was due 31 August 2025") == ["Was due 31 August 2025", "£3,890"]
    assert "VAT" not in page.text


def test_without_a_fee_the_page_says_who_pays_or_that_nothing_is_recorded(client, today, enrolment):
    Enrolment.objects.filter(pk=enrolment.pk).update(funding_route=Enrolment.FundingRoute.FUNDED_PLACE)
    funding = section(home(client, enrolment.participant.user), "Funding and fees", "Your account")
    assert funding.endswith("You have a DfE funded place: the Department for Education pays for it. ")

    Enrolment.objects.filter(pk=enrolment.pk).update(funding_route="")
    funding = section(home(client, enrolment.participant.user), "Funding and fees", "Your account")
    assert "Your provider has not recorded your funding yet." in funding


# Privacy and queries -----------------------------------------------------------------------------------


def test_equality_data_never_appears_on_the_page(client, today, enrolment):
    Participant.objects.filter(pk=enrolment.participant_id).update(
        ethnicity_code=Participant.Ethnicity.BCRB,
        sex=Participant.Sex.PREFER_NOT,
        disability=Participant.Disability.YES,
        age_band=Participant.AgeBand.FROM_55,
    )

    page = home(client, enrolment.participant.user)
    content = client.get(reverse("home")).content.decode()

    assert "Sam Okafor" in page.text
    for private in ("Black – Caribbean", "BCRB", "Prefer not to say", "55 or over", "55_plus", "prefer_not"):
        assert private not in content
    for word in ("ethnic", "disab", "age band", "sex"):
        assert word not in page.text.lower()


def grow(cohort, programme, group, n: int) -> None:
    """n more components, each with a session held, one this week, one next week and a repeat."""
    for i in range(n):
        component = ComponentFactory(
            programme=programme, title=f"Extra component {programme.components.count()}"
        )
        held = session(cohort, component, D(2026, 1, 5), T(9), T(10), group=group if i % 2 else None)
        session(cohort, component, D(2026, 1, 7), T(9), T(10), repeat_of=held)
        session(cohort, component, D(2026, 11, 26), T(9), T(10))
        session(cohort, component, D(2026, 12, 1), T(9), T(10), online_link="https://meet.example.org/x")


def test_query_count_is_pinned_and_does_not_grow_with_sessions_or_components(
    client, django_assert_num_queries, today, enrolment, cohort, programme, groups, admin
):
    fee = FeeOption.objects.create(
        programme=programme, name="Standard", amount=Decimal("3890"), plus_vat=True
    )
    Instalment.objects.create(fee_option=fee, months_after_start=0, amount=Decimal("3890"))
    Enrolment.objects.filter(pk=enrolment.pk).update(fee_option=fee)
    services.enrolment_defer(by=admin, enrolment=enrolment, reason="other", on=D(2026, 5, 1))
    services.enrolment_resume(by=admin, enrolment=enrolment, on=D(2026, 6, 1))
    task = assessment_services.scheme_create_default(by=None, programme=programme).tasks.first()
    AssessmentWindow.objects.create(
        cohort=cohort, task=task, opens_on=D(2026, 11, 20), closes_on=D(2026, 11, 27)
    )
    client.force_login(enrolment.participant.user)
    # Session, user, roles (1); places, their status changes, deadline policies, instalments; components;
    # sessions and the originals of repeats; the places' engagement and parts (2, however many places); the
    # final assessment's tasks, windows, submissions, extensions, overrides and eligibility (6).
    pinned = 19  # 18, and the place's certificates (issue 7)

    grow(cohort, programme, groups[0], 5)
    with django_assert_num_queries(pinned):
        assert client.get(reverse("home")).status_code == 200

    grow(cohort, programme, groups[0], 45)
    with django_assert_num_queries(pinned):
        page = Page(client.get(reverse("home")))
    # Each component in the progress table and in "How each component counts".
    assert len([row for row in page.rows if row and row[0].startswith("Extra component")]) == 100
