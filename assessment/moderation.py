"""Moderation (issue 7): a sample of each provider's results per period, moderators' verdicts on them, and the
figures DfE's metric 5 ("assessment accuracy") and the marking-quality page are made of.

Sampling (`sample_plan`, pure; `sample_draw`, the service):
- every result that was borderline at any marking is in;
- then, for every first assessor not yet represented, one of their results (the seed picks which);
- then results at random until the sample holds ceil(rate % × results in the period), never fewer than the
  mandatory ones.
The order is a SHA-256 of the seed and each result's id, so the same results and seed give the same sample
whatever order they come in, and `sample_redraw_check` can re-derive a sample from its recorded seed.
A result is moderated at most once: a draw leaves out results already in another sample, and the re-derivation
leaves out those in samples drawn before it.

Verdicts (`verdict_record`): moderators only (cross-provider). Agree needs no outcome; disagree needs the
moderator's own outcome (the other one) and a rationale of at least a sentence. Until the result is released the
moderator who recorded a verdict may change it, and the result follows it: a disagreement makes the moderator's
outcome the result's (route "moderated", with a ResultChange giving the rationale), and changing back to agree
restores the outcome moderated. Once the result is released a verdict can still be recorded (the first one), but
it changes nothing: a disagreement is flagged for the provider's admins (`needs_attention`), who decide through a
review.

Accuracy = agreed ÷ moderated, per provider and per first assessor; percentages to 2 dp, rounded half up, None
when there is nothing to divide by. Every selector here takes a fixed number of queries.
"""

import datetime
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from assessment.models import (
    MAIN_FIRST,
    Allocation,
    Criterion,
    Marking,
    ModerationItem,
    ModerationSample,
    Omission,
    Result,
    ResultChange,
    SubmissionFile,
)
from assessment.outcomes import OUTCOME_LABELS, Outcome, feedback_problem
from assessment.services import submission_label
from audit.services import audit_diff, audit_record
from npqel.access import Action, access_for, provider_q, require, require_moderator, require_page
from npqel.errors import DomainError
from npqel.words import plural
from programmes.models import Provider
from programmes.timetable import local_datetime

Reason = ModerationItem.Reason
Verdict = ModerationItem.Verdict
# A rationale for a disagreement: at least a sentence.
RATIONALE_LEAST = 40
SEED_LONGEST = 32  # ModerationSample.seed
LABEL_LONGEST = 100  # ModerationSample.label
# Totals on the marking-quality page are counted in bands of this many marks.
TOTAL_BAND_WIDTH = 5
BANDS = (Outcome.PASS, Outcome.BORDERLINE, Outcome.FAIL)
REASON_ORDER = {Reason.BORDERLINE: 0, Reason.ASSESSOR: 1, Reason.RANDOM: 2}
KIND_ORDER = {Allocation.Kind.FIRST: 0, Allocation.Kind.SECOND: 1, Allocation.Kind.LEAD: 2}


