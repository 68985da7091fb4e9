"""Reads the engagement API (participants/api_engagement.py) needs beyond those the pages already share:
a place's task completions, the rows a request body names by id, and a place's engagement measured now with
every reason it is at risk. Scoped by npqel/access.py like every selector: another provider's row is 404,
exactly like a missing one."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from npqel.access import Action, provider_q, require_page
from participants import selectors
from participants.eligibility import Explanation, Figures, PartRow
from participants.models import Enrolment, TaskCompletion
from programmes.models import Component, Task

# Online learning --------------------------------------------------------------------------------------


def enrolment_to_read(*, user: object, pk: int) -> Enrolment:
    """A place of a provider where the user sees enrolments (admins, platform staff): 403 for a role that
    never does, 404 for another provider's place (or a missing one)."""
    require_page(user, Action.VIEW_ENROLMENTS)
    places = Enrolment.objects.filter(provider_q(user, Action.VIEW_ENROLMENTS)).select_related(
        "participant__user", "cohort__programme"
    )
    return get_object_or_404(places, pk=pk)


def task_completion_list(*, enrolment: Enrolment) -> QuerySet[TaskCompletion]:
    """The tasks a place (already scoped by the caller) has completed, in course order, each with its task,
    module and who recorded it: one query."""
    return (
        TaskCompletion.objects.filter(enrolment=enrolment)
        .select_related("task__module", "recorded_by")
        .order_by(
            "task__module__course__position",
            "task__module__course_id",
            "task__module__position",
            "task__module_id",
            "task__position",
            "task_id",
        )
    )


def task_completion_get(*, enrolment: Enrolment, task_pk: int) -> TaskCompletion:
    """A place's completion of one task (the place already scoped by the caller); 404 if none is recorded."""
    return get_object_or_404(
        TaskCompletion.objects.filter(enrolment=enrolment).select_related("task"), task_id=task_pk
    )


def provider_task(*, provider_id: int, pk: int) -> Task:
    """A task of one of the provider's programmes (the caller already allowed at that provider); 404 for
    any other, so that another provider's task reads like one that does not exist."""
    tasks = Task.objects.filter(module__course__programme__provider_id=provider_id).select_related(
        "module__course"
    )
    return get_object_or_404(tasks, pk=pk)


def provider_component(*, provider_id: int, pk: int) -> Component:
    """A component of one of the provider's programmes (the caller already allowed at that provider); 404
    for any other."""
    return get_object_or_404(Component.objects.filter(programme__provider_id=provider_id), pk=pk)


# Engagement --------------------------------------------------------------------------------------------


def engagement_place(*, user: object, pk: int) -> Enrolment:
    """A place whose engagement the user may read: any place of a provider where they see enrolments, and
    their own; 404 for any other. With what its deadline and at-risk reasons read (status changes, the
    programme's deadline policies, an earlier system's record)."""
    return selectors.enrolment_get_with_deadline(user=user, pk=pk)


@dataclass(frozen=True)
class EngagementReport:
    """A place's engagement and eligibility measured at `measured_at`, explained, with every reason the place
    is at risk (engagement, its deadline, a long deferral)."""

    enrolment: Enrolment
    explanation: Explanation
    at_risk_reasons: list[str]
    measured_at: datetime.datetime

    @property
    def figures(self) -> Figures:
        return self.explanation.figures

    @property
    def components(self) -> list[PartRow]:
        """Each component's part, in programme order."""
        return self.explanation.rows

    @property
    def at_risk(self) -> bool:
        return bool(self.at_risk_reasons)


def engagement_report(*, enrolment: Enrolment, now: datetime.datetime | None = None) -> EngagementReport:
    """A place (from engagement_place) measured now, not read from the stored row, which may be a few
    seconds behind the latest change, with its at-risk reasons from the same figures: three queries however
    large the programme."""
    now = now or timezone.now()
    explanation = selectors.engagement_explained(enrolment=enrolment, now=now)
    standing = selectors.standing_of(enrolment, today=timezone.localdate(now), figures=explanation.figures)
    return EngagementReport(
        enrolment=enrolment, explanation=explanation, at_risk_reasons=standing.risks, measured_at=now
    )
