"""Schools, participants (with their equality data), enrolments and the history of every status change."""

import datetime

from django.conf import settings
from django.db import models


class School(models.Model):
    """A school (or trust office) identified by its URN, with what the metrics compare groups by."""

    class Phase(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SPECIAL = "special", "Special"
        ALTERNATIVE = "alternative", "Alternative provision"
        SIXTEEN_PLUS = "sixteen_plus", "16 to 19"
        EARLY_YEARS = "early_years", "Early years"
        TRUST = "trust", "Trust or central team"
        OTHER = "other", "Other"

    class PerformanceBand(models.TextChoices):
        HIGH = "high", "Higher performing"
        MIDDLE = "middle", "Middle"
        LOW = "low", "Lower performing"
        UNKNOWN = "", "Not known"

    urn = models.CharField("URN", max_length=8, unique=True)
    name = models.CharField(max_length=200)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.OTHER)
    local_authority = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    # The multi-academy trust it belongs to (as GIAS names it); blank for a school outside a trust. Assessors are
    # never given scripts of participants from a trust they work in (assessment/allocation.py).
    trust = models.CharField(max_length=200, blank=True)
    # Share of pupils eligible for free school meals; blank where not known.
    fsm_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    pupil_premium_top_half = models.BooleanField(
        "In the top 50% for pupil premium (PP50)", null=True, blank=True
    )
    performance_band = models.CharField(max_length=8, choices=PerformanceBand.choices, default="", blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fsm_percent__isnull=True)
                | models.Q(fsm_percent__gte=0, fsm_percent__lte=100),
                name="school_fsm_is_a_percentage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"

    @property
    def high_fsm(self) -> bool | None:
        """30% or more of pupils eligible for free school meals (the DfE recruitment metric's threshold)."""
        return None if self.fsm_percent is None else self.fsm_percent >= 30


class Participant(models.Model):
    """A school leader taking the qualification. Equality data is optional and special-category: only
    provider admins and platform staff see it, elsewhere it appears only in aggregates."""

    class Ethnicity(models.TextChoices):
        # DfE's ethnicity codes.
        WBRI = "WBRI", "White – British"
        WIRI = "WIRI", "White – Irish"
        WIRT = "WIRT", "White – Traveller of Irish heritage"
        WROM = "WROM", "White – Gypsy or Roma"
        WOTH = "WOTH", "White – any other White background"
        MWBC = "MWBC", "Mixed – White and Black Caribbean"
        MWBA = "MWBA", "Mixed – White and Black African"
        MWAS = "MWAS", "Mixed – White and Asian"
        MOTH = "MOTH", "Mixed – any other mixed background"
        AIND = "AIND", "Asian – Indian"
        APKN = "APKN", "Asian – Pakistani"
        ABAN = "ABAN", "Asian – Bangladeshi"
        AOTH = "AOTH", "Asian – any other Asian background"
        BCRB = "BCRB", "Black – Caribbean"
        BAFR = "BAFR", "Black – African"
        BOTH = "BOTH", "Black – any other Black background"
        CHNE = "CHNE", "Chinese"
        OOTH = "OOTH", "Any other ethnic group"
        REFU = "REFU", "Prefer not to say"
        NOBT = "NOBT", "Not obtained"

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        PREFER_NOT = "prefer_not", "Prefer not to say"
        NOT_OBTAINED = "", "Not obtained"

    class Disability(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        PREFER_NOT = "prefer_not", "Prefer not to say"
        NOT_OBTAINED = "", "Not obtained"

    class AgeBand(models.TextChoices):
        UNDER_35 = "under_35", "Under 35"
        FROM_35 = "35_44", "35 to 44"
        FROM_45 = "45_54", "45 to 54"
        FROM_55 = "55_plus", "55 or over"
        PREFER_NOT = "prefer_not", "Prefer not to say"
        NOT_OBTAINED = "", "Not obtained"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participant"
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="participants"
    )
    job_role = models.CharField(max_length=200, blank=True)
    ethnicity_code = models.CharField(max_length=4, choices=Ethnicity.choices, default=Ethnicity.NOBT)
    sex = models.CharField(max_length=16, choices=Sex.choices, default="", blank=True)
    disability = models.CharField(max_length=16, choices=Disability.choices, default="", blank=True)
    age_band = models.CharField(max_length=16, choices=AgeBand.choices, default="", blank=True)
    # DfE's own identifier for the person (the Lead Provider API's participant_id), from the import; the DfE
    # declarations export needs it.
    dfe_participant_id = models.UUIDField(null=True, blank=True, unique=True)
    # When the person's personal data was erased (a request, or the provider's retention period): their name,
    # email, job and files are gone; their places, statuses, dates, outcomes and equality codes stay, unnamed,
    # for the aggregates the DfE metrics depend on.
    erased_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return str(self.user)

    @property
    def white_british(self) -> bool | None:
        """For the non-White British metric: unknown when refused or not obtained."""
        if self.ethnicity_code in (self.Ethnicity.REFU, self.Ethnicity.NOBT):
            return None
        return self.ethnicity_code == self.Ethnicity.WBRI


