"""Every read of online learning (task completions per place, components recorded as done), scoped by
npqel/access.py. Kept apart from participants/selectors.py, which covers enrolments, rosters and registers."""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from npqel.access import Action, provider_q, require_page
from participants.models import ComponentCompletion, Enrolment, TaskCompletion
from participants.services.learning import GRID_STATUSES
from programmes.models import Cohort, Component, Task
from programmes.selectors import cohort_get


def learning_cohort(*, user: object, pk: int, action: Action = Action.VIEW_ENROLMENTS) -> Cohort:
    """A cohort whose online learning the user may see (VIEW_ENROLMENTS: admins and platform staff) or record
    (RECORD_LEARNING: admins): 403 for a role that never may, 404 for another provider's cohort."""
    return cohort_get(user=user, pk=pk, action=action)


@dataclass(frozen=True)
class Done:
    """One completed task of one place."""

    completed_on: datetime.date
    source: str

    @property
    def imported(self) -> bool:
        return self.source == TaskCompletion.Source.LMS_IMPORT


@dataclass
class CourseGrid:
    """One online course of the cohort's programme: its tasks in course order and, per place, what is done."""

    course: Component
    tasks: list[Task]  # each with its module loaded
    done: dict[int, dict[int, Done]] = field(default_factory=dict)  # enrolment id → task id → completion

    @property
    def core_count(self) -> int:
        return sum(1 for task in self.tasks if task.core)

    def modules(self) -> list[tuple[str, int]]:
        """The modules in order with how many of the tasks each holds (for a header row spanning them)."""
        return [
            (next(group).module.title, 1 + sum(1 for _ in group))
            for _, group in groupby(self.tasks, key=lambda task: task.module_id)
        ]

    def row(self, enrolment: Enrolment) -> list[tuple[Task, Done | None]]:
        mine = self.done.get(enrolment.pk, {})
        return [(task, mine.get(task.pk)) for task in self.tasks]

    def core_done(self, enrolment: Enrolment) -> int:
        mine = self.done.get(enrolment.pk, {})
        return sum(1 for task in self.tasks if task.core and task.pk in mine)


@dataclass
class LearningGrid:
    cohort: Cohort
    places: list[Enrolment]  # accepted, active or deferred, in name order
    courses: list[CourseGrid]


def learning_grid(*, user: object, cohort: Cohort, course_pk: int | None = None) -> LearningGrid:
    """The cohort's places that are accepted, active or deferred × the tasks of each online course of its
    programme (only course `course_pk` when given: 404 if that is not one of them), with each completion.
    The cohort comes from learning_cohort. Four queries however many places and tasks."""
    courses = list(
        Component.objects.filter(
            programme_id=cohort.programme_id, kind=Component.Kind.ONLINE_COURSE
        ).order_by("position", "pk")
    )
    if course_pk is not None:
        courses = [course for course in courses if course.pk == course_pk]
        if not courses:
            raise Http404("No such online course on this cohort's programme.")
    grids = {course.pk: CourseGrid(course=course, tasks=[]) for course in courses}
    tasks = (
        Task.objects.filter(module__course__in=grids)
        .select_related("module")
        .order_by("module__position", "module_id", "position", "pk")
    )
    for task in tasks:
        grids[task.module.course_id].tasks.append(task)
    places = list(
        Enrolment.objects.filter(
            provider_q(user, Action.VIEW_ENROLMENTS), cohort=cohort, status__in=GRID_STATUSES
        ).select_related("participant__user")
    )
    places.sort(key=lambda e: (e.participant.user.display_name.casefold(), e.pk))
    if places and grids:
        course_of = {task.pk: task.module.course_id for grid in grids.values() for task in grid.tasks}
        completions = TaskCompletion.objects.filter(
            enrolment__cohort=cohort, enrolment__status__in=GRID_STATUSES, task_id__in=course_of
        ).values_list("enrolment_id", "task_id", "completed_on", "source")
        for enrolment_id, task_id, completed_on, source in completions:
            done = grids[course_of[task_id]].done.setdefault(enrolment_id, {})
            done[task_id] = Done(completed_on=completed_on, source=source)
    return LearningGrid(cohort=cohort, places=places, courses=list(grids.values()))


# Components recorded as done, on a participant's record ------------------------------------------------


def components_with_completion(*, enrolment: Enrolment) -> QuerySet[Component]:
    """The components of the place's programme (the place already scoped by the caller), in programme order,
    each annotated with `done_on`, `done_note` and `done_by` when recorded as done for this place. One query."""
    done = ComponentCompletion.objects.filter(enrolment=enrolment, component=OuterRef("pk"))
    return (
        Component.objects.filter(programme_id=enrolment.cohort.programme_id)
        .annotate(
            done_on=Subquery(done.values("completed_on")[:1]),
            done_note=Subquery(done.values("note")[:1]),
            done_by=Subquery(done.values("recorded_by__full_name")[:1]),
            done_by_email=Subquery(done.values("recorded_by__email")[:1]),
        )
        .order_by("position", "pk")
    )


def enrolment_for_learning(*, user: object, pk: int) -> Enrolment:
    """A place whose learning the user may record: 403 for a role that never may, 404 for another provider's
    place (or a missing one)."""
    require_page(user, Action.RECORD_LEARNING)
    places = Enrolment.objects.filter(provider_q(user, Action.RECORD_LEARNING)).select_related(
        "participant__user", "cohort__programme"
    )
    return get_object_or_404(places, pk=pk)


def programme_component(*, enrolment: Enrolment, pk: int) -> Component:
    """A component of the place's programme (the place already scoped): 404 for any other."""
    return get_object_or_404(Component.objects.filter(programme_id=enrolment.cohort.programme_id), pk=pk)


def cohort_course(*, cohort: Cohort, pk: int) -> Component:
    """An online course of the cohort's programme (the cohort already scoped): 404 for anything else."""
    return get_object_or_404(
        Component.objects.filter(programme_id=cohort.programme_id, kind=Component.Kind.ONLINE_COURSE), pk=pk
    )


def example_tasks(*, cohort: Cohort) -> list[tuple[str, str]]:
    """Up to three of the programme's tasks as (reference, title) for an example file: tasks with a reference
    first, each one an import would match without doubt (a reference or, failing one, a title no other task
    shares)."""
    tasks = list(
        Task.objects.filter(module__course__programme_id=cohort.programme_id)
        .order_by(
            "module__course__position", "module__course_id", "module__position", "module_id", "position", "pk"
        )
        .values_list("reference", "title")
    )
    references = Counter(reference.strip().casefold() for reference, _ in tasks if reference.strip())
    titles = Counter(title.strip() for _, title in tasks)
    clear = [
        (reference.strip() or title.strip(), title)
        for reference, title in tasks
        if (
            references[reference.strip().casefold()] == 1 if reference.strip() else titles[title.strip()] == 1
        )
    ]
    return sorted(clear, key=lambda task: task[0] == task[1].strip())[:3]
