"""Providers, the people who work for them, and (growing in later issues) their programmes and cohorts."""

import datetime

from django.conf import settings
from django.db import models


class Provider(models.Model):
    """A DfE-accredited lead provider (or a delivery partner running its own installation space)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200, unique=True)
    managed_by = models.CharField(max_length=200, blank=True, help_text="e.g. Best Practice Network")

    class Meta:
        ordering = ["name"]

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


class Programme(models.Model):
    """A provider's NPQEL offering. Its rules (thresholds, deadlines, fees) arrive with the programmes issue."""

    class Framework(models.TextChoices):
        LEGACY = "legacy", "Legacy framework (cohorts 2017–2021)"
        REFORMED = "reformed", "Reformed framework (from autumn 2021)"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="programmes")
    code = models.SlugField()
    name = models.CharField(max_length=200)
    framework = models.CharField(max_length=16, choices=Framework.choices)

    class Meta:
        ordering = ["provider__name", "name"]
        constraints = [models.UniqueConstraint(fields=["provider", "code"], name="programme_code_unique")]

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    """One intake of a programme."""

    class Intake(models.TextChoices):
        AUTUMN = "autumn", "Autumn"
        SPRING = "spring", "Spring"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cohorts")
    code = models.SlugField()
    intake = models.CharField(max_length=8, choices=Intake.choices)
    start_date = models.DateField()
    end_date = models.DateField()

    class Meta:
        ordering = ["-start_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="cohort_code_unique"),
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")), name="cohort_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.name} — {self.code}"

    @property
    def recruitment_year(self) -> str:
        """The academic year (1 Sep – 31 Aug) the cohort starts in, written 2019/20."""
        return recruitment_year_of(self.start_date)


def recruitment_year_of(day: datetime.date) -> str:
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"
