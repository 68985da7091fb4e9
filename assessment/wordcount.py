"""The word-count rule for assessment uploads, the same for Word documents and PDFs (docs/word-count.md).

A word is a run of characters between whitespace that has at least one letter or digit in it. The body
counts (headings, paragraphs, lists, tables, text boxes, captions, footnotes and endnotes); headers,
footers, page numbers, the reference list, comments, deleted tracked changes, hidden text and field codes
do not.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from lxml import etree

# From the first letter or digit of a whitespace-separated token to its end: one match per token that has a
# letter or digit, so findall() counts words in linear time (no backtracking on long runs of punctuation).
_WORD = re.compile(r"[^\W_]\S*")
_REFERENCE_HEADING = re.compile(r"\s*(?:references|reference\s+list|bibliography)\s*:?\s*", re.IGNORECASE)
_PAGE_NUMBER = re.compile(
    r"[\s\-\u2013\u2014]*(?:page\s*)?\d+(?:\s*(?:of|/)\s*\d+)?[\s\-\u2013\u2014]*", re.IGNORECASE
)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")

# Lines peeled off the top and bottom of each PDF page at most this many times: a header can be two lines
# (a title and a name), and a page number can sit above or below it.
_PDF_PEEL_ROUNDS = 3


class Readable(Protocol):
    """A stream of bytes: an open file, a zip member, a BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...


class UnsafeXml(ValueError):
    """The XML declares a DOCTYPE (the way entity-expansion attacks begin); Word never writes one."""


class TooManyElements(ValueError):
    """The XML holds more elements than the caller agreed to look at (each costs Python time)."""


def count_words(text: str) -> int:
    """How many words `text` holds by the rule: whitespace-separated runs with a letter or digit."""
    return len(_WORD.findall(text))


def is_reference_heading(line: str) -> bool:
    """Whether a line reads exactly "References", "Reference list" or "Bibliography" (any case, optional colon)."""
    return _REFERENCE_HEADING.fullmatch(line) is not None


def is_page_number(line: str) -> bool:
    """Whether a line is only a page number: "3", "Page 3", "Page 3 of 10", "3 / 10", "- 3 -"."""
    return _PAGE_NUMBER.fullmatch(line) is not None


# --- Word documents -------------------------------------------------------------------------------------

_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",  # Transitional: what Word saves
    "http://purl.oclc.org/ooxml/wordprocessingml/main",  # Strict Open XML
)
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"


