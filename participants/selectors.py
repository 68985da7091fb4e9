"""Every read of participants and enrolments, scoped by npqel/access.py."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from npqel.access import Action, access_for, provider_q, require_page
from npqel.queries import count_of
from participants.eligibility import Explanation, Figures, explain
from participants.models import (
    Attendance,
    AttendanceChange,
    CheckInCode,
    Engagement,
    Enrolment,
    EnrolmentChange,
    EnrolmentImport,
    Participant,
    School,
)
from participants.services import (
    Deadline,
    deadline_for,
    expected_places,
    programme_deadline,
    register_is_open,
)
from participants.services.checkin import check_in_window
from participants.services.engagement import engagement_measure
from participants.standing import (
    LIVE_STATUSES,
    at_risk_reasons,
    engagement_of,
    presented_ids,
    risk_reasons,
    with_submitted,
)
from programmes.models import (
    Cohort,
    Component,
    DeliveryGroup,
    FeeOption,
    PlacementOption,
    Programme,
    Session,
    StaffMembership,
    Task,
)
from programmes.selectors import calendar_sessions, cohort_get, session_get


def enrolment_list(*, user: object) -> QuerySet[Enrolment]:
    """Enrolments at providers the user administers, plus the user's own."""
    scope = provider_q(user, Action.VIEW_ENROLMENTS)
    if access_for(user).enrolled_provider_ids:
        # Only for someone enrolled: an OR across the join would stop PostgreSQL using the provider index.
        scope |= Q(participant__user=user)
    return (
        Enrolment.objects.filter(scope)
        .select_related("participant__user", "cohort__programme", "provider")
        # By id: the primary key index serves a page of a national-size list without sorting every row.
        .order_by("pk")
    )


def enrolment_get(*, user: object, pk: int) -> Enrolment:
    return get_object_or_404(enrolment_list(user=user), pk=pk)


# The API's list of enrolments reads plain rows rather than model objects: a page of 100 places with their
# participants, cohorts, programmes, coaches and prefetched histories built about 1,000 objects, which took
# longer than the 60 ms the whole request may (issue 9). What each row's deadline and at-risk flag read is
# fetched for the page alone, by `row_standings`.
ENROLMENT_ROW = {
    "provider_slug": F("provider__slug"),
    "cohort_code": F("cohort__code"),
    "cohort_start": F("cohort__start_date"),
    "programme_id": F("cohort__programme_id"),
    "participant_email": F("participant__user__email"),
    "participant_name": F("participant__user__full_name"),
    "coach_email": F("coach__email"),
}


def enrolment_rows(*, user: object) -> QuerySet[Enrolment, dict[str, Any]]:
    """enrolment_list as dictionaries, by id: the enrolment's own columns and the names the API shows from its
    provider, cohort, participant and coach (ENROLMENT_ROW). Read a page of them by id, then `row_standings`."""
    own = [field.attname for field in Enrolment._meta.concrete_fields]
    return enrolment_list(user=user).values(*own, **ENROLMENT_ROW)


# What a deadline and the at-risk reasons read of a status change.
CHANGE_FIELDS = ("enrolment_id", "from_status", "to_status", "effective_on", "recorded_at")


@dataclass(frozen=True)
class RowStanding:
    """A row's deadline, at-risk reasons and stored engagement (None before its first recompute)."""

    deadline: Deadline
    risks: list[str]
    engagement: Engagement | None


def row_standings(rows: Sequence[dict], *, today: datetime.date) -> dict[int, RowStanding]:
    """Each row's standing by enrolment id, as `standing_of` works it out for an Enrolment, in five queries
    whatever the number of rows: their engagement, whether each has presented, their status changes, and
    their programmes with the programmes' deadline policies. It reads by id alone: the rows must come from
    `enrolment_rows`, which is scoped to the user."""
    ids = [row["id"] for row in rows]
    engagements = {e.enrolment_id: e for e in Engagement.objects.filter(enrolment_id__in=ids)}
    presented = presented_ids(ids)
    changes: dict[int, list[EnrolmentChange]] = {}
    for change in EnrolmentChange.objects.filter(enrolment_id__in=ids).only(*CHANGE_FIELDS).order_by():
        changes.setdefault(change.enrolment_id, []).append(change)
    programmes = Programme.objects.filter(pk__in={row["programme_id"] for row in rows}).prefetch_related(
        "extensions"
    )
    programme_of = {programme.pk: programme for programme in programmes}
    standings = {}
    for row in rows:
        programme, history = programme_of[row["programme_id"]], changes.get(row["id"], [])
        engagement = engagements.get(row["id"])
        deadline = programme_deadline(
            programme, row["start_date"] or row["cohort_start"], history, today=today
        )
        risks = risk_reasons(
            status=row["status"],
            programme=programme,
            engagement=engagement,
            presented=row["id"] in presented,
            deadline=deadline,
            changes=history,
            today=today,
        )
        standings[row["id"]] = RowStanding(deadline=deadline, risks=risks, engagement=engagement)
    return standings


