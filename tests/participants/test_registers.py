"""Session registers: the expected places marked present, late, absent or authorised absence in one save;
"mark everyone not yet marked as present" then the exceptions; who marked and changed each mark, and when,
kept and audited; only facilitators and admins of the provider take registers; the same number of queries
for 10 people as for 200."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from npqel.access import Role
from npqel.errors import DomainError
from participants import services
from participants.models import ATTENDED_STATUSES, Attendance, AttendanceChange, Enrolment
from programmes.timetable import local_datetime
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, DeliveryGroupFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status
A = Attendance.Status
D = datetime.date
T = datetime.time
# 16:00 in London on a June day is 15:00 UTC (summer time): pages must show London time.
SESSION_DAY = D(2023, 6, 6)
START = T(16, 0)


def at(hour: int, minute: int = 0):
    """Travel to hour:minute London time on the session's day."""
    return time_machine.travel(local_datetime(SESSION_DAY, T(hour, minute)), tick=False)


@pytest.fixture
def cohort(provider):
    programme = ProgrammeFactory(provider=provider, name="NPQEL")
    return CohortFactory(
        programme=programme, code="2023-spring", start_date=D(2023, 1, 9), end_date=D(2024, 7, 31)
    )


@pytest.fixture
def north(cohort):
    return DeliveryGroupFactory(cohort=cohort, name="North")


