"""Feedback: a participant rates the sessions of their timetable, and the whole programme at its end, from 0
to 10 with an optional comment; facilitators and admins see the results, never who said what, and only
once at least three people have rated."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from npqel.errors import DomainError
from npqel.forms import add_domain_error
from participants import feedback_selectors, log_selectors
from participants.feedback_selectors import MIN_RATINGS
from participants.log_forms import RatingForm
from participants.services import feedback

# A participant's own ratings --------------------------------------------------------------------------


@login_required
def my_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """The sessions of the participant's timetable that have ended, each with their rating or a link to
    rate it, and the rating of the whole programme once it can be given."""
    enrolment = log_selectors.own_place(user=request.user, pk=pk)
    return render(
        request,
        "participants/feedback/my_feedback.html",
        {"enrolment": enrolment, "own": feedback_selectors.own_feedback(enrolment=enrolment)},
    )


def _initial(rating: object) -> dict[str, object]:
    return {"rating": str(rating.rating), "comment": rating.comment} if rating is not None else {}


@login_required
def my_feedback_session(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    """Rate one session of the participant's timetable (or change their rating of it)."""
    enrolment = log_selectors.own_place(user=request.user, pk=pk)
    session = feedback_selectors.own_session_to_rate(enrolment=enrolment, session_pk=session_pk)
    existing = feedback_selectors.own_rating(enrolment=enrolment, session=session)
    form = RatingForm(request.POST or None, initial=_initial(existing))
    if request.method == "POST" and form.is_valid():
        try:
            feedback.feedback_rate_session(
                by=request.user,
                enrolment=enrolment,
                session=session,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Thank you. Your rating of {session.display_title} is saved.")
            return redirect("my_feedback", pk=enrolment.pk)
    return render(
        request,
        "participants/feedback/rate.html",
        {
            "enrolment": enrolment,
            "session": session,
            "existing": existing,
            "form": form,
            "refusal": ""
            if session.ends_at <= timezone.now()
            else "This session has not ended yet. Rate it once it is over.",
            "title": f"Rate {session.display_title}",
        },
    )


@login_required
def my_feedback_programme(request: HttpRequest, pk: int) -> HttpResponse:
    """Rate the whole programme (or change the rating), once the participant's place allows it."""
    enrolment = log_selectors.own_place(user=request.user, pk=pk)
    existing = feedback_selectors.own_rating(enrolment=enrolment, session=None)
    form = RatingForm(request.POST or None, initial=_initial(existing))
    if request.method == "POST" and form.is_valid():
        try:
            feedback.feedback_rate_programme(
                by=request.user,
                enrolment=enrolment,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Thank you. Your rating of the programme is saved.")
            return redirect("my_feedback", pk=enrolment.pk)
    return render(
        request,
        "participants/feedback/rate.html",
        {
            "enrolment": enrolment,
            "session": None,
            "existing": existing,
            "form": form,
            "refusal": feedback.programme_rating_refusal(enrolment, feedback.last_session_ends_at(enrolment)),
            "title": f"Rate {enrolment.cohort.programme.name} as a whole",
        },
    )


# Results, for facilitators and admins -----------------------------------------------------------------


@login_required
def session_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's results: how many rated it, the mean, the spread of ratings and the comments, without
    names; nothing until at least three people have rated."""
    session = feedback_selectors.feedback_session(user=request.user, pk=pk)
    return render(
        request,
        "participants/feedback/session_results.html",
        {
            "session": session,
            "cohort": session.cohort,
            "results": feedback_selectors.session_results(session=session),
            "min_ratings": MIN_RATINGS,
        },
    )


@login_required
def cohort_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """The cohort's feedback at a glance: each session's count and mean, the programme's ratings and the
    mean of all the ratings shown."""
    cohort = feedback_selectors.feedback_cohort(user=request.user, pk=pk)
    return render(
        request,
        "participants/feedback/cohort_results.html",
        {
            "cohort": cohort,
            "summary": feedback_selectors.cohort_feedback(user=request.user, cohort=cohort),
            "min_ratings": MIN_RATINGS,
        },
    )
