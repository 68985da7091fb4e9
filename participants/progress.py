"""What a participant's home page works out from their own enrolments: their status and deadline in words,
what is next on their timetable, hours by component, what makes them eligible for the final assessment,
and their fee and instalments. Pure functions over rows the selectors read, plus `participant_home`,
which reads them (a fixed number of queries however many sessions or components there are)."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from assessment.selectors import TaskPosition, task_positions_many
from npqel.words import plural
from participants import selectors
from participants.eligibility import Explanation, explain
from participants.models import Enrolment, EnrolmentChange
from participants.services import Deadline, deadline_for
from participants.services.engagement import Measure, Part, engagement_measure_many
from programmes.models import Component, Programme, Session
from programmes.selectors import HourTotals, hour_totals
from programmes.timetable import add_months, local_datetime, week_start
from programmes.wording import engagement_text, kinds_text, pounds

Status = Enrolment.Status
FundingRoute = Enrolment.FundingRoute

VAT_RATE = Decimal("0.20")
# Places still going, in the order the page shows them; the rest (withdrawn, completed, failed) are past.
CURRENT = (Status.ACTIVE, Status.DEFERRED, Status.ACCEPTED, Status.APPLIED)
# Places with a timetable and a deadline running (an applicant has neither yet).
PLACED = frozenset({Status.ACCEPTED, Status.ACTIVE, Status.DEFERRED})

WHO_PAYS = {
    FundingRoute.FUNDED_PLACE: "You have a DfE funded place: the Department for Education pays for it.",
    FundingRoute.SCHOLARSHIP: "You have a scholarship for your place.",
    FundingRoute.SCHOOL: "Your school or trust pays for your place.",
    FundingRoute.SELF_FUNDED: "You pay for your place yourself.",
}


def day(value: datetime.date) -> str:
    """e.g. "3 March 2025"."""
    return f"{value:%-d %B %Y}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _and_list(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _hours(delta: datetime.timedelta) -> Decimal:
    return (Decimal(int(delta.total_seconds())) / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP)


# Status and deadline -----------------------------------------------------------------------------------


def _latest_change_to(status: str, changes: Sequence[EnrolmentChange]) -> EnrolmentChange | None:
    """The change that brought the place to its current status (changes come oldest first). A transfer to
    another cohort is recorded as a change to the same status: it is not when the status began."""
    return next((c for c in reversed(changes) if c.to_status == status and c.from_status != status), None)


def status_text(enrolment: Enrolment, changes: Sequence[EnrolmentChange], *, today: datetime.date) -> str:
    """The place's status in plain English, e.g. "Deferred since 3 March 2025 (parental leave) — your
    deadline is paused"."""
    status = enrolment.status
    change = _latest_change_to(status, changes)
    since = f" {day(change.effective_on)}" if change else ""
    why = f" ({_lower_first(change.get_reason_display())})" if change and change.reason else ""
    if status == Status.APPLIED:
        return "Applied — your provider has not confirmed your place yet"
    if status == Status.ACCEPTED:
        starts = enrolment.started_on
        if starts > today:
            return f"Accepted — your place starts on {day(starts)}"
        return f"Accepted — your place was due to start on {day(starts)}"
    if status == Status.ACTIVE:
        return "Active"
    if status == Status.DEFERRED:
        clock = (
            "your deadline is paused"
            if enrolment.cohort.programme.deferral_pauses_clock
            else "your deadline is not paused on this programme"
        )
        return f"Deferred{' since' + since if since else ''}{why} — {clock}"
    if status == Status.WITHDRAWN:
        return f"Withdrawn{' on' + since if since else ''}{why}"
    if status == Status.COMPLETED:
        return f"Completed — you passed{' (result on' + since + ')' if since else ''}"
    return f"Not passed{' — result on' + since if since else ''}"


