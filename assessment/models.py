"""Final assessment: each programme's scheme and its tasks (the rules, as data), the windows a cohort submits
in, participants' submissions with every uploaded version and file kept, the receipt of each submit, extensions
(mitigating circumstances) and the overrides that let a participant who is not yet eligible submit.

Written only through assessment.services; read through assessment.selectors.
"""

import datetime

from django.conf import settings
from django.db import models

# The moment a deadline day ends: 23:59 local means "up to 23:59:59" (assessment/deadlines.py).
DEFAULT_DEADLINE_TIME = datetime.time(23, 59)


def default_file_types() -> list[str]:
    return ["pdf", "docx"]


class AssessmentScheme(models.Model):
    """A programme's final assessment: what participants submit, and the rules for it."""

    programme = models.OneToOneField(
        "programmes.Programme", on_delete=models.CASCADE, related_name="assessment_scheme"
    )
    name = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, help_text="Shown to participants above their tasks")

    def __str__(self) -> str:
        return self.name


class AssessmentTask(models.Model):
    """One thing a participant submits (legacy: Task 1 and Task 2; reformed: the case-study response)."""

    class WindowKind(models.TextChoices):
        FIXED = "fixed", "A fixed window for the whole cohort"
        CHOSEN = "chosen", "Any time the participant chooses before their own deadline"

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE, related_name="tasks")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    main_word_limit = models.PositiveIntegerField()
    # 0: no appendices may be uploaded.
    appendix_word_limit = models.PositiveIntegerField(default=0)
    file_types = models.JSONField(default=default_file_types)
    max_file_mb = models.PositiveSmallIntegerField(default=20)
    window_kind = models.CharField(max_length=8, choices=WindowKind.choices)
    # For a fixed window: its length in calendar days, the deadline falling on the last of them.
    window_days = models.PositiveSmallIntegerField(default=8)
    # Local time (Europe/London) on the last day up to which submissions are on time, to the end of the minute.
    deadline_time = models.TimeField(default=DEFAULT_DEADLINE_TIME)
    attempts_allowed = models.PositiveSmallIntegerField(default=1)
    eligibility_required = models.BooleanField(
        default=True,
        help_text="Only participants who meet the engagement rule may submit (or have an override)",
    )

    class Meta:
        ordering = ["scheme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="assessment_task_number_unique"),
            models.CheckConstraint(
                condition=models.Q(main_word_limit__gte=1), name="task_word_limit_positive"
            ),
            models.CheckConstraint(condition=models.Q(window_days__gte=1), name="task_window_days_positive"),
            models.CheckConstraint(condition=models.Q(max_file_mb__gte=1), name="task_max_file_mb_positive"),
            models.CheckConstraint(
                condition=models.Q(attempts_allowed__gte=1), name="task_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def max_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def takes_appendices(self) -> bool:
        return self.appendix_word_limit > 0


class AssessmentWindow(models.Model):
    """When a cohort may submit one task. A fixed window runs from `opens_on` to `closes_on` (its last day); a
    chosen window opens on `opens_on` and closes at each participant's own deadline to present for assessment.
    The case study (brief and questions) is shown to participants only once the window opens."""

    cohort = models.ForeignKey(
        "programmes.Cohort", on_delete=models.CASCADE, related_name="assessment_windows"
    )
    task = models.ForeignKey(AssessmentTask, on_delete=models.PROTECT, related_name="windows")
    opens_on = models.DateField()
    # The last day of a fixed window; blank for a chosen one (each participant's deadline decides).
    closes_on = models.DateField(null=True, blank=True)
    case_study_title = models.CharField(max_length=200, blank=True)
    case_study = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["opens_on", "task__number"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "task"], name="assessment_window_once_per_task"),
            models.CheckConstraint(
                condition=models.Q(closes_on__isnull=True) | models.Q(closes_on__gte=models.F("opens_on")),
                name="assessment_window_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} for {self.cohort}"


class Submission(models.Model):
    """A participant's submission of one task (one per attempt). Every uploaded version is kept; the one
    submitted is `submitted_version`, and each submit leaves a Receipt."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Uploaded, not submitted"
        SUBMITTED = "submitted", "Submitted"
        LATE_WITH_EXTENSION = "late_with_extension", "Submitted under an extension"
        WITHDRAWN = "withdrawn", "Withdrawn"

    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.PROTECT, related_name="submissions"
    )
    task = models.ForeignKey(AssessmentTask, on_delete=models.PROTECT, related_name="submissions")
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    # A short, random number for the candidate that assessors and the cohort download see instead of a name.
    candidate_number = models.CharField(max_length=12, unique=True)
    submitted_version = models.ForeignKey(
        "SubmissionVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["task__number", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "task", "attempt"], name="submission_once_per_attempt"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "withdrawn"])
                | models.Q(submitted_version__isnull=False, submitted_at__isnull=False),
                name="submission_submitted_has_version",
            ),
        ]
        indexes = [models.Index(fields=["task", "status"])]

    def __str__(self) -> str:
        return f"{self.task} by {self.candidate_number} (attempt {self.attempt})"

    @property
    def is_submitted(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.LATE_WITH_EXTENSION)


class SubmissionChange(models.Model):
    """One change of a submission's status: who, when, from, to and why."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=24, choices=Submission.Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Submission.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.submission}: {self.from_status or 'new'} → {self.to_status}"


class SubmissionVersion(models.Model):
    """One upload: a main document and, where the task takes them, appendices. Never changed or deleted."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # When the request carrying the files began to arrive, and when the server had them all (the deadline rule
    # in assessment/deadlines.py reads both).
    upload_started_at = models.DateTimeField()
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["submission", "number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="submission_version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of {self.submission}"


class SubmissionFile(models.Model):
    """One stored file of a version, under a generated name; the client's filename is kept only to show back."""

    class Role(models.TextChoices):
        MAIN = "main", "Main document"
        APPENDICES = "appendices", "Appendices"

    version = models.ForeignKey(SubmissionVersion, on_delete=models.PROTECT, related_name="files")
    role = models.CharField(max_length=12, choices=Role.choices)
    file = models.FileField(max_length=200)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=8)  # "pdf" or "docx", decided from the content
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    words = models.PositiveIntegerField()
    pages = models.PositiveIntegerField(null=True, blank=True)
    # The participant's own name or email found in the text (assessment/anonymity.py): they are warned, since
    # marking is anonymous.
    names_found = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["version", "-role"]  # the main document before the appendices
        constraints = [
            models.UniqueConstraint(fields=["version", "role"], name="submission_file_once_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.version}"

    @property
    def names_warning(self) -> str:
        """What to tell the participant when their name or email is in the document ("" when not)."""
        from assessment.anonymity import names_warning

        return names_warning(self.names_found)


# Files of a version with the main document before the appendices ("main" sorts after "appendices"), as
# SubmissionFile's own ordering has them.
MAIN_FIRST = ("-role",)


class Receipt(models.Model):
    """Proof of one submit: the reference number, the server's time, and each file's SHA-256, size and word
    count, frozen as issued so that it never changes whatever happens to the records later."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="receipts")
    # A version withdrawn and submitted again has a receipt for each submit.
    version = models.ForeignKey(SubmissionVersion, on_delete=models.PROTECT, related_name="receipts")
    reference = models.CharField(max_length=20, unique=True)
    issued_at = models.DateTimeField()
    late_with_extension = models.BooleanField(default=False)
    content = models.JSONField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.reference


class Extension(models.Model):
    """A request for more time on one task (mitigating circumstances) and a provider admin's decision."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for a decision"
        GRANTED = "granted", "Granted"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn by the participant"

    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.PROTECT, related_name="extensions"
    )
    task = models.ForeignKey(AssessmentTask, on_delete=models.PROTECT, related_name="extensions")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    reason = models.TextField()
    evidence = models.FileField(max_length=200, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    # The deadline when they asked, and the one they asked for.
    deadline_then = models.DateField()
    requested_until = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    # The new last day (the task's deadline time on it), once granted.
    new_deadline = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "task"],
                condition=models.Q(status="requested"),
                name="extension_one_open_request",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="granted") | models.Q(new_deadline__isnull=False),
                name="extension_granted_has_deadline",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"Extension for {self.enrolment} on {self.task}: {self.get_status_display()}"


class SubmissionOverride(models.Model):
    """A provider admin's decision that a participant who does not (yet) meet the engagement rule may submit,
    with the reason. Removing it is recorded too (`revoked_*`)."""

    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.PROTECT, related_name="submission_overrides"
    )
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"], condition=models.Q(revoked_at__isnull=True), name="one_live_override"
            ),
        ]

    def __str__(self) -> str:
        return f"Override for {self.enrolment}"


