"""Writes for metrics (issue 8): recruitment targets, set by a provider admin or platform staff, or imported from
a CSV (all or nothing), and snapshots of the computed figures (a recomputation that finds the same figures
writes nothing new)."""

import csv
import datetime
import hashlib
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from metrics.compute import Records, records_of
from metrics.models import MetricSnapshot, RecomputeRun, RecruitmentTarget
from npqel.access import Action, access_for
from npqel.csv_text import NotCsvText, csv_text
from npqel.errors import DomainError
from npqel.locks import lock_names
from programmes.models import Programme, Provider

TARGET_COLUMNS = (
    "provider",
    "recruitment_year",
    "recruitment_target",
    "fsm_target_percent",
    "non_white_british_target_percent",
)
# ASCII digits only: \d would also take "２０１９/２０", which the database's own check refuses.
YEAR = re.compile(r"(\d{4})/(\d{2})", re.ASCII)
MOST_PEOPLE = 1_000_000  # far more than any provider recruits, far less than the database column holds


def check_year(text: str) -> str:
    """A recruitment year as DfE writes it: 2019/20 (the second year follows the first)."""
    text = text.strip()
    match = YEAR.fullmatch(text)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise DomainError(
            f"“{text}” is not a recruitment year. Write it as 2019/20: the year it starts, a slash, and the "
            "last two digits of the next year.",
            field="recruitment_year",
        )
    return text


def _number(text: str, field: str, label: str) -> int | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    # isascii: str.isdigit() also takes "²", which int() refuses.
    if not (text.isascii() and text.isdigit()) or int(text) > MOST_PEOPLE:
        raise DomainError(
            f"“{text}” is not a whole number for {label}. Write it like 120 (at most {MOST_PEOPLE:,}).",
            field=field,
        )
    return int(text)


def _share(text: str, field: str, label: str) -> Decimal | None:
    text = text.strip().rstrip("%").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("-1")
    if not value.is_finite():  # NaN and Infinity cannot even be compared with 0
        value = Decimal("-1")
    if not Decimal("0") <= value <= Decimal("100") or value != value.quantize(Decimal("0.01")):
        raise DomainError(
            f"“{text}” is not a percentage for {label}. Write a number from 0 to 100, with at most two "
            "decimals, like 35 or 12.5.",
            field=field,
        )
    return value


@transaction.atomic
def target_set(
    *,
    by: User | None,
    provider: Provider,
    programme: Programme | None,
    recruitment_year: str,
    recruitment_target: int | None,
    fsm_target_percent: Decimal | None,
    non_white_british_target_percent: Decimal | None,
) -> RecruitmentTarget:
    """Set (or change) the provider's targets for a year: for one programme, or all its programmes together."""
    if by is not None and not access_for(by).may(Action.MANAGE_TARGETS, provider.pk):
        raise PermissionDenied("Only the provider's admins and platform staff set its targets.")
    if programme is not None and programme.provider_id != provider.pk:
        raise DomainError("Choose one of this provider's programmes.", field="programme")
    target, _ = RecruitmentTarget.objects.update_or_create(
        provider=provider,
        programme=programme,
        recruitment_year=check_year(recruitment_year),
        defaults={
            "recruitment_target": recruitment_target,
            "fsm_target_percent": fsm_target_percent,
            "non_white_british_target_percent": non_white_british_target_percent,
            "updated_by": by,
        },
    )
    return target


@dataclass(frozen=True)
class TargetProblem:
    row: int  # as the spreadsheet numbers it: the header is row 1; 0 for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}" if self.row else self.message


class TargetsRefused(DomainError):
    """The file had mistakes: nothing was imported. Each problem says its row, column and what to fix."""

    def __init__(self, problems: list[TargetProblem]) -> None:
        self.problems = problems
        super().__init__("Nothing was imported. " + " ".join(str(p) for p in problems[:20]))


def _file_refused(message: str) -> TargetsRefused:
    return TargetsRefused([TargetProblem(0, "", message)])


NOT_TEXT = "This file is not a CSV text file. Save it from your spreadsheet program as “CSV UTF-8”, then import that."


def _decode(content: bytes) -> str:
    try:
        return csv_text(content, not_text=NOT_TEXT, then="import")
    except NotCsvText as refused:
        raise _file_refused(str(refused)) from None


@transaction.atomic
def targets_import(*, by: User | None, content: bytes) -> list[RecruitmentTarget]:
    """Import provider-level targets from a CSV (columns: provider, recruitment_year, recruitment_target,
    fsm_target_percent, non_white_british_target_percent), all or nothing. A blank cell leaves that target
    unset. Importing the same file again changes nothing."""
    reader = csv.DictReader(io.StringIO(_decode(content), newline=""))
    try:
        return _targets_from(reader, by=by)
    except csv.Error:  # a cell past the csv module's limit (128 kB): a quotation mark that is never closed
        raise _file_refused(
            # The DictReader's own line_num lags a row behind: its reader's is the line that failed.
            f"Row {reader.reader.line_num} could not be read: a cell there goes on for far too long, usually because a "
            'quotation mark (") opens it and is never closed. Close or remove that quotation mark, then import '
            "the file again."
        ) from None