def session_for(cohort, *, group=None, day=SESSION_DAY, start=START):
    starts = local_datetime(day, start)
    return SessionFactory(
        cohort=cohort,
        group=group,
        title="Day 2",
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
    # Not the session's own facilitator: any facilitator of the provider may cover a session.
    user = person(Role.FACILITATOR, provider)
    user.full_name = "Fay Facilitator"
    user.save()
    return user


@pytest.fixture
def admin(provider):
    user = person(Role.PROVIDER_ADMIN, provider)
    user.full_name = "Al Admin"
    user.save()
    return user


# The service ----------------------------------------------------------------------------------------


def test_late_counts_as_attended_and_authorised_absence_does_not():
    assert {A.PRESENT, A.LATE} == ATTENDED_STATUSES


def test_first_marks_record_who_and_when_and_are_audited(session, people, facilitator):
    ada, bea, cy = people["ada"], people["bea"], people["cy"]
    with at(16, 5):
        changed = services.register_save(
            by=facilitator, session=session, marks={ada.pk: A.PRESENT, bea.pk: A.LATE, cy.pk: A.ABSENT}
        )
    assert changed == 3
    marks = {a.enrolment_id: a for a in Attendance.objects.filter(session=session)}
    assert {pk: a.status for pk, a in marks.items()} == {ada.pk: A.PRESENT, bea.pk: A.LATE, cy.pk: A.ABSENT}
    assert all(
        a.marked_by == facilitator and a.updated_by is None and a.updated_at is None for a in marks.values()
    )
    assert marks[ada.pk].marked_at == local_datetime(SESSION_DAY, T(16, 5))
    audit = AttendanceChange.objects.filter(attendance__session=session)
    assert sorted((c.from_status, c.to_status, c.changed_by_id) for c in audit) == sorted(
        [("", A.PRESENT, facilitator.pk), ("", A.LATE, facilitator.pk), ("", A.ABSENT, facilitator.pk)]
    )


def test_later_edits_keep_the_first_marker_and_are_audited_with_before_and_after(
    session, people, facilitator, admin
):
    ada, bea = people["ada"], people["bea"]
    with at(16, 5):
        services.register_save(by=facilitator, session=session, marks={ada.pk: A.PRESENT, bea.pk: A.ABSENT})
    with at(17, 30):
        # Bea's absence is now known to be authorised; Ada unchanged: one change.
        changed = services.register_save(
            by=admin, session=session, marks={ada.pk: A.PRESENT, bea.pk: A.AUTHORISED_ABSENCE}
        )
    assert changed == 1
    bea_mark = Attendance.objects.get(session=session, enrolment=bea)
    assert bea_mark.status == A.AUTHORISED_ABSENCE
    assert bea_mark.marked_by == facilitator and bea_mark.marked_at == local_datetime(SESSION_DAY, T(16, 5))
    assert bea_mark.updated_by == admin and bea_mark.updated_at == local_datetime(SESSION_DAY, T(17, 30))
    assert Attendance.objects.get(session=session, enrolment=ada).updated_by is None
    history = [(c.from_status, c.to_status, c.changed_by, c.changed_at) for c in bea_mark.changes.all()]
    assert history == [
        ("", A.ABSENT, facilitator, local_datetime(SESSION_DAY, T(16, 5))),
        (A.ABSENT, A.AUTHORISED_ABSENCE, admin, local_datetime(SESSION_DAY, T(17, 30))),
    ]


def test_only_expected_places_can_be_marked(cohort, north, facilitator, provider):
    session = session_for(cohort, group=north)
    member = place(cohort, "Ada Lovelace", group=north)
    refused = {
        "withdrawn": place(cohort, "Will Drawn", group=north, status=S.WITHDRAWN),
        "deferred": place(cohort, "Dee Ferred", group=north, status=S.DEFERRED),
        "applied": place(cohort, "App Lied", group=north, status=S.APPLIED),
        "other group": place(cohort, "Sam South", group=DeliveryGroupFactory(cohort=cohort, name="South")),
        "no group": place(cohort, "Nora Nogroup"),
    }
    elsewhere = place(CohortFactory(programme=cohort.programme, code="2024-autumn"), "Otto Elsewhere")
    for enrolment in [*refused.values(), elsewhere]:
        with at(16, 5), pytest.raises(DomainError) as error:
            services.register_save(
                by=facilitator, session=session, marks={member.pk: A.PRESENT, enrolment.pk: A.PRESENT}
            )
        if enrolment is elsewhere:
            # A place on another cohort is counted, never named.
            assert "Otto" not in error.value.message and "1 other place" in error.value.message
        else:
            assert enrolment.participant.user.full_name in error.value.message
        assert "Ada" not in error.value.message
    # All or nothing: not even the expected member was marked.
    assert not Attendance.objects.exists()
    with at(16, 5):
        assert services.register_save(by=facilitator, session=session, marks={member.pk: A.PRESENT}) == 1


def test_a_whole_cohort_session_expects_every_accepted_or_active_place_whatever_its_group(
    session, people, facilitator
):
    with at(16, 5):
        marked = services.register_mark_all_present(by=facilitator, session=session)
    assert marked == 3
    assert set(Attendance.objects.values_list("enrolment_id", flat=True)) == {p.pk for p in people.values()}


def test_an_unknown_status_is_refused(session, people, facilitator):
    with at(16, 5), pytest.raises(DomainError, match="present, late, absent or authorised absence"):
        services.register_save(by=facilitator, session=session, marks={people["ada"].pk: "excused"})
    assert not Attendance.objects.exists()


def test_a_register_opens_an_hour_before_the_session_starts(session, people, facilitator):
    marks = {people["ada"].pk: A.PRESENT}
    with at(14, 59), pytest.raises(DomainError, match="The session has not happened yet"):
        services.register_save(by=facilitator, session=session, marks=marks)
    with at(14, 59), pytest.raises(DomainError, match="The session has not happened yet"):
        services.register_mark_all_present(by=facilitator, session=session)
    assert not Attendance.objects.exists()
    with at(15, 0):
        assert services.register_save(by=facilitator, session=session, marks=marks) == 1


def test_mark_all_present_leaves_marks_already_made(session, people, facilitator, admin):
    ada, bea, cy = people["ada"], people["bea"], people["cy"]
    with at(16, 5):
        services.register_save(by=facilitator, session=session, marks={ada.pk: A.ABSENT})
        assert services.register_mark_all_present(by=admin, session=session) == 2
        assert services.register_mark_all_present(by=admin, session=session) == 0
    marks = {a.enrolment_id: (a.status, a.marked_by) for a in Attendance.objects.all()}
    assert marks == {ada.pk: (A.ABSENT, facilitator), bea.pk: (A.PRESENT, admin), cy.pk: (A.PRESENT, admin)}
    assert AttendanceChange.objects.count() == 3


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.FACILITATOR])
def test_facilitators_and_admins_of_the_provider_take_registers(session, people, provider, role):
    with at(16, 5):
        assert services.register_save(
            by=person(role, provider), session=session, marks={people["ada"].pk: A.LATE}
        )


@pytest.mark.parametrize(
    "role", [Role.PLATFORM_STAFF, Role.COACH, Role.ASSESSOR, Role.PARTICIPANT, Role.MODERATOR]
)
def test_other_roles_cannot_take_registers(session, people, provider, role):
    with at(16, 5), pytest.raises(PermissionDenied):
        services.register_save(
            by=person(role, provider), session=session, marks={people["ada"].pk: A.PRESENT}
        )
    with at(16, 5), pytest.raises(PermissionDenied):
        services.register_mark_all_present(by=person(role, provider), session=session)
    assert not Attendance.objects.exists()