def percent_of(part: int, whole: int) -> Decimal | None:
    """part ÷ whole × 100 to 2 dp, rounded half up; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _day_range(start: datetime.date | None, end: datetime.date | None, field_name: str) -> Q:
    """Rows whose `field_name` falls on the UK dates from `start` to `end` (inclusive; either may be open)."""
    q = Q()
    if start is not None:
        q &= Q(**{f"{field_name}__gte": local_datetime(start, datetime.time.min)})
    if end is not None:
        q &= Q(**{f"{field_name}__lt": local_datetime(end + datetime.timedelta(days=1), datetime.time.min)})
    return q


def _day(value: datetime.date) -> str:
    return f"{value:%-d %B %Y}"


# Sampling -------------------------------------------------------------------------------------------------


def _first_assessor_id(result: Result) -> int:
    return result.first_marking.allocation.assessor_id


def _rank(seed: str, result: Result) -> str:
    """The result's place in the seed's random order (the same on every call, whatever else is drawn)."""
    return hashlib.sha256(f"moderation:{seed}:{result.pk}".encode()).hexdigest()


def sample_size(n: int, rate_percent: int) -> int:
    """ceil(rate % × n), in whole numbers."""
    return -(-n * rate_percent // 100)


def sample_plan(results: list[Result], *, rate_percent: int, seed: str) -> list[tuple[Result, str]]:
    """The results a sample takes, each with its reason (borderline, assessor, random), borderline first.
    Pure: each result needs `first_marking.allocation` loaded."""
    if not 1 <= rate_percent <= 100:
        raise DomainError(
            "Enter the share to moderate as a whole number from 1 to 100.", field="rate_percent"
        )
    pool = sorted({result.pk: result for result in results}.values(), key=lambda r: (_rank(seed, r), r.pk))
    picked: dict[int, str] = {r.pk: Reason.BORDERLINE for r in pool if r.was_borderline}
    represented = {_first_assessor_id(r) for r in pool if r.pk in picked}
    for result in pool:
        assessor = _first_assessor_id(result)
        if assessor not in represented:
            picked[result.pk] = Reason.ASSESSOR
            represented.add(assessor)
    target = sample_size(len(pool), rate_percent)
    for result in pool:
        if len(picked) >= target:
            break
        picked.setdefault(result.pk, Reason.RANDOM)
    chosen = [r for r in pool if r.pk in picked]
    chosen.sort(key=lambda r: (REASON_ORDER[picked[r.pk]], r.pk))
    return [(r, picked[r.pk]) for r in chosen]


def _period_results(
    *, provider_id: int, period_start: datetime.date, period_end: datetime.date
) -> QuerySet[Result]:
    return Result.objects.filter(
        _day_range(period_start, period_end, "decided_at"), submission__enrolment__provider_id=provider_id
    )


def _candidates(sample: ModerationSample) -> list[Result]:
    """The results a sample was drawn from: decided in its period by the time it was drawn, and in no sample
    drawn before it."""
    return list(
        _period_results(
            provider_id=sample.provider_id, period_start=sample.period_start, period_end=sample.period_end
        )
        .filter(decided_at__lte=sample.drawn_at)
        .exclude(moderation_items__sample_id__lt=sample.pk)
        .select_related("first_marking__allocation")
    )


@transaction.atomic
def sample_draw(
    *,
    by: User,
    provider: Provider,
    label: str,
    period_start: datetime.date,
    period_end: datetime.date,
    rate_percent: int,
    seed: str | None = None,
) -> ModerationSample:
    """Draw the provider's moderation sample of the results decided from `period_start` to `period_end` (UK
    dates), leaving out results already in another sample. The seed (random unless given) is recorded."""
    require(by, Action.MANAGE_ASSESSMENT, provider.pk)
    label = " ".join(label.split())
    if not label:
        raise DomainError("Give the sample a name, for example “Spring 2026 results”.", field="label")
    if len(label) > LABEL_LONGEST:
        raise DomainError(f"Keep the name to {LABEL_LONGEST} characters.", field="label")
    if period_end < period_start:
        raise DomainError("The last day of the period must be on or after its first day.", field="period_end")
    if not 1 <= rate_percent <= 100:
        raise DomainError(
            "Enter the share to moderate as a whole number from 1 to 100.", field="rate_percent"
        )
    seed = seed if seed is not None else secrets.token_hex(8)
    if not seed or len(seed) > SEED_LONGEST:
        raise DomainError(f"A seed is 1 to {SEED_LONGEST} characters.", field="seed")
    # One draw at a time per provider, so that two admins drawing at once cannot both take the same result.
    Provider.objects.select_for_update().get(pk=provider.pk)
    now = timezone.now()
    in_period = _period_results(provider_id=provider.pk, period_start=period_start, period_end=period_end)
    results = list(
        in_period.filter(decided_at__lte=now)
        .exclude(moderation_items__isnull=False)
        .select_related("first_marking__allocation")
    )
    when = f"from {_day(period_start)} to {_day(period_end)}"
    if not results:
        taken = in_period.count()
        if taken:
            raise DomainError(
                f"All {plural(taken, 'result')} decided {when} are already in a moderation sample, and a "
                "script is moderated only once. Choose a period with results not yet sampled.",
                field="period_start",
            )
        raise DomainError(
            f"No results were decided {when}, so there is nothing to moderate. Choose a period in which "
            "marking finished.",
            field="period_start",
        )
    plan = sample_plan(results, rate_percent=rate_percent, seed=seed)
    sample = ModerationSample.objects.create(
        provider=provider,
        label=label,
        period_start=period_start,
        period_end=period_end,
        rate_percent=rate_percent,
        seed=seed,
        drawn_at=now,
        drawn_by=by,
    )
    ModerationItem.objects.bulk_create(
        ModerationItem(sample=sample, result=result, reason=reason, outcome_moderated=result.outcome)
        for result, reason in plan
    )
    # One event for the draw: the sample's own record lists the scripts, and the seed re-derives it.
    audit_record(
        actor=by,
        action="moderation_sample.drawn",
        obj_type="moderation_sample",
        obj_id=sample.pk,
        provider=provider.pk,
        label=label,
        before=None,
        after={
            "period_start": period_start,
            "period_end": period_end,
            "rate_percent": rate_percent,
            "seed": seed,
            "scripts": len(plan),
        },
        at=now,
    )
    return sample


def sample_redraw_check(sample: ModerationSample) -> bool:
    """Whether drawing again from the sample's recorded seed gives exactly its items, each for the same reason
    (two queries)."""
    plan = sample_plan(_candidates(sample), rate_percent=sample.rate_percent, seed=sample.seed)
    recorded = set(ModerationItem.objects.filter(sample=sample).values_list("result_id", "reason"))
    return {(result.pk, reason) for result, reason in plan} == recorded


# Verdicts ---------------------------------------------------------------------------------------------------


def _route_before_moderation(result: Result) -> str:
    if result.lead_id is not None:
        return Result.Route.LEAD
    if result.second_marking_id is not None:
        return Result.Route.AGREED
    return Result.Route.FIRST


def needs_attention(item: ModerationItem) -> bool:
    """A released result whose outcome the moderator disagrees with: the provider's admins must act."""
    result = item.result
    return (
        item.verdict == Verdict.DISAGREE
        and result.released_at is not None
        and result.outcome != item.moderator_outcome
    )