@dataclass(frozen=True)
class DeadlineSummary:
    """The deadline to present for final assessment, with its countdown and the rule behind it."""

    deadline: Deadline
    start: datetime.date
    days_left: int
    headline: str  # "Present your final assessment by 28 February 2027 — 96 days left"
    rule: str  # "18 months from your start on 31 August 2025"
    paused: str  # the days added for deferral, if any

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def deadline_summary(
    enrolment: Enrolment, changes: Sequence[EnrolmentChange], *, today: datetime.date
) -> DeadlineSummary:
    """The deadline from `participants.services.deadline_for`, in words, counted down from `today`."""
    deadline = deadline_for(enrolment, changes, today=today)
    left = deadline.days_left(today)
    due = day(deadline.date)
    if left > 0:
        headline = f"Present your final assessment by {due} — {plural(left, 'day')} left"
    elif left == 0:
        headline = f"Present your final assessment by {due} — that is today"
    else:
        headline = f"Your deadline to present your final assessment was {due} — {plural(-left, 'day')} ago"
    if deadline.paused_now:
        paused = (
            f"Your deadline is paused while you are deferred: it has moved on by {plural(deadline.paused_days, 'day')} "
            "so far, and moves on a day for every day until you resume."
        )
    elif deadline.paused_days:
        paused = f"This includes {plural(deadline.paused_days, 'day')} added for the time you were deferred."
    else:
        paused = ""
    return DeadlineSummary(
        deadline=deadline,
        start=enrolment.started_on,
        days_left=left,
        headline=headline,
        rule=f"{plural(deadline.months, 'month')} from your start on {day(enrolment.started_on)}",
        paused=paused,
    )


# What is next ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIsNext:
    """The participant's sessions still to come this week and next, and the first one still to come."""

    this_week: list[Session]
    next_week: list[Session]
    next_session: Session | None


def what_is_next(sessions: Iterable[Session], *, now: datetime.datetime) -> WhatIsNext:
    """Sessions (in time order) that have not ended, split into this week (to Sunday) and next week, in UK time."""
    monday = week_start(timezone.localdate(now))
    next_monday = local_datetime(monday + datetime.timedelta(days=7), datetime.time.min)
    after_next = local_datetime(monday + datetime.timedelta(days=14), datetime.time.min)
    upcoming = [session for session in sessions if session.ends_at > now]
    return WhatIsNext(
        this_week=[s for s in upcoming if s.starts_at < next_monday],
        next_week=[s for s in upcoming if next_monday <= s.starts_at < after_next],
        next_session=upcoming[0] if upcoming else None,
    )


# Progress by component ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentProgress:
    """A component's planned hours beside the hours of its sessions held so far for the participant's cohort
    and group. Attendance registers (issue 5) will add the hours attended beside `held_hours`."""

    component: Component
    session_count: int  # timetabled for them; a session and its repeat count once
    held_count: int
    held_hours: Decimal

    @property
    def planned_hours(self) -> Decimal | None:
        return self.component.guided_learning_hours

    @property
    def held_percent(self) -> int | None:
        """Hours held as a share of the planned hours (at most 100), where hours are published."""
        planned = self.planned_hours
        if not planned:
            return None
        return min(100, int((self.held_hours / planned * 100).to_integral_value(ROUND_HALF_UP)))


def component_progress(
    components: Iterable[Component], sessions: Iterable[Session], *, now: datetime.datetime
) -> list[ComponentProgress]:
    """One row per component, in programme order. A session and its repeat are the same content run twice:
    they count once, as the one held first."""
    timetabled: dict[int, set[int]] = {}
    held: dict[int, dict[int, Decimal]] = {}
    for session in sessions:
        content = session.repeat_of_id or session.pk
        timetabled.setdefault(session.component_id, set()).add(content)
        if session.ends_at <= now:
            held.setdefault(session.component_id, {}).setdefault(
                content, _hours(session.ends_at - session.starts_at)
            )
    return [
        ComponentProgress(
            component=component,
            session_count=len(timetabled.get(component.pk, ())),
            held_count=len(held.get(component.pk, {})),
            held_hours=sum(held.get(component.pk, {}).values(), Decimal(0)),
        )
        for component in components
    ]


# Eligibility for the final assessment ------------------------------------------------------------------


