"""Who may mark which script, and giving scripts to assessors: the exclusion rules (school, coach, facilitator,
declared conflict, earlier marker), the balancing plan within each assessor's capacity, and the services that
write allocations (a run over a task's scripts, a manual move, an assessor's declared conflict).

An assessor is a user with the assessor role at a provider: that provider's pool. Capacity is per person, so
the load counts their live allocations at every provider.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from accounts.models import User
from assessment import routing
from assessment.models import (
    DEFAULT_ASSESSOR_CAPACITY,
    Allocation,
    AssessmentTask,
    AssessorProfile,
    ConflictDeclaration,
    Marking,
    Result,
    Submission,
)
from assessment.services import submission_label
from audit.services import audit_event, audit_record, audit_record_many
from npqel.access import Action, require
from npqel.errors import DomainError
from npqel.words import plural
from participants.models import CoachingSession, Participant
from programmes.models import Cohort, DeliveryGroup, Provider, Session, StaffMembership

SUBMITTED = (Submission.Status.SUBMITTED, Submission.Status.LATE_WITH_EXTENSION)
# Places whose scripts are not marked (nor wait for release) while they are in this state.
NOT_MARKED = ("withdrawn", "deferred")
CONFLICT_DECLARED = "Conflict declared"
# One lock for every allocation write: capacity is shared across providers, so two providers' runs must not
# both give the same assessor their last free place. Runs are rare and short; one lock costs nothing.
ALLOCATION_LOCK = 7_000_001

# What an earlier allocation of another kind makes of its assessor, for second marking and the lead's decision.
EARLIER_ROLE = {
    Allocation.Kind.FIRST: "Marked it first",
    Allocation.Kind.SECOND: "Marked it second",
    Allocation.Kind.LEAD: "Made the lead assessor's decision on it",
}


@dataclass(frozen=True)
class Exclusion:
    """One assessor who may not mark a script, and why."""

    assessor: User
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PlanLine:
    """One script in a plan: the assessor chosen, or why nobody could be (`problem`), and every exclusion."""

    submission: Submission
    assessor: User | None
    problem: str
    exclusions: tuple[Exclusion, ...]


@dataclass(frozen=True)
class Plan:
    """The allocation of a set of scripts, decided but not written (allocation_run writes it)."""

    kind: str
    lines: tuple[PlanLine, ...]

    @property
    def allocated(self) -> list[PlanLine]:
        return [line for line in self.lines if line.assessor is not None]

    @property
    def unallocated(self) -> list[PlanLine]:
        return [line for line in self.lines if line.assessor is None]


# Rules ------------------------------------------------------------------------------------------------------


def _load_submissions(submissions: Iterable[Submission]) -> list[Submission]:
    """The scripts with what the rules read (participant, school, group), in candidate-number order."""
    related = ("enrolment__participant__school", "enrolment__group")
    if isinstance(submissions, QuerySet):
        queryset = submissions.select_related(*related)
    else:
        queryset = Submission.objects.filter(pk__in=[s.pk for s in submissions]).select_related(*related)
    return list(queryset.order_by("candidate_number"))


def _exclusions(
    loaded: list[Submission], assessors: list[User], kind: str, today: datetime.date
) -> dict[int, dict[int, list[str]]]:
    """Reasons per submission id and assessor id, in a fixed number of queries whatever the number of rows."""
    assessor_ids = [a.pk for a in assessors]
    enrolments = [s.enrolment for s in loaded]
    school_ids = {e.participant.school_id for e in enrolments if e.participant.school_id}
    group_ids = {e.group_id for e in enrolments if e.group_id}
    cohort_ids = {e.cohort_id for e in enrolments}
    participant_ids = {e.participant_id for e in enrolments}

    works_at: set[tuple[int, int]] = set(
        AssessorProfile.schools.through.objects.filter(
            assessorprofile__user_id__in=assessor_ids, school_id__in=school_ids
        ).values_list("assessorprofile__user_id", "school_id")
    )
    trusts = {
        e.participant.school.trust
        for e in enrolments
        if e.participant.school_id and e.participant.school.trust
    }
    in_trust: set[tuple[int, str]] = set(
        AssessorProfile.schools.through.objects.filter(
            assessorprofile__user_id__in=assessor_ids, school__trust__in=trusts
        ).values_list("assessorprofile__user_id", "school__trust")
    )
    group_facilitators: set[tuple[int, int]] = set(
        DeliveryGroup.facilitators.through.objects.filter(
            deliverygroup_id__in=group_ids, user_id__in=assessor_ids
        ).values_list("user_id", "deliverygroup_id")
    )
    # The first session each assessor facilitated for a cohort (whole cohort: group None, or one group).
    sessions: dict[tuple[int, int, int | None], datetime.datetime] = {
        (row["facilitator_id"], row["cohort_id"], row["group_id"]): row["first"]
        for row in Session.objects.filter(cohort_id__in=cohort_ids, facilitator_id__in=assessor_ids)
        .values("facilitator_id", "cohort_id", "group_id")
        .annotate(first=Min("starts_at"))
    }
    coached: set[tuple[int, int]] = set(
        CoachingSession.objects.filter(
            enrolment__participant_id__in=participant_ids, coach_id__in=assessor_ids
        ).values_list("coach_id", "enrolment__participant_id")
    )
    conflicts: dict[tuple[int, int], str] = {
        (assessor_id, participant_id): reason
        for assessor_id, participant_id, reason in ConflictDeclaration.objects.filter(
            assessor_id__in=assessor_ids, participant_id__in=participant_ids
        ).values_list("assessor_id", "participant_id", "reason")
    }
    earlier: dict[tuple[int, int], set[str]] = defaultdict(set)
    for assessor_id, submission_id, earlier_kind in (
        Allocation.objects.filter(submission__in=[s.pk for s in loaded], assessor_id__in=assessor_ids)
        .exclude(kind=kind)
        .values_list("assessor_id", "submission_id", "kind")
    ):
        earlier[(assessor_id, submission_id)].add(earlier_kind)

    result: dict[int, dict[int, list[str]]] = {}
    for submission in loaded:
        enrolment = submission.enrolment
        participant = enrolment.participant
        by_assessor: dict[int, list[str]] = {}
        for assessor_id in assessor_ids:
            reasons: list[str] = []
            if participant.user_id == assessor_id:
                reasons.append("Is the participant")
            if participant.school_id and (assessor_id, participant.school_id) in works_at:
                reasons.append(f"Works at {participant.school.name}, the participant's school")
            elif participant.school_id and (assessor_id, participant.school.trust) in in_trust:
                reasons.append(f"Works in {participant.school.trust}, the participant's trust")
            if enrolment.coach_id == assessor_id or (assessor_id, participant.pk) in coached:
                reasons.append("Coaches the participant")
            if enrolment.group_id and (assessor_id, enrolment.group_id) in group_facilitators:
                reasons.append(f"Facilitates the participant's group ({enrolment.group.name})")
            # Sessions for the whole cohort, and those for the participant's own group.
            keys = [(assessor_id, enrolment.cohort_id, None)]
            if enrolment.group_id:
                keys.append((assessor_id, enrolment.cohort_id, enrolment.group_id))
            firsts = [sessions[key] for key in keys if key in sessions]
            if firsts:
                if timezone.localdate(min(firsts)) <= today:
                    reasons.append("Facilitated a session the participant's cohort attended")
                else:
                    reasons.append("Is timetabled to facilitate a session for the participant's cohort")
            if (assessor_id, participant.pk) in conflicts:
                reasons.append(f"Declared a conflict: {conflicts[(assessor_id, participant.pk)]}")
            for earlier_kind in Allocation.Kind.values:
                if earlier_kind in earlier.get((assessor_id, submission.pk), ()):
                    reasons.append(EARLIER_ROLE[Allocation.Kind(earlier_kind)])
            by_assessor[assessor_id] = reasons
        result[submission.pk] = by_assessor
    return result


def exclusions_for_many(
    submissions: Iterable[Submission],
    assessors: Iterable[User],
    kind: str = Allocation.Kind.FIRST,
    *,
    today: datetime.date | None = None,
) -> dict[int, dict[int, list[str]]]:
    """For each submission id, each assessor id's reasons not to mark it (empty: they may)."""
    return _exclusions(_load_submissions(submissions), list(assessors), kind, today or timezone.localdate())


