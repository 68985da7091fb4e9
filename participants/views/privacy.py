"""Data protection pages (issue 9): a participant downloads their own data; a provider admin (or platform
staff) downloads a person's data or erases it; a provider's page sets how long it keeps personal data and lists
who the nightly job erases next. See participants/privacy.py for who may do what."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from npqel.access import Action, access_for, require
from npqel.errors import DomainError
from npqel.forms import add_domain_error
from participants import privacy
from participants.models import Enrolment, Participant
from participants.privacy_export import participant_data_export_file
from programmes.selectors import provider_get


class EraseForm(forms.Form):
    reason = forms.CharField(
        label="Why are you erasing their personal data?",
        help_text=(
            "For example, “their request by email of 3 March 2026”. Kept in the audit trail, so do not write "
            "their name."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=privacy.REASON_LONGEST,
        error_messages={"required": "Say why their data is erased."},
    )
    confirm = forms.BooleanField(
        label="I understand this cannot be undone",
        error_messages={"required": "Tick the box to confirm that you understand this cannot be undone."},
    )


class RetentionForm(forms.Form):
    years = forms.IntegerField(
        label="Years to keep personal data after a person's last place with you ended",
        help_text="A whole number from 1 to 50.",
        min_value=privacy.RETENTION_YEARS_RANGE[0],
        max_value=privacy.RETENTION_YEARS_RANGE[1],
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        error_messages={
            "required": "Enter how many years to keep personal data.",
            "invalid": "Enter a whole number of years, such as 7.",
            "min_value": "Enter at least 1 year.",
            "max_value": "Enter 50 years or fewer.",
        },
    )


def _zip_response(participant: Participant, *, by: object, filename: str) -> FileResponse:
    out = participant_data_export_file(by=by, participant=participant)  # type: ignore[arg-type]
    response = FileResponse(out, as_attachment=True, filename=filename, content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@login_required
def my_data_export(request: HttpRequest) -> FileResponse:
    """A participant downloads everything the platform holds about them, as a ZIP."""
    participant = privacy.own_participant(user=request.user)
    return _zip_response(
        participant, by=request.user, filename=f"your-data-{timezone.localdate():%Y-%m-%d}.zip"
    )


@never_cache
@login_required
def participant_data_export(request: HttpRequest, pk: int) -> FileResponse:
    """A provider admin (their provider's places only) or platform staff (everything) downloads a person's
    data, e.g. to answer their subject access request."""
    participant = privacy.privacy_participant_get(user=request.user, pk=pk)
    return _zip_response(
        participant,
        by=request.user,
        filename=f"participant-{participant.pk}-data-{timezone.localdate():%Y-%m-%d}.zip",
    )


@login_required
def participant_data_protection(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's data protection: download their data, or erase it (POST) with the reason."""
    participant = privacy.privacy_participant_get(user=request.user, pk=pk)
    access = access_for(request.user)
    places = [
        place
        for place in Enrolment.objects.filter(participant=participant)
        .select_related("provider", "cohort__programme")
        .order_by("cohort__start_date", "pk")
        if access.platform_staff or access.may(Action.VIEW_ENROLMENTS, place.provider_id)
    ]
    form = EraseForm(request.POST if request.method == "POST" else None)
    blocker = privacy.erasure_blocker(by=request.user, participant=participant)  # type: ignore[arg-type]
    status = 200
    if request.method == "POST":
        if blocker is not None:
            messages.error(request, blocker)
            return redirect("participant_data_protection", pk=participant.pk)
        if form.is_valid():
            try:
                privacy.participant_erase(
                    by=request.user,  # type: ignore[arg-type]
                    participant=participant,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    "Their personal data is erased. Their places, dates and outcomes stay, without a name, "
                    "so your DfE figures do not change.",
                )
                return redirect("participant_data_protection", pk=participant.pk)
        status = 400
    return render(
        request,
        "participants/privacy/participant.html",
        {
            "participant": participant,
            "places": places,
            "form": form,
            "blocker": blocker,
            "open_places": [p for p in places if p.status in privacy.LIVE_STATUSES],
        },
        status=status,
    )


@never_cache
@login_required
def provider_data_protection(request: HttpRequest, slug: str) -> HttpResponse:
    """A provider's retention period (its admins change it) and the people the nightly job erases in the next
    90 days, each with buttons to download or erase their data now."""
    provider = provider_get(user=request.user, slug=slug, action=Action.VIEW_ENROLMENTS)
    can_change = access_for(request.user).may(Action.MANAGE_ENROLMENTS, provider.pk)
    form = RetentionForm(
        request.POST if request.method == "POST" else None, initial={"years": provider.retention_years}
    )
    status = 200
    if request.method == "POST":
        require(request.user, Action.MANAGE_ENROLMENTS, provider.pk)
        if form.is_valid():
            try:
                privacy.provider_retention_set(
                    by=request.user,  # type: ignore[arg-type]
                    provider=provider,
                    years=form.cleaned_data["years"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    f"Saved: personal data is erased {form.cleaned_data['years']} years after a person's last "
                    "place with you ended.",
                )
                return redirect("provider_data_protection", slug=provider.slug)
        status = 400
    return render(
        request,
        "participants/privacy/provider.html",
        {
            "provider": provider,
            "form": form,
            "can_change": can_change,
            "due": privacy.retention_due(provider=provider),
            "within_days": privacy.DUE_WITHIN_DAYS,
            "today": timezone.localdate(),
        },
        status=status,
    )
