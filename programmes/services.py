"""Every write to programmes, their rules and content, cohorts, delivery groups and the timetable.

Each service checks that `by` may manage the provider concerned (npqel/access.py), enforces the domain's
rules and raises DomainError with a message a provider admin can act on.
"""

import datetime
import secrets
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from accounts.models import User
from audit.services import audit_event, audit_record_many
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.words import plural
from participants.services import place_label
from participants.services.engagement import engagement_changed
from programmes.models import (
    CalendarFeed,
    Cohort,
    Component,
    ContentArea,
    DeadlineExtension,
    DeliveryGroup,
    DeliveryPartner,
    FeeOption,
    Instalment,
    LeadershipBehaviour,
    LearningStatement,
    Module,
    PlacementOption,
    Programme,
    Provider,
    Session,
    StaffMembership,
    Task,
)
from programmes.timetable import (
    OUT_OF_YEARS,
    add_months,
    in_timetable_years,
    local_datetime,
    shift_keeping_weekday,
    week_aligned_shift,
)

MAX_SERIES_OCCURRENCES = 52
MAX_WEEKS_APART = 8
FEED_USE_PRECISION = datetime.timedelta(minutes=15)


def _authorise(by: User | None, provider_id: int) -> None:
    """`by=None` is the system itself (a command-line import run by an operator)."""
    if by is not None and not access_for(by).may(Action.MANAGE_PROGRAMMES, provider_id):
        raise PermissionDenied(
            "Only a provider admin of this provider can change its programmes and timetable."
        )


def _save(instance: Any, *, duplicate: DomainError) -> None:
    """Validate field shapes, then save; a unique constraint that fires becomes `duplicate`."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise duplicate from exc


# Programmes and their rules -------------------------------------------------------------------------


# The fields a programme is described by (its rules included); the API serialises the same list.
PROGRAMME_FIELDS = (
    "code",
    "name",
    "framework",
    "duration_months",
    "engagement_threshold",
    "engagement_comparison",
    "engagement_kinds",
    "deadline_months",
    "deferral_pauses_clock",
    "at_risk_margin",
    "at_risk_deadline_days",
    "fee_notes",
)


def _programme_engagement_changed(programme_id: int) -> None:
    """A programme's rules or components changed: every one of its cohorts' engagement is recomputed."""
    engagement_changed(
        cohort_ids=Cohort.objects.filter(programme_id=programme_id).values_list("pk", flat=True)
    )


def _check_programme(programme: Programme) -> None:
    if not programme.name.strip():
        raise DomainError("Enter the programme's name, as you publish it.", field="name")
    if not (Decimal(0) <= Decimal(programme.engagement_threshold) <= Decimal(100)):
        raise DomainError(
            "Enter the engagement threshold as a percentage from 0 to 100.", field="engagement_threshold"
        )
    if programme.deadline_months < 1 or programme.duration_months < 1:
        raise DomainError("Durations and deadlines are whole months, 1 or more.", field="deadline_months")
    if not (Decimal(0) <= Decimal(programme.at_risk_margin) <= Decimal(100)):
        raise DomainError(
            "Enter the early-warning margin as a number of percentage points from 0 to 100.",
            field="at_risk_margin",
        )
    if not (1 <= int(programme.at_risk_deadline_days) <= 730):
        raise DomainError(
            "Enter the early-warning days as a number from 1 to 730.", field="at_risk_deadline_days"
        )
    unknown = set(programme.engagement_kinds) - set(Component.Kind.values)
    if unknown:
        raise DomainError(f"Unknown component kinds: {', '.join(sorted(unknown))}.", field="engagement_kinds")


@transaction.atomic
def programme_create(
    *, by: User, provider: Provider, code: str, name: str, framework: str, **rules: Any
) -> Programme:
    """Create a provider's programme with its rules (any rule not given takes the model's default)."""
    _authorise(by, provider.pk)
    unknown = set(rules) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"Unknown programme fields: {unknown}")
    programme = Programme(provider=provider, code=code, name=name, framework=framework, **rules)
    _check_programme(programme)
    _save(
        programme,
        duplicate=DomainError(
            f"{provider.name} already has a programme with the code “{code}”. Choose another code.",
            field="code",
        ),
    )
    return programme


@transaction.atomic
def programme_update(*, by: User, programme: Programme, **changes: Any) -> Programme:
    """Change a programme's name, code or rules."""
    _authorise(by, programme.provider_id)
    unknown = set(changes) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"Unknown programme fields: {unknown}")
    for name, value in changes.items():
        setattr(programme, name, value)
    _check_programme(programme)
    _save(
        programme,
        duplicate=DomainError(
            f"Another programme already uses the code “{programme.code}”. Choose another code.", field="code"
        ),
    )
    _programme_engagement_changed(programme.pk)
    return programme


