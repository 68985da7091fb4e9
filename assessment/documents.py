"""Checks an uploaded assessment document by its content and counts its words (docs/word-count.md).

`check_document` is the entry point: it decides the type from the bytes alone (never the filename), refuses
anything an assessor should not open or that we cannot count, and returns the word count, page count,
SHA-256 and size of what it accepted.
"""

import hashlib
import io
import os
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, BinaryIO, NoReturn

import pypdfium2 as pdfium
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from assessment.wordcount import TooManyElements, UnsafeXml, docx_words, pdf_words
from npqel.errors import DomainError

KIND_LABELS = {"pdf": "PDF", "docx": "Word document (.docx)"}
EXTENSIONS = {"pdf": ".pdf", "docx": ".docx"}

MB = 1024 * 1024
# PDFium may be called by one thread of a process at a time (pypdfium2's documentation): gunicorn's threads
# reading two uploads at once gave wrong word counts, refused good files and crashed the worker. Every use of
# pdfium holds this lock from opening a document to closing it (assessment/anonymity.py too).
PDFIUM_LOCK = threading.RLock()
# Caps on what a Word document may inflate to. Only the parts we read are inflated (the document, its
# footnotes and endnotes, the content types), and the caps are enforced on the bytes actually produced while
# inflating: a zip's declared sizes can lie. A 500-page thesis is about 5 MB of XML, so 200 MB is generous.
MAX_INFLATED_BYTES = 200 * MB
# Word's XML deflates 5 to 10:1; a part past 10 MB that inflates more than 100:1 is a zip bomb.
MAX_RATIO = 100
RATIO_CHECK_FROM = 10 * MB
MAX_CONTENT_TYPES_BYTES = 1 * MB
MAX_ZIP_MEMBERS = 10_000
# Counting costs a few microseconds per XML element we look at (paragraphs, runs, text...). A 100,000-word
# thesis has about 15,000 of them; past this many, a document is built to waste our time.
MAX_XML_ELEMENTS = 500_000
# A PDF's objects are each read to look for scripts; a 2,000-page text PDF has about 6,000.
MAX_PDF_OBJECTS = 250_000
MAX_PDF_PAGES = 5_000

_CHUNK = 1 * MB
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_PDF_MAGIC = b"%PDF-"

_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_WORD_MAIN = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    }
)
_WORD_MACRO_MAIN = frozenset(
    {
        "application/vnd.ms-word.document.macroenabled.main+xml",
        "application/vnd.ms-word.template.macroenabledtemplate.main+xml",
    }
)
_WORD_NOTES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml",
    }
)


class DocumentRefused(DomainError):
    """The upload cannot be accepted; the message tells the person what to do instead."""


@dataclass(frozen=True)
class CheckedDocument:
    kind: str  # "pdf" or "docx"
    words: int  # by the rule in assessment/wordcount.py
    pages: int | None  # a PDF's page count; None for a Word document
    sha256: str  # hex digest of the exact bytes
    size: int  # bytes


def check_document(
    file: BinaryIO,
    *,
    allowed: Iterable[str] = ("pdf", "docx"),
    max_bytes: int,
    label: str = "document",
    field: str | None = None,
) -> CheckedDocument:
    """Identifies, checks and counts an uploaded document; raises DocumentRefused saying what to do.

    `file` must be seekable; it is left at position 0. `label` names it in messages ("appendices file");
    `field` is the form field a refusal belongs to.
    """
    kinds = tuple(dict.fromkeys(allowed))
    if not kinds or set(kinds) - set(KIND_LABELS):
        raise ValueError(f"allowed must name some of {sorted(KIND_LABELS)}, not {kinds!r}")
    check = _Check(file, kinds, label, field=field)
    try:
        return check.run(max_bytes)
    finally:
        file.seek(0)


EVIDENCE_EXTENSIONS = {**EXTENSIONS, "jpeg": ".jpg", "png": ".png"}
_IMAGE_MAGIC = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}
# A photo of a letter is a few megapixels; far more is a decompression bomb.
MAX_IMAGE_PIXELS = 60_000_000


