from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import AcceptInvitationForm, ApiTokenForm, InvitationForm
from accounts.models import ApiToken
from npqel.access import Action, require_page, require_platform_staff
from npqel.errors import DomainError
from npqel.forms import add_domain_error
from programmes.selectors import provider_get


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: roles, two-factor status and API keys."""
    form = ApiTokenForm()
    new_key = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, new_key = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                form = ApiTokenForm()
                messages.success(
                    request, f"API key “{token.name}” created. Copy it now: it is shown only once."
                )
    return render(
        request,
        "accounts/account.html",
        {"form": form, "new_key": new_key, "tokens": selectors.api_token_list(user=request.user)},
    )


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = services.api_token_revoke(user=request.user, token_id=pk)
    except ApiToken.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, f"API key “{token.name}” revoked. Requests using it are now refused.")
    return redirect("account")


@login_required
def invite(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Invite someone to a provider (provider admins, platform staff) or to a cross-provider role (platform staff)."""
    if slug is None:
        require_platform_staff(request.user)
        provider = None
    else:
        provider = provider_get(user=request.user, slug=slug, action=Action.MANAGE_PEOPLE)
    form = InvitationForm(request.POST or None, cross_provider=provider is None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                invited_by=request.user, provider=provider, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}. The link works for 14 days.")
            return (
                redirect("provider_people", slug=provider.slug) if provider else redirect("platform_people")
            )
    return render(request, "accounts/invite.html", {"form": form, "provider": provider})


@login_required
def platform_people(request: HttpRequest) -> HttpResponse:
    """Platform staff: invitations to the cross-provider roles."""
    require_platform_staff(request.user)
    invitations = selectors.invitation_list(user=request.user).filter(provider__isnull=True)
    return render(request, "accounts/platform_people.html", {"invitations": invitations})


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    require_page(request.user, Action.MANAGE_PEOPLE)
    invitation = selectors.invitation_get(user=request.user, pk=pk)
    try:
        services.invitation_revoke(by=request.user, invitation=invitation)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invitation for {invitation.email} withdrawn. Its link no longer works.")
    if invitation.provider:
        return redirect("provider_people", slug=invitation.provider.slug)
    return redirect("platform_people")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link from the invitation email: set a password (or confirm, if already signed in)."""
    try:
        invitation = services.invitation_from_token(token)
    except DomainError as error:
        return render(request, "accounts/invitation_problem.html", {"problem": error.message}, status=410)
    needs_password, name = services.invitation_needs_password(invitation)
    has_account = not needs_password
    form = None if has_account else AcceptInvitationForm(request.POST or None, initial={"full_name": name})
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password"] if form else None,
                full_name=form.cleaned_data["full_name"] if form else "",
                signed_in=request.user if request.user.is_authenticated else None,
            )
        except DomainError as error:
            if form is None:
                return render(
                    request, "accounts/invitation_problem.html", {"problem": error.message}, status=409
                )
            add_domain_error(form, error)
        else:
            if not request.user.is_authenticated:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome. You now have the role {invitation.get_role_display()}.")
            return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "has_account": has_account},
    )