class Enrolment(models.Model):
    """A participant's place on one cohort. Participants see the platform through their enrolments.

    The status changes only through participants.services, which writes an EnrolmentChange for each.
    """

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        ACCEPTED = "accepted", "Accepted"
        ACTIVE = "active", "Active"
        DEFERRED = "deferred", "Deferred"
        WITHDRAWN = "withdrawn", "Withdrawn"
        COMPLETED = "completed", "Completed (passed)"
        FAILED = "failed", "Failed"

    class FundingRoute(models.TextChoices):
        FUNDED_PLACE = "funded_place", "DfE funded place"
        SCHOLARSHIP = "scholarship", "Scholarship"
        SCHOOL = "school", "Paid by the school or trust"
        SELF_FUNDED = "self_funded", "Self-funded"
        NOT_KNOWN = "", "Not known yet"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="enrolments")
    cohort = models.ForeignKey("programmes.Cohort", on_delete=models.PROTECT, related_name="enrolments")
    # Denormalised from cohort → programme → provider so every scoped query is one indexed filter.
    provider = models.ForeignKey("programmes.Provider", on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    start_date = models.DateField(null=True, blank=True, help_text="Blank: the cohort's start date")
    group = models.ForeignKey(
        "programmes.DeliveryGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="coachees"
    )
    funding_route = models.CharField(max_length=16, choices=FundingRoute.choices, default="", blank=True)
    fee_option = models.ForeignKey(
        "programmes.FeeOption", on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments"
    )
    placement_option = models.ForeignKey(
        "programmes.PlacementOption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    # The provider's own reference (e.g. from their application system), used to match re-imports.
    external_id = models.CharField(max_length=100, blank=True)
    imported = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cohort__start_date"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "cohort"], name="enrolment_once_per_cohort"),
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~models.Q(external_id=""),
                name="enrolment_external_id_unique_per_provider",
            ),
        ]
        indexes = [models.Index(fields=["provider", "status"]), models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return f"{self.participant} on {self.cohort}"

    @property
    def current_certificate(self):  # -> assessment.models.Certificate | None
        """The place's valid certificate, else the latest revoked one (None: never issued). Prefetch
        `certificates` for lists."""
        certificates = sorted(self.certificates.all(), key=lambda c: (c.revoked_at is None, c.issued_at))
        return certificates[-1] if certificates else None

    @property
    def started_on(self) -> datetime.date:
        return self.start_date or self.cohort.start_date


class EnrolmentChange(models.Model):
    """One change of an enrolment's status: who, when, from, to, why (a DfE reason code) and since when."""

    class Reason(models.TextChoices):
        # Deferral (DfE's codes)
        BEREAVEMENT = "bereavement", "Bereavement"
        LONG_TERM_SICKNESS = "long-term-sickness", "Long-term sickness"
        PARENTAL_LEAVE = "parental-leave", "Parental leave"
        CAREER_BREAK = "career-break", "Career break"
        # Withdrawal (DfE's codes)
        INSUFFICIENT_CAPACITY_TO_UNDERTAKE = (
            "insufficient-capacity-to-undertake-programme",
            "Not enough capacity to undertake the programme",
        )
        HEALTH_OR_PREGNANCY = "personal-reason-health-or-pregnancy-related", "Personal: health or pregnancy"
        MOVING_SCHOOL = "personal-reason-moving-school", "Personal: moving school"
        PERSONAL_OTHER = "personal-reason-other", "Personal: other"
        INSUFFICIENT_CAPACITY = "insufficient-capacity", "Not enough capacity"
        CHANGE_IN_PRIORITIES = (
            "change-in-developmental-or-personal-priorities",
            "Change in development or personal priorities",
        )
        CHANGE_IN_SCHOOL = "change-in-school-circumstances", "Change in school circumstances"
        CHANGE_IN_LEADERSHIP = "change-in-school-leadership", "Change in school leadership"
        STRUCTURE = "quality-of-programme-structure-not-suitable", "Programme: structure not suitable"
        CONTENT = "quality-of-programme-content-not-suitable", "Programme: content not suitable"
        FACILITATION = (
            "quality-of-programme-facilitation-not-effective",
            "Programme: facilitation not effective",
        )
        ACCESSIBILITY = "quality-of-programme-accessibility", "Programme: accessibility"
        QUALITY_OTHER = "quality-of-programme-other", "Programme: other"
        NOT_APPROPRIATE = "programme-not-appropriate-for-role-and-cpd-needs", "Not right for their role"
        STARTED_IN_ERROR = "started-in-error", "Started in error"
        COMMITMENT_UNCLEAR = "expected-commitment-unclear", "Expected commitment was unclear"
        ASSESSMENT_NOT_MET = "assessment-requirements-not-met", "Assessment requirements not met"
        CHANGE_IN_CAREER = "change-in-career", "Change in career"
        DISENGAGED = "disengaged-and-unresponsive", "Disengaged and unresponsive"
        NON_PAYMENT = "non-payment-of-invoice", "Invoice not paid"
        DEFERRED_TOO_LONG = "deferred-for-over-12-months", "Deferred for over 12 months"
        OTHER = "other", "Other"
        NONE = "", "No reason needed"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=16, choices=Enrolment.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Enrolment.Status.choices)
    # The day the change took effect (a deferral from 1 March); `recorded_at` is when it was written down.
    effective_on = models.DateField()
    reason = models.CharField(max_length=64, choices=Reason.choices, default="", blank=True)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["effective_on", "recorded_at", "pk"]
        indexes = [models.Index(fields=["enrolment", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.from_status or 'new'} → {self.to_status} on {self.effective_on}"


class EarlierRecord(models.Model):
    """What a provider's earlier system recorded about a place, brought in by a migration import: when the
    participant presented for final assessment, whether their script was moderated and the moderator
    agreed, and their feedback rating. Kept so DfE's metrics can be published for cohorts run before the
    platform; places run here get the same facts from submissions, moderation and feedback instead."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.CASCADE, related_name="earlier_record")
    presented_on = models.DateField(null=True, blank=True)
    moderated = models.BooleanField(null=True, blank=True)
    moderator_agreed = models.BooleanField(null=True, blank=True)
    feedback_rating = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(feedback_rating__isnull=True) | models.Q(feedback_rating__lte=10),
                name="earlier_record_rating_0_to_10",
            ),
        ]

    def __str__(self) -> str:
        return f"Earlier record of {self.enrolment}"


class EnrolmentImport(models.Model):
    """An uploaded spreadsheet of enrolments, kept from its preview until the admin confirms it, so what is
    imported is exactly the file they saw previewed. Importing re-checks it against the records as they are
    then, all or nothing."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Being checked"
        REJECTED = "rejected", "Has mistakes to fix"
        READY = "ready", "Checked, waiting for you to confirm"
        IMPORTING = "importing", "Being imported"
        IMPORTED = "imported", "Imported"

    provider = models.ForeignKey("programmes.Provider", on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    # The file itself, kept only while it may still be imported (checking, waiting, importing): it holds
    # special-category data, so it is emptied once imported or found to have mistakes.
    content = models.BinaryField()
    create_cohorts = models.BooleanField(default=False)
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    # The preview (what will be created and updated) or the mistakes, as shown to the admin.
    report = models.JSONField(default=dict)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the status last changed: a check or import still running long after shows as stuck.
    updated_at = models.DateTimeField(auto_now=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class Attendance(models.Model):
    """One participant's mark on one session's register: who marked it and when, and who last changed it.

    Written only through participants.services (register_save, register_mark_all_present), which records
    every mark and every later change as an AttendanceChange.
    """

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        LATE = "late", "Late"
        ABSENT = "absent", "Absent"
        AUTHORISED_ABSENCE = "authorised_absence", "Authorised absence"

    # No index of their own: the unique constraint (enrolment first) and the session index below serve them.
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    session = models.ForeignKey(
        "programmes.Session", on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    status = models.CharField(max_length=24, choices=Status.choices)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField()
    # Blank until someone changes the first mark.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "session"], name="attendance_once_per_session"),
        ]
        indexes = [models.Index(fields=["session"], name="attendance_session")]

    def __str__(self) -> str:
        return f"{self.enrolment} at session {self.session_id}: {self.get_status_display()}"


# The rule engagement counts by (issue 5): late counts as attended; an authorised absence does not count as
# attended, but is recorded as authorised so that it can be told apart from an absence.
ATTENDED_STATUSES = frozenset({Attendance.Status.PRESENT, Attendance.Status.LATE})


class AttendanceChange(models.Model):
    """One mark or change on a register: who, when, before (blank for the first mark) and after."""

    attendance = models.ForeignKey(Attendance, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=24, choices=Attendance.Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Attendance.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [models.Index(fields=["attendance", "changed_at"], name="attendance_change_when")]

    def __str__(self) -> str:
        return f"{self.attendance}: {self.from_status or 'new'} → {self.to_status}"


class CheckInCode(models.Model):
    """A short code a facilitator shows during a session (or as a QR code): a participant expected at the
    session who enters it while the session runs is marked present on its register."""

    session = models.OneToOneField("programmes.Session", on_delete=models.CASCADE, related_name="check_in")
    code = models.CharField(max_length=8, db_index=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Check-in code for session {self.session_id}"


class TaskCompletion(models.Model):
    """A participant's completed online-course task, recorded by hand or from a learning platform's export."""

    class Source(models.TextChoices):
        BY_HAND = "by_hand", "Recorded by hand"
        LMS_IMPORT = "lms_import", "Imported from the learning platform"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="task_completions")
    task = models.ForeignKey("programmes.Task", on_delete=models.CASCADE, related_name="completions")
    completed_on = models.DateField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.BY_HAND)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["completed_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "task"], name="task_completed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.task} on {self.completed_on}"


class ComponentCompletion(models.Model):
    """A provider admin's record that a participant has done a whole component (a 360° diagnostic, a
    placement, a self-audit): it credits the component's planned hours in full."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="component_completions")
    component = models.ForeignKey(
        "programmes.Component", on_delete=models.CASCADE, related_name="completions"
    )
    completed_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["completed_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "component"], name="component_completed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.component} done on {self.completed_on}"


class LearningLog(models.Model):
    """Self-directed learning a participant logs: when, how long, what they did."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="learning_logs")
    component = models.ForeignKey(
        "programmes.Component", on_delete=models.CASCADE, related_name="learning_logs"
    )
    done_on = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=1)
    activity = models.CharField(max_length=300)
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-done_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=24), name="learning_log_hours_in_a_day"
            ),
        ]
        indexes = [models.Index(fields=["enrolment", "component"], name="learning_log_place")]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.hours} h on {self.done_on}"


