"""Moderation: a reproducible sample per provider and period (every borderline script, every assessor, the rest
at random up to the rate), moderators' verdicts and what they do to a result, and the accuracy figures of DfE
metric 5 and the marking-quality page, checked against numbers worked out by hand."""

import datetime
import random
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from assessment.models import Allocation, Marking, ModerationItem, Result, ResultChange
from assessment.moderation import (
    accuracy,
    marking_quality,
    needs_attention,
    percent_of,
    sample_draw,
    sample_plan,
    sample_redraw_check,
    verdict_record,
)
from npqel.access import Role, forget
from npqel.errors import DomainError
from tests.assessment.moderation_factories import DECIDED, UK, assessor, marked_result, marked_world
from tests.people import person
from tests.programmes.factories import StaffMembershipFactory

D = datetime.date
MAY = {"period_start": D(2026, 5, 1), "period_end": D(2026, 5, 31)}
WHY = "The implementation plan has no stages, a failure-level omission the assessor missed."


# sample_plan: pure, no database -----------------------------------------------------------------------------


def fake(pk: int, assessor_id: int, *, borderline: bool = False) -> Result:
    """An unsaved result with just what a plan reads."""
    marking = Marking(allocation=Allocation(assessor_id=assessor_id))
    return Result(pk=pk, was_borderline=borderline, first_marking=marking, outcome="pass")


def pool(n: int, assessors: int, borderline: set[int] = frozenset()) -> list[Result]:
    return [fake(pk, pk % assessors + 1, borderline=pk in borderline) for pk in range(1, n + 1)]


def picked(plan) -> list[tuple[int, str]]:
    return [(result.pk, reason) for result, reason in plan]


def test_the_same_seed_draws_the_same_sample_whatever_order_the_results_come_in():
    results = pool(60, 4, borderline={7, 30})
    first = picked(sample_plan(results, rate_percent=20, seed="5f3a9c01d2e4b6a7"))
    for attempt in range(5):
        shuffled = results[:]
        random.Random(attempt).shuffle(shuffled)
        assert picked(sample_plan(shuffled, rate_percent=20, seed="5f3a9c01d2e4b6a7")) == first
    assert picked(sample_plan(list(reversed(results)), rate_percent=20, seed="5f3a9c01d2e4b6a7")) == first
    other_seed = picked(sample_plan(results, rate_percent=20, seed="0000000000000001"))
    assert len(other_seed) == len(first) == 12  # 20% of 60
    assert other_seed != first  # another seed, another random share


def test_every_borderline_script_is_in_whatever_the_rate():
    results = pool(50, 2, borderline={3, 18, 41, 44})
    plan = sample_plan(results, rate_percent=1, seed="seed")
    borderline = [pk for pk, reason in picked(plan) if reason == "borderline"]
    assert borderline == [3, 18, 41, 44]
    assert picked(plan)[:4] == [(3, "borderline"), (18, "borderline"), (41, "borderline"), (44, "borderline")]
    # 1% of 50 is 1 script, but every borderline one is in: the sample is never smaller than what must be in.
    assert len(plan) == 4


def test_every_first_assessor_is_represented_even_with_one_script():
    # Assessor 1 marked 18 scripts, assessors 2 and 3 one each; the borderline script is assessor 1's.
    results = [fake(pk, 1, borderline=pk == 5) for pk in range(1, 19)] + [fake(19, 2), fake(20, 3)]
    plan = sample_plan(results, rate_percent=10, seed="abc")
    reasons = dict(picked(plan))
    assert reasons[5] == "borderline"
    assert reasons[19] == reasons[20] == "assessor"
    assert {result.first_marking.allocation.assessor_id for result, _ in plan} == {1, 2, 3}
    # Assessor 1 is represented by the borderline script already, so none of theirs is added for that reason.
    assert [pk for pk, reason in picked(plan) if reason == "assessor"] == [19, 20]
    assert len(plan) == 3  # ceil(10% of 20) = 2, but three are mandatory


def test_the_rate_is_met_by_random_picks_rounding_up():
    results = pool(41, 2)
    for rate, size in ((10, 5), (25, 11), (50, 21), (100, 41)):
        plan = sample_plan(results, rate_percent=rate, seed="rate")
        assert len(plan) == size, rate  # ceil(rate% × 41)
        assert len({result.pk for result, _ in plan}) == size
        assert [reason for _, reason in plan].count("assessor") == 2  # one for each of the two assessors


def test_a_rate_outside_1_to_100_is_refused():
    with pytest.raises(DomainError, match="from 1 to 100"):
        sample_plan(pool(3, 1), rate_percent=0, seed="x")