def enrolment_get_with_deadline(*, user: object, pk: int) -> Enrolment:
    """One enrolment with what the API shows of it: its coach, stored engagement, earlier record, status
    changes, the programme's deadline policies and whether it has submitted."""
    places = (
        enrolment_list(user=user)
        .select_related("coach", "engagement", "earlier_record")
        .prefetch_related("changes", "cohort__programme__extensions")
    )
    return get_object_or_404(with_submitted(places), pk=pk)


def enrolment_change_list(*, enrolment: Enrolment) -> QuerySet[EnrolmentChange]:
    """The status history of an enrolment the caller has already been allowed to see, oldest first."""
    return (
        EnrolmentChange.objects.filter(enrolment=enrolment)
        .select_related("changed_by")
        .order_by("effective_on", "recorded_at", "pk")
    )


def participant_list(*, user: object) -> QuerySet[Participant]:
    """Participants with an enrolment at a provider where the user may see enrolments, plus the user's own
    record. Each is annotated with `equality_visible`: whether the user may see that participant's equality
    data (ethnicity, sex, disability, age band), i.e. holds VIEW_EQUALITY_DATA at one of their providers."""
    access = access_for(user)
    enrolled = Enrolment.objects.filter(participant=OuterRef("pk"))
    if access.everywhere(Action.VIEW_ENROLMENTS):
        # Platform staff: every participant, without a semi-join over every enrolment to count them.
        participants = Participant.objects.all()
    else:
        scope = Q(Exists(enrolled.filter(provider_q(user, Action.VIEW_ENROLMENTS))))
        if access.enrolled_provider_ids:
            scope |= Q(user=user)
        participants = Participant.objects.filter(scope)
    equality_visible = (
        Value(True)
        if access.everywhere(Action.VIEW_EQUALITY_DATA)
        else Exists(enrolled.filter(provider_q(user, Action.VIEW_EQUALITY_DATA)))
    )
    return (
        participants.annotate(equality_visible=equality_visible)
        .select_related("user", "school")
        .order_by("pk")
    )


def participant_get(*, user: object, pk: int) -> Participant:
    return get_object_or_404(participant_list(user=user), pk=pk)


def school_list(*, user: object) -> QuerySet[School]:
    """Schools are public reference data (DfE's Get Information About Schools), not any provider's: everyone
    who may see enrolments somewhere (provider admins, platform staff) reads them all; nobody else any."""
    if not access_for(user).anywhere(Action.VIEW_ENROLMENTS):
        return School.objects.none()
    return School.objects.order_by("pk")


def school_get(*, user: object, urn: str) -> School:
    return get_object_or_404(school_list(user=user), urn=urn)


def own_enrolments(*, user: object) -> QuerySet[Enrolment]:
    """The signed-in participant's own enrolments, for their home page."""
    return enrolment_list(user=user).filter(participant__user=user).order_by("cohort__start_date", "pk")


def own_enrolment_details(*, user: object) -> QuerySet[Enrolment]:
    """The signed-in participant's own enrolments with what their home page shows: group, coach, fee and
    instalments, placement, status history and the programme's deadline policies."""
    return (
        own_enrolments(user=user)
        .select_related("group", "coach", "fee_option", "placement_option")
        .prefetch_related(
            "changes", "cohort__programme__extensions", "fee_option__instalments", "certificates"
        )
    )


def own_components(*, user: object) -> QuerySet[Component]:
    """The components of the programmes the signed-in participant is enrolled on, in programme order, each
    with its number of core tasks (online courses)."""
    programmes = own_enrolments(user=user).order_by().values("cohort__programme")
    core_tasks = Task.objects.filter(module__course=OuterRef("pk"), core=True)
    return (
        Component.objects.filter(programme__in=programmes)
        .annotate(core_task_count=count_of(core_tasks, group_by="module__course"))
        .order_by("programme_id", "position", "pk")
    )


