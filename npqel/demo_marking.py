"""The demo's marking (issue 7): assessors for each provider (the demo assessor, two more, one of them a lead),
and for every submitted script of the demo:

- places already passed or failed: first marking, second marking where the routing rule sends it (every fail,
  every borderline, a share of passes), the lead's decision on borderlines, a result that matches the place,
  a moderation sample per provider with the moderator's verdicts, release, and certificates for passes;
- active places (unless their fixed window is still open): allocated for first marking and not marked yet,
  the first few to the provider's demo assessor, so "Your marking" has scripts in it;
Written in bulk; run again, it touches only scripts without an allocation.
"""

import datetime
import random

from django.utils import timezone

from accounts.models import User
from assessment import routing
from assessment.certificates import certificate_issue
from assessment.models import (
    Allocation,
    AssessmentWindow,
    AssessorProfile,
    Marking,
    ModerationItem,
    ModerationSample,
    Result,
    Submission,
)
from assessment.moderation import sample_plan
from npqel.access import Role
from npqel.demo_assessment import DEMO_SLUGS
from participants.models import Enrolment
from programmes.models import Provider, StaffMembership

# (name, email local part, lead) of the assessors each demo provider gets besides its demo assessor.
MORE_ASSESSORS = (("Priya Shah", "priya.shah", False), ("Tom Okafor", "tom.okafor", True))
DEMO_QUEUE = 4  # scripts waiting in each demo assessor's queue
FEEDBACK = {
    "pass": "A well-justified plan grounded in the case's evidence, with clear stages and review points.",
    "borderline": (
        "The response identifies the main problems and proposes sensible solutions, but the justification is "
        "thin: alternatives are not weighed and the evidence from the case is used unevenly. The implementation "
        "plan lists actions without saying how progress will be monitored or what happens if it stalls. "
        "Strengthen the link between each solution and the problem it addresses."
    ),
    "fail": (
        "The response describes the school's situation but does not prioritise its problems, and the chosen "
        "solutions are asserted rather than justified. The stages of implementation are missing: there is no "
        "plan for who leads each step, by when, or how success is judged. Revisit the mark scheme's criteria "
        "on implementation and justification, and use the case's evidence throughout."
    ),
}
TOTALS = {"pass": (22, 34), "borderline": (18, 21), "fail": (8, 17)}


def _assessors(provider: Provider) -> list[User]:
    """The provider's demo assessor (if it has one) and two more; the last is a lead assessor."""
    from npqel.demo import _user

    pool = []
    demo = User.objects.filter(email=f"assessor@{provider.slug}.example").first()
    if demo is not None:
        pool.append(demo)
    for name, local, lead in MORE_ASSESSORS:
        user = _user(f"{local}@{provider.slug}.example", f"{name} ({provider.name})", needs_mfa=True)
        StaffMembership.objects.get_or_create(user=user, provider=provider, role=Role.ASSESSOR.value)
        AssessorProfile.objects.update_or_create(user=user, defaults={"is_lead": lead})
        pool.append(user)
    return pool


def _marks(criteria: list, outcome: str, rng: random.Random) -> tuple[dict[str, int], int]:
    """Marks per criterion that add up to a total in the outcome's range."""
    low, high = TOTALS[outcome]
    most = sum(c.max_mark for c in criteria)
    total = rng.randint(min(low, most), min(high, most))
    marks = [0] * len(criteria)
    for _ in range(total):
        room = [i for i, c in enumerate(criteria) if marks[i] < c.max_mark]
        marks[rng.choice(room)] += 1
    return {str(c.pk): mark for c, mark in zip(criteria, marks, strict=True)}, total


def demo_marking_load(*, today: datetime.date) -> int:
    """Marking, results, moderation and certificates for the demo's submitted scripts; returns results made."""
    rng = random.Random("npqel-demo-marking")  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    made = 0
    for provider in Provider.objects.filter(slug__in=DEMO_SLUGS).order_by("pk"):
        pool = _assessors(provider)
        scripts = list(
            Submission.objects.filter(
                enrolment__provider=provider,
                status=Submission.Status.SUBMITTED,
                allocations__isnull=True,
            )
            .select_related("enrolment", "task__mark_scheme")
            .prefetch_related("task__mark_scheme__criteria")
            .order_by("submitted_at", "pk")
        )
        finished = [
            s for s in scripts if s.enrolment.status in (Enrolment.Status.COMPLETED, Enrolment.Status.FAILED)
        ]
        # Scripts of places still active, unless their fixed window is still open (they may yet replace them).
        still_open = set(
            AssessmentWindow.objects.filter(
                cohort__programme__provider=provider, closes_on__gte=today
            ).values_list("cohort_id", "task_id")
        )
        waiting = [
            s
            for s in scripts
            if s.enrolment.status == Enrolment.Status.ACTIVE
            and (s.enrolment.cohort_id, s.task_id) not in still_open
        ]
        results = _mark_finished(finished, pool, rng, now)
        made += len(results)
        _moderate_and_release(provider, results, rng, now)
        _queue(waiting, pool, now, today)
    for enrolment in Enrolment.objects.filter(
        status=Enrolment.Status.COMPLETED,
        certificates__isnull=True,
        submissions__result__released_at__isnull=False,
    ).distinct():
        certificate_issue(enrolment=enrolment)
    return made


