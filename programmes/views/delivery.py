"""Pages for delivering a programme: cohorts, delivery groups, sessions, the timetable and "my sessions"."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.forms import add_domain_error
from npqel.words import plural
from participants.feedback_selectors import may_see_session_feedback
from participants.selectors import register_progress
from programmes import selectors, services
from programmes.forms.delivery import (
    CohortForm,
    CopyTimetableForm,
    DeliveryPartnerForm,
    GroupForm,
    SessionForm,
)
from programmes.models import Cohort, Session
from programmes.timetable import in_timetable_years, local_datetime, week_start


@login_required
@require_POST
def delivery_partner_add(request: HttpRequest, slug: str) -> HttpResponse:
    provider = selectors.provider_get(user=request.user, slug=slug, action=Action.MANAGE_PROGRAMMES)
    form = DeliveryPartnerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the delivery partner's name.")
    else:
        try:
            partner = services.delivery_partner_create(
                by=request.user, provider=provider, **form.cleaned_data
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{partner.name} added. You can now choose it for a cohort.")
    return redirect("provider_detail", slug=provider.slug)


@login_required
def cohort_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a cohort, optionally copying an earlier cohort's timetable to the new start date."""
    programme = selectors.programme_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = CohortForm(
        request.POST or None,
        partners=selectors.delivery_partner_list(provider=programme.provider),
        cohorts=selectors.programme_cohort_list(programme=programme),
    )
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_create(by=request.user, programme=programme, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            copied = form.cleaned_data["copy_timetable_from"]
            sessions = selectors.cohort_get(user=request.user, pk=cohort.pk).session_count
            note = f" {plural(sessions, 'session')} copied from {copied.code}." if copied else ""
            messages.success(request, f"Cohort {cohort.code} opened.{note}")
            return redirect("cohort_detail", pk=cohort.pk)
    return render(request, "programmes/delivery/cohort_form.html", {"form": form, "programme": programme})


@login_required
def cohort_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = selectors.cohort_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    fields = (
        "code",
        "intake",
        "start_date",
        "end_date",
        "delivery_partner",
        "recruitment_target",
        "fsm_target_percent",
        "non_white_british_target_percent",
    )
    form = CohortForm(
        request.POST or None,
        initial={name: getattr(cohort, name) for name in fields},
        partners=selectors.delivery_partner_list(provider=cohort.programme.provider),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cohort_update(by=request.user, cohort=cohort, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Cohort {cohort.code} saved.")
            return redirect("cohort_detail", pk=cohort.pk)
    return render(
        request,
        "programmes/delivery/cohort_form.html",
        {"form": form, "programme": cohort.programme, "cohort": cohort},
    )


@login_required
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = selectors.cohort_get(user=request.user, pk=pk)
    now = timezone.now()
    upcoming = list(selectors.session_list(user=request.user, cohort=cohort, starts_from=now)[:5])
    return render(
        request,
        "programmes/delivery/cohort_detail.html",
        {
            "cohort": cohort,
            "groups": selectors.group_list(cohort=cohort),
            "upcoming": upcoming,
            "session_count": cohort.session_count,
            "can_manage": access_for(request.user).may(
                Action.MANAGE_PROGRAMMES, cohort.programme.provider_id
            ),
            "can_view_enrolments": access_for(request.user).may(
                Action.VIEW_ENROLMENTS, cohort.programme.provider_id
            ),
        },
    )


@login_required
def cohort_copy_timetable(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill an empty cohort's timetable from an earlier cohort of the same programme."""
    cohort = selectors.cohort_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    others = selectors.programme_cohort_list(programme=cohort.programme).exclude(pk=cohort.pk)
    form = CopyTimetableForm(request.POST or None, cohorts=others)
    if request.method == "POST" and form.is_valid():
        try:
            copies = services.cohort_copy_timetable(
                by=request.user, source=form.cleaned_data["source"], target=cohort
            )
        except DomainError as error:
            form.add_error("source", error.message)
        else:
            messages.success(
                request, f"{plural(len(copies), 'session')} copied from {form.cleaned_data['source'].code}."
            )
            return redirect("cohort_timetable", pk=cohort.pk)
    return render(request, "programmes/delivery/cohort_copy.html", {"form": form, "cohort": cohort})


def _week_to_show(request: HttpRequest, cohort: Cohort) -> datetime.date:
    """The Monday of the week asked for; else this week while the cohort runs; else its first session's week."""
    asked = request.GET.get("week", "")
    try:
        day = datetime.date.fromisoformat(asked)
    except ValueError:
        day = None
    if day is not None and in_timetable_years(day):
        return week_start(day)
    today = timezone.localdate()
    if cohort.start_date <= today <= cohort.end_date:
        return week_start(today)
    first = cohort.sessions.order_by("starts_at").values_list("starts_at", flat=True).first()
    return week_start(timezone.localdate(first) if first else cohort.start_date)


@login_required
def cohort_timetable(request: HttpRequest, pk: int) -> HttpResponse:
    """A cohort's sessions, one week at a time (or all of them with ?show=all)."""
    cohort = selectors.cohort_get(user=request.user, pk=pk)
    show_all = request.GET.get("show") == "all"
    monday = _week_to_show(request, cohort)
    if show_all:
        sessions = list(selectors.session_list(user=request.user, cohort=cohort))
    else:
        sessions = list(
            selectors.session_list(
                user=request.user,
                cohort=cohort,
                starts_from=local_datetime(monday, datetime.time()),
                starts_before=local_datetime(monday + datetime.timedelta(days=7), datetime.time()),
            )
        )
    days: dict[datetime.date, list[Session]] = {}
    if not show_all:
        days = {monday + datetime.timedelta(days=n): [] for n in range(7)}
    for session in sessions:
        days.setdefault(timezone.localdate(session.starts_at), []).append(session)
    return render(
        request,
        "programmes/delivery/timetable.html",
        {
            "cohort": cohort,
            "show_all": show_all,
            "monday": monday,
            "sunday": monday + datetime.timedelta(days=6),
            "previous_week": monday - datetime.timedelta(days=7),
            "next_week": monday + datetime.timedelta(days=7),
            "days": sorted(days.items()),
            "session_count": len(sessions),
            "can_manage": access_for(request.user).may(
                Action.MANAGE_PROGRAMMES, cohort.programme.provider_id
            ),
        },
    )


def _session_form(
    request: HttpRequest, cohort: Cohort, *, series: bool, initial: dict | None = None
) -> SessionForm:
    return SessionForm(
        request.POST or None,
        initial=initial,
        components=cohort.programme.components.order_by("position", "pk"),
        groups=cohort.groups.order_by("name"),
        facilitators=selectors.facilitator_list(provider=cohort.programme.provider),
        sessions=cohort.sessions.filter(repeat_of__isnull=True).select_related("component"),
        series=series,
    )


def _session_details(data: dict) -> dict:
    return {
        name: data[name] for name in ("title", "group", "venue", "online_link", "capacity", "facilitator")
    }


@login_required
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Schedule one session, or a weekly series, for a cohort."""
    cohort = selectors.cohort_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = _session_form(request, cohort, series=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["occurrences"] > 1:
                sessions = services.session_schedule_series(
                    by=request.user,
                    cohort=cohort,
                    component=data["component"],
                    first_day=data["day"],
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                    occurrences=data["occurrences"],
                    every_weeks=data["every_weeks"],
                    **_session_details(data),
                )
            else:
                sessions = [
                    services.session_schedule(
                        by=request.user,
                        cohort=cohort,
                        component=data["component"],
                        starts_at=local_datetime(data["day"], data["start_time"]),
                        ends_at=local_datetime(data["day"], data["end_time"]),
                        repeat_of=data["repeat_of"],
                        **_session_details(data),
                    )
                ]
        except DomainError as error:
            add_domain_error(form, _on_form_field(error))
        else:
            first = sessions[0]
            messages.success(
                request,
                f"{plural(len(sessions), 'session')} scheduled, "
                f"starting {timezone.localtime(first.starts_at):%A %-d %B %Y at %H:%M}.",
            )
            week = week_start(timezone.localdate(first.starts_at))
            return redirect(f"{reverse('cohort_timetable', args=[cohort.pk])}?week={week.isoformat()}")
    return render(request, "programmes/delivery/session_form.html", {"form": form, "cohort": cohort})


def _on_form_field(error: DomainError) -> DomainError:
    """Point a service's error about a moment at the form's date and time fields."""
    fields = {"starts_at": "day", "ends_at": "end_time"}
    return DomainError(error.message, field=fields.get(error.field or "", error.field))


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(user=request.user, pk=pk)
    provider_id = session.cohort.programme.provider_id
    # Those who may take the register see how far it has got (one more query, for them only).
    register = None
    if access_for(request.user).may(Action.TAKE_REGISTER, provider_id):
        marked, expected = register_progress(session=session)
        register = {"marked": marked, "expected": expected}
    return render(
        request,
        "programmes/delivery/session_detail.html",
        {
            "session": session,
            "cohort": session.cohort,
            "repeats": list(session.repeats.order_by("starts_at")),
            "can_manage": access_for(request.user).may(Action.MANAGE_PROGRAMMES, provider_id),
            "register": register,
            # A facilitator sees the link only on the sessions whose results they may open.
            "can_view_feedback": may_see_session_feedback(user=request.user, session=session),
        },
    )


@login_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    cohort = session.cohort
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    initial = {
        "component": session.component,
        "title": session.title,
        "day": start.date(),
        "start_time": start.time().replace(second=0, microsecond=0),
        "end_time": end.time().replace(second=0, microsecond=0),
        "group": session.group,
        "venue": session.venue,
        "online_link": session.online_link,
        "capacity": session.capacity,
        "facilitator": session.facilitator,
        "repeat_of": session.repeat_of,
    }
    form = _session_form(request, cohort, series=False, initial=initial)
    form.fields["repeat_of"].queryset = form.fields["repeat_of"].queryset.exclude(pk=session.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.session_update(
                by=request.user,
                session=session,
                component=data["component"],
                starts_at=local_datetime(data["day"], data["start_time"]),
                ends_at=local_datetime(data["day"], data["end_time"]),
                repeat_of=data["repeat_of"],
                **_session_details(data),
            )
        except DomainError as error:
            add_domain_error(form, _on_form_field(error))
        else:
            messages.success(request, f"{session.display_title} saved.")
            return redirect("session_detail", pk=session.pk)
    return render(
        request, "programmes/delivery/session_form.html", {"form": form, "cohort": cohort, "session": session}
    )


@login_required
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    cohort, title = session.cohort, session.display_title
    try:
        successor = services.session_cancel(by=request.user, session=session)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("session_detail", pk=session.pk)
    note = (
        f" Its repeat on {timezone.localtime(successor.starts_at):%A %-d %B at %H:%M} stays on the timetable."
        if successor
        else ""
    )
    messages.success(request, f"{title} taken off the timetable.{note}")
    return redirect("cohort_timetable", pk=cohort.pk)


@login_required
def group_create(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = selectors.cohort_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = GroupForm(
        request.POST or None, facilitators=selectors.facilitator_list(provider=cohort.programme.provider)
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(by=request.user, cohort=cohort, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Group {group.name} formed.")
            return redirect("cohort_detail", pk=cohort.pk)
    return render(request, "programmes/delivery/group_form.html", {"form": form, "cohort": cohort})


@login_required
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    cohort = group.cohort
    form = GroupForm(
        request.POST or None,
        initial={"name": group.name, "region": group.region, "facilitators": list(group.facilitators.all())},
        facilitators=selectors.facilitator_list(provider=cohort.programme.provider),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(by=request.user, group=group, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Group {group.name} saved.")
            return redirect("cohort_detail", pk=cohort.pk)
    return render(
        request, "programmes/delivery/group_form.html", {"form": form, "cohort": cohort, "group": group}
    )


@login_required
@require_POST
def group_remove(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    cohort, name = group.cohort, group.name
    services.group_remove(by=request.user, group=group)
    messages.success(
        request, f"Group {name} removed. Its sessions stay on the timetable for the whole cohort."
    )
    return redirect("cohort_detail", pk=cohort.pk)


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    """The sessions the signed-in person facilitates: what is next, then what has been."""
    now = timezone.now()
    sessions = selectors.my_sessions(user=request.user)
    upcoming = list(sessions.filter(ends_at__gte=now))
    past = list(sessions.filter(ends_at__lt=now).order_by("-starts_at", "-pk")[:20])
    return render(request, "programmes/delivery/my_sessions.html", {"upcoming": upcoming, "past": past})