# Marking (issue 7) -------------------------------------------------------------------------------------------


class MarkScheme(models.Model):
    """How a task's scripts are marked: criteria with their mark ranges, the failure-level omissions, the pass
    mark and the borderline band around it (assessment/outcomes.py decides an outcome from them)."""

    task = models.OneToOneField(AssessmentTask, on_delete=models.CASCADE, related_name="mark_scheme")
    pass_mark = models.PositiveSmallIntegerField()
    # The band is pass_mark - borderline_margin ≤ total < pass_mark + borderline_margin.
    borderline_margin = models.PositiveSmallIntegerField(default=2)
    # Every fail and borderline script is second-marked; so is this share of passes, picked at random.
    second_marking_pass_percent = models.PositiveSmallIntegerField(default=10)
    guidance = models.TextField(
        blank=True, help_text="Shown to assessors: mark positively, for relevance and justification"
    )
    # After results are released: days a participant has to ask for a review, and, after a fail with attempts
    # left (AssessmentTask.attempts_allowed), days they have to resubmit.
    review_days = models.PositiveSmallIntegerField(default=14)
    resubmission_days = models.PositiveSmallIntegerField(default=90)
    # Days an assessor has to mark a script: the due date a second or lead marking gets when it is allocated
    # automatically, and the one offered when an admin allocates.
    marking_days = models.PositiveSmallIntegerField(default=10)

    def __str__(self) -> str:
        return f"Mark scheme of {self.task}"

    @property
    def borderline_from(self) -> int:
        return max(self.pass_mark - self.borderline_margin, 0)

    @property
    def pass_from(self) -> int:
        """The lowest total that passes outright (above the band)."""
        return self.pass_mark + self.borderline_margin


