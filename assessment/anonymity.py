"""Anonymous marking (issue 7): the copy of a script that assessors open, and the warning a participant sees
when their own name or email is in what they wrote.

Assessors and moderators see a candidate number, never the name. The file they open is `stripped_copy()` of
the upload: the same text and layout without the author fields a word processor fills in by itself. What the
participant typed is theirs to change, so it is never edited: `names_found()` tells them where they have
named themselves, and `names_warning()` says what to do about it.
"""

import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence

import pypdfium2 as pdfium
from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from assessment.documents import (
    MAX_INFLATED_BYTES,
    MAX_PDF_OBJECTS,
    MAX_RATIO,
    MAX_XML_ELEMENTS,
    MAX_ZIP_MEMBERS,
    PDFIUM_LOCK,
    RATIO_CHECK_FROM,
    page_texts,
)
from npqel.errors import DomainError


class CannotAnonymise(DomainError):
    """The document could not be read well enough to make the anonymous copy or look for the person's name."""

    def __init__(self) -> None:
        super().__init__(
            "We could not prepare your document for anonymous marking. Open it, save it again as a new file "
            "(in Word: File > Save As), and upload that."
        )


# --- Reading a Word package safely ----------------------------------------------------------------------


def package_members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """Every member of a Word document (a zip) with its inflated bytes, in the zip's order.

    The same caps as documents.py (members, inflated bytes, ratio), and no XML part may declare a DOCTYPE,
    so a parser that does expand entities (python-mammoth's minidom) is safe on what passes. Raises
    CannotAnonymise otherwise.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise CannotAnonymise from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise CannotAnonymise
    left = MAX_INFLATED_BYTES
    result = []
    with archive:
        for info in members:
            try:
                with archive.open(info) as member:
                    raw = member.read(left + 1)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
                raise CannotAnonymise from None
            left -= len(raw)
            if left < 0 or (
                len(raw) > RATIO_CHECK_FROM and len(raw) > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise CannotAnonymise
            if _is_xml(info.filename) and _has_doctype(raw):
                raise CannotAnonymise
            result.append((info, raw))
    return result


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


def _parser() -> etree.XMLParser:
    # A parser per call: lxml parsers must not be shared between threads.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
    )


def _has_doctype(raw: bytes) -> bool:
    """Whether an XML part declares a DOCTYPE (Word never writes one); unreadable XML counts as one."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        for offset in range(0, max(len(raw), 1), 64 * 1024):
            parser.feed(raw[offset : offset + 64 * 1024])
            for _event, element in parser.read_events():
                return bool(element.getroottree().docinfo.doctype)
        parser.close()
    except etree.XMLSyntaxError:
        return bool(raw.strip())  # an empty part is harmless; broken XML is not read further
    return False


def _parse(raw: bytes) -> etree._Element:
    try:
        return etree.fromstring(raw, _parser())
    except (etree.XMLSyntaxError, ValueError):
        raise CannotAnonymise from None


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- The anonymous copy ---------------------------------------------------------------------------------


def stripped_copy(data: bytes, kind: str) -> bytes:
    """A copy of an accepted script (`kind` "pdf" or "docx", as on SubmissionFile) without the author fields
    that name the person: the text, pages and layout are unchanged.

    Word: document properties (author, last saved by, title, company, manager, custom properties, SharePoint
    metadata), the names on comments and tracked changes (each becomes "Author", as Word's own "remove
    personal information" does), the list of reviewers (people.xml), content controls' links to those
    properties (their text stays), local file paths in links and templates (often C:\\Users\\jane.smith\\...),
    camera and author details inside pictures, and the same properties of Word, Excel and PowerPoint files
    embedded in it. Zip timestamps and comments are not carried over.

    PDF: the document information (author, creator, producer, title, subject, keywords), XMP metadata
    anywhere in the file, applications' private data (/PieceInfo), the author of each comment or markup,
    camera and author details inside JPEG pictures; earlier saved revisions are dropped.

    Raises CannotAnonymise when the document cannot be read that far.
    """
    if kind == "docx":
        return _stripped_package(data, depth=0)
    if kind == "pdf":
        return _stripped_pdf(data)
    raise ValueError(f"kind must be 'pdf' or 'docx', not {kind!r}")


_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
_APP_TYPE = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_PEOPLE_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml"