def _mark_finished(
    scripts: list[Submission], pool: list[User], rng: random.Random, now: datetime.datetime
) -> list[Result]:
    """Markings and results for scripts of places already passed or failed, in agreement with the place."""
    allocations, markings, plans = [], [], []
    lead = pool[-1]
    for index, script in enumerate(scripts):
        passed = script.enrolment.status == Enrolment.Status.COMPLETED
        first_outcome = ("pass" if rng.random() < 0.85 else "borderline") if passed else "fail"
        first_by = pool[index % (len(pool) - 1)]
        second_by = pool[(index + 1) % (len(pool) - 1)] if len(pool) > 2 else lead
        # Four weeks after submission, but never later than two days ago (places that finished recently).
        decided = min(
            script.submitted_at + datetime.timedelta(days=28),
            max(script.submitted_at + datetime.timedelta(hours=1), now - datetime.timedelta(days=2)),
        )
        steps = [("first", first_by, first_outcome)]
        probe = Marking(outcome=first_outcome, allocation=Allocation(submission=script))
        if routing.second_marking(probe).needed:
            steps.append(("second", second_by, first_outcome))  # the demo's second assessors agree
        plans.append((script, passed, decided))
        for kind, by, outcome in steps:
            allocation = Allocation(
                submission=script,
                kind=kind,
                assessor=by,
                allocated_at=script.submitted_at + datetime.timedelta(days=7),
                due_on=(script.submitted_at + datetime.timedelta(days=21)).date(),
            )
            marks, total = _marks(list(script.task.mark_scheme.criteria.all()), outcome, rng)
            allocations.append(allocation)
            markings.append(
                Marking(
                    allocation=allocation,
                    status=Marking.Status.SUBMITTED,
                    marks=marks,
                    feedback=FEEDBACK[outcome],
                    total=total,
                    outcome=outcome,
                    revision=2,
                    saved_by=by,
                    saved_at=decided - datetime.timedelta(days=1),
                    submitted_at=decided - datetime.timedelta(days=1),
                )
            )
        if len(steps) == 2 and steps[0][2] == "borderline":
            allocations.append(
                Allocation(
                    submission=script,
                    kind="lead",
                    assessor=lead,
                    allocated_at=decided - datetime.timedelta(days=1),
                    due_on=decided.date(),
                )
            )
    Allocation.objects.bulk_create(allocations)
    for marking in markings:
        marking.allocation_id = marking.allocation.pk
    Marking.objects.bulk_create(markings)
    by_script: dict[int, dict[str, Marking]] = {}
    for marking in markings:
        by_script.setdefault(marking.allocation.submission_id, {})[marking.allocation.kind] = marking
    results = []
    for script, passed, decided in plans:
        own = by_script[script.pk]
        first, second = own["first"], own.get("second")
        lead_decided = second is not None and first.outcome == "borderline"
        results.append(
            Result(
                submission=script,
                outcome=Result.Outcome.PASS if passed else Result.Outcome.FAIL,
                route=Result.Route.LEAD
                if lead_decided
                else (Result.Route.AGREED if second else Result.Route.FIRST),
                was_borderline=first.outcome == "borderline",
                first_marking=first,
                second_marking=second,
                total=None if lead_decided else (second or first).total,
                feedback=FEEDBACK["pass"] if passed else FEEDBACK["fail"],
                decided_at=decided,
                lead=lead if lead_decided else None,
                lead_rationale=(
                    "Both assessors found it borderline; the implementation stages and the use of the case's "
                    "evidence meet the pass descriptors."
                    if lead_decided
                    else ""
                ),
            )
        )
    return Result.objects.bulk_create(results)


def _moderate_and_release(
    provider: Provider, results: list[Result], rng: random.Random, now: datetime.datetime
) -> None:
    """One moderation sample over the provider's demo results, every verdict in, then release."""
    if not results:
        return
    moderator = User.objects.filter(is_moderator=True).order_by("pk").first()
    first_day = min(timezone.localdate(r.decided_at) for r in results)
    last_day = max(timezone.localdate(r.decided_at) for r in results)
    drawn_at = min(max(r.decided_at for r in results) + datetime.timedelta(days=2), now)
    sample = ModerationSample.objects.create(
        provider=provider,
        label=f"Demo results {first_day:%B %Y} to {last_day:%B %Y}",
        period_start=first_day,
        period_end=last_day,
        rate_percent=10,
        seed="demo-" + provider.slug,
        drawn_at=drawn_at,
    )
    picked = sample_plan(results, rate_percent=10, seed=sample.seed)
    ModerationItem.objects.bulk_create(
        ModerationItem(
            sample=sample,
            result=result,
            reason=reason,
            outcome_moderated=result.outcome,
            verdict=ModerationItem.Verdict.AGREE,
            moderator=moderator,
            recorded_at=drawn_at,
            rationale="",
        )
        for result, reason in picked
    )
    admin = User.objects.filter(
        memberships__provider=provider, memberships__role=Role.PROVIDER_ADMIN.value
    ).first()
    for result in results:
        result.released_at = min(drawn_at + datetime.timedelta(days=5), now)
        result.released_by = admin
        result.emailed_at = result.released_at
    Result.objects.bulk_update(results, ["released_at", "released_by", "emailed_at"])


def _queue(scripts: list[Submission], pool: list[User], now: datetime.datetime, today: datetime.date) -> None:
    """First-marking allocations, not marked yet, for scripts of places still active."""
    due = today + datetime.timedelta(days=14)
    Allocation.objects.bulk_create(
        Allocation(
            submission=script,
            kind="first",
            assessor=pool[0] if index < DEMO_QUEUE else pool[1 + index % (len(pool) - 1)],
            allocated_at=now,
            due_on=due,
        )
        for index, script in enumerate(scripts)
    )