class CoachingSession(models.Model):
    """A coaching session a coach logs for a participant (date, duration, focus); the participant sees it."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="coaching_sessions")
    component = models.ForeignKey(
        "programmes.Component", on_delete=models.CASCADE, related_name="coaching_sessions"
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    held_on = models.DateField()
    minutes = models.PositiveSmallIntegerField()
    focus = models.CharField(max_length=300)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gt=0, minutes__lte=480), name="coaching_session_minutes"
            ),
        ]
        indexes = [models.Index(fields=["enrolment", "component"], name="coaching_session_place")]

    def __str__(self) -> str:
        return f"Coaching for {self.enrolment} on {self.held_on}"


class FeedbackRating(models.Model):
    """A participant's 0–10 rating of a session, or of the whole programme (no session) at its end, with an
    optional comment: the source of DfE metric 6. Facilitators see only results, never who said what."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="feedback_ratings")
    # Blank: the rating of the whole programme.
    session = models.ForeignKey(
        "programmes.Session", on_delete=models.CASCADE, null=True, blank=True, related_name="feedback_ratings"
    )
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    rated_at = models.DateTimeField()

    class Meta:
        ordering = ["rated_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__lte=10), name="feedback_rating_0_to_10"),
            models.UniqueConstraint(
                fields=["enrolment", "session"],
                condition=models.Q(session__isnull=False),
                name="feedback_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=models.Q(session__isnull=True),
                name="feedback_once_per_programme",
            ),
        ]
        indexes = [models.Index(fields=["session"], name="feedback_session")]

    def __str__(self) -> str:
        return f"{self.rating}/10 from {self.enrolment}"


