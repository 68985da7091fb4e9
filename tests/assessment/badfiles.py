"""Files an assessment upload must refuse, built in memory.

bad_files() gives name → (bytes, filename, message fragment); bad_file(name) builds just one, and
BAD_FILE_NAMES lists them without building any (so collecting the tests stays quick). The filename is what a
person might have called it; check_document never sees it, which is the point: a PNG renamed .docx is still
refused as a picture.
"""

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Callable

import openpyxl
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from tests.assessment.docfiles import W_NS, docx_with_words, pdf_with_words

MAX_BYTES = 20 * 1024 * 1024  # the limit the refusals are checked against

_PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
_END_OF_CHAIN, _FREE, _FAT_SECTOR = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def compound_file(*streams: str) -> bytes:
    """A minimal OLE compound file (the container of .doc files and password-protected .docx) with empty streams."""
    assert len(streams) <= 3
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 0x2C, 1, 1, 0, 4096)  # one FAT sector; directory in sector 1
    struct.pack_into("<IIII", header, 0x3C, _END_OF_CHAIN, 0, _END_OF_CHAIN, 0)  # no mini FAT, no DIFAT
    struct.pack_into("<109I", header, 0x4C, 0, *([_FREE] * 108))
    fat = struct.pack("<128I", _FAT_SECTOR, _END_OF_CHAIN, *([_FREE] * 126))
    entries = []
    for index, (name, kind) in enumerate([("Root Entry", 5), *((s, 2) for s in streams)]):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[: len(encoded)] = encoded
        struct.pack_into("<HBB", entry, 0x40, len(encoded), kind, 1)
        last = index == len(streams)
        # Root's child is the first stream; each stream's right sibling is the next (a valid, if lopsided, tree).
        struct.pack_into(
            "<III",
            entry,
            0x44,
            _FREE,
            _FREE if index == 0 or last else index + 1,
            1 if index == 0 and streams else _FREE,
        )
        struct.pack_into("<II", entry, 0x74, _END_OF_CHAIN, 0)
        entries.append(bytes(entry))
    directory = b"".join(entries).ljust(512, b"\x00")
    return bytes(header) + fat + directory


def rewrite_zip(
    data: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    """A copy of a zip with some members replaced and some added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


@functools.cache
def good_docx() -> bytes:
    return docx_with_words(300)


@functools.cache
def good_pdf() -> bytes:
    return pdf_with_words(300)


def docm() -> bytes:
    data = good_docx()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml")
    macro_types = types.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    ).replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )
    return rewrite_zip(
        data, replace={"[Content_Types].xml": macro_types}, add={"word/vbaProject.bin": b"\xcc" * 64}
    )


def docx_with_document_xml(xml: bytes) -> bytes:
    return rewrite_zip(good_docx(), replace={"word/document.xml": xml})


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10)
    )
    return docx_with_document_xml(
        f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]><w:document xmlns:w="{W_NS}"><w:body><w:p><w:r>'
        f"<w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>".encode()
    )


def zip_bomb(megabytes: int = 60) -> bytes:
    """A .docx whose document.xml is valid XML padded with empty paragraphs: ~1000:1, far past the ratio cap."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info.filename, source.read(info.filename))
        with target.open("word/document.xml", "w") as member:
            member.write(
                f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>Words here</w:t></w:r></w:p>'.encode()
            )
            padding = b"<w:p/>" * (1 << 18)
            for _ in range(megabytes * 2 // 3):
                member.write(padding)
            member.write(b"</w:body></w:document>")
    return out.getvalue()


def lying_zip_bomb() -> bytes:
    """The bomb above with both its headers claiming document.xml inflates to only 2 KB."""
    data = bytearray(zip_bomb(30))
    name = b"word/document.xml"
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        position = data.find(signature)
        while data[position + name_at : position + name_at + len(name)] != name:
            position = data.find(signature, position + 4)
            assert position != -1
        struct.pack_into("<I", data, position + size_at, 2048)
    return bytes(data)


def many_empty_paragraphs(count: int = 550_000) -> bytes:
    """Under every size cap (about 3 MB of XML) but more elements than a real document ever has."""
    body = b"<w:p/>" * count
    return docx_with_document_xml(
        f'<w:document xmlns:w="{W_NS}"><w:body>'.encode() + body + b"</w:body></w:document>"
    )


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF written by hand: objects numbered from 1 (1 must be the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_flate_bomb(megabytes: int = 64) -> bytes:
    """One page whose content stream is "Hello world" and then megabytes of spaces, deflated ~1000:1."""
    compressor = zlib.compressobj(9)
    stream = compressor.compress(b"BT /F1 12 Tf 72 700 Td (Hello world) Tj ET\n")
    padding = b" " * (1 << 20)
    stream += b"".join(compressor.compress(padding) for _ in range(megabytes)) + compressor.flush()
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )


def pdf_with_pages(count: int) -> bytes:
    """count pages sharing one small content stream that writes a few words."""
    kids = b" ".join(b"%d 0 R" % (number + 5) for number in range(count))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R"
        b" /Resources << /Font << /F1 4 0 R >> >> >>"
    )
    content = b"BT /F1 12 Tf 72 700 Td (Leaders shape culture) Tj ET"
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *([page] * count),
    )


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Budget 2019/20"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def plain_zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name.replace("__", "."), content)
    return out.getvalue()