def _targets_from(reader: csv.DictReader, *, by: User | None) -> list[RecruitmentTarget]:
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [c for c in TARGET_COLUMNS if c not in header]
    if missing:
        needed = ", ".join(TARGET_COLUMNS)
        raise TargetsRefused(
            [TargetProblem(1, ", ".join(missing), f"This column is missing: the header row needs {needed}.")]
        )
    providers = {p.slug: p for p in Provider.objects.all()}
    problems: list[TargetProblem] = []
    parsed = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        provider = providers.get(row["provider"].lower())
        try:
            if provider is None:
                raise DomainError(
                    f"There is no provider “{row['provider']}”. Use its short name, e.g. "
                    f"{', '.join(sorted(providers)[:5])}.",
                    field="provider",
                )
            year = check_year(row["recruitment_year"])
            values = (
                _number(row["recruitment_target"], "recruitment_target", "the recruitment target"),
                _share(row["fsm_target_percent"], "fsm_target_percent", "the FSM target"),
                _share(
                    row["non_white_british_target_percent"],
                    "non_white_british_target_percent",
                    "the non-White British target",
                ),
            )
        except DomainError as problem:
            problems.append(TargetProblem(number, problem.field or "", problem.message))
            continue
        key = (provider.slug, year)
        if key in seen:
            problems.append(
                TargetProblem(
                    number, "recruitment_year", f"Row {seen[key]} already sets {provider.slug}'s {year}."
                )
            )
            continue
        seen[key] = number
        parsed.append((provider, year, values))
    if problems:
        raise TargetsRefused(problems)
    if not parsed:
        raise TargetsRefused(
            [TargetProblem(2, "provider", "The file has no rows of targets under its header.")]
        )
    return [
        target_set(
            by=by,
            provider=provider,
            programme=None,
            recruitment_year=year,
            recruitment_target=values[0],
            fsm_target_percent=values[1],
            non_white_british_target_percent=values[2],
        )
        for provider, year, values in parsed
    ]


