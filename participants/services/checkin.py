"""Self check-in: a facilitator shows a short code (or a QR code of it) while a session runs, and a participant
expected at the session who enters it is marked present on its register, audited like any register mark.

Decisions:
- The code works from CHECK_IN_OPENS_BEFORE the start until the session ends; outside that window it is
  refused even if the facilitator never closed it. Closing deletes it, so nobody else can use it.
- Codes are not unique across sessions (two sessions running at once could share one by chance): a code
  matches only a session at which one of the participant's own places is expected, and only while it runs.
- Someone already marked present or late is told so and nothing changes. Someone the facilitator marked
  absent or authorised absence who then checks in is changed to present: the code is only shown in the
  room during the session, so entering it is evidence they came. The change is audited with the
  participant as its author, so the register shows who changed it and when, and the facilitator can
  still mark them late.
"""

import datetime
import re
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from npqel.access import Action, access_for
from npqel.errors import DomainError
from participants.models import ATTENDED_STATUSES, Attendance, CheckInCode, Enrolment
from participants.services import EXPECTED_STATUSES, attendance_mark_present, expected_places
from programmes.models import Session

# Participants arriving early can check in this long before the start; check-in ends when the session does.
CHECK_IN_OPENS_BEFORE = datetime.timedelta(minutes=15)
# No 0/O, 1/I: a code read off a projector cannot be mistyped as another character of the code.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6

WRONG_CODE = "That code is not right: check the code on the screen and try again."
ASK_THE_FACILITATOR = "If you are at the session, ask the facilitator to mark you on the register."


@dataclass(frozen=True)
class CheckIn:
    """A participant's check-in: the session, and their mark before it (None: no mark yet)."""

    session: Session
    before: str | None

    @property
    def changed(self) -> bool:
        return self.before not in ATTENDED_STATUSES


def check_in_window(session: Session) -> tuple[datetime.datetime, datetime.datetime]:
    """When participants can check in to a session: from shortly before it starts until it ends."""
    return session.starts_at - CHECK_IN_OPENS_BEFORE, session.ends_at


def check_in_is_open(session: Session, *, now: datetime.datetime | None = None) -> bool:
    opens, closes = check_in_window(session)
    return opens <= (now or timezone.now()) < closes


def normalise_code(entered: str) -> str:
    """The code as stored: capitals, without the spaces or hyphens people type to group the characters."""
    return re.sub(r"[\s\-\u2010-\u2015]", "", entered).upper()


def _when(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}"


def _session_on(session: Session) -> str:
    return f"{session.display_title} at {_when(session.starts_at)}"


def _outside_window(session: Session, now: datetime.datetime) -> DomainError:
    opens, closes = check_in_window(session)
    if now >= closes:
        return DomainError(
            f"Check-in for this session has closed: {session.display_title} ended at {_when(closes)}. "
            "Take the register to mark anyone who was there.",
            field="session",
        )
    return DomainError(
        f"Check-in opens {CHECK_IN_OPENS_BEFORE.seconds // 60} minutes before the session starts, at {_when(opens)}. "
        "Open it then.",
        field="session",
    )


def _locked(session: Session) -> Session:
    """The session, locked as the register locks it, so that a check-in and a register save (or opening and
    closing check-in) are taken one after the other."""
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("cohort__programme", "component")
        .get(pk=session.pk)
    )


def _facilitated(by: User, session: Session) -> Session:
    session = _locked(session)
    if not access_for(by).may(Action.TAKE_REGISTER, session.cohort.programme.provider_id):
        raise PermissionDenied(
            "Only a facilitator or admin of this provider can run check-in for this session."
        )
    return session


