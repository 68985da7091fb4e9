"""Self check-in pages. The facilitator (or an admin) opens check-in on a running session and shows its code
big, with a QR code of the check-in address; a participant types the code (or scans the QR code) and is
marked present on the register. Works without JavaScript."""

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from npqel.access import Role, access_for
from npqel.errors import DomainError
from participants import selectors
from participants.models import Attendance
from participants.services import checkin
from participants.services.checkin import CODE_LENGTH, CheckIn


class CheckInForm(forms.Form):
    """The one field a participant fills in. Shape only: participants.services.checkin judges the code."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text=f"The {CODE_LENGTH} letters and numbers the facilitator shows at the session.",
        error_messages={
            "required": "Enter the code shown on the screen.",
            "max_length": "That code is not right: check the code on the screen and try again.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _spaced(code: str) -> str:
    """ABC234 as "ABC 234": easier to read off a screen (check-in ignores the space)."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


def _qr_svg(url: str, label: str) -> SafeString:
    """The check-in address as a QR code, drawn as inline SVG (no image request, no JavaScript)."""
    svg = segno.make(url, error="m").svg_inline(scale=7, dark="#0b0c0c", light="#ffffff")
    # segno writes the SVG itself, from our own address (only path data): there is no text of anyone's in it.
    return mark_safe(  # noqa: S308
        svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    )


@login_required
def session_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's check-in: the code shown big with its QR code and how many have checked in; on POST,
    check-in opened (or the code already open kept)."""
    if request.method == "POST":
        session = selectors.register_session(user=request.user, session_pk=pk)
        try:
            checkin.check_in_open(by=request.user, session=session)
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("session_check_in", pk=pk)
    page = selectors.check_in_page(user=request.user, session_pk=pk)
    code = page.code.code if page.code is not None and page.is_open else None
    url = request.build_absolute_uri(reverse("check_in") + f"?code={code}") if code else ""
    return render(
        request,
        "participants/checkin/session.html",
        {
            "page": page,
            "session": page.session,
            "cohort": page.session.cohort,
            "code": _spaced(code) if code else "",
            "url": url,
            "qr": _qr_svg(url, f"QR code: scan it to check in with code {code}") if code else "",
        },
    )


@login_required
@require_POST
def session_check_in_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close check-in: the code stops working at once. Marks already made stay on the register."""
    session = selectors.register_session(user=request.user, session_pk=pk)
    if checkin.check_in_close(by=request.user, session=session):
        messages.success(request, "Check-in closed: the code no longer works. Marks already made stay.")
    else:
        messages.success(request, "Check-in was already closed.")
    return redirect("session_check_in", pk=pk)


def _confirmation(check_in: CheckIn) -> str:
    if not check_in.before:
        return "You are marked present on the register."
    before = Attendance.Status(check_in.before).label.lower()
    if not check_in.changed:
        return f"You were already marked {before}: nothing has changed."
    return (
        f"You had been marked {before}. You are now marked present, and the register shows that you "
        "checked in yourself."
    )


@login_required
def check_in(request: HttpRequest) -> HttpResponse:
    """A participant checks in to the session they are at with the code the facilitator shows. The address
    in the QR code fills the code in: they only press the button."""
    if Role.PARTICIPANT not in access_for(request.user).roles:
        # Not the general 403 page: say what this page is for and where to go instead.
        return render(request, "participants/checkin/participants_only.html", status=403)
    if request.method != "POST":
        form = CheckInForm(initial={"code": request.GET.get("code", "")[:20]})
        return render(request, "participants/checkin/check_in.html", {"form": form})
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            done = checkin.check_in(by=request.user, code=form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            return render(
                request,
                "participants/checkin/checked_in.html",
                {"session": done.session, "message": _confirmation(done), "changed": done.changed},
            )
    return render(request, "participants/checkin/check_in.html", {"form": form})
