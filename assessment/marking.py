"""Writes for marking (issue 7): each task's mark scheme. The standard schemes follow DfE's published
assessment criteria in outline; a provider changes them to its own."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from assessment.models import AssessmentTask, Criterion, MarkScheme, Omission
from npqel.access import Action, access_for

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