@transaction.atomic
def verdict_record(
    *,
    by: User,
    item: ModerationItem,
    verdict: str,
    moderator_outcome: str = "",
    rationale: str = "",
    feedback: str = "",
) -> ModerationItem:
    """Record (or, before the result is released, change) a moderator's verdict on one sampled result. Before
    release the result follows the verdict; after release it is only recorded and flagged for the provider.
    A pass the moderator makes a fail needs the detailed feedback a fail gets (`feedback`, which the participant
    reads in place of the pass summary)."""
    if not access_for(by).moderator:
        raise PermissionDenied("Only moderators can record a verdict.")
    item = (
        ModerationItem.objects.select_for_update(of=("self",))
        .select_related("sample__provider", "moderator")
        .get(pk=item.pk)
    )
    # The result's row is locked; its script and task are read for the audit trail's wording.
    result = (
        Result.objects.select_for_update(of=("self",))
        .select_related("submission__task")
        .get(pk=item.result_id)
    )
    provider = item.sample.provider
    if provider.pk in access_for(by).provider_roles:
        raise DomainError(
            f"You hold a role at {provider.name}, so another moderator must moderate its scripts."
        )
    marked_by = set(
        Allocation.objects.filter(submission_id=result.submission_id).values_list("assessor_id", flat=True)
    )
    if by.pk in marked_by:
        raise DomainError("You were allocated this script to mark, so another moderator must moderate it.")
    if item.verdict:
        if item.moderator_id != by.pk:
            who = item.moderator.display_name if item.moderator else "another moderator"
            raise DomainError(f"{who} has recorded the verdict on this script; only they can change it.")
        if result.released_at is not None:
            raise DomainError(
                f"The result was released on {_day(timezone.localdate(result.released_at))}, so the verdict "
                "can no longer change. If the outcome needs another look, tell the provider: they can review it."
            )
    rationale = rationale.strip()
    moderated = item.outcome_moderated
    if verdict == Verdict.AGREE:
        moderator_outcome = ""
    elif verdict == Verdict.DISAGREE:
        if moderator_outcome not in Result.Outcome.values:
            raise DomainError("Choose the outcome you would give: pass or fail.", field="moderator_outcome")
        if moderator_outcome == moderated:
            raise DomainError(
                f"The outcome moderated is already {OUTCOME_LABELS[Outcome(moderated)].lower()}: choose "
                "“I agree”, or the outcome you would give instead.",
                field="moderator_outcome",
            )
        written = len(" ".join(rationale.split()))
        if written < RATIONALE_LEAST:
            raise DomainError(
                f"Say why you disagree, in at least a sentence ({RATIONALE_LEAST} characters or more; you have "
                f"written {written}). The provider and the assessors read it.",
                field="rationale",
            )
    else:
        raise DomainError("Choose whether you agree with the outcome.", field="verdict")
    feedback = feedback.strip()
    turns_fail = (
        result.released_at is None
        and moderator_outcome == Result.Outcome.FAIL
        and result.outcome != Result.Outcome.FAIL
        and feedback_problem(Outcome.FAIL, result.feedback)
    )
    if turns_fail:
        problem = feedback_problem(Outcome.FAIL, feedback)
        if problem:
            raise DomainError(
                "The participant will read feedback on a fail: " + problem[0].lower() + problem[1:],
                field="feedback",
            )
    now = timezone.now()
    was = {"verdict": item.verdict, "moderator_outcome": item.moderator_outcome, "rationale": item.rationale}
    item.verdict = verdict
    item.moderator_outcome = moderator_outcome
    item.rationale = rationale
    item.moderator = by
    item.recorded_at = now
    item.save(update_fields=["verdict", "moderator_outcome", "rationale", "moderator", "recorded_at"])
    # By candidate number only, as the moderator knows the script.
    label = f"{submission_label(result.submission, task=result.submission.task)} (sample {item.sample.label})"
    before, after = audit_diff(
        was, {"verdict": verdict, "moderator_outcome": moderator_outcome, "rationale": rationale}
    )
    audit_record(
        actor=by,
        action="moderation_item.verdict",
        obj_type="moderation_item",
        obj_id=item.pk,
        provider=provider.pk,
        label=label,
        before=before if was["verdict"] else None,
        after={**after, "outcome_moderated": moderated} if not was["verdict"] else after,
        at=now,
    )
    if result.released_at is None:
        wanted = moderator_outcome or moderated
        if result.outcome != wanted:
            reason = (
                f"Moderation ({item.sample.label}): {rationale}"
                if verdict == Verdict.DISAGREE
                else f"Moderation ({item.sample.label}): the moderator changed their verdict to agree with "
                f"the outcome moderated{': ' + rationale if rationale else '.'}"
            )
            previous = result.changes.filter(feedback_before__gt="").order_by("-changed_at", "-pk").first()
            change = ResultChange.objects.create(
                result=result,
                from_outcome=result.outcome,
                to_outcome=wanted,
                changed_by=by,
                changed_at=now,
                reason=reason,
                feedback_before=result.feedback if turns_fail else "",
            )
            outcome_was = {"outcome": result.outcome, "route": result.route}
            result.outcome = wanted
            result.route = (
                Result.Route.MODERATED if verdict == Verdict.DISAGREE else _route_before_moderation(result)
            )
            if change.feedback_before:
                result.feedback = feedback
            elif verdict == Verdict.AGREE and previous is not None:
                result.feedback = previous.feedback_before  # back to what it said before the moderator's fail
            result.save(update_fields=["outcome", "route", "feedback"])
            changed_from, changed_to = audit_diff(
                outcome_was, {"outcome": result.outcome, "route": result.route}
            )
            audit_record(
                actor=by,
                action="result.changed_by_moderation",
                obj_type="result",
                obj_id=result.pk,
                provider=provider.pk,
                label=submission_label(result.submission, task=result.submission.task),
                before=changed_from,
                after={**changed_to, "reason": reason, **({"feedback_replaced": True} if turns_fail else {})},
                at=now,
            )
    item.result = result
    return item