def test_percentages_round_half_up_to_two_places():
    assert percent_of(1, 32) == Decimal("3.13")  # 3.125: half up, not to even
    assert percent_of(7, 120) == Decimal("5.83")
    assert percent_of(2, 3) == Decimal("66.67")
    assert percent_of(0, 5) == Decimal("0.00")
    assert percent_of(0, 0) is None


# sample_draw --------------------------------------------------------------------------------------------


@pytest.fixture
def world(provider):
    return marked_world(provider)


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


@pytest.fixture
def moderator(db):
    return person(Role.MODERATOR)


def test_a_draw_records_the_seed_and_the_outcomes_and_can_be_drawn_again(world, admin):
    ann, ben = assessor(world.provider, "Ann Marker"), assessor(world.provider, "Ben Marker")
    results = [marked_result(world, first=ann) for _ in range(12)]
    results += [marked_result(world, first=ann, first_outcome="borderline", outcome="pass")]
    results += [marked_result(world, first=ben, first_outcome="fail")]
    # Drawn before the period ends, so that a result decided later in the period can follow (below).
    with time_machine.travel(datetime.datetime(2026, 5, 20, 9, 0, tzinfo=UK), tick=False):
        sample = sample_draw(
            by=admin, provider=world.provider, label=" Spring  2026 ", rate_percent=20, **MAY
        )
    assert (sample.label, sample.rate_percent, sample.drawn_by) == ("Spring 2026", 20, admin)
    assert len(sample.seed) == 16 and int(sample.seed, 16) >= 0
    items = list(sample.items.select_related("result"))
    assert len(items) == 3  # ceil(20% of 14)
    reasons = sorted(item.reason for item in items)
    assert reasons == [
        "assessor",
        "borderline",
        "random",
    ]  # the borderline one is Ann's; Ben's fail; one more
    assert all(item.outcome_moderated == item.result.outcome for item in items)
    assert sample_redraw_check(sample) is True
    # A result decided after the draw, in the same period, and a later sample of the rest, leave the first
    # reproducible.
    marked_result(world, first=ben, decided_at=datetime.datetime(2026, 5, 30, 10, 0, tzinfo=UK))
    sample_draw(by=admin, provider=world.provider, label="The rest", rate_percent=100, **MAY)
    assert sample_redraw_check(sample) is True
    # Tampering shows: an item taken out, or one given for another reason.
    changed = items[0]
    ModerationItem.objects.filter(pk=changed.pk).update(
        reason="random" if changed.reason != "random" else "assessor"
    )
    assert sample_redraw_check(sample) is False


def test_the_same_seed_draws_the_same_scripts_on_the_same_results(world, admin, other_provider):
    ann = assessor(world.provider, "Ann Marker")
    for _ in range(20):
        marked_result(world, first=ann)
    first = sample_draw(by=admin, provider=world.provider, label="A", rate_percent=25, seed="fixed", **MAY)
    chosen = set(first.items.values_list("result_id", flat=True))
    ModerationItem.objects.filter(sample=first).delete()  # as if never drawn
    again = sample_draw(by=admin, provider=world.provider, label="B", rate_percent=25, seed="fixed", **MAY)
    assert set(again.items.values_list("result_id", flat=True)) == chosen and len(chosen) == 5


def test_only_the_providers_results_decided_in_the_period_on_the_uk_clock(world, admin, other_provider):
    ann = assessor(world.provider, "Ann Marker")
    inside = [
        # 00:30 BST on 1 May is 23:30 UTC on 30 April: in May on the UK clock.
        marked_result(world, first=ann, decided_at=datetime.datetime(2026, 5, 1, 0, 30, tzinfo=UK)),
        marked_result(world, first=ann, decided_at=datetime.datetime(2026, 5, 31, 23, 59, tzinfo=UK)),
    ]
    marked_result(world, first=ann, decided_at=datetime.datetime(2026, 4, 30, 23, 59, tzinfo=UK))
    marked_result(world, first=ann, decided_at=datetime.datetime(2026, 6, 1, 0, 0, tzinfo=UK))
    elsewhere = marked_world(other_provider)
    marked_result(elsewhere, first=assessor(other_provider, "Other Marker"))
    sample = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    assert set(sample.items.values_list("result_id", flat=True)) == {r.pk for r in inside}