def exclusion_reasons(
    *,
    submission: Submission,
    assessors: Iterable[User],
    kind: str = Allocation.Kind.FIRST,
    today: datetime.date | None = None,
) -> dict[int, list[str]]:
    """Each assessor id's reasons not to mark this script, in words a provider admin reads (empty: they may)."""
    return exclusions_for_many([submission], assessors, kind, today=today).get(submission.pk, {})


# The plan ---------------------------------------------------------------------------------------------------


def assessor_pool(provider: Provider, *, leads_only: bool = False) -> list[User]:
    """The provider's assessors (or only its lead assessors), in name order."""
    assessors = User.objects.filter(
        memberships__provider=provider, memberships__role=StaffMembership.Role.ASSESSOR, is_active=True
    )
    if leads_only:
        assessors = assessors.filter(assessor_profile__is_lead=True)
    return list(assessors.distinct().order_by("full_name", "email", "pk"))


def capacities(assessor_ids: Iterable[int]) -> dict[int, int]:
    """Scripts each assessor can hold at once (20 for one without a profile)."""
    ids = list(assessor_ids)
    known = dict(AssessorProfile.objects.filter(user_id__in=ids).values_list("user_id", "capacity"))
    return {pk: known.get(pk, DEFAULT_ASSESSOR_CAPACITY) for pk in ids}


