"""Providers, their staff, programmes (with their rules as data), content, components, cohorts and timetable."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models


class Provider(models.Model):
    """A DfE-accredited lead provider (or a delivery partner running its own installation space)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200, unique=True)
    managed_by = models.CharField(max_length=200, blank=True, help_text="e.g. Best Practice Network")
    # The DfE quality metrics' published tables at /published/<slug>/metrics/, for anyone (issue 8).
    metrics_public = models.BooleanField(default=False)
    # Data protection (issue 9): a participant's personal data is erased (pseudonymised, keeping the figures
    # the metrics need) this many years after their last place with the provider ended.
    retention_years = models.PositiveSmallIntegerField(default=7)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_years__gte=1, retention_years__lte=50),
                name="provider_retention_years_sensible",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """A user's role at one provider. A person may hold several roles at several providers."""

    class Role(models.TextChoices):
        PROVIDER_ADMIN = "provider_admin", "Provider admin"
        FACILITATOR = "facilitator", "Facilitator"
        COACH = "coach", "Coach"
        ASSESSOR = "assessor", "Assessor"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "provider", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.provider}"


class DeliveryPartner(models.Model):
    """An organisation a provider delivers through (e.g. a teaching school hub); cohorts may belong to one."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="delivery_partners")
    name = models.CharField(max_length=200)
    region = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["provider", "name"], name="delivery_partner_unique")]

    def __str__(self) -> str:
        return self.name


class Programme(models.Model):
    """A provider's NPQEL offering and its rules. Every rule a provider sets differently is a field here."""

    class Framework(models.TextChoices):
        LEGACY = "legacy", "Legacy framework (cohorts 2017–2021)"
        REFORMED = "reformed", "Reformed framework (from autumn 2021)"

    class Comparison(models.TextChoices):
        AT_LEAST = "at_least", "at least"
        MORE_THAN = "more_than", "more than"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="programmes")
    code = models.SlugField()
    name = models.CharField(max_length=200)
    framework = models.CharField(max_length=16, choices=Framework.choices)
    duration_months = models.PositiveSmallIntegerField(default=18)
    # Engagement: a participant engages when their share of counted components is (at least|more than) this.
    engagement_threshold = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("90"))
    engagement_comparison = models.CharField(max_length=16, choices=Comparison.choices, default="at_least")
    # Component kinds that count toward engagement by default (each component can still say otherwise).
    engagement_kinds = models.JSONField(default=list, blank=True)
    # Months from the start to present for final assessment; DeadlineExtension rows can lengthen it.
    deadline_months = models.PositiveSmallIntegerField(default=18)
    deferral_pauses_clock = models.BooleanField(default=False)
    # Early warning (participants/standing.py): a place is at risk when its engagement so far lags the
    # threshold by more than this many percentage points, or its deadline is this close with nothing submitted.
    at_risk_margin = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("10"))
    at_risk_deadline_days = models.PositiveSmallIntegerField(default=90)
    fee_notes = models.TextField(blank=True, help_text="e.g. non-refundable once enrolment is confirmed")
    # DfE declarations (metrics/declarations.py): a place is declared retained-1, then retained-2, once its
    # engagement (credited ÷ planned hours of the counted components) reaches these shares.
    retained_1_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("30"))
    retained_2_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("60"))

    class Meta:
        ordering = ["provider__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="programme_code_unique"),
            models.CheckConstraint(
                condition=models.Q(engagement_threshold__gte=0, engagement_threshold__lte=100),
                name="programme_threshold_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=models.Q(deadline_months__gte=1), name="programme_deadline_months"
            ),
            models.CheckConstraint(
                condition=models.Q(duration_months__gte=1), name="programme_duration_months"
            ),
            models.CheckConstraint(
                condition=models.Q(at_risk_margin__gte=0, at_risk_margin__lte=100),
                name="programme_at_risk_margin_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    retained_1_percent__gt=0,
                    retained_2_percent__gt=models.F("retained_1_percent"),
                    retained_2_percent__lte=100,
                ),
                name="programme_retention_milestones_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def content_area_label(self) -> str:
        return "Areas of study" if self.framework == self.Framework.REFORMED else "Content areas"

    def deadline_months_for(self, start_date: datetime.date) -> int:
        """Months allowed to present for final assessment for someone starting on `start_date`.

        Uses the extension policy with the latest `applies_from` on or before the start date; reads
        `extensions` (prefetch it for lists).
        """
        months = self.deadline_months
        latest: datetime.date | None = None
        for extension in self.extensions.all():
            if extension.applies_from <= start_date and (latest is None or extension.applies_from > latest):
                latest, months = extension.applies_from, extension.months
        return months


class DeadlineExtension(models.Model):
    """A dated policy: participants starting on or after `applies_from` get `months` instead."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="extensions")
    applies_from = models.DateField(help_text="Applies to participants who start on or after this date")
    months = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["applies_from"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "applies_from"], name="extension_once_per_date"),
            models.CheckConstraint(condition=models.Q(months__gte=1), name="extension_months_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.months} months for starts on or after {self.applies_from:%-d %B %Y}"


class FeeOption(models.Model):
    """A price a participant may pay (e.g. with or without coaching), paid in instalments."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="fee_options")
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    plus_vat = models.BooleanField(default=False)

    class Meta:
        ordering = ["-amount", "name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="fee_option_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="fee_option_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: £{self.amount:,.2f}{' + VAT' if self.plus_vat else ''}"


class Instalment(models.Model):
    """One payment of a fee option, due a number of months after the cohort starts."""

    fee_option = models.ForeignKey(FeeOption, on_delete=models.CASCADE, related_name="instalments")
    months_after_start = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["months_after_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["fee_option", "months_after_start"], name="instalment_once_per_month"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="instalment_positive"),
        ]

    def __str__(self) -> str:
        return f"£{self.amount:,.2f}, {self.months_after_start} months after the start"


class PlacementOption(models.Model):
    """Where a participant may take their placement, and what it costs on top of the fee (0 = included)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="placement_options")
    name = models.CharField(max_length=200)
    cost_from = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    cost_to = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["cost_from", "name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="placement_option_unique"),
            models.CheckConstraint(
                condition=models.Q(cost_from__gte=0, cost_to__gte=models.F("cost_from")),
                name="placement_cost_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def cost_text(self) -> str:
        if self.cost_to == 0:
            return "Included"
        if self.cost_from == self.cost_to:
            return f"£{self.cost_from:,.0f} extra"
        return f"£{self.cost_from:,.0f} to £{self.cost_to:,.0f} extra"


class ContentArea(models.Model):
    """A content area (legacy framework) or area of study (reformed framework) of a programme."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="content_areas")
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]
        constraints = [models.UniqueConstraint(fields=["programme", "title"], name="content_area_unique")]

    def __str__(self) -> str:
        return self.title


class LearningStatement(models.Model):
    """A "learn that…" (evidence) or "learn how to…" (practice) statement of an area of study."""

    class Kind(models.TextChoices):
        LEARN_THAT = "learn_that", "Learn that"
        LEARN_HOW = "learn_how", "Learn how to"

    area = models.ForeignKey(ContentArea, on_delete=models.CASCADE, related_name="statements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.text}"


class LeadershipBehaviour(models.Model):
    """One of the leadership behaviours a programme develops (legacy framework: seven)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="behaviours")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]
        constraints = [models.UniqueConstraint(fields=["programme", "title"], name="behaviour_unique")]

    def __str__(self) -> str:
        return self.title


class Component(models.Model):
    """A part of a programme (a residential, a webinar, an online course…) with its guided learning hours."""

    class Kind(models.TextChoices):
        LAUNCH_DAY = "launch_day", "Launch day"
        DIAGNOSTIC_360 = "diagnostic_360", "360° diagnostic"
        RESIDENTIAL = "residential", "Residential"
        EVENT_DAY = "event_day", "Event day or face-to-face workshop"
        SEMINAR = "seminar", "Seminar"
        WEBINAR = "webinar", "Webinar"
        ONLINE_BRIEFING = "online_briefing", "Online briefing"
        ONLINE_COURSE = "online_course", "Online course"
        SELF_DIRECTED = "self_directed", "Self-directed learning"
        COACHING = "coaching", "Individual coaching or mentoring"
        GROUP_COACHING = "group_coaching", "Group coaching in a peer challenge group"
        PEER_CHALLENGE_GROUP = "peer_challenge_group", "Peer challenge group (peer led)"
        COMMUNITY_OF_PRACTICE = "community_of_practice", "Community of practice"
        SELF_AUDIT = "self_audit", "Self-audit"
        FORMATIVE_ASSESSMENT = "formative_assessment", "Formative assessment task"
        CASE_STUDY = "case_study", "Case study"
        PLACEMENT = "placement", "Placement"
        CHANGE_PROJECT = "change_project", "Implementation or change project"
        CONFERENCE = "conference", "Conference"

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        ONLINE_LIVE = "online_live", "Online, live"
        SELF_DIRECTED = "self_directed", "Self-directed"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="components")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Blank where the provider does not publish hours for this component.
    guided_learning_hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    mode = models.CharField(max_length=16, choices=Mode.choices)
    counts_toward_engagement = models.BooleanField(default=True)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    content_areas = models.ManyToManyField(ContentArea, blank=True, related_name="components")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "title"], name="component_title_unique"),
            models.CheckConstraint(
                condition=models.Q(guided_learning_hours__gte=0)
                | models.Q(guided_learning_hours__isnull=True),
                name="component_hours_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_online_course(self) -> bool:
        return self.kind == self.Kind.ONLINE_COURSE

    @property
    def is_synchronous(self) -> bool:
        return self.mode in (self.Mode.IN_PERSON, self.Mode.ONLINE_LIVE)


class Module(models.Model):
    """A module of an online course (a component of kind online course)."""

    course = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "title"], name="module_title_unique")]

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A task of a module: core tasks count toward engagement, optional ones do not."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    # The task's id in the provider's learning platform, as its completion export writes it.
    reference = models.CharField(max_length=100, blank=True)
    core = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["module", "title"], name="task_title_unique")]

    def __str__(self) -> str:
        return self.title


class Cohort(models.Model):
    """One intake of a programme, with the recruitment targets for its recruitment year."""

    class Intake(models.TextChoices):
        AUTUMN = "autumn", "Autumn"
        SPRING = "spring", "Spring"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cohorts")
    code = models.SlugField()
    intake = models.CharField(max_length=8, choices=Intake.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    delivery_partner = models.ForeignKey(
        DeliveryPartner, on_delete=models.PROTECT, null=True, blank=True, related_name="cohorts"
    )
    recruitment_target = models.PositiveIntegerField(null=True, blank=True)
    fsm_target_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Share of recruits from schools with 30% or more FSM",
    )
    non_white_british_target_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-start_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="cohort_code_unique"),
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")), name="cohort_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(fsm_target_percent__isnull=True)
                    | models.Q(fsm_target_percent__gte=0, fsm_target_percent__lte=100)
                )
                & (
                    models.Q(non_white_british_target_percent__isnull=True)
                    | models.Q(
                        non_white_british_target_percent__gte=0, non_white_british_target_percent__lte=100
                    )
                ),
                name="cohort_targets_are_percentages",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.name} — {self.code}"

    @property
    def recruitment_year(self) -> str:
        """The academic year (1 Sep – 31 Aug) the cohort starts in, written 2019/20."""
        return recruitment_year_of(self.start_date)


class DeliveryGroup(models.Model):
    """A cohort's training group, usually formed by the geography of its participants."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="delivery_groups"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["cohort", "name"], name="group_name_unique")]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """A scheduled occurrence of a component for a cohort (or one of its groups).

    A session may be the repeat of another (the same content run twice): attending either counts once.
    """

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="sessions")
    group = models.ForeignKey(
        DeliveryGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    title = models.CharField(
        max_length=200, blank=True, help_text="e.g. the day's topic; blank uses the component's title"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.CharField(max_length=300, blank=True)
    online_link = models.URLField(max_length=500, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="facilitated_sessions",
    )
    repeat_of = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="repeats"
    )
    # Sessions scheduled together as a recurring series share this id.
    series = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~models.Q(repeat_of=models.F("pk")), name="session_not_repeat_of_itself"
            ),
        ]
        indexes = [
            models.Index(fields=["cohort", "starts_at"]),
            models.Index(fields=["facilitator", "starts_at"]),
            # A page of every session a platform user may see, in time order, without sorting them all.
            models.Index(fields=["starts_at", "id"], name="session_starts_at_id"),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or self.component.title


class CalendarFeed(models.Model):
    """A user's private calendar subscription. Its address is derived from `key`; a new key revokes the old address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


def recruitment_year_of(day: datetime.date) -> str:
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"