def test_a_script_is_moderated_only_once_and_an_empty_period_is_refused(world, admin):
    ann = assessor(world.provider, "Ann Marker")
    for _ in range(4):
        marked_result(world, first=ann)
    sample_draw(by=admin, provider=world.provider, label="All of May", rate_percent=100, **MAY)
    with pytest.raises(
        DomainError, match="All 4 results decided from 1 May 2026 to 31 May 2026 are already in"
    ):
        sample_draw(by=admin, provider=world.provider, label="Again", rate_percent=100, **MAY)
    with pytest.raises(
        DomainError, match="No results were decided from 1 June 2026 to 30 June 2026"
    ) as refused:
        sample_draw(
            by=admin,
            provider=world.provider,
            label="June",
            rate_percent=10,
            period_start=D(2026, 6, 1),
            period_end=D(2026, 6, 30),
        )
    assert refused.value.field == "period_start"
    with pytest.raises(DomainError, match="on or after its first day"):
        sample_draw(
            by=admin,
            provider=world.provider,
            label="Backwards",
            rate_percent=10,
            period_start=D(2026, 5, 31),
            period_end=D(2026, 5, 1),
        )
    with pytest.raises(DomainError, match="Give the sample a name"):
        sample_draw(by=admin, provider=world.provider, label="  ", rate_percent=10, **MAY)


@pytest.mark.parametrize("role", [Role.PLATFORM_STAFF, Role.ASSESSOR, Role.MODERATOR, Role.FACILITATOR])
def test_only_the_providers_admins_draw_a_sample(world, role, other_provider):
    assessor_user = assessor(world.provider, "Ann Marker")
    marked_result(world, first=assessor_user)
    for user in (person(role, world.provider), person(Role.PROVIDER_ADMIN, other_provider)):
        with pytest.raises(PermissionDenied):
            sample_draw(by=user, provider=world.provider, label="May", rate_percent=10, **MAY)
    assert not ModerationItem.objects.exists()


# Verdicts ------------------------------------------------------------------------------------------------


@pytest.fixture
def sampled(world, admin):
    """Three results in one sample: a pass, a fail, and a pass that is already released."""
    ann = assessor(world.provider, "Ann Marker")
    marked_result(world, first=ann)
    marked_result(world, first=ann, first_outcome="fail")
    marked_result(world, first=ann, released_at=DECIDED + datetime.timedelta(days=3))
    sample = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    return list(sample.items.select_related("result").order_by("result_id"))


def test_agreeing_changes_nothing_on_the_result(sampled, moderator):
    item = verdict_record(by=moderator, item=sampled[0], verdict="agree", moderator_outcome="fail")
    item.refresh_from_db()
    assert (item.verdict, item.moderator_outcome, item.moderator) == ("agree", "", moderator)
    assert item.recorded_at is not None
    assert Result.objects.get(pk=item.result_id).outcome == "pass"
    assert not ResultChange.objects.exists()


FAIL_FEEDBACK = (
    "The plan names the problems but does not justify its solutions against alternatives, and the stages of "
    "implementation are missing: there is no sequence, no owner for each step and no way of telling whether it "
    "is working. Use the case's evidence to prioritise, and set out how the board will hold leaders to account."
)


def test_a_disagreement_before_release_changes_the_outcome_and_changing_back_restores_it(sampled, moderator):
    summary = Result.objects.get(pk=sampled[0].result_id).feedback
    with pytest.raises(DomainError, match="The participant will read feedback on a fail") as refused:
        verdict_record(
            by=moderator, item=sampled[0], verdict="disagree", moderator_outcome="fail", rationale=WHY
        )
    assert refused.value.field == "feedback"
    item = verdict_record(
        by=moderator,
        item=sampled[0],
        verdict="disagree",
        moderator_outcome="fail",
        rationale=WHY,
        feedback=FAIL_FEEDBACK,
    )
    result = Result.objects.get(pk=item.result_id)
    assert (result.outcome, result.route, result.feedback) == ("fail", "moderated", FAIL_FEEDBACK)
    change = ResultChange.objects.get(result=result)
    assert (change.from_outcome, change.to_outcome, change.changed_by) == ("pass", "fail", moderator)
    assert WHY in change.reason and "May" in change.reason
    assert needs_attention(item) is False  # not released: the result already follows the moderator
    # The same moderator changes their mind before release: the outcome moderated is back.
    verdict_record(by=moderator, item=item, verdict="agree")
    result.refresh_from_db()
    assert (result.outcome, result.route, result.feedback) == ("pass", "first", summary)
    assert list(ResultChange.objects.filter(result=result).values_list("to_outcome", flat=True)) == [
        "fail",
        "pass",
    ]