def live_loads(assessor_ids: Iterable[int]) -> dict[int, int]:
    """Scripts each assessor holds to mark, at every provider: live allocations not yet marked (a submitted
    marking, or the lead's decision, frees its place)."""
    ids = list(assessor_ids)
    counted = dict(
        Allocation.objects.filter(assessor_id__in=ids, ended_at__isnull=True)
        .exclude(marking__status=Marking.Status.SUBMITTED)
        .exclude(kind=Allocation.Kind.LEAD, submission__result__isnull=False)
        .values("assessor_id")
        .annotate(n=Count("pk"))
        .values_list("assessor_id", "n")
    )
    return {pk: counted.get(pk, 0) for pk in ids}


def _nobody_problem(reasons: dict[int, list[str]], full: list[User]) -> str:
    conflicted = sum(1 for r in reasons.values() if r)
    parts = []
    if conflicted:
        parts.append(f"{plural(conflicted, 'assessor')} cannot mark it")
    if full:
        parts.append(f"{plural(len(full), 'assessor')} full ({', '.join(a.display_name for a in full)})")
    return f"Every assessor has a conflict or is full: {' and '.join(parts)}."


def allocation_plan(
    *,
    provider: Provider,
    submissions: Iterable[Submission],
    kind: str = Allocation.Kind.FIRST,
    today: datetime.date,
) -> Plan:
    """Decide, without writing, which assessor of the provider's pool marks each script: never an excluded one,
    never above capacity, the least loaded first (ties by name, then id), scripts in candidate-number order."""
    loaded = _load_submissions(submissions)
    pool = assessor_pool(provider, leads_only=kind == Allocation.Kind.LEAD)
    if not loaded:
        return Plan(kind=kind, lines=())
    if not pool:
        if kind == Allocation.Kind.LEAD:
            problem = (
                f"{provider.name} has no lead assessor yet. Make an assessor a lead assessor on the "
                "allocation page, then allocate again."
            )
        else:
            problem = f"{provider.name} has no assessors yet. Invite an assessor, then allocate again."
        return Plan(kind=kind, lines=tuple(PlanLine(s, None, problem, ()) for s in loaded))
    by_id = {a.pk: a for a in pool}
    capacity = capacities(by_id)
    load = live_loads(by_id)
    excluded = _exclusions(loaded, pool, kind, today)

    lines = []
    for submission in loaded:
        reasons = excluded[submission.pk]
        exclusions = tuple(Exclusion(by_id[pk], tuple(r)) for pk, r in reasons.items() if r)
        free = [a for a in pool if not reasons[a.pk] and load[a.pk] < capacity[a.pk]]
        if not free:
            full = [a for a in pool if not reasons[a.pk]]
            lines.append(PlanLine(submission, None, _nobody_problem(reasons, full), exclusions))
            continue
        chosen = min(free, key=lambda a: (load[a.pk], a.display_name.casefold(), a.pk))
        load[chosen.pk] += 1
        lines.append(PlanLine(submission, chosen, "", exclusions))
    return Plan(kind=kind, lines=tuple(lines))


# Writes -----------------------------------------------------------------------------------------------------