def _new_code() -> str:
    """A fresh code that no stored code uses (so a participant at two sessions at once is never in doubt
    which one they checked in to)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not CheckInCode.objects.filter(code=code).exists():
            return code


@transaction.atomic
def check_in_open(*, by: User, session: Session) -> CheckInCode:
    """Open check-in for a session and return its code; the same code if it is already open. Only from
    CHECK_IN_OPENS_BEFORE the start until the session ends, by someone who may take its register."""
    session = _facilitated(by, session)
    now = timezone.now()
    if not check_in_is_open(session, now=now):
        raise _outside_window(session, now)
    existing = CheckInCode.objects.filter(session=session).first()
    if existing is not None:
        return existing
    return CheckInCode.objects.create(session=session, code=_new_code(), opened_by=by, opened_at=now)


@transaction.atomic
def check_in_close(*, by: User, session: Session) -> bool:
    """Close check-in for a session: its code stops working. Marks already made stay. True if it was open."""
    session = _facilitated(by, session)
    deleted, _ = CheckInCode.objects.filter(session=session).delete()
    return deleted > 0


def _not_expected(by: User, sessions: list[Session]) -> DomainError:
    """Why a participant cannot check in to any session with their code. Only a session on one of their own
    cohorts is named: a code for somebody else's session says nothing about it."""
    places = {
        place.cohort_id: place for place in Enrolment.objects.filter(participant__user=by).order_by("pk")
    }
    for session in sessions:
        place = places.get(session.cohort_id)
        if place is None:
            continue
        if place.status not in EXPECTED_STATUSES:
            why = f"your place is {place.get_status_display().lower()} (only accepted or active places are expected)"
        else:
            why = f"it is for group {session.group.name if session.group else ''} only"
        return DomainError(
            f"You are not expected at {_session_on(session)}, so you cannot check in to it: {why}. "
            f"{ASK_THE_FACILITATOR}",
            field="code",
        )
    return DomainError(
        f"That code is for a session you are not expected at. Check the code on the screen. {ASK_THE_FACILITATOR}",
        field="code",
    )


@transaction.atomic
def check_in(*, by: User, code: str) -> CheckIn:
    """Check the participant `by` in with the code on the screen: marked present at the running session
    whose code it is and at which one of their places is expected. Checking in twice changes nothing."""
    code = normalise_code(code)
    if not code:
        raise DomainError("Enter the code shown on the screen.", field="code")
    if len(code) != CODE_LENGTH or any(character not in CODE_ALPHABET for character in code):
        raise DomainError(f"{WRONG_CODE} It has {CODE_LENGTH} letters and numbers.", field="code")
    matches = [
        opened.session
        for opened in CheckInCode.objects.filter(code=code).select_related(
            "session__component", "session__group"
        )
    ]
    if not matches:
        raise DomainError(WRONG_CODE, field="code")
    expected = []
    for session in matches:
        place = expected_places(session).filter(participant__user=by).first()
        if place is not None:
            expected.append((session, place))
    if not expected:
        raise _not_expected(by, matches)
    now = timezone.now()
    running = [(session, place) for session, place in expected if check_in_is_open(session, now=now)]
    if not running:
        raise _closed(expected[0][0], now)
    session, place = running[0]
    # Under the session's lock, as the register takes it: the facilitator may have closed check-in, or be
    # saving the register, at this very moment.
    session = _locked(session)
    if not CheckInCode.objects.filter(session=session, code=code).exists() or not check_in_is_open(
        session, now=now
    ):
        raise _closed(session, now)
    before = (
        Attendance.objects.filter(session=session, enrolment=place).values_list("status", flat=True).first()
    )
    checked_in = CheckIn(session=session, before=before)
    if checked_in.changed:
        # The register's own path: audited, and it queues the cohort's engagement (engagement_changed).
        attendance_mark_present(by=by, session=session, enrolment_id=place.pk, name=by.display_name)
    return checked_in


def _closed(session: Session, now: datetime.datetime) -> DomainError:
    opens, _ = check_in_window(session)
    if now < opens:
        return DomainError(
            f"Check-in for {_session_on(session)} has not opened yet: it opens at {_when(opens)}. "
            "Try again then.",
            field="code",
        )
    return DomainError(
        f"Check-in for this session has closed, so you cannot check in to {_session_on(session)} with this "
        f"code. {ASK_THE_FACILITATOR}",
        field="code",
    )
