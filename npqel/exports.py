"""CSV downloads that open safely in a spreadsheet.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) is run as a formula by
Excel, LibreOffice and Google Sheets, so a participant who types `=HYPERLINK(...)` as their school name could
run it on an admin's computer ("CSV injection"). Every text cell starting with one of those characters is
written with a leading `'`, which spreadsheets read as "this is text". Numbers are written as they are: a
number cannot hold a formula, and `-12` must stay a number.
"""

import csv
import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str | int | float | Decimal:
    """One cell's value, safe to open in a spreadsheet. None is an empty cell; dates are written YYYY-MM-DD and
    moments in UK time, YYYY-MM-DD HH:MM."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    """A CSV file to download, every cell neutralised. Starts with a byte order mark so Excel reads the
    names in it (Siân, Zoë) as UTF-8."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # Only characters that need no quoting in a header, whatever a cohort code or name holds.
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "export.csv"
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    # Personal data: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return response