def pdf_writer() -> PdfWriter:
    """A writer holding a copy of the good PDF, to spoil."""
    return PdfWriter(clone_from=io.BytesIO(good_pdf()))


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(*, user_password: str) -> bytes:
    writer = pdf_writer()
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    return written(writer)


def pdf_with_javascript() -> bytes:
    writer = pdf_writer()
    writer.add_open_action(JavaScript("app.alert('hello');"))
    return written(writer)


def pdf_with_hidden_javascript() -> bytes:
    """JavaScript as a link's action, its name spelt with a # escape (/J#61vaScript) that viewers decode."""
    writer = pdf_writer()
    from pypdf.annotations import Link
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    link = Link(rect=(50, 50, 150, 80), url="https://example.org")
    link[NameObject("/A")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    writer.add_annotation(page_number=0, annotation=link)
    return written(writer).replace(b"/S /JavaScript", b"/S /J#61vaScript", 1).replace(b"/JS ", b"/J#53 ", 1)


def pdf_with_attachment() -> bytes:
    writer = pdf_writer()
    writer.add_attachment("extra-appendix.txt", b"More words the assessor was never meant to mark.")
    return written(writer)


def pdf_with_only_an_image() -> bytes:
    import base64

    import weasyprint

    image = base64.b64encode(_PNG_1PX).decode()
    page = f'<img src="data:image/png;base64,{image}" style="width: 15cm; height: 20cm">'
    return weasyprint.HTML(string=page).write_pdf()


def pdf_polyglot() -> bytes:
    return good_pdf() + plain_zip(essay__txt=b"Hidden words.")


# name → (how to build the file, what a person might call it, a fragment of the message they are shown)
_RECIPES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "plain text renamed .pdf": (
        lambda: b"My essay on leadership.\nIt has words.\n",
        "essay.pdf",
        "plain text file",
    ),
    "PNG renamed .docx": (lambda: _PNG_1PX, "essay.docx", "is a picture (PNG)"),
    "JPEG renamed .pdf": (
        lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64),
        "essay.pdf",
        "is a picture (JPEG)",
    ),
    "HTML renamed .pdf": (
        lambda: b"<!DOCTYPE html>\n<html><body><p>My essay</p></body></html>",
        "essay.pdf",
        "web page",
    ),
    "RTF renamed .docx": (
        lambda: b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} My essay.}",
        "essay.docx",
        "Rich Text Format",
    ),
    "legacy .doc": (lambda: compound_file("WordDocument", "1Table"), "essay.doc", "save it as a .docx"),
    "legacy .xls renamed .docx": (lambda: compound_file("Workbook"), "essay.docx", "older Excel spreadsheet"),
    "password-protected .docx": (
        lambda: compound_file("EncryptionInfo", "EncryptedPackage"),
        "essay.docx",
        "remove the password (File > Info",
    ),
    "macro-enabled .docm renamed .docx": (docm, "essay.docx", "save it as a .docx without macros"),
    "only a vbaProject.bin": (
        lambda: rewrite_zip(good_docx(), add={"word/vbaProject.bin": b"\xcc" * 64}),
        "essay.docx",
        "contains macros",
    ),
    "PDF with a user password": (
        lambda: encrypted_pdf(user_password="secret"),
        "essay.pdf",
        "password-protected PDF",
    ),
    "PDF with only an owner password": (
        lambda: encrypted_pdf(user_password=""),
        "essay.pdf",
        "Remove the password protection",
    ),
    "PDF with JavaScript": (pdf_with_javascript, "essay.pdf", "Print it to a new PDF"),
    "PDF with JavaScript hidden by # escapes": (
        pdf_with_hidden_javascript,
        "essay.pdf",
        "contains JavaScript",
    ),
    "PDF with an attached file": (pdf_with_attachment, "essay.pdf", "files attached inside it"),
    "truncated PDF": (lambda: good_pdf()[: len(good_pdf()) * 2 // 3], "essay.pdf", "damaged or incomplete"),
    "PDF cut off just before its end": (lambda: good_pdf()[:-8], "essay.pdf", "damaged or incomplete"),
    "truncated .docx": (
        lambda: good_docx()[: len(good_docx()) * 2 // 3],
        "essay.docx",
        "damaged or incomplete",
    ),
    ".xlsx renamed .docx": (xlsx, "essay.docx", "is an Excel spreadsheet"),
    "plain zip renamed .docx": (lambda: plain_zip(essay__txt=b"My essay."), "essay.docx", "is a zip file"),
    ".odt renamed .docx": (
        lambda: plain_zip(mimetype=b"application/vnd.oasis.opendocument.text", content__xml=b"<office/>"),
        "essay.docx",
        "OpenDocument text file (.odt)",
    ),
    "zip bomb": (zip_bomb, "essay.docx", "unpacks to far more than a Word document needs"),
    "zip bomb with lying headers": (lying_zip_bomb, "essay.docx", "damaged or incomplete"),
    "550,000 empty paragraphs": (many_empty_paragraphs, "essay.docx", "built from far more pieces"),
    "PDF whose page inflates ~1000:1 (a PDF bomb)": (
        pdf_flate_bomb,
        "essay.pdf",
        "unpacks to far more",
    ),
    "PDF of 5,001 pages": (
        lambda: pdf_with_pages(5001),
        "essay.pdf",
        "has 5,001 pages; the most we accept is 5,000",
    ),
    "DOCTYPE with entities (billion laughs)": (
        billion_laughs,
        "essay.docx",
        "a DOCTYPE declaration",
    ),
    "DOCTYPE in the content types": (
        lambda: rewrite_zip(
            good_docx(),
            replace={
                "[Content_Types].xml": b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY x "y">]>'
                b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
            },
        ),
        "essay.docx",
        "a DOCTYPE declaration",
    ),
    "document.xml that is not XML": (
        lambda: docx_with_document_xml(b"<w:document><w:body>"),
        "essay.docx",
        "damaged",
    ),
    "empty file": (lambda: b"", "essay.docx", "is empty (0 bytes)"),
    ".docx with no words": (lambda: docx_with_words(0), "essay.docx", "could not find any words"),
    ".docx with words only in its header and footer": (
        lambda: docx_with_words(0, header_words=20, footer_words=10),
        "essay.docx",
        "could not find any words",
    ),
    "PDF with no text (a scan)": (pdf_with_only_an_image, "scan.pdf", "If it is a scan or a photo"),
    "oversize (25.3 MB)": (
        lambda: b"%PDF-1.7\n" + bytes(int(25.3 * 1024 * 1024) - 9),
        "big.pdf",
        "is 25.3 MB; the largest allowed is 20 MB",
    ),
    "PDF that is also a zip (polyglot)": (
        pdf_polyglot,
        "essay.pdf",
        "both as a PDF and as a zip file",
    ),
    "unrecognised binary": (lambda: bytes(range(256)) * 4, "essay.pdf", "could not recognise"),
}
BAD_FILE_NAMES = tuple(_RECIPES)


def bad_file(name: str) -> tuple[bytes, str, str]:
    """One file an upload must refuse: (bytes, filename, a fragment of the message the person is shown)."""
    build, filename, fragment = _RECIPES[name]
    return build(), filename, fragment


def bad_files() -> dict[str, tuple[bytes, str, str]]:
    """Every file an upload must refuse: name → (bytes, filename, fragment of the message)."""
    return {name: bad_file(name) for name in BAD_FILE_NAMES}
