"""The provider admin's cohort roster (filter, sort, export), each participant's record with its history,
and the changes an admin makes to a place: accept, start, defer, resume, withdraw, move to another cohort,
change group or coach. Platform staff see the roster and records but change nothing."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.exports import csv_response
from npqel.forms import add_domain_error
from participants import selectors, services
from participants.forms import (
    CoachChoiceForm,
    DateForm,
    DeferForm,
    FundingForm,
    GroupChoiceForm,
    ResumeForm,
    RosterFilterForm,
    TransferForm,
    WithdrawForm,
)
from participants.models import Enrolment, EnrolmentChange, School
from participants.selectors import Roster
from participants.services import TRANSITIONS
from participants.standing import LONG_DEFERRAL_MONTHS, countdown
from participants.views.learning import component_done_context
from programmes.wording import engagement_text

Status = Enrolment.Status

# The columns a roster can be sorted by, in the order the table shows them.
SORTABLE = {"name": "Name", "school": "School", "status": "Status", "deadline": "Deadline"}


def _roster(request: HttpRequest, pk: int) -> tuple[Roster, RosterFilterForm, dict[str, object]]:
    cohort = selectors.roster_cohort(user=request.user, pk=pk)
    form = RosterFilterForm(request.GET or None, groups=selectors.cohort_groups(cohort=cohort))
    filters = form.filters()
    return selectors.roster(user=request.user, cohort=cohort, **filters), form, filters


def _sort_headers(request: HttpRequest, filters: dict[str, object]) -> dict[str, dict[str, str]]:
    """For each sortable column: the link that sorts by it (the other way, if it is the sort already) and
    its aria-sort state."""
    headers = {}
    for key, label in SORTABLE.items():
        query = request.GET.copy()
        current = filters["sort"] == key
        descending = bool(filters["descending"])
        query["sort"] = f"-{key}" if current and not descending else key
        headers[key] = {
            "label": label,
            "href": f"?{query.urlencode()}",
            "aria_sort": ("descending" if descending else "ascending") if current else "none",
        }
    return headers


@login_required
def cohort_roster(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone with a place on a cohort: status, deadline and whether they are at risk, filtered and sorted
    by a GET form (no JavaScript needed)."""
    roster, form, filters = _roster(request, pk)
    filtered = any(filters[name] for name in ("status", "group", "funding_route", "at_risk"))
    return render(
        request,
        "participants/roster/roster.html",
        {
            "cohort": roster.cohort,
            "roster": roster,
            "rows": [(row, countdown(row.days_left) if row.live else "") for row in roster.rows],
            "at_risk_count": sum(1 for row in roster.rows if row.risks),
            "form": form,
            "filtered": filtered,
            "headers": _sort_headers(request, filters),
            "export_query": request.GET.urlencode(),
            "programme": roster.cohort.programme,
            "programme_needed": engagement_text(roster.cohort.programme),
            "long_deferral_months": LONG_DEFERRAL_MONTHS,
        },
    )


@login_required
def cohort_roster_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The roster as shown (same filters, same order), as a CSV file for a spreadsheet."""
    roster, _, _ = _roster(request, pk)
    header = [
        "Name",
        "Email",
        "School",
        "School URN",
        "Delivery group",
        "Coach",
        "Funding route",
        "Status",
        "Start date",
        "Deadline",
        "Days left",
        "At risk",
        "Why at risk",
    ]
    rows = []
    for row in roster.rows:
        enrolment = row.enrolment
        school = enrolment.participant.school
        rows.append(
            [
                enrolment.participant.user.display_name,
                enrolment.participant.user.email,
                school.name if school else "",
                school.urn if school else "",
                enrolment.group.name if enrolment.group else "",
                enrolment.coach.display_name if enrolment.coach else "",
                enrolment.get_funding_route_display(),
                enrolment.get_status_display(),
                enrolment.started_on,
                row.deadline.date if row.live else None,
                row.days_left,
                bool(row.risks),
                "; ".join(row.risks),
            ]
        )
    today = timezone.localdate()
    return csv_response(f"roster-{roster.cohort.code}-{today:%Y-%m-%d}.csv", header, rows)


# A participant's record ------------------------------------------------------------------------------

# url name → (what the link says, what it is, in "you cannot ..." when the status does not allow it)
ACTIONS = {
    "enrolment_accept": ("Accept their application", "accept their application"),
    "enrolment_start": ("Start their place", "start their place"),
    "enrolment_resume": ("Resume their place", "resume their place"),
    "enrolment_defer": ("Defer their place", "defer their place"),
    "enrolment_transfer": ("Move them to another cohort", "move their place"),
    "enrolment_change_group": ("Change their delivery group", "change their group"),
    "enrolment_change_coach": ("Change their coach", "change their coach"),
    "enrolment_change_funding": ("Change their funding and fees", "change their funding"),
    "enrolment_withdraw": ("Withdraw them", "withdraw them"),
}


def _allowed(enrolment: Enrolment, name: str) -> bool:
    """Whether the place's status lets an admin take this action (participants.services.TRANSITIONS)."""
    status = enrolment.status
    after = TRANSITIONS[status]
    return {
        "enrolment_accept": Status.ACCEPTED in after,
        "enrolment_start": Status.ACTIVE in after and status != Status.DEFERRED,
        "enrolment_resume": status == Status.DEFERRED,
        "enrolment_defer": Status.DEFERRED in after,
        "enrolment_withdraw": Status.WITHDRAWN in after,
        # A place that has ended (withdrawn, passed, failed) keeps its cohort, group and coach.
        "enrolment_transfer": bool(after),
        "enrolment_change_group": bool(after),
        "enrolment_change_coach": bool(after),
        "enrolment_change_funding": True,  # fees of an ended place may still need settling
    }[name]


