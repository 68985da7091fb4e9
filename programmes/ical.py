"""Writing iCalendar (RFC 5545) text for the calendar feed and the session files.

The feed of a provider's admin holds hundreds of sessions and calendar apps fetch it every hour; building it with
the icalendar library's objects cost about 0.6 ms an event (a 286-event feed took 280 ms). The few properties we
write need only what is here: TEXT values escaped, UTC date-times, and lines folded at 75 octets. The tests read
every feed back with the icalendar library, so what is written here is checked by a full parser.
"""

import datetime
from collections.abc import Sequence

LINE_OCTETS = 75


def text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, each line break written as \\n."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def utc(moment: datetime.datetime) -> str:
    """A DATE-TIME in UTC (20221010T090000Z): unambiguous in every calendar app."""
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """One content line ending in CRLF; past 75 octets it goes on in lines that start with a space, never
    splitting a UTF-8 character."""
    encoded = line.encode()
    if len(encoded) <= LINE_OCTETS:
        return line + "\r\n"
    parts = []
    start, room = 0, LINE_OCTETS
    while start < len(encoded):
        end = min(start + room, len(encoded))
        while end < len(encoded) and encoded[end] & 0xC0 == 0x80:  # inside a character: break before it
            end -= 1
        parts.append(encoded[start:end].decode())
        start, room = end, LINE_OCTETS - 1  # the leading space of a continuation counts
    return "\r\n ".join(parts) + "\r\n"


def component(name: str, properties: list[tuple[str, str]], inner: Sequence[str] = ()) -> str:
    """BEGIN:name, its properties (name, value already escaped) as folded lines, inner components, END:name."""
    lines = [f"BEGIN:{name}\r\n"]
    lines += [fold(f"{key}:{value}") for key, value in properties]
    lines += inner
    lines.append(f"END:{name}\r\n")
    return "".join(lines)