def test_another_providers_facilitator_cannot_take_the_register(session, people, other_provider):
    with at(16, 5), pytest.raises(PermissionDenied):
        services.register_save(
            by=person(Role.FACILITATOR, other_provider), session=session, marks={people["ada"].pk: A.PRESENT}
        )


# The page -------------------------------------------------------------------------------------------


def test_the_register_page_lists_the_expected_people_in_name_order_with_their_marks(
    client, session, people, facilitator, admin
):
    place(session.cohort, "Will Drawn", status=S.WITHDRAWN)
    with at(16, 5):
        services.register_save(by=facilitator, session=session, marks={people["cy"].pk: A.ABSENT})
    with at(16, 20):
        services.register_save(by=admin, session=session, marks={people["cy"].pk: A.LATE})
    client.force_login(facilitator)
    with at(16, 30):
        page = client.get(reverse("session_register", args=[session.pk])).content.decode()
    assert page.index("Ada Lovelace") < page.index("Bea Brown") < page.index("Cy Young")
    assert "Will Drawn" not in page
    assert "Everyone on cohort 2023-spring whose place is accepted or active (3 people)" in page
    assert "Late counts as attended. Authorised absence does not count as attended" in page
    assert "Tuesday 6 June 2023, 16:00 to 18:00" in page
    # London time (15:05 UTC was 16:05 in summer).
    assert "Marked by Fay Facilitator at 16:05, changed by Al Admin at 16:20" in page
    assert f'name="mark-{people["cy"].pk}" type="radio" value="late" checked' in page
    assert "Attendance of Ada Lovelace" in page
    assert "1 of 3" in page and "2 people have no mark yet" in page
    assert "Mark everyone not yet marked as present" in page and "Save the register" in page


def test_a_group_session_names_its_group(client, cohort, north, people, facilitator):
    client.force_login(facilitator)
    with at(16, 30):
        page = client.get(
            reverse("session_register", args=[session_for(cohort, group=north).pk])
        ).content.decode()
    assert "Group North: its members whose place is accepted or active (2 people)" in page
    assert "Bea Brown" not in page


