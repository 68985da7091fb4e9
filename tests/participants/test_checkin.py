"""Self check-in (issue 5): a facilitator shows a short code (or QR code) valid only while the session runs; a
participant expected at the session who enters it is marked present on the register, audited like any mark."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from npqel.access import Role
from npqel.errors import DomainError
from participants import services
from participants.models import Attendance, AttendanceChange, CheckInCode, EngagementQueue, Enrolment
from participants.services import checkin
from participants.services.checkin import CHECK_IN_OPENS_BEFORE, CODE_ALPHABET, CODE_LENGTH, WRONG_CODE
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, DeliveryGroupFactory, ProgrammeFactory, SessionFactory
from tests.programmes.test_design_pages import Page, assert_accessible

pytestmark = pytest.mark.django_db
S = Enrolment.Status
A = Attendance.Status
D = datetime.date
T = datetime.time
# 16:00 to 18:00 London time on a June day (summer time: 15:00 to 17:00 UTC). Check-in runs 15:45 to 18:00.
SESSION_DAY = D(2023, 6, 6)


def at(hour: int, minute: int = 0, second: int = 0):
    """Travel to hour:minute:second London time on the session's day."""
    return time_machine.travel(local_datetime(SESSION_DAY, T(hour, minute, second)), tick=False)


@pytest.fixture
def cohort(provider):
    programme = ProgrammeFactory(provider=provider, name="NPQEL")
    return CohortFactory(
        programme=programme, code="2023-spring", start_date=D(2023, 1, 9), end_date=D(2024, 7, 31)
    )


@pytest.fixture
def north(cohort):
    return DeliveryGroupFactory(cohort=cohort, name="North")


def session_for(cohort, *, group=None, title="Day 2"):
    starts = local_datetime(SESSION_DAY, T(16))
    return SessionFactory(
        cohort=cohort,
        group=group,
        title=title,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
    )


@pytest.fixture
def session(cohort):
    return session_for(cohort)


def place(cohort, name: str, **fields) -> Enrolment:
    return EnrolmentFactory(
        cohort=cohort,
        participant__user__full_name=name,
        participant__user__email=name.lower().replace(" ", ".") + "@school.example",
        **fields,
    )


@pytest.fixture
def people(cohort, north):
    return {
        "ada": place(cohort, "Ada Lovelace", group=north),
        "bea": place(cohort, "Bea Brown", status=S.ACCEPTED),
        "cy": place(cohort, "Cy Young", group=north),
    }


@pytest.fixture
def facilitator(provider):
    user = person(Role.FACILITATOR, provider)
    user.full_name = "Fay Facilitator"
    user.save()
    return user


def opened(session, facilitator, hour=16, minute=5) -> str:
    with at(hour, minute):
        return checkin.check_in_open(by=facilitator, session=session).code


def user_of(enrolment: Enrolment):
    return enrolment.participant.user


# Opening and closing -----------------------------------------------------------------------------------


def test_opening_gives_a_six_character_code_anyone_can_read_and_reopening_keeps_it(
    session, facilitator, provider
):
    code = opened(session, facilitator)
    assert len(code) == CODE_LENGTH == 6
    assert set(code) <= set(CODE_ALPHABET)
    assert not set(code) & set("0O1I")
    admin = person(Role.PROVIDER_ADMIN, provider)
    with at(16, 30):
        again = checkin.check_in_open(by=admin, session=session)
    assert again.code == code and again.opened_by == facilitator
    assert again.opened_at == local_datetime(SESSION_DAY, T(16, 5))
    assert CheckInCode.objects.count() == 1


def test_codes_are_not_predictable(cohort, facilitator):
    codes = {opened(session_for(cohort, title=f"Day {i}"), facilitator) for i in range(20)}
    assert len(codes) == 20