def fingerprint(data: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


Scope = tuple[str, Programme | None]  # a recruitment year, and a programme or None for all


def _lock_scopes(provider: Provider, scopes: list[Scope]) -> None:
    """One snapshot write per scope at a time (two workers compare with the latest, then insert)."""
    lock_names(
        f"snapshot:{provider.pk}:{year}:{programme.pk if programme else 0}" for year, programme in scopes
    )


def _lock_scope(provider: Provider, recruitment_year: str, programme: Programme | None) -> None:
    _lock_scopes(provider, [(recruitment_year, programme)])


def _latest_snapshots(provider: Provider, years: set[str]) -> dict[tuple[str, int | None], MetricSnapshot]:
    """The snapshot that stands for each of the provider's scopes in these years, in two queries."""
    latest: dict[tuple[str, int | None], int] = {}
    for pk, year, programme_id in (
        MetricSnapshot.objects.filter(provider=provider, recruitment_year__in=years)
        .order_by("computed_at", "pk")
        .values_list("pk", "recruitment_year", "programme_id")
    ):
        latest[year, programme_id] = pk  # the last one read is the latest
    return {
        (s.recruitment_year, s.programme_id): s for s in MetricSnapshot.objects.filter(pk__in=latest.values())
    }


def _keep(records: Records, scopes: list[Scope]) -> list[tuple[MetricSnapshot, bool]]:
    """Compute each scope's figures from the records and keep those that differ from the scope's latest
    snapshot; returns, per scope, the snapshot that stands and whether it is new. Call inside a transaction."""
    computed = [(year, programme, *records.reports(year, programme)) for year, programme in scopes]
    _lock_scopes(records.provider, scopes)
    latest = _latest_snapshots(records.provider, {year for year, _ in scopes})
    now = timezone.now()
    kept: list[tuple[MetricSnapshot, bool]] = []
    for year, programme, data, published in computed:
        digest = fingerprint(data)
        standing = latest.get((year, programme.pk if programme else None))
        if standing is not None and standing.fingerprint == digest and standing.published == published:
            kept.append((standing, False))
            continue
        snapshot = MetricSnapshot(
            provider=records.provider,
            programme=programme,
            recruitment_year=year,
            computed_at=now,
            data=data,
            published=published,
            fingerprint=digest,
        )
        kept.append((snapshot, True))
    MetricSnapshot.objects.bulk_create([snapshot for snapshot, new in kept if new])
    return kept


@transaction.atomic
def snapshot_take(
    *, provider: Provider, recruitment_year: str, programme: Programme | None = None
) -> tuple[MetricSnapshot, bool]:
    """Compute the figures now and keep them if they differ from the latest snapshot; returns the snapshot that
    stands and whether it is new. Safe to run twice, or in two workers at once (the scope is locked once the
    figures are computed, to compare and write)."""
    return _keep(Records.read(provider, [recruitment_year]), [(recruitment_year, programme)])[0]


@transaction.atomic
def snapshots_for_publishing(
    *, provider: Provider, years: list[str], programme: Programme | None = None
) -> list[MetricSnapshot]:
    """The snapshot that stands for each year, taken now where a figure changed since the latest: what a
    download shows, so that every published figure can be traced to a dated snapshot."""
    kept = _keep(Records.read(provider, years), [(year, programme) for year in years])
    return [snapshot for snapshot, _ in kept]


@transaction.atomic
def metrics_publishing_set(*, by: User, provider: Provider, public: bool) -> Provider:
    """Show the provider's published tables at its public address, or stop. Turning it on queues a snapshot of
    every year, so the page has figures to show (it shows snapshots only, never computing for a visitor)."""
    from metrics import tasks
    from npqel.jobs import enqueue

    if not access_for(by).may(Action.PUBLISH_METRICS, provider.pk):
        raise PermissionDenied("Only the provider's own admins choose whether its metrics are public.")
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.metrics_public != public:
        provider.metrics_public = public
        provider.save(update_fields=["metrics_public"])
        if public:
            enqueue(tasks.snapshots_take_task, provider.pk)
    return provider


def snapshots_take_all(*, providers: list[Provider]) -> int:
    """A snapshot of each provider's every recruitment year, all programmes together and each programme, each
    provider's records read once; returns how many were new (the figures had changed)."""
    changed = 0
    for first in range(0, len(providers), PROVIDERS_READ_TOGETHER):
        for records in records_of(providers[first : first + PROVIDERS_READ_TOGETHER]):
            with transaction.atomic():
                changed += sum(new for _, new in _keep(records, _scopes(records.provider)))
    return changed


# The night's snapshots read this many providers' records in one go (each query's rows are spread over fewer,
# larger reads; memory stays bounded however many providers there are).
PROVIDERS_READ_TOGETHER = 10


def _scopes(provider: Provider) -> list[Scope]:
    """Every (recruitment year, programme or all) the provider's snapshots cover."""
    from metrics.compute import recruitment_years

    programmes = [None, *Programme.objects.filter(provider=provider).order_by("code")]
    return [(year, programme) for year in recruitment_years(provider) for programme in programmes]


@transaction.atomic
def recompute_request(*, by: User, provider: Provider) -> RecomputeRun:
    """Ask for the provider's metrics to be recomputed now; the worker does it (recompute_run) and the page
    shows its progress. A run already under way is returned instead of starting a second."""
    from metrics import tasks
    from npqel.jobs import enqueue

    if not access_for(by).may(Action.MANAGE_TARGETS, provider.pk):
        raise PermissionDenied("Only the provider's admins and platform staff recompute its metrics.")
    Provider.objects.select_for_update().get(pk=provider.pk)  # two clicks at once start one run
    running = RecomputeRun.objects.filter(provider=provider, finished_at__isnull=True).first()
    if running is not None and timezone.now() - running.requested_at < STALE_AFTER:
        return running
    if running is not None:
        # Never finished (the broker was down, or the worker was killed): say so, and start afresh.
        running.finished_at = timezone.now()
        running.problem = "This recomputation stopped before it finished. A new one was started."
        running.save(update_fields=["finished_at", "problem"])
    run = RecomputeRun.objects.create(
        provider=provider, requested_by=by, requested_at=timezone.now(), total=len(_scopes(provider))
    )
    enqueue(tasks.recompute_run_task, run.pk)
    return run


# A run not finished this long after it was asked for never will be: the worker's hard time limit is shorter.
STALE_AFTER = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def recompute_run(*, run_id: int) -> RecomputeRun | None:
    """Take the run's snapshots one scope at a time, saving the progress after each (safe to run again: a scope
    whose figures are unchanged writes nothing). None if the run is finished already."""
    run = RecomputeRun.objects.select_related("provider").filter(pk=run_id, finished_at__isnull=True).first()
    if run is None:
        return None
    records = Records.read(run.provider)
    scopes = _scopes(run.provider)
    # Run again after a worker died half-way, it goes through every scope again; those written before the kill
    # are unchanged now, so `changed` keeps counting from where it got to.
    run.total, run.done = len(scopes), 0
    run.save(update_fields=["total", "done"])
    try:
        for scope in scopes:
            with transaction.atomic():
                [(_, new)] = _keep(records, [scope])
            run.done += 1
            run.changed += new
            RecomputeRun.objects.filter(pk=run.pk).update(done=run.done, changed=run.changed)
    except Exception:
        RecomputeRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(),
            problem="The recomputation stopped because of an error on our side. Try again; if it stops again, "
            "tell platform support.",
        )
        raise
    RecomputeRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    run.refresh_from_db()
    return run
