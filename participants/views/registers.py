"""A session's register: the facilitator (or an admin) marks everyone expected as present, late, absent or
authorised absence, saving the whole register in one POST; "mark everyone not yet marked as present" first,
then change the exceptions. Works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from npqel.errors import DomainError
from npqel.words import plural
from participants import selectors, services
from participants.models import Attendance
from participants.selectors import Register
from participants.services import REGISTER_OPENS_BEFORE

# Each row's radios are named mark-<enrolment id>.
PREFIX = "mark-"


def _marks(data: QueryDict) -> dict[int, str]:
    """The marks posted, by enrolment id. A name that is not mark-<number> (an id the database could hold) is
    not a mark and is ignored."""
    marks = {}
    for name, value in data.items():
        number = name.removeprefix(PREFIX)
        if name.startswith(PREFIX) and number.isascii() and number.isdigit() and len(number) <= 18:
            marks[int(number)] = str(value)
    return marks


def _render(
    request: HttpRequest, register: Register, *, posted: dict[int, str], error: str = ""
) -> HttpResponse:
    session = register.session
    rows = [
        {
            "enrolment": row.enrolment,
            "attendance": row.attendance,
            "chosen": posted.get(row.enrolment.pk, row.attendance.status if row.attendance else ""),
        }
        for row in register.rows
    ]
    return render(
        request,
        "participants/registers/register.html",
        {
            "session": session,
            "cohort": session.cohort,
            "register": register,
            "rows": rows,
            "statuses": Attendance.Status.choices,
            "unmarked": len(register.rows) - register.marked,
            "opens_at": session.starts_at - REGISTER_OPENS_BEFORE,
            "error": error,
        },
    )


@login_required
def session_register(request: HttpRequest, pk: int) -> HttpResponse:
    """The register of one session: who is expected, their marks, and (on POST) the whole register saved."""
    if request.method != "POST":
        return _render(request, selectors.register_for(user=request.user, session_pk=pk), posted={})
    session = selectors.register_session(user=request.user, session_pk=pk)
    marks = _marks(request.POST)
    try:
        changes = services.register_save(by=request.user, session=session, marks=marks)
    except DomainError as error:
        register = selectors.register_for(user=request.user, session_pk=pk)
        return _render(request, register, posted=marks, error=error.message)
    messages.success(
        request, f"Register saved: {plural(changes, 'change')}." if changes else "No changes to save."
    )
    return redirect("session_register", pk=pk)


@login_required
@require_POST
def session_register_all_present(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark everyone expected who has no mark yet as present, then back to the register for the exceptions."""
    session = selectors.register_session(user=request.user, session_pk=pk)
    try:
        marked = services.register_mark_all_present(by=request.user, session=session)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if marked:
            messages.success(
                request,
                f"{marked} {'person' if marked == 1 else 'people'} marked present. "
                "Change anyone who was late or absent, then save the register.",
            )
        else:
            messages.success(request, "Everyone expected already has a mark.")
    return redirect("session_register", pk=pk)
