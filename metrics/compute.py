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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.utils import timezone

from assessment.models import ModerationItem, Result, Submission
from metrics.models import RecruitmentTarget
from participants.models import Enrolment, EnrolmentChange, FeedbackRating, Participant
from participants.services import programme_deadline
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


def targets_for(
    targets: list[RecruitmentTarget], programme: Programme | None, year: str, cohorts: list[Cohort]
) -> Targets:
    """The targets that apply, from the provider's target rows: the row for the programme (or, for all
    programmes, the provider's row) for the year; else the cohorts' own (the sum of their numbers, and their
    shares weighted by their numbers) when every cohort in scope has one; otherwise None."""
    # A programme is judged against its own row (or its cohorts'), never the whole provider's.
    wanted = programme.pk if programme else None
    row = next((t for t in targets if t.recruitment_year == year and t.programme_id == wanted), None)
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


class Records:
    """Everything the metrics read of one provider (`Records.read`), or of many at once (`records_of`): read in
    a fixed number of queries however many providers, years, programmes and places, so that a page of three
    years, a download, or the night's snapshots of every provider, year and programme are computed from one
    reading."""

    def __init__(
        self, provider: Provider, cohorts: list[Cohort], targets: list[RecruitmentTarget], rows
    ) -> None:
        self.provider = provider
        self.cohorts = cohorts
        self.targets = targets
        self.years = sorted({recruitment_year_of(c.start_date) for c in cohorts}, reverse=True)
        self._rows: dict[tuple[str, int], list[Row]] = {}
        for row in rows:
            self._rows.setdefault((row.recruitment_year, row.programme_id), []).append(row)
        self._groups: dict[tuple[int, ...], tuple[dict[str, object], dict[str, object]]] = {}

    @classmethod
    def read(cls, provider: Provider, years: Iterable[str] | None = None) -> "Records":
        """The provider's records (of those recruitment years only, when given)."""
        return records_of([provider], years)[0]

    def groups(self, rows: list["Row"]) -> tuple[dict[str, object], dict[str, object]]:
        """Metric 7 by group of these recruited places, counted once per set of places: a provider's only
        programme has the same places as all its programmes."""
        key = tuple(row.pk for row in rows)
        if key not in self._groups:
            self._groups[key] = _groups(rows)
        return self._groups[key]

    def reports(
        self, recruitment_year: str, programme: Programme | None = None
    ) -> tuple[dict[str, object], dict[str, object]]:
        """The year's report (of the programme, or all) and its published form (small groups suppressed)."""
        return _reports(self, recruitment_year, programme)

    def rows(self, recruitment_year: str, programme: Programme | None) -> list["Row"]:
        """The places of the year's cohorts (of the programme, or all), recruited or not."""
        return [
            row
            for (year, programme_id), rows in self._rows.items()
            if year == recruitment_year and (programme is None or programme_id == programme.pk)
            for row in rows
        ]

    def cohorts_of(self, recruitment_year: str, programme: Programme | None) -> list[Cohort]:
        start, end = year_bounds(recruitment_year)
        return [
            c
            for c in self.cohorts
            if start <= c.start_date <= end and (programme is None or c.programme_id == programme.pk)
        ]


def records_of(providers: Sequence[Provider], years: Iterable[str] | None = None) -> list[Records]:
    """The records of each of these providers (of those recruitment years only, when given), read together."""
    provider_ids = [p.pk for p in providers]
    in_years = Q()
    if years is not None:
        in_years = Q(pk__in=[])
        for year in years:
            in_years |= Q(start_date__range=year_bounds(year))
    programmes = {
        p.pk: p for p in Programme.objects.filter(provider_id__in=provider_ids).prefetch_related("extensions")
    }
    cohorts = list(
        Cohort.objects.filter(in_years, programme__provider_id__in=provider_ids).order_by("start_date", "pk")
    )
    for cohort in cohorts:
        cohort.programme = programmes[cohort.programme_id]
    targets = list(RecruitmentTarget.objects.filter(provider_id__in=provider_ids))
    rows: dict[int, list[Row]] = {pk: [] for pk in provider_ids}
    for row in _rows_of(provider_ids, cohorts):
        rows[row.provider_id].append(row)
    return [
        Records(
            provider,
            [c for c in cohorts if c.programme.provider_id == provider.pk],
            [t for t in targets if t.provider_id == provider.pk],
            rows[provider.pk],
        )
        for provider in providers
    ]


