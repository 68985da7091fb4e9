"""Every read of providers, staff, programmes, cohorts and the timetable, scoped by npqel/access.py."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.db.models import Model, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from npqel.access import Action, access_for, provider_q, require_page
from npqel.queries import count_of
from participants.models import Enrolment
from programmes.models import (
    CalendarFeed,
    Cohort,
    Component,
    ContentArea,
    DeliveryGroup,
    DeliveryPartner,
    LeadershipBehaviour,
    Module,
    Programme,
    Provider,
    Session,
    StaffMembership,
)

T = TypeVar("T", bound=Model)


def provider_list(*, user: object) -> QuerySet[Provider]:
    """Providers the user may open, with their head counts for the list page."""
    return (
        Provider.objects.filter(provider_q(user, Action.VIEW_PROVIDER, via="pk"))
        .annotate(
            cohort_count=count_of(
                Cohort.objects.filter(programme__provider=OuterRef("pk")), group_by="programme__provider"
            ),
            staff_count=count_of(
                StaffMembership.objects.filter(provider=OuterRef("pk")), group_by="provider", distinct="user"
            ),
        )
        .order_by("name")
    )


def provider_get(*, user: object, slug: str, action: Action = Action.VIEW_PROVIDER) -> Provider:
    """One provider the user may `action`; 403 if their role never may, 404 if it is not theirs."""
    require_page(user, action)
    return get_object_or_404(Provider.objects.filter(provider_q(user, action, via="pk")), slug=slug)


def cohort_list(*, user: object, provider: Provider | None = None) -> QuerySet[Cohort]:
    """Cohorts the user may see, optionally of one provider, with enrolment counts."""
    qs = Cohort.objects.filter(provider_q(user, Action.VIEW_COHORTS, via="programme__provider"))
    if provider is not None:
        qs = qs.filter(programme__provider=provider)
    still_enrolled = Enrolment.objects.filter(cohort=OuterRef("pk")).exclude(
        status=Enrolment.Status.WITHDRAWN
    )
    return qs.select_related("programme__provider").annotate(
        enrolment_count=count_of(still_enrolled, group_by="cohort")
    )


def membership_list(*, user: object, provider: Provider) -> QuerySet[StaffMembership]:
    """The staff of a provider, for those who manage its people."""
    return (
        StaffMembership.objects.filter(provider_q(user, Action.MANAGE_PEOPLE), provider=provider)
        .select_related("user")
        .order_by("user__email", "role")
    )


# Programmes, their rules and content ------------------------------------------------------------------


@dataclass(frozen=True)
class HourTotals:
    """Guided learning hours of a programme's components, by mode."""

    in_person: Decimal
    online_live: Decimal
    self_directed: Decimal
    unpublished: int  # components whose hours the provider does not publish

    @property
    def synchronous(self) -> Decimal:
        return self.in_person + self.online_live

    @property
    def total(self) -> Decimal:
        return self.in_person + self.online_live + self.self_directed


def hour_totals(components: Iterable[Component]) -> HourTotals:
    """Add up the hours of components already loaded for the page (no query)."""
    by_mode = {mode: Decimal(0) for mode in Component.Mode.values}
    unpublished = 0
    for component in components:
        if component.guided_learning_hours is None:
            unpublished += 1
        else:
            by_mode[component.mode] += component.guided_learning_hours
    return HourTotals(
        in_person=by_mode[Component.Mode.IN_PERSON],
        online_live=by_mode[Component.Mode.ONLINE_LIVE],
        self_directed=by_mode[Component.Mode.SELF_DIRECTED],
        unpublished=unpublished,
    )


def _scoped_get(queryset: QuerySet[T], *, user: object, via: str, action: Action, **lookup: object) -> T:
    """One row reached from a provider through `via`: 403 if the role never may `action`, 404 if not theirs."""
    require_page(user, action)
    return get_object_or_404(queryset.filter(provider_q(user, action, via=via)), **lookup)


def programme_list(*, user: object, provider: Provider | None = None) -> QuerySet[Programme]:
    """Programmes the user may see (optionally of one provider) with their component and cohort counts."""
    programmes = Programme.objects.filter(provider_q(user, Action.VIEW_COHORTS)).select_related("provider")
    if provider is not None:
        programmes = programmes.filter(provider=provider)
    return programmes.annotate(
        component_count=count_of(Component.objects.filter(programme=OuterRef("pk")), group_by="programme"),
        cohort_count=count_of(Cohort.objects.filter(programme=OuterRef("pk")), group_by="programme"),
    ).order_by("provider__name", "name", "pk")


def component_list_visible(*, user: object) -> QuerySet[Component]:
    """Components of every programme the user may see, in programme order, with content areas and module counts."""
    return (
        Component.objects.filter(provider_q(user, Action.VIEW_COHORTS, via="programme__provider"))
        .prefetch_related("content_areas")
        .annotate(module_count=count_of(Module.objects.filter(course=OuterRef("pk")), group_by="course"))
        .order_by("programme_id", "position", "pk")
    )


