"""Reads the marking API (assessment/api_marking.py) needs beyond those the pages already share
(assessment/marking_selectors.py, assessment/moderation.py, assessment/certificates.py): an assessor's live
allocations, results, and the scripts waiting for a moderator's verdict.

Scoped by npqel/access.py like every selector:
- an assessor reads only the scripts allocated to them (MARK_SCRIPTS), by candidate number;
- results are read by provider admins (and platform staff, read-only) for every place at the provider
  (VIEW_SUBMISSIONS), and by a participant for their own places once released; another provider's row is 404,
  exactly like a missing one;
- moderators (cross-provider by design) read every sample's scripts, by candidate number.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from assessment.models import Allocation, Criterion, ModerationItem, Omission, Result
from npqel.access import Action, access_for, provider_q, require_moderator, require_page

NOT_AN_ASSESSOR = "Only assessors have scripts to mark."
ALLOCATION_RELATED = (
    "submission__task__scheme__programme__provider",
    "submission__result",
    "marking",
)


def allocation_list(*, user: User) -> QuerySet[Allocation]:
    """The assessor's live allocations at every provider they mark for, due soonest first, each with its
    script's task, provider, result and marking (joins: one query per page). 403 for a role that never marks."""
    require_page(user, Action.MARK_SCRIPTS, NOT_AN_ASSESSOR)
    return (
        Allocation.objects.filter(assessor=user, ended_at__isnull=True)
        .select_related(*ALLOCATION_RELATED)
        .order_by("due_on", "submission__candidate_number", "pk")
    )


def allocation_get(*, user: User, pk: int) -> Allocation:
    """One of the assessor's allocations, live or moved away (to say so), with the task's mark scheme (its
    criteria and omissions in order); 404 for anyone else's."""
    require_page(user, Action.MARK_SCRIPTS, NOT_AN_ASSESSOR)
    return get_object_or_404(
        Allocation.objects.filter(assessor=user)
        .select_related(*ALLOCATION_RELATED, "submission__task__mark_scheme")
        .prefetch_related(
            Prefetch(
                "submission__task__mark_scheme__criteria", queryset=Criterion.objects.order_by("number")
            ),
            Prefetch(
                "submission__task__mark_scheme__omissions", queryset=Omission.objects.order_by("number")
            ),
        ),
        pk=pk,
    )


def result_list(*, user: object) -> QuerySet[Result]:
    """Results at providers where the user sees submissions (decided, released or not), and the user's own
    released results; each with its script's task and place (joins: one query per page), oldest first."""
    scope = provider_q(user, Action.VIEW_SUBMISSIONS, via="submission__enrolment__provider")
    if access_for(user).enrolled_provider_ids:
        # Unreleased results are the provider's business until released: the participant never sees them.
        scope |= Q(submission__enrolment__participant__user=user, released_at__isnull=False)
    return (
        Result.objects.filter(scope)
        .select_related("submission__task", "submission__enrolment")
        .order_by("decided_at", "pk")
    )


def result_get(*, user: object, pk: int) -> Result:
    return get_object_or_404(result_list(user=user), pk=pk)


def moderation_waiting(*, user: object) -> QuerySet[ModerationItem]:
    """For moderators: every provider's sampled scripts still without a verdict, oldest draw first, each with
    its sample, provider, result and task. 403 for anyone else."""
    require_moderator(user)
    return (
        ModerationItem.objects.filter(verdict="")
        .select_related("sample__provider", "result__submission__task")
        .order_by("sample__drawn_at", "sample_id", "pk")
    )
