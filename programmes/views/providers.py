from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import invitation_list
from assessment.marking_selectors import reviews_waiting
from npqel.access import Action, access_for, require_page
from programmes import selectors


@login_required
def provider_list(request: HttpRequest) -> HttpResponse:
    require_page(request.user, Action.VIEW_PROVIDER)
    return render(
        request, "programmes/provider_list.html", {"providers": selectors.provider_list(user=request.user)}
    )


@login_required
def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    provider = selectors.provider_get(user=request.user, slug=slug)
    access = access_for(request.user)
    sees_cohorts = access.may(Action.VIEW_COHORTS, provider.pk)
    return render(
        request,
        "programmes/provider_detail.html",
        {
            "provider": provider,
            "programmes": selectors.programme_list(user=request.user, provider=provider)
            if sees_cohorts
            else None,
            "cohorts": selectors.cohort_list(user=request.user, provider=provider) if sees_cohorts else None,
            "partners": selectors.delivery_partner_list(provider=provider) if sees_cohorts else None,
            "can_manage_people": access.may(Action.MANAGE_PEOPLE, provider.pk),
            "can_manage_enrolments": access.may(Action.MANAGE_ENROLMENTS, provider.pk),
            "can_manage_programmes": access.may(Action.MANAGE_PROGRAMMES, provider.pk),
            "can_view_submissions": access.may(Action.VIEW_SUBMISSIONS, provider.pk),
            "can_view_metrics": access.may(Action.VIEW_METRICS, provider.pk),
            "can_view_history": access.may(Action.VIEW_AUDIT_TRAIL, provider.pk),
            "can_view_enrolments": access.may(Action.VIEW_ENROLMENTS, provider.pk),
            "reviews_waiting": reviews_waiting(provider=provider)
            if access.may(Action.VIEW_SUBMISSIONS, provider.pk)
            else 0,
        },
    )


@login_required
def provider_people(request: HttpRequest, slug: str) -> HttpResponse:
    provider = selectors.provider_get(user=request.user, slug=slug, action=Action.MANAGE_PEOPLE)
    return render(
        request,
        "programmes/provider_people.html",
        {
            "provider": provider,
            "memberships": selectors.membership_list(user=request.user, provider=provider),
            "invitations": invitation_list(user=request.user, provider=provider),
        },
    )
