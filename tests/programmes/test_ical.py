"""The iCalendar writer (programmes/ical.py): what it writes, any text at all, reads back the same in the
icalendar library's parser, in lines of at most 75 octets."""

import datetime

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from programmes import ical

# Any text a title, venue or description may hold (lone surrogates cannot be encoded, so none is stored).
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=400)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_text_reads_back_exactly_in_lines_of_at_most_75_octets(value):
    written = ical.component(
        "VCALENDAR",
        [("VERSION", "2.0"), ("PRODID", "-//test//EN")],
        [ical.component("VEVENT", [("UID", "x@npqel"), ("SUMMARY", ical.text(value))])],
    )
    assert all(len(line) <= 75 for line in written.encode().split(b"\r\n"))
    (event,) = icalendar.Calendar.from_ical(written.encode()).walk("VEVENT")
    # The parser reads a lone carriage return as a line break too; we write every line break as \n.
    assert str(event["SUMMARY"]) == value.replace("\r\n", "\n").replace("\r", "\n")


def test_a_long_line_of_accented_letters_is_never_split_inside_a_letter():
    line = "SUMMARY:" + "é" * 100
    folded = ical.fold(line)
    parts = folded.encode().split(b"\r\n")
    assert max(len(part) for part in parts) <= 75
    for part in parts:
        part.decode()  # raises if a letter's two bytes were split between lines
    assert folded.replace("\r\n ", "") == line + "\r\n"


def test_times_are_utc_instants():
    moment = datetime.datetime(2023, 7, 1, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert ical.utc(moment) == "20230701T090000Z"