def _lock() -> None:
    """One allocation write at a time, across providers (capacity is per person). SQLite (`make run` without
    PostgreSQL) already lets only one transaction write at a time."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ALLOCATION_LOCK])


def scripts_awaiting(scripts: QuerySet[Submission], kind: str) -> list[Submission]:
    """Of these submitted scripts, those waiting for an allocation of this kind: first marking, not yet
    allocated; second marking, a first marking that routing sends on (assessment/routing.py); the lead's
    decision, two markings that need it. None with a result already."""
    scripts = scripts.filter(result__isnull=True).exclude(
        allocations__kind=kind, allocations__ended_at__isnull=True
    )
    if kind == Allocation.Kind.FIRST:
        return list(scripts)
    firsts: dict[int, Marking] = {}
    seconds: dict[int, Marking] = {}
    for marking in Marking.objects.filter(
        allocation__submission__in=scripts,
        allocation__kind__in=[Allocation.Kind.FIRST, Allocation.Kind.SECOND],
        status=Marking.Status.SUBMITTED,
    ).select_related("allocation__submission__task__mark_scheme"):
        mine = firsts if marking.allocation.kind == Allocation.Kind.FIRST else seconds
        mine[marking.allocation.submission_id] = marking
    waiting = []
    for script in scripts:
        first = firsts.get(script.pk)
        if first is None:
            continue
        if kind == Allocation.Kind.SECOND:
            if script.pk not in seconds and routing.second_marking(first).needed:
                waiting.append(script)
        elif script.pk in seconds and routing.lead_decision(first, seconds[script.pk]).needed:
            waiting.append(script)
    return waiting


def _allocation_label(submission: Submission, task: AssessmentTask, kind: str) -> str:
    """By candidate number only, as assessors know the script."""
    return f"{submission_label(submission, task=task)} ({Allocation.Kind(kind).label.lower()})"


def _write(
    plan: Plan, *, by: User | None, due_on: datetime.date, provider_id: int, task: AssessmentTask
) -> None:
    """Write the plan's allocations and their audit events: two INSERTs however many scripts."""
    now = timezone.now()
    made = Allocation.objects.bulk_create(
        Allocation(
            submission=line.submission,
            kind=plan.kind,
            assessor=line.assessor,
            allocated_by=by,
            allocated_at=now,
            due_on=due_on,
        )
        for line in plan.allocated
    )
    audit_record_many(
        [
            audit_event(
                actor=by,
                action="allocation.made",
                obj_type="allocation",
                obj_id=allocation.pk,
                provider=provider_id,
                label=_allocation_label(allocation.submission, task, plan.kind),
                before=None,
                after={"assessor": allocation.assessor.display_name, "due_on": due_on},
                at=now,
            )
            for allocation in made
        ]
    )


@transaction.atomic
def allocation_run(
    *,
    by: User,
    provider: Provider,
    task: AssessmentTask,
    cohort: Cohort | None = None,
    kind: str = Allocation.Kind.FIRST,
    due_on: datetime.date,
) -> Plan:
    """Allocate the task's submitted scripts at the provider (or one cohort) that are waiting for an allocation
    of this kind (see scripts_awaiting). Running it again allocates only scripts still without one."""
    require(by, Action.MANAGE_ASSESSMENT, provider.pk)
    if due_on < timezone.localdate():
        raise DomainError("The marking due date has passed. Choose a date from today on.", field="due_on")
    _lock()
    scripts = Submission.objects.filter(
        task=task, enrolment__provider=provider, status__in=SUBMITTED
    ).exclude(enrolment__status__in=NOT_MARKED)
    if cohort is not None:
        scripts = scripts.filter(enrolment__cohort=cohort)
    waiting = scripts_awaiting(scripts, kind)
    plan = allocation_plan(provider=provider, submissions=waiting, kind=kind, today=timezone.localdate())
    _write(plan, by=by, due_on=due_on, provider_id=provider.pk, task=task)
    return plan


@transaction.atomic
def allocation_next(*, submission: Submission, kind: str) -> Plan:
    """Once a marking is submitted: give the script to a second assessor or the lead assessor straight away,
    due in the mark scheme's `marking_days`. When nobody is free, nothing is written and the script waits on the
    provider admin's allocation page, with the reason."""
    _lock()
    plan = allocation_plan(
        provider=submission.enrolment.provider,
        submissions=[submission],
        kind=kind,
        today=timezone.localdate(),
    )
    days = submission.task.mark_scheme.marking_days
    _write(
        plan,
        by=None,
        due_on=timezone.localdate() + datetime.timedelta(days=days),
        provider_id=submission.enrolment.provider_id,
        task=submission.task,
    )
    return plan