def _tags(*names: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{name}" for ns in _NAMESPACES for name in names)


_ROOTS = _tags("document", "footnotes", "endnotes")
_PARAGRAPH = _tags("p")
_TEXT = _tags("t")
_WHITESPACE = _tags("tab", "br", "cr", "ptab")
_HYPHEN = _tags("noBreakHyphen")
_RUN = _tags("r")
_RUN_PROPERTIES = _tags("rPr")
_VANISH = _tags("vanish")
_TABLE = _tags("tbl")
_TEXT_BOX = _tags("txbxContent")
_NOTE = _tags("footnote", "endnote")
# Text moved away with Track Changes on is shown again where it was moved to; count it there only.
_MOVED_FROM = _tags("moveFrom")
_ALTERNATE = _MC + "AlternateContent"
_CHOICE = _MC + "Choice"
_FALLBACK = _MC + "Fallback"
# Word's own marks between footnotes (the separator line and its continuation), not anyone's words.
_NOTE_SEPARATORS = frozenset({"separator", "continuationSeparator", "continuationNotice"})
_OFF = frozenset({"0", "false", "off"})
_TYPE_ATTRIBUTES = tuple(f"{{{ns}}}type" for ns in _NAMESPACES)
_VAL_ATTRIBUTES = tuple(f"{{{ns}}}val" for ns in _NAMESPACES)

# Only these elements reach Python; the parser skips the rest (w:instrText, w:delText, comments' anchors...)
# in C, so their text is never seen and a 5 MB document parses in well under a second.
_EVENT_TAGS = sorted(
    _ROOTS
    | _PARAGRAPH
    | _TEXT
    | _WHITESPACE
    | _HYPHEN
    | _RUN
    | _VANISH
    | _TABLE
    | _TEXT_BOX
    | _NOTE
    | _MOVED_FROM
    | {_ALTERNATE, _CHOICE, _FALLBACK}
)


def _attribute(element: etree._Element, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = element.get(name)
        if value is not None:
            return value
    return None


class _Allowance:
    def __init__(self, elements: int | None) -> None:
        self.left = elements


class _Peeked:
    """A stream whose first bytes were read to look at them, read again from the start."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.rest.read(size)


# Enough to reach a DOCTYPE: it must come before the root element, after at most the XML declaration.
DOCTYPE_WINDOW = 4096


def _refuse_doctype_first(source: Readable) -> Readable:
    """Refuse a part that declares a DOCTYPE before the parser sees it: libxml2 (lxml 6.2 on) may stop on the
    entities' amplification while reading the DTD, before it hands back any event to check."""
    head = source.read(DOCTYPE_WINDOW)
    if b"<!DOCTYPE" in head:
        raise UnsafeXml("DOCTYPE in a Word document part")
    return _Peeked(head, source)


def _xml_words(source: Readable, *, main: bool, allowance: _Allowance) -> int:
    """Counts one part (document.xml, footnotes.xml or endnotes.xml) read as a stream."""
    context = etree.iterparse(
        _refuse_doctype_first(source),
        events=("start", "end"),
        tag=_EVENT_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    total = 0
    counted_before_references: int | None = None
    paragraphs: list[list[str]] = []  # text of each open paragraph; a text box's paragraphs nest in a run
    hidden_runs: list[bool] = []
    skipping: list[bool] = []  # per open skippable element: whether it started a skip
    skip = 0
    choice_taken: list[bool] = []  # per open mc:AlternateContent: whether its first mc:Choice was read
    tables = text_boxes = 0
    checked_doctype = False
    counted_elements = 0
    for event, element in context:
        if not checked_doctype:
            checked_doctype = True
            if element.getroottree().docinfo.doctype:
                raise UnsafeXml("DOCTYPE in a Word document part")
        tag = element.tag
        if event == "start":
            if tag in _PARAGRAPH:
                paragraphs.append([])
            elif tag in _RUN:
                hidden_runs.append(False)
            elif tag in _TABLE:
                tables += 1
            elif tag in _TEXT_BOX:
                text_boxes += 1
            elif tag == _ALTERNATE:
                choice_taken.append(False)
            elif tag in _NOTE or tag in _MOVED_FROM or tag == _CHOICE or tag == _FALLBACK:
                if tag in _NOTE:
                    starts_skip = _attribute(element, _TYPE_ATTRIBUTES) in _NOTE_SEPARATORS
                elif tag == _CHOICE:
                    # Word offers the same content as several choices and a fallback: read the first choice.
                    starts_skip = bool(choice_taken) and choice_taken[-1]
                    if choice_taken:
                        choice_taken[-1] = True
                else:
                    starts_skip = True
                skipping.append(starts_skip)
                skip += starts_skip
            continue

        counted_elements += 1
        if allowance.left is not None and counted_elements > allowance.left:
            raise TooManyElements(f"more than {allowance.left:,} elements")
        if tag in _TEXT:
            if not skip and paragraphs and not any(hidden_runs):
                paragraphs[-1].append(element.text or "")
        elif tag in _WHITESPACE:
            if paragraphs:
                paragraphs[-1].append(" ")
        elif tag in _HYPHEN:
            if not skip and paragraphs and not any(hidden_runs):
                paragraphs[-1].append("-")
        elif tag in _VANISH:
            parent = element.getparent()
            if (
                hidden_runs
                and parent is not None
                and parent.tag in _RUN_PROPERTIES
                and parent.getparent() is not None
                and parent.getparent().tag in _RUN
            ):
                hidden_runs[-1] = _attribute(element, _VAL_ATTRIBUTES) not in _OFF
        elif tag in _RUN:
            if hidden_runs:
                hidden_runs.pop()
        elif tag in _PARAGRAPH:
            text = "".join(paragraphs.pop()) if paragraphs else ""
            if text and not skip:
                words = count_words(text)
                if main and not tables and not text_boxes and is_reference_heading(text):
                    # The last such line wins: a contents list may name "References" before the real list.
                    counted_before_references = total
                total += words
            _forget(element)
        elif tag in _TABLE:
            tables -= 1
            _forget(element)
        elif tag in _TEXT_BOX:
            text_boxes -= 1
        elif tag == _ALTERNATE:
            if choice_taken:
                choice_taken.pop()
        elif tag in _NOTE or tag in _MOVED_FROM or tag == _CHOICE or tag == _FALLBACK:
            if skipping and skipping.pop():
                skip -= 1
            if tag in _NOTE:
                _forget(element)
    root = context.root
    if root is not None and root.getroottree().docinfo.doctype:
        raise UnsafeXml("DOCTYPE in a Word document part")
    if allowance.left is not None:
        allowance.left -= counted_elements
    return total if counted_before_references is None else counted_before_references


def _forget(element: etree._Element) -> None:
    # Drop what has been counted so memory stays flat however long the document is.
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def docx_words(document: Readable, notes: Iterable[Readable] = (), *, max_elements: int | None = None) -> int:
    """Words in a Word document: word/document.xml plus its footnotes.xml and endnotes.xml streams.

    Raises UnsafeXml for a DOCTYPE, TooManyElements past `max_elements` (all parts together), and lxml's
    XMLSyntaxError for XML that is not well formed.
    """
    allowance = _Allowance(max_elements)
    words = _xml_words(document, main=True, allowance=allowance)
    return words + sum(_xml_words(part, main=False, allowance=allowance) for part in notes)


# --- PDFs ----------------------------------------------------------------------------------------------


def _line_key(line: str) -> str:
    # "Page 3 of 10" and "Page 4 of 10" are the same running footer; so are "Smith 2024" lines that differ
    # only in a number.
    return _SPACES.sub(" ", _DIGITS.sub("#", line)).strip().casefold()


def pdf_body_lines(pages: Sequence[str]) -> list[list[str]]:
    """Each page's non-empty lines with running headers, footers and page numbers taken off."""
    lines = [[line.strip() for line in text.splitlines() if line.strip()] for text in pages]
    top = [0] * len(lines)
    bottom = [len(page) for page in lines]
    # A line is a running header or footer when it repeats as a page's first or last line on at least half
    # the pages, and on two pages at least (so a two-page essay keeps its own first and last lines).
    needed = max(2, (len(lines) + 1) // 2)
    for _ in range(_PDF_PEEL_ROUNDS):
        changed = False
        for index, page in enumerate(lines):
            while top[index] < bottom[index] and is_page_number(page[top[index]]):
                top[index] += 1
                changed = True
            while top[index] < bottom[index] and is_page_number(page[bottom[index] - 1]):
                bottom[index] -= 1
                changed = True
        if len(lines) >= 2:
            seen: Counter[str] = Counter()
            for index, page in enumerate(lines):
                if top[index] < bottom[index]:
                    seen.update({_line_key(page[top[index]]), _line_key(page[bottom[index] - 1])})
            running = {key for key, pages_seen in seen.items() if pages_seen >= needed}
            for index, page in enumerate(lines):
                if top[index] < bottom[index] and _line_key(page[top[index]]) in running:
                    top[index] += 1
                    changed = True
                if top[index] < bottom[index] and _line_key(page[bottom[index] - 1]) in running:
                    bottom[index] -= 1
                    changed = True
        if not changed:
            break
    return [page[top[index] : bottom[index]] for index, page in enumerate(lines)]


def pdf_words(pages: Sequence[str]) -> int:
    """Words in a PDF given each page's text: no running headers, footers, page numbers or reference list."""
    body = pdf_body_lines(pages)
    # The reference list runs from the last line that is only its heading to the end of the document.
    for page_index in range(len(body) - 1, -1, -1):
        page = body[page_index]
        for line_index in range(len(page) - 1, -1, -1):
            if len(page[line_index]) <= 40 and is_reference_heading(page[line_index]):
                body = [*body[:page_index], page[:line_index]]
                break
        else:
            continue
        break
    # Lines end words, so each page can be counted in one go.
    return sum(count_words("\n".join(page)) for page in body)
