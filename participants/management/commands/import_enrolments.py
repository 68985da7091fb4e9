"""manage.py import_enrolments PROVIDER_SLUG FILE: bring a cohort (or past cohorts) in from a spreadsheet."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from npqel.words import plural
from participants.imports import import_enrolments
from participants.models import EnrolmentImport
from programmes.models import Programme, Provider


class Command(BaseCommand):
    help = (
        "Import enrolments from a CSV or XLSX file, all or nothing: every mistake is listed with its row and "
        "column, and nothing is written unless the whole file is right. Importing the same file again "
        "changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider", help="the provider's slug, e.g. ambition")
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file with a header row")
        parser.add_argument(
            "--create-cohorts",
            action="store_true",
            help="create cohorts the file names but that do not exist yet (needs --programme and cohort_start_date)",
        )
        parser.add_argument(
            "--programme", help="the programme's code, for --create-cohorts or ambiguous codes"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show what would change; write nothing"
        )

    def handle(self, *args: object, **options: object) -> None:
        provider = Provider.objects.filter(slug=options["provider"]).first()
        if provider is None:
            known = ", ".join(Provider.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"There is no provider “{options['provider']}”. Known providers: {known}.")
        programme = None
        if options["programme"]:
            programme = Programme.objects.filter(provider=provider, code__iexact=options["programme"]).first()
            if programme is None:
                codes = ", ".join(provider.programmes.order_by("code").values_list("code", flat=True))
                raise CommandError(
                    f"{provider.name} has no programme “{options['programme']}”. Its programmes: {codes}."
                )
        path: Path = options["file"]  # type: ignore[assignment]
        if not path.is_file():
            raise CommandError(f"There is no file at {path}.")
        batch = import_enrolments(
            by=None,
            provider=provider,
            file_name=path.name,
            content=path.read_bytes(),
            create_cohorts=bool(options["create_cohorts"]),
            programme=programme,
            dry_run=bool(options["dry_run"]),
        )
        report = batch.report
        if batch.status == EnrolmentImport.Status.REJECTED:
            for problem in report["problems"]:
                where = f"Row {problem['row']}" + (f", {problem['column']}" if problem["column"] else "")
                self.stderr.write(f"{where}: {problem['message']}")
            if any(p["message"].startswith("There is no cohort") for p in report["problems"]):
                self.stderr.write("To create missing cohorts here, add --create-cohorts --programme CODE.")
            raise CommandError(
                f"Nothing was imported: {plural(len(report['problems']), 'mistake')} to fix in {path.name}."
            )
        verb = "Would import" if batch.status == EnrolmentImport.Status.READY else "Imported"
        self.stdout.write(f"{verb} {path.name} for {provider.name}: " + "; ".join(report["summary"]) + ".")
        for row in report["rows"]:
            if row["action"] != "unchanged":
                details = ", ".join(row["changes"])
                self.stdout.write(
                    f"  row {row['row']} {row['external_id']} {row['name']}: {row['action']}"
                    + (f" ({details})" if details else "")
                )
