"""Marked scripts and their results, written straight to the database for the moderation tests (the services
that allocate, mark and decide results have their own tests): a provider's reformed programme with the
standard mark scheme (pass mark 20 of 40, borderline 18 to 21), assessors by name, and results with their
first (and second) markings, a submitted version and its main document."""

import datetime
import itertools
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from assessment import services
from assessment.marking import mark_scheme_create_default
from assessment.models import (
    Allocation,
    AssessmentTask,
    Criterion,
    Marking,
    ModerationSample,
    Result,
    Submission,
    SubmissionFile,
    SubmissionVersion,
)
from assessment.moderation import sample_draw
from npqel.access import Role
from programmes.models import Cohort, Programme, Provider
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

UK = zoneinfo.ZoneInfo("Europe/London")
# Results are decided in May 2026 unless a test says otherwise.
DECIDED = datetime.datetime(2026, 5, 12, 14, 0, tzinfo=UK)
TOTALS = {"pass": 26, "borderline": 20, "fail": 12}
FEEDBACK = {
    "pass": "A clear, well-justified plan that answers every question.",
    "borderline": "The plan names the problems but justifies the chosen solutions only in part. " * 4,
    "fail": "The response leaves out the stages of implementation and does not justify its solutions. " * 4,
}
_numbers = itertools.count(1)


@dataclass
class Marked:
    """A provider's task to mark and the cohort whose scripts are marked."""

    provider: Provider
    task: AssessmentTask
    cohort: Cohort
    criteria: list[Criterion]


def marked_world(provider: Provider, *, cohort: Cohort | None = None) -> Marked:
    """A reformed programme of the provider with its standard schemes and a cohort; or, given a cohort, its
    programme's first task."""
    if cohort is None:
        programme = ProgrammeFactory(
            provider=provider, framework=Programme.Framework.REFORMED, code=f"mod{next(_numbers)}"
        )
        cohort = CohortFactory(programme=programme)
    task = services.scheme_create_default(by=None, programme=cohort.programme).tasks.get(number=1)
    scheme = mark_scheme_create_default(by=None, task=task)
    return Marked(provider=provider, task=task, cohort=cohort, criteria=list(scheme.criteria.all()))


def assessor(provider: Provider, name: str) -> User:
    user = person(Role.ASSESSOR, provider)
    user.full_name = name
    user.save(update_fields=["full_name"])
    return user


def _marks(criteria: list[Criterion], total: int) -> dict[str, int]:
    """`total` spread over the criteria as evenly as their ranges allow."""
    marks, left = {}, total
    for i, criterion in enumerate(criteria):
        give = min(criterion.max_mark, -(-left // (len(criteria) - i)))
        marks[str(criterion.pk)] = give
        left -= give
    assert left == 0, f"{total} does not fit the scheme"
    return marks


def marking(
    world: Marked, submission: Submission, who: User, outcome: str, total: int | None, kind: str, at
) -> Marking:
    allocation = Allocation.objects.create(
        submission=submission, kind=kind, assessor=who, allocated_at=at, due_on=at.date()
    )
    total = TOTALS[outcome] if total is None else total
    return Marking.objects.create(
        allocation=allocation,
        status=Marking.Status.SUBMITTED,
        marks=_marks(world.criteria, total),
        comments={str(world.criteria[0].pk): f"{kind.title()} assessor: priorities are clear."},
        omissions=[],
        feedback=FEEDBACK[outcome],
        total=total,
        outcome=outcome,
        revision=1,
        saved_by=who,
        saved_at=at,
        submitted_at=at,
    )


def marked_result(
    world: Marked,
    *,
    first: User,
    first_outcome: str = "pass",
    first_total: int | None = None,
    second: tuple[User, str] | None = None,
    outcome: str | None = None,
    decided_at: datetime.datetime = DECIDED,
    released_at: datetime.datetime | None = None,
    name: str | None = None,
    email: str | None = None,
) -> Result:
    """A submitted script of a new place on the world's cohort, marked by `first` (and `second`, given as
    (assessor, outcome)) and decided at `decided_at`. The result's outcome defaults to pass for a pass and fail
    otherwise; it was borderline if any marking was."""
    number = next(_numbers)
    user_fields = {"participant__user__full_name": name or f"Participant {number}"}
    if email:
        user_fields["participant__user__email"] = email
    enrolment = EnrolmentFactory(cohort=world.cohort, **user_fields)
    at = decided_at - datetime.timedelta(days=5)
    submission = Submission.objects.create(
        enrolment=enrolment,
        task=world.task,
        candidate_number=f"M{number:06d}",
        created_at=at,
        updated_at=at,
    )
    version = SubmissionVersion.objects.create(
        submission=submission,
        number=1,
        uploaded_by=enrolment.participant.user,
        upload_started_at=at,
        uploaded_at=at,
    )
    participant_name = enrolment.participant.user.full_name
    SubmissionFile.objects.create(
        version=version,
        role=SubmissionFile.Role.MAIN,
        file=f"scripts/{submission.candidate_number}/main.pdf",
        # What the participant called it, with their name in it: it must never reach a moderator.
        original_name=f"{participant_name} case study.pdf",
        kind="pdf",
        size=120_000,
        sha256="0" * 64,
        words=1450,
        pages=4,
        names_found=[participant_name],
    )
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.SUBMITTED, submitted_version=version, submitted_at=at
    )
    submission.refresh_from_db()
    first_marking = marking(world, submission, first, first_outcome, first_total, Allocation.Kind.FIRST, at)
    second_marking = None
    if second is not None:
        second_marking = marking(world, submission, second[0], second[1], None, Allocation.Kind.SECOND, at)
    outcomes = {first_outcome, *([second[1]] if second else [])}
    if outcome is None:
        outcome = "pass" if first_outcome == "pass" else "fail"
    return Result.objects.create(
        submission=submission,
        outcome=outcome,
        route=Result.Route.AGREED if second_marking else Result.Route.FIRST,
        was_borderline="borderline" in outcomes,
        first_marking=first_marking,
        second_marking=second_marking,
        total=first_marking.total,
        feedback=first_marking.feedback,
        decided_at=decided_at,
        released_at=released_at,
        released_by=None,
    )


def drawn_sample(world: Marked, *, by: User, results: int = 3, rate_percent: int = 100) -> ModerationSample:
    """A sample of `results` fresh passes by one assessor (all of them, at 100%), drawn by `by`."""
    marker = assessor(world.provider, f"Assessor for {world.provider.slug}")
    decided = timezone.now() - datetime.timedelta(days=1)
    for _ in range(results):
        marked_result(world, first=marker, decided_at=decided)
    day = timezone.localdate(decided)
    return sample_draw(
        by=by,
        provider=world.provider,
        label=f"Sample {next(_numbers)}",
        period_start=day,
        period_end=day,
        rate_percent=rate_percent,
        seed="isolation",
    )
