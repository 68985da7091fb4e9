"""The provider admin's marking pages (issue 7): a cohort's scripts for one task and where each has got to,
who may not mark which and why, allocating and moving scripts, the assessors' capacity and lead role, and
releasing the results. Platform staff may look; only the provider's admins change anything.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessment import allocation as allocation_services
from assessment import marking_selectors as selectors
from assessment import provider_selectors, results
from assessment.models import Allocation
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.words import plural


def _parse_date(raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError:
        return None


@login_required
def cohort_marking(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Every submitted script of the cohort for this task: its stage, who may not mark it and why, and the
    controls to allocate, move and release."""
    cohort, task = selectors.cohort_for_marking(user=request.user, pk=pk, number=number)
    provider = cohort.programme.provider
    view = selectors.cohort_marking(cohort=cohort, task=task)
    check = results.release_check(cohort=cohort, task=task)
    return render(
        request,
        "assessment/marking/cohort.html",
        {
            "cohort": cohort,
            "task": task,
            "provider": provider,
            "view": view,
            "pool": [
                {
                    "assessor": a,
                    "capacity": view.capacity[a.pk],
                    "load": view.load[a.pk],
                    "is_lead": a.pk in view.leads,
                }
                for a in view.pool
            ],
            "check": check,
            "kinds": Allocation.Kind.choices,
            "default_due": timezone.localdate()
            + datetime.timedelta(days=task.mark_scheme.marking_days if hasattr(task, "mark_scheme") else 10),
            "can_manage": access_for(request.user).may(Action.MANAGE_ASSESSMENT, provider.pk),
            "has_scheme": hasattr(task, "mark_scheme"),
        },
    )