def _rows_of(provider_ids: list[int], cohorts: list[Cohort]) -> list["Row"]:
    """Every place of these cohorts, as the metrics read it, in at most six queries."""
    places = Enrolment.objects.filter(
        provider_id__in=provider_ids, cohort_id__in=[c.pk for c in cohorts]
    ).order_by()
    was_recruited = EnrolmentChange.objects.filter(
        enrolment=OuterRef("pk"), from_status__in=(Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED)
    )
    # Each task's first submission; a place presented when it had sent every task it sent (the latest of
    # them: a legacy participant who sent Task 1 in time and Task 2 late presented late).
    presented_at: dict[int, datetime.datetime] = {}
    for enrolment_id, first in (
        Submission.objects.filter(enrolment__in=places, status__in=SUBMITTED)
        .order_by()
        .values("enrolment_id", "task_id")
        .annotate(first=Min("submitted_at"))
        .values_list("enrolment_id", "first")
    ):
        presented_at[enrolment_id] = max(first, presented_at.get(enrolment_id, first))
    verdicts = ModerationItem.objects.filter(result=OuterRef("pk")).exclude(verdict="")
    outcomes = {
        enrolment_id: (n, moderated, agreed)
        for enrolment_id, n, moderated, agreed in Result.objects.filter(submission__enrolment__in=places)
        .order_by()
        .values("submission__enrolment_id")
        .annotate(
            n=Count("pk"),
            moderated=Count("pk", filter=Q(Exists(verdicts))),
            agreed=Count("pk", filter=Q(Exists(verdicts.filter(verdict=ModerationItem.Verdict.AGREE)))),
        )
        .values_list("submission__enrolment_id", "n", "moderated", "agreed")
    }
    ratings = {
        enrolment_id: (n, total)
        for enrolment_id, n, total in FeedbackRating.objects.filter(enrolment__in=places)
        .order_by()
        .values("enrolment_id")
        .annotate(n=Count("pk"), total=Sum("rating"))
        .values_list("enrolment_id", "n", "total")
    }
    changes: dict[int, list[EnrolmentChange]] = {}
    if any(c.programme.deferral_pauses_clock for c in cohorts):
        for change in EnrolmentChange.objects.filter(
            enrolment__in=places.filter(cohort__programme__deferral_pauses_clock=True)
        ).order_by():
            changes.setdefault(change.enrolment_id, []).append(change)
    by_pk = {c.pk: c for c in cohorts}
    deadlines = _Deadlines()
    rows = []
    for place in places.annotate(
        was_recruited=Exists(was_recruited),
        ever_active=ever_was(Status.ACTIVE),
        ever_withdrawn=ever_was(Status.WITHDRAWN),
        ever_deferred=ever_was(Status.DEFERRED),
    ).values(
        "pk",
        "cohort_id",
        "start_date",
        "status",
        "was_recruited",
        "ever_active",
        "ever_withdrawn",
        "ever_deferred",
        "earlier_record__pk",
        "earlier_record__presented_on",
        "earlier_record__moderated",
        "earlier_record__moderator_agreed",
        "earlier_record__feedback_rating",
        "participant__school__fsm_percent",
        "participant__school__performance_band",
        "participant__ethnicity_code",
        "participant__sex",
        "participant__disability",
    ):
        pk, status, cohort = place["pk"], place["status"], by_pk[place["cohort_id"]]
        submitted_at = presented_at.get(pk)
        presented_on = (
            timezone.localdate(submitted_at) if submitted_at else place["earlier_record__presented_on"]
        )
        results, moderated, agreed = outcomes.get(pk, (0, 0, 0))
        responses, total = ratings.get(pk, (0, 0))
        if place["earlier_record__feedback_rating"] is not None:
            responses, total = responses + 1, total + place["earlier_record__feedback_rating"]
        imported = place["earlier_record__pk"] is not None and bool(place["earlier_record__moderated"])
        rows.append(
            Row(
                pk=pk,
                provider_id=cohort.programme.provider_id,
                recruitment_year=deadlines.year_of(cohort),
                programme_id=cohort.programme_id,
                status=status,
                recruited=status in RECRUITED_STATUSES
                or (status == Status.WITHDRAWN and place["was_recruited"]),
                started=status in BEGUN_STATUSES or place["ever_active"],
                withdrawn=status == Status.WITHDRAWN or place["ever_withdrawn"],
                deferred=status == Status.DEFERRED or place["ever_deferred"],
                fsm_percent=place["participant__school__fsm_percent"],
                performance_band=place["participant__school__performance_band"] or "",
                ethnicity=place["participant__ethnicity_code"] or "",
                sex=place["participant__sex"] or "",
                disability=place["participant__disability"] or "",
                presented_on=presented_on,
                within_deadline=presented_on is not None
                and presented_on <= deadlines.of(cohort, place["start_date"], changes.get(pk)),
                results=results,
                moderated=moderated,
                agreed=agreed,
                imported_moderated=imported,
                imported_agreed=imported and bool(place["earlier_record__moderator_agreed"]),
                responses=responses,
                ratings_total=total or 0,
            )
        )
    return rows


