"""CSV downloads open safely in a spreadsheet: no cell a participant typed can run as a formula."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from npqel.exports import csv_response, neutralise


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(typed, written):
    assert neutralise(typed) == written


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Oakfield Academy", "Oakfield Academy"),
        ("Anne-Marie O'Neill", "Anne-Marie O'Neill"),
        ("1+1", "1+1"),
        ("", ""),
        (None, ""),
        (-12, -12),  # a number cannot hold a formula, and must stay a number
        (Decimal("24.50"), Decimal("24.50")),
        (True, "Yes"),
        (False, "No"),
        (datetime.date(2024, 2, 29), "2024-02-29"),
    ],
)
def test_everything_else_is_written_as_it_is(value, written):
    assert neutralise(value) == written


def test_a_csv_download_neutralises_every_cell_and_opens_as_utf8():
    response = csv_response(
        'roster "2024"\r\n.csv',
        ["Name", "=Header"],
        [["Siân =Jones", "=1+1"], ["-Zoë", -3], [None, datetime.date(2024, 3, 1)]],
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="roster-2024-.csv"'
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so Excel reads Siân and Zoë correctly
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [
        ["Name", "'=Header"],
        ["Siân =Jones", "'=1+1"],
        ["'-Zoë", "-3"],
        ["", "2024-03-01"],
    ]
