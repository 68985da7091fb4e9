"""Self-directed learning and coaching: a participant logs their own self-directed hours and sees the coaching
logged for them; a coach (or a provider admin) logs a participant's coaching sessions. Works without
JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from npqel.access import Action, Role, access_for
from npqel.errors import DomainError
from npqel.forms import add_domain_error
from participants import log_selectors
from participants.log_forms import CoachingSessionForm, LearningLogForm
from participants.services import logs
from participants.services.logs import LOGGABLE_STATUSES, full_access_provider_ids

# A participant's own pages --------------------------------------------------------------------------


@login_required
def my_learning(request: HttpRequest, pk: int) -> HttpResponse:
    """The participant's self-directed learning on one place: hours logged against the planned hours, each
    log (with a button to remove it), and (on POST) a new log."""
    enrolment = log_selectors.own_place(user=request.user, pk=pk)
    record = log_selectors.learning_record(enrolment=enrolment)
    form = LearningLogForm(request.POST or None, components=[row.component for row in record.components])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        component = form.chosen_component()
        try:
            if component is None:
                raise DomainError(
                    "Choose which part of the programme this learning was for.", field="component"
                )
            log = logs.learning_log_add(
                by=request.user,
                enrolment=enrolment,
                component=component,
                done_on=data["done_on"],
                hours=data["hours"],
                activity=data["activity"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Logged {logs.hours_phrase(log.hours)} on {logs.day(log.done_on)}.")
            return redirect("my_learning", pk=enrolment.pk)
    return render(
        request,
        "participants/logs/my_learning.html",
        {
            "enrolment": enrolment,
            "record": record,
            "form": form,
            "can_log": enrolment.status in LOGGABLE_STATUSES and bool(record.components),
            "several": len(record.components) > 1,
        },
    )


@login_required
@require_POST
def learning_log_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the participant's own learning logs, then back to their log."""
    log = log_selectors.own_learning_log(user=request.user, pk=pk)
    try:
        logs.learning_log_remove(by=request.user, log=log)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"Removed the {logs.hours_phrase(log.hours)} logged on {logs.day(log.done_on)}."
        )
    return redirect("my_learning", pk=log.enrolment_id)


@login_required
def my_coaching(request: HttpRequest, pk: int) -> HttpResponse:
    """The coaching sessions logged for the participant's place, read-only."""
    enrolment = log_selectors.own_place(user=request.user, pk=pk)
    sessions = log_selectors.coaching_sessions_of(enrolment=enrolment)
    return render(
        request,
        "participants/logs/my_coaching.html",
        {
            "enrolment": enrolment,
            "sessions": sessions,
            "components": logs.coaching_components(enrolment),
            "total": log_selectors.as_hours(log_selectors.coaching_minutes(sessions)),
        },
    )


# Coaches and admins ---------------------------------------------------------------------------------


@login_required
def coachees(request: HttpRequest) -> HttpResponse:
    """The places the signed-in coach coaches, at every provider they coach for."""
    places = list(log_selectors.coachee_list(user=request.user))
    return render(request, "participants/logs/coachees.html", {"places": places})


@login_required
def enrolment_coaching(request: HttpRequest, pk: int) -> HttpResponse:
    """A participant's coaching: every session logged, and (on POST) a new one, by their coach or an admin."""
    enrolment = log_selectors.coaching_place(user=request.user, pk=pk)
    components = logs.coaching_components(enrolment)
    form = CoachingSessionForm(request.POST or None, components=components)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = logs.coaching_session_log(
                by=request.user,
                enrolment=enrolment,
                held_on=data["held_on"],
                minutes=data["minutes"],
                focus=data["focus"],
                component=form.chosen_component() if len(components) > 1 else None,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"Logged a coaching session of {log_selectors.as_hours(session.minutes)} on "
                f"{logs.day(session.held_on)}.",
            )
            return redirect("enrolment_coaching", pk=enrolment.pk)
    sessions = log_selectors.coaching_sessions_of(enrolment=enrolment)
    full = enrolment.provider_id in full_access_provider_ids(request.user, Action.LOG_COACHING, Role.COACH)
    rows = [
        {"session": s, "can_remove": full or request.user.pk in (s.coach_id, s.logged_by_id)}
        for s in sessions
    ]
    return render(
        request,
        "participants/logs/enrolment_coaching.html",
        {
            "enrolment": enrolment,
            "participant": enrolment.participant,
            "form": form,
            "rows": rows,
            "components": components,
            "can_log": enrolment.status in LOGGABLE_STATUSES and bool(components),
            "total": log_selectors.as_hours(log_selectors.coaching_minutes(sessions)),
            "sees_record": access_for(request.user).may(Action.VIEW_ENROLMENTS, enrolment.provider_id),
        },
    )


@login_required
@require_POST
def coaching_session_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a coaching session logged by mistake, then back to the participant's coaching."""
    session = log_selectors.coaching_session_for_change(user=request.user, pk=pk)
    try:
        logs.coaching_session_remove(by=request.user, session=session)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Removed the coaching session of {logs.day(session.held_on)}.")
    return redirect("enrolment_coaching", pk=session.enrolment_id)
