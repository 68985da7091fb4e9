from django.core.management.base import BaseCommand

from npqel.jobs import outbox_drain, outbox_state
from npqel.models import OutboxTask

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Show the background jobs waiting to be sent to Redis (the outbox), oldest first; with --drain, send "
        "them now instead of waiting for the next minute's drain."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--drain", action="store_true", help="Send the waiting jobs now.")

    def handle(self, *args: object, drain: bool, **options: object) -> None:
        if drain:
            sent = outbox_drain()
            self.stdout.write(f"Sent {sent} job{'' if sent == 1 else 's'} to Redis.")
        state = outbox_state()
        if not state["unsent"]:
            self.stdout.write("No jobs waiting: every job has been sent to Redis.")
            return
        self.stdout.write(
            f"{state['unsent']} job{'' if state['unsent'] == 1 else 's'} waiting; the oldest for "
            f"{state['oldest_unsent_seconds']} seconds."
        )
        for job in OutboxTask.objects.filter(sent_at__isnull=True).order_by("created_at", "pk")[:SHOWN]:
            if job.attempts:
                tried = f"tried {job.attempts} time{'' if job.attempts == 1 else 's'}; last error: {job.last_error}"
            else:
                tried = "not tried yet"
            self.stdout.write(f"  {job.created_at:%Y-%m-%d %H:%M:%S} {job}: {tried}")
        if state["unsent"] > SHOWN:
            self.stdout.write(f"  … and {state['unsent'] - SHOWN} more.")
