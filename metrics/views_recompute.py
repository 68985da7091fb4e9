"""Recomputing a provider's metrics now, with its progress (issue 8): the admin asks, a worker recomputes each
recruitment year and programme, and the page shows how far it has got (htmx polls a fragment; without
JavaScript the page refreshes itself)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from metrics import services
from metrics.models import RecomputeRun
from npqel.access import Action, provider_q, require_page
from npqel.errors import DomainError
from programmes.selectors import provider_get


def _run(user: object, pk: int) -> RecomputeRun:
    """A recomputation of a provider whose metrics the user may see; 404 otherwise."""
    require_page(user, Action.VIEW_METRICS)
    run = (
        RecomputeRun.objects.select_related("provider", "requested_by")
        .filter(provider_q(user, Action.VIEW_METRICS, via="provider"), pk=pk)
        .first()
    )
    if run is None:
        raise Http404("No recomputation has this number.")
    return run


@login_required
@require_POST
def recompute(request: HttpRequest, slug: str) -> HttpResponse:
    provider = provider_get(user=request.user, slug=slug, action=Action.VIEW_METRICS)
    try:
        run = services.recompute_request(by=request.user, provider=provider)
    except DomainError as problem:
        messages.error(request, problem.message)
        return redirect("provider_detail", slug=provider.slug)
    return redirect("metrics_recompute", pk=run.pk)


@login_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The recomputation's progress: the whole page, or (for htmx) just the part that changes."""
    run = _run(request.user, pk)
    template = "metrics/_progress.html" if request.headers.get("HX-Request") else "metrics/recompute.html"
    return render(request, template, {"run": run})