# Accuracy (DfE metric 5) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    """Assessments made, how many were moderated, and how many of those the moderator agreed with."""

    assessments: int
    moderated: int
    agreed: int

    @property
    def moderated_percent(self) -> Decimal | None:
        return percent_of(self.moderated, self.assessments)

    @property
    def accuracy_percent(self) -> Decimal | None:
        return percent_of(self.agreed, self.moderated)

    @property
    def disagreed(self) -> int:
        return self.moderated - self.agreed


@dataclass(frozen=True)
class AssessorAccuracy(Accuracy):
    assessor_id: int = 0
    name: str = ""


@dataclass(frozen=True)
class AccuracyReport(Accuracy):
    """The provider's figures, and the same for each first assessor (by name)."""

    assessors: list[AssessorAccuracy] = field(default_factory=list)


def _name(full_name: str, email: str) -> str:
    return full_name or email


def accuracy(
    *,
    provider: Provider,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
) -> AccuracyReport:
    """Metric 5 for results decided in the period (UK dates; either end open): assessments, moderated (a verdict
    recorded), agreed; overall and per first assessor. One query."""
    rows = (
        Result.objects.filter(
            _day_range(period_start, period_end, "decided_at"), submission__enrolment__provider=provider
        )
        .values(
            "first_marking__allocation__assessor_id",
            "first_marking__allocation__assessor__full_name",
            "first_marking__allocation__assessor__email",
        )
        .annotate(
            assessments=Count("pk", distinct=True),
            moderated=Count("moderation_items", filter=~Q(moderation_items__verdict=""), distinct=True),
            agreed=Count(
                "moderation_items", filter=Q(moderation_items__verdict=Verdict.AGREE), distinct=True
            ),
        )
        .order_by()
    )
    assessors = [
        AssessorAccuracy(
            assessments=row["assessments"],
            moderated=row["moderated"],
            agreed=row["agreed"],
            assessor_id=row["first_marking__allocation__assessor_id"],
            name=_name(
                row["first_marking__allocation__assessor__full_name"],
                row["first_marking__allocation__assessor__email"],
            ),
        )
        for row in rows
    ]
    assessors.sort(key=lambda a: (a.name.lower(), a.assessor_id))
    return AccuracyReport(
        assessments=sum(a.assessments for a in assessors),
        moderated=sum(a.moderated for a in assessors),
        agreed=sum(a.agreed for a in assessors),
        assessors=assessors,
    )