_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    b'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
)
_EMPTY_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)
_EMPTY_PEOPLE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"/>'
)
# What docProps/app.xml may keep: counts and the program's name. Company, Manager, Template, HyperlinkBase
# and the titles of parts go.
_APP_KEEP = frozenset(
    {
        "Application",
        "AppVersion",
        "DocSecurity",
        "ScaleCrop",
        "LinksUpToDate",
        "SharedDoc",
        "HyperlinksChanged",
        "Pages",
        "Words",
        "Characters",
        "CharactersWithSpaces",
        "Lines",
        "Paragraphs",
        "TotalTime",
    }
)
_WORD_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)
_AUTHOR = frozenset(f"{{{ns}}}author" for ns in _WORD_NAMESPACES)
_INITIALS = frozenset(f"{{{ns}}}initials" for ns in _WORD_NAMESPACES)
_DATA_BINDING = frozenset(
    {
        *(f"{{{ns}}}dataBinding" for ns in _WORD_NAMESPACES),
        "{http://schemas.microsoft.com/office/word/2012/wordml}dataBinding",
    }
)
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# A link's target that is a file on the writer's computer: file:, C:\, \\server, /Users/, /home/.
_LOCAL_PATH = re.compile(r"(?i)^(?:file:|[a-z]:[\\/]|\\\\|/(?:users|home)/)")
_EMBEDDED_PACKAGES = (".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".pptm")
_NEUTRAL_AUTHOR = "Author"


def _content_types(members: list[tuple[zipfile.ZipInfo, bytes]]) -> dict[str, str]:
    """Lower-cased member name → lower-cased content type."""
    raw = next((raw for info, raw in members if info.filename.lower() == "[content_types].xml"), None)
    if raw is None:
        return {}
    root = _parse(raw)
    defaults = {
        (e.get("Extension") or "").lower(): (e.get("ContentType") or "").lower()
        for e in root.iter(_CT + "Default")
    }
    overrides = {
        (e.get("PartName") or "").lstrip("/").lower(): (e.get("ContentType") or "").lower()
        for e in root.iter(_CT + "Override")
    }
    types = {}
    for info, _raw in members:
        name = info.filename.lower()
        types[name] = overrides.get(name) or defaults.get(name.rpartition(".")[2], "")
    return types


def _stripped_package(data: bytes, *, depth: int) -> bytes:
    members = package_members(data)
    types = _content_types(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, raw in members:
            name = info.filename.lower()
            content_type = types.get(name, "")
            # A fresh entry: no timestamps, comment or "extra" fields (which can carry the owner's ids).
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            if not info.is_dir():
                raw = _stripped_member(name, content_type, raw, depth=depth)
            target.writestr(entry, raw)
    return out.getvalue()


def _stripped_member(name: str, content_type: str, raw: bytes, *, depth: int) -> bytes:
    if content_type == _CORE_TYPE or name == "docprops/core.xml":
        return _EMPTY_CORE
    if content_type == _CUSTOM_TYPE or name == "docprops/custom.xml":
        return _EMPTY_CUSTOM
    if content_type == _PEOPLE_TYPE or name.endswith("/people.xml"):
        return _EMPTY_PEOPLE
    if content_type == _APP_TYPE or name == "docprops/app.xml":
        root = _parse(raw)
        for child in list(root):
            if not isinstance(child.tag, str) or etree.QName(child).localname not in _APP_KEEP:
                root.remove(child)
        return _serialise(root)
    if re.fullmatch(r"customxml/item\d*\.xml", name):
        # SharePoint keeps the owner's and editors' names here; content controls' text stays in the document.
        root = _parse(raw)
        for child in list(root):
            root.remove(child)
        root.attrib.clear()
        root.text = None
        return _serialise(root)
    if name.endswith(".rels"):
        return _stripped_relationships(raw)
    if _is_xml(name) and (b"author" in raw or b"initials" in raw or b"dataBinding" in raw):
        return _stripped_word_part(raw)
    if name.endswith((".jpg", ".jpeg")):
        return _jpeg_without_metadata(raw)
    if name.endswith(".png"):
        return _png_without_metadata(raw)
    if depth == 0 and name.endswith(_EMBEDDED_PACKAGES) and raw.startswith(b"PK\x03\x04"):
        try:
            return _stripped_package(raw, depth=depth + 1)
        except CannotAnonymise:
            return raw  # an embedded file we cannot read: Word shows only its picture, so it stays as it was
    return raw


def _stripped_word_part(raw: bytes) -> bytes:
    """Comments, tracked changes and content controls without the reviewer's name and property links."""
    root = _parse(raw)
    changed = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in list(element.attrib):
            if attribute in _AUTHOR:
                element.set(attribute, _NEUTRAL_AUTHOR)
                changed = True
            elif attribute in _INITIALS:
                del element.attrib[attribute]
                changed = True
    for binding in [e for e in root.iter() if isinstance(e.tag, str) and e.tag in _DATA_BINDING]:
        binding.getparent().remove(binding)
        changed = True
    return _serialise(root) if changed else raw


def _stripped_relationships(raw: bytes) -> bytes:
    """Links to files on the writer's computer keep only their extension: the path names them."""
    root = _parse(raw)
    changed = False
    for relationship in root.iter(_REL):
        target = relationship.get("Target") or ""
        if relationship.get("TargetMode") == "External" and _LOCAL_PATH.match(target):
            suffix = re.search(r"\.[A-Za-z0-9]{1,5}$", target)
            relationship.set("Target", "linked-file" + (suffix.group(0) if suffix else ""))
            changed = True
    return _serialise(root) if changed else raw


# JPEG segments that describe rather than draw: Exif and XMP (APP1), Photoshop/IPTC (APP13), comments (COM).
_JPEG_DROP = frozenset({0xE1, 0xED, 0xFE})


def _jpeg_without_metadata(raw: bytes) -> bytes:
    """A JPEG without its Exif, XMP, IPTC and comment segments; the picture's bytes are untouched."""
    if not raw.startswith(b"\xff\xd8"):
        return raw
    out = bytearray(raw[:2])
    position = 2
    while position + 4 <= len(raw):
        if raw[position] != 0xFF:
            return raw  # not laid out as we expect: leave the picture alone
        marker = raw[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA or 0xD0 <= marker <= 0xD7 or marker == 0x01:  # start of scan: pixels follow
            out += raw[position:]
            return bytes(out)
        length = int.from_bytes(raw[position + 2 : position + 4], "big")
        if length < 2 or position + 2 + length > len(raw):
            return raw
        if marker not in _JPEG_DROP:
            out += raw[position : position + 2 + length]
        position += 2 + length
    return raw


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROP = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})


def _png_without_metadata(raw: bytes) -> bytes:
    """A PNG without its text, Exif and time chunks; the picture's chunks are untouched."""
    if not raw.startswith(_PNG_SIGNATURE):
        return raw
    out = bytearray(_PNG_SIGNATURE)
    position = len(_PNG_SIGNATURE)
    while position + 12 <= len(raw):
        length = int.from_bytes(raw[position : position + 4], "big")
        end = position + 12 + length
        if end > len(raw):
            return raw
        if raw[position + 4 : position + 8] not in _PNG_DROP:
            out += raw[position:end]
        position = end
    return bytes(out) if position == len(raw) else raw


# --- PDF ------------------------------------------------------------------------------------------------

# Markup annotations carry their author in /T; a form field's /T is its name and must stay.
_KEEP_TITLE = frozenset({"/Widget", "/Link"})


def _stripped_pdf(data: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        objects = _pdf_objects(reader)
        for value in objects:
            _strip_pdf_value(value)
        writer = PdfWriter(clone_from=reader)  # clones only what the pages and catalogue reach
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except CannotAnonymise:
        raise
    except Exception:  # pypdf raises many types for a broken object; the upload was checked, so this is rare
        raise CannotAnonymise from None
    return out.getvalue()


def _pdf_objects(reader: PdfReader) -> list[object]:
    references = [
        IndirectObject(number, generation, reader)
        for generation, numbers in reader.xref.items()
        for number in numbers
    ]
    references.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    if len(references) > MAX_PDF_OBJECTS:
        raise CannotAnonymise
    return [reference.get_object() for reference in references]


def _strip_pdf_value(top: object) -> None:
    """Removes metadata from one object and the dictionaries written inside it."""
    stack = [top]
    while stack:
        value = stack.pop()
        if isinstance(value, DictionaryObject):
            keys = dict.keys(value)
            for key in ("/Metadata", "/PieceInfo"):
                if key in keys:
                    del value[key]
            if "/T" in keys and "/Subtype" in keys and dict.get(value, "/Subtype") not in _KEEP_TITLE:
                if dict.get(value, "/Type", "/Annot") == "/Annot":
                    del value["/T"]
            if isinstance(value, StreamObject) and _is_plain_jpeg(value):
                raw = getattr(value, "_data", b"")
                value._data = _jpeg_without_metadata(raw)  # pypdf writes /Length from _data
            stack.extend(v for v in dict.values(value) if isinstance(v, DictionaryObject | ArrayObject))
        elif isinstance(value, ArrayObject):
            stack.extend(v for v in list.__iter__(value) if isinstance(v, DictionaryObject | ArrayObject))


def _is_plain_jpeg(stream: StreamObject) -> bool:
    return dict.get(stream, "/Subtype") == "/Image" and dict.get(stream, "/Filter") in ("/DCTDecode", "/DCT")


# --- The participant's name in the text -----------------------------------------------------------------

_WORD_MAIN_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.document.macroenabled.main+xml",
    }
)
_WORD_TEXT_TYPES = frozenset(
    f"application/vnd.openxmlformats-officedocument.wordprocessingml.{part}+xml"
    for part in ("header", "footer", "footnotes", "endnotes", "comments")
)