def check_evidence(
    file: BinaryIO, *, max_bytes: int, label: str = "evidence", field: str | None = None
) -> CheckedDocument:
    """Evidence for a request for more time: a PDF (a scan is fine), a Word document, or a photo (JPEG or
    PNG). Checked by content like a submission, except that it need not contain any text."""
    head = file.read(16)
    file.seek(0)
    kind = next((name for magic, name in _IMAGE_MAGIC.items() if head.startswith(magic)), None)
    if kind is None:
        try:
            return _Check(file, ("pdf", "docx"), label, require_text=False, field=field).run(max_bytes)
        finally:
            file.seek(0)
    try:
        return _check_image(file, kind, max_bytes, label, field)
    finally:
        file.seek(0)


def _check_image(file: BinaryIO, kind: str, max_bytes: int, label: str, field: str | None) -> CheckedDocument:
    from PIL import Image

    file.seek(0, os.SEEK_END)
    size = file.tell()
    if size > max_bytes:
        raise DocumentRefused(
            f"Your {label} is {format_size(size)}; the largest allowed is {format_size(max_bytes)}. "
            "Take the photo again at a lower size, or save it as a PDF, and upload that.",
            field=field,
        )
    file.seek(0)
    digest = hashlib.sha256()
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
    file.seek(0)
    try:
        with Image.open(file) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise DocumentRefused(
                    f"Your {label} is a picture of {image.width:,} × {image.height:,} pixels, far more than a "
                    "photo of a letter needs. Take it again at a lower size and upload that.",
                    field=field,
                )
            image.verify()
    except DocumentRefused:
        raise
    except Image.DecompressionBombError:
        raise DocumentRefused(
            f"Your {label} is a picture with far more pixels than a photo of a letter needs. Take it again at a "
            "lower size and upload that.",
            field=field,
        ) from None
    except Exception:  # Pillow raises many types for a broken picture; all mean the same to the person
        raise DocumentRefused(
            f"Your {label} is a damaged picture, so we cannot open it. Take the photo again, or save the "
            "document as a PDF, and upload that.",
            field=field,
        ) from None
    return CheckedDocument(kind=kind, words=0, pages=None, sha256=digest.hexdigest(), size=size)


def format_size(size: int) -> str:
    """Bytes as Windows shows them (1 MB = 1024 KB): "25.3 MB", "20 MB", "850 KB"."""
    if size < MB:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / MB:.1f}".removesuffix(".0") + " MB"