def programme_get(*, user: object, pk: int, action: Action = Action.VIEW_COHORTS) -> Programme:
    """A programme with its rules loaded (deadline policies, fees and instalments, placements)."""
    return _scoped_get(
        Programme.objects.select_related("provider").prefetch_related(
            "extensions", "fee_options__instalments", "placement_options"
        ),
        user=user,
        via="provider",
        action=action,
        pk=pk,
    )


def component_list(*, programme: Programme) -> QuerySet[Component]:
    """A programme's components in order, with their content areas and module counts (the programme is
    already scoped by programme_get)."""
    return (
        Component.objects.filter(programme=programme)
        .prefetch_related("content_areas")
        .annotate(module_count=count_of(Module.objects.filter(course=OuterRef("pk")), group_by="course"))
        .order_by("position", "pk")
    )


def component_get(*, user: object, pk: int, action: Action = Action.VIEW_COHORTS) -> Component:
    """A component with its programme and, for online courses, its modules and tasks."""
    return _scoped_get(
        Component.objects.select_related("programme__provider").prefetch_related(
            "modules__tasks", "content_areas"
        ),
        user=user,
        via="programme__provider",
        action=action,
        pk=pk,
    )


def content_area_list(*, programme: Programme) -> QuerySet[ContentArea]:
    return (
        ContentArea.objects.filter(programme=programme)
        .prefetch_related("statements")
        .order_by("position", "pk")
    )


def behaviour_list(*, programme: Programme) -> QuerySet[LeadershipBehaviour]:
    return LeadershipBehaviour.objects.filter(programme=programme).order_by("position", "pk")


def programme_part_get(
    model: type[T], *, user: object, pk: int, via: str, action: Action = Action.MANAGE_PROGRAMMES
) -> T:
    """A part of a programme (a deadline policy, fee, placement, area, statement, behaviour, module or task),
    for the pages that change it. `via` is the path from the part to its provider."""
    return _scoped_get(model.objects.all(), user=user, via=via, action=action, pk=pk)


# Cohorts, groups and sessions -----------------------------------------------------------------------


def cohort_get(*, user: object, pk: int, action: Action = Action.VIEW_COHORTS) -> Cohort:
    """One cohort the user may `action`, with its `session_count`."""
    return _scoped_get(
        Cohort.objects.select_related("programme__provider", "delivery_partner").annotate(
            session_count=count_of(Session.objects.filter(cohort=OuterRef("pk")), group_by="cohort")
        ),
        user=user,
        via="programme__provider",
        action=action,
        pk=pk,
    )


def programme_cohort_list(*, programme: Programme) -> QuerySet[Cohort]:
    """A programme's cohorts, newest first, with their session counts."""
    return (
        Cohort.objects.filter(programme=programme)
        .select_related("delivery_partner")
        .annotate(session_count=count_of(Session.objects.filter(cohort=OuterRef("pk")), group_by="cohort"))
        .order_by("-start_date", "pk")
    )


def delivery_partner_list(*, provider: Provider) -> QuerySet[DeliveryPartner]:
    return DeliveryPartner.objects.filter(provider=provider).order_by("name")


def facilitator_list(*, provider: Provider) -> QuerySet[User]:
    """People who may facilitate at a provider: its facilitators and provider admins."""
    return (
        User.objects.filter(
            memberships__provider=provider,
            memberships__role__in=[StaffMembership.Role.FACILITATOR, StaffMembership.Role.PROVIDER_ADMIN],
        )
        .distinct()
        .order_by("full_name", "email")
    )


def group_list(*, cohort: Cohort) -> QuerySet[DeliveryGroup]:
    return (
        DeliveryGroup.objects.filter(cohort=cohort)
        .prefetch_related("facilitators")
        .annotate(session_count=count_of(Session.objects.filter(group=OuterRef("pk")), group_by="group"))
        .order_by("name")
    )


def group_list_visible(*, user: object) -> QuerySet[DeliveryGroup]:
    """Delivery groups of every cohort the user may see, with facilitators and session counts."""
    return (
        DeliveryGroup.objects.filter(provider_q(user, Action.VIEW_COHORTS, via="cohort__programme__provider"))
        .prefetch_related("facilitators")
        .annotate(session_count=count_of(Session.objects.filter(group=OuterRef("pk")), group_by="group"))
        .order_by("cohort_id", "name", "pk")
    )


def group_get(*, user: object, pk: int, action: Action = Action.VIEW_COHORTS) -> DeliveryGroup:
    return _scoped_get(
        DeliveryGroup.objects.select_related("cohort__programme__provider").prefetch_related("facilitators"),
        user=user,
        via="cohort__programme__provider",
        action=action,
        pk=pk,
    )


