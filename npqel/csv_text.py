"""Reading a CSV file's text the way spreadsheet programs save it, for every import of the platform.

UTF-8 (with or without a byte order mark), UTF-16 with its byte order mark (Excel's “Unicode Text”), or
Windows-1252 (Excel's “CSV” on Windows, which is also what most Latin-1 files hold). Anything else is refused
with a message that says how to save the file, rather than read as garbled names.
"""

import codecs


class NotCsvText(ValueError):
    """The file's bytes are not a CSV text file we can read; the message says what to do (each import shows it
    in its own way)."""


def csv_text(content: bytes, *, not_text: str, then: str = "upload") -> str:
    """The file's text. `not_text` is the import's own message for a file that is not text at all (it names the
    formats that import takes); `then` the verb its page uses for sending the file again."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise NotCsvText(not_text) from None
    elif b"\x00" in content[:4096]:
        raise NotCsvText(not_text)  # UTF-16 without its byte order mark, or not text at all
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("cp1252")
            except UnicodeDecodeError:
                raise NotCsvText(
                    "Some characters in this file cannot be read: it is saved in an encoding we do not know. "
                    f"Save it from your spreadsheet program as “CSV UTF-8”, then {then} that."
                ) from None
    if "\x00" in text[:4096]:
        raise NotCsvText(not_text)  # UTF-32, or another encoding whose every letter holds a zero byte
    if "\x00" in text:  # PostgreSQL cannot keep one, and no name holds one
        row = text[: text.index("\x00")].count("\n") + 1
        raise NotCsvText(
            f"Row {row} holds a character that is not text (a NUL byte). Save the file again as “CSV UTF-8” "
            f"from your spreadsheet program, then {then} that."
        )
    return text
