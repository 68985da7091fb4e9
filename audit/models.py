"""The audit trail (issue 9): every change to enrolments, attendance, submissions, marks, moderation and
results — who made it, when, and the values before and after — for provider admins (their provider's) and
platform staff (everyone's). Rows are only ever added; erasing a person (data protection) pseudonymises their
name in the rows that mention them, and keeps the rows."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    provider = models.ForeignKey(
        "programmes.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    at = models.DateTimeField(db_index=True)
    # Who: the signed-in person (None: the platform itself, e.g. a nightly job), and their name as it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=80)  # "enrolment.withdrawn", "attendance.marked", "result.released"
    object_type = models.CharField(max_length=50)  # "enrolment", "attendance", "submission", …
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=200, blank=True)  # what a person reads: "C1234567, task 1"
    # The fields that changed: {"status": "active"} before, {"status": "withdrawn"} after (None: created or
    # deleted). Never equality data (ethnicity, sex, disability, age).
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["provider", "-at"], name="audit_by_provider"),
            models.Index(fields=["object_type", "object_id"], name="audit_by_object"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.action} {self.object_type} {self.object_id}"
        )