class Engagement(models.Model):
    """A place's engagement and eligibility, as the last recompute found them (participants.services
    .engagement, set-based SQL, safe to run twice). Hours are of the components that count toward
    engagement; percentages are to two decimals, half up."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, primary_key=True, related_name="engagement"
    )
    planned_hours = models.DecimalField(max_digits=10, decimal_places=4)
    credited_hours = models.DecimalField(max_digits=10, decimal_places=4)
    # Hours whose chance has passed (sessions held, self-paced hours due by now) and those credited of them.
    due_hours = models.DecimalField(max_digits=10, decimal_places=4)
    credited_due_hours = models.DecimalField(max_digits=10, decimal_places=4)
    # Credited plus everything still to come, if the participant takes part in all of it.
    possible_hours = models.DecimalField(max_digits=10, decimal_places=4)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    to_date_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    max_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    core_tasks_done = models.PositiveIntegerField()
    core_tasks_total = models.PositiveIntegerField()
    required_missing = models.PositiveIntegerField()
    meets_threshold = models.BooleanField()
    eligible = models.BooleanField()
    at_risk = models.BooleanField()
    # When these figures were worked out: a recompute that finds the same figures leaves the row as it is.
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["at_risk"], name="engagement_at_risk", condition=models.Q(at_risk=True))
        ]

    def __str__(self) -> str:
        return f"Engagement of {self.enrolment_id}: {self.percent}%"


class ComponentPlan(models.Model):
    """What one component of a cohort's programme plans for one of its groups (group 0: the places in no
    group), worked out from the programme and the cohort's timetable: its planned hours, and the units its
    attendance is measured in (hours where no hours are published, else pieces of content: a session and its
    repeats are one). Kept beside the evidence tallies and counted again with them (EvidenceTally says when)."""

    cohort = models.ForeignKey("programmes.Cohort", on_delete=models.CASCADE, related_name="+")
    group_key = models.PositiveBigIntegerField(help_text="The delivery group's id; 0 for places in no group")
    component = models.ForeignKey("programmes.Component", on_delete=models.CASCADE, related_name="+")
    evidence = models.CharField(max_length=20)
    counted = models.BooleanField(help_text="It counts toward engagement and plans some hours")
    required = models.BooleanField()
    planned_hours = models.DecimalField(max_digits=10, decimal_places=4)
    units = models.DecimalField(max_digits=30, decimal_places=20)
    in_hours = models.BooleanField(help_text="Attendance is measured in hours (no hours are published)")
    core_total = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "group_key", "component"], name="component_plan_once")
        ]

    def __str__(self) -> str:
        return f"Plan of {self.component_id} for cohort {self.cohort_id}, group {self.group_key}"


class EvidenceTally(models.Model):
    """What one place has done toward one component of its programme, counted from its records: the content
    attended on its own timetable (a session and its repeats once), its core tasks done, the hours logged,
    whether a provider admin recorded it done; and what that credits, which time passing does not change.

    The engagement recompute reads these and the plans (ComponentPlan) instead of the records (millions of
    attendance marks). It counts both again for the places it recomputes for a cohort or place; a recompute of
    every place counts again those of every queued cohort. So they are current whenever their cohort is not in
    EngagementQueue: every service that changes what engagement is made of queues the cohort in the same
    transaction (engagement_changed). Only components a place has some evidence for have a tally."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="+")
    component = models.ForeignKey("programmes.Component", on_delete=models.CASCADE, related_name="+")
    contents_attended = models.PositiveIntegerField()
    # Unrounded, as the sessions' lengths give them (a 50-minute session is 0.8333… hours).
    hours_attended = models.DecimalField(max_digits=30, decimal_places=20)
    core_tasks_done = models.PositiveIntegerField()
    hours_logged = models.DecimalField(max_digits=30, decimal_places=20)
    recorded_done = models.BooleanField()
    evidence = models.CharField(max_length=20)
    counted = models.BooleanField(help_text="The component counts toward engagement and plans some hours")
    required = models.BooleanField()
    credited_hours = models.DecimalField(max_digits=10, decimal_places=4)
    done = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "component"], name="evidence_tally_once")]

    def __str__(self) -> str:
        return f"Evidence of {self.enrolment_id} toward {self.component_id}"


class EngagementQueue(models.Model):
    """Cohorts whose engagement needs recomputing (an outbox written in the same transaction as the change):
    one row per cohort, so a burst of changes is recomputed once. `version` goes up with each change; the
    recompute removes the row only if no change arrived while it ran."""

    cohort = models.OneToOneField(
        "programmes.Cohort", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    queued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Engagement of cohort {self.cohort_id} v{self.version}"


class AtRiskDigest(models.Model):
    """The weekly email listing at-risk places, sent to one provider admin or coach for one week: kept so
    that a job run twice (a retry, a second worker) sends it once."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_of = models.DateField(help_text="The Monday of the week it was sent for")
    places = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-week_of", "recipient_id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "week_of"], name="digest_once_a_week")]

    def __str__(self) -> str:
        return f"At-risk digest for {self.recipient_id}, week of {self.week_of}"