@transaction.atomic
def extension_add(
    *, by: User, programme: Programme, applies_from: datetime.date, months: int, reason: str = ""
) -> DeadlineExtension:
    """Add a dated deadline policy, e.g. 24 months for participants starting on or after 1 July 2018."""
    _authorise(by, programme.provider_id)
    if months < 1:
        raise DomainError("Enter the deadline in whole months, 1 or more.", field="months")
    extension = DeadlineExtension(
        programme=programme, applies_from=applies_from, months=months, reason=reason
    )
    _save(
        extension,
        duplicate=DomainError(
            f"There is already a policy for starts from {applies_from:%-d %B %Y}. Remove it first.",
            field="applies_from",
        ),
    )
    return extension


@transaction.atomic
def extension_remove(*, by: User, extension: DeadlineExtension) -> None:
    _authorise(by, extension.programme.provider_id)
    extension.delete()


@transaction.atomic
def fee_option_add(
    *,
    by: User,
    programme: Programme,
    name: str,
    amount: Decimal,
    plus_vat: bool,
    instalments: Iterable[tuple[int, Decimal]] = (),
) -> FeeOption:
    """Add a fee with its instalment plan; the instalments must add up to the fee."""
    _authorise(by, programme.provider_id)
    plan = sorted(instalments)
    if amount < 0:
        raise DomainError("Enter the fee as an amount of £0 or more.", field="amount")
    if plan:
        if len({months for months, _ in plan}) != len(plan):
            raise DomainError(
                "Two instalments fall in the same month. Combine them into one.", field="instalments"
            )
        if any(part <= 0 for _, part in plan):
            raise DomainError("Each instalment must be more than £0.", field="instalments")
        total = sum((part for _, part in plan), Decimal(0))
        if total != amount:
            raise DomainError(
                f"The instalments add up to £{total:,.2f} but the fee is £{amount:,.2f}. Make them equal.",
                field="instalments",
            )
    option = FeeOption(programme=programme, name=name, amount=amount, plus_vat=plus_vat)
    _save(option, duplicate=DomainError(f"There is already a fee called “{name}”.", field="name"))
    Instalment.objects.bulk_create(
        [Instalment(fee_option=option, months_after_start=months, amount=part) for months, part in plan]
    )
    return option


@transaction.atomic
def fee_option_remove(*, by: User, fee_option: FeeOption) -> None:
    _authorise(by, fee_option.programme.provider_id)
    fee_option.delete()


@transaction.atomic
def placement_option_add(
    *,
    by: User,
    programme: Programme,
    name: str,
    cost_from: Decimal = Decimal(0),
    cost_to: Decimal | None = None,
) -> PlacementOption:
    """Add a placement destination and its extra cost (a range; 0 means included in the fee)."""
    _authorise(by, programme.provider_id)
    cost_to = cost_from if cost_to is None else cost_to
    if cost_from < 0 or cost_to < cost_from:
        raise DomainError(
            "Enter a cost range from the lower to the higher amount, both £0 or more.", field="cost_to"
        )
    option = PlacementOption(programme=programme, name=name, cost_from=cost_from, cost_to=cost_to)
    _save(option, duplicate=DomainError(f"There is already a placement called “{name}”.", field="name"))
    return option


@transaction.atomic
def placement_option_remove(*, by: User, placement_option: PlacementOption) -> None:
    _authorise(by, placement_option.programme.provider_id)
    placement_option.delete()


# Content framework ----------------------------------------------------------------------------------


