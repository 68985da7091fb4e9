"""manage.py erase_expired: erase now the personal data whose retention period has run out (the nightly job)."""

from django.core.management.base import BaseCommand, CommandParser

from participants import privacy


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


class Command(BaseCommand):
    help = (
        "Erase (pseudonymise) the personal data of people whose every place has ended and whose provider's "
        "retention period has run out since. Their places, dates and outcomes stay for the DfE figures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="say how many people are due, and erase nobody"
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["dry_run"]:
            due = privacy.retention_due_ids()
            self.stdout.write(f"{_people(len(due))} due to be erased. Nothing was erased.")
            if due:
                # Ids only: a terminal's scrollback is no place for names.
                self.stdout.write("Participant ids: " + ", ".join(str(pk) for pk in due))
            return
        erased = privacy.erase_expired()
        self.stdout.write(self.style.SUCCESS(f"Erased the personal data of {_people(erased)}."))