def test_check_in_can_be_opened_from_15_minutes_before_the_start_until_the_session_ends(session, facilitator):
    assert CHECK_IN_OPENS_BEFORE == datetime.timedelta(minutes=15)
    with at(15, 44, 59), pytest.raises(DomainError) as early:
        checkin.check_in_open(by=facilitator, session=session)
    assert early.value.message == (
        "Check-in opens 15 minutes before the session starts, at 15:45 on Tuesday 6 June. Open it then."
    )
    with at(18, 0), pytest.raises(DomainError) as late:
        checkin.check_in_open(by=facilitator, session=session)
    assert late.value.message.startswith("Check-in for this session has closed: Day 2 ended at 18:00")
    assert "Take the register" in late.value.message
    assert not CheckInCode.objects.exists()
    with at(15, 45):
        assert checkin.check_in_open(by=facilitator, session=session)
    checkin.check_in_close(by=facilitator, session=session)
    with at(17, 59, 59):
        assert checkin.check_in_open(by=facilitator, session=session)


@pytest.mark.parametrize(
    "role", [Role.PLATFORM_STAFF, Role.COACH, Role.ASSESSOR, Role.PARTICIPANT, Role.MODERATOR]
)
def test_only_those_who_take_the_register_open_or_close_check_in(session, facilitator, provider, role):
    someone = person(role, provider)
    with at(16, 5), pytest.raises(PermissionDenied):
        checkin.check_in_open(by=someone, session=session)
    opened(session, facilitator)
    with at(16, 6), pytest.raises(PermissionDenied):
        checkin.check_in_close(by=someone, session=session)
    assert CheckInCode.objects.filter(session=session).exists()


def test_another_providers_facilitator_cannot_open_check_in(session, other_provider):
    with at(16, 5), pytest.raises(PermissionDenied):
        checkin.check_in_open(by=person(Role.FACILITATOR, other_provider), session=session)


def test_closing_stops_the_code_and_reopening_gives_a_new_one(session, people, facilitator):
    code = opened(session, facilitator)
    with at(16, 10):
        assert checkin.check_in_close(by=facilitator, session=session) is True
        assert checkin.check_in_close(by=facilitator, session=session) is False
        with pytest.raises(DomainError) as error:
            checkin.check_in(by=user_of(people["ada"]), code=code)
    # Nobody is expected at a session with no code: the closed code is simply not right any more.
    assert error.value.message == WRONG_CODE
    assert not Attendance.objects.exists()
    assert opened(session, facilitator, minute=20) != code


# Checking in -------------------------------------------------------------------------------------------


def test_a_participant_checks_in_and_is_marked_present_audited_with_them_as_marker(
    session, people, facilitator
):
    code = opened(session, facilitator)
    ada = people["ada"]
    with at(16, 12):
        done = checkin.check_in(by=user_of(ada), code=code)
    assert done.session == session and done.before is None and done.changed
    mark = Attendance.objects.get(session=session)
    assert (mark.enrolment, mark.status, mark.marked_by) == (ada, A.PRESENT, user_of(ada))
    assert mark.marked_at == local_datetime(SESSION_DAY, T(16, 12))
    audit = AttendanceChange.objects.get(attendance=mark)
    assert (audit.from_status, audit.to_status, audit.changed_by) == ("", A.PRESENT, user_of(ada))
    # Attendance feeds engagement: the cohort is queued for recomputing.
    assert EngagementQueue.objects.filter(cohort=session.cohort).exists()


@pytest.mark.parametrize("typed", ["{c}", "{lower}", " {c} ", "{a} {b}", "{a}-{b}", "{a}\u2013{b}", " {sp} "])
def test_the_code_may_be_typed_in_small_letters_with_spaces_or_hyphens(session, people, facilitator, typed):
    code = opened(session, facilitator)
    entered = typed.format(c=code, lower=code.lower(), a=code[:3], b=code[3:], sp=" ".join(code))
    with at(16, 12):
        checkin.check_in(by=user_of(people["ada"]), code=entered)
    assert Attendance.objects.get(session=session).status == A.PRESENT


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the code shown on the screen."),
        ("  - ", "Enter the code shown on the screen."),
        ("ABC23", WRONG_CODE + " It has 6 letters and numbers."),
        ("ABC2345", WRONG_CODE + " It has 6 letters and numbers."),
        ("ABCD0O", WRONG_CODE + " It has 6 letters and numbers."),
        ("ZZZZZZ", WRONG_CODE),
    ],
)
def test_a_wrong_code_says_so_and_marks_nobody(session, people, facilitator, typed, message):
    opened(session, facilitator)
    CheckInCode.objects.filter(session=session).update(code="ABC234")
    with at(16, 12), pytest.raises(DomainError) as error:
        checkin.check_in(by=user_of(people["ada"]), code=typed)
    assert error.value.message == message and error.value.field == "code"
    assert not Attendance.objects.exists()