def own_sessions(*, user: object, enrolments: Iterable[Enrolment]) -> QuerySet[Session]:
    """The sessions of these (own) enrolments: their cohort's, and their own group's where a session belongs
    to a group. Read through calendar_sessions, so only places accepted, active or deferred get a timetable."""
    mine = Q()
    for enrolment in enrolments:
        theirs = Q(group__isnull=True)
        if enrolment.group_id is not None:
            theirs |= Q(group=enrolment.group_id)
        mine |= Q(cohort=enrolment.cohort_id) & theirs
    if not mine:
        return Session.objects.none()
    return calendar_sessions(user=user).filter(mine)


# The cohort roster and a participant's record (provider admins' pages) --------------------------------

ROSTER_SORTS = ("name", "status", "deadline", "school")
# Filter values standing for "none": a funding route not known yet, no delivery group.
NOT_KNOWN = "not_known"
NO_GROUP = "none"


@dataclass(frozen=True)
class Standing:
    """A place with its deadline and whether (and why) it is at risk, as of `today`."""

    enrolment: Enrolment
    deadline: Deadline
    risks: list[str]
    today: datetime.date

    @property
    def engagement(self) -> Engagement | None:
        return engagement_of(self.enrolment)

    @property
    def live(self) -> bool:
        """Not withdrawn, passed or failed: the deadline still matters."""
        return self.enrolment.status in LIVE_STATUSES

    @property
    def days_left(self) -> int | None:
        return self.deadline.days_left(self.today) if self.live else None


def standing_of(enrolment: Enrolment, *, today: datetime.date, figures: Figures | None = None) -> Standing:
    """Reads the enrolment's prefetched `changes` and `cohort.programme.extensions`; its stored engagement
    unless fresher `figures` are given."""
    changes = list(enrolment.changes.all())
    deadline = deadline_for(enrolment, changes, today=today)
    risks = at_risk_reasons(enrolment, deadline=deadline, changes=changes, today=today, figures=figures)
    return Standing(enrolment=enrolment, deadline=deadline, risks=risks, today=today)


@dataclass(frozen=True)
class Roster:
    cohort: Cohort
    rows: list[Standing]
    total: int  # places on the cohort, before any filter


def roster_cohort(*, user: object, pk: int) -> Cohort:
    """A cohort whose roster the user may see: 403 for a role that never sees enrolments, 404 for another
    provider's cohort (or a missing one)."""
    return cohort_get(user=user, pk=pk, action=Action.VIEW_ENROLMENTS)


def cohort_groups(*, cohort: Cohort) -> QuerySet[DeliveryGroup]:
    """A cohort's delivery groups (the cohort already scoped by the caller), for choice lists."""
    return DeliveryGroup.objects.filter(cohort=cohort).order_by("name", "pk")


def _name(row: Standing) -> tuple[str, int]:
    return (row.enrolment.participant.user.display_name.casefold(), row.enrolment.pk)


def _sorted(rows: list[Standing], sort: str, descending: bool) -> list[Standing]:
    """Sorted by `sort`, people with the same value in name order. Places without the value (ended places
    for a deadline, no school) come last whichever way the rest go."""
    rows = sorted(rows, key=_name)
    if sort == "name":
        return rows[::-1] if descending else rows
    if sort == "status":
        order = {status: n for n, status in enumerate(Enrolment.Status.values)}
        rows.sort(key=lambda row: order[row.enrolment.status], reverse=descending)
    elif sort == "deadline":
        rows.sort(key=lambda row: row.deadline.date, reverse=descending)
        rows.sort(key=lambda row: not row.live)
    elif sort == "school":
        school = lambda row: row.enrolment.participant.school  # noqa: E731
        rows.sort(key=lambda row: school(row).name.casefold() if school(row) else "", reverse=descending)
        rows.sort(key=lambda row: school(row) is None)
    return rows


