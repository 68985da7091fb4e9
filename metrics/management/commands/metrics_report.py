"""manage.py metrics_report --provider SLUG --year 2019/20 [--programme CODE] --format json|csv|pdf [--output FILE]"""

import csv
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.compute import metrics_report
from metrics.services import check_year
from npqel.errors import DomainError
from programmes.models import Programme, Provider


def report_rows(report: dict[str, object]) -> list[tuple[str, str, object]]:
    """The report as (metric, measure, value) rows, in the JSON's order; the groups as their own rows."""
    rows: list[tuple[str, str, object]] = []
    for metric, value in report.items():
        if metric == "groups":
            continue
        if isinstance(value, dict):
            rows.extend((metric, measure, figure) for measure, figure in value.items())
        else:
            rows.append((metric, "", value))
    return rows


class Command(BaseCommand):
    help = (
        "Print a provider's DfE quality metrics for one recruitment year, as JSON (with the groups) or CSV, or "
        "write the publishable PDF to a file (--format pdf --output FILE)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", required=True, help="the provider's slug, e.g. olp")
        parser.add_argument("--year", required=True, help="the recruitment year, e.g. 2019/20")
        parser.add_argument(
            "--programme", help="one programme's code (default: all the provider's programmes)"
        )
        parser.add_argument("--format", choices=["json", "csv", "pdf"], default="json")
        parser.add_argument("--output", help="the file to write the PDF to (needed with --format pdf)")

    def handle(self, *args: object, **options: object) -> None:
        provider = Provider.objects.filter(slug=options["provider"]).first()
        if provider is None:
            known = ", ".join(Provider.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"There is no provider “{options['provider']}”. Known providers: {known}.")
        try:
            year = check_year(str(options["year"]))
        except DomainError as problem:
            raise CommandError(problem.message) from None
        programme = None
        if options["programme"]:
            programme = Programme.objects.filter(provider=provider, code__iexact=options["programme"]).first()
            if programme is None:
                codes = ", ".join(provider.programmes.order_by("code").values_list("code", flat=True))
                raise CommandError(
                    f"{provider.name} has no programme “{options['programme']}”. Its programmes: {codes}."
                )
        if options["format"] == "pdf":
            from pathlib import Path

            from metrics.views import metrics_pdf_bytes

            if not options["output"]:
                raise CommandError("Say where to write the PDF with --output, e.g. --output metrics.pdf.")
            path = Path(str(options["output"]))
            path.write_bytes(metrics_pdf_bytes(provider=provider, recruitment_year=year, programme=programme))
            self.stdout.write(f"Wrote {path}.")
            return
        report = metrics_report(provider=provider, recruitment_year=year, programme=programme)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2))
            return
        writer = csv.writer(self.stdout)
        writer.writerow(["metric", "measure", "value"])
        for metric, measure, value in report_rows(report):
            shown = "" if value is None else f"{value:.2f}" if isinstance(value, float) else value
            writer.writerow([metric, measure, shown])
