"""A participant's record as a provider admin sees it (details, deadline, history, equality data only for
those allowed) and the changes made from it: accept, start, defer, resume, withdraw, move to another
cohort, change group or coach."""

import datetime
import html
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from npqel import access
from npqel.access import Action, Role
from npqel.errors import DomainError
from participants import services
from participants.models import Enrolment, EnrolmentChange, Participant
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    DeliveryGroupFactory,
    ProgrammeFactory,
    StaffMembershipFactory,
)

pytestmark = pytest.mark.django_db
S = Enrolment.Status
D = datetime.date
ACTION_PAGES = [
    "enrolment_accept",
    "enrolment_start",
    "enrolment_defer",
    "enrolment_resume",
    "enrolment_withdraw",
    "enrolment_transfer",
    "enrolment_change_group",
    "enrolment_change_coach",
]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2024, 3, 1, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def programme(provider):
    programme = ProgrammeFactory(
        provider=provider, name="NPQEL", deadline_months=18, deferral_pauses_clock=True
    )
    programme.fee_options.create(name="With coaching", amount=Decimal("4800"), plus_vat=True)
    programme.placement_options.create(name="New York", cost_from=Decimal("1500"), cost_to=Decimal("2500"))
    return programme


@pytest.fixture
def cohort(programme):
    return CohortFactory(
        programme=programme, code="2023-spring", start_date=D(2023, 1, 9), end_date=D(2024, 7, 31)
    )


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


@pytest.fixture
def coach(provider):
    return StaffMembershipFactory(provider=provider, role="coach", user__full_name="Cal Coach").user


def place(cohort, status=S.ACTIVE, **fields) -> Enrolment:
    fields.setdefault("participant__user__full_name", "Amara Okafor")
    fields.setdefault("participant__user__email", "amara@oakfield.example")
    return EnrolmentFactory(cohort=cohort, status=status, **fields)


@pytest.fixture
def amara(cohort, programme, admin, coach):
    """Active, deferred for 31 days last year (the programme pauses the clock), with an imported start."""
    enrolment = place(
        cohort,
        group=DeliveryGroupFactory(cohort=cohort, name="North"),
        coach=coach,
        funding_route="funded_place",
        fee_option=programme.fee_options.get(),
        placement_option=programme.placement_options.get(),
        participant__school=SchoolFactory(
            name="Oakfield Academy", urn="140001", fsm_percent=Decimal("31.20")
        ),
        participant__job_role="Executive headteacher",
        participant__ethnicity_code=Participant.Ethnicity.MWBC,
        participant__sex=Participant.Sex.FEMALE,
        participant__disability=Participant.Disability.NO,
        participant__age_band=Participant.AgeBand.FROM_45,
    )
    history = [
        (S.ACCEPTED, S.ACTIVE, D(2023, 1, 9), "", "", None, True),
        (S.ACTIVE, S.DEFERRED, D(2023, 5, 1), "parental-leave", "Baby due in May", admin, False),
        (S.DEFERRED, S.ACTIVE, D(2023, 6, 1), "", "", admin, False),
    ]
    for from_status, to_status, on, reason, note, by, imported in history:
        EnrolmentChange.objects.create(
            enrolment=enrolment,
            from_status=from_status,
            to_status=to_status,
            effective_on=on,
            reason=reason,
            note=note,
            changed_by=by,
            imported=imported,
        )
    return enrolment


