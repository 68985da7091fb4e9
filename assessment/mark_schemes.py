"""A task's mark scheme as its provider sets it (issue 7): the criteria (descriptors, mark range, the content
statements each assesses), the failure-level omissions, the pass mark and the borderline band around it, the
share of passes second-marked, and the days for reviews and resubmissions.

Reads and writes both live here. Looking needs Action.VIEW_SUBMISSIONS (provider admins; platform staff
everywhere); changing needs Action.MANAGE_ASSESSMENT (provider admins). Another provider's task, criterion or
omission answers 404 like a missing one.

Once any marking of the task's scripts is submitted, what decides outcomes is fixed (the criteria and their
ranges, the omissions, the pass mark and the margin): changing it would make outcomes already given
inconsistent with the scheme. Guidance, the second-marking share and the days may still change.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User
from assessment.models import AssessmentTask, Criterion, Marking, MarkScheme, Omission
from npqel.access import Action, provider_q, require, require_page
from npqel.errors import DomainError
from programmes.models import LearningStatement

# Sensible bounds for what a provider types in (the model's fields are small positive integers).
MOST_MARKS_PER_CRITERION = 100
MOST_REVIEW_DAYS = 365
MOST_MARKING_DAYS = 60
MOST_RESUBMISSION_DAYS = 730
TITLE_LENGTH = 200
OMISSION_LENGTH = 300

VIA_TASK = "scheme__programme__provider"
VIA_SCHEME = "task__scheme__programme__provider"

# Statements by area, in the area's order; within one, "learn that" before "learn how to" ("learn_that" sorts
# after "learn_how", hence descending), as the programme's content page lists them.
STATEMENT_ORDER = ("area__position", "area__title", "area_id", "-kind", "position", "pk")

LOCKED = (
    "Scripts of this task have already been marked, so {what} can no longer change: the outcomes already given "
    "were decided by the scheme as it is. You can still change the guidance for assessors, the share of passes "
    "second-marked and the days for reviews and resubmissions."
)


# Reads --------------------------------------------------------------------------------------------------------


def task_for_mark_scheme(
    *, user: object, pk: int, action: Action = Action.VIEW_SUBMISSIONS
) -> AssessmentTask:
    """A task the user may see (or, with MANAGE_ASSESSMENT, change) the mark scheme of, with its programme,
    provider and mark scheme loaded (`task.mark_scheme` missing when it has none: see `scheme_of_task`)."""
    require_page(user, action)
    return get_object_or_404(
        AssessmentTask.objects.filter(provider_q(user, action, via=VIA_TASK)).select_related(
            "scheme__programme__provider", "mark_scheme"
        ),
        pk=pk,
    )


def scheme_of_task(task: AssessmentTask) -> MarkScheme | None:
    """The task's mark scheme, or None before one is set up (loaded already by `task_for_mark_scheme`)."""
    return getattr(task, "mark_scheme", None)


def scheme_for_change(*, user: object, pk: int) -> MarkScheme:
    """The mark scheme of a task the user may change (404 when the task has none yet)."""
    task = task_for_mark_scheme(user=user, pk=pk, action=Action.MANAGE_ASSESSMENT)
    scheme = scheme_of_task(task)
    if scheme is None:
        raise Http404("This task has no mark scheme yet.")
    return scheme


def criterion_for_change(*, user: object, pk: int) -> Criterion:
    """A criterion of a mark scheme the user may change, with its scheme, task and programme."""
    require_page(user, Action.MANAGE_ASSESSMENT)
    return get_object_or_404(
        Criterion.objects.filter(
            provider_q(user, Action.MANAGE_ASSESSMENT, via=f"scheme__{VIA_SCHEME}")
        ).select_related("scheme__task__scheme__programme__provider"),
        pk=pk,
    )


def omission_for_change(*, user: object, pk: int) -> Omission:
    """A failure-level omission of a mark scheme the user may change, with its scheme and task."""
    require_page(user, Action.MANAGE_ASSESSMENT)
    return get_object_or_404(
        Omission.objects.filter(
            provider_q(user, Action.MANAGE_ASSESSMENT, via=f"scheme__{VIA_SCHEME}")
        ).select_related("scheme__task__scheme__programme__provider"),
        pk=pk,
    )


def marking_started(*, task_id: int) -> bool:
    """Whether any marking of the task's scripts has been submitted (what decides outcomes is then fixed)."""
    return Marking.objects.filter(
        status=Marking.Status.SUBMITTED, allocation__submission__task_id=task_id
    ).exists()