def test_a_disagreement_needs_the_other_outcome_and_a_sentence_of_rationale(sampled, moderator):
    item = sampled[1]  # a fail
    with pytest.raises(DomainError, match="Choose the outcome you would give") as refused:
        verdict_record(by=moderator, item=item, verdict="disagree", rationale=WHY)
    assert refused.value.field == "moderator_outcome"
    with pytest.raises(DomainError, match="already fail"):
        verdict_record(by=moderator, item=item, verdict="disagree", moderator_outcome="fail", rationale=WHY)
    with pytest.raises(DomainError, match="you have written 10") as refused:
        verdict_record(
            by=moderator, item=item, verdict="disagree", moderator_outcome="pass", rationale="  Too harsh.  "
        )
    assert refused.value.field == "rationale"
    with pytest.raises(DomainError, match="Choose whether you agree"):
        verdict_record(by=moderator, item=item, verdict="maybe")
    item.refresh_from_db()
    assert item.verdict == "" and not ResultChange.objects.exists()


def test_on_a_released_result_a_disagreement_is_recorded_and_flagged_but_changes_nothing(sampled, moderator):
    released = sampled[2]
    item = verdict_record(
        by=moderator, item=released, verdict="disagree", moderator_outcome="fail", rationale=WHY
    )
    item = ModerationItem.objects.select_related("result").get(pk=item.pk)
    assert item.verdict == "disagree" and item.result.outcome == "pass" and item.result.route == "first"
    assert needs_attention(item) is True
    assert not ResultChange.objects.exists()
    with pytest.raises(DomainError, match="released on 15 May 2026, so the verdict can no longer change"):
        verdict_record(by=moderator, item=item, verdict="agree")


def test_only_moderators_record_and_only_the_same_moderator_changes_it(sampled, world, moderator):
    for role in (Role.PROVIDER_ADMIN, Role.PLATFORM_STAFF, Role.ASSESSOR):
        with pytest.raises(PermissionDenied):
            verdict_record(by=person(role, world.provider), item=sampled[0], verdict="agree")
    verdict_record(by=moderator, item=sampled[0], verdict="agree")
    colleague = person(Role.MODERATOR)
    colleague.full_name = "Mo Second"
    colleague.save()
    with pytest.raises(DomainError, match="only they can change it"):
        verdict_record(
            by=colleague, item=sampled[0], verdict="disagree", moderator_outcome="fail", rationale=WHY
        )
    # A moderator who works for the provider does not moderate its scripts.
    StaffMembershipFactory(provider=world.provider, user=colleague, role="facilitator")
    forget(colleague)  # roles are read once per request
    with pytest.raises(DomainError, match="You hold a role at"):
        verdict_record(by=colleague, item=sampled[1], verdict="agree")


# Accuracy --------------------------------------------------------------------------------------------------


def test_accuracy_matches_figures_worked_out_by_hand(world, admin, moderator, other_provider):
    ann, ben = assessor(world.provider, "Ann Marker"), assessor(world.provider, "Ben Marker")
    anns = [marked_result(world, first=ann) for _ in range(6)]
    bens = [marked_result(world, first=ben) for _ in range(3)]
    marked_result(world, first=ben, decided_at=datetime.datetime(2026, 7, 1, 10, 0, tzinfo=UK))  # outside
    sample = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    item_of = {item.result_id: item for item in sample.items.all()}
    # Ann: 3 of her 6 moderated, 2 agreed. Ben: 1 of 3 moderated, agreed. The rest wait for a verdict.
    for result in anns[:2] + bens[:1]:
        verdict_record(by=moderator, item=item_of[result.pk], verdict="agree")
    verdict_record(
        by=moderator,
        item=item_of[anns[2].pk],
        verdict="disagree",
        moderator_outcome="fail",
        rationale=WHY,
        feedback=FAIL_FEEDBACK,
    )
    report = accuracy(provider=world.provider, **MAY)
    assert (report.assessments, report.moderated, report.agreed) == (9, 4, 3)
    assert report.moderated_percent == Decimal("44.44")  # 4 ÷ 9 = 44.444…
    assert report.accuracy_percent == Decimal("75.00")
    by_name = {a.name: a for a in report.assessors}
    assert [a.name for a in report.assessors] == ["Ann Marker", "Ben Marker"]
    assert (by_name["Ann Marker"].assessments, by_name["Ann Marker"].moderated) == (6, 3)
    assert by_name["Ann Marker"].accuracy_percent == Decimal("66.67")  # 2 ÷ 3
    assert by_name["Ann Marker"].moderated_percent == Decimal("50.00")
    assert by_name["Ben Marker"].accuracy_percent == Decimal("100.00")
    assert by_name["Ben Marker"].moderated_percent == Decimal("33.33")
    # Without a period: Ben's July result counts as an assessment, not moderated.
    everything = accuracy(provider=world.provider)
    assert (everything.assessments, everything.moderated, everything.agreed) == (10, 4, 3)
    assert everything.moderated_percent == Decimal("40.00")
    # Nothing moderated yet: 0% moderated and no accuracy; nothing assessed: neither.
    elsewhere = marked_world(other_provider)
    marked_result(elsewhere, first=assessor(other_provider, "Cat Marker"))
    none_moderated = accuracy(provider=other_provider)
    assert (none_moderated.moderated_percent, none_moderated.accuracy_percent) == (Decimal("0.00"), None)
    nothing = accuracy(provider=world.provider, period_start=D(2027, 1, 1))
    assert (nothing.assessments, nothing.moderated_percent, nothing.accuracy_percent, nothing.assessors) == (
        0,
        None,
        None,
        [],
    )