class _Deadlines:
    """Each place's deadline by the programme's rules (participants.services.deadline_for), worked out once
    per cohort and start date where the programme's deferral does not pause the clock (the same for everyone
    starting that day), and per place where it does."""

    def __init__(self) -> None:
        self._by_start: dict[tuple[int, datetime.date], datetime.date] = {}
        self._years: dict[int, str] = {}

    def year_of(self, cohort: Cohort) -> str:
        if cohort.pk not in self._years:
            self._years[cohort.pk] = recruitment_year_of(cohort.start_date)
        return self._years[cohort.pk]

    def of(
        self, cohort: Cohort, start_date: datetime.date | None, changes: list[EnrolmentChange] | None
    ) -> datetime.date:
        start = start_date or cohort.start_date
        if changes and cohort.programme.deferral_pauses_clock:
            return programme_deadline(cohort.programme, start, changes).date
        key = (cohort.pk, start)
        if key not in self._by_start:
            self._by_start[key] = programme_deadline(cohort.programme, start).date
        return self._by_start[key]


def ever_was(status: str) -> Exists:
    return Exists(EnrolmentChange.objects.filter(enrolment=OuterRef("pk"), to_status=status))


@dataclass
class Row:
    """One place of a cohort, as the metrics read it."""

    pk: int
    provider_id: int
    recruitment_year: str
    programme_id: int
    status: str
    recruited: bool
    started: bool
    withdrawn: bool  # ever
    deferred: bool  # ever
    fsm_percent: Decimal | None
    performance_band: str
    ethnicity: str
    sex: str
    disability: str
    presented_on: datetime.date | None
    within_deadline: bool
    results: int  # outcomes recorded here
    moderated: int  # of them, with a moderator's verdict
    agreed: int  # of them, with the moderator agreeing
    imported_moderated: bool  # an earlier system's outcome, moderated
    imported_agreed: bool
    responses: int  # feedback ratings, here and imported
    ratings_total: int

    @property
    def presented(self) -> bool:
        return self.presented_on is not None


def _accuracy(recruited: list[Row]) -> tuple[int, int, int]:
    """Assessments (outcomes recorded), moderated, agreed: results here, and for a place that ended without one
    here, its outcome (imported, with the earlier system's moderation, or only its status)."""
    assessments = moderated = agreed = 0
    for row in recruited:
        if row.results:
            assessments += row.results
            moderated += row.moderated
            agreed += row.agreed
        elif row.status in (Status.COMPLETED, Status.FAILED):
            assessments += 1
            moderated += row.imported_moderated
            agreed += row.imported_agreed
    return assessments, moderated, agreed


def _feedback(places: list[Row]) -> tuple[int, Decimal | None]:
    """Responses and the mean rating: every rating of the places' cohorts here, and the imported ones."""
    n = sum(row.responses for row in places)
    if not n:
        return 0, None
    # Whole numbers added up, then divided once: exact, so a mean of 0.015 rounds half up to 0.02.
    return n, Decimal(sum(row.ratings_total for row in places)) / n


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
    report, published = Records.read(provider, [recruitment_year]).reports(recruitment_year, programme)
    return published if publish else report


def metrics_reports(
    *, provider: Provider, recruitment_year: str, programme: Programme | None = None
) -> tuple[dict[str, object], dict[str, object]]:
    """The report and its published form (small groups suppressed), from one reading of the records: what a
    snapshot keeps."""
    return Records.read(provider, [recruitment_year]).reports(recruitment_year, programme)


def _reports(
    records: Records, recruitment_year: str, programme: Programme | None
) -> tuple[dict[str, object], dict[str, object]]:
    places = records.rows(recruitment_year, programme)
    rows = [r for r in places if r.recruited]
    targets = targets_for(
        records.targets, programme, recruitment_year, records.cohorts_of(recruitment_year, programme)
    )
    n = len(rows)
    started = [r for r in rows if r.started]
    withdrawn = sum(1 for r in started if r.withdrawn)
    deferred = sum(1 for r in started if r.deferred)
    presented = sum(1 for r in rows if r.presented)
    within = sum(1 for r in rows if r.within_deadline)
    # Achievement is passed ÷ submitted: a pass counts only for a place that presented.
    passed = sum(1 for r in rows if r.presented and r.status == Status.COMPLETED)
    assessments, moderated, agreed = _accuracy(rows)
    responses, mean = _feedback(places)
    fsm = sum(1 for r in rows if r.fsm_percent is not None and r.fsm_percent >= FSM_THRESHOLD)
    non_white_british = sum(1 for r in rows if r.ethnicity not in UNKNOWN_ETHNICITY and r.ethnicity != "WBRI")
    report = {
        "provider": records.provider.slug,
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
    }
    internal, published = records.groups(rows)
    return {**report, "groups": internal}, {**report, "groups": published}


def _groups(rows: Iterable[Row]) -> tuple[dict[str, object], dict[str, object]]:
    from metrics.groups import Place, group_differences_both

    return group_differences_both(
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
    )


def recruitment_years(provider: Provider) -> list[str]:
    """The provider's recruitment years with cohorts, newest first."""
    starts = Cohort.objects.filter(programme__provider=provider).values_list("start_date", flat=True)
    return sorted({recruitment_year_of(day) for day in starts}, reverse=True)