def statement_choices(*, programme_id: int) -> list[LearningStatement]:
    """The programme's content statements, by area (in the area's order), "learn that" before "learn how to"."""
    return list(
        LearningStatement.objects.filter(area__programme_id=programme_id)
        .select_related("area")
        .order_by(*STATEMENT_ORDER)
    )


@dataclass
class SchemeView:
    """Everything the mark scheme page shows, read in a fixed number of queries."""

    scheme: MarkScheme
    criteria: list[Criterion]  # each with `statement_list` (areas loaded)
    omissions: list[Omission]
    locked: bool

    @property
    def most(self) -> int:
        return sum(c.max_mark for c in self.criteria)

    @property
    def least(self) -> int:
        return sum(c.min_mark for c in self.criteria)

    @property
    def band_words(self) -> str:
        return band_words(self.scheme.pass_mark, self.scheme.borderline_margin)

    @property
    def criteria_words(self) -> str:
        return criteria_words(len(self.criteria))

    @property
    def second_marking_words(self) -> str:
        return second_marking_words(self.scheme.second_marking_pass_percent)


def scheme_view(*, scheme: MarkScheme) -> SchemeView:
    """The scheme with its criteria (and the statements each assesses), omissions, and whether it is fixed."""
    criteria = list(
        scheme.criteria.order_by("number").prefetch_related(
            Prefetch(
                "statements",
                queryset=LearningStatement.objects.select_related("area").order_by(*STATEMENT_ORDER),
                to_attr="statement_list",
            )
        )
    )
    return SchemeView(
        scheme=scheme,
        criteria=criteria,
        omissions=list(scheme.omissions.order_by("number")),
        locked=marking_started(task_id=scheme.task_id),
    )


def band_words(pass_mark: int, margin: int) -> str:
    """The pass mark and band as a sentence: "18 to 21 is borderline: below 18 fails, 22 or more passes."."""
    low = max(pass_mark - margin, 0)
    high = pass_mark + margin
    if margin == 0:
        return f"No borderline band: below {pass_mark} fails, {pass_mark} or more passes."
    band = f"{low} is borderline" if low == high - 1 else f"{low} to {high - 1} is borderline"
    below = f"below {low} fails" if low > 0 else "no total fails on marks alone"
    return f"{band}: {below}, {high} or more passes."


def criteria_words(n: int) -> str:
    """ "1 criterion", "4 criteria"."""
    return f"{n} criterion" if n == 1 else f"{n} criteria"


def second_marking_words(percent: int) -> str:
    """Which scripts a second assessor marks, in words."""
    if percent >= 100:
        return "Every script is second-marked."
    if percent == 0:
        return "Every fail and borderline script is second-marked; passes are not."
    return f"Every fail and borderline script is second-marked, and {percent}% of passes, picked at random."


# Writes -------------------------------------------------------------------------------------------------------


def _locked_for_change(scheme: MarkScheme, *, by: User) -> MarkScheme:
    """The scheme's row, locked until the end of the transaction so that changes to it happen one at a time,
    after checking that `by` may change it."""
    locked = (
        MarkScheme.objects.select_for_update(of=("self",))
        .select_related("task__scheme__programme")
        .get(pk=scheme.pk)
    )
    require(by, Action.MANAGE_ASSESSMENT, locked.task.scheme.programme.provider_id)
    return locked


def _refuse_once_marked(scheme: MarkScheme, what: str) -> None:
    if marking_started(task_id=scheme.task_id):
        raise DomainError(LOCKED.format(what=what))


def _settings_problem(*, pass_mark: int, margin: int, least: int, most: int) -> DomainError | None:
    """What is wrong with a pass mark and margin, given the least and most a script can score (None if fine)."""
    if most <= least:
        return DomainError(
            "Add a criterion first: the pass mark must fit inside the marks the criteria give."
        )
    if not least + 1 <= pass_mark <= most:
        return DomainError(
            f"The pass mark must be between {least + 1} and {most}, the most a script can score.",
            field="pass_mark",
        )
    if pass_mark - margin < least:
        return DomainError(
            f"With a pass mark of {pass_mark}, a margin of {margin} would start the borderline band at "
            f"{pass_mark - margin}, below {least}, the least a script can score. Make the margin "
            f"{pass_mark - least} or less.",
            field="borderline_margin",
        )
    if pass_mark + margin > most:
        return DomainError(
            f"With a pass mark of {pass_mark}, a margin of {margin} would make {pass_mark - margin} to "
            f"{pass_mark + margin - 1} borderline, so no script could pass outright: the most a script can "
            f"score is {most}. Make the margin {most - pass_mark} or less, or the pass mark lower.",
            field="borderline_margin",
        )
    return None


