"""Calendars: a private, revocable iCalendar feed per person and an .ics file per session.

Times are written as UTC instants (DTSTART:20221010T090000Z). Every session is a single event with no
recurrence rule, so an instant is unambiguous in Outlook, Google and Apple calendars alike: each shows it
in the device's own time zone, which for people in the UK is Europe/London, so a 10:00 session reads
10:00 whether the date falls in British Summer Time or in GMT. A TZID with a generated VTIMEZONE would
only matter for recurring events; UTC leaves nothing to each client's reading of a VTIMEZONE.
"""

import datetime
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from npqel.access import Access, Action, Role, access_for
from programmes import ical, selectors, services
from programmes.models import Session

CALENDAR_NAME = "NPQEL sessions"
PRODID = "-//NPQEL Programme Manager//Sessions//EN"
# How many upcoming sessions the calendar page lists as a preview of the feed.
UPCOMING_PREVIEW = 5
# The feed holds what is to come and what happened in the last year: enough to look back on, and a
# provider admin's feed stays small however many years of cohorts the provider has run.
FEED_LOOKS_BACK = datetime.timedelta(days=365)


def _feed_sessions(user: object) -> QuerySet[Session]:
    return selectors.calendar_sessions(user=user, ends_after=timezone.now() - FEED_LOOKS_BACK)


# Pages ------------------------------------------------------------------------------------------------


@login_required
@never_cache  # the page shows the private address
def calendar_page(request: HttpRequest) -> HttpResponse:
    """What the private feed is, its address, how to subscribe, and what it holds.

    The feed is created on the first visit (through the service), so the address is there to copy at once.
    """
    feed = services.calendar_feed_get_or_create(user=request.user)
    sessions = _feed_sessions(request.user)
    now = timezone.now()
    feed_url = request.build_absolute_uri(reverse("calendar_feed", kwargs={"key": feed.key}))
    return render(
        request,
        "programmes/calendar.html",
        {
            "feed": feed,
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
            "session_count": sessions.count(),
            "upcoming": list(sessions.filter(ends_at__gt=now)[:UPCOMING_PREVIEW]),
            "holds": _what_the_calendar_holds(access_for(request.user).roles),
        },
    )


def _what_the_calendar_holds(roles: frozenset[Role]) -> list[str]:
    """In words, which sessions `selectors.calendar_sessions` gives a person with these roles."""
    holds = ["sessions you are named as facilitator of, or whose group you facilitate"]
    if Role.PROVIDER_ADMIN in roles:
        holds.append("every session at the providers you manage")
    if Role.PARTICIPANT in roles:
        holds.append("the sessions of the cohorts you are on")
    return holds


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    """Replace the private address; the old one stops working at once."""
    services.calendar_feed_reset(user=request.user)
    messages.success(
        request,
        "You have a new calendar address and the old one no longer works. "
        "Remove the old NPQEL calendar from your calendar app and subscribe again with the address below.",
    )
    return redirect("calendar")


# iCalendar files ---------------------------------------------------------------------------------------


@require_safe
@never_cache
def calendar_feed(request: HttpRequest, key: str) -> HttpResponse:
    """The person's sessions as a subscribable calendar. No sign-in: calendar apps cannot sign in, so the
    unguessable key in the address is what grants access; an unknown or replaced key answers 404."""
    feed = selectors.calendar_feed_for_key(key=key)
    services.calendar_feed_record_use(feed=feed)
    calendar = _calendar(request, viewer=feed.user, sessions=_feed_sessions(feed.user), subscription=True)
    response = HttpResponse(calendar.encode(), content_type="text/calendar; charset=utf-8")
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Content-Disposition"] = 'inline; filename="npqel-sessions.ics"'
    return response


@login_required
@require_safe
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """One session as an .ics file to open in (or import into) a calendar app: for staff any session they may
    see, for a participant the sessions of their own place (linked from their home page)."""
    session = selectors.session_file_get(user=request.user, pk=pk)
    calendar = _calendar(request, viewer=request.user, sessions=[session], subscription=False)
    response = HttpResponse(calendar.encode(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(session)}"'
    response["Cache-Control"] = "private"
    return response


def _calendar(
    request: HttpRequest, *, viewer: object, sessions: Iterable[Session], subscription: bool
) -> str:
    properties = [
        ("VERSION", "2.0"),
        ("PRODID", ical.text(PRODID)),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
    ]
    if subscription:
        # Only on the feed: Outlook opens a single .ics carrying a calendar name as a separate calendar.
        properties += [
            ("X-WR-CALNAME", ical.text(CALENDAR_NAME)),
            ("X-WR-CALDESC", ical.text("Your NPQEL sessions, from NPQEL Programme Manager")),
            ("REFRESH-INTERVAL;VALUE=DURATION", "PT1H"),
            ("X-PUBLISHED-TTL", "PT1H"),
        ]
    stamp = ical.utc(timezone.now())
    access = access_for(viewer)
    # The session pages' address worked out once: reverse() and build_absolute_uri() for each event cost more
    # than writing it.
    site = request.build_absolute_uri("/")[:-1]
    page_path = reverse("session_detail", kwargs={"pk": 0})  # /sessions/0/
    events = [
        _event(
            session,
            stamp=stamp,
            page=site + page_path.replace("/0/", f"/{session.pk}/"),
            linked=_may_open(access, session),
        )
        for session in sessions
    ]
    return ical.component("VCALENDAR", properties, events)


def _may_open(access: Access, session: Session) -> bool:
    """Whether the person can open the session's page (participants cannot): link it only then."""
    return access.may(Action.VIEW_COHORTS, session.cohort.programme.provider_id)


def _event(session: Session, *, stamp: str, page: str, linked: bool) -> str:
    cohort = session.cohort
    properties = [
        ("UID", f"session-{session.pk}@npqel"),
        ("DTSTAMP", stamp),
        ("DTSTART", ical.utc(session.starts_at)),
        ("DTEND", ical.utc(session.ends_at)),
        ("SUMMARY", ical.text(f"{session.display_title} – {cohort.programme.name}, {cohort.code}")),
    ]
    location = session.venue or session.online_link
    if location:
        properties.append(("LOCATION", ical.text(location)))
    if linked:
        properties.append(("URL", page))
    properties += [
        ("DESCRIPTION", ical.text(_description(session, page=page if linked else None))),
        ("STATUS", "CONFIRMED"),
        ("TRANSP", "OPAQUE"),
    ]
    return ical.component("VEVENT", properties)


def _description(session: Session, *, page: str | None) -> str:
    cohort = session.cohort
    lines = [
        f"{session.component.title} ({session.component.get_kind_display()})",
        f"Cohort: {cohort.code}, {cohort.programme.name} ({cohort.programme.provider.name})",
    ]
    if session.group is not None:
        lines.append(f"Group: {session.group.name}")
    if session.facilitator is not None:
        lines.append(f"Facilitator: {session.facilitator.display_name}")
    if session.repeat_of is not None:
        original = session.repeat_of
        when = timezone.localtime(original.starts_at).strftime("%a %-d %b %Y %H:%M")
        lines.append(
            f"Repeat of “{original.display_title}” on {when} (UK time): attending either session counts."
        )
    if session.venue and session.online_link:
        lines.append(f"Join online: {session.online_link}")
    if page:
        lines.append(f"Details: {page}")
    return "\n".join(lines)


def _filename(session: Session) -> str:
    """A name safe in any file system and header: ASCII letters, digits and hyphens only."""
    day = timezone.localtime(session.starts_at).date().isoformat()
    title = slugify(session.display_title)[:60].strip("-") or "session"
    return f"{title}-{day}.ics"