class Criterion(models.Model):
    """One thing a script is marked on, with its descriptors and mark range, linked to content statements."""

    scheme = models.ForeignKey(MarkScheme, on_delete=models.CASCADE, related_name="criteria")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    descriptors = models.TextField(help_text="What each band of marks looks like")
    min_mark = models.PositiveSmallIntegerField(default=0)
    max_mark = models.PositiveSmallIntegerField()
    statements = models.ManyToManyField("programmes.LearningStatement", blank=True, related_name="criteria")

    class Meta:
        ordering = ["scheme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="criterion_number_unique"),
            models.CheckConstraint(
                condition=models.Q(max_mark__gt=models.F("min_mark")), name="criterion_range_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Omission(models.Model):
    """A failure-level omission: a script that leaves it out fails, whatever its marks."""

    scheme = models.ForeignKey(MarkScheme, on_delete=models.CASCADE, related_name="omissions")
    number = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["scheme", "number"]
        constraints = [models.UniqueConstraint(fields=["scheme", "number"], name="omission_number_unique")]

    def __str__(self) -> str:
        return self.text


# Scripts an assessor takes at once when nobody has said otherwise (allocation uses it for anyone without a profile).
DEFAULT_ASSESSOR_CAPACITY = 20


class AssessorProfile(models.Model):
    """What allocation needs to know of an assessor: how many scripts they can take at once, and the schools
    and trusts they work for (never allocated a participant from one of them)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessor_profile"
    )
    capacity = models.PositiveSmallIntegerField(
        default=DEFAULT_ASSESSOR_CAPACITY, help_text="Scripts at once, across providers"
    )
    schools = models.ManyToManyField("participants.School", blank=True, related_name="assessors")
    # A lead assessor decides when the first and second assessors disagree; their decision is final.
    is_lead = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Assessor profile of {self.user}"


class ConflictDeclaration(models.Model):
    """An assessor's declared conflict of interest with a participant: never allocated their scripts."""

    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="declared_conflicts"
    )
    reason = models.CharField(max_length=300)
    declared_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessor", "participant"], name="conflict_once_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.assessor} declared a conflict with {self.participant}"