def _percent(school: School | None) -> str:
    """The school's FSM share as people write it: 31.2, 30, 12.75."""
    if school is None or school.fsm_percent is None:
        return ""
    return f"{school.fsm_percent.normalize():f}"


@login_required
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One participant's place: who they are, where they are, their deadline, their history and (for the
    provider's admins) what can be done next. Equality data only for those allowed to see it."""
    enrolment = selectors.enrolment_record(user=request.user, pk=pk)
    access = access_for(request.user)
    # Measured now; the at-risk reasons from the same figures, so the page agrees with itself.
    engagement = selectors.engagement_explained(enrolment=enrolment)
    standing = selectors.standing_of(enrolment, today=timezone.localdate(), figures=engagement.figures)
    can_manage = access.may(Action.MANAGE_ENROLMENTS, enrolment.provider_id)
    actions = [
        (reverse(name, args=[enrolment.pk]), label)
        for name, (label, _) in ACTIONS.items()
        if can_manage and _allowed(enrolment, name)
    ]
    return render(
        request,
        "participants/roster/record.html",
        {
            "enrolment": enrolment,
            "participant": enrolment.participant,
            "cohort": enrolment.cohort,
            "standing": standing,
            "engagement": engagement,
            "countdown": countdown(standing.days_left) if standing.live else "",
            "history": list(enrolment.changes.all()),
            "fsm_percent": _percent(enrolment.participant.school),
            "show_equality": access.may(Action.VIEW_EQUALITY_DATA, enrolment.provider_id),
            "can_manage": can_manage,
            "can_manage_assessment": access.may(Action.MANAGE_ASSESSMENT, enrolment.provider_id),
            "actions": actions,
            "ended_actions_only": not TRANSITIONS[enrolment.status],
            **component_done_context(request.user, enrolment),
        },
    )


# Changing a place -----------------------------------------------------------------------------------


def _change_page(
    request: HttpRequest,
    enrolment: Enrolment,
    form: Form,
    *,
    name: str,
    title: str,
    perform: Callable[[dict], str],
    intro: str = "",
    button: str = "Save",
) -> HttpResponse:
    """The page for one change: refused up front if the status does not allow it; on a valid POST the service
    is called and its refusal shown against the field it names; on success back to the record."""
    who = enrolment.participant.user.display_name
    if request.method != "POST" and not _allowed(enrolment, name):
        messages.error(
            request,
            f"{who} is {enrolment.get_status_display().lower()}, so you cannot {ACTIONS[name][1]}.",
        )
        return redirect("enrolment_detail", pk=enrolment.pk)
    if request.method == "POST" and form.is_valid():
        try:
            message = perform(form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, message)
            return redirect("enrolment_detail", pk=enrolment.pk)
    return render(
        request,
        "participants/roster/change_form.html",
        {
            "enrolment": enrolment,
            "form": form,
            "title": title,
            "intro": intro,
            "button": button,
        },
    )


def _day(change: EnrolmentChange) -> str:
    return f"{change.effective_on:%-d %B %Y}"