def test_checking_in_twice_changes_nothing(session, people, facilitator):
    code = opened(session, facilitator)
    ada = user_of(people["ada"])
    with at(16, 12):
        checkin.check_in(by=ada, code=code)
    with at(16, 13):
        again = checkin.check_in(by=ada, code=code)
    assert again.before == A.PRESENT and not again.changed
    assert Attendance.objects.get().marked_at == local_datetime(SESSION_DAY, T(16, 12))
    assert AttendanceChange.objects.count() == 1


def test_someone_the_facilitator_marked_late_stays_late(session, people, facilitator):
    code = opened(session, facilitator)
    with at(16, 20):
        services.register_save(by=facilitator, session=session, marks={people["ada"].pk: A.LATE})
        done = checkin.check_in(by=user_of(people["ada"]), code=code)
    assert done.before == A.LATE and not done.changed
    assert Attendance.objects.get().status == A.LATE and AttendanceChange.objects.count() == 1


@pytest.mark.parametrize("status", [A.ABSENT, A.AUTHORISED_ABSENCE])
def test_someone_marked_absent_who_checks_in_is_changed_to_present_audited(
    session, people, facilitator, status
):
    code = opened(session, facilitator)
    ada = people["ada"]
    with at(16, 5):
        services.register_save(by=facilitator, session=session, marks={ada.pk: status})
    with at(16, 25):
        done = checkin.check_in(by=user_of(ada), code=code)
    assert done.before == status and done.changed
    mark = Attendance.objects.get()
    assert (mark.status, mark.marked_by, mark.updated_by) == (A.PRESENT, facilitator, user_of(ada))
    assert mark.updated_at == local_datetime(SESSION_DAY, T(16, 25))
    history = [(c.from_status, c.to_status, c.changed_by) for c in mark.changes.order_by("pk")]
    assert history == [("", status, facilitator), (status, A.PRESENT, user_of(ada))]


def test_the_code_works_from_15_minutes_before_the_start_until_the_session_ends(session, people, facilitator):
    code = opened(session, facilitator, hour=15, minute=45)
    ada, cy = user_of(people["ada"]), user_of(people["cy"])
    with at(15, 45):
        checkin.check_in(by=ada, code=code)
    with at(17, 59, 59):
        checkin.check_in(by=cy, code=code)
    with at(18, 0), pytest.raises(DomainError) as error:
        checkin.check_in(by=user_of(people["bea"]), code=code)
    assert error.value.message.startswith("Check-in for this session has closed")
    assert "ask the facilitator to mark you on the register" in error.value.message
    assert Attendance.objects.count() == 2


def test_a_session_moved_later_after_check_in_opened_does_not_take_check_ins_before_its_new_time(
    session, people, facilitator
):
    code = opened(session, facilitator)
    session.starts_at += datetime.timedelta(hours=3)
    session.ends_at += datetime.timedelta(hours=3)
    session.save()
    with at(16, 30), pytest.raises(DomainError) as error:
        checkin.check_in(by=user_of(people["ada"]), code=code)
    assert error.value.message == (
        "Check-in for Day 2 at 19:00 on Tuesday 6 June has not opened yet: it opens at 18:45 on Tuesday 6 June. "
        "Try again then."
    )


