"""Writes for marking (issue 7): each task's mark scheme (the standard schemes follow DfE's published
assessment criteria in outline; a provider changes them to its own) and an assessor's marking of a script."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessment.models import Allocation, AssessmentTask, Criterion, Marking, MarkScheme, Omission
from assessment.outcomes import feedback_problem, outcome_of
from audit.services import audit_record
from npqel.access import Action, access_for
from npqel.errors import DomainError

GUIDANCE = (
    "Mark positively: credit what is relevant and justified, wherever it appears in the script. Do not deduct "
    "marks for what is missing, except the failure-level omissions listed, which fail the script whatever its "
    "marks."
)

# (title, descriptors, max mark) for each kind of task; then its failure-level omissions.
CASE_STUDY = (
    [
        (
            "Identifies the problems",
            "0–3: lists issues without priority. 4–7: identifies the main problems with some evidence from "
            "the case. 8–10: prioritises the problems convincingly, using the case's evidence.",
            10,
        ),
        (
            "Selects and justifies solutions",
            "0–3: solutions asserted. 4–7: solutions linked to the problems with some justification. "
            "8–10: solutions justified against alternatives, drawing on evidence about what works.",
            10,
        ),
        (
            "Implementation",
            "0–3: a list of actions. 4–7: a plan with stages and leads. 8–10: a staged plan with how "
            "progress is monitored and what happens if it is not working.",
            10,
        ),
        (
            "Working with others and governance",
            "0–3: stakeholders mentioned. 4–7: how the board and leaders are engaged. 8–10: a convincing "
            "account of partnership, accountability and the needs of disadvantaged pupils.",
            10,
        ),
    ],
    ["The stages of implementation", "Any justification of the chosen solutions"],
)
LEGACY_TASK_1 = (
    [
        ("Analysis of options", "Benefits, costs and risks of each option, with evidence.", 10),
        ("Engaging the board", "How the strategy was presented to and tested by the governing board.", 10),
        ("Design and implementation", "How the strategy was designed and put into practice.", 10),
        ("Evaluation", "How its impact was evaluated, honestly and with evidence.", 10),
    ],
    ["An analysis of options for their benefits, costs and risks", "Presentation to the governing board"],
)
LEGACY_TASK_2 = (
    [
        ("Diagnosis across the schools", "The evidence used to choose the improvement priority.", 10),
        ("Leading the project", "How the project was led across three or more schools.", 10),
        ("Impact on progress and attainment", "What changed for pupils, with evidence.", 10),
        ("Evaluation and sustainability", "What was learned and how the gains will last.", 10),
    ],
    ["Work in three or more schools", "Evidence of impact on pupils' progress or attainment"],
)


@transaction.atomic
def mark_scheme_create_default(*, by: User | None, task: AssessmentTask) -> MarkScheme:
    """The task's standard mark scheme (four criteria of 10 marks, pass mark 20, a borderline band of 18 to
    21, and its failure-level omissions); returns the existing one if there is one."""
    if by is not None and not access_for(by).may(Action.MANAGE_ASSESSMENT, task.scheme.programme.provider_id):
        raise PermissionDenied("Only a provider admin of this provider can set up mark schemes.")
    existing = MarkScheme.objects.filter(task=task).first()
    if existing is not None:
        return existing
    if task.window_kind == AssessmentTask.WindowKind.FIXED:
        criteria, omissions = CASE_STUDY
    else:
        criteria, omissions = LEGACY_TASK_1 if task.number == 1 else LEGACY_TASK_2
    scheme = MarkScheme.objects.create(task=task, pass_mark=20, borderline_margin=2, guidance=GUIDANCE)
    Criterion.objects.bulk_create(
        Criterion(scheme=scheme, number=n, title=title, descriptors=descriptors, max_mark=most)
        for n, (title, descriptors, most) in enumerate(criteria, start=1)
    )
    Omission.objects.bulk_create(
        Omission(scheme=scheme, number=n, text=text) for n, text in enumerate(omissions, start=1)
    )
    return scheme


def _mark_range_problems(criteria: list[Criterion], marks: dict[int, int | None]) -> list[str]:
    return [
        f"The mark for “{c.title}” must be from {c.min_mark} to {c.max_mark}."
        for c in criteria
        if marks.get(c.pk) is not None and not c.min_mark <= marks[c.pk] <= c.max_mark  # type: ignore[operator]
    ]


@transaction.atomic
def marking_save(
    *,
    by: User,
    allocation: Allocation,
    revision: int,
    marks: dict[int, int | None],
    comments: dict[int, str],
    ticked: set[int],
    feedback: str,
    submit: bool = False,
) -> Marking:
    """Save the assessor's marking of an allocated script as a draft (marks may still be missing), or submit it
    (every mark given, the outcome worked out, the feedback that outcome needs written). `revision` is the one
    the assessor's page was showing: if someone saved since (another tab, another device), nothing is
    overwritten and they are told."""
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("submission__task__mark_scheme", "submission__enrolment")
        .get(pk=allocation.pk)
    )
    if allocation.assessor_id != by.pk:
        raise PermissionDenied("Only the assessor this script is allocated to can mark it.")
    if allocation.ended_at is not None:
        raise DomainError("This script has been moved to another assessor, so your marks were not saved.")
    marking = Marking.objects.select_for_update().filter(allocation=allocation).first()
    if marking is not None and marking.status == Marking.Status.SUBMITTED:
        raise DomainError("You have submitted this marking, so it can no longer change.")
    current = marking.revision if marking is not None else 0
    if revision != current and marking is None:
        raise DomainError(
            "This page is out of date, so nothing was saved. Reload it and make your changes again."
        )
    if revision != current:
        when = timezone.localtime(marking.saved_at)
        raise DomainError(
            f"This marking was saved again at {when:%H:%M:%S} (perhaps in another tab) after you opened it, so "
            "your changes were not saved, to avoid overwriting it. Copy anything you need, reload the page and "
            "make your changes again."
        )
    # Submitting locks the scheme's row too: a change to the scheme waits for it, then sees the task is marked
    # (assessment/mark_schemes.py). Drafts need not wait for each other.
    schemes = MarkScheme.objects.filter(task_id=allocation.submission.task_id)
    scheme = (schemes.select_for_update() if submit else schemes).get()
    criteria = list(scheme.criteria.all())
    omissions = list(scheme.omissions.all())
    problems = _mark_range_problems(criteria, marks)
    if problems:
        raise DomainError(" ".join(problems), field="marks")
    if not ticked <= {o.pk for o in omissions}:
        raise DomainError("Tick only the omissions listed in this task's mark scheme.", field="omissions")
    now = timezone.now()
    marking = marking or Marking(allocation=allocation, saved_at=now)
    marking.marks = {str(pk): mark for pk, mark in marks.items() if mark is not None}
    marking.comments = {str(pk): text.strip() for pk, text in comments.items() if text.strip()}
    marking.omissions = sorted(ticked)
    marking.feedback = feedback.strip()
    if submit:
        decision = outcome_of(
            scheme,
            criteria=criteria,
            omissions=omissions,
            marks={pk: mark for pk, mark in marks.items() if mark is not None},
            ticked=ticked,
        )
        problem = feedback_problem(decision.outcome, feedback)
        if problem:
            raise DomainError(problem, field="feedback")
        marking.status = Marking.Status.SUBMITTED
        marking.total = decision.total
        marking.outcome = decision.outcome
        marking.submitted_at = now
    marking.revision = current + 1
    marking.saved_by = by
    marking.saved_at = now
    marking.save()
    if submit:
        # Only the submitted marking is audited: drafts (and autosaves) change nothing anyone else relies on,
        # and the marking keeps each save's revision, time and person itself.
        submission = allocation.submission
        audit_record(
            actor=by,
            action="marking.submitted",
            obj_type="marking",
            obj_id=marking.pk,
            provider=submission.enrolment.provider_id,
            label=f"{submission.candidate_number}, {submission.task.title} ({allocation.get_kind_display().lower()})",
            before={"status": Marking.Status.DRAFT} if current else None,
            after={
                "status": marking.status,
                "total": marking.total,
                "outcome": marking.outcome,
                # By the criterion's and omission's number in the scheme, as the assessor saw them.
                "marks": {f"criterion {c.number}": marking.marks.get(str(c.pk)) for c in criteria},
                "omissions": [o.number for o in omissions if o.pk in ticked],
            },
            at=now,
        )
        from assessment.results import marking_submitted  # results builds on allocation, which reads markings

        marking_submitted(marking)
    return marking