def eligibility_steps(programme: Programme, components: Sequence[Component]) -> list[str]:
    """What the programme's rules ask of a participant before the final assessment, in plain words.
    Components are the programme's, annotated with `core_task_count`."""
    counted = [component for component in components if component.counts_toward_engagement]
    kinds: list[str] = []
    for component in counted:
        label = _lower_first(component.get_kind_display())
        if label not in kinds:
            kinds.append(label)
    if not kinds and not components:
        kinds = [_lower_first(label) for label in kinds_text(programme)]
    if kinds:
        steps = [f"Take part in {engagement_text(programme)} of the hours of: {_and_list(kinds)}"]
    else:
        steps = [f"Take part in {engagement_text(programme)} of the programme"]
    for course in components:
        if course.is_online_course and course.core_task_count:
            steps.append(
                f"Complete every core task of the online course “{course.title}” "
                f"({plural(course.core_task_count, 'task')})"
            )
    # Required components outside the engagement hours (a 360° diagnostic, a placement) must each be done.
    required = [c.title for c in components if c.required and not c.counts_toward_engagement]
    if required:
        steps.append(
            f"Complete the required component{'s' if len(required) > 1 else ''}: {_and_list(required)}"
        )
    return steps


# Funding and instalments -------------------------------------------------------------------------------