def test_only_places_expected_at_the_session_can_check_in(cohort, north, facilitator, other_provider):
    session = session_for(cohort, group=north)
    code = opened(session, facilitator)
    south = place(cohort, "Sam South", group=DeliveryGroupFactory(cohort=cohort, name="South"))
    deferred = place(cohort, "Dee Ferred", group=north, status=S.DEFERRED)
    elsewhere = place(CohortFactory(programme=ProgrammeFactory(provider=other_provider)), "Otto Elsewhere")
    with at(16, 12):
        with pytest.raises(DomainError) as wrong_group:
            checkin.check_in(by=user_of(south), code=code)
        with pytest.raises(DomainError) as not_active:
            checkin.check_in(by=user_of(deferred), code=code)
        with pytest.raises(DomainError) as stranger:
            checkin.check_in(by=user_of(elsewhere), code=code)
    assert wrong_group.value.message.startswith(
        "You are not expected at Day 2 at 16:00 on Tuesday 6 June, so you cannot check in to it: "
        "it is for group North only."
    )
    assert "your place is deferred (only accepted or active places are expected)" in not_active.value.message
    # Somebody else's session is never named.
    assert "Day 2" not in stranger.value.message
    assert stranger.value.message.startswith("That code is for a session you are not expected at.")
    assert not Attendance.objects.exists()


def test_a_code_shared_by_two_running_sessions_checks_in_to_the_one_the_participant_is_expected_at(
    cohort, north, facilitator
):
    south = DeliveryGroupFactory(cohort=cohort, name="South")
    at_north, at_south = (
        session_for(cohort, group=north),
        session_for(cohort, group=south, title="Day 2 South"),
    )
    with at(16, 5):
        CheckInCode.objects.create(
            session=at_north, code="ABC234", opened_at=local_datetime(SESSION_DAY, T(16))
        )
        CheckInCode.objects.create(
            session=at_south, code="ABC234", opened_at=local_datetime(SESSION_DAY, T(16))
        )
    sam = place(cohort, "Sam South", group=south)
    with at(16, 12):
        done = checkin.check_in(by=user_of(sam), code="abc 234")
    assert done.session == at_south
    assert Attendance.objects.get().session == at_south


def test_checking_in_locks_the_session_as_the_register_does(session, people, facilitator):
    code = opened(session, facilitator)
    with at(16, 12), CaptureQueriesContext(connection) as queries:
        checkin.check_in(by=user_of(people["ada"]), code=code)
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1 and 'FROM "programmes_session"' in locks[0]
    # The lock comes before the mark is read or written, so a register saved at the same moment waits.
    sql = [q["sql"] for q in queries]
    first_mark = next(i for i, s in enumerate(sql) if "participants_attendance" in s)
    assert sql.index(locks[0]) < first_mark


# The facilitator's page ---------------------------------------------------------------------------------


def test_the_session_page_and_the_register_link_to_check_in(client, session, people, facilitator, provider):
    client.force_login(facilitator)
    url = reverse("session_check_in", args=[session.pk])
    for page in ("session_detail", "session_register"):
        with at(16, 5):
            body = client.get(reverse(page, args=[session.pk])).content.decode()
        assert f'href="{url}">Show a check-in code</a>' in body
    client.force_login(person(Role.COACH, provider))
    assert (
        "Show a check-in code"
        not in client.get(reverse("session_detail", args=[session.pk])).content.decode()
    )


def test_before_the_window_the_page_says_when_check_in_opens(client, session, facilitator):
    client.force_login(facilitator)
    with at(9, 0):
        page = Page(client.get(reverse("session_check_in", args=[session.pk])))
    assert "Check-in opens at 15:45 on Tuesday 6 June, 15 minutes before the session starts." in page.text
    assert "Open check-in and show the code" not in page.text
    assert_accessible(page)


def test_the_facilitator_opens_check_in_and_shows_the_code_with_a_qr_code_and_who_has_checked_in(
    client, session, people, facilitator
):
    client.force_login(facilitator)
    url = reverse("session_check_in", args=[session.pk])
    with at(16, 2):
        page = Page(client.get(url))
        assert "Open check-in and show the code" in page.text
        response = client.post(url)
    assert response.status_code == 302 and response.url == url
    code = CheckInCode.objects.get(session=session).code
    with at(16, 12):
        checkin.check_in(by=user_of(people["ada"]), code=code)
        services.register_save(by=facilitator, session=session, marks={people["bea"].pk: A.LATE})
        response = client.get(url)
    page = Page(response)
    body = response.content.decode()
    assert page.text.count(f"{code[:3]} {code[3:]}") == 1
    assert f"http://testserver/check-in/?code={code}" in page.text
    assert f'<svg role="img" aria-label="QR code: scan it to check in with code {code}"' in body
    assert "1 of 3 people expected" in page.text and "2 of 3 marked" in page.text
    assert "Close check-in" in page.text
    assert_accessible(page)


