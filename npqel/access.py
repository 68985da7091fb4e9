"""Who may see and do what. The ONE place that decides it, for HTML pages and the API alike.

Roles:
- platform staff: every provider, read-mostly (their one write here is inviting people);
- moderator: cross-provider, sees moderation samples (arrive with the marking issue), no provider pages;
- provider admin, facilitator, coach, assessor: per provider, through programmes.StaffMembership
  (facilitators see the timetable and take the registers of their provider's sessions);
- participant: their own enrolments only.

Selectors turn an Action into a queryset filter with `provider_q`; views call `require_page` first so
that a role which may never open a kind of page gets 403, while another provider's row gets 404,
exactly like a missing one.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, CharField, Q, Value


class Role(StrEnum):
    PLATFORM_STAFF = "platform_staff"
    MODERATOR = "moderator"
    PROVIDER_ADMIN = "provider_admin"
    FACILITATOR = "facilitator"
    COACH = "coach"
    ASSESSOR = "assessor"
    PARTICIPANT = "participant"


ROLE_LABELS = {
    Role.PLATFORM_STAFF: "Platform staff",
    Role.MODERATOR: "Moderator",
    Role.PROVIDER_ADMIN: "Provider admin",
    Role.FACILITATOR: "Facilitator",
    Role.COACH: "Coach",
    Role.ASSESSOR: "Assessor",
    Role.PARTICIPANT: "Participant",
}

# Roles that must sign in with a second factor (when settings.NPQEL_MFA_REQUIRED_FOR_STAFF is on).
MFA_REQUIRED_ROLES = frozenset({Role.PLATFORM_STAFF, Role.MODERATOR, Role.PROVIDER_ADMIN, Role.ASSESSOR})


class Action(StrEnum):
    VIEW_PROVIDER = "view_provider"
    MANAGE_PEOPLE = "manage_people"  # see staff and invitations, invite, revoke
    VIEW_COHORTS = "view_cohorts"  # programmes, cohorts, groups and timetables, read-only
    MANAGE_PROGRAMMES = "manage_programmes"  # create and change programmes, cohorts, groups and sessions
    VIEW_ENROLMENTS = "view_enrolments"
    MANAGE_ENROLMENTS = "manage_enrolments"  # enrol, defer, resume, withdraw, transfer, import
    VIEW_EQUALITY_DATA = "view_equality_data"  # special-category data: ethnicity, sex, disability, age
    TAKE_REGISTER = "take_register"  # mark and change a session's register (any session of the provider)
    RECORD_LEARNING = "record_learning"  # record online-task and component completions, import LMS exports
    LOG_COACHING = "log_coaching"  # log coaching sessions (coaches: for the participants they coach)
    VIEW_FEEDBACK = "view_feedback"  # session and programme ratings, never who gave them
    VIEW_SUBMISSIONS = "view_submissions"  # who has submitted, their receipts and scripts (with names)
    MANAGE_ASSESSMENT = "manage_assessment"  # assessment windows, extension decisions, eligibility overrides
    MARK_SCRIPTS = "mark_scripts"  # mark the scripts allocated to them (by candidate number, never a name)
    VIEW_METRICS = "view_metrics"  # the DfE quality metrics and reports (equality data only as aggregates)
    MANAGE_TARGETS = "manage_targets"  # recruitment targets per year; recompute the metrics
    PUBLISH_METRICS = "publish_metrics"  # show the published tables at a public address, or stop
    EXPORT_DECLARATIONS = "export_declarations"  # export DfE declarations (marks them as sent)
    VIEW_AUDIT_TRAIL = "view_audit_trail"  # the history of changes: who changed what, when, before and after


# Which provider roles grant each action at the provider they hold the role at.
PROVIDER_POLICY: dict[Action, frozenset[Role]] = {
    Action.VIEW_PROVIDER: frozenset({Role.PROVIDER_ADMIN, Role.FACILITATOR, Role.COACH, Role.ASSESSOR}),
    Action.MANAGE_PEOPLE: frozenset({Role.PROVIDER_ADMIN}),
    Action.VIEW_COHORTS: frozenset({Role.PROVIDER_ADMIN, Role.FACILITATOR, Role.COACH}),
    Action.MANAGE_PROGRAMMES: frozenset({Role.PROVIDER_ADMIN}),
    Action.VIEW_ENROLMENTS: frozenset({Role.PROVIDER_ADMIN}),
    Action.MANAGE_ENROLMENTS: frozenset({Role.PROVIDER_ADMIN}),
    Action.VIEW_EQUALITY_DATA: frozenset({Role.PROVIDER_ADMIN}),
    # Any facilitator of the provider, not only the session's own: a colleague may cover a session.
    Action.TAKE_REGISTER: frozenset({Role.PROVIDER_ADMIN, Role.FACILITATOR}),
    Action.RECORD_LEARNING: frozenset({Role.PROVIDER_ADMIN}),
    # A coach only for the places they coach (the service checks); an admin for any place of the provider.
    Action.LOG_COACHING: frozenset({Role.PROVIDER_ADMIN, Role.COACH}),
    # A facilitator only for the sessions they facilitate (the selector narrows); an admin for all.
    Action.VIEW_FEEDBACK: frozenset({Role.PROVIDER_ADMIN, Role.FACILITATOR}),
    Action.VIEW_SUBMISSIONS: frozenset({Role.PROVIDER_ADMIN}),
    Action.MANAGE_ASSESSMENT: frozenset({Role.PROVIDER_ADMIN}),
    Action.MARK_SCRIPTS: frozenset({Role.ASSESSOR}),
    Action.VIEW_METRICS: frozenset({Role.PROVIDER_ADMIN}),
    Action.MANAGE_TARGETS: frozenset({Role.PROVIDER_ADMIN}),
    # Decisions the provider makes for itself: platform staff support, they do not publish or declare.
    Action.PUBLISH_METRICS: frozenset({Role.PROVIDER_ADMIN}),
    Action.EXPORT_DECLARATIONS: frozenset({Role.PROVIDER_ADMIN}),
    Action.VIEW_AUDIT_TRAIL: frozenset({Role.PROVIDER_ADMIN}),
}
# Platform staff hold these at every provider (read-mostly: they support providers, they do not run them).
PLATFORM_STAFF_ACTIONS = frozenset(
    {
        Action.VIEW_PROVIDER,
        Action.MANAGE_PEOPLE,
        Action.VIEW_COHORTS,
        Action.VIEW_ENROLMENTS,
        Action.VIEW_EQUALITY_DATA,
        Action.VIEW_FEEDBACK,
        Action.VIEW_SUBMISSIONS,
        Action.VIEW_METRICS,
        Action.VIEW_AUDIT_TRAIL,
        # The issue: targets are editable by provider admins and platform staff.
        Action.MANAGE_TARGETS,
    }
)


@dataclass(frozen=True)
class Access:
    """What one user holds, read once per request (one query) and cached on the user object."""

    user_id: int | None
    platform_staff: bool = False
    moderator: bool = False
    provider_roles: dict[int, frozenset[Role]] = field(default_factory=dict)
    enrolled_provider_ids: frozenset[int] = frozenset()

    @property
    def roles(self) -> frozenset[Role]:
        roles: set[Role] = set()
        if self.platform_staff:
            roles.add(Role.PLATFORM_STAFF)
        if self.moderator:
            roles.add(Role.MODERATOR)
        for provider_roles in self.provider_roles.values():
            roles |= provider_roles
        if self.enrolled_provider_ids:
            roles.add(Role.PARTICIPANT)
        return frozenset(roles)

    @property
    def needs_mfa(self) -> bool:
        return bool(self.roles & MFA_REQUIRED_ROLES)

    def provider_ids(self, action: Action) -> frozenset[int]:
        """Providers at which this user holds `action` (platform staff: see `everywhere`)."""
        allowed = PROVIDER_POLICY[action]
        return frozenset(pid for pid, roles in self.provider_roles.items() if roles & allowed)

    def everywhere(self, action: Action) -> bool:
        return self.platform_staff and action in PLATFORM_STAFF_ACTIONS

    def anywhere(self, action: Action) -> bool:
        return self.everywhere(action) or bool(self.provider_ids(action))

    def may(self, action: Action, provider_id: int) -> bool:
        return self.everywhere(action) or provider_id in self.provider_ids(action)


ANONYMOUS = Access(user_id=None)


def access_for(user: object) -> Access:
    """The user's roles, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return ANONYMOUS
    cached = getattr(user, "_npqel_access", None)
    if cached is not None:
        return cached
    from participants.models import Enrolment
    from programmes.models import StaffMembership

    # One query for both: the user's staff roles by provider, and the providers where they hold a place.
    staff_roles = (
        StaffMembership.objects.filter(user=user)
        .values_list("provider_id", "role", Value(False, output_field=BooleanField()))
        .order_by()
    )
    places = (
        Enrolment.objects.filter(participant__user=user)
        .values_list(
            "provider_id", Value("", output_field=CharField()), Value(True, output_field=BooleanField())
        )
        .order_by()
    )
    provider_roles: dict[int, set[Role]] = {}
    enrolled: set[int] = set()
    for provider_id, role, is_place in staff_roles.union(places):
        if is_place:
            enrolled.add(provider_id)
        else:
            provider_roles.setdefault(provider_id, set()).add(Role(role))
    access = Access(
        user_id=user.pk,  # type: ignore[attr-defined]
        platform_staff=bool(getattr(user, "is_platform_staff", False)),
        moderator=bool(getattr(user, "is_moderator", False)),
        provider_roles={pid: frozenset(roles) for pid, roles in provider_roles.items()},
        enrolled_provider_ids=frozenset(enrolled),
    )
    user._npqel_access = access  # type: ignore[attr-defined]
    return access