@login_required
@require_POST
def allocation_run(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Allocate every script waiting for this kind of marking, balanced within the assessors' capacity."""
    cohort, task = selectors.cohort_for_marking(user=request.user, pk=pk, number=number)
    kind = request.POST.get("kind", Allocation.Kind.FIRST)
    due_on = _parse_date(request.POST.get("due_on", ""))
    if kind not in Allocation.Kind.values:
        messages.error(request, "Choose first marking, second marking or the lead assessor's decision.")
    elif due_on is None:
        messages.error(request, "Enter the date marking is due, for example 2026-12-18.")
    else:
        try:
            plan = allocation_services.allocation_run(
                by=request.user,
                provider=cohort.programme.provider,
                task=task,
                cohort=cohort,
                kind=kind,
                due_on=due_on,
            )
        except DomainError as problem:
            messages.error(request, problem.message)
        else:
            label = Allocation.Kind(kind).label.lower()
            if not plan.lines:
                messages.info(request, f"No script is waiting for {label}.")
            else:
                done = f"{plural(len(plan.allocated), 'script')} allocated for {label}."
                if plan.unallocated:
                    missing = "; ".join(
                        f"{line.submission.candidate_number}: {line.problem}" for line in plan.unallocated[:5]
                    )
                    messages.warning(
                        request, f"{done} {plural(len(plan.unallocated), 'script')} could not be: {missing}"
                    )
                else:
                    messages.success(request, done)
    return redirect("cohort_marking", pk=cohort.pk, number=task.number)


@login_required
def allocation_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a script to another assessor, saying why; refused (with the reason) for one who may not mark it."""
    allocation = selectors.allocation_for_admin(user=request.user, pk=pk)
    submission = allocation.submission
    cohort = submission.enrolment.cohort
    pool = [
        a
        for a in allocation_services.assessor_pool(
            cohort.programme.provider, leads_only=allocation.kind == Allocation.Kind.LEAD
        )
        if a.pk != allocation.assessor_id
    ]
    error, field = "", ""
    if request.method == "POST":
        to = next((a for a in pool if str(a.pk) == request.POST.get("to", "")), None)
        if to is None:
            error, field = "Choose the assessor to give the script to.", "to"
        else:
            try:
                allocation_services.allocation_move(
                    by=request.user, allocation=allocation, to=to, reason=request.POST.get("reason", "")
                )
            except DomainError as problem:
                error, field = problem.message, problem.field or "to"
            else:
                messages.success(request, f"{submission.candidate_number} is now with {to.display_name}.")
                return redirect("cohort_marking", pk=cohort.pk, number=submission.task.number)
    reasons = allocation_services.exclusion_reasons(
        submission=submission, assessors=pool, kind=allocation.kind
    )
    return render(
        request,
        "assessment/marking/move.html",
        {
            "allocation": allocation,
            "submission": submission,
            "cohort": cohort,
            "choices": [{"assessor": a, "reasons": reasons.get(a.pk, [])} for a in pool],
            "error": error,
            "field": field,
            "posted": request.POST,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def assessor_set(request: HttpRequest, pk: int, number: int, user_pk: int) -> HttpResponse:
    """Set an assessor's capacity and whether they are a lead assessor, from the cohort's marking page."""
    cohort, task = selectors.cohort_for_marking(user=request.user, pk=pk, number=number)
    provider = cohort.programme.provider
    assessor = next((a for a in allocation_services.assessor_pool(provider) if a.pk == user_pk), None)
    if assessor is None:
        raise Http404("No assessor of this provider has this number.")
    raw = request.POST.get("capacity", "").strip()
    try:
        if not (raw.isascii() and raw.isdigit()):  # str.isdigit() accepts "²", which int() refuses
            raise DomainError("Capacity must be a whole number of scripts from 1 to 200.")
        allocation_services.assessor_profile_set(
            by=request.user,
            provider=provider,
            assessor=assessor,
            capacity=int(raw),
            is_lead=request.POST.get("is_lead") == "1",
        )
    except DomainError as problem:
        messages.error(request, f"{assessor.display_name}: {problem.message}")
    else:
        messages.success(request, f"{assessor.display_name}'s capacity and role are saved.")
    return redirect("cohort_marking", pk=cohort.pk, number=task.number)


@login_required
@require_POST
def results_release(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Release the cohort's decided results for the task (with a reason when moderation is not complete)."""
    cohort, task = selectors.cohort_for_marking(user=request.user, pk=pk, number=number)
    try:
        released = results.results_release(
            by=request.user,
            cohort=cohort,
            task=task,
            without_moderation=request.POST.get("without_moderation", ""),
        )
    except DomainError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(
            request,
            f"{plural(len(released), 'result')} released. Each participant is emailed to sign in and read it.",
        )
    return redirect("cohort_marking", pk=cohort.pk, number=task.number)


@login_required
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """Participants' requests to review their result: waiting first (oldest first), then the latest decided."""
    provider = provider_selectors.provider_for_assessment(user=request.user, slug=slug)
    waiting, decided = selectors.review_queue(provider=provider)
    return render(
        request,
        "assessment/marking/review_queue.html",
        {"provider": provider, "waiting": waiting, "decided": decided},
    )


@login_required
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: the result, its markings and the participant's reason; the admin decides it stands or
    changes, with a note the participant reads."""
    review = selectors.review_for_decision(user=request.user, pk=pk)
    result = review.result
    provider = result.submission.enrolment.cohort.programme.provider
    can_decide = access_for(request.user).may(Action.MANAGE_ASSESSMENT, provider.pk)
    error, field = "", ""
    if request.method == "POST":
        try:
            results.review_decide(
                by=request.user,
                review=review,
                change=request.POST.get("decision") == "change",
                note=request.POST.get("note", ""),
            )
        except DomainError as problem:
            error, field = problem.message, problem.field or "decision"
        else:
            messages.success(request, f"Review of {result.submission.candidate_number} decided.")
            return redirect("review_queue", slug=provider.slug)
    return render(
        request,
        "assessment/marking/review_decide.html",
        {
            "review": review,
            "result": result,
            "provider": provider,
            "can_decide": can_decide and review.status == review.Status.REQUESTED,
            "error": error,
            "field": field,
            "posted": request.POST,
        },
        status=400 if error else 200,
    )