def with_vat(amount: Decimal) -> Decimal:
    return (amount * (1 + VAT_RATE)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def price_text(amount: Decimal, *, plus_vat: bool, including_vat: Decimal | None = None) -> str:
    """ "£4,800" or "£4,800 + VAT (£5,760 with VAT)". `including_vat` overrides the amount with VAT (the last
    instalment's, which takes what rounding left over)."""
    if not plus_vat:
        return pounds(amount)
    total = with_vat(amount) if including_vat is None else including_vat
    return f"{pounds(amount)} + VAT ({pounds(total)} with VAT)"


def instalments_with_vat(amounts: list[Decimal]) -> list[Decimal]:
    """Each instalment with VAT, rounded to the penny, the last taking the remainder so that they add up to
    the total with VAT: £333.33, £333.33 and £333.34 + VAT are £400, £400 and £400 (not £400.01), as
    £1,000 + VAT is £1,200."""
    if not amounts:
        return []
    firsts = [with_vat(amount) for amount in amounts[:-1]]
    return [*firsts, with_vat(sum(amounts, Decimal(0))) - sum(firsts, Decimal(0))]


@dataclass(frozen=True)
class InstalmentDue:
    """One instalment of the participant's fee, dated from their start."""

    amount: str
    due_on: datetime.date
    was_due: bool  # its date has passed (whether it was paid is the provider's to record)


@dataclass(frozen=True)
class Funding:
    """Who pays for the place, and what the participant's fee option costs and when."""

    who_pays: str
    fee_name: str
    price: str
    total_with_vat: str  # empty unless the fee is plus VAT
    instalments: list[InstalmentDue]
    placement: str
    not_recorded: bool  # neither a funding route nor a fee option yet


def funding_for(enrolment: Enrolment, *, today: datetime.date) -> Funding:
    """The funding route in words, the fee option with VAT at 20% where it is plus VAT, and each instalment
    due `months_after_start` months after the participant's start (month ends clamp)."""
    fee = enrolment.fee_option
    placement = enrolment.placement_option
    instalments = []
    if fee is not None:
        parts = sorted(fee.instalments.all(), key=lambda i: i.months_after_start)
        # The instalments add up to the fee (the service checks), so these add up to the total with VAT.
        totals = instalments_with_vat([part.amount for part in parts])
        for part, including_vat in zip(parts, totals, strict=True):
            due = add_months(enrolment.started_on, part.months_after_start)
            amount = price_text(part.amount, plus_vat=fee.plus_vat, including_vat=including_vat)
            instalments.append(InstalmentDue(amount=amount, due_on=due, was_due=due < today))
    return Funding(
        who_pays=WHO_PAYS.get(enrolment.funding_route, ""),
        fee_name=fee.name if fee else "",
        price=(pounds(fee.amount) + (" + VAT" if fee.plus_vat else "")) if fee else "",
        total_with_vat=f"{pounds(with_vat(fee.amount))} including VAT at 20%" if fee and fee.plus_vat else "",
        instalments=instalments,
        placement=f"{placement.name}: {placement.cost_text}" if placement else "",
        not_recorded=fee is None and not enrolment.funding_route,
    )


# The whole page ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One of the participant's enrolments as their home page shows it. Past places carry only a status."""

    enrolment: Enrolment
    status: str
    current: bool
    deadline: DeadlineSummary | None = None
    next: WhatIsNext | None = None
    progress: tuple[ComponentProgress, ...] = ()
    totals: HourTotals | None = None
    held_hours: Decimal = Decimal(0)
    steps: tuple[str, ...] = ()
    funding: Funding | None = None
    engagement: Explanation | None = None
    assessment: tuple[TaskPosition, ...] = ()  # each task of the final assessment, briefly

    @property
    def placed(self) -> bool:
        return self.enrolment.status in PLACED


def _order(enrolment: Enrolment) -> tuple[int, int]:
    status = enrolment.status
    rank = CURRENT.index(status) if status in CURRENT else len(CURRENT)
    return rank, -enrolment.started_on.toordinal()


def build_places(
    enrolments: Iterable[Enrolment],
    components: Iterable[Component],
    sessions: Iterable[Session],
    *,
    now: datetime.datetime,
    measures: dict[int, tuple[Measure, list[Part]]] | None = None,
    assessment: dict[int, list[TaskPosition]] | None = None,
) -> list[Place]:
    """Current places first (active, deferred, accepted, applied; latest start first), then past ones.
    `measures` holds the engagement of placed enrolments (engagement_measure), by enrolment id."""
    measures = measures or {}
    assessment = assessment or {}
    today = timezone.localdate(now)
    by_programme: dict[int, list[Component]] = {}
    for component in components:
        by_programme.setdefault(component.programme_id, []).append(component)
    by_cohort: dict[int, list[Session]] = {}
    for session in sessions:
        by_cohort.setdefault(session.cohort_id, []).append(session)
    places = []
    for enrolment in sorted(enrolments, key=_order):
        changes = sorted(enrolment.changes.all(), key=lambda c: (c.effective_on, c.recorded_at, c.pk))
        status = status_text(enrolment, changes, today=today)
        if enrolment.status not in CURRENT:
            places.append(Place(enrolment=enrolment, status=status, current=False))
            continue
        programme = enrolment.cohort.programme
        own_components = by_programme.get(programme.pk, [])
        placed = enrolment.status in PLACED
        timetable = by_cohort.get(enrolment.cohort_id, []) if placed else []
        progress = component_progress(own_components, timetable, now=now) if placed else []
        places.append(
            Place(
                enrolment=enrolment,
                status=status,
                current=True,
                deadline=deadline_summary(enrolment, changes, today=today) if placed else None,
                next=what_is_next(timetable, now=now) if placed else None,
                progress=tuple(progress),
                totals=hour_totals(own_components),
                held_hours=sum((row.held_hours for row in progress), Decimal(0)),
                steps=tuple(eligibility_steps(programme, own_components)),
                funding=funding_for(enrolment, today=today),
                engagement=explain(*measures[enrolment.pk], own_components, programme)
                if enrolment.pk in measures
                else None,
                assessment=tuple(assessment.get(enrolment.pk, ())),
            )
        )
    return places


@dataclass(frozen=True)
class HomePage:
    """The participant's part of their home page: current places in full, past ones briefly."""

    current: list[Place]
    past: list[Place]


def participant_home(*, user: object, now: datetime.datetime | None = None) -> HomePage:
    """The signed-in participant's places for their home page, read through the participant selectors."""
    now = now or timezone.now()
    enrolments = list(selectors.own_enrolment_details(user=user))
    current = [enrolment for enrolment in enrolments if enrolment.status in CURRENT]
    placed = [enrolment for enrolment in current if enrolment.status in PLACED]
    components = list(selectors.own_components(user=user)) if current else []
    sessions = list(selectors.own_sessions(user=user, enrolments=placed)) if placed else []
    # Fresh, not the stored row: the participant sees a check-in or a logged hour count at once.
    measures = engagement_measure_many(enrolment_ids=[e.pk for e in placed], now=now) if placed else {}
    assessment = task_positions_many(enrolments=placed, now=now) if placed else {}
    places = build_places(enrolments, components, sessions, now=now, measures=measures, assessment=assessment)
    return HomePage(
        current=[place for place in places if place.current],
        past=[place for place in places if not place.current],
    )