class _Check:
    def __init__(
        self,
        file: BinaryIO,
        kinds: tuple[str, ...],
        label: str,
        *,
        require_text: bool = True,
        field: str | None = None,
    ) -> None:
        self.require_text = require_text
        self.field = field
        self.file = file
        self.kinds = kinds
        self.label = label

    # --- Wording ---------------------------------------------------------------------------------------

    @property
    def accepted(self) -> str:
        """ "a Word document (.docx) or a PDF" """
        return " or ".join(f"a {KIND_LABELS[kind]}" for kind in self.kinds)

    @property
    def save_as(self) -> str:
        """ "a .docx or a PDF" """
        return " or ".join("a .docx" if kind == "docx" else "a PDF" for kind in self.kinds)

    @property
    def original(self) -> str:
        """What to upload instead of a scan."""
        if self.kinds == ("pdf",):
            return "a PDF saved from the program you wrote it in"
        if self.kinds == ("docx",):
            return "the Word document itself"
        return "the Word document itself, or a PDF saved from it"

    def refuse(self, message: str) -> NoReturn:
        raise DocumentRefused(message, field=self.field)

    def refuse_other(self, what: str) -> NoReturn:
        self.refuse(
            f"Your {self.label} is {what}, not {self.accepted}. "
            f"Open it, save it as {self.save_as}, and upload that."
        )

    def refuse_damaged(self, kind: str) -> NoReturn:
        if kind == "pdf":
            again = "Save it again as a PDF from the program you wrote it in"
        else:
            again = "Open it in Word, save it again"
        self.refuse(
            f"Your {self.label} is damaged or incomplete, so we cannot open it (it may not have finished "
            f"saving or uploading). {again}, and upload the new copy."
        )

    # --- Steps -----------------------------------------------------------------------------------------

    def run(self, max_bytes: int) -> CheckedDocument:
        file = self.file
        file.seek(0, os.SEEK_END)
        size = file.tell()
        if size == 0:
            self.refuse(
                f"Your {self.label} is empty (0 bytes). Check you chose the right file and upload it again."
            )
        if size > max_bytes:
            shown, limit = format_size(size), format_size(max_bytes)
            if shown == limit:
                shown = f"just over {limit}"
            self.refuse(
                f"Your {self.label} is {shown}; the largest allowed is {limit}. Make it smaller (for example, "
                "compress the pictures in it) and upload it again."
            )
        file.seek(0)
        digest = hashlib.sha256()
        head = b""
        while chunk := file.read(_CHUNK):
            if len(head) < 4096:
                head += chunk[: 4096 - len(head)]
            digest.update(chunk)

        kind = self.identify(head)
        if kind not in self.kinds:
            wanted = " or ".join(KIND_LABELS[k] for k in self.kinds)
            self.refuse(
                f"Your {self.label} is a {KIND_LABELS[kind]}, but this upload takes a {wanted} only. "
                f"Save it as {self.save_as} and upload that."
            )
        if kind == "pdf":
            words, pages = self.count_pdf()
        else:
            words, pages = self.count_docx(), None
        return CheckedDocument(kind=kind, words=words, pages=pages, sha256=digest.hexdigest(), size=size)

    def identify(self, head: bytes) -> str:
        """ "pdf" or "docx" from the first bytes and the structure; refuses anything else."""
        if head.startswith(_CFB_MAGIC):
            self.refuse_compound_file()
        if _PDF_MAGIC in head[:1024]:  # readers accept the header anywhere in the first 1024 bytes
            if self.opens_as_zip():
                self.refuse(
                    f"Your {self.label} is built to be read both as a PDF and as a zip file, so we will not "
                    f"open it. Save your work again as {self.save_as} and upload that."
                )
            return "pdf"
        if head.startswith(_ZIP_MAGIC):
            self.identify_zip()
            return "docx"
        self.refuse_unrecognised(head)

    def opens_as_zip(self) -> bool:
        try:
            with zipfile.ZipFile(self.file) as archive:
                return bool(archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return False

    def refuse_unrecognised(self, head: bytes) -> NoReturn:
        images = {
            b"\x89PNG\r\n\x1a\n": "PNG",
            b"\xff\xd8\xff": "JPEG",
            b"GIF87a": "GIF",
            b"GIF89a": "GIF",
            b"II*\x00": "TIFF",
            b"MM\x00*": "TIFF",
        }
        for magic, name in images.items():
            if head.startswith(magic):
                self.refuse(
                    f"Your {self.label} is a picture ({name}), not {self.accepted}. Upload the document "
                    f"itself, saved as {self.save_as}."
                )
        if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1") or (
            head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        ):
            self.refuse(
                f"Your {self.label} is a picture, not {self.accepted}. Upload the document itself, "
                f"saved as {self.save_as}."
            )
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
        if text.startswith(b"{\\rtf"):
            self.refuse_other("a Rich Text Format (.rtf) file")
        if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:1024]:
            self.refuse_other("a web page (HTML)")
        if head and b"\x00" not in head:
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as error:
                # A multi-byte character cut off at the end of the sample is still text.
                is_text = error.start >= len(head) - 3
            else:
                is_text = True
            if is_text:
                self.refuse_other("a plain text file")
        self.refuse(
            f"We could not recognise your {self.label} as {self.accepted}. Save it as {self.save_as} "
            "and upload that."
        )

    # --- Older Office files (OLE compound files) ---------------------------------------------------------

    def refuse_compound_file(self) -> NoReturn:
        names = _compound_file_names(self.file)
        if {"encryptioninfo", "encryptedpackage"} & names:
            self.refuse(
                f"Your {self.label} is password-protected. Open it in Word, remove the password (File > Info > "
                "Protect Document > Encrypt with Password, and delete the password) or save as .docx without "
                "a password, and upload that."
            )
        if "worddocument" in names or not names:
            target = "as a .docx" if "docx" in self.kinds else "as a PDF"
            self.refuse(
                f"Your {self.label} is an older Word document (.doc). Open it in Word, save it {target} "
                "(File > Save As), and upload that."
            )
        if {"workbook", "book"} & names:
            self.refuse_other("an older Excel spreadsheet (.xls)")
        if "powerpoint document" in names:
            self.refuse_other("an older PowerPoint presentation (.ppt)")
        self.refuse_other("an older Office file")

    # --- Word documents ----------------------------------------------------------------------------------

    def open_zip(self) -> zipfile.ZipFile:
        try:
            archive = zipfile.ZipFile(self.file)
            members = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            self.refuse_damaged("docx")
        if len(members) > MAX_ZIP_MEMBERS:
            self.refuse_too_big_inside()
        return archive

    def identify_zip(self) -> None:
        """Refuses a zip that is not a Word document: spreadsheets, .odt, plain zips (macros come later)."""
        with self.open_zip() as archive:
            by_name = {info.filename.lower(): info for info in archive.infolist()}
            mimetype = by_name.get("mimetype")
            if mimetype is not None and mimetype.file_size < 200:
                kind = self.read(archive, mimetype, _Budget(MAX_CONTENT_TYPES_BYTES)).decode(
                    "ascii", "replace"
                )
                if kind.strip() == "application/vnd.oasis.opendocument.text":
                    self.refuse_other("an OpenDocument text file (.odt)")
            types = self.content_types(archive, by_name)
            if types is None:
                self.refuse_other("a zip file")
            main = {types(name) for name in by_name}
            if main & _WORD_MAIN or main & _WORD_MACRO_MAIN:
                return
            if any(
                t.startswith(
                    (
                        "application/vnd.openxmlformats-officedocument.spreadsheetml",
                        "application/vnd.ms-excel",
                    )
                )
                for t in main
            ):
                self.refuse_other("an Excel spreadsheet")
            if any(
                t.startswith(
                    (
                        "application/vnd.openxmlformats-officedocument.presentationml",
                        "application/vnd.ms-powerpoint",
                    )
                )
                for t in main
            ):
                self.refuse_other("a PowerPoint presentation")
            self.refuse_other("a zip file")

    def content_types(
        self, archive: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo]
    ) -> Callable[[str], str] | None:
        """A function from member name to content type, or None when the zip is not an Office file."""
        info = by_name.get("[content_types].xml")
        if info is None:
            return None
        try:
            # A parser per call: lxml parsers must not be shared between threads.
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
            root = etree.fromstring(self.read(archive, info, _Budget(MAX_CONTENT_TYPES_BYTES)), parser)
        except etree.XMLSyntaxError:
            self.refuse_damaged("docx")
        if root.getroottree().docinfo.doctype:
            self.refuse_unsafe_xml()
        defaults = {
            (e.get("Extension") or "").lower(): (e.get("ContentType") or "").lower()
            for e in root.iter(_CT + "Default")
        }
        overrides = {
            (e.get("PartName") or "").lstrip("/").lower(): (e.get("ContentType") or "").lower()
            for e in root.iter(_CT + "Override")
        }

        def content_type(name: str) -> str:
            return overrides.get(name) or defaults.get(name.rpartition(".")[2], "")

        return content_type

    def count_docx(self) -> int:
        with self.open_zip() as archive:
            by_name = {info.filename.lower(): info for info in archive.infolist()}
            types = self.content_types(archive, by_name)
            assert types is not None  # identify_zip() refused anything without content types
            typed = {name: types(name) for name in by_name}
            # Word's own macro parts; an embedded .xlsm is a file inside the document, not Word macros.
            if any(
                name.endswith(("vbaproject.bin", "vbadata.xml"))
                or ct in _WORD_MACRO_MAIN
                or "vbaproject" in ct
                for name, ct in typed.items()
            ):
                self.refuse(
                    f"Your {self.label} contains macros. Open it in Word and save it as a .docx without macros "
                    "(File > Save As, and choose Word Document), then upload that."
                )
            if any(info.flag_bits & 0x1 for info in by_name.values()):
                self.refuse(
                    f"Your {self.label} is password-protected. Remove the password or save as .docx without "
                    "one, and upload that."
                )
            main = [by_name[name] for name, ct in typed.items() if ct in _WORD_MAIN]
            notes = [by_name[name] for name, ct in typed.items() if ct in _WORD_NOTES]
            if len(main) != 1:
                self.refuse_damaged("docx")
            parts = main + notes
            if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in parts):
                self.refuse_damaged("docx")
            # The declared sizes first (cheap, and zipfile never inflates a member past its declared size);
            # the same caps are enforced again on the bytes actually inflated, in case a header lies.
            if sum(info.file_size for info in parts) > MAX_INFLATED_BYTES or any(
                info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1)
                for info in parts
            ):
                self.refuse_too_big_inside()
            budget = _Budget(MAX_INFLATED_BYTES)
            try:
                with ExitStack() as opened:
                    streams = [
                        _Inflating(opened.enter_context(archive.open(info)), info, budget) for info in parts
                    ]
                    words = docx_words(streams[0], streams[1:], max_elements=MAX_XML_ELEMENTS)
            except _TooBigInside:
                self.refuse_too_big_inside()
            except TooManyElements:
                self.refuse(
                    f"Your {self.label} is built from far more pieces than a Word document needs (over "
                    f"{MAX_XML_ELEMENTS:,} paragraphs, runs of text and the like), so we did not open it. Copy "
                    "your text into a new Word document, save it, and upload that."
                )
            except UnsafeXml:
                self.refuse_unsafe_xml()
            except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, EOFError, ValueError):
                self.refuse_damaged("docx")
            except RuntimeError:  # zipfile: "File ... is encrypted, password required"
                self.refuse_damaged("docx")
        if words == 0 and self.require_text:
            self.refuse_no_words()
        return words

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: "_Budget") -> bytes:
        try:
            with archive.open(info) as member:
                return _Inflating(member, info, budget).read()
        except _TooBigInside:
            self.refuse_too_big_inside()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
            self.refuse_damaged("docx")

    def refuse_too_big_inside(self) -> NoReturn:
        self.refuse(
            f"Your {self.label} unpacks to far more than a Word document needs (over "
            f"{format_size(MAX_INFLATED_BYTES)}, or packed unusually tightly), so we did not open it. Copy your "
            "text into a new Word document, save it, and upload that."
        )

    def refuse_unsafe_xml(self) -> NoReturn:
        self.refuse(
            f"Your {self.label} contains XML that Word never writes (a DOCTYPE declaration), so we did not open "
            "it. Copy your text into a new Word document, save it, and upload that."
        )

    # --- PDFs --------------------------------------------------------------------------------------------

    def count_pdf(self) -> tuple[int, int]:
        self.file.seek(0)
        data = self.file.read()
        if b"%%EOF" not in data[-1024:]:  # where every complete PDF ends; a cut-off upload loses it
            self.refuse_damaged("pdf")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            encrypted = reader.is_encrypted
        except Exception:  # pypdf raises many types for broken files; all mean the same to the person
            self.refuse_damaged("pdf")
        if encrypted:
            self.refuse_encrypted_pdf(data)
        self.refuse_pdf_contents(reader)
        del reader

        with PDFIUM_LOCK:
            try:
                document = pdfium.PdfDocument(data)
            except pdfium.PdfiumError:
                self.refuse_damaged("pdf")
            try:
                pages = len(document)
                if pages == 0:
                    self.refuse_damaged("pdf")
                if pages > MAX_PDF_PAGES:
                    self.refuse(
                        f"Your {self.label} has {pages:,} pages; the most we accept is {MAX_PDF_PAGES:,}. "
                        "Upload only the pages you are submitting."
                    )
                texts = page_texts(document)
            except pdfium.PdfiumError:
                self.refuse_damaged("pdf")
            finally:
                document.close()
        if not self.require_text:
            return pdf_words(texts), pages
        if not any(text.strip() for text in texts):
            self.refuse(
                f"We could not find any text in your {self.label}. If it is a scan or a photo, upload the "
                f"original document instead: {self.original}."
            )
        words = pdf_words(texts)
        if words == 0:
            self.refuse_no_words()
        return words, pages

    def refuse_encrypted_pdf(self, data: bytes) -> NoReturn:
        try:
            with PDFIUM_LOCK:
                pdfium.PdfDocument(data).close()
        except pdfium.PdfiumError:
            self.refuse(
                f"Your {self.label} is a password-protected PDF. Save a copy without the password (or remove "
                "the password in the program that made it), and upload that."
            )
        self.refuse(
            f"Your {self.label} is a PDF with password protection that limits copying or printing. Remove the "
            "password protection (for example, print it to a new PDF), and upload that."
        )

    def refuse_pdf_contents(self, reader: PdfReader) -> None:
        """Refuses JavaScript, actions that launch programs, attached files and compression bombs."""
        try:
            found = _pdf_findings(reader)
        except Exception:  # a broken object deep in the file: the viewer would struggle too
            self.refuse_damaged("pdf")
        if found == "too big":
            self.refuse(
                f"Your {self.label} is a PDF that unpacks to far more than a document needs (or is built "
                "unusually), so we did not open it. Print it to a new PDF (File > Print > Save as PDF), and "
                "upload that."
            )
        if found == "script":
            self.refuse(
                f"Your {self.label} is a PDF that contains JavaScript or other actions that run when it is "
                "opened, which we do not accept. Print it to a new PDF (File > Print > Save as PDF), and upload "
                "that."
            )
        if found == "attachment":
            self.refuse(
                f"Your {self.label} is a PDF with files attached inside it, which assessors cannot mark. Print "
                "it to a new PDF (File > Print > Save as PDF) to leave them out, and upload that."
            )

    def refuse_no_words(self) -> NoReturn:
        self.refuse(
            f"We could not find any words to count in your {self.label} (headers, footers, page numbers and "
            "the reference list are not counted). Check you chose the right file and upload it again."
        )