def _word_tags(*names: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{name}" for ns in _WORD_NAMESPACES for name in names)


_P = _word_tags("p")
_T = _word_tags("t", "delText")
_SPACE = _word_tags("tab", "br", "cr", "ptab")
_TEXT_EVENT_TAGS = sorted(_P | _T | _SPACE)


def document_text(data: bytes, kind: str) -> str:
    """All the text a reader of the document could see, for looking for the person's name.

    Unlike the word count (assessment/wordcount.py) this takes everything: headers and footers (where names
    usually are), footnotes, endnotes, comments, text deleted with Track Changes still showing, and hidden
    text. A Word document gives one line per paragraph; a PDF its pages' text as PDFium extracts it, as
    documents.py does for the count.
    """
    if kind == "docx":
        return _docx_text(data)
    if kind == "pdf":
        return _pdf_text(data)
    raise ValueError(f"kind must be 'pdf' or 'docx', not {kind!r}")


def _docx_text(data: bytes) -> str:
    members = package_members(data)
    types = _content_types(members)
    main = [raw for info, raw in members if types.get(info.filename.lower()) in _WORD_MAIN_TYPES]
    others = [raw for info, raw in members if types.get(info.filename.lower()) in _WORD_TEXT_TYPES]
    left = MAX_XML_ELEMENTS
    lines: list[str] = []
    for raw in main + others:
        left = _part_lines(raw, lines, left)
    return "\n".join(lines)


def _part_lines(raw: bytes, lines: list[str], left: int) -> int:
    """Adds each paragraph of one part as a line; returns how many elements may still be looked at."""
    context = etree.iterparse(
        io.BytesIO(raw),
        events=("start", "end"),
        tag=_TEXT_EVENT_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    paragraphs: list[list[str]] = []  # a text box's paragraphs nest inside a run of another paragraph
    try:
        for event, element in context:
            if event == "start":
                if element.tag in _P:
                    paragraphs.append([])
                continue
            left -= 1
            if left < 0:
                raise CannotAnonymise
            if element.tag in _T:
                if paragraphs:
                    paragraphs[-1].append(element.text or "")
            elif element.tag in _SPACE:
                if paragraphs:
                    paragraphs[-1].append(" ")
            elif element.tag in _P:
                text = "".join(paragraphs.pop()) if paragraphs else ""
                if text.strip():
                    lines.append(text)
                element.clear(keep_tail=False)
    except etree.XMLSyntaxError:
        raise CannotAnonymise from None
    return left


def _pdf_text(data: bytes) -> str:
    with PDFIUM_LOCK:  # one thread in PDFium at a time (assessment/documents.py)
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise CannotAnonymise from None
        try:
            return "\n".join(page_texts(document))
        except pdfium.PdfiumError:
            raise CannotAnonymise from None
        finally:
            document.close()


_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "rev", "revd"}
)
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00ad": None, "\u200b": None})
# The name of someone cited rather than the writer: "Smith (2019)", "Smith, 2019", "Smith, J. (2019)",
# "Smith et al.", "Smith n.d.".
_CITATION_AFTER = r"(?!\s*(?:,\s*(?:[A-Z]\.\s*)+)?[,(]?\s*\(?(?:\d{4}|n\.d\.)|\s+et\s+al\b)"
# The shortest surname looked for on its own: "Day", "Lee" and "Fox" would match too much ordinary text.
MIN_SURNAME_LETTERS = 4


