"""The platform's own records, beside the domain apps'."""

from django.db import models


class OutboxTask(models.Model):
    """A background job, written in the same transaction as the change that needs it (npqel/jobs.py). It is
    sent to the broker after that transaction commits; if the broker cannot be reached (Redis down) or the
    send is lost, a periodic job sends it later, so no job is lost. Tasks are safe to run twice."""

    task_name = models.CharField(max_length=200)  # the Celery task's name, e.g. "metrics.tasks.…"
    args = models.JSONField(default=list)  # ids and strings only
    countdown = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="outbox_unsent"
            ),
            models.Index(fields=["sent_at"], name="outbox_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"