@transaction.atomic
def content_area_create(*, by: User, programme: Programme, title: str) -> ContentArea:
    """Add a content area (legacy) or area of study (reformed) at the end of the list."""
    _authorise(by, programme.provider_id)
    position = programme.content_areas.count() + 1
    area = ContentArea(programme=programme, title=title.strip(), position=position)
    _save(area, duplicate=DomainError(f"“{title}” is already one of this programme's areas.", field="title"))
    return area


@transaction.atomic
def content_area_update(*, by: User, area: ContentArea, title: str) -> ContentArea:
    _authorise(by, area.programme.provider_id)
    area.title = title.strip()
    _save(area, duplicate=DomainError(f"“{title}” is already one of this programme's areas.", field="title"))
    return area


@transaction.atomic
def content_area_remove(*, by: User, area: ContentArea) -> None:
    """Remove an area with its statements; components linked to it lose the link."""
    _authorise(by, area.programme.provider_id)
    area.delete()


@transaction.atomic
def statement_add(*, by: User, area: ContentArea, kind: str, text: str) -> LearningStatement:
    """Add a "learn that" or "learn how to" statement to an area."""
    _authorise(by, area.programme.provider_id)
    if not text.strip():
        raise DomainError("Write the statement.", field="text")
    position = area.statements.filter(kind=kind).count() + 1
    return LearningStatement.objects.create(area=area, kind=kind, text=text.strip(), position=position)


@transaction.atomic
def statement_remove(*, by: User, statement: LearningStatement) -> None:
    _authorise(by, statement.area.programme.provider_id)
    statement.delete()


@transaction.atomic
def behaviour_add(
    *, by: User, programme: Programme, title: str, description: str = ""
) -> LeadershipBehaviour:
    _authorise(by, programme.provider_id)
    behaviour = LeadershipBehaviour(
        programme=programme,
        title=title.strip(),
        description=description,
        position=programme.behaviours.count() + 1,
    )
    _save(
        behaviour,
        duplicate=DomainError(f"“{title}” is already one of this programme's behaviours.", field="title"),
    )
    return behaviour


@transaction.atomic
def behaviour_remove(*, by: User, behaviour: LeadershipBehaviour) -> None:
    _authorise(by, behaviour.programme.provider_id)
    behaviour.delete()


# Components, online courses, modules and tasks ------------------------------------------------------

COMPONENT_FIELDS = (
    "kind",
    "title",
    "description",
    "guided_learning_hours",
    "mode",
    "counts_toward_engagement",
    "required",
)


def _check_component(component: Component, content_areas: Iterable[ContentArea] | None) -> None:
    if component.guided_learning_hours is not None and component.guided_learning_hours < 0:
        raise DomainError(
            "Guided learning hours cannot be negative. Leave it blank if you do not publish hours.",
            field="guided_learning_hours",
        )
    if component.pk and component.kind != Component.Kind.ONLINE_COURSE and component.modules.exists():
        raise DomainError(
            "This component has modules, so it must stay an online course. Remove its modules first.",
            field="kind",
        )
    for area in content_areas or ():
        if area.programme_id != component.programme_id:
            raise DomainError("Link only content areas of this programme.", field="content_areas")


@transaction.atomic
def component_create(
    *,
    by: User,
    programme: Programme,
    kind: str,
    title: str,
    mode: str,
    guided_learning_hours: Decimal | None = None,
    counts_toward_engagement: bool | None = None,
    required: bool = True,
    description: str = "",
    content_areas: Iterable[ContentArea] = (),
) -> Component:
    """Add a component at the end of the programme. Whether it counts toward engagement defaults to the
    programme's rule for its kind."""
    _authorise(by, programme.provider_id)
    if counts_toward_engagement is None:
        counts_toward_engagement = kind in programme.engagement_kinds
    component = Component(
        programme=programme,
        kind=kind,
        title=title.strip(),
        mode=mode,
        guided_learning_hours=guided_learning_hours,
        counts_toward_engagement=counts_toward_engagement,
        required=required,
        description=description,
        position=programme.components.count() + 1,
    )
    areas = list(content_areas)
    _check_component(component, areas)
    _save(
        component,
        duplicate=DomainError(f"This programme already has a component called “{title}”.", field="title"),
    )
    component.content_areas.set(areas)
    _programme_engagement_changed(programme.pk)
    return component


