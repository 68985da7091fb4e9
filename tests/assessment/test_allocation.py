"""Giving scripts to assessors: never to someone with a conflict (school, coach, facilitator, declared, the
participant themself, an earlier marker), balanced within each person's capacity across providers, with the
reasons a pairing was excluded shown to the admin; runs, manual moves and declared conflicts."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from assessment import services
from assessment.allocation import (
    allocation_move,
    allocation_plan,
    allocation_run,
    conflict_declare,
    exclusion_reasons,
)
from assessment.marking import mark_scheme_create_default
from assessment.models import Allocation, AssessmentTask, AssessorProfile, Marking, Submission
from npqel.access import Role
from npqel.errors import DomainError
from participants.models import Enrolment
from programmes.models import Provider, StaffMembership
from tests.assessment.factories import case_study_place, make_eligible, upload
from tests.assessment.marking_setup import mark
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.people import person
from tests.programmes.factories import DeliveryGroupFactory, SessionFactory, StaffMembershipFactory

UK = zoneinfo.ZoneInfo("Europe/London")
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)  # inside case_study_place's window
TODAY = datetime.date(2026, 4, 1)
DUE = timezone.localdate() + datetime.timedelta(days=30)  # marking is due from today on

pytestmark = pytest.mark.django_db


def assessor(provider: Provider, name: str, *, capacity: int | None = None, schools=()):
    user = StaffMembershipFactory(
        provider=provider, role=StaffMembership.Role.ASSESSOR, user__full_name=name
    ).user
    if capacity is not None or schools:
        profile = AssessorProfile.objects.create(user=user, capacity=capacity or 20)
        profile.schools.set(schools)
    return user


def submitted(enrolment: Enrolment, task: AssessmentTask) -> Submission:
    """A script the participant uploaded and submitted inside the window."""
    with time_machine.travel(DURING, tick=False):
        version = upload(enrolment, task)
        services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)
    return Submission.objects.get(pk=version.submission_id)


def cohort_scripts(provider: Provider, n: int) -> tuple[AssessmentTask, list[Submission]]:
    """`n` submitted scripts of one cohort of the provider."""
    enrolment, task, window = case_study_place(provider=provider)
    enrolments = [enrolment]
    for _ in range(n - 1):
        enrolments.append(EnrolmentFactory(cohort=window.cohort))
        make_eligible(enrolments[-1])
    return task, [submitted(e, task) for e in enrolments]


def live(submission: Submission, kind: str = "first") -> Allocation:
    return submission.allocations.get(kind=kind, ended_at__isnull=True)


def test_each_conflict_excludes_the_assessor_with_its_reason(provider):
    enrolment, task, window = case_study_place(provider=provider)
    school = enrolment.participant.school
    school.trust = "Northern Lights Academy Trust"
    school.save()
    group = DeliveryGroupFactory(cohort=window.cohort, name="North")
    other_group = DeliveryGroupFactory(cohort=window.cohort, name="South")
    colleague = assessor(provider, "Colleague", schools=[school])
    coach = assessor(provider, "Coach")
    group_facilitator = assessor(provider, "Group facilitator")
    session_facilitator = assessor(provider, "Session facilitator")
    south_facilitator = assessor(provider, "South facilitator")
    declared = assessor(provider, "Declared")
    stranger = assessor(provider, "Stranger", schools=[SchoolFactory(trust="Another Trust")])
    same_trust = assessor(
        provider, "Same trust", schools=[SchoolFactory(trust="Northern Lights Academy Trust")]
    )
    themself = enrolment.participant.user
    StaffMembershipFactory(provider=provider, user=themself, role=StaffMembership.Role.ASSESSOR)
    enrolment.group, enrolment.coach = group, coach
    enrolment.save()
    group.facilitators.add(group_facilitator)
    SessionFactory(cohort=window.cohort, facilitator=session_facilitator)  # for the whole cohort
    SessionFactory(cohort=window.cohort, group=other_group, facilitator=south_facilitator)
    script = submitted(enrolment, task)
    conflict_declare(by=declared, participant=enrolment.participant, reason="She is my sister-in-law")

    reasons = exclusion_reasons(
        submission=script,
        assessors=[
            colleague,
            coach,
            group_facilitator,
            session_facilitator,
            south_facilitator,
            declared,
            stranger,
            same_trust,
            themself,
        ],
        today=TODAY,
    )

    assert reasons == {
        colleague.pk: [f"Works at {school.name}, the participant's school"],
        coach.pk: ["Coaches the participant"],
        group_facilitator.pk: ["Facilitates the participant's group (North)"],
        session_facilitator.pk: ["Facilitated a session the participant's cohort attended"],
        south_facilitator.pk: [],  # another group's session: no contact with this participant
        declared.pk: ["Declared a conflict: She is my sister-in-law"],
        stranger.pk: [],
        same_trust.pk: ["Works in Northern Lights Academy Trust, the participant's trust"],
        themself.pk: ["Is the participant"],
    }


def test_the_plan_shows_the_admin_every_excluded_pairing_and_picks_a_free_assessor(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    coach = assessor(provider, "Aisha Coach")
    free = assessor(provider, "Zara Free")
    enrolment.coach = coach
    enrolment.save()
    script = submitted(enrolment, task)

    plan = allocation_plan(provider=provider, submissions=[script], today=TODAY)

    (line,) = plan.lines
    assert line.assessor == free
    assert [(e.assessor, e.reasons) for e in line.exclusions] == [(coach, ("Coaches the participant",))]


def test_second_marking_never_goes_to_the_first_marker(provider):
    task, (script,) = cohort_scripts(provider, 1)
    admin = person(Role.PROVIDER_ADMIN, provider)
    first, other = assessor(provider, "Ann First"), assessor(provider, "Ben Other")
    allocation_run(by=admin, provider=provider, task=task, due_on=DUE)
    assert live(script).assessor == first  # least loaded, then by name

    assert exclusion_reasons(submission=script, assessors=[first, other], kind="second") == {
        first.pk: ["Marked it first"],
        other.pk: [],
    }
    mark_scheme_create_default(by=None, task=task)
    mark(live(script), "fail")  # every fail is second-marked, and the script goes on at once
    assert live(script, "second").assessor == other
    assert allocation_run(by=admin, provider=provider, task=task, kind="second", due_on=DUE).lines == ()


def test_load_is_balanced_within_capacity_counting_other_providers_scripts(provider, other_provider):
    admin, other_admin = person(Role.PROVIDER_ADMIN, provider), person(Role.PROVIDER_ADMIN, other_provider)
    ann = assessor(provider, "Ann Shared", capacity=3)
    StaffMembershipFactory(provider=other_provider, user=ann, role=StaffMembership.Role.ASSESSOR)
    bob = assessor(provider, "Bob Local")
    other_task, _ = cohort_scripts(other_provider, 2)
    allocation_run(by=other_admin, provider=other_provider, task=other_task, due_on=DUE)
    assert Allocation.objects.filter(assessor=ann, ended_at__isnull=True).count() == 2

    task, scripts = cohort_scripts(provider, 4)
    plan = allocation_run(by=admin, provider=provider, task=task, due_on=DUE)

    # Ann holds 2 of her 3 elsewhere: Bob catches up to 2, Ann (first by name) takes her last place, Bob the rest.
    assert [line.assessor for line in plan.lines] == [bob, bob, ann, bob]
    assert Allocation.objects.filter(assessor=ann, ended_at__isnull=True).count() == 3
    assert Allocation.objects.filter(assessor=bob, ended_at__isnull=True).count() == 3


def test_the_plan_is_the_same_every_time_and_ties_go_by_name(provider):
    task, scripts = cohort_scripts(provider, 3)
    zoe = assessor(provider, "Zoe Zephaniah")  # the lower id
    adam = assessor(provider, "Adam Abbott")

    plans = [allocation_plan(provider=provider, submissions=scripts, today=TODAY) for _ in range(2)]

    assert [line.submission.candidate_number for line in plans[0].lines] == sorted(
        s.candidate_number for s in scripts
    )
    assert [line.assessor for line in plans[0].lines] == [adam, zoe, adam]
    assert plans[0].lines == plans[1].lines
    assert not Allocation.objects.exists()  # a plan writes nothing


def test_a_script_nobody_can_mark_is_reported_with_the_reason(provider):
    enrolment, task, window = case_study_place(provider=provider)
    second = EnrolmentFactory(cohort=window.cohort)
    make_eligible(second)
    coach = assessor(provider, "Carl Coach")
    assessor(provider, "Fay Full", capacity=1)
    for place in (enrolment, second):
        place.coach = coach
        place.save()
    for place in (enrolment, second):
        submitted(place, task)

    plan = allocation_run(by=person(Role.PROVIDER_ADMIN, provider), provider=provider, task=task, due_on=DUE)

    # Carl coaches both; Fay takes one script and is then full: the other is left for the admin, who is told why.
    assert len(plan.allocated) == 1
    (left,) = plan.unallocated
    assert left.problem == (
        "Every assessor has a conflict or is full: 1 assessor cannot mark it and 1 assessor full (Fay Full)."
    )
    assert [(e.assessor, e.reasons) for e in left.exclusions] == [(coach, ("Coaches the participant",))]
    assert Allocation.objects.count() == 1


def test_running_again_allocates_nothing_new(provider):
    task, scripts = cohort_scripts(provider, 2)
    admin = person(Role.PROVIDER_ADMIN, provider)
    assessor(provider, "Ann Assessor")

    first = allocation_run(by=admin, provider=provider, task=task, due_on=DUE)
    again = allocation_run(by=admin, provider=provider, task=task, due_on=DUE)

    assert len(first.allocated) == 2
    assert again.lines == ()
    assert Allocation.objects.count() == 2
    assert {a.due_on for a in Allocation.objects.all()} == {DUE}
    assert {a.allocated_by for a in Allocation.objects.all()} == {admin}


def test_a_facilitator_cannot_allocate(provider):
    task, _ = cohort_scripts(provider, 1)
    assessor(provider, "Ann Assessor")

    with pytest.raises(PermissionDenied):
        allocation_run(by=person(Role.FACILITATOR, provider), provider=provider, task=task, due_on=DUE)
    assert not Allocation.objects.exists()


def test_moving_a_script_ends_the_old_allocation_and_keeps_kind_and_due_date(provider):
    task, (script,) = cohort_scripts(provider, 1)
    admin = person(Role.PROVIDER_ADMIN, provider)
    ann = assessor(provider, "Ann First")
    allocation_run(by=admin, provider=provider, task=task, due_on=DUE)
    ben = assessor(provider, "Ben Second")

    moved = allocation_move(by=admin, allocation=live(script), to=ben, reason="Ann is on leave")

    assert (moved.assessor, moved.kind, moved.due_on, moved.allocated_by) == (ben, "first", DUE, admin)
    old = script.allocations.get(assessor=ann)
    assert old.ended_at is not None and old.end_reason == "Ann is on leave"
    assert live(script) == moved


def test_moving_refuses_an_excluded_full_or_outside_assessor_with_the_reason(provider, other_provider):
    enrolment, task, _ = case_study_place(provider=provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    ann = assessor(provider, "Ann First")
    script = submitted(enrolment, task)
    allocation_run(by=admin, provider=provider, task=task, due_on=DUE)
    allocation = live(script)
    coach = assessor(provider, "Carl Coach")
    enrolment.coach = coach
    enrolment.save()
    full = assessor(provider, "Fay Full", capacity=1)
    other_task, _ = cohort_scripts(other_provider, 1)
    StaffMembershipFactory(provider=other_provider, user=full, role=StaffMembership.Role.ASSESSOR)
    allocation_run(
        by=person(Role.PROVIDER_ADMIN, other_provider), provider=other_provider, task=other_task, due_on=DUE
    )
    outsider = assessor(other_provider, "Olu Outside")

    with pytest.raises(DomainError) as refused:
        allocation_move(by=admin, allocation=allocation, to=coach, reason="Rebalance")
    assert refused.value.message == "Carl Coach cannot mark this script: Coaches the participant."
    with pytest.raises(DomainError) as refused:
        allocation_move(by=admin, allocation=allocation, to=full, reason="Rebalance")
    assert refused.value.message == "Fay Full already has 1 script, their capacity."
    with pytest.raises(DomainError) as refused:
        allocation_move(by=admin, allocation=allocation, to=outsider, reason="Rebalance")
    assert refused.value.message == f"Olu Outside is not an assessor for {provider.name}."
    assert live(script).assessor == ann
    assert script.allocations.count() == 1


def test_declaring_a_conflict_hands_the_script_back_for_allocation(provider):
    task, (script,) = cohort_scripts(provider, 1)
    admin = person(Role.PROVIDER_ADMIN, provider)
    ann = assessor(provider, "Ann First")
    allocation_run(by=admin, provider=provider, task=task, due_on=DUE)
    ben = assessor(provider, "Ben Second")
    participant = script.enrolment.participant

    conflict_declare(by=ann, participant=participant, reason="I line-manage her")

    ended = script.allocations.get(assessor=ann)
    assert ended.ended_at is not None and ended.end_reason == "Conflict declared"
    plan = allocation_run(by=admin, provider=provider, task=task, due_on=DUE)
    assert [line.assessor for line in plan.lines] == [ben]
    assert [e.reasons for e in plan.lines[0].exclusions] == [("Declared a conflict: I line-manage her",)]


def _scripts_fast(window, task, n: int) -> list[Submission]:
    """Scripts written straight to the table: the plan reads only who wrote them, not their files."""
    now = timezone.now()
    return [
        Submission.objects.create(
            enrolment=EnrolmentFactory(
                cohort=window.cohort, group=DeliveryGroupFactory(cohort=window.cohort)
            ),
            task=task,
            candidate_number=f"Q{window.pk:03d}{i:04d}",
            created_at=now,
            updated_at=now,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, 30])
def test_the_plan_takes_the_same_number_of_queries_for_3_or_30_scripts(
    provider, n, django_assert_num_queries
):
    _, task, window = case_study_place(provider=provider)
    scripts = _scripts_fast(window, task, n)
    for name in ("Ann", "Ben", "Cal", "Dee"):
        assessor(provider, name, capacity=15, schools=[SchoolFactory()])

    with django_assert_num_queries(10):
        plan = allocation_plan(provider=provider, submissions=scripts, today=TODAY)
    assert len(plan.allocated) == n


def test_an_assessor_timetabled_to_facilitate_the_cohort_later_is_excluded_too(provider):
    enrolment, task, window = case_study_place(provider=provider)
    later = assessor(provider, "Lee Later")
    starts = datetime.datetime(2026, 5, 5, 16, 0, tzinfo=UK)
    SessionFactory(
        cohort=window.cohort,
        facilitator=later,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
    )
    script = submitted(enrolment, task)

    assert exclusion_reasons(submission=script, assessors=[later], today=TODAY) == {
        later.pk: ["Is timetabled to facilitate a session for the participant's cohort"]
    }


def test_a_marked_script_frees_its_place_in_the_assessors_capacity(provider):
    task, _ = cohort_scripts(provider, 2)
    admin = person(Role.PROVIDER_ADMIN, provider)
    ann = assessor(provider, "Ann Assessor", capacity=1)
    first = allocation_run(by=admin, provider=provider, task=task, due_on=DUE)
    (marked,) = first.allocated
    Marking.objects.create(
        allocation=live(marked.submission), status=Marking.Status.SUBMITTED, saved_at=timezone.now()
    )

    again = allocation_run(by=admin, provider=provider, task=task, due_on=DUE)

    assert [line.assessor for line in again.lines] == [ann]
    with pytest.raises(DomainError) as refused:
        allocation_move(by=admin, allocation=live(marked.submission), to=ann, reason="Rebalance")
    assert refused.value.message == "Ann Assessor has already marked this script, so it stays with them."