def forget(user: object) -> None:
    """Drop the cached roles (and whether they have a second factor) after a service changed them."""
    for cached in ("_npqel_access", "_npqel_has_second_factor"):
        if hasattr(user, cached):
            delattr(user, cached)


def provider_q(user: object, action: Action, *, via: str = "provider") -> Q:
    """A filter keeping only rows whose provider (reached through `via`) the user may `action`."""
    access = access_for(user)
    if access.everywhere(action):
        # Not an empty Q(): `Q() | other` drops the empty side, which would narrow an OR to `other`.
        return Q(**{f"{via}__isnull": False})
    return Q(**{f"{via}__in": sorted(access.provider_ids(action))})


def require_page(
    user: object, action: Action, message: str = "Your role does not give you access to this page."
) -> None:
    """403 for a role that may never open this kind of page at any provider."""
    if not access_for(user).anywhere(action):
        raise PermissionDenied(message)


def require(user: object, action: Action, provider_id: int) -> None:
    """For writes: refuse unless the user holds `action` at this provider."""
    if not access_for(user).may(action, provider_id):
        raise PermissionDenied("Your role does not let you do this for this provider.")


def require_moderator(user: object) -> None:
    """403 for anyone but moderators (cross-provider; they see scripts by candidate number only)."""
    if not access_for(user).moderator:
        raise PermissionDenied("Only moderators can open this page.")


def require_platform_staff(user: object) -> None:
    """403 for anyone but platform staff (pages about the whole installation)."""
    if not access_for(user).platform_staff:
        raise PermissionDenied("Only platform staff can open this page.")