def record(client, enrolment) -> str:
    response = client.get(reverse("enrolment_detail", args=[enrolment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_record_shows_who_they_are_their_place_deadline_and_history(client, admin, amara):
    client.force_login(admin)
    page = record(client, amara)
    for shown in (
        "Amara Okafor",
        "amara@oakfield.example",
        "Oakfield Academy",
        "URN 140001",
        "31.2% of pupils eligible for free school meals",
        "Executive headteacher",
        "NPQEL",
        "2023-spring",
        "North",
        "Cal Coach",
        "DfE funded place",
        "With coaching: £4,800.00 + VAT",
        "New York (£1,500 to £2,500 extra)",
        "9 January 2023",
        # 9 July 2024 moved on by the 31 days deferred in May 2023.
        "Friday 9 August 2024: <strong>161 days left</strong>",
        "18 months from their start on 9 January 2023, moved on by 31 days spent deferred",
    ):
        assert shown in page, shown
    history = page[page.index(">History<") :]
    assert "Accepted → Active" in history and "Imported" in history and "An import" in history
    assert "Active → Deferred" in history and "Parental leave" in history and "Baby due in May" in history
    assert (
        html.escape(admin.display_name) in history and "Deferred → Active" in history
    )  # O'Neill → O&#x27;Neill
    assert history.index("1 May 2023") < history.index("1 Jun 2023")


def test_a_deferred_record_explains_that_the_deadline_is_moving(client, admin, cohort):
    enrolment = place(cohort, status=S.DEFERRED)
    EnrolmentChange.objects.create(
        enrolment=enrolment, from_status=S.ACTIVE, to_status=S.DEFERRED, effective_on=D(2023, 1, 20)
    )
    client.force_login(admin)
    page = record(client, enrolment)
    assert "They are deferred now, so this date moves on by a day for each day until they resume." in page
    assert "At risk: Deferred for 13 months." in page


def test_an_ended_place_has_no_deadline_and_nothing_to_do(client, admin, cohort):
    client.force_login(admin)
    page = record(client, place(cohort, status=S.WITHDRAWN))
    assert "Their place has ended (withdrawn), so there is no deadline to meet." in page
    assert "Their place has ended (withdrawn), so only its funding and fees can still be put right." in page
    assert not any(reverse(name, args=[1]).replace("/1/", "/") in page for name in ACTION_PAGES)
    assert "Change their funding and fees" in page


EQUALITY = ["Mixed – White and Black Caribbean", "45 to 54", ">Ethnicity<", ">Age band<"]


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.PLATFORM_STAFF])
def test_admins_and_platform_staff_see_equality_data(client, provider, amara, role):
    client.force_login(person(role, provider))
    page = record(client, amara)
    assert all(shown in page for shown in EQUALITY)


@pytest.mark.parametrize(
    "role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR, Role.PARTICIPANT]
)
def test_nobody_else_can_open_a_record_at_all(client, provider, amara, role):
    client.force_login(person(role, provider))
    response = client.get(reverse("enrolment_detail", args=[amara.pk]))
    assert response.status_code == 403
    assert not any(shown in response.content.decode() for shown in EQUALITY)


def test_the_participant_cannot_open_their_own_admin_record(client, amara):
    client.force_login(amara.participant.user)
    assert client.get(reverse("enrolment_detail", args=[amara.pk])).status_code == 403


def test_equality_data_needs_its_own_permission_not_just_sight_of_enrolments(
    client, provider, amara, monkeypatch
):
    # Were facilitators ever allowed to see enrolments, equality data would still stay hidden from them.
    policy = {
        **access.PROVIDER_POLICY,
        Action.VIEW_ENROLMENTS: frozenset({Role.PROVIDER_ADMIN, Role.FACILITATOR}),
    }
    monkeypatch.setattr(access, "PROVIDER_POLICY", policy)
    client.force_login(person(Role.FACILITATOR, provider))
    page = record(client, amara)
    assert "Amara Okafor" in page
    assert not any(shown in page for shown in EQUALITY)


def test_platform_staff_read_but_do_not_change(client, provider, amara):
    client.force_login(person(Role.PLATFORM_STAFF, provider))
    page = record(client, amara)
    assert "You can read this record. Only the provider's admins can change a place." in page
    for name in ACTION_PAGES:
        url = reverse(name, args=[amara.pk])
        assert url not in page
        assert client.get(url).status_code == 403, name
        assert client.post(url, {"reason": "other", "on": "2024-02-01"}).status_code == 403, name
    assert Enrolment.objects.get(pk=amara.pk).status == S.ACTIVE


def test_another_providers_admin_finds_nothing(client, other_provider, amara):
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    for name in ["enrolment_detail", *ACTION_PAGES]:
        assert client.get(reverse(name, args=[amara.pk])).status_code == 404, name
    assert client.post(reverse("enrolment_withdraw", args=[amara.pk]), {"reason": "other"}).status_code == 404


# Any place not yet ended can move cohort, change group or coach, or be withdrawn.
ALWAYS = ["enrolment_transfer", "enrolment_change_group", "enrolment_change_coach", "enrolment_withdraw"]


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (S.APPLIED, ["enrolment_accept", *ALWAYS]),
        (S.ACCEPTED, ["enrolment_start", *ALWAYS]),
        (S.ACTIVE, ["enrolment_defer", *ALWAYS]),
        (S.DEFERRED, ["enrolment_resume", *ALWAYS]),
        (S.WITHDRAWN, []),
        (S.COMPLETED, []),
        (S.FAILED, []),
    ],
)
def test_the_record_offers_only_what_the_status_allows(client, admin, cohort, status, offered):
    enrolment = place(cohort, status=status)
    client.force_login(admin)
    page = record(client, enrolment)
    shown = [name for name in ACTION_PAGES if f'href="{reverse(name, args=[enrolment.pk])}"' in page]
    assert sorted(shown) == sorted(offered)
    for name in set(ACTION_PAGES) - set(offered):
        response = client.get(reverse(name, args=[enrolment.pk]))
        assert response.status_code == 302 and response.url == reverse(
            "enrolment_detail", args=[enrolment.pk]
        )
        followed = client.get(response.url).content.decode()
        assert f"Amara Okafor is {enrolment.get_status_display().lower()}, so you cannot" in followed