def _refuse_totals_that_break_the_band(scheme: MarkScheme, *, least: int, most: int, field: str) -> None:
    """Refuse criteria whose totals would no longer hold the scheme's pass mark and band."""
    pass_mark, margin = scheme.pass_mark, scheme.borderline_margin
    if _settings_problem(pass_mark=pass_mark, margin=margin, least=least, most=most) is None:
        return
    what = f"the pass mark of {pass_mark}"
    if margin:
        what += f" and its borderline band of {scheme.borderline_from} to {scheme.pass_from - 1}"
    raise DomainError(
        f"Then a script could score from {least} to {most}, which leaves no room for {what}. Change the pass "
        "mark or the margin first, then the criteria.",
        field=field,
    )


@transaction.atomic
def mark_scheme_update(
    *,
    by: User,
    scheme: MarkScheme,
    pass_mark: int,
    borderline_margin: int,
    second_marking_pass_percent: int,
    review_days: int,
    resubmission_days: int,
    guidance: str,
    marking_days: int | None = None,
) -> MarkScheme:
    """Change the scheme's settings. The pass mark and its band must fit inside the totals the criteria allow;
    once scripts are marked, the pass mark and margin can no longer change (the rest still may)."""
    scheme = _locked_for_change(scheme, by=by)
    if (pass_mark, borderline_margin) != (scheme.pass_mark, scheme.borderline_margin):
        _refuse_once_marked(scheme, "the pass mark and the borderline band")
        ranges = list(scheme.criteria.values_list("min_mark", "max_mark"))
        problem = _settings_problem(
            pass_mark=pass_mark,
            margin=borderline_margin,
            least=sum(low for low, _ in ranges),
            most=sum(high for _, high in ranges),
        )
        if problem is not None:
            raise problem
    if not 0 <= second_marking_pass_percent <= 100:
        raise DomainError(
            "The share of passes second-marked must be a percentage from 0 to 100.",
            field="second_marking_pass_percent",
        )
    if not 1 <= review_days <= MOST_REVIEW_DAYS:
        raise DomainError(
            f"Give participants from 1 to {MOST_REVIEW_DAYS} days to ask for a review.", field="review_days"
        )
    if not 1 <= resubmission_days <= MOST_RESUBMISSION_DAYS:
        raise DomainError(
            f"Give participants from 1 to {MOST_RESUBMISSION_DAYS} days to resubmit after a fail.",
            field="resubmission_days",
        )
    if marking_days is not None and not 1 <= marking_days <= MOST_MARKING_DAYS:
        raise DomainError(
            f"Give assessors from 1 to {MOST_MARKING_DAYS} days to mark a script.", field="marking_days"
        )
    scheme.marking_days = scheme.marking_days if marking_days is None else marking_days
    scheme.pass_mark = pass_mark
    scheme.borderline_margin = borderline_margin
    scheme.second_marking_pass_percent = second_marking_pass_percent
    scheme.review_days = review_days
    scheme.resubmission_days = resubmission_days
    scheme.guidance = guidance.strip()
    scheme.save(
        update_fields=[
            "pass_mark",
            "borderline_margin",
            "second_marking_pass_percent",
            "review_days",
            "resubmission_days",
            "marking_days",
            "guidance",
        ]
    )
    return scheme