@transaction.atomic
def component_update(
    *, by: User, component: Component, content_areas: Iterable[ContentArea] | None = None, **changes: Any
) -> Component:
    _authorise(by, component.programme.provider_id)
    unknown = set(changes) - set(COMPONENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown component fields: {unknown}")
    for name, value in changes.items():
        setattr(component, name, value)
    areas = None if content_areas is None else list(content_areas)
    _check_component(component, areas)
    _save(
        component,
        duplicate=DomainError(
            f"This programme already has a component called “{component.title}”.", field="title"
        ),
    )
    if areas is not None:
        component.content_areas.set(areas)
    _programme_engagement_changed(component.programme_id)
    return component


@transaction.atomic
def component_remove(*, by: User, component: Component) -> None:
    """Remove a component that has no sessions scheduled."""
    _authorise(by, component.programme.provider_id)
    scheduled = component.sessions.count()
    if scheduled:
        raise DomainError(
            f"“{component.title}” has {plural(scheduled, 'scheduled session')}. "
            "Cancel them before removing the component."
        )
    component.delete()
    _programme_engagement_changed(component.programme_id)


@transaction.atomic
def module_create(*, by: User, course: Component, title: str) -> Module:
    """Add a module to an online course."""
    _authorise(by, course.programme.provider_id)
    if not course.is_online_course:
        raise DomainError(f"“{course.title}” is not an online course, so it cannot have modules.")
    module = Module(course=course, title=title.strip(), position=course.modules.count() + 1)
    _save(module, duplicate=DomainError(f"This course already has a module called “{title}”.", field="title"))
    return module


@transaction.atomic
def module_update(*, by: User, module: Module, title: str) -> Module:
    _authorise(by, module.course.programme.provider_id)
    module.title = title.strip()
    _save(module, duplicate=DomainError(f"This course already has a module called “{title}”.", field="title"))
    return module


@transaction.atomic
def module_remove(*, by: User, module: Module) -> None:
    _authorise(by, module.course.programme.provider_id)
    module.delete()
    _programme_engagement_changed(module.course.programme_id)


@transaction.atomic
def task_create(*, by: User, module: Module, title: str, core: bool, reference: str = "") -> Task:
    """Add a core or optional task to a module."""
    _authorise(by, module.course.programme.provider_id)
    task = Task(
        module=module,
        title=title.strip(),
        core=core,
        reference=reference.strip(),
        position=module.tasks.count() + 1,
    )
    _save(task, duplicate=DomainError(f"This module already has a task called “{title}”.", field="title"))
    _programme_engagement_changed(module.course.programme_id)
    return task


@transaction.atomic
def task_update(*, by: User, task: Task, title: str, core: bool, reference: str | None = None) -> Task:
    _authorise(by, task.module.course.programme.provider_id)
    task.title, task.core = title.strip(), core
    if reference is not None:
        task.reference = reference.strip()
    _save(task, duplicate=DomainError(f"This module already has a task called “{title}”.", field="title"))
    _programme_engagement_changed(task.module.course.programme_id)
    return task


@transaction.atomic
def task_remove(*, by: User, task: Task) -> None:
    _authorise(by, task.module.course.programme.provider_id)
    task.delete()
    _programme_engagement_changed(task.module.course.programme_id)


# Cohorts and delivery groups ------------------------------------------------------------------------

COHORT_FIELDS = {
    "code",
    "intake",
    "start_date",
    "end_date",
    "delivery_partner",
    "recruitment_target",
    "fsm_target_percent",
    "non_white_british_target_percent",
}


def check_date_in_range(day: datetime.date, *, field: str) -> None:
    if not in_timetable_years(day):
        raise DomainError(OUT_OF_YEARS, field=field)


def _check_cohort(cohort: Cohort) -> None:
    check_date_in_range(cohort.start_date, field="start_date")
    check_date_in_range(cohort.end_date, field="end_date")
    if cohort.end_date <= cohort.start_date:
        raise DomainError(
            f"The end date must be after the start date ({cohort.start_date:%-d %B %Y}).", field="end_date"
        )
    partner = cohort.delivery_partner
    if partner is not None and partner.provider_id != cohort.programme.provider_id:
        raise DomainError("Choose one of this provider's delivery partners.", field="delivery_partner")
    for name in ("fsm_target_percent", "non_white_british_target_percent"):
        value = getattr(cohort, name)
        if value is not None and not (0 <= value <= 100):
            raise DomainError("Enter target shares as percentages from 0 to 100.", field=name)
    if not cohort.pk:
        return
    span = cohort.sessions.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    if span["first"] is not None and timezone.localdate(span["first"]) < cohort.start_date:
        raise DomainError(
            f"This cohort has a session on {timezone.localdate(span['first']):%-d %B %Y}, before the new start "
            "date. Move or cancel that session first.",
            field="start_date",
        )
    if span["last"] is not None and timezone.localdate(span["last"]) > cohort.end_date:
        raise DomainError(
            f"This cohort has a session on {timezone.localdate(span['last']):%-d %B %Y}, after the new end "
            "date. Move or cancel that session first.",
            field="end_date",
        )


@transaction.atomic
def cohort_create(
    *,
    by: User,
    programme: Programme,
    code: str,
    intake: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    copy_timetable_from: Cohort | None = None,
    **details: Any,
) -> Cohort:
    """Open a cohort. Without an end date it runs for the programme's duration. With `copy_timetable_from`,
    that cohort's delivery groups and sessions are copied, shifted to the new start (see cohort_copy_timetable)."""
    _authorise(by, programme.provider_id)
    unknown = set(details) - COHORT_FIELDS
    if unknown:
        raise TypeError(f"Unknown cohort fields: {unknown}")
    check_date_in_range(start_date, field="start_date")
    if end_date is None:
        end_date = add_months(start_date, programme.duration_months) - datetime.timedelta(days=1)
    cohort = Cohort(
        programme=programme, code=code, intake=intake, start_date=start_date, end_date=end_date, **details
    )
    _check_cohort(cohort)
    _save(
        cohort,
        duplicate=DomainError(
            f"This programme already has a cohort with the code “{code}”. Choose another code.", field="code"
        ),
    )
    if copy_timetable_from is not None:
        cohort_copy_timetable(by=by, source=copy_timetable_from, target=cohort)
    return cohort


@transaction.atomic
def cohort_update(*, by: User, cohort: Cohort, **changes: Any) -> Cohort:
    _authorise(by, cohort.programme.provider_id)
    unknown = set(changes) - COHORT_FIELDS
    if unknown:
        raise TypeError(f"Unknown cohort fields: {unknown}")
    for name, value in changes.items():
        setattr(cohort, name, value)
    _check_cohort(cohort)
    _save(
        cohort,
        duplicate=DomainError(
            f"This programme already has a cohort with the code “{cohort.code}”.", field="code"
        ),
    )
    engagement_changed(cohort_ids=[cohort.pk])
    return cohort


@transaction.atomic
def cohort_copy_timetable(*, by: User, source: Cohort, target: Cohort) -> list[Session]:
    """Copy `source`'s delivery groups and sessions into `target`, which must have no sessions yet.

    Sessions move by the smallest whole number of weeks covering the gap between the start dates, so each
    keeps its weekday and its local (Europe/London) start and end times, across BST and GMT. Repeats stay
    linked to their copied originals.
    """
    _authorise(by, target.programme.provider_id)
    return copy_timetable(source=source, target=target)


@transaction.atomic
def copy_timetable(*, source: Cohort, target: Cohort) -> list[Session]:
    """cohort_copy_timetable without the permission check, for callers that made it (and the demo loader)."""
    if source.programme_id != target.programme_id:
        raise DomainError(
            "Copy a timetable only from a cohort of the same programme.", field="copy_timetable_from"
        )
    if source.pk == target.pk:
        raise DomainError("Choose a different cohort to copy from.", field="copy_timetable_from")
    existing = target.sessions.count()
    if existing:
        raise DomainError(
            f"{target.code} already has {plural(existing, 'session')}. "
            "Copy a timetable only into a cohort with an empty timetable."
        )
    days = week_aligned_shift(source.start_date, target.start_date)
    # People who have left the provider since are not copied: their sessions and groups stay unassigned.
    still_here = set(
        StaffMembership.objects.filter(
            provider_id=target.programme.provider_id, role__in=FACILITATING_ROLES
        ).values_list("user_id", flat=True)
    )
    groups: dict[int, DeliveryGroup] = {}
    for group in source.groups.prefetch_related("facilitators"):
        copy, _ = DeliveryGroup.objects.get_or_create(
            cohort=target, name=group.name, defaults={"region": group.region}
        )
        copy.facilitators.add(*[person for person in group.facilitators.all() if person.pk in still_here])
        groups[group.pk] = copy
    originals = list(source.sessions.order_by("starts_at", "pk"))
    copies = [
        Session(
            cohort=target,
            component_id=session.component_id,
            group=groups.get(session.group_id) if session.group_id else None,
            title=session.title,
            starts_at=shift_keeping_weekday(session.starts_at, days),
            ends_at=shift_keeping_weekday(session.ends_at, days),
            venue=session.venue,
            online_link=session.online_link,
            capacity=session.capacity,
            facilitator_id=session.facilitator_id if session.facilitator_id in still_here else None,
        )
        for session in originals
    ]
    Session.objects.bulk_create(copies)
    copy_of = {original.pk: copy for original, copy in zip(originals, copies, strict=True)}
    series_map: dict[uuid.UUID, uuid.UUID] = {}
    for original, copy in zip(originals, copies, strict=True):
        if original.repeat_of_id:
            copy.repeat_of = copy_of[original.repeat_of_id]
        if original.series:
            copy.series = series_map.setdefault(original.series, uuid.uuid4())
    Session.objects.bulk_update(copies, ["repeat_of", "series"])
    outside = [
        s for s in copies if not (target.start_date <= timezone.localdate(s.starts_at) <= target.end_date)
    ]
    if outside:
        raise DomainError(
            f"{plural(len(outside), 'copied session')} would fall after the cohort ends on "
            f"{target.end_date:%-d %B %Y} (the first on {timezone.localdate(outside[0].starts_at):%-d %B %Y}). "
            "Choose a later end date.",
            field="end_date",
        )
    engagement_changed(cohort_ids=[target.pk])
    return copies


FACILITATING_ROLES = [StaffMembership.Role.FACILITATOR, StaffMembership.Role.PROVIDER_ADMIN]


def _check_facilitators(provider_id: int, users: Iterable[User]) -> None:
    users = list(users)
    allowed = set(
        StaffMembership.objects.filter(
            provider_id=provider_id, user__in=users, role__in=FACILITATING_ROLES
        ).values_list("user_id", flat=True)
    )
    for user in users:
        if user.pk not in allowed:
            raise DomainError(
                f"{user.display_name} is not a facilitator at this provider. Invite them as a facilitator first.",
                field="facilitators",
            )


@transaction.atomic
def delivery_partner_create(*, by: User, provider: Provider, name: str, region: str = "") -> DeliveryPartner:
    _authorise(by, provider.pk)
    partner = DeliveryPartner(provider=provider, name=name.strip(), region=region)
    _save(partner, duplicate=DomainError(f"“{name}” is already one of your delivery partners.", field="name"))
    return partner


@transaction.atomic
def group_create(
    *, by: User, cohort: Cohort, name: str, region: str = "", facilitators: Iterable[User] = ()
) -> DeliveryGroup:
    """Form a training group in a cohort, with its facilitators."""
    _authorise(by, cohort.programme.provider_id)
    facilitators = list(facilitators)
    _check_facilitators(cohort.programme.provider_id, facilitators)
    group = DeliveryGroup(cohort=cohort, name=name.strip(), region=region)
    _save(group, duplicate=DomainError(f"This cohort already has a group called “{name}”.", field="name"))
    group.facilitators.set(facilitators)
    return group


@transaction.atomic
def group_update(
    *, by: User, group: DeliveryGroup, name: str, region: str, facilitators: Iterable[User]
) -> DeliveryGroup:
    _authorise(by, group.cohort.programme.provider_id)
    facilitators = list(facilitators)
    # Only people being added are checked, so renaming a group does not fail over someone who has left.
    current = set(group.facilitators.values_list("pk", flat=True))
    _check_facilitators(group.cohort.programme.provider_id, [f for f in facilitators if f.pk not in current])
    group.name, group.region = name.strip(), region
    _save(group, duplicate=DomainError(f"This cohort already has a group called “{name}”.", field="name"))
    group.facilitators.set(facilitators)
    return group


@transaction.atomic
def group_remove(*, by: User, group: DeliveryGroup) -> None:
    """Remove a group; its sessions stay, for the whole cohort. Its members are left in no group, which the
    audit trail records for each (one query and one INSERT however many)."""
    _authorise(by, group.cohort.programme.provider_id)
    members = list(group.enrolments.select_related("participant__user", "cohort__programme").order_by("pk"))
    audit_record_many(
        [
            audit_event(
                actor=by,
                action="enrolment.group_changed",
                obj_type="enrolment",
                obj_id=place.pk,
                provider=place.provider_id,
                label=place_label(place),
                before={"group": group.name},
                after={"group": None, "note": f"Group {group.name} removed"},
            )
            for place in members
        ]
    )
    group.delete()
    engagement_changed(cohort_ids=[group.cohort_id])


# Sessions -------------------------------------------------------------------------------------------

SESSION_FIELDS = {
    "component",
    "group",
    "title",
    "starts_at",
    "ends_at",
    "venue",
    "online_link",
    "capacity",
    "facilitator",
    "repeat_of",
}


def _check_session(session: Session, *, check_facilitator: bool = True) -> None:
    cohort = session.cohort
    if session.component.programme_id != cohort.programme_id:
        raise DomainError("Choose a component of this cohort's programme.", field="component")
    if session.group is not None and session.group.cohort_id != cohort.pk:
        raise DomainError("Choose one of this cohort's delivery groups.", field="group")
    if timezone.is_naive(session.starts_at) or timezone.is_naive(session.ends_at):
        raise ValueError("Session times must be timezone-aware")
    if session.ends_at <= session.starts_at:
        raise DomainError("The session must end after it starts. Check the end time.", field="ends_at")
    day = timezone.localdate(session.starts_at)
    if not (cohort.start_date <= day <= cohort.end_date):
        raise DomainError(
            f"{day:%-d %B %Y} is outside the cohort, which runs from {cohort.start_date:%-d %B %Y} "
            f"to {cohort.end_date:%-d %B %Y}.",
            field="starts_at",
        )
    if session.capacity is not None and session.capacity < 1:
        raise DomainError("Enter a capacity of 1 or more, or leave it blank for no limit.", field="capacity")
    if session.facilitator is not None and check_facilitator:
        _check_facilitators(cohort.programme.provider_id, [session.facilitator])
    if session.pk:
        mismatched = session.repeats.exclude(component=session.component).count()
        if mismatched:
            raise DomainError(
                f"This session has {plural(mismatched, 'repeat')} of its component. "
                "Cancel the repeats, or change them, before changing the component.",
                field="component",
            )
    original = session.repeat_of
    if original is not None:
        if original.pk == session.pk:
            raise DomainError("A session cannot be a repeat of itself.", field="repeat_of")
        if original.cohort_id != cohort.pk or original.component_id != session.component_id:
            raise DomainError(
                "A repeat must be of a session of the same cohort and component.", field="repeat_of"
            )
        if original.repeat_of_id is not None:
            raise DomainError("Choose the original session, not another repeat of it.", field="repeat_of")
        if session.pk and session.repeats.exists():
            raise DomainError(
                "This session has repeats of its own, so it cannot be a repeat.", field="repeat_of"
            )


@transaction.atomic
def session_schedule(
    *,
    by: User,
    cohort: Cohort,
    component: Component,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    **details: Any,
) -> Session:
    """Schedule one session of a component for a cohort (or one of its groups)."""
    _authorise(by, cohort.programme.provider_id)
    unknown = set(details) - SESSION_FIELDS
    if unknown:
        raise TypeError(f"Unknown session fields: {unknown}")
    session = Session(cohort=cohort, component=component, starts_at=starts_at, ends_at=ends_at, **details)
    _check_session(session)
    session.save()
    engagement_changed(cohort_ids=[cohort.pk])
    return session


@transaction.atomic
def session_schedule_series(
    *,
    by: User,
    cohort: Cohort,
    component: Component,
    first_day: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    occurrences: int,
    every_weeks: int = 1,
    **details: Any,
) -> list[Session]:
    """Schedule a recurring series: the same local times every `every_weeks` weeks, `occurrences` times."""
    if not (2 <= occurrences <= MAX_SERIES_OCCURRENCES):
        raise DomainError(f"A series has from 2 to {MAX_SERIES_OCCURRENCES} sessions.", field="occurrences")
    if not (1 <= every_weeks <= MAX_WEEKS_APART):
        raise DomainError(f"Repeat every 1 to {MAX_WEEKS_APART} weeks.", field="every_weeks")
    series = uuid.uuid4()
    sessions = []
    for n in range(occurrences):
        day = first_day + datetime.timedelta(weeks=n * every_weeks)
        try:
            sessions.append(
                session_schedule(
                    by=by,
                    cohort=cohort,
                    component=component,
                    starts_at=local_datetime(day, start_time),
                    ends_at=local_datetime(day, end_time),
                    **details,
                )
            )
        except DomainError as error:
            raise DomainError(
                f"Session {n + 1} of the series, on {day:%-d %B %Y}: {error.message}", field=error.field
            ) from error
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(series=series)
    for session in sessions:
        session.series = series
    return sessions


@transaction.atomic
def session_update(*, by: User, session: Session, **changes: Any) -> Session:
    _authorise(by, session.cohort.programme.provider_id)
    unknown = set(changes) - SESSION_FIELDS
    if unknown:
        raise TypeError(f"Unknown session fields: {unknown}")
    before = session.facilitator_id
    for name, value in changes.items():
        setattr(session, name, value)
    # The facilitator is checked only when it changes, so moving a session does not fail over someone who left.
    _check_session(session, check_facilitator=session.facilitator_id != before)
    session.save()
    engagement_changed(cohort_ids=[session.cohort_id])
    return session


@transaction.atomic
def session_cancel(*, by: User, session: Session) -> Session | None:
    """Take a session off the timetable. If it has repeats, the earliest becomes the session the others
    repeat; that one is returned."""
    _authorise(by, session.cohort.programme.provider_id)
    # A session that was held keeps its register: cancelling it would delete the marks engagement counts.
    marks = session.attendances.count()
    if marks:
        raise DomainError(
            f"This session has {plural(marks, 'mark')} on its register, so it was held and cannot be cancelled. "
            "Change the marks on its register instead if they are wrong."
        )
    repeats = list(session.repeats.order_by("starts_at", "pk"))
    successor = repeats[0] if repeats else None
    if successor is not None:
        successor.repeat_of = None
        successor.save(update_fields=["repeat_of"])
        Session.objects.filter(pk__in=[r.pk for r in repeats[1:]]).update(repeat_of=successor)
    session.delete()
    engagement_changed(cohort_ids=[session.cohort_id])
    return successor


# Calendar feeds -------------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_get_or_create(*, user: User) -> CalendarFeed:
    """The user's private calendar feed, created on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user, defaults={"key": secrets.token_urlsafe(32)})
    return feed


@transaction.atomic
def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """Give the user a new feed address; the old one stops working at once."""
    feed = calendar_feed_get_or_create(user=user)
    feed.key = secrets.token_urlsafe(32)
    feed.last_used_at = None
    feed.save(update_fields=["key", "last_used_at"])
    return feed


def calendar_feed_record_use(*, feed: CalendarFeed) -> None:
    """Note that a calendar app fetched the feed, for the calendar page (at most every 15 minutes).

    The fetcher is anonymous (the address is the capability), so there is no `by=`. One conditional UPDATE
    that matches the key as well as the row: a fetch racing a reset cannot undo it, and a fetch of an address
    just replaced records nothing.
    """
    now = timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk, key=feed.key).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - FEED_USE_PRECISION)
    ).update(last_used_at=now)