def post(client, name, enrolment, data):
    return client.post(reverse(name, args=[enrolment.pk]), data)


def test_an_admin_takes_an_application_through_to_a_deferral_and_back(client, admin, cohort):
    enrolment = place(cohort, status=S.APPLIED)
    client.force_login(admin)
    form = client.get(reverse("enrolment_accept", args=[enrolment.pk])).content.decode()
    assert (
        "Accept Amara Okafor&#x27;s application" in form and 'value="2024-03-01"' in form
    )  # today by default
    response = post(client, "enrolment_accept", enrolment, {"on": "2023-12-01"})
    assert response.status_code == 302 and response.url == reverse("enrolment_detail", args=[enrolment.pk])
    assert (
        "Amara Okafor&#x27;s application is accepted, from 1 December 2023."
        in client.get(response.url).content.decode()
    )
    post(client, "enrolment_start", enrolment, {"on": "2024-01-08"})
    response = post(
        client,
        "enrolment_defer",
        enrolment,
        {"reason": "long-term-sickness", "on": "2024-02-05", "note": "Surgery"},
    )
    page = client.get(response.url).content.decode()
    assert "Amara Okafor&#x27;s place is deferred from 5 February 2024 (long-term sickness)." in page
    response = post(client, "enrolment_resume", enrolment, {"on": "2024-02-26", "note": "Back at work"})
    assert (
        "Amara Okafor&#x27;s place is active again, from 26 February 2024."
        in client.get(response.url).content.decode()
    )
    history = [
        (c.from_status, c.to_status, c.effective_on, c.reason, c.note, c.changed_by)
        for c in enrolment.changes.order_by("effective_on")
    ]
    assert history == [
        (S.APPLIED, S.ACCEPTED, D(2023, 12, 1), "", "", admin),
        (S.ACCEPTED, S.ACTIVE, D(2024, 1, 8), "", "", admin),
        (S.ACTIVE, S.DEFERRED, D(2024, 2, 5), "long-term-sickness", "Surgery", admin),
        (S.DEFERRED, S.ACTIVE, D(2024, 2, 26), "", "Back at work", admin),
    ]


def test_the_deferral_form_offers_dfes_deferral_reasons(client, admin, cohort):
    enrolment = place(cohort)
    client.force_login(admin)
    page = client.get(reverse("enrolment_defer", args=[enrolment.pk])).content.decode()
    for label in ("Bereavement", "Long-term sickness", "Parental leave", "Career break", "Other"):
        assert f">{label}</label>" in page
    assert "Invoice not paid" not in page
    assert "Their deadline moves on by the time they spend deferred." in page


def test_form_mistakes_and_refusals_show_against_the_field_to_fix(client, admin, cohort):
    enrolment = place(cohort)
    client.force_login(admin)
    page = post(client, "enrolment_defer", enrolment, {"on": "2024-02-30"}).content.decode()
    assert '<a href="#id_reason_0">Choose the reason for the deferral.</a>' in page
    assert '<a href="#id_on">Enter the date their deferral began as a real date' in page
    # The service's refusal (a date still to come) lands on the date field.
    response = post(client, "enrolment_defer", enrolment, {"reason": "other", "on": "2024-03-02"})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="#id_on">Enter today&#x27;s date or an earlier one' in page
    assert 'id="id_on-error"' in page
    assert Enrolment.objects.get(pk=enrolment.pk).status == S.ACTIVE