@transaction.atomic
def allocation_move(*, by: User, allocation: Allocation, to: User, reason: str) -> Allocation:
    """Give a script to another assessor of the provider's pool: ends this allocation and starts theirs, with
    the same kind and due date. Refuses an assessor who is excluded, full or not in the pool."""
    _lock()
    allocation = (
        Allocation.objects.select_for_update()
        .select_related("submission__enrolment__provider", "assessor")
        .get(pk=allocation.pk)
    )
    provider = allocation.submission.enrolment.provider
    require(by, Action.MANAGE_ASSESSMENT, provider.pk)
    if not reason.strip():
        raise DomainError("Say why you are moving this script.", field="reason")
    if allocation.ended_at is not None:
        raise DomainError(
            "This allocation has already ended. Refresh the page to see who has the script now."
        )
    if Marking.objects.filter(allocation=allocation, status=Marking.Status.SUBMITTED).exists():
        raise DomainError(
            f"{allocation.assessor.display_name} has already marked this script, so it stays with them."
        )
    if (
        allocation.kind == Allocation.Kind.LEAD
        and Result.objects.filter(submission=allocation.submission).exists()
    ):
        raise DomainError(
            f"{allocation.assessor.display_name} has already decided this script, so it stays with them."
        )
    if to.pk == allocation.assessor_id:
        raise DomainError(f"{to.display_name} already has this script.", field="to")
    if (
        allocation.kind == Allocation.Kind.LEAD
        and not AssessorProfile.objects.filter(user=to, is_lead=True).exists()
    ):
        raise DomainError(
            f"{to.display_name} is not a lead assessor: only a lead assessor decides between two markings.",
            field="to",
        )
    if not StaffMembership.objects.filter(
        user=to, provider=provider, role=StaffMembership.Role.ASSESSOR
    ).exists():
        raise DomainError(f"{to.display_name} is not an assessor for {provider.name}.", field="to")
    reasons = exclusion_reasons(submission=allocation.submission, assessors=[to], kind=allocation.kind)[to.pk]
    if reasons:
        raise DomainError(f"{to.display_name} cannot mark this script: {'; '.join(reasons)}.", field="to")
    held = live_loads([to.pk])[to.pk]
    if held >= capacities([to.pk])[to.pk]:
        raise DomainError(
            f"{to.display_name} already has {plural(held, 'script')}, their capacity.", field="to"
        )
    now = timezone.now()
    allocation.ended_at = now
    allocation.end_reason = reason.strip()
    allocation.save(update_fields=["ended_at", "end_reason"])
    moved = Allocation.objects.create(
        submission=allocation.submission,
        kind=allocation.kind,
        assessor=to,
        allocated_by=by,
        allocated_at=now,
        due_on=allocation.due_on,
    )
    audit_record(
        actor=by,
        action="allocation.moved",
        obj_type="allocation",
        obj_id=moved.pk,
        provider=provider.pk,
        label=_allocation_label(allocation.submission, allocation.submission.task, allocation.kind),
        before={"assessor": allocation.assessor.display_name},
        after={"assessor": to.display_name, "reason": allocation.end_reason},
        at=now,
    )
    return moved


@transaction.atomic
def conflict_declare(*, by: User, participant: Participant, reason: str) -> ConflictDeclaration:
    """An assessor declares a conflict of interest with a participant: they are never allocated the
    participant's scripts, and the ones they hold now go back to the provider admin to allocate again."""
    if not StaffMembership.objects.filter(user=by, role=StaffMembership.Role.ASSESSOR).exists():
        raise PermissionDenied("Only assessors declare conflicts of interest.")
    reason = reason.replace("\x00", "").strip()
    if len(reason) > 300:
        raise DomainError("Keep it to 300 characters or fewer.", field="reason")
    if not reason:
        raise DomainError(
            "Say what the conflict is, for example \u201cI line-manage them\u201d.", field="reason"
        )
    _lock()
    now = timezone.now()
    declaration, _ = ConflictDeclaration.objects.get_or_create(
        assessor=by, participant=participant, defaults={"reason": reason.strip(), "declared_at": now}
    )
    # A script they have already marked stays marked; the provider admin sees the declaration.
    ending = list(
        Allocation.objects.select_for_update(of=("self",))
        .filter(assessor=by, submission__enrolment__participant=participant, ended_at__isnull=True)
        .exclude(marking__status=Marking.Status.SUBMITTED)
        .select_related("submission__task", "submission__enrolment")
    )
    Allocation.objects.filter(pk__in=[a.pk for a in ending]).update(
        ended_at=now, end_reason=CONFLICT_DECLARED
    )
    # The reason the assessor gave stays on their declaration, for the provider's admins; the trail says only
    # that the script left them.
    audit_record_many(
        [
            audit_event(
                actor=by,
                action="allocation.ended",
                obj_type="allocation",
                obj_id=allocation.pk,
                provider=allocation.submission.enrolment.provider_id,
                label=_allocation_label(allocation.submission, allocation.submission.task, allocation.kind),
                before={"assessor": by.display_name},
                after={"assessor": None, "reason": CONFLICT_DECLARED},
                at=now,
            )
            for allocation in ending
        ]
    )
    return declaration