# Marking quality -------------------------------------------------------------------------------------------


@dataclass
class AssessorQuality:
    """One assessor's submitted markings for the provider: how many, their totals and outcomes."""

    assessor_id: int
    name: str
    scripts: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    totals: dict[int, int] = field(default_factory=dict)  # total → scripts
    distribution: list[int] = field(default_factory=list)  # scripts per band of totals (MarkingQuality.bands)
    accuracy: Accuracy | None = None  # as first assessor

    @property
    def mean_total(self) -> Decimal | None:
        count = sum(self.totals.values())
        if not count:
            return None
        total = sum(mark * n for mark, n in self.totals.items())
        return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class BandAgreement:
    """For one outcome band: how many were checked (second-marked, or moderated) and how many agreed."""

    band: str
    label: str
    checked: int
    agreed: int

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.agreed, self.checked)


@dataclass(frozen=True)
class MarkingQuality:
    assessors: list[AssessorQuality]
    bands: list[str]  # labels of the bands of totals, e.g. "15–19"
    second_marking: list[BandAgreement]  # by the first marking's outcome
    moderation: list[BandAgreement]  # by the outcome moderated (borderline: any marking was borderline)
    accuracy: AccuracyReport


def _band_agreements(counts: dict[str, list[int]]) -> list[BandAgreement]:
    return [BandAgreement(band, OUTCOME_LABELS[band], counts[band][0], counts[band][1]) for band in BANDS]