class Allocation(models.Model):
    """A script given to an assessor to mark (first, second, or the lead assessor's decision), with its due
    date. Moving a script to someone else ends this allocation (`ended_at`) and starts another."""

    class Kind(models.TextChoices):
        FIRST = "first", "First marking"
        SECOND = "second", "Second marking"
        LEAD = "lead", "Lead assessor's decision"

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="allocations")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FIRST)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allocations"
    )
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    allocated_at = models.DateTimeField()
    due_on = models.DateField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)
    # The marking-deadline reminders sent (assessment/tasks.py): a few days before the due date, and once overdue.
    reminded_due_at = models.DateTimeField(null=True, blank=True)
    reminded_overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["allocated_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "kind"],
                condition=models.Q(ended_at__isnull=True),
                name="allocation_one_live_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["assessor", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.submission} by {self.assessor}"


class Marking(models.Model):
    """One assessor's marking of one allocated script: criterion marks, omissions found, feedback and the
    outcome the scheme gives. A draft is saved as often as they like; submitting fixes it. `revision` goes up
    with each save, so a save made from an older copy is refused instead of silently overwriting."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    allocation = models.OneToOneField(Allocation, on_delete=models.PROTECT, related_name="marking")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    marks = models.JSONField(default=dict)  # criterion id (as text) → mark
    comments = models.JSONField(default=dict)  # criterion id (as text) → comment
    omissions = models.JSONField(default=list)  # ids of the failure-level omissions found
    feedback = models.TextField(blank=True)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=12, blank=True)  # assessment.outcomes.Outcome, once submitted
    revision = models.PositiveIntegerField(default=0)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    saved_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Marking of {self.allocation}"


class Result(models.Model):
    """The outcome a script ends with once marking is done (assessment/results.py): from the first marking
    alone, from two assessors who agree, or from the lead assessor's final decision. Participants see it only
    once a provider admin releases it."""

    class Outcome(models.TextChoices):
        PASS = "pass", "Pass"  # noqa: S105 - an outcome, not a password
        FAIL = "fail", "Fail"

    class Route(models.TextChoices):
        FIRST = "first", "First marking (not picked for second marking)"
        AGREED = "agreed", "First and second assessors agreed"
        LEAD = "lead", "Lead assessor's decision"
        MODERATED = "moderated", "Changed by moderation"
        REVIEWED = "reviewed", "Changed on review"

    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="result")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    route = models.CharField(max_length=12, choices=Route.choices)
    # Any marking of the script came out borderline: moderation samples take every such script.
    was_borderline = models.BooleanField(default=False)
    first_marking = models.ForeignKey(Marking, on_delete=models.PROTECT, related_name="+")
    second_marking = models.ForeignKey(
        Marking, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    feedback = models.TextField()  # what the participant reads once released
    decided_at = models.DateTimeField()
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lead_rationale = models.TextField(blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Why it was released without a completed moderation ("" when moderation was complete).
    release_note = models.TextField(blank=True)
    # A fail released with attempts left: the last day to resubmit.
    resubmit_by = models.DateField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)  # the participant told their result is out

    class Meta:
        ordering = ["decided_at", "pk"]
        indexes = [models.Index(fields=["decided_at"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} for {self.submission}"


class ResultChange(models.Model):
    """A released or decided outcome changed (by moderation or a review): before, after, who and why."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="changes")
    from_outcome = models.CharField(max_length=8, choices=Result.Outcome.choices)
    to_outcome = models.CharField(max_length=8, choices=Result.Outcome.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    reason = models.TextField()
    # The feedback the participant would have read before the change (when the change replaced it).
    feedback_before = models.TextField(blank=True)

    class Source(models.TextChoices):
        MODERATION = "moderation", "Moderation"
        REVIEW = "review", "Review"  # the reason is the admin's note to the participant: not for moderators

    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MODERATION)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.result}: {self.from_outcome} → {self.to_outcome}"