class _TooBigInside(Exception):
    pass


class _Budget:
    """How many inflated bytes may still be produced, shared by the parts of one document."""

    def __init__(self, limit: int) -> None:
        self.left = limit


class _Inflating:
    """A zip member read in chunks that stops as soon as it inflates past the budget or the ratio cap."""

    def __init__(self, member: IO[bytes], info: zipfile.ZipInfo, budget: _Budget) -> None:
        self.member = member
        self.compressed = max(info.compress_size, 1)
        self.budget = budget
        self.produced = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while chunk := self.read(64 * 1024):
                parts.append(chunk)
            return b"".join(parts)
        data = self.member.read(min(size, 64 * 1024))
        self.produced += len(data)
        self.budget.left -= len(data)
        if self.budget.left < 0:
            raise _TooBigInside
        if self.produced > RATIO_CHECK_FROM and self.produced > MAX_RATIO * self.compressed:
            raise _TooBigInside
        return data


def _pdf_findings(reader: PdfReader) -> str | None:
    """ "script", "too big", "attachment" or None, after looking at every object in the PDF.

    Also inflates each compressed stream that text extraction will read (page contents, fonts, forms; not
    pictures) with the same caps as a Word document: PDFium would otherwise inflate a bomb in memory.
    """
    references = [
        IndirectObject(number, generation, reader)
        for generation, numbers in reader.xref.items()
        for number in numbers
    ]
    references.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    if len(references) > MAX_PDF_OBJECTS:
        return "too big"
    budget = _Budget(MAX_INFLATED_BYTES)
    found: str | None = None
    for top in [reader.trailer, *references]:
        value = top.get_object() if isinstance(top, IndirectObject) else top
        if isinstance(value, StreamObject) and not _inflates_within(value, budget):
            return "too big"
        stack = [value]
        while stack:
            value = stack.pop()
            if isinstance(value, DictionaryObject):
                keys = dict.keys(value)
                if "/JS" in keys or "/JavaScript" in keys or "/XFA" in keys:
                    return "script"
                if dict.get(value, "/S") in ("/JavaScript", "/Launch", "/RichMediaExecute"):
                    return "script"
                if "/EmbeddedFiles" in keys or dict.get(value, "/Type") == "/EmbeddedFile":
                    found = "attachment"
                if dict.get(value, "/Subtype") in ("/FileAttachment", "/RichMedia"):
                    found = "attachment"
                # Direct values only: every indirect object is visited from the cross-reference table.
                stack.extend(v for v in dict.values(value) if isinstance(v, DictionaryObject | ArrayObject))
            elif isinstance(value, ArrayObject):
                stack.extend(v for v in list.__iter__(value) if isinstance(v, DictionaryObject | ArrayObject))
    return found