def marking_quality(
    *,
    provider: Provider,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
) -> MarkingQuality:
    """Per assessor: scripts marked (submitted markings in the period, UK dates), mean total, totals in bands
    of 5 and outcomes; first against second marking by the first outcome; moderation agreement by outcome band;
    accuracy per first assessor. Four queries."""
    markings = Marking.objects.filter(
        _day_range(period_start, period_end, "submitted_at"),
        status=Marking.Status.SUBMITTED,
        allocation__submission__enrolment__provider=provider,
    )
    rows = (
        markings.values(
            "allocation__assessor_id",
            "allocation__assessor__full_name",
            "allocation__assessor__email",
            "allocation__kind",
            "outcome",
            "total",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    people: dict[int, AssessorQuality] = {}
    for row in rows:
        assessor_id = row["allocation__assessor_id"]
        person = people.setdefault(
            assessor_id,
            AssessorQuality(
                assessor_id,
                _name(row["allocation__assessor__full_name"], row["allocation__assessor__email"]),
                by_kind=dict.fromkeys(Allocation.Kind.values, 0),
                outcomes=dict.fromkeys(BANDS, 0),
            ),
        )
        n = row["n"]
        person.scripts += n
        person.by_kind[row["allocation__kind"]] = person.by_kind.get(row["allocation__kind"], 0) + n
        if row["outcome"]:
            person.outcomes[row["outcome"]] = person.outcomes.get(row["outcome"], 0) + n
        if row["total"] is not None:
            person.totals[row["total"]] = person.totals.get(row["total"], 0) + n
    highest = max((mark for p in people.values() for mark in p.totals), default=-1)
    band_count = highest // TOTAL_BAND_WIDTH + 1 if highest >= 0 else 0
    bands = [f"{i * TOTAL_BAND_WIDTH}–{(i + 1) * TOTAL_BAND_WIDTH - 1}" for i in range(band_count)]
    for person in people.values():
        person.distribution = [0] * band_count
        for mark, n in person.totals.items():
            person.distribution[mark // TOTAL_BAND_WIDTH] += n

    # First against second marking of the same script, by the first marking's outcome.
    second_outcome = Marking.objects.filter(
        allocation__submission_id=OuterRef("allocation__submission_id"),
        allocation__kind=Allocation.Kind.SECOND,
        status=Marking.Status.SUBMITTED,
    ).values("outcome")[:1]
    pairs = (
        markings.filter(allocation__kind=Allocation.Kind.FIRST)
        .annotate(second=Subquery(second_outcome))
        .filter(second__isnull=False)
        .values("outcome", "second")
        .annotate(n=Count("pk"))
        .order_by()
    )
    second_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in pairs:
        second_counts[row["outcome"]][0] += row["n"]
        if row["outcome"] == row["second"]:
            second_counts[row["outcome"]][1] += row["n"]

    # Moderation by band: results decided in the period with a verdict.
    verdicts = (
        ModerationItem.objects.filter(
            _day_range(period_start, period_end, "result__decided_at"),
            result__submission__enrolment__provider=provider,
        )
        .exclude(verdict="")
        .values("outcome_moderated", "result__was_borderline")
        .annotate(n=Count("pk"), agreed=Count("pk", filter=Q(verdict=Verdict.AGREE)))
        .order_by()
    )
    moderation_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in verdicts:
        band = Outcome.BORDERLINE if row["result__was_borderline"] else row["outcome_moderated"]
        moderation_counts[band][0] += row["n"]
        moderation_counts[band][1] += row["agreed"]

    report = accuracy(provider=provider, period_start=period_start, period_end=period_end)
    by_first = {a.assessor_id: a for a in report.assessors}
    for person in people.values():
        person.accuracy = by_first.get(person.assessor_id)
    return MarkingQuality(
        assessors=sorted(people.values(), key=lambda p: (p.name.lower(), p.assessor_id)),
        bands=bands,
        second_marking=_band_agreements(second_counts),
        moderation=_band_agreements(moderation_counts),
        accuracy=report,
    )


# Reads behind the pages ---------------------------------------------------------------------------------------


def _counted(samples: QuerySet[ModerationSample]) -> QuerySet[ModerationSample]:
    return samples.annotate(
        item_count=Count("items", distinct=True),
        recorded_count=Count("items", filter=~Q(items__verdict=""), distinct=True),
        disagreed_count=Count("items", filter=Q(items__verdict=Verdict.DISAGREE), distinct=True),
        attention_count=Count(
            "items",
            filter=Q(items__verdict=Verdict.DISAGREE, items__result__released_at__isnull=False)
            & ~Q(items__result__outcome=F("items__moderator_outcome")),
            distinct=True,
        ),
    )


def sample_list(*, provider: Provider) -> list[ModerationSample]:
    """The provider's samples, newest period first, with how many items, verdicts, disagreements and
    disagreements on released results each has."""
    return list(_counted(ModerationSample.objects.filter(provider=provider)).select_related("drawn_by"))


def sample_for_view(*, user: object, pk: int) -> ModerationSample:
    """A sample the user may see (the provider's admins; platform staff)."""
    require_page(user, Action.VIEW_SUBMISSIONS)
    return get_object_or_404(
        ModerationSample.objects.filter(provider_q(user, Action.VIEW_SUBMISSIONS)).select_related(
            "provider", "drawn_by"
        ),
        pk=pk,
    )


def _items() -> QuerySet[ModerationItem]:
    return ModerationItem.objects.select_related("result__submission__task", "moderator").order_by("pk")


def sample_items(*, sample: ModerationSample) -> list[ModerationItem]:
    """The sample's items (borderline, then assessor, then random), each with its result and script's task."""
    items = list(_items().filter(sample=sample))
    items.sort(key=lambda item: (REASON_ORDER[item.reason], item.pk))
    return items


def moderation_queue(*, user: object) -> list[ModerationSample]:
    """For moderators: every provider's samples with a script still waiting for a verdict, oldest draw first,
    each with its items (`item_list`)."""
    require_moderator(user)
    waiting = ModerationItem.objects.filter(sample_id=OuterRef("pk"), verdict="")
    return list(
        _counted(ModerationSample.objects.filter(Exists(waiting)))
        .select_related("provider")
        .prefetch_related(Prefetch("items", queryset=_items(), to_attr="item_list"))
        .order_by("drawn_at", "pk")
    )


def item_for_moderator(*, user: object, pk: int) -> ModerationItem:
    """One sampled script for a moderator (any provider), with its sample, result and task."""
    require_moderator(user)
    return get_object_or_404(
        ModerationItem.objects.select_related(
            "sample__provider", "result__submission__task__mark_scheme", "moderator"
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class MarkingView:
    """A submitted marking as a moderator reads it: by criterion, with the omissions found."""

    kind: str
    label: str
    total: int | None
    outcome: str
    feedback: str
    marks: list[tuple[Criterion, int | None, str]]  # criterion, mark, comment
    omissions: list[str]


def item_markings(*, item: ModerationItem) -> list[MarkingView]:
    """The script's submitted markings (first, second, lead), by criterion. Three queries."""
    submission = item.result.submission
    markings = sorted(
        Marking.objects.filter(allocation__submission=submission, status=Marking.Status.SUBMITTED)
        .select_related("allocation")
        .order_by("allocation__allocated_at", "pk"),
        key=lambda m: KIND_ORDER.get(m.allocation.kind, 9),
    )
    scheme = getattr(submission.task, "mark_scheme", None)
    criteria: list[Criterion] = list(scheme.criteria.all()) if scheme else []
    omissions = {o.pk: o.text for o in Omission.objects.filter(scheme=scheme)} if scheme else {}
    views = []
    for marking in markings:
        views.append(
            MarkingView(
                kind=marking.allocation.kind,
                label=marking.allocation.get_kind_display(),
                total=marking.total,
                outcome=OUTCOME_LABELS.get(marking.outcome, marking.outcome),  # type: ignore[call-overload]
                feedback=marking.feedback,
                marks=[
                    (c, marking.marks.get(str(c.pk)), marking.comments.get(str(c.pk), "")) for c in criteria
                ],
                omissions=[omissions[pk] for pk in marking.omissions if pk in omissions],
            )
        )
    return views


def item_files(*, item: ModerationItem) -> list[SubmissionFile]:
    """The files of the version submitted (main document first)."""
    version_id = item.result.submission.submitted_version_id
    if version_id is None:
        return []
    return list(SubmissionFile.objects.filter(version_id=version_id).order_by(*MAIN_FIRST))


def result_changes(*, item: ModerationItem) -> list[ResultChange]:
    """Every change of the result's outcome, oldest first."""
    return list(ResultChange.objects.filter(result_id=item.result_id).select_related("changed_by"))