def test_a_change_made_meanwhile_by_someone_else_is_explained(client, admin, cohort):
    enrolment = place(cohort)
    client.force_login(admin)
    assert client.get(reverse("enrolment_defer", args=[enrolment.pk])).status_code == 200
    services.enrolment_withdraw(by=admin, enrolment=enrolment, reason="change-in-career", on=D(2024, 2, 1))
    page = post(
        client, "enrolment_defer", enrolment, {"reason": "other", "on": "2024-02-20"}
    ).content.decode()
    assert "There is a problem" in page
    assert "Amara Okafor is withdrawn, so their place cannot be deferred." in page


def test_an_admin_withdraws_a_place_with_a_dfe_reason(client, admin, cohort):
    enrolment = place(cohort)
    client.force_login(admin)
    page = client.get(reverse("enrolment_withdraw", args=[enrolment.pk])).content.decode()
    assert ">Deferred for over 12 months</option>" in page and ">Parental leave</option>" not in page
    response = post(
        client, "enrolment_withdraw", enrolment, {"reason": "change-in-school-leadership", "on": "2024-02-29"}
    )
    assert (
        "Amara Okafor is withdrawn, from 29 February 2024 (change in school leadership)."
        in client.get(response.url).content.decode()
    )
    assert Enrolment.objects.get(pk=enrolment.pk).status == S.WITHDRAWN


def test_an_admin_moves_a_place_to_another_cohort_of_the_provider(client, admin, cohort, other_provider):
    later = CohortFactory(
        programme=cohort.programme, code="2024-spring", start_date=D(2024, 1, 8), end_date=D(2025, 7, 31)
    )
    elsewhere = CohortFactory(programme=ProgrammeFactory(provider=other_provider), code="theirs")
    enrolment = place(cohort, group=DeliveryGroupFactory(cohort=cohort, name="North"))
    client.force_login(admin)
    page = client.get(reverse("enrolment_transfer", args=[enrolment.pk])).content.decode()
    assert "NPQEL: 2024-spring (starts 8 January 2024)" in page
    assert "theirs" not in page and f'value="{cohort.pk}"' not in page
    page = post(
        client, "enrolment_transfer", enrolment, {"to_cohort": elsewhere.pk, "on": "2024-02-01"}
    ).content.decode()
    assert "Choose the cohort to move their place to from the list." in page
    response = post(
        client,
        "enrolment_transfer",
        enrolment,
        {"to_cohort": later.pk, "on": "2024-02-01", "note": "After leave"},
    )
    assert (
        "Amara Okafor&#x27;s place is moved to cohort 2024-spring."
        in client.get(response.url).content.decode()
    )
    enrolment.refresh_from_db()
    assert (enrolment.cohort, enrolment.group) == (later, None)
    assert enrolment.changes.get().note == "Moved from cohort 2023-spring to 2024-spring. After leave"


def test_an_admin_changes_the_group_and_the_history_says_so(client, admin, cohort):
    north = DeliveryGroupFactory(cohort=cohort, name="North")
    south = DeliveryGroupFactory(cohort=cohort, name="South")
    other_cohorts_group = DeliveryGroupFactory(cohort=CohortFactory(programme=cohort.programme), name="West")
    enrolment = place(cohort, group=north)
    client.force_login(admin)
    page = client.get(reverse("enrolment_change_group", args=[enrolment.pk])).content.decode()
    assert (
        f'<option value="{north.pk}" selected>North</option>' in page
        and ">South<" in page
        and "West" not in page
    )
    page = post(
        client, "enrolment_change_group", enrolment, {"group": other_cohorts_group.pk}
    ).content.decode()
    assert "Choose a delivery group from the list." in page
    page = post(client, "enrolment_change_group", enrolment, {"group": north.pk}).content.decode()
    assert '<a href="#id_group">They are already in group North. Choose another.</a>' in page
    response = post(client, "enrolment_change_group", enrolment, {"group": south.pk})
    page = client.get(response.url).content.decode()
    assert "Amara Okafor is now in group South." in page
    assert "Details changed (still active)" in page and "Group changed from North to South." in page
    response = post(client, "enrolment_change_group", enrolment, {"group": ""})
    assert "Amara Okafor is no longer in a group." in client.get(response.url).content.decode()
    change = enrolment.changes.last()
    assert (change.from_status, change.to_status, change.note, change.changed_by) == (
        S.ACTIVE, S.ACTIVE, "Group changed from South to no group.", admin,
    )  # fmt: skip
    assert Enrolment.objects.get(pk=enrolment.pk).group is None