def roster(
    *,
    user: object,
    cohort: Cohort,
    status: str = "",
    group: str = "",
    funding_route: str = "",
    at_risk: bool = False,
    sort: str = "name",
    descending: bool = False,
    today: datetime.date | None = None,
) -> Roster:
    """The places on a cohort (from roster_cohort) that the user may see, filtered and sorted, each with its
    deadline and at-risk reasons. `group` is a group's id or NO_GROUP; `funding_route` a route or NOT_KNOWN;
    `sort` one of ROSTER_SORTS. The same number of queries for 10 places as for 200."""
    today = today or timezone.localdate()
    places = Enrolment.objects.filter(provider_q(user, Action.VIEW_ENROLMENTS), cohort=cohort)
    total = places.count()
    if status:
        places = places.filter(status=status)
    if group == NO_GROUP:
        places = places.filter(group__isnull=True)
    elif group:
        places = places.filter(group_id=int(group))
    if funding_route:
        places = places.filter(funding_route="" if funding_route == NOT_KNOWN else funding_route)
    places = (
        with_submitted(places)
        .select_related(
            "participant__user",
            "participant__school",
            "group",
            "coach",
            "cohort__programme",
            "engagement",
            "earlier_record",
        )
        .prefetch_related("changes", "cohort__programme__extensions")
    )
    rows = [standing_of(enrolment, today=today) for enrolment in places]
    if at_risk:
        rows = [row for row in rows if row.risks]
    return Roster(cohort=cohort, rows=_sorted(rows, sort, descending), total=total)


def enrolment_record(*, user: object, pk: int) -> Enrolment:
    """One place with everything its record page shows (school, group, coach, fee, placement, the history
    with who recorded each change, the programme's deadline policies): 403 for a role that never sees
    enrolments, 404 for another provider's place."""
    require_page(user, Action.VIEW_ENROLMENTS)
    history = EnrolmentChange.objects.select_related("changed_by").order_by(
        "effective_on", "recorded_at", "pk"
    )
    places = (
        with_submitted(Enrolment.objects.filter(provider_q(user, Action.VIEW_ENROLMENTS)))
        .select_related(
            "participant__user",
            "participant__school",
            "cohort__programme__provider",
            "group",
            "coach",
            "fee_option",
            "placement_option",
            "engagement",
            "earlier_record",
        )
        .prefetch_related(
            Prefetch("changes", queryset=history), "cohort__programme__extensions", "certificates"
        )
    )
    return get_object_or_404(places, pk=pk)


def engagement_explained(*, enrolment: Enrolment, now: datetime.datetime | None = None) -> Explanation:
    """A place's engagement measured now and explained (the place already scoped by the caller): three
    queries whatever the size of the programme."""
    measure, parts = engagement_measure(enrolment_id=enrolment.pk, now=now)
    components = Component.objects.filter(programme_id=enrolment.cohort.programme_id)
    return explain(measure, parts, components, enrolment.cohort.programme)


def enrolment_for_change(*, user: object, pk: int) -> Enrolment:
    """A place the user may change (defer, resume, withdraw, transfer, regroup): 403 for a role that never
    may (platform staff only look), 404 for another provider's place."""
    require_page(user, Action.MANAGE_ENROLMENTS)
    places = Enrolment.objects.filter(provider_q(user, Action.MANAGE_ENROLMENTS)).select_related(
        "participant__user", "cohort__programme", "group", "coach"
    )
    return get_object_or_404(places, pk=pk)


def funding_choices(*, enrolment: Enrolment) -> tuple[QuerySet[FeeOption], QuerySet[PlacementOption]]:
    """The fee options and placement options of the place's programme, to choose from."""
    programme_id = enrolment.cohort.programme_id
    return (
        FeeOption.objects.filter(programme_id=programme_id).prefetch_related("instalments").order_by("name"),
        PlacementOption.objects.filter(programme_id=programme_id).order_by("name"),
    )


def transfer_cohorts(*, enrolment: Enrolment) -> QuerySet[Cohort]:
    """The other cohorts of the place's provider, newest first: where it may move to."""
    return (
        Cohort.objects.filter(programme__provider_id=enrolment.provider_id)
        .exclude(pk=enrolment.cohort_id)
        .select_related("programme")
        .order_by("-start_date", "code", "pk")
    )


def coach_list(*, provider_id: int) -> QuerySet[User]:
    """People holding the coach role at a provider, for choosing a participant's coach."""
    return (
        User.objects.filter(
            memberships__provider_id=provider_id, memberships__role=StaffMembership.Role.COACH
        )
        .distinct()
        .order_by("full_name", "email")
    )


