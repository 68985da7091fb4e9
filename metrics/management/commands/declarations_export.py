"""manage.py declarations_export --provider SLUG [--format json|csv] [--output FILE] [--export PK]"""

import csv
import io
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics import declarations
from metrics.models import DeclarationExport
from npqel.exports import neutralise
from programmes.models import Provider


class Command(BaseCommand):
    help = (
        "Print a provider's DfE declarations waiting to be exported, as JSON in the Lead Provider API's shape or as "
        "CSV, WITHOUT marking them exported (for checking; export from the provider's DfE declarations page). New "
        "declarations are recorded first, as the nightly job would. With --export PK, print that past export again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", required=True, help="the provider's slug, e.g. olp")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", help="a file to write to (default: print)")
        parser.add_argument("--export", type=int, help="the number of a past export to print again")

    def handle(self, *args: object, **options: object) -> None:
        provider = Provider.objects.filter(slug=options["provider"]).first()
        if provider is None:
            known = ", ".join(Provider.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"There is no provider “{options['provider']}”. Known providers: {known}.")
        if options["export"] is not None:
            export = DeclarationExport.objects.filter(provider=provider, pk=options["export"]).first()
            if export is None:
                raise CommandError(f"{provider.name} has no export number {options['export']}.")
            batch = declarations.export_batch(export)
        else:
            recorded = declarations.declarations_record(provider=provider)
            self.stderr.write(
                f"Recorded {recorded.recorded} new declaration(s) and voided {recorded.voided}. Nothing is marked "
                "as exported."
            )
            batch = declarations.pending_batch(provider)
        if options["format"] == "json":
            text = json.dumps(batch.payload(), indent=2, ensure_ascii=False) + "\n"
        else:
            out = io.StringIO()
            writer = csv.writer(out)
            for row in [declarations.CSV_HEADER, *batch.csv_rows()]:
                writer.writerow([neutralise(cell) for cell in row])
            text = out.getvalue()
        if options["output"]:
            path = Path(str(options["output"]))
            path.write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {path}.")
        else:
            self.stdout.write(text, ending="")
