"""Participants and their enrolments. The participants issue adds schools, equality data and the lifecycle."""

from django.conf import settings
from django.db import models


class Participant(models.Model):
    """A school leader taking the qualification."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participant"
    )
    job_role = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return str(self.user)


class Enrolment(models.Model):
    """A participant's place on one cohort. Participants see the platform through their enrolments."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        ACCEPTED = "accepted", "Accepted"
        ACTIVE = "active", "Active"
        DEFERRED = "deferred", "Deferred"
        WITHDRAWN = "withdrawn", "Withdrawn"
        COMPLETED = "completed", "Completed (passed)"
        FAILED = "failed", "Failed"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="enrolments")
    cohort = models.ForeignKey("programmes.Cohort", on_delete=models.PROTECT, related_name="enrolments")
    # Denormalised from cohort → programme → provider so every scoped query is one indexed filter.
    provider = models.ForeignKey("programmes.Provider", on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    start_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["cohort__start_date"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "cohort"], name="enrolment_once_per_cohort"),
        ]
        indexes = [models.Index(fields=["provider", "status"])]

    def __str__(self) -> str:
        return f"{self.participant} on {self.cohort}"