def test_accuracy_takes_one_query_however_many_results(world, admin, moderator, django_assert_num_queries):
    for i in range(3):
        marked_result(world, first=assessor(world.provider, f"Marker {i}"))
    with django_assert_num_queries(1):
        small = accuracy(provider=world.provider)
    for i in range(6):
        marked_result(world, first=assessor(world.provider, f"More {i}"), first_outcome="borderline")
    sample_draw(by=admin, provider=world.provider, label="May", rate_percent=50, **MAY)
    with django_assert_num_queries(1):
        large = accuracy(provider=world.provider)
    assert (small.assessments, large.assessments, len(large.assessors)) == (3, 9, 9)


def test_marking_quality_matches_figures_worked_out_by_hand(
    world, admin, moderator, django_assert_num_queries
):
    ann, ben = assessor(world.provider, "Ann Marker"), assessor(world.provider, "Ben Marker")
    passed = marked_result(world, first=ann)  # 26
    borderline = marked_result(world, first=ann, first_outcome="borderline", second=(ben, "pass"))  # 20; 26
    failed = marked_result(world, first=ann, first_outcome="fail", second=(ben, "fail"))  # 12; 12
    sample = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    item_of = {item.result_id: item for item in sample.items.all()}
    verdict_record(by=moderator, item=item_of[passed.pk], verdict="agree")
    verdict_record(by=moderator, item=item_of[borderline.pk], verdict="agree")
    verdict_record(
        by=moderator, item=item_of[failed.pk], verdict="disagree", moderator_outcome="pass", rationale=WHY
    )
    with django_assert_num_queries(4):
        quality = marking_quality(provider=world.provider)
    assert quality.bands == ["0–4", "5–9", "10–14", "15–19", "20–24", "25–29"]
    ann_q, ben_q = quality.assessors
    assert (ann_q.name, ann_q.scripts, ann_q.mean_total) == ("Ann Marker", 3, Decimal("19.33"))
    assert ann_q.distribution == [0, 0, 1, 0, 1, 1]
    assert ann_q.outcomes == {"pass": 1, "borderline": 1, "fail": 1}
    assert ann_q.by_kind == {"first": 3, "second": 0, "lead": 0}
    assert (ben_q.scripts, ben_q.mean_total, ben_q.distribution) == (2, Decimal("19.00"), [0, 0, 1, 0, 0, 1])
    assert ben_q.by_kind["second"] == 2 and ben_q.accuracy is None  # never a first assessor
    assert ann_q.accuracy.accuracy_percent == Decimal("66.67")
    second = {band.band: band for band in quality.second_marking}
    assert (second["pass"].checked, second["pass"].percent) == (0, None)
    assert (second["borderline"].checked, second["borderline"].agreed, second["borderline"].percent) == (
        1,
        0,
        Decimal("0.00"),
    )
    assert (second["fail"].checked, second["fail"].percent) == (1, Decimal("100.00"))
    moderation = {band.band: band for band in quality.moderation}
    assert (moderation["pass"].checked, moderation["pass"].agreed) == (1, 1)
    assert (moderation["borderline"].checked, moderation["borderline"].agreed) == (1, 1)
    assert (moderation["fail"].checked, moderation["fail"].agreed, moderation["fail"].percent) == (
        1,
        0,
        Decimal("0.00"),
    )
    # More scripts and markers, the same four queries.
    for i in range(4):
        marked_result(world, first=assessor(world.provider, f"More {i}"), second=(ben, "pass"))
    with django_assert_num_queries(4):
        assert len(marking_quality(provider=world.provider).assessors) == 6