def test_reopening_on_the_page_keeps_the_code(client, session, facilitator):
    code = opened(session, facilitator)
    client.force_login(facilitator)
    with at(16, 30):
        client.post(reverse("session_check_in", args=[session.pk]))
    assert CheckInCode.objects.get(session=session).code == code


def test_opening_outside_the_window_explains_why(client, session, facilitator):
    client.force_login(facilitator)
    with at(18, 30):
        response = client.post(reverse("session_check_in", args=[session.pk]), follow=True)
    body = response.content.decode()
    assert "Check-in for this session has closed: Day 2 ended at 18:00 on Tuesday 6 June." in body
    assert "This session has ended, so check-in is closed." in body
    assert not CheckInCode.objects.exists()


def test_closing_on_the_page(client, session, facilitator):
    opened(session, facilitator)
    client.force_login(facilitator)
    close = reverse("session_check_in_close", args=[session.pk])
    with at(16, 30):
        response = client.post(close, follow=True)
        assert (
            "Check-in closed: the code no longer works. Marks already made stay." in response.content.decode()
        )
        assert "Open check-in and show the code" in response.content.decode()
        assert "Check-in was already closed." in client.post(close, follow=True).content.decode()
        assert client.get(close).status_code == 405
    assert not CheckInCode.objects.exists()


def test_an_open_code_is_not_shown_after_the_session_ends(client, session, facilitator):
    code = opened(session, facilitator)
    client.force_login(facilitator)
    with at(18, 0):
        page = Page(client.get(reverse("session_check_in", args=[session.pk])))
    assert f"{code[:3]} {code[3:]}" not in page.text and "This session has ended" in page.text


@pytest.mark.parametrize("role", [Role.COACH, Role.PLATFORM_STAFF, Role.PARTICIPANT, Role.ASSESSOR])
def test_roles_that_never_take_registers_cannot_run_check_in(client, session, provider, role):
    client.force_login(person(role, provider))
    with at(16, 5):
        assert client.get(reverse("session_check_in", args=[session.pk])).status_code == 403
        assert client.post(reverse("session_check_in", args=[session.pk])).status_code == 403
        assert client.post(reverse("session_check_in_close", args=[session.pk])).status_code == 403
    assert not CheckInCode.objects.exists()


def test_another_providers_session_is_not_found(client, session, facilitator, other_provider):
    opened(session, facilitator)
    client.force_login(person(Role.FACILITATOR, other_provider))
    with at(16, 5):
        assert client.get(reverse("session_check_in", args=[session.pk])).status_code == 404
        assert client.post(reverse("session_check_in", args=[session.pk])).status_code == 404
        assert client.post(reverse("session_check_in_close", args=[session.pk])).status_code == 404
    assert CheckInCode.objects.count() == 1


# The participant's pages ------------------------------------------------------------------------------------


def test_the_qr_address_fills_in_the_code_and_checking_in_shows_a_confirmation(
    client, session, people, facilitator
):
    code = opened(session, facilitator)
    client.force_login(user_of(people["ada"]))
    with at(16, 12):
        page = Page(client.get(reverse("check_in") + f"?code={code}"))
        assert_accessible(page)
        field = next(attrs for attrs, _ in page.all("input") if attrs.get("name") == "code")
        assert field["value"] == code
        response = client.post(reverse("check_in"), {"code": code})
    confirmation = Page(response)
    assert "You are checked in to Day 2 on Tuesday 6 June 2023" in confirmation.text
    assert "You are marked present on the register." in confirmation.text
    assert Attendance.objects.get().status == A.PRESENT
    with at(16, 13):
        again = Page(client.post(reverse("check_in"), {"code": code}))
    assert "You were already marked present: nothing has changed." in again.text