def test_saving_the_whole_register_in_one_post(client, session, people, facilitator):
    client.force_login(facilitator)
    url = reverse("session_register", args=[session.pk])
    ada, bea = people["ada"], people["bea"]
    with at(16, 5):
        response = client.post(url, {f"mark-{ada.pk}": A.PRESENT, f"mark-{bea.pk}": A.LATE}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Register saved: 2 changes." in response.content.decode()
    with at(16, 6):
        response = client.post(url, {f"mark-{ada.pk}": A.PRESENT, f"mark-{bea.pk}": A.LATE}, follow=True)
    assert "No changes to save." in response.content.decode()
    with at(16, 7):
        response = client.post(url, {f"mark-{ada.pk}": A.ABSENT, f"mark-{bea.pk}": A.LATE}, follow=True)
    assert "Register saved: 1 change." in response.content.decode()
    assert Attendance.objects.get(enrolment=ada).status == A.ABSENT


def test_mark_everyone_present_then_change_the_exceptions(client, session, people, facilitator):
    client.force_login(facilitator)
    with at(16, 5):
        response = client.post(reverse("session_register_all_present", args=[session.pk]), follow=True)
    page = response.content.decode()
    assert "3 people marked present. Change anyone who was late or absent, then save the register." in page
    assert "Mark everyone not yet marked as present" not in page
    assert Attendance.objects.filter(status=A.PRESENT).count() == 3
    with at(16, 6):
        response = client.post(reverse("session_register_all_present", args=[session.pk]), follow=True)
    assert "Everyone expected already has a mark." in response.content.decode()
    assert client.get(reverse("session_register_all_present", args=[session.pk])).status_code == 405


def test_a_refused_save_shows_what_to_fix_and_keeps_the_choices(client, session, people, facilitator):
    withdrawn = place(session.cohort, "Will Drawn", status=S.WITHDRAWN)
    client.force_login(facilitator)
    with at(16, 5):
        response = client.post(
            reverse("session_register", args=[session.pk]),
            {f"mark-{people['ada'].pk}": A.LATE, f"mark-{withdrawn.pk}": A.PRESENT},
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "Not expected at this session, so not marked: Will Drawn" in page
    assert f'name="mark-{people["ada"].pk}" type="radio" value="late" checked' in page
    assert not Attendance.objects.exists()


def test_before_the_session_the_page_says_when_the_register_opens(client, session, people, facilitator):
    client.force_login(facilitator)
    with at(9, 0):
        page = client.get(reverse("session_register", args=[session.pk])).content.decode()
        response = client.post(
            reverse("session_register", args=[session.pk]), {f"mark-{people['ada'].pk}": "present"}
        )
    assert "It opens at 15:00 on Tuesday 6 June" in page and "Save the register" not in page
    assert "The session has not happened yet: take the register once it starts." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"), [(Role.COACH, 403), (Role.PLATFORM_STAFF, 403), (Role.PARTICIPANT, 403)]
)
def test_roles_that_never_take_registers_get_403(client, session, provider, role, status):
    client.force_login(person(role, provider))
    assert client.get(reverse("session_register", args=[session.pk])).status_code == status


def test_another_providers_session_is_not_found(client, session, other_provider):
    client.force_login(person(Role.FACILITATOR, other_provider))
    with at(16, 5):
        assert client.get(reverse("session_register", args=[session.pk])).status_code == 404
        assert client.post(reverse("session_register", args=[session.pk]), {}).status_code == 404
        assert client.post(reverse("session_register_all_present", args=[session.pk])).status_code == 404
    assert not Attendance.objects.exists()


def test_the_session_page_links_to_the_register_for_those_who_take_it(
    client, session, people, facilitator, provider
):
    with at(16, 5):
        services.register_save(by=facilitator, session=session, marks={people["ada"].pk: A.PRESENT})
    client.force_login(facilitator)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "Register: 1 of 3 marked" in page
    assert reverse("session_register", args=[session.pk]) in page
    client.force_login(person(Role.COACH, provider))
    assert "Register:" not in client.get(reverse("session_detail", args=[session.pk])).content.decode()


# Query counts -------------------------------------------------------------------------------------------


def _cohort_with(provider, n: int, code: str):
    """A cohort with n expected places, half of them already marked present, and its session."""
    cohort = CohortFactory(programme=ProgrammeFactory(provider=provider), code=code)
    group = DeliveryGroupFactory(cohort=cohort)
    session = session_for(cohort, day=D(2023, 6, 6))
    places = [place(cohort, f"Person {code} {i}", group=group) for i in range(n)]
    return session, places


@pytest.mark.parametrize("n", [10, 200])
def test_register_query_counts_are_pinned_and_flat(
    client, provider, facilitator, django_assert_num_queries, n
):
    session, places = _cohort_with(provider, n, f"c{n}")
    with at(16, 5):
        services.register_save(
            by=facilitator, session=session, marks={p.pk: A.PRESENT for p in places[: n // 2]}
        )
    client.force_login(facilitator)
    url = reverse("session_register", args=[session.pk])
    with at(16, 10):
        with django_assert_num_queries(6):
            response = client.get(url)
        assert response.content.decode().count("Person ") >= n
        # Half changed to late, a quarter marked for the first time: every kind of write at once (and the
        # cohort queued for its engagement to be recomputed: one more; and one INSERT of audit-trail events).
        saved = places[: n * 3 // 4]
        with django_assert_num_queries(14):
            response = client.post(url, {f"mark-{p.pk}": A.LATE for p in saved})
        assert response.status_code == 302
        assert Attendance.objects.filter(session=session, status=A.LATE).count() == len(saved)
        # The last quarter, marked present at once.
        with django_assert_num_queries(12):
            response = client.post(reverse("session_register_all_present", args=[session.pk]))
        assert response.status_code == 302
    assert Attendance.objects.filter(session=session, status=A.PRESENT).count() == n - len(saved)
    # Every first mark and every change is audited.
    assert AttendanceChange.objects.filter(attendance__session=session).count() == n + n // 2


def test_posted_names_that_are_not_marks_are_ignored(client, session, people, facilitator):
    client.force_login(facilitator)
    with at(16, 5):
        response = client.post(
            reverse("session_register", args=[session.pk]),
            {
                "mark-²": A.PRESENT,
                "mark-" + "9" * 30: A.PRESENT,
                "other": "x",
                f"mark-{people['ada'].pk}": A.LATE,
            },
            follow=True,
        )
    assert "Register saved: 1 change." in response.content.decode()
