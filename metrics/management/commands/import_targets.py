"""manage.py import_targets FILE: providers' recruitment targets per recruitment year, from a CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.services import TARGET_COLUMNS, TargetsRefused, targets_import
from npqel.words import plural


class Command(BaseCommand):
    help = (
        f"Import recruitment targets from a CSV with the columns {', '.join(TARGET_COLUMNS)}, all or nothing: "
        "every mistake is listed with its row and column. Importing the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv file with a header row")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        if not path.is_file():
            raise CommandError(f"There is no file at {path}.")
        try:
            targets = targets_import(by=None, content=path.read_bytes())
        except TargetsRefused as refused:
            lines = "\n".join(f"  {problem}" for problem in refused.problems)
            raise CommandError(f"Nothing was imported. Fix these and run it again:\n{lines}") from None
        self.stdout.write(f"Imported {plural(len(targets), 'row')} of targets.")