class ModerationSample(models.Model):
    """The scripts of one provider and period sent for moderation (assessment/moderation.py): every assessor
    represented, every borderline script, the rest at random up to the rate. The seed is recorded, so the same
    sample can be drawn again and checked."""

    provider = models.ForeignKey("programmes.Provider", on_delete=models.PROTECT, related_name="samples")
    label = models.CharField(max_length=100)
    # Results decided in this period (inclusive dates, UK time).
    period_start = models.DateField()
    period_end = models.DateField()
    rate_percent = models.PositiveSmallIntegerField(default=10)
    seed = models.CharField(max_length=32)
    drawn_at = models.DateTimeField()
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="sample_period_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(rate_percent__gte=1, rate_percent__lte=100), name="sample_rate_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"Moderation sample {self.label} of {self.provider}"


class ModerationItem(models.Model):
    """One script in a sample and the moderator's verdict on its outcome: agree, or disagree with their own
    outcome and why."""

    class Reason(models.TextChoices):
        BORDERLINE = "borderline", "Borderline: every borderline script is moderated"
        ASSESSOR = "assessor", "So that every assessor's marking is seen"
        RANDOM = "random", "Picked at random"

    class Verdict(models.TextChoices):
        AGREE = "agree", "Agree"
        DISAGREE = "disagree", "Disagree"

    sample = models.ForeignKey(ModerationSample, on_delete=models.CASCADE, related_name="items")
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="moderation_items")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    # The outcome moderated (the result's outcome when the sample was drawn).
    outcome_moderated = models.CharField(max_length=8, choices=Result.Outcome.choices)
    verdict = models.CharField(max_length=8, choices=Verdict.choices, blank=True)
    moderator_outcome = models.CharField(max_length=8, choices=Result.Outcome.choices, blank=True)
    rationale = models.TextField(blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sample", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "result"], name="moderation_item_once_per_sample"),
        ]

    def __str__(self) -> str:
        return f"{self.result} in {self.sample}"


class ReviewRequest(models.Model):
    """A participant's request, within the mark scheme's review_days of release, that their result be
    reviewed; and the provider's decision."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for a decision"
        UPHELD = "upheld", "Outcome stands"
        CHANGED = "changed", "Outcome changed"

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="reviews")
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["result"], condition=models.Q(status="requested"), name="one_open_review_per_result"
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.result}"


class Certificate(models.Model):
    """The certificate of a passed qualification, with the code anyone can check at /verify/<code>. What it
    says is frozen when issued (a later change of name or provider name does not rewrite it)."""

    # One valid certificate per place; a revoked one stays (its code still says "revoked") beside a new one.
    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.PROTECT, related_name="certificates"
    )
    code = models.CharField(
        max_length=14, unique=True
    )  # XXXX-XXXX-XXXX, letters and digits that can't be confused
    name = models.CharField(max_length=200)
    qualification = models.CharField(max_length=200)
    provider_name = models.CharField(max_length=200)
    awarded_on = models.DateField()
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_valid_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"Certificate {self.code}"