def test_an_admin_changes_the_coach_to_one_of_the_providers_coaches(
    client, admin, cohort, provider, other_provider, coach
):
    facilitator = StaffMembershipFactory(
        provider=provider, role="facilitator", user__full_name="Fiona Facilitator"
    ).user
    theirs = StaffMembershipFactory(
        provider=other_provider, role="coach", user__full_name="Olu Othercoach"
    ).user
    enrolment = place(cohort)
    client.force_login(admin)
    page = client.get(reverse("enrolment_change_coach", args=[enrolment.pk])).content.decode()
    assert ">Cal Coach<" in page and "Fiona" not in page and "Olu" not in page
    page = post(client, "enrolment_change_coach", enrolment, {"coach": theirs.pk}).content.decode()
    assert "Choose a coach from the list." in page
    response = post(client, "enrolment_change_coach", enrolment, {"coach": coach.pk})
    assert "Amara Okafor&#x27;s coach is now Cal Coach." in client.get(response.url).content.decode()
    assert enrolment.changes.get().note == "Coach changed from no coach to Cal Coach."
    with pytest.raises(DomainError) as refused:
        services.enrolment_change_coach(by=admin, enrolment=enrolment, coach=facilitator)
    assert refused.value.field == "coach"
    assert "Fiona Facilitator is not a coach at this provider." in refused.value.message


def test_the_coach_page_says_when_there_are_no_coaches(client, admin, cohort):
    client.force_login(admin)
    page = client.get(reverse("enrolment_change_coach", args=[place(cohort).pk])).content.decode()
    assert "Nobody holds the coach role at this provider yet." in page


def test_group_and_coach_services_refuse_what_does_not_belong(admin, cohort, provider, coach):
    enrolment = place(cohort)
    elsewhere = DeliveryGroupFactory(cohort=CohortFactory(programme=cohort.programme), name="West")
    with pytest.raises(DomainError) as refused:
        services.enrolment_change_group(by=admin, enrolment=enrolment, group=elsewhere)
    assert (refused.value.field, refused.value.message) == (
        "group",
        "Choose one of this cohort's delivery groups.",
    )
    with pytest.raises(DomainError, match="They already have no coach"):
        services.enrolment_change_coach(by=admin, enrolment=enrolment, coach=None)
    ended = place(cohort, status=S.COMPLETED, participant__user__email="done@x.example")
    with pytest.raises(DomainError, match="is completed \\(passed\\), so their group cannot change"):
        services.enrolment_change_group(by=admin, enrolment=ended, group=None)
    with pytest.raises(PermissionDenied):
        services.enrolment_change_coach(
            by=person(Role.FACILITATOR, provider), enrolment=enrolment, coach=coach
        )
    assert not EnrolmentChange.objects.exists()


def test_a_coach_changed_today_does_not_stop_recording_an_earlier_deferral(admin, cohort, coach):
    enrolment = place(cohort)
    services.enrolment_change_coach(by=admin, enrolment=enrolment, coach=coach)
    services.enrolment_defer(by=admin, enrolment=enrolment, reason="other", on=D(2024, 2, 20))
    assert Enrolment.objects.get(pk=enrolment.pk).status == S.DEFERRED


def test_record_query_count_is_pinned_and_flat(client, admin, amara, django_assert_num_queries):
    client.force_login(admin)
    url = reverse("enrolment_detail", args=[amara.pk])
    # The place and its history (7 before issue 5); its engagement measured now and its parts (2), the
    # programme's components (1), the components recorded as done (1).
    pinned = 12  # and the certificates (issue 7)
    with django_assert_num_queries(pinned):
        assert client.get(url).status_code == 200
    for n in range(30):
        EnrolmentChange.objects.create(
            enrolment=amara, from_status=S.ACTIVE, to_status=S.ACTIVE, effective_on=D(2023, 7, 1), note=f"Note {n}",
            changed_by=StaffMembershipFactory(provider=amara.provider, role="provider_admin").user,
        )  # fmt: skip
    with django_assert_num_queries(pinned):
        response = client.get(url)
    assert "Note 29" in response.content.decode()
