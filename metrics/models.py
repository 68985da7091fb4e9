"""DfE quality metrics (issue 8): the targets a provider is measured against, and snapshots of the computed
figures, kept with their time so that a published figure can always be traced to what it was computed from."""

from django.conf import settings
from django.db import models


class RecruitmentTarget(models.Model):
    """A provider's recruitment targets for one recruitment year (2019/20), for one programme or, with no
    programme, for all its NPQEL programmes together. Where none is set, the cohorts' own targets are used
    (metrics/compute.py)."""

    provider = models.ForeignKey("programmes.Provider", on_delete=models.CASCADE, related_name="targets")
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, null=True, blank=True, related_name="targets"
    )
    recruitment_year = models.CharField(max_length=7)  # "2019/20"
    recruitment_target = models.PositiveIntegerField(null=True, blank=True)
    fsm_target_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    non_white_british_target_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["provider", "recruitment_year", "programme"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "programme", "recruitment_year"],
                name="target_once_per_programme_year",
            ),
            models.UniqueConstraint(
                fields=["provider", "recruitment_year"],
                condition=models.Q(programme__isnull=True),
                name="target_once_per_provider_year",
            ),
            models.CheckConstraint(
                condition=models.Q(recruitment_year__regex=r"^[0-9]{4}/[0-9]{2}$"), name="target_year_format"
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
                name="target_shares_are_percentages",
            ),
        ]

    def __str__(self) -> str:
        return f"Targets of {self.provider} for {self.recruitment_year}"


class MetricSnapshot(models.Model):
    """The metrics of one provider, programme (or all) and recruitment year as computed at one moment. A
    recomputation that finds the same figures writes nothing new (the fingerprint matches the latest), so
    snapshots mark when figures changed."""

    provider = models.ForeignKey("programmes.Provider", on_delete=models.CASCADE, related_name="snapshots")
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, null=True, blank=True, related_name="snapshots"
    )
    recruitment_year = models.CharField(max_length=7)
    computed_at = models.DateTimeField()
    data = models.JSONField()
    # The same figures as published (small groups suppressed): what the PDF, the CSV and the public page show.
    published = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the data, as canonical JSON

    class Meta:
        ordering = ["-computed_at", "-pk"]
        indexes = [models.Index(fields=["provider", "recruitment_year", "-computed_at"])]

    def __str__(self) -> str:
        return f"Metrics of {self.provider} for {self.recruitment_year} at {self.computed_at:%Y-%m-%d %H:%M}"


class RecomputeRun(models.Model):
    """A recomputation someone asked for ("Recompute now"), with its progress for the page to show: how many of
    the provider's recruitment years and programmes are done, of how many."""

    provider = models.ForeignKey("programmes.Provider", on_delete=models.CASCADE, related_name="recomputes")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)  # snapshots written because a figure changed
    finished_at = models.DateTimeField(null=True, blank=True)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Recomputation of {self.provider}'s metrics, {self.done} of {self.total}"

    @property
    def percent_done(self) -> int:
        return (
            100
            if self.finished_at and not self.problem
            else (self.done * 100 // self.total if self.total else 0)
        )


class DeclarationExport(models.Model):
    """One export of a provider's DfE declarations: the declarations new since the export before it."""

    provider = models.ForeignKey(
        "programmes.Provider", on_delete=models.CASCADE, related_name="declaration_exports"
    )
    made_at = models.DateTimeField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-made_at", "-pk"]

    def __str__(self) -> str:
        return f"DfE declarations of {self.provider} exported at {self.made_at:%Y-%m-%d %H:%M}"


class Declaration(models.Model):
    """A milestone a place reached that DfE's Lead Provider API expects to be told about: started, retained-1,
    retained-2 or completed (with has_passed). Recorded once by metrics/declarations.py; a completed
    declaration whose outcome later changes (on review) is voided and a new one recorded."""

    class Type(models.TextChoices):
        STARTED = "started", "Started"
        RETAINED_1 = "retained-1", "Retained 1"
        RETAINED_2 = "retained-2", "Retained 2"
        COMPLETED = "completed", "Completed"

    enrolment = models.ForeignKey(
        "participants.Enrolment", on_delete=models.CASCADE, related_name="declarations"
    )
    # Denormalised from the enrolment so every scoped query is one indexed filter.
    provider = models.ForeignKey("programmes.Provider", on_delete=models.CASCADE, related_name="declarations")
    declaration_type = models.CharField(max_length=16, choices=Type.choices)
    declaration_date = models.DateTimeField()
    has_passed = models.BooleanField(null=True, blank=True)  # completed only
    recorded_at = models.DateTimeField()
    export = models.ForeignKey(
        DeclarationExport, on_delete=models.SET_NULL, null=True, blank=True, related_name="declarations"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)
    # The export that told DfE to void it (only for a declaration exported before it was voided).
    void_export = models.ForeignKey(
        DeclarationExport, on_delete=models.SET_NULL, null=True, blank=True, related_name="voids"
    )

    class Meta:
        ordering = ["declaration_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "declaration_type"],
                condition=models.Q(voided_at__isnull=True),
                name="declaration_once_per_place_and_type",
            ),
            models.CheckConstraint(
                condition=models.Q(declaration_type="completed", has_passed__isnull=False)
                | (~models.Q(declaration_type="completed") & models.Q(has_passed__isnull=True)),
                name="declaration_has_passed_only_when_completed",
            ),
        ]
        indexes = [models.Index(fields=["provider", "export"])]

    def __str__(self) -> str:
        return f"{self.get_declaration_type_display()} declaration for {self.enrolment_id}"