def _inflates_within(stream: StreamObject, budget: _Budget) -> bool:
    """Whether a Flate stream (not a picture, which text extraction never decodes) stays inside the caps."""
    filters = dict.get(stream, "/Filter")
    if isinstance(filters, IndirectObject):
        filters = filters.get_object()
    first = filters[0] if isinstance(filters, ArrayObject) and filters else filters
    if first not in ("/FlateDecode", "/Fl") or dict.get(stream, "/Subtype") == "/Image":
        return True
    raw = getattr(stream, "_data", b"")  # pypdf keeps the undecoded bytes here and has no public accessor
    decompressor = zlib.decompressobj()
    produced, pending = 0, raw
    try:
        while pending and not decompressor.eof:
            produced += len(decompressor.decompress(pending, _CHUNK))
            pending = decompressor.unconsumed_tail
            if produced > budget.left or (produced > RATIO_CHECK_FROM and produced > MAX_RATIO * len(raw)):
                return False
    except zlib.error:
        pass  # a broken stream: PDFium skips what it cannot inflate
    budget.left -= produced
    return True


def _compound_file_names(file: BinaryIO) -> set[str]:
    """Lower-cased stream and storage names in an OLE compound file (.doc, .xls, encrypted .docx)."""
    names: set[str] = set()
    try:
        file.seek(0)
        header = file.read(512)
        sector_size = 1 << struct.unpack_from("<H", header, 0x1E)[0]
        if sector_size not in (512, 4096):
            return names
        first_directory = struct.unpack_from("<I", header, 0x30)[0]
        fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C) if s < 0xFFFFFFFA]
        next_difat, difat_count = struct.unpack_from("<II", header, 0x44)
        for _ in range(min(difat_count, 1000)):  # files over ~7 MB list more FAT sectors in DIFAT sectors
            if next_difat >= 0xFFFFFFFA:
                break
            entries = _sector(file, next_difat, sector_size)
            values = struct.unpack_from(f"<{sector_size // 4}I", entries)
            fat_sectors.extend(s for s in values[:-1] if s < 0xFFFFFFFA)
            next_difat = values[-1]
        fat: list[int] = []
        for sector in fat_sectors[:10_000]:
            fat.extend(struct.unpack_from(f"<{sector_size // 4}I", _sector(file, sector, sector_size)))
        sector, seen = first_directory, 0
        while sector < len(fat) and seen < 10_000:
            block = _sector(file, sector, sector_size)
            for offset in range(0, sector_size, 128):
                length = struct.unpack_from("<H", block, offset + 0x40)[0]
                if 2 <= length <= 64 and block[offset + 0x42] in (1, 2, 5):
                    names.add(block[offset : offset + length - 2].decode("utf-16-le", "replace").lower())
            sector, seen = fat[sector], seen + 1
    except (struct.error, OSError, IndexError):
        pass
    return names


def _sector(file: BinaryIO, number: int, size: int) -> bytes:
    file.seek((number + 1) * size)
    data = file.read(size)
    if len(data) < size:
        raise OSError("compound file sector past the end")
    return data


def page_texts(document: "pdfium.PdfDocument") -> list[str]:
    """Each page's text, in order (raises pdfium.PdfiumError for a page it cannot read)."""
    texts = []
    for index in range(len(document)):
        page = document[index]
        try:
            text_page = page.get_textpage()
            texts.append(text_page.get_text_range())
            text_page.close()
        finally:
            page.close()
    return texts