@transaction.atomic
def criterion_save(
    *,
    by: User,
    scheme: MarkScheme,
    criterion: Criterion | None = None,
    title: str,
    descriptors: str,
    min_mark: int,
    max_mark: int,
    statement_ids: Iterable[int] = (),
) -> Criterion:
    """Add a criterion to the scheme (numbered after the others), or change `criterion`: its title,
    descriptors, mark range and the programme's content statements it assesses. Refused once scripts are
    marked, or if the scheme's pass mark and band would no longer fit inside the totals."""
    scheme = _locked_for_change(scheme, by=by)
    _refuse_once_marked(scheme, "its criteria")
    if criterion is not None:
        criterion = Criterion.objects.filter(pk=criterion.pk, scheme=scheme).first()
        if criterion is None:
            raise DomainError("That criterion has been removed from this mark scheme.")
    title = " ".join(title.split())
    descriptors = descriptors.strip()
    if not title:
        raise DomainError("Give the criterion a title.", field="title")
    if len(title) > TITLE_LENGTH:
        raise DomainError(f"Keep the title to {TITLE_LENGTH} characters.", field="title")
    if not descriptors:
        raise DomainError("Say what each band of marks looks like in the descriptors.", field="descriptors")
    if min_mark < 0:
        raise DomainError("The lowest mark must be 0 or more.", field="min_mark")
    if max_mark > MOST_MARKS_PER_CRITERION:
        raise DomainError(f"The highest mark must be {MOST_MARKS_PER_CRITERION} or less.", field="max_mark")
    if max_mark <= min_mark:
        raise DomainError(
            f"The highest mark must be more than the lowest ({min_mark}), so there is a range to mark in.",
            field="max_mark",
        )
    others = list(scheme.criteria.all())
    if criterion is not None:
        others = [other for other in others if other.pk != criterion.pk]
    if any(other.title.casefold() == title.casefold() for other in others):
        raise DomainError(
            f"Another criterion of this scheme is already called “{title}”: give this one a different title.",
            field="title",
        )
    wanted = set(statement_ids)
    statements = list(
        LearningStatement.objects.filter(pk__in=wanted, area__programme_id=scheme.task.scheme.programme_id)
    )
    if len(statements) != len(wanted):
        raise DomainError(
            "Choose content statements of this programme only (one may have been removed since the page "
            "opened: reload it).",
            field="statements",
        )
    _refuse_totals_that_break_the_band(
        scheme,
        least=sum(other.min_mark for other in others) + min_mark,
        most=sum(other.max_mark for other in others) + max_mark,
        field="max_mark",
    )
    if criterion is None:
        number = max((other.number for other in others), default=0) + 1
        criterion = Criterion(scheme=scheme, number=number)
    criterion.title = title
    criterion.descriptors = descriptors
    criterion.min_mark = min_mark
    criterion.max_mark = max_mark
    criterion.save()
    criterion.statements.set(statements)
    return criterion


@transaction.atomic
def criterion_remove(*, by: User, criterion: Criterion) -> None:
    """Remove a criterion and number the rest on from 1. Refused once scripts are marked, for the only
    criterion, or if the pass mark and band would no longer fit inside what is left."""
    scheme = _locked_for_change(criterion.scheme, by=by)
    _refuse_once_marked(scheme, "its criteria")
    current = Criterion.objects.filter(pk=criterion.pk, scheme=scheme).first()
    if current is None:
        raise DomainError("That criterion has already been removed.")
    others = list(scheme.criteria.exclude(pk=current.pk).order_by("number"))
    if not others:
        raise DomainError(
            f"“{current.title}” is the scheme's only criterion: add another before removing it, so scripts "
            "can still be marked."
        )
    _refuse_totals_that_break_the_band(
        scheme,
        least=sum(other.min_mark for other in others),
        most=sum(other.max_mark for other in others),
        field="",
    )
    current.delete()
    _renumber(others)


@transaction.atomic
def omission_add(*, by: User, scheme: MarkScheme, text: str) -> Omission:
    """Add a failure-level omission (a script that leaves it out fails, whatever its marks). Refused once
    scripts are marked."""
    scheme = _locked_for_change(scheme, by=by)
    _refuse_once_marked(scheme, "its failure-level omissions")
    text = " ".join(text.split())
    if not text:
        raise DomainError(
            "Say what a script must not leave out, for example “The stages of implementation”.", field="text"
        )
    if len(text) > OMISSION_LENGTH:
        raise DomainError(f"Keep it to {OMISSION_LENGTH} characters.", field="text")
    if scheme.omissions.filter(text__iexact=text).exists():
        raise DomainError(f"“{text}” is already a failure-level omission of this scheme.", field="text")
    number = (scheme.omissions.aggregate(last=Max("number"))["last"] or 0) + 1
    return Omission.objects.create(scheme=scheme, number=number, text=text)


@transaction.atomic
def omission_remove(*, by: User, omission: Omission) -> None:
    """Remove a failure-level omission and number the rest on from 1. Refused once scripts are marked."""
    scheme = _locked_for_change(omission.scheme, by=by)
    _refuse_once_marked(scheme, "its failure-level omissions")
    removed, _ = Omission.objects.filter(pk=omission.pk, scheme=scheme).delete()
    if not removed:
        raise DomainError("That omission has already been removed.")
    _renumber(list(scheme.omissions.order_by("number")))


def _renumber(rows: Sequence[Criterion | Omission]) -> None:
    """Number rows 1, 2, 3… in their order. Ascending, one at a time: each takes a number just freed, so the
    unique (scheme, number) constraint holds after every update."""
    for n, row in enumerate(rows, start=1):
        if row.number != n:
            row.number = n
            row.save(update_fields=["number"])
