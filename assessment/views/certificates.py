"""Certificates and transcripts as PDFs, revoking a certificate, and the public page where anyone checks a
certificate by its code (no sign-in). See assessment/certificates.py for who may do what."""

from allauth.account.adapter import get_adapter
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache

from assessment import certificates
from npqel.errors import DomainError
from npqel.forms import add_domain_error


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="Certificate code",
        help_text="12 letters and numbers, printed at the bottom of the certificate, for example 7KQ4-M2XB-9HDW",
        max_length=40,
        error_messages={
            "required": "Enter the code printed on the certificate.",
            "max_length": "That is too long for a certificate code: check the code printed on the certificate.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        code = certificates.normalise_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                "Enter the 12 letters and numbers printed on the certificate, for example 7KQ4-M2XB-9HDW "
                "(codes never use the letters O, I or L, nor the numbers 0 or 1)."
            )
        return code


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Why is this certificate revoked?",
        help_text=(
            "Kept on record for your provider. The verification page says only that it was revoked, and when."
        ),
        widget=forms.Textarea,
        max_length=certificates.REASON_LENGTH,
        error_messages={"required": "Say why the certificate is revoked, in a sentence or two."},
    )


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Downloads ------------------------------------------------------------------------------------------------


@never_cache
@login_required
def transcript_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The place's transcript (any status), for the participant themself or an admin of its provider."""
    enrolment = certificates.document_place(user=request.user, pk=pk)
    pdf = certificates.transcript_pdf(enrolment)
    name = slugify(enrolment.participant.user.display_name) or "participant"
    return _pdf_response(pdf, f"NPQEL-transcript-{name}.pdf")


@never_cache
@login_required
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The place's certificate, once issued and while not revoked (404 otherwise, as for a place the user may
    not see)."""
    enrolment = certificates.document_place(user=request.user, pk=pk)
    certificate = certificates.valid_certificate(enrolment)
    if certificate is None:
        raise Http404("This place has no certificate, or it was revoked.")
    verify_url = request.build_absolute_uri(reverse("certificate_verify", args=[certificate.code]))
    pdf = certificates.certificate_pdf(certificate, verify_url=verify_url)
    return _pdf_response(pdf, f"NPQEL-certificate-{certificate.code}.pdf")


@login_required
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """A provider admin revokes a place's certificate, saying why (GET: the form; POST: revoke it). Once
    revoked, the page shows when and why."""
    certificate = certificates.certificate_for_revoke(user=request.user, pk=pk)
    enrolment = certificate.enrolment
    form = RevokeForm(request.POST if request.method == "POST" else None)
    status = 200
    if certificate.revoked_at is None and request.method == "POST":
        if form.is_valid():
            try:
                certificates.certificate_revoke(
                    by=request.user, certificate=certificate, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    f"Certificate {certificate.code} is revoked: anyone checking its code is told so.",
                )
                return redirect("enrolment_detail", enrolment.pk)
        status = 400
    return render(
        request,
        "assessment/certificates/revoke.html",
        {"certificate": certificate, "enrolment": enrolment, "form": form},
        status=status,
    )


# Public verification --------------------------------------------------------------------------------------


def verify_start(request: HttpRequest) -> HttpResponse:
    """Ask for a certificate's code; a code given (?code=…, as typed) goes to its verification page."""
    if "code" not in request.GET:
        return render(request, "assessment/certificates/verify_start.html", {"form": VerifyForm()})
    form = VerifyForm(request.GET)
    if form.is_valid():
        return redirect("certificate_verify", form.cleaned_data["code"])
    return render(request, "assessment/certificates/verify_start.html", {"form": form}, status=400)


def _client_ip(request: HttpRequest) -> str:
    # The address the sign-in rate limits use (allauth's adapter honours ALLAUTH_TRUSTED_PROXY_COUNT).
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return "unknown"


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Whether a certificate with this code was issued: ONLY the name, qualification, provider and date of
    award (or that it was revoked, and when). A code as typed (lower case, spaces, no dashes) is sent to its
    stored form first; one that cannot be a code reads nothing. Lookups are limited per IP address."""
    normalised = certificates.normalise_code(code)
    if normalised is not None and normalised != code:
        return redirect("certificate_verify", normalised)  # costs no lookup: nothing is read
    certificate = None
    if normalised is not None:
        if not certificates.verify_lookup_allowed(client_ip=_client_ip(request)):
            response = render(
                request,
                "assessment/certificates/verify_limited.html",
                {"minutes": certificates.VERIFY_WINDOW_SECONDS // 60},
                status=429,
            )
            response["Retry-After"] = str(certificates.VERIFY_WINDOW_SECONDS)
            return response
        certificate = certificates.certificate_by_code(code=normalised)
    if certificate is None:
        return render(
            request,
            "assessment/certificates/verify_unknown.html",
            {"code": code, "form": VerifyForm()},
            status=404,
        )
    return render(request, "assessment/certificates/verify.html", {"certificate": certificate})