def test_a_participant_marked_absent_is_told_they_are_now_present(client, session, people, facilitator):
    code = opened(session, facilitator)
    with at(16, 5):
        services.register_save(by=facilitator, session=session, marks={people["ada"].pk: A.ABSENT})
    client.force_login(user_of(people["ada"]))
    with at(16, 20):
        page = Page(client.post(reverse("check_in"), {"code": code}))
    assert "You had been marked absent. You are now marked present" in page.text


def test_a_wrong_code_shows_what_to_do_and_keeps_what_was_typed(client, session, people, facilitator):
    opened(session, facilitator)
    client.force_login(user_of(people["ada"]))
    with at(16, 12):
        response = client.post(reverse("check_in"), {"code": "ZZZ ZZZ"})
    page = Page(response)
    assert "There is a problem" in page.text
    assert page.text.count(WRONG_CODE) == 2  # in the summary and beside the field
    assert 'value="ZZZ ZZZ"' in response.content.decode()
    assert response.content.decode().count("<title>Error: Check in to a session") == 1
    assert_accessible(page)
    with at(16, 12):
        empty = Page(client.post(reverse("check_in"), {"code": ""}))
    assert "Enter the code shown on the screen." in empty.text
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.PROVIDER_ADMIN, Role.COACH, Role.PLATFORM_STAFF])
def test_only_participants_check_in(client, session, facilitator, provider, role):
    code = opened(session, facilitator)
    client.force_login(person(role, provider))
    with at(16, 12):
        response = client.get(reverse("check_in"))
        assert response.status_code == 403
        assert "Only participants check in to sessions, with the code" in response.content.decode()
        assert client.post(reverse("check_in"), {"code": code}).status_code == 403
    assert not Attendance.objects.exists()


def test_the_participant_home_page_has_a_check_in_form(client, session, people, facilitator, cohort):
    code = opened(session, facilitator)
    client.force_login(user_of(people["ada"]))
    with at(16, 12):
        page = Page(client.get(reverse("home")))
    assert "Check in to a session" in page.text
    assert_accessible(page)
    forms = [attrs for attrs, _ in page.all("form") if attrs.get("action") == reverse("check_in")]
    assert len(forms) == 1 and forms[0]["method"] == "post"
    applicant = place(cohort, "App Lied", status=S.APPLIED)
    client.force_login(user_of(applicant))
    with at(16, 12):
        assert "Check in to a session" not in Page(client.get(reverse("home"))).text
    # The home page's form checks in like the check-in page.
    client.force_login(user_of(people["ada"]))
    with at(16, 12):
        page = Page(client.post(reverse("check_in"), {"code": code.lower()}))
    assert "You are checked in to Day 2" in page.text


# Query counts -------------------------------------------------------------------------------------------


def _cohort_with(provider, n: int, code: str):
    cohort = CohortFactory(programme=ProgrammeFactory(provider=provider), code=code)
    group = DeliveryGroupFactory(cohort=cohort)
    session = session_for(cohort)
    places = [place(cohort, f"Person {code} {i}", group=group) for i in range(n)]
    return session, places


@pytest.mark.parametrize("n", [10, 200])
def test_query_counts_are_pinned_and_flat(client, provider, facilitator, django_assert_num_queries, n):
    session, places = _cohort_with(provider, n, f"c{n}")
    code = opened(session, facilitator)
    with at(16, 6):
        for p in places[: n // 2]:
            checkin.check_in(by=user_of(p), code=code)
    client.force_login(facilitator)
    with at(16, 10):
        # Session, user, roles (1); the session and its original; the code; the counts.
        with django_assert_num_queries(6):
            response = client.get(reverse("session_check_in", args=[session.pk]))
        assert f"{n // 2} of {n} people expected" in response.content.decode()
    last = user_of(places[-1])
    client.force_login(last)
    with at(16, 11):
        # Session, user, roles (1); savepoint; codes; the place expected; lock; code still open; the mark
        # (read for the answer, and again by the register's own writer); insert mark, insert its history, insert
        # its audit-trail event, queue engagement; release savepoint.
        with django_assert_num_queries(15):
            response = client.post(reverse("check_in"), {"code": code})
    assert response.status_code == 200
    assert Attendance.objects.filter(session=session).count() == n // 2 + 1