# Reminders --------------------------------------------------------------------------------------------------

# Assessors are reminded this many days before a script is due, and again once it is overdue.
MARKING_REMINDER_DAYS = 3


def allocations_remind(*, today: datetime.date | None = None) -> int:
    """Email each assessor, once per script, when marking is due within MARKING_REMINDER_DAYS and when it is
    overdue; returns how many emails went. Scripts are named by candidate number only."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    today = today or timezone.localdate()
    live = (
        Allocation.objects.filter(ended_at__isnull=True)
        .exclude(marking__status=Marking.Status.SUBMITTED)
        .exclude(submission__result__isnull=False)
    )
    due_soon = live.filter(
        due_on__gte=today,
        due_on__lte=today + datetime.timedelta(days=MARKING_REMINDER_DAYS),
        reminded_due_at__isnull=True,
    )
    overdue = live.filter(due_on__lt=today, reminded_overdue_at__isnull=True)
    sent = 0
    for field, queryset, late in (
        ("reminded_due_at", due_soon, False),
        ("reminded_overdue_at", overdue, True),
    ):
        by_assessor: dict[int, list[Allocation]] = defaultdict(list)
        for allocation in queryset.select_related("assessor", "submission__task").order_by("due_on", "pk"):
            by_assessor[allocation.assessor_id].append(allocation)
        for allocations in by_assessor.values():
            assessor = allocations[0].assessor
            with transaction.atomic():
                # Claim the rows: a second run at the same time skips them instead of emailing twice.
                claimed = set(
                    Allocation.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=[a.pk for a in allocations], **{f"{field}__isnull": True})
                    .values_list("pk", flat=True)
                )
                allocations = [a for a in allocations if a.pk in claimed]
                if not allocations:
                    continue
                send_mail(
                    subject=(
                        f"Overdue: {plural(len(allocations), 'script')} to mark"
                        if late
                        else f"{plural(len(allocations), 'script')} to mark by "
                        f"{allocations[0].due_on:%A} {allocations[0].due_on.day} {allocations[0].due_on:%B}"
                    ),
                    message=render_to_string(
                        "assessment/email/marking_reminder.txt",
                        {
                            "assessor": assessor,
                            "allocations": allocations,
                            "late": late,
                            "site_url": settings.SITE_URL.rstrip("/"),
                        },
                    ),
                    from_email=None,
                    recipient_list=[assessor.email],
                )
                Allocation.objects.filter(pk__in=claimed).update(**{field: timezone.now()})
            sent += 1
    return sent


@transaction.atomic
def assessor_profile_set(
    *, by: User, provider: Provider, assessor: User, capacity: int, is_lead: bool
) -> AssessorProfile:
    """A provider admin sets how many scripts one of their assessors takes at once (across every provider
    they mark for) and whether they are a lead assessor."""
    require(by, Action.MANAGE_ASSESSMENT, provider.pk)
    if not StaffMembership.objects.filter(
        user=assessor, provider=provider, role=StaffMembership.Role.ASSESSOR
    ).exists():
        raise DomainError(f"{assessor.display_name} is not an assessor for {provider.name}.")
    if not 1 <= capacity <= 200:
        raise DomainError("Capacity must be a whole number of scripts from 1 to 200.", field="capacity")
    profile, _ = AssessorProfile.objects.get_or_create(user=assessor)
    profile.capacity = capacity
    profile.is_lead = is_lead
    profile.save(update_fields=["capacity", "is_lead"])
    return profile
