"""The seven DfE quality metrics of one provider, recruitment year and programme (or all its programmes), exactly
as DOMAIN.md §4 and issue 8 define them, from the live records and the history imported from earlier systems.

Definitions (one place per enrolment):
- recruitment year: the academic year (1 September to 31 August) in which the cohort starts, "2019/20";
- recruited: places accepted or beyond in the year's cohorts; a place withdrawn before it was ever accepted
  (from "applied") is not recruited, one withdrawn later still is;
- started: recruited places that began the programme (active at some point: active, deferred, completed,
  failed, or withdrawn after being active);
- FSM: recruited places whose school has 30% or more pupils eligible for free school meals, over all recruited;
- non-White British: recruited places with a known ethnicity (not refused, not obtained) other than WBRI, over
  all recruited;
- presented: a final-assessment submission made here, or a presentation date imported; within the deadline:
  presented on or before the place's deadline (18 months from the start, 24 for starts on or after 1 July
  2018, as the programme's rules say, with deferral pauses);
- assessments: outcomes recorded (each script's result here, or an imported outcome); moderated and agreed:
  moderators' verdicts here, or as imported;
- feedback: every 0–10 rating of the year's cohorts (sessions and the programme), and imported ratings;
- withdrawn, deferred: ever, among those started; submitted = presented; passed = completed (passed).
Percentages have two decimals, rounded half up; "% of target" is worked out from the unrounded share; a
missing target or a zero denominator gives None (null in JSON), never 0 and never an error.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from assessment.models import ModerationItem, Result, Submission
from metrics.models import RecruitmentTarget
from participants.models import EarlierRecord, Enrolment, EnrolmentChange, FeedbackRating, Participant
from participants.services import deadline_for
from programmes.models import Cohort, Programme, Provider, recruitment_year_of

Status = Enrolment.Status
SUBMITTED = (Submission.Status.SUBMITTED, Submission.Status.LATE_WITH_EXTENSION)
RECRUITED_STATUSES = (Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED, Status.COMPLETED, Status.FAILED)
BEGUN_STATUSES = (Status.ACTIVE, Status.DEFERRED, Status.COMPLETED, Status.FAILED)
UNKNOWN_ETHNICITY = ("", Participant.Ethnicity.REFU, Participant.Ethnicity.NOBT)
FSM_THRESHOLD = Decimal("30")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


def percent(numerator: int | Decimal, denominator: int | Decimal | None) -> Decimal | None:
    """numerator ÷ denominator × 100, unrounded (None when there is nothing to divide by)."""
    if not denominator:
        return None
    return Decimal(numerator) * HUNDRED / Decimal(denominator)


def two_places(value: Decimal | None) -> float | None:
    """A figure as published: two decimals, rounded half up (5.825 → 5.83)."""
    if value is None:
        return None
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def year_bounds(recruitment_year: str) -> tuple[datetime.date, datetime.date]:
    """ "2019/20" → 1 September 2019 and 31 August 2020."""
    first = int(recruitment_year[:4])
    return datetime.date(first, 9, 1), datetime.date(first + 1, 8, 31)


@dataclass(frozen=True)
class Targets:
    recruitment: int | None
    fsm_percent: Decimal | None
    non_white_british_percent: Decimal | None


def targets_for(provider: Provider, programme: Programme | None, year: str, cohorts: list[Cohort]) -> Targets:
    """The targets that apply: the row for the programme (or, for all programmes, the provider's row) for the
    year; else the cohorts' own (the sum of their numbers, and their shares weighted by their numbers) when every
    cohort in scope has one; otherwise None."""
    rows = {
        t.programme_id: t
        for t in RecruitmentTarget.objects.filter(provider=provider, recruitment_year=year).filter(
            Q(programme=programme) | Q(programme__isnull=True) if programme else Q(programme__isnull=True)
        )
    }
    # A programme is judged against its own row (or its cohorts'), never the whole provider's.
    row = rows.get(programme.pk if programme else None)
    if row is not None:
        return Targets(row.recruitment_target, row.fsm_target_percent, row.non_white_british_target_percent)
    numbers = [c.recruitment_target for c in cohorts]
    if not cohorts or any(n is None for n in numbers):
        return Targets(None, None, None)
    total = sum(numbers)  # type: ignore[arg-type]

    def weighted(field: str) -> Decimal | None:
        shares = [getattr(c, field) for c in cohorts]
        if any(s is None for s in shares) or not total:
            return None
        return sum(Decimal(s) * n for s, n in zip(shares, numbers, strict=True)) / total  # type: ignore[misc]

    return Targets(total, weighted("fsm_target_percent"), weighted("non_white_british_target_percent"))


def _places(provider: Provider, year: str, programme: Programme | None) -> QuerySet[Enrolment]:
    start, end = year_bounds(year)
    places = Enrolment.objects.filter(provider=provider, cohort__start_date__range=(start, end))
    if programme is not None:
        places = places.filter(cohort__programme=programme)
    return places


def _recruited(places: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    was_recruited = EnrolmentChange.objects.filter(
        enrolment=OuterRef("pk"), from_status__in=(Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED)
    )
    return places.filter(
        Q(status__in=RECRUITED_STATUSES) | Q(status=Status.WITHDRAWN) & Exists(was_recruited)
    )


def ever_was(status: str) -> Exists:
    return Exists(EnrolmentChange.objects.filter(enrolment=OuterRef("pk"), to_status=status))


@dataclass
class Row:
    """One recruited place, as the metrics read it."""

    pk: int
    status: str
    started: bool
    withdrawn: bool
    deferred: bool
    fsm_percent: Decimal | None
    performance_band: str
    ethnicity: str
    sex: str
    disability: str
    presented_on: datetime.date | None

    @property
    def presented(self) -> bool:
        return self.presented_on is not None


def _rows(recruited: QuerySet[Enrolment]) -> list[Row]:
    """Each recruited place with what the metrics need, in two queries. A place presented here when it had
    submitted every task it submitted: the latest of each task's first submission (a legacy participant who sent
    Task 1 in time and Task 2 late presented late)."""
    presented_at: dict[int, object] = {}
    for enrolment_id, first in (
        Submission.objects.filter(enrolment__in=recruited, status__in=SUBMITTED)
        .values("enrolment_id", "task_id")
        .annotate(first=Min("submitted_at"))
        .values_list("enrolment_id", "first")
    ):
        presented_at[enrolment_id] = max(first, presented_at.get(enrolment_id, first))
    rows = []
    for values in recruited.annotate(
        ever_active=ever_was(Status.ACTIVE),
        ever_withdrawn=ever_was(Status.WITHDRAWN),
        ever_deferred=ever_was(Status.DEFERRED),
    ).values(
        "pk",
        "status",
        "ever_active",
        "ever_withdrawn",
        "ever_deferred",
        "earlier_record__presented_on",
        "participant__school__fsm_percent",
        "participant__school__performance_band",
        "participant__ethnicity_code",
        "participant__sex",
        "participant__disability",
    ):
        submitted_at = presented_at.get(values["pk"])
        presented_on = (
            timezone.localdate(submitted_at) if submitted_at else values["earlier_record__presented_on"]
        )
        status = values["status"]
        rows.append(
            Row(
                pk=values["pk"],
                status=status,
                started=status in BEGUN_STATUSES or bool(values["ever_active"]),
                withdrawn=status == Status.WITHDRAWN or bool(values["ever_withdrawn"]),
                deferred=status == Status.DEFERRED or bool(values["ever_deferred"]),
                fsm_percent=values["participant__school__fsm_percent"],
                performance_band=values["participant__school__performance_band"] or "",
                ethnicity=values["participant__ethnicity_code"] or "",
                sex=values["participant__sex"] or "",
                disability=values["participant__disability"] or "",
                presented_on=presented_on,
            )
        )
    return rows


def _within_deadline(rows: list[Row]) -> int:
    """How many of the presented places presented on or before their deadline (the programme's rules)."""
    presented = {r.pk: r for r in rows if r.presented}
    if not presented:
        return 0
    places = (
        Enrolment.objects.filter(pk__in=presented)
        .select_related("cohort__programme")
        .prefetch_related("changes", "cohort__programme__extensions")
    )
    return sum(
        1
        for place in places
        if presented[place.pk].presented_on <= deadline_for(place, list(place.changes.all())).date
    )


def _accuracy(recruited: QuerySet[Enrolment]) -> tuple[int, int, int]:
    """Assessments (outcomes recorded), moderated, agreed: results here and outcomes imported."""
    results = Result.objects.filter(submission__enrolment__in=recruited)
    verdicts = ModerationItem.objects.filter(result__in=results).exclude(verdict="")
    here = results.aggregate(n=Count("pk"))["n"]
    moderated = verdicts.values("result_id").distinct().count()
    agreed = verdicts.filter(verdict=ModerationItem.Verdict.AGREE).values("result_id").distinct().count()
    imported = EarlierRecord.objects.filter(
        enrolment__in=recruited.filter(status__in=(Status.COMPLETED, Status.FAILED)).exclude(
            Exists(Result.objects.filter(submission__enrolment=OuterRef("pk")))
        )
    ).aggregate(
        outcomes_n=Count("pk"),
        moderated_n=Count("pk", filter=Q(moderated=True)),
        agreed_n=Count("pk", filter=Q(moderated=True, moderator_agreed=True)),
    )
    outcomes_without_record = (
        recruited.filter(status__in=(Status.COMPLETED, Status.FAILED), earlier_record__isnull=True)
        .exclude(Exists(Result.objects.filter(submission__enrolment=OuterRef("pk"))))
        .count()
    )
    return (
        here + imported["outcomes_n"] + outcomes_without_record,
        moderated + imported["moderated_n"],
        agreed + imported["agreed_n"],
    )


def _feedback(places: QuerySet[Enrolment]) -> tuple[int, Decimal | None]:
    """Responses and the mean rating: every rating of the places' cohorts here, and the imported ones."""
    here = FeedbackRating.objects.filter(enrolment__in=places).aggregate(n=Count("pk"), total=Sum("rating"))
    imported = EarlierRecord.objects.filter(enrolment__in=places, feedback_rating__isnull=False).aggregate(
        n=Count("pk"), total=Sum("feedback_rating")
    )
    n = (here["n"] or 0) + (imported["n"] or 0)
    if not n:
        return 0, None
    # Whole numbers added up, then divided once: exact, so a mean of 0.015 rounds half up to 0.02.
    return n, Decimal((here["total"] or 0) + (imported["total"] or 0)) / n


def _share(count: int, of: int, target: Decimal | None) -> dict[str, object]:
    share = percent(count, of)
    return {
        "target_percent": two_places(target),
        "count": count,
        "percent": two_places(share),
        "percent_of_target": two_places(percent(share, target)) if share is not None and target else None,
    }


def metrics_report(
    *, provider: Provider, recruitment_year: str, programme: Programme | None = None, publish: bool = False
) -> dict[str, object]:
    """The report's JSON, with exactly the keys issue 8 lists (groups from metrics/groups.py); `publish` for
    anything published (small groups suppressed)."""
    report, rows = _report_without_groups(provider, recruitment_year, programme)
    return {**report, "groups": _groups(rows, publish=publish)}


def metrics_reports(
    *, provider: Provider, recruitment_year: str, programme: Programme | None = None
) -> tuple[dict[str, object], dict[str, object]]:
    """The report and its published form (small groups suppressed), from one reading of the records: what a
    snapshot keeps."""
    report, rows = _report_without_groups(provider, recruitment_year, programme)
    return {**report, "groups": _groups(rows)}, {**report, "groups": _groups(rows, publish=True)}


def _report_without_groups(
    provider: Provider, recruitment_year: str, programme: Programme | None
) -> tuple[dict[str, object], list["Row"]]:
    places = _places(provider, recruitment_year, programme)
    recruited = _recruited(places)
    rows = _rows(recruited)
    cohorts = list(
        Cohort.objects.filter(
            programme__provider=provider, start_date__range=year_bounds(recruitment_year)
        ).filter(**({"programme": programme} if programme else {}))
    )
    targets = targets_for(provider, programme, recruitment_year, cohorts)
    n = len(rows)
    started = [r for r in rows if r.started]
    withdrawn = sum(1 for r in started if r.withdrawn)
    deferred = sum(1 for r in started if r.deferred)
    presented = sum(1 for r in rows if r.presented)
    within = _within_deadline(rows)
    # Achievement is passed ÷ submitted: a pass counts only for a place that presented.
    passed = sum(1 for r in rows if r.presented and r.status == Status.COMPLETED)
    assessments, moderated, agreed = _accuracy(recruited)
    responses, mean = _feedback(places)
    fsm = sum(1 for r in rows if r.fsm_percent is not None and r.fsm_percent >= FSM_THRESHOLD)
    non_white_british = sum(1 for r in rows if r.ethnicity not in UNKNOWN_ETHNICITY and r.ethnicity != "WBRI")
    return {
        "provider": provider.slug,
        "programme": programme.code if programme else None,
        "recruitment_year": recruitment_year,
        "recruitment": {
            "target": targets.recruitment,
            "recruited": n,
            "percent_of_target": two_places(percent(n, targets.recruitment)),
        },
        "fsm": _share(fsm, n, targets.fsm_percent),
        "non_white_british": _share(non_white_british, n, targets.non_white_british_percent),
        "presentation": {
            "presented": presented,
            "within_deadline": within,
            "percent": two_places(percent(within, presented)),
        },
        "accuracy": {
            "assessments": assessments,
            "moderated": moderated,
            "moderated_percent": two_places(percent(moderated, assessments)),
            "agreed": agreed,
            "accuracy_percent": two_places(percent(agreed, moderated)),
        },
        "feedback": {"responses": responses, "mean_rating": two_places(mean)},
        "retention": {
            "started": len(started),
            "withdrawn": withdrawn,
            "retention_percent": two_places(percent(len(started) - withdrawn, len(started))),
            "deferred": deferred,
            "deferred_percent": two_places(percent(deferred, len(started))),
            "submitted": presented,
            "passed": passed,
            "achievement_percent": two_places(percent(passed, presented)),
        },
    }, rows


def _groups(rows: Iterable[Row], *, publish: bool = False) -> dict[str, object]:
    from metrics.groups import Place, group_differences

    return group_differences(
        (
            Place(
                sex=r.sex,
                ethnicity=r.ethnicity,
                disability=r.disability,
                school_fsm_percent=r.fsm_percent,
                school_performance_band=r.performance_band,
                started=r.started,
                withdrawn=r.withdrawn,
                deferred=r.deferred,
                submitted=r.presented,
                passed=r.presented and r.status == Status.COMPLETED,
            )
            for r in rows
        ),
        publish=publish,
    )


def recruitment_years(provider: Provider) -> list[str]:
    """The provider's recruitment years with cohorts, newest first."""
    starts = Cohort.objects.filter(programme__provider=provider).values_list("start_date", flat=True)
    return sorted({recruitment_year_of(day) for day in starts}, reverse=True)