@login_required
def enrolment_accept(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name

    def perform(data: dict) -> str:
        change = services.enrolment_accept(by=request.user, enrolment=enrolment, on=data["on"])
        return f"{who}'s application is accepted, from {_day(change)}."

    return _change_page(
        request,
        enrolment,
        DateForm(request.POST or None),
        name="enrolment_accept",
        title=f"Accept {who}'s application",
        intro=f"They will have a place on cohort {enrolment.cohort.code}. Start their place when they begin.",
        button="Accept the application",
        perform=perform,
    )


@login_required
def enrolment_start(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name

    def perform(data: dict) -> str:
        change = services.enrolment_start(by=request.user, enrolment=enrolment, on=data["on"])
        return f"{who}'s place is active, from {_day(change)}."

    return _change_page(
        request,
        enrolment,
        DateForm(request.POST or None),
        name="enrolment_start",
        title=f"Start {who}'s place",
        intro=f"Cohort {enrolment.cohort.code} starts on {enrolment.cohort.start_date:%-d %B %Y}.",
        button="Start their place",
        perform=perform,
    )


@login_required
def enrolment_defer(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name
    programme = enrolment.cohort.programme

    def perform(data: dict) -> str:
        change = services.enrolment_defer(
            by=request.user, enrolment=enrolment, reason=data["reason"], on=data["on"], note=data["note"]
        )
        return f"{who}'s place is deferred from {_day(change)} ({change.get_reason_display().lower()})."

    pause = (
        "Their deadline moves on by the time they spend deferred."
        if programme.deferral_pauses_clock
        else f"{programme.name} does not pause the deadline while a place is deferred."
    )
    return _change_page(
        request,
        enrolment,
        DeferForm(request.POST or None),
        name="enrolment_defer",
        title=f"Defer {who}'s place",
        intro=f"Their place is paused until you resume it. {pause}",
        button="Defer their place",
        perform=perform,
    )


@login_required
def enrolment_resume(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name

    def perform(data: dict) -> str:
        change = services.enrolment_resume(
            by=request.user, enrolment=enrolment, on=data["on"], note=data["note"]
        )
        return f"{who}'s place is active again, from {_day(change)}."

    return _change_page(
        request,
        enrolment,
        ResumeForm(request.POST or None),
        name="enrolment_resume",
        title=f"Resume {who}'s place",
        intro="If they are joining a later cohort, move them to it as well.",
        button="Resume their place",
        perform=perform,
    )


@login_required
def enrolment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name

    def perform(data: dict) -> str:
        change = services.enrolment_withdraw(
            by=request.user, enrolment=enrolment, reason=data["reason"], on=data["on"], note=data["note"]
        )
        return f"{who} is withdrawn, from {_day(change)} ({change.get_reason_display().lower()})."

    return _change_page(
        request,
        enrolment,
        WithdrawForm(request.POST or None),
        name="enrolment_withdraw",
        title=f"Withdraw {who}",
        intro="A withdrawal is final: their place ends and cannot be resumed. If they return, enrol them again.",
        button="Withdraw them",
        perform=perform,
    )


@login_required
def enrolment_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name
    form = TransferForm(request.POST or None, cohorts=selectors.transfer_cohorts(enrolment=enrolment))

    def perform(data: dict) -> str:
        to = data["to_cohort"]
        services.enrolment_transfer(
            by=request.user, enrolment=enrolment, to_cohort=to, on=data["on"], note=data["note"]
        )
        return f"{who}'s place is moved to cohort {to.code}."

    return _change_page(
        request,
        enrolment,
        form,
        name="enrolment_transfer",
        title=f"Move {who} to another cohort",
        intro=f"They are on cohort {enrolment.cohort.code} now.",
        button="Move their place",
        perform=perform,
    )


@login_required
def enrolment_change_group(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name
    form = GroupChoiceForm(
        request.POST or None,
        initial={"group": enrolment.group_id},
        groups=selectors.cohort_groups(cohort=enrolment.cohort),
    )

    def perform(data: dict) -> str:
        group = data["group"]
        services.enrolment_change_group(by=request.user, enrolment=enrolment, group=group)
        return f"{who} is now in group {group.name}." if group else f"{who} is no longer in a group."

    return _change_page(
        request,
        enrolment,
        form,
        name="enrolment_change_group",
        title=f"Change {who}'s delivery group",
        intro=f"The delivery groups of cohort {enrolment.cohort.code}.",
        button="Save their group",
        perform=perform,
    )


NO_COACHES = "Nobody holds the coach role at this provider yet. Invite coaches from its people page."


@login_required
def enrolment_change_coach(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name
    coaches = selectors.coach_list(provider_id=enrolment.provider_id)
    form = CoachChoiceForm(request.POST or None, initial={"coach": enrolment.coach_id}, coaches=coaches)

    def perform(data: dict) -> str:
        coach = data["coach"]
        services.enrolment_change_coach(by=request.user, enrolment=enrolment, coach=coach)
        return f"{who}'s coach is now {coach.display_name}." if coach else f"{who} has no coach now."

    return _change_page(
        request,
        enrolment,
        form,
        name="enrolment_change_coach",
        title=f"Change {who}'s coach",
        intro="" if coaches.exists() else NO_COACHES,
        button="Save their coach",
        perform=perform,
    )


@login_required
def enrolment_change_funding(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = selectors.enrolment_for_change(user=request.user, pk=pk)
    who = enrolment.participant.user.display_name
    fee_options, placement_options = selectors.funding_choices(enrolment=enrolment)
    form = FundingForm(
        request.POST or None,
        fee_options=fee_options,
        placement_options=placement_options,
        initial={
            "funding_route": enrolment.funding_route,
            "fee_option": enrolment.fee_option_id,
            "placement_option": enrolment.placement_option_id,
        },
    )

    def perform(data: dict) -> str:
        services.enrolment_change_funding(by=request.user, enrolment=enrolment, **data)
        return f"{who}'s funding and fees are saved."

    return _change_page(
        request,
        enrolment,
        form,
        name="enrolment_change_funding",
        title=f"Change {who}'s funding and fees",
        intro="Their home page shows the fee and when each instalment is due.",
        button="Save their funding",
        perform=perform,
    )
