"""From markings to results, and releasing them: a pass not picked for second marking is decided at once; a
fail or borderline goes straight to a second assessor; agreement decides; disagreement (or two borderlines) goes
to the lead, whose decision is final. Release is refused while marking goes on and, without a reason, while
moderation is not complete; it emails participants and moves each place on."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from assessment.allocation import allocation_run, allocations_remind
from assessment.models import Allocation, Certificate, ModerationItem, ModerationSample, Result
from assessment.results import lead_decide, release_check, results_email_unsent, results_release
from npqel.access import Role
from npqel.errors import DomainError
from participants.models import Enrolment
from tests.assessment.marking_setup import DETAIL, SUMMARY, allocate, live, mark, marking_cohort
from tests.people import person

pytestmark = pytest.mark.django_db
RATIONALE = "The implementation stages are present but thin; the justification meets the pass descriptor."


def test_a_pass_not_picked_for_second_marking_is_decided_by_the_first_marking(provider):
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    mark(allocate(script, setup.assessors[0]), "pass")
    result = Result.objects.get(submission=script)
    assert (result.outcome, result.route, result.total, result.feedback) == ("pass", "first", 26, SUMMARY)
    assert live(script, "second") is None


@pytest.mark.parametrize("outcome", ["fail", "borderline"])
def test_a_fail_or_borderline_goes_at_once_to_another_assessor_who_agrees_or_not(provider, outcome):
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    ann, ben, cat = setup.assessors
    mark(allocate(script, ann), outcome)
    assert not Result.objects.filter(submission=script).exists()
    second = live(script, "second")
    assert second is not None and second.assessor in (ben, cat) and second.assessor != ann
    assert second.due_on == timezone.localdate() + datetime.timedelta(days=10)
    mark(second, "fail")
    if outcome == "fail":
        result = Result.objects.get(submission=script)
        assert (result.outcome, result.route, result.feedback) == ("fail", "agreed", DETAIL)
        assert result.second_marking.allocation == second
    else:
        assert not Result.objects.filter(submission=script).exists()
        assert live(script, "lead") is not None


def test_a_picked_pass_is_second_marked_and_a_disagreement_goes_to_the_lead_who_decides(provider):
    setup = marking_cohort(provider, 1, second_share=100)
    script = setup.scripts[0]
    ann, ben, cat = setup.assessors
    mark(allocate(script, ann), "pass")
    second = live(script, "second")
    assert second.assessor == ben  # the lead is busy with nothing, but Ben sorts first by name
    mark(second, "borderline")
    lead = live(script, "lead")
    assert lead.assessor == cat  # only lead assessors make the lead decision

    with pytest.raises(DomainError, match="detailed feedback"):
        lead_decide(by=cat, allocation=lead, outcome="fail", feedback="Too short.", rationale=RATIONALE)
    with pytest.raises(DomainError, match="Say why"):
        lead_decide(by=cat, allocation=lead, outcome="pass", feedback=SUMMARY, rationale="ok")
    with pytest.raises(PermissionDenied):
        lead_decide(by=ann, allocation=lead, outcome="pass", feedback=SUMMARY, rationale=RATIONALE)
    result = lead_decide(by=cat, allocation=lead, outcome="pass", feedback=SUMMARY, rationale=RATIONALE)
    assert (result.outcome, result.route, result.lead, result.was_borderline) == ("pass", "lead", cat, True)
    with pytest.raises(DomainError, match="already has its final result"):
        lead_decide(by=cat, allocation=lead, outcome="fail", feedback=DETAIL, rationale=RATIONALE)


def test_without_a_lead_assessor_the_script_waits_and_the_admin_allocates_later(provider):
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    ann, ben, cat = setup.assessors
    cat.assessor_profile.is_lead = False
    cat.assessor_profile.save()
    mark(allocate(script, ann), "fail")
    mark(live(script, "second"), "pass")
    assert live(script, "lead") is None
    cat.assessor_profile.is_lead = True
    cat.assessor_profile.save()
    admin = person(Role.PROVIDER_ADMIN, provider)
    plan = allocation_run(
        by=admin, provider=provider, task=setup.task, kind="lead", due_on=timezone.localdate()
    )
    assert [line.assessor for line in plan.lines] == [cat]
    assert (
        allocation_run(
            by=admin, provider=provider, task=setup.task, kind="lead", due_on=timezone.localdate()
        ).lines
        == ()
    )


def test_second_marking_run_takes_only_scripts_routed_to_it(provider):
    setup = marking_cohort(provider, 2, second_share=0)
    failed, passed = setup.scripts
    ann, ben, cat = setup.assessors
    ben.assessor_profile.capacity = cat.assessor_profile.capacity = (
        0  # nobody free when the first is submitted
    )
    ben.assessor_profile.save()
    cat.assessor_profile.save()
    mark(allocate(failed, ann), "fail")
    mark(allocate(passed, ann), "pass")
    assert live(failed, "second") is None
    ben.assessor_profile.capacity = 5
    ben.assessor_profile.save()
    admin = person(Role.PROVIDER_ADMIN, provider)
    plan = allocation_run(
        by=admin, provider=provider, task=setup.task, kind="second", due_on=timezone.localdate()
    )
    assert [(line.submission, line.assessor) for line in plan.lines] == [(failed, ben)]


def decided(provider, outcomes, *, attempts=1):
    """A cohort whose scripts have results with these outcomes (first marking, agreed where needed)."""
    setup = marking_cohort(provider, len(outcomes), second_share=0)
    setup.task.attempts_allowed = attempts
    setup.task.save()
    ann, ben, _ = setup.assessors
    for script, outcome in zip(setup.scripts, outcomes, strict=True):
        mark(allocate(script, ann), outcome)
        if outcome != "pass":
            mark(live(script, "second"), outcome)
    return setup


def test_release_is_refused_while_a_script_is_being_marked(provider):
    setup = marking_cohort(provider, 2, second_share=0)
    mark(allocate(setup.scripts[0], setup.assessors[0]), "pass")
    admin = person(Role.PROVIDER_ADMIN, provider)
    check = release_check(cohort=setup.cohort, task=setup.task)
    assert check.still_marking == [setup.scripts[1].candidate_number]
    with pytest.raises(DomainError, match="1 script still being marked"):
        results_release(by=admin, cohort=setup.cohort, task=setup.task)
    assert not Result.objects.filter(released_at__isnull=False).exists()


def test_release_without_moderation_needs_a_reason_which_is_recorded(
    provider, django_capture_on_commit_callbacks
):
    setup = decided(provider, ["pass", "fail"])
    admin = person(Role.PROVIDER_ADMIN, provider)
    with pytest.raises(DomainError, match="not yet covered by a completed moderation sample"):
        results_release(by=admin, cohort=setup.cohort, task=setup.task)
    with django_capture_on_commit_callbacks(execute=True):
        released = results_release(
            by=admin,
            cohort=setup.cohort,
            task=setup.task,
            without_moderation="The QA agent's sample is late.",
        )
    assert len(released) == 2
    assert {r.release_note for r in Result.objects.all()} == {"The QA agent's sample is late."}
    passed, failed = (Enrolment.objects.get(pk=s.enrolment_id) for s in setup.scripts)
    assert (passed.status, failed.status) == ("completed", "failed")
    assert Certificate.objects.filter(enrolment=passed).exists()
    assert not Certificate.objects.filter(enrolment=failed).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        s.enrolment.participant.user.email for s in setup.scripts
    )
    assert all("is ready" in m.subject and "Sign in" in m.body for m in mail.outbox)
    assert results_email_unsent(older_than=datetime.timedelta(0)) == 0  # each emailed once
    with pytest.raises(DomainError, match="no results waiting"):
        results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="again")


def test_release_after_a_completed_moderation_sample_needs_no_reason(provider):
    setup = decided(provider, ["pass"])
    result = Result.objects.get()
    sample = ModerationSample.objects.create(
        provider=provider,
        label="Spring",
        period_start=timezone.localdate() - datetime.timedelta(days=1),
        period_end=timezone.localdate(),
        seed="abc",
        drawn_at=timezone.now(),
    )
    item = ModerationItem.objects.create(
        sample=sample, result=result, reason="random", outcome_moderated="pass"
    )
    admin = person(Role.PROVIDER_ADMIN, provider)
    assert release_check(cohort=setup.cohort, task=setup.task).unmoderated == [result]  # no verdict yet
    item.verdict, item.recorded_at = "agree", timezone.now()
    item.save()
    assert release_check(cohort=setup.cohort, task=setup.task).unmoderated == []
    results_release(by=admin, cohort=setup.cohort, task=setup.task)
    result.refresh_from_db()
    assert result.released_at is not None and result.release_note == ""


def test_a_fail_with_an_attempt_left_keeps_the_place_active_with_a_date_to_resubmit_by(provider):
    setup = decided(provider, ["fail"], attempts=2)
    admin = person(Role.PROVIDER_ADMIN, provider)
    results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="Small cohort.")
    result = Result.objects.get()
    assert result.resubmit_by == timezone.localdate() + datetime.timedelta(days=90)
    assert Enrolment.objects.get(pk=setup.scripts[0].enrolment_id).status == "active"


def test_only_the_providers_admins_release(provider, other_provider):
    setup = decided(provider, ["pass"])
    for user in (
        person(Role.PROVIDER_ADMIN, other_provider),
        person(Role.PLATFORM_STAFF),
        setup.assessors[0],
    ):
        with pytest.raises(PermissionDenied):
            results_release(by=user, cohort=setup.cohort, task=setup.task, without_moderation="x")


def test_assessors_are_reminded_once_before_marking_is_due_and_once_when_overdue(provider):
    setup = marking_cohort(provider, 2, second_share=0)  # the pass below is not second-marked
    ann = setup.assessors[0]
    for script in setup.scripts:
        allocation = allocate(script, ann)
        allocation.due_on = datetime.date(2027, 1, 10)
        allocation.save()
    assert allocations_remind(today=datetime.date(2027, 1, 1)) == 0  # more than three days ahead
    assert allocations_remind(today=datetime.date(2027, 1, 8)) == 1  # one email for both scripts
    assert mail.outbox[-1].subject == "2 scripts to mark by Sunday 10 January"
    body = mail.outbox[-1].body
    assert all(s.candidate_number in body for s in setup.scripts)
    assert all(s.enrolment.participant.user.full_name not in body for s in setup.scripts)
    assert allocations_remind(today=datetime.date(2027, 1, 9)) == 0
    mark(Allocation.objects.filter(submission=setup.scripts[0]).get(), "pass")
    assert allocations_remind(today=datetime.date(2027, 1, 11)) == 1
    assert mail.outbox[-1].subject == "Overdue: 1 script to mark"
    assert allocations_remind(today=datetime.date(2027, 1, 12)) == 0


def test_release_waits_for_the_full_name_a_certificate_needs(provider):
    setup = decided(provider, ["pass"])
    user = setup.scripts[0].enrolment.participant.user
    user.full_name = ""
    user.save()
    admin = person(Role.PROVIDER_ADMIN, provider)
    with pytest.raises(DomainError, match=f"none on their account \\({user.email}\\)"):
        results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="Small cohort.")
    assert not Result.objects.filter(released_at__isnull=False).exists()


def test_the_second_marking_is_due_in_the_mark_schemes_days(provider):
    setup = marking_cohort(provider, 1)
    scheme = setup.task.mark_scheme
    scheme.marking_days = 21
    scheme.save()
    mark(allocate(setup.scripts[0], setup.assessors[0]), "fail")
    assert live(setup.scripts[0], "second").due_on == timezone.localdate() + datetime.timedelta(days=21)