def import_list(*, user: object, provider_id: int | None = None) -> QuerySet[EnrolmentImport]:
    """Uploaded spreadsheets the user may see (optionally of one provider), newest first, without their
    contents."""
    imports = EnrolmentImport.objects.filter(provider_q(user, Action.VIEW_ENROLMENTS))
    if provider_id is not None:
        imports = imports.filter(provider_id=provider_id)
    # Without the file or its report (a large file's report runs to megabytes): a list shows neither.
    return imports.select_related("provider", "uploaded_by", "programme").defer("content", "report")


def import_get(*, user: object, pk: int, action: Action = Action.VIEW_ENROLMENTS) -> EnrolmentImport:
    """One uploaded spreadsheet with its preview or mistakes; another provider's answers 404."""
    require_page(user, action)
    return get_object_or_404(
        EnrolmentImport.objects.filter(provider_q(user, action)).select_related(
            "provider", "uploaded_by", "programme"
        ),
        pk=pk,
    )


# Session registers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    enrolment: Enrolment
    attendance: Attendance | None  # with marked_by and updated_by loaded


@dataclass(frozen=True)
class Register:
    session: Session
    rows: list[RegisterRow]  # the expected places, in name order
    is_open: bool  # the session has started, or starts within the hour

    @property
    def marked(self) -> int:
        return sum(1 for row in self.rows if row.attendance is not None)


def register_session(*, user: object, session_pk: int) -> Session:
    """A session whose register the user may take: 403 for a role that never takes registers; 404 for
    another provider's session (or a missing one)."""
    return session_get(user=user, pk=session_pk, action=Action.TAKE_REGISTER)


def register_for(*, user: object, session_pk: int) -> Register:
    """A session's register: the places expected at it, each with its current mark and who made and changed
    it, 403 or 404 as register_session. Three or four queries (session, its original if a repeat, places,
    marks with their markers) however many people."""
    session = register_session(user=user, session_pk=session_pk)
    marks = Attendance.objects.filter(session=session).select_related("marked_by", "updated_by")
    places = (
        expected_places(session)
        .select_related("participant__user", "group")
        .prefetch_related(Prefetch("attendances", queryset=marks, to_attr="marks"))
    )
    rows = [RegisterRow(enrolment=place, attendance=next(iter(place.marks), None)) for place in places]
    rows.sort(key=lambda row: (row.enrolment.participant.user.display_name.casefold(), row.enrolment.pk))
    return Register(session=session, rows=rows, is_open=register_is_open(session))


def register_progress(*, session: Session) -> tuple[int, int]:
    """How many of the people expected at a session (already scoped by the caller) have a mark, and how many
    are expected: one query."""
    counts = expected_places(session).aggregate(
        expected=Count("pk"),
        marked=Count(
            "pk", filter=Q(Exists(Attendance.objects.filter(session=session, enrolment=OuterRef("pk"))))
        ),
    )
    return counts["marked"], counts["expected"]


# Self check-in ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInPage:
    session: Session
    code: CheckInCode | None  # None: check-in is not open
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    expected: int
    marked: int  # on the register, however marked
    checked_in: int  # who marked themselves with the code (even if the facilitator changed the mark since)

    @property
    def is_open(self) -> bool:
        return self.opens_at <= timezone.now() < self.closes_at

    @property
    def has_ended(self) -> bool:
        return timezone.now() >= self.closes_at


def check_in_page(*, user: object, session_pk: int) -> CheckInPage:
    """A session's check-in: its code (if open), when check-in can run, and how many of those expected have
    checked in and have a mark; 403 or 404 as register_session. Four queries however many people."""
    session = register_session(user=user, session_pk=session_pk)
    code = CheckInCode.objects.filter(session=session).first()
    marks = Attendance.objects.filter(session=session, enrolment=OuterRef("pk"))
    own_marks = AttendanceChange.objects.filter(
        attendance__session=session,
        attendance__enrolment=OuterRef("pk"),
        changed_by=OuterRef("participant__user"),
    )
    counts = expected_places(session).aggregate(
        expected=Count("pk"),
        marked=Count("pk", filter=Q(Exists(marks))),
        checked_in=Count("pk", filter=Q(Exists(own_marks))),
    )
    opens_at, closes_at = check_in_window(session)
    return CheckInPage(session=session, code=code, opens_at=opens_at, closes_at=closes_at, **counts)
