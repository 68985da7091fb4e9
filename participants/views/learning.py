"""Online learning: a cohort's grid of who has completed each online course's tasks (one course at a time ticked
and saved in one go), importing a learning platform's completion export, and the components an admin records
as done on a participant's record. Provider admins record; platform staff may look at the grid. Works without
JavaScript."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.exports import csv_response
from npqel.forms import add_domain_error
from npqel.words import plural
from participants import learning_selectors as selectors
from participants.learning_forms import ComponentDoneForm, CourseGridForm, LmsImportForm
from participants.learning_selectors import CourseGrid, LearningGrid
from participants.models import Enrolment
from participants.services import learning as services
from programmes.models import Component

# A tick's value is "<enrolment id>-<task id>"; the places and tasks shown travel as "1,2,3".
MAX_ID_DIGITS = 18


def _id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS else None


def _ids(text: str) -> list[int]:
    return [number for part in text.split(",") if (number := _id(part)) is not None]


def _ticks(data: QueryDict) -> set[tuple[int, int]]:
    """The (enrolment id, task id) pairs ticked. A value that is not two ids is not a tick and is ignored."""
    ticks = set()
    for value in data.getlist("done"):
        place, _, task = str(value).partition("-")
        place_id, task_id = _id(place), _id(task)
        if place_id is not None and task_id is not None:
            ticks.add((place_id, task_id))
    return ticks


def _course_rows(
    grid: CourseGrid, places: list[Enrolment], ticked: set[tuple[int, int]] | None
) -> list[dict]:
    """Each place's row of the course's table: a cell per task (done or not, ticked or not)."""
    rows = []
    for place in places:
        done = grid.done.get(place.pk, {})
        cells = [
            {
                "task": task,
                "done": done.get(task.pk),
                "value": f"{place.pk}-{task.pk}",
                "checked": (place.pk, task.pk) in ticked if ticked is not None else task.pk in done,
            }
            for task in grid.tasks
        ]
        core_done = sum(1 for task in grid.tasks if task.core and task.pk in done)
        rows.append({"enrolment": place, "cells": cells, "core_done": core_done})
    return rows


def _opened_at(data: QueryDict) -> datetime.datetime | None:
    """When the grid being saved was shown (a hidden field), or None if it is missing or not a time."""
    try:
        value = datetime.datetime.fromisoformat(data.get("opened_at", ""))
    except ValueError:
        return None
    return value if timezone.is_aware(value) else None


def _render(
    request: HttpRequest,
    grid: LearningGrid,
    *,
    course: Component | None,
    form: CourseGridForm | None = None,
    ticked: set[tuple[int, int]] | None = None,
    error: str = "",
) -> HttpResponse:
    cohort = grid.cohort
    can_record = access_for(request.user).may(Action.RECORD_LEARNING, cohort.programme.provider_id)
    courses = [
        {
            "grid": course_grid,
            "course": course_grid.course,
            "modules": course_grid.modules(),
            "rows": _course_rows(course_grid, grid.places, ticked),
        }
        for course_grid in grid.courses
    ]
    return render(
        request,
        "participants/learning/online_learning.html",
        {
            "cohort": cohort,
            "grid": grid,
            "courses": courses,
            "course": course,
            "editing": course is not None and can_record,
            "can_record": can_record,
            "form": form or CourseGridForm(),
            "places_value": ",".join(str(place.pk) for place in grid.places),
            "tasks_value": ",".join(str(task.pk) for c in grid.courses for task in c.tasks),
            # A page shown again after a mistake keeps the time it was first opened.
            "opened_at": (_opened_at(request.POST) or timezone.now()).isoformat(),
            "error": error,
        },
    )


def _course_pk(request: HttpRequest) -> int | None:
    """The course chosen by ?course=<id>; 404 for a value no link gives."""
    text = request.GET.get("course", "")
    if not text:
        return None
    pk = _id(text)
    if pk is None:
        raise Http404("No such online course.")
    return pk


@login_required
def cohort_online_learning(request: HttpRequest, pk: int) -> HttpResponse:
    """Every online course of the cohort's programme as a table of places × tasks with a tick for each task done;
    with ?course=<id>, one course, which an admin ticks and saves in one go (POST)."""
    course_pk = _course_pk(request)
    if request.method != "POST":
        cohort = selectors.learning_cohort(user=request.user, pk=pk)
        grid = selectors.learning_grid(user=request.user, cohort=cohort, course_pk=course_pk)
        return _render(request, grid, course=grid.courses[0].course if course_pk else None)
    cohort = selectors.learning_cohort(user=request.user, pk=pk, action=Action.RECORD_LEARNING)
    if course_pk is None:
        raise Http404("Choose a course to save.")
    course = selectors.cohort_course(cohort=cohort, pk=course_pk)
    form = CourseGridForm(request.POST)
    places = _ids(request.POST.get("places", ""))
    tasks = _ids(request.POST.get("tasks", ""))
    done: dict[int, set[int]] = {place: set() for place in places}
    ticks = _ticks(request.POST)
    for place, task in ticks:
        if place in done:
            done[place].add(task)
    error = ""
    if form.is_valid():
        try:
            added, removed = services.course_completions_save(
                by=request.user,
                cohort=cohort,
                course=course,
                done=done,
                completed_on=form.cleaned_data["completed_on"],
                tasks=tasks or None,
                opened_at=_opened_at(request.POST),
            )
        except DomainError as problem:
            add_domain_error(form, problem)
            error = "" if problem.field in form.fields else problem.message
        else:
            if added or removed:
                parts = [f"{plural(added, 'task')} marked done"] if added else []
                parts += [f"{plural(removed, 'task')} no longer marked done"] if removed else []
                messages.success(request, f"{course.title} saved: {' and '.join(parts)}.")
            else:
                messages.success(request, "No changes to save.")
            return redirect(f"{reverse('cohort_online_learning', args=[cohort.pk])}?course={course.pk}")
    grid = selectors.learning_grid(user=request.user, cohort=cohort, course_pk=course.pk)
    return _render(request, grid, course=course, form=form, ticked=ticks, error=error)


# Importing a learning platform's export ------------------------------------------------------------------


@login_required
def lms_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a learning platform's completion export for the cohort: all of it is recorded, or (if any row has a
    mistake) none of it, and every mistake is listed with its row and column."""
    cohort = selectors.learning_cohort(user=request.user, pk=pk, action=Action.RECORD_LEARNING)
    posted = request.method == "POST"
    form = LmsImportForm(request.POST if posted else None, request.FILES if posted else None)
    report = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = services.lms_completions_import(
                by=request.user,
                cohort=cohort,
                content=upload.read(services.MAX_FILE_BYTES + 1),
                file_name=upload.name,
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            if report.ok:
                messages.success(request, f"{upload.name} imported: {'; '.join(report.summary())}.")
                return redirect("lms_import", pk=cohort.pk)
    return render(
        request,
        "participants/learning/lms_import.html",
        {
            "cohort": cohort,
            "form": form,
            "report": report,
            "max_rows": f"{services.MAX_ROWS:,}",
        },
    )


@login_required
def lms_import_example(request: HttpRequest, pk: int) -> HttpResponse:
    """A completion export to copy: the three columns, made-up people and (where it has them) the programme's own
    task references."""
    cohort = selectors.learning_cohort(user=request.user, pk=pk, action=Action.RECORD_LEARNING)
    tasks = selectors.example_tasks(cohort=cohort) or [("MOD1-TASK1", ""), ("MOD1-TASK2", "")]
    today = timezone.localdate()
    # Days after the cohort starts (never in the future, which an import refuses).
    start = min(cohort.start_date, today - datetime.timedelta(days=60))
    rows = []
    # One person's dates written YYYY-MM-DD, the other's DD/MM/YYYY: both are read.
    for n, email in enumerate(["amira.khan@example.org", "ben.jones@example.org"]):
        for m, (reference, _) in enumerate(tasks):
            day = min(start + datetime.timedelta(days=7 * (m + 1) + n), today)
            rows.append([email, reference, day.strftime("%d/%m/%Y") if n else day.isoformat()])
    return csv_response(
        f"completions-example-{cohort.code}.csv", ["email", "task reference", "completed on"], rows
    )


# Components recorded as done (on a participant's record) -------------------------------------------------


def component_done_context(user: object, enrolment: Enrolment) -> dict[str, object]:
    """What the record page's "Components recorded as done" section needs: nothing unless the user may record
    learning for the place; then the components (one query) and an empty form to record one."""
    if not access_for(user).may(Action.RECORD_LEARNING, enrolment.provider_id):
        return {"can_record_learning": False}
    components = list(selectors.components_with_completion(enrolment=enrolment))
    form = ComponentDoneForm(components=Component.objects.none(), auto_id="component-done-%s")
    # The choices come from the list already read, so the select costs no query of its own.
    form.fields["component"].choices = [("", "Choose a component")] + [
        (component.pk, f"{component.title} ({component.get_kind_display()})") for component in components
    ]
    return {
        "can_record_learning": True,
        "components_done": [component for component in components if component.done_on],
        "component_done_form": form,
    }


@login_required
def enrolment_component_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the participant has done a whole component (the record page's form posts here; the form is
    shown again here when something needs fixing)."""
    enrolment = selectors.enrolment_for_learning(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name
    components = selectors.components_with_completion(enrolment=enrolment)
    form = ComponentDoneForm(request.POST or None, components=components)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.component_completion_record(
                by=request.user,
                enrolment=enrolment,
                component=data["component"],
                completed_on=data["completed_on"],
                note=data["note"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"{data['component'].title} recorded as done by {who} on {data['completed_on']:%-d %B %Y}.",
            )
            return redirect(f"{reverse('enrolment_detail', args=[enrolment.pk])}#components-done")
    return render(
        request,
        "participants/roster/change_form.html",
        {
            "enrolment": enrolment,
            "form": form,
            "title": f"Record a component {who} has done",
            "intro": "A component recorded as done counts in full toward their engagement. Recording one again "
            "changes its date and note.",
            "button": "Record as done",
        },
    )


@login_required
@require_POST
def enrolment_component_done_remove(request: HttpRequest, pk: int, component_pk: int) -> HttpResponse:
    """Take away the record that the participant did a component."""
    enrolment = selectors.enrolment_for_learning(user=request.user, pk=pk)
    component = selectors.programme_component(enrolment=enrolment, pk=component_pk)
    who = enrolment.participant.user.display_name
    try:
        removed = services.component_completion_remove(
            by=request.user, enrolment=enrolment, component=component
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if removed:
            messages.success(request, f"{component.title} is no longer recorded as done by {who}.")
        else:
            messages.success(
                request, f"{component.title} was not recorded as done by {who}: nothing to remove."
            )
    return redirect(f"{reverse('enrolment_detail', args=[enrolment.pk])}#components-done")