def _with_session_details(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """What a list of sessions shows. The original of a repeat comes in a second query: one more join
    here costs PostgreSQL more in planning than the whole page of rows costs to read."""
    return (
        sessions.select_related("component", "group", "facilitator", "cohort__programme__provider")
        .prefetch_related(Prefetch("repeat_of", queryset=Session.objects.select_related("component")))
        .order_by("starts_at", "pk")
    )


def session_list(
    *,
    user: object,
    cohort: Cohort | None = None,
    starts_from: datetime.datetime | None = None,
    starts_before: datetime.datetime | None = None,
    with_details: bool = True,
) -> QuerySet[Session]:
    """Sessions the user may see, optionally of one cohort and between two moments. Without details, only
    each session's component is loaded with it (all the API's list shows besides ids)."""
    sessions = Session.objects.filter(cohort__in=_cohorts_where(user, Action.VIEW_COHORTS))
    if cohort is not None:
        sessions = sessions.filter(cohort=cohort)
    if starts_from is not None:
        sessions = sessions.filter(starts_at__gte=starts_from)
    if starts_before is not None:
        sessions = sessions.filter(starts_at__lt=starts_before)
    if not with_details:
        return sessions.select_related("component").order_by("starts_at", "pk")
    return _with_session_details(sessions)


def session_get(*, user: object, pk: int, action: Action = Action.VIEW_COHORTS) -> Session:
    return _scoped_get(
        _with_session_details(Session.objects.all()),
        user=user,
        via="cohort__programme__provider",
        action=action,
        pk=pk,
    )


def _facilitated_by(user: object) -> Q:
    """Sessions someone facilitates: as the session's facilitator or as a facilitator of its group.

    Subqueries rather than joins, so PostgreSQL can use the session indexes and no session is doubled.
    """
    groups = DeliveryGroup.objects.filter(facilitators=user).values("pk")
    return Q(facilitator=user) | Q(group__in=groups)


def _cohorts_where(user: object, action: Action) -> QuerySet[Cohort]:
    return Cohort.objects.filter(provider_q(user, action, via="programme__provider")).values("pk")


def my_sessions(*, user: object) -> QuerySet[Session]:
    """Sessions the user facilitates at providers they still work for."""
    sessions = Session.objects.filter(
        _facilitated_by(user), cohort__in=_cohorts_where(user, Action.VIEW_COHORTS)
    )
    return _with_session_details(sessions)


def calendar_sessions(*, user: object, ends_after: datetime.datetime | None = None) -> QuerySet[Session]:
    """Everything on the user's calendar: what they facilitate, every session at providers they
    administer, and every session of the cohorts where they hold a place (accepted, active or deferred).
    With `ends_after`, only sessions that end after that moment."""
    access = access_for(user)
    # Facilitation counts only while the person still works for that provider.
    wanted = _facilitated_by(user) & Q(cohort__in=_cohorts_where(user, Action.VIEW_COHORTS))
    if access.provider_ids(Action.MANAGE_PROGRAMMES):
        wanted |= Q(cohort__in=_cohorts_where(user, Action.MANAGE_PROGRAMMES))
    if access.enrolled_provider_ids:
        # Places confirmed and not ended: an applicant does not get the timetable (or its online links) yet.
        enrolled = Enrolment.objects.filter(
            participant__user=user,
            status__in=[Enrolment.Status.ACCEPTED, Enrolment.Status.ACTIVE, Enrolment.Status.DEFERRED],
        )
        wanted |= Q(cohort__in=enrolled.values("cohort"))
    sessions = Session.objects.filter(wanted)
    if ends_after is not None:
        sessions = sessions.filter(ends_at__gt=ends_after)
    return _with_session_details(sessions)


def session_file_get(*, user: object, pk: int) -> Session:
    """A session to download as an .ics file: any session of a cohort the user may see, or, for a participant,
    a session of a place they hold (accepted, active or deferred): their cohort's whole-cohort sessions and
    their own group's. 403 for a role that has neither; 404 for any other session."""
    access = access_for(user)
    if not access.anywhere(Action.VIEW_COHORTS) and not access.enrolled_provider_ids:
        require_page(user, Action.VIEW_COHORTS)
    places = Enrolment.objects.filter(
        participant__user=user,
        status__in=[Enrolment.Status.ACCEPTED, Enrolment.Status.ACTIVE, Enrolment.Status.DEFERRED],
    )
    visible = (
        Q(cohort__in=_cohorts_where(user, Action.VIEW_COHORTS))
        | Q(group__isnull=True, cohort__in=places.values("cohort"))
        | Q(group__in=places.filter(group__isnull=False).values("group"))
    )
    return get_object_or_404(_with_session_details(Session.objects.filter(visible)), pk=pk)


def calendar_feed_for_key(*, key: str) -> CalendarFeed:
    """The feed a private calendar address points at; 404 for an unknown or revoked address."""
    return get_object_or_404(
        CalendarFeed.objects.select_related("user").filter(user__is_active=True), key=key
    )