def _plain(text: str) -> str:
    """Accents off, one kind of apostrophe, soft hyphens gone, any run of whitespace one space."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return _SPACES.sub(" ", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _name_parts(full_name: str) -> list[str]:
    """The words of a name as the person wrote it, without a title in front ("Dr", "Mrs")."""
    parts = full_name.split()
    while len(parts) > 1 and _plain(parts[0]).lower().rstrip(".") in _TITLES:
        parts = parts[1:]
    return parts


def names_in_text(text: str, *, full_name: str, email: str) -> list[str]:
    """Which of the person's identifying strings `text` contains, most specific first.

    Looked for, ignoring case and accents, as whole words, with any spaces or line breaks between words:
      - the email address;
      - the name: the full name as given; first and last name ("Jane Smith", "Jane M. Smith"); last then
        first ("Smith, Jane", "SMITH Jane");
      - the email's local part when it is built from the name ("jane.smith", "jsmith"), not when it is a
        role ("head", "office");
      - the surname alone, when it has at least MIN_SURNAME_LETTERS letters, is written with a capital (so
        "green" is not Ms Green) and is not a citation ("Smith (2019)", "Smith, J. (2019)", "Smith et al.").
    Never the first name alone: "Sarah" or "James" in a script is far more often someone else.
    Titles ("Dr", "Mrs") are ignored. Each piece of text is reported once, as its most specific form: an
    email found is not reported again as its local part, nor a full name again as its surname.
    Returned as the person's own spelling (from their account), so it can be shown back to them.
    """
    haystack = _plain(text)
    found: list[str] = []

    def look(label: str, pattern: str, flags: int = re.IGNORECASE) -> None:
        nonlocal haystack
        regex = re.compile(pattern, flags)
        if regex.search(haystack):
            if label not in found:
                found.append(label)
            # Blank what was found so a less specific form does not report it again.
            haystack = regex.sub(lambda match: " " * len(match.group(0)), haystack)

    email = email.strip()
    if email and "@" in email:
        look(email, rf"(?<![\w.+-]){re.escape(_plain(email))}(?![\w-]|\.\w)")

    written = _name_parts(full_name)  # for the labels: the person's own spelling
    parts = [_plain(part) for part in written]  # for the patterns: no accents, plain apostrophes
    if len(parts) >= 2:
        first, last = re.escape(parts[0]), re.escape(parts[-1])
        if len(parts) > 2:
            look(" ".join(written), r"(?<!\w)" + r"\s+".join(re.escape(part) for part in parts) + r"(?!\w)")
        short = f"{written[0]} {written[-1]}"
        look(short, rf"(?<!\w){first}(?:\s+[A-Za-z]\.?)?\s+{last}(?!\w)")
        look(short, rf"(?<!\w){last}\s*,?\s+{first}(?!\w)")

    first_name = parts[0].lower() if parts else ""
    surname = parts[-1] if parts else ""
    local = _plain(email).partition("@")[0].partition("+")[0].lower() if "@" in email else ""
    # Name-like: built from the first name or surname, but not just one of them (those have their own rules).
    if local and local not in (first_name, surname.lower()):
        if any(len(bit) >= 3 and bit in local for bit in (first_name, surname.lower())):
            look(local, rf"(?<![\w.@+-]){re.escape(local)}(?![\w@-]|\.\w)")

    if sum(c.isalpha() for c in surname) >= MIN_SURNAME_LETTERS:
        # Capital first letter as written, the rest in any case: "Smith" and "SMITH", not "smith".
        pattern = (
            rf"(?<!\w){re.escape(surname[0].upper())}(?i:{re.escape(surname[1:])})(?!\w){_CITATION_AFTER}"
        )
        look(written[-1], pattern, flags=0)
    return found


def names_found(data: bytes, kind: str, *, full_name: str, email: str) -> list[str]:
    """Which of the person's identifying strings their uploaded document contains (see names_in_text),
    looking at all its text (document_text). Raises CannotAnonymise for a document it cannot read."""
    return names_in_text(document_text(data, kind), full_name=full_name, email=email)


def names_warning(found: Sequence[str]) -> str:
    """What to tell the participant about what names_found() returned; "" when it found nothing."""
    if not found:
        return ""
    emails = [item for item in found if "@" in item]
    names = [item for item in found if "@" not in item]
    if names and emails:
        what, verb = "Your name and email address", "appear"
    elif emails:
        what, verb = "Your email address", "appears"
    else:
        what, verb = "Your name", "appears"
    message = (
        f"{what} ({', '.join(found)}) {verb} in your document. Marking is anonymous: remove your name, school "
        "and email address from the text, headers, footers and comments, then upload it again."
    )
    if not emails and all(" " not in item for item in names):
        message += " If it refers to someone else, such as an author you cite, you can leave it."
    return message
