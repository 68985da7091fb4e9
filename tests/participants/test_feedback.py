"""Feedback ratings (issue 5): after each session, and at the end of the programme, a participant rates it 0 to
10 with an optional comment (rating again replaces their earlier rating); facilitators see their own sessions'
results, admins and platform staff every session's and the programme's, never who said what, and nothing
until at least 3 people have rated. The same number of queries for 5 sessions or ratings as for 40."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from npqel.access import Role
from npqel.errors import DomainError
from participants import feedback_selectors as selectors
from participants.models import Attendance, Enrolment, FeedbackRating
from participants.services import feedback
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    ProviderFactory,
    SessionFactory,
)
from tests.programmes.test_design_pages import Page, assert_accessible

pytestmark = pytest.mark.django_db

D = datetime.date
T = datetime.time
S = Enrolment.Status
TODAY = D(2023, 6, 6)
NOW = local_datetime(TODAY, T(10, 0))


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def named(role, provider, name):
    user = person(role, provider)
    user.full_name = name
    user.save()
    return user


@pytest.fixture
def cohort(provider):
    programme = ProgrammeFactory(provider=provider, name="NPQEL Spring")
    return CohortFactory(
        programme=programme, code="2023-spring", start_date=D(2023, 1, 9), end_date=D(2024, 7, 31)
    )


@pytest.fixture
def fay(provider):
    return named(Role.FACILITATOR, provider, "Fay Facilitator")


@pytest.fixture
def gus(provider):
    return named(Role.FACILITATOR, provider, "Gus Groupleader")


@pytest.fixture
def hal(provider):
    return named(Role.FACILITATOR, provider, "Hal Otherfacilitator")


@pytest.fixture
def admin(provider):
    return named(Role.PROVIDER_ADMIN, provider, "Al Admin")


@pytest.fixture
def north(cohort, gus):
    group = DeliveryGroupFactory(cohort=cohort, name="North")
    group.facilitators.add(gus)
    return group


@pytest.fixture
def south(cohort):
    return DeliveryGroupFactory(cohort=cohort, name="South")


def session_on(cohort, day, *, title, group=None, facilitator=None, start=None):
    starts = local_datetime(day, start or T(16, 0))
    return SessionFactory(
        cohort=cohort,
        group=group,
        title=title,
        facilitator=facilitator,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
    )


@pytest.fixture
def launch(cohort, fay):
    return session_on(cohort, D(2023, 1, 16), title="Launch day", facilitator=fay)


@pytest.fixture
def north_day(cohort, north):
    return session_on(cohort, D(2023, 3, 7), title="North workshop", group=north)


@pytest.fixture
def south_day(cohort, south):
    return session_on(cohort, D(2023, 3, 8), title="South workshop", group=south)


@pytest.fixture
def closing(cohort, fay):
    return session_on(cohort, D(2023, 7, 4), title="Closing conference", facilitator=fay)


def place(cohort, name, **fields):
    return EnrolmentFactory(
        cohort=cohort,
        participant__user__full_name=name,
        participant__user__email=name.lower().replace(" ", ".") + "@school.example",
        **fields,
    )


@pytest.fixture
def amara(cohort, north):
    return place(cohort, "Amara Okafor", group=north)


@pytest.fixture
def people(cohort, north, south, amara):
    return {
        "amara": amara,
        "bea": place(cohort, "Bea Brown", group=north),
        "cy": place(cohort, "Cy Young", group=south),
        "dee": place(cohort, "Dee Dalton"),
    }


def rate(enrolment, session, rating, comment=""):
    return feedback.feedback_rate_session(
        by=enrolment.participant.user, enrolment=enrolment, session=session, rating=rating, comment=comment
    )


def refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# Rating a session ---------------------------------------------------------------------------------------


def test_a_participant_rates_a_session_and_rating_again_replaces_it(amara, launch):
    first = rate(amara, launch, 7, "  Useful, if long  ")
    assert (first.rating, first.comment, first.rated_at) == (7, "Useful, if long", NOW)
    later = NOW + datetime.timedelta(days=2)
    with time_machine.travel(later, tick=False):
        again = rate(amara, launch, 9)
    row = FeedbackRating.objects.get()
    assert again.pk == first.pk
    assert (row.rating, row.comment, row.rated_at) == (9, "", later)


def test_only_the_participant_rates_for_their_place(amara, launch, admin, cohort):
    for by in (admin, place(cohort, "Someone Else").participant.user):
        with pytest.raises(PermissionDenied):
            feedback.feedback_rate_session(by=by, enrolment=amara, session=launch, rating=5)
    assert not FeedbackRating.objects.exists()


def test_only_sessions_of_their_own_timetable(amara, south_day, north_day, provider):
    other_cohort = session_on(
        CohortFactory(programme=ProgrammeFactory(provider=provider, code="other")), D(2023, 2, 1), title="x"
    )
    for session in (south_day, other_cohort):
        assert refusal(lambda s=session: rate(amara, s, 8)).message == (
            "That session is not on your timetable. Choose one of your own sessions to rate."
        )
    assert rate(amara, north_day, 8).rating == 8


def test_only_once_the_session_has_ended(amara, cohort, closing):
    under_way = session_on(cohort, TODAY, title="Today", start=T(9, 30))
    for session in (closing, under_way):
        assert refusal(lambda s=session: rate(amara, s, 8)).message == (
            "That session has not ended yet. Rate it once it is over."
        )


@pytest.mark.parametrize(
    ("mark", "allowed"),
    [
        (Attendance.Status.PRESENT, True),
        (Attendance.Status.LATE, True),
        (None, True),
        (Attendance.Status.ABSENT, False),
        (Attendance.Status.AUTHORISED_ABSENCE, False),
    ],
)
def test_not_a_session_the_register_shows_they_missed(amara, launch, mark, allowed):
    if mark:
        Attendance.objects.create(enrolment=amara, session=launch, status=mark, marked_at=NOW)
    if allowed:
        assert rate(amara, launch, 6).rating == 6
    else:
        assert refusal(lambda: rate(amara, launch, 6)).message == (
            "The register shows you were not at this session, so you cannot rate it. If that is wrong, ask your "
            "facilitator to correct the register."
        )


@pytest.mark.parametrize("rating", [11, -1, True, "7", 7.5, None])
def test_a_rating_is_a_whole_number_from_0_to_10(amara, launch, rating):
    error = refusal(lambda: rate(amara, launch, rating))
    assert (error.field, error.message) == (
        "rating",
        "Choose a rating from 0 (not at all good) to 10 (excellent).",
    )


@pytest.mark.parametrize("rating", [0, 10])
def test_0_and_10_are_ratings(amara, launch, rating):
    assert rate(amara, launch, rating).rating == rating


def test_a_comment_is_kept_short_enough_to_read(amara, launch):
    error = refusal(lambda: rate(amara, launch, 5, "x" * 2001))
    assert (error.field, error.message) == (
        "comment",
        "Write your comment in 2000 characters or fewer (you wrote 2001).",
    )


def test_an_applicant_has_nothing_to_rate_but_a_withdrawn_participant_may(amara, launch):
    Enrolment.objects.filter(pk=amara.pk).update(status=S.APPLIED)
    assert "not been confirmed" in refusal(lambda: rate(amara, launch, 5)).message
    Enrolment.objects.filter(pk=amara.pk).update(status=S.WITHDRAWN)
    assert rate(amara, launch, 5).rating == 5


# Rating the programme -------------------------------------------------------------------------------


def rate_programme(enrolment, rating, comment=""):
    return feedback.feedback_rate_programme(
        by=enrolment.participant.user, enrolment=enrolment, rating=rating, comment=comment
    )


def test_the_programme_is_rated_once_its_last_session_has_ended(amara, launch, closing):
    assert refusal(lambda: rate_programme(amara, 8)).message == (
        "You can rate the programme once its last session has ended, on 4 July 2023 at 18:00."
    )
    with time_machine.travel(local_datetime(D(2023, 7, 4), T(18, 0)), tick=False):
        rate_programme(amara, 8, "Changed how I lead")
        rate_programme(amara, 9)
    row = FeedbackRating.objects.get()
    assert (row.session, row.rating, row.comment) == (None, 9, "")


def test_a_place_that_has_passed_or_failed_rates_the_programme_at_once(amara, closing):
    Enrolment.objects.filter(pk=amara.pk).update(status=S.FAILED)
    assert rate_programme(amara, 4).rating == 4


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (S.DEFERRED, "Your place is deferred. You can rate the programme once you have finished it."),
        (S.WITHDRAWN, "You withdrew from the programme, so you cannot rate the whole of it."),
        (S.APPLIED, "Your place has not been confirmed yet, so there is no programme to rate."),
    ],
)
def test_places_that_did_not_finish_do_not_rate_the_programme(amara, launch, status, message):
    Enrolment.objects.filter(pk=amara.pk).update(status=status)
    assert refusal(lambda: rate_programme(amara, 8)).message == message


def test_a_cohort_without_sessions_cannot_be_rated_yet(amara):
    assert (
        "No sessions are timetabled for your cohort yet" in refusal(lambda: rate_programme(amara, 8)).message
    )


def test_only_the_participant_rates_their_programme(amara, admin):
    Enrolment.objects.filter(pk=amara.pk).update(status=S.COMPLETED)
    with pytest.raises(PermissionDenied):
        feedback.feedback_rate_programme(by=admin, enrolment=amara, rating=8)


# Results ------------------------------------------------------------------------------------------------


def test_results_are_hidden_until_3_people_have_rated():
    assert selectors.results_of([(9, "Brilliant"), (2, "Dull")]) == selectors.Results(shown=False)


def test_results_give_count_mean_spread_and_comments_in_an_order_that_says_nothing():
    results = selectors.results_of(
        [(7, "Zany but useful"), (8, ""), (10, "  "), (6, "a bit long"), (10, "Best yet")]
    )
    assert (results.count, results.mean) == (5, Decimal("8.20"))
    assert dict(results.distribution) == {0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1, 7: 1, 8: 1, 9: 0, 10: 2}
    assert results.comments == ("a bit long", "Best yet", "Zany but useful")


def test_the_mean_is_rounded_half_up_to_two_decimals():
    # 61 / 8 = 7.625: half up gives 7.63 (rounding half to even would give 7.62).
    ratings = [(10, ""), (10, ""), (10, ""), (10, ""), (10, ""), (10, ""), (1, ""), (0, "")]
    assert selectors.results_of(ratings).mean == Decimal("7.63")


def test_who_sees_a_sessions_results(launch, north_day, fay, gus, hal, admin, provider):
    assert selectors.feedback_session(user=fay, pk=launch.pk) == launch  # its facilitator
    assert selectors.feedback_session(user=gus, pk=north_day.pk) == north_day  # its group's facilitator
    for user, session in ((hal, launch), (fay, north_day), (gus, launch)):
        with pytest.raises(Http404):
            selectors.feedback_session(user=user, pk=session.pk)
    staff = person(Role.PLATFORM_STAFF)
    for user in (admin, staff):
        assert selectors.feedback_session(user=user, pk=north_day.pk) == north_day
    with pytest.raises(Http404):
        selectors.feedback_session(user=person(Role.PROVIDER_ADMIN, ProviderFactory()), pk=launch.pk)
    for role in (Role.COACH, Role.ASSESSOR, Role.PARTICIPANT):
        with pytest.raises(PermissionDenied):
            selectors.feedback_session(user=person(role, provider), pk=launch.pk)


def test_a_facilitator_who_leaves_the_provider_no_longer_sees_results(launch, fay):
    fay.memberships.all().delete()
    with pytest.raises(PermissionDenied):
        selectors.feedback_session(user=fay, pk=launch.pk)


# Pages: results -----------------------------------------------------------------------------------------


def everyone_rates(people, session, ratings):
    for key, rating, comment in ratings:
        rate(people[key], session, rating, comment)


def test_the_results_page_shows_results_and_never_who_said_what(client, people, launch, fay):
    everyone_rates(
        people,
        launch,
        [
            ("amara", 9, "Amara here: loved it"),
            ("bea", 6, "Too long"),
            ("cy", 8, ""),
            ("dee", 10, "Inspiring"),
        ],
    )
    client.force_login(fay)
    response = client.get(reverse("session_feedback", args=[launch.pk]))
    page = Page(response)
    assert_accessible(page)
    assert "People who rated it 4" in page.text and "Average rating 8.25 out of 10" in page.text
    assert page.row("9") == ["9", "1"] and page.row("7") == ["7", "0"]
    comments = [
        text for _, text in page.all("li") if text in ("Amara here: loved it", "Inspiring", "Too long")
    ]
    assert comments == ["Amara here: loved it", "Inspiring", "Too long"]
    body = response.content.decode()
    for enrolment in people.values():
        user = enrolment.participant.user
        assert user.full_name not in body and user.email not in body


def test_fewer_than_3_ratings_show_nothing_but_why(client, people, launch, admin):
    everyone_rates(people, launch, [("amara", 2, "Secret grumble"), ("bea", 9, "")])
    client.force_login(admin)
    page = Page(client.get(reverse("session_feedback", args=[launch.pk])))
    assert "Results appear once 3 people have rated it, so that nobody can be identified." in page.text
    for hidden in ("Secret grumble", "Average", "People who rated it"):
        assert hidden not in page.text


def test_the_session_page_links_to_its_feedback_for_those_who_may_see_it(
    client, launch, fay, admin, provider
):
    url = reverse("session_feedback", args=[launch.pk])
    for user in (fay, admin):
        client.force_login(user)
        page = Page(client.get(reverse("session_detail", args=[launch.pk])))
        assert ("Feedback from participants" in [text for _, text in page.all("a")]) and url in page.hrefs()
    client.force_login(person(Role.COACH, provider))
    page = Page(client.get(reverse("session_detail", args=[launch.pk])))
    assert url not in page.hrefs()
    assert client.get(url).status_code == 403


def test_the_cohort_summary_for_an_admin(client, people, launch, north_day, south_day, admin, cohort):
    everyone_rates(people, launch, [("amara", 6, ""), ("bea", 7, ""), ("cy", 8, "")])
    everyone_rates(people, north_day, [("amara", 1, ""), ("bea", 2, "")])  # too few to show
    for key, rating in (("amara", 9), ("bea", 10), ("cy", 8), ("dee", 9)):
        FeedbackRating.objects.create(
            enrolment=people[key], rating=rating, comment=f"Programme {key}", rated_at=NOW
        )
    client.force_login(admin)
    page = Page(client.get(reverse("cohort_feedback", args=[cohort.pk])))
    assert_accessible(page)
    assert page.row("16 January 2023")[2:] == ["3", "7.00"]
    assert page.row("7 March 2023")[2:] == ["Fewer than 3"]
    assert page.row("8 March 2023")[2:] == ["Fewer than 3"]
    # (6 + 7 + 8 + 9 + 10 + 8 + 9) / 7: the hidden session's ratings are left out.
    assert "Average of all the ratings shown: 8.14 out of 10 (7 ratings)." in page.text
    assert "The programme as a whole" in page.text and "Average rating 9.00 out of 10" in page.text
    assert "Programme amara" in page.text
    for enrolment in people.values():
        assert enrolment.participant.user.full_name not in page.text


def test_a_facilitator_sees_only_their_sessions_and_not_the_programme(
    client, people, launch, north_day, fay, cohort
):
    everyone_rates(people, launch, [("amara", 6, ""), ("bea", 7, ""), ("cy", 8, "")])
    client.force_login(fay)
    page = Page(client.get(reverse("cohort_feedback", args=[cohort.pk])))
    titles = [row[1] for row in page.rows[1:]]
    assert titles == ["Launch day Whole cohort, Fay Facilitator"]
    assert "The programme as a whole" not in page.text
    assert "Average of all the ratings shown: 7.00 out of 10 (3 ratings)." in page.text


def test_the_cohort_summary_is_for_staff_who_see_feedback(client, cohort, provider):
    for role in (Role.COACH, Role.PARTICIPANT, Role.ASSESSOR):
        client.force_login(person(role, provider))
        assert client.get(reverse("cohort_feedback", args=[cohort.pk])).status_code == 403
    client.force_login(person(Role.PROVIDER_ADMIN, ProviderFactory()))
    assert client.get(reverse("cohort_feedback", args=[cohort.pk])).status_code == 404


@pytest.mark.parametrize("n", [5, 40])
def test_results_pages_query_counts_are_pinned(client, cohort, admin, launch, django_assert_num_queries, n):
    places = [EnrolmentFactory(cohort=cohort) for _ in range(n)]
    sessions = [
        session_on(cohort, D(2023, 2, 1) + datetime.timedelta(days=i), title=f"Day {i}") for i in range(n)
    ]
    FeedbackRating.objects.bulk_create(
        FeedbackRating(enrolment=p, session=s, rating=(i + j) % 11, comment=f"Comment {i}", rated_at=NOW)
        for i, p in enumerate(places)
        for j, s in enumerate([launch, *sessions[:3]])
    )
    FeedbackRating.objects.bulk_create(FeedbackRating(enrolment=p, rating=8, rated_at=NOW) for p in places)
    client.force_login(admin)
    # Session, user, roles (1), second factor; the session; its ratings.
    with django_assert_num_queries(6):
        page = Page(client.get(reverse("session_feedback", args=[launch.pk])))
    assert f"People who rated it {n}" in page.text
    # Session, user, roles (1), second factor; the cohort; its sessions with their counts; the programme's
    # ratings.
    with django_assert_num_queries(7):
        page = Page(client.get(reverse("cohort_feedback", args=[cohort.pk])))
    assert len(page.rows) == n + 2 + 11 + 1  # sessions and header; the programme's spread and header


# Pages: the participant's ratings -------------------------------------------------------------------


def test_the_participant_sees_their_sessions_to_rate_and_rates_one(
    client, amara, launch, north_day, south_day, closing
):
    client.force_login(amara.participant.user)
    url = reverse("my_feedback", args=[amara.pk])
    page = Page(client.get(url))
    assert_accessible(page)
    # Ended sessions of their own timetable, most recent first: not the South group's, not the one to come.
    assert [row[:2] for row in page.rows[1:]] == [
        ["7 March 2023", "North workshop Webinar, North"],
        ["16 January 2023", "Launch day Webinar"],
    ]
    assert "2 sessions waiting for your rating." in page.text
    rate_url = reverse("my_feedback_session", args=[amara.pk, launch.pk])
    assert rate_url in page.hrefs()

    form = Page(client.get(rate_url))
    assert_accessible(form)
    assert len(form.all("input", type="radio")) == 11
    response = client.post(rate_url, {"rating": "8", "comment": "Good pace"})
    assert response.url == url
    page = Page(client.get(url))
    assert "Thank you. Your rating of Launch day is saved." in page.text
    assert page.rows[2][2].startswith("8 out of 10.")
    assert "1 session waiting for your rating." in page.text
    # Changing it shows the earlier rating, and replaces it.
    form = Page(client.get(rate_url))
    assert "You rated it 8 out of 10 on 6 June 2023. A new rating replaces it." in form.text
    assert form.value_of("id_comment") == "Good pace"
    client.post(rate_url, {"rating": "10", "comment": ""})
    assert FeedbackRating.objects.get().rating == 10


def test_a_rating_is_needed_to_save(client, amara, launch):
    client.force_login(amara.participant.user)
    page = Page(client.post(reverse("my_feedback_session", args=[amara.pk, launch.pk]), {"comment": "Hmm"}))
    assert "Choose a rating from 0 to 10." in page.text
    assert not FeedbackRating.objects.exists()


def test_a_session_they_missed_is_shown_but_not_for_rating(client, amara, launch):
    Attendance.objects.create(enrolment=amara, session=launch, status=Attendance.Status.ABSENT, marked_at=NOW)
    client.force_login(amara.participant.user)
    page = Page(client.get(reverse("my_feedback", args=[amara.pk])))
    assert page.rows[1][2] == "The register shows you were not there"
    response = client.post(reverse("my_feedback_session", args=[amara.pk, launch.pk]), {"rating": "3"})
    assert "The register shows you were not at this session" in Page(response).text
    assert not FeedbackRating.objects.exists()


def test_nobody_else_rates_for_a_participant_or_a_session_off_their_timetable(
    client, amara, launch, south_day, admin, cohort
):
    client.force_login(amara.participant.user)
    assert client.get(reverse("my_feedback_session", args=[amara.pk, south_day.pk])).status_code == 404
    for user in (admin, place(cohort, "Someone Else").participant.user):
        client.force_login(user)
        for url in (
            reverse("my_feedback", args=[amara.pk]),
            reverse("my_feedback_session", args=[amara.pk, launch.pk]),
            reverse("my_feedback_programme", args=[amara.pk]),
        ):
            assert client.get(url).status_code == 404
            assert client.post(url, {"rating": "0"}).status_code == 404
    assert not FeedbackRating.objects.exists()


def test_the_programme_is_rated_from_the_feedback_page_once_it_is_over(client, amara, launch, closing):
    client.force_login(amara.participant.user)
    url = reverse("my_feedback", args=[amara.pk])
    programme_url = reverse("my_feedback_programme", args=[amara.pk])
    page = Page(client.get(url))
    assert "You can rate the programme once its last session has ended, on 4 July 2023 at 18:00." in page.text
    assert programme_url not in page.hrefs()
    assert not Page(client.get(programme_url)).all("input", type="radio")
    with time_machine.travel(local_datetime(D(2023, 7, 5), T(9, 0)), tick=False):
        client.force_login(amara.participant.user)  # a month on, the earlier sign-in has expired
        page = Page(client.get(url))
        assert programme_url in page.hrefs()
        response = client.post(programme_url, {"rating": "9", "comment": "Worth it"})
        assert response.url == url
        assert "You rated NPQEL Spring 9 out of 10." in Page(client.get(url)).text
    assert FeedbackRating.objects.get(session__isnull=True).comment == "Worth it"


@pytest.mark.parametrize("n", [5, 40])
def test_the_participants_feedback_page_query_count_is_pinned(
    client, amara, cohort, django_assert_num_queries, n
):
    sessions = [
        session_on(cohort, D(2023, 2, 1) + datetime.timedelta(days=i), title=f"Day {i}") for i in range(n)
    ]
    for session in sessions[::2]:
        rate(amara, session, 7)
    for session in sessions[1::3]:
        Attendance.objects.create(
            enrolment=amara, session=session, status=Attendance.Status.PRESENT, marked_at=NOW
        )
    client.force_login(amara.participant.user)
    # Session, user, roles (1); the place; its ended sessions, their ratings and marks; the programme's rating;
    # the last session's end.
    with django_assert_num_queries(9):
        page = Page(client.get(reverse("my_feedback", args=[amara.pk])))
    assert len(page.rows) == n + 1
