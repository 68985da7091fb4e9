"""Anonymous marking: the copy an assessor opens names nobody, and a participant who names themself is told.

The documents are built the way real ones arrive: Word fills in the author, the company, the reviewer on every
comment and tracked change and the list of people who edited it; SharePoint adds the owner; a camera writes
the photographer into each picture; a PDF carries its author, title and XMP. None of that may reach the
assessor, and none of the person's own words may change.
"""

import base64
import io
import logging
import zipfile
import zlib

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Text
from pypdf.generic import IndirectObject, NameObject, TextStringObject

from assessment.anonymity import (
    CannotAnonymise,
    document_text,
    names_found,
    names_in_text,
    names_warning,
    stripped_copy,
)
from assessment.documents import check_document
from tests.assessment.badfiles import rewrite_zip
from tests.assessment.docfiles import W_NS, docx_with_words, paper, pdf_from

logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.WARNING)

NAME = "Jane Smith"
EMAIL = "jane.smith@oakfield.sch.uk"
SCHOOL = "Oakfield Academy"
# What must not be found anywhere in an assessor's copy, in any case.
TRACES = ("smith", "oakfield", "jane")
MAX_BYTES = 20 * 1024 * 1024

W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def photo_with_exif() -> bytes:
    """A JPEG as a phone saves it: the owner as artist and copyright, and a comment."""
    exif = Image.Exif()
    exif[0x013B] = NAME  # Artist
    exif[0x8298] = SCHOOL  # Copyright
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 100, 50)).save(out, "JPEG", exif=exif, comment=EMAIL.encode())
    return out.getvalue()


def identified_docx() -> bytes:
    """A real essay whose text never names the writer, but whose file does, in every place Word puts it."""
    document = docx.Document(io.BytesIO(docx_with_words(400, table_words=30, footnote_words=12, seed=3)))
    properties = document.core_properties
    properties.author = NAME
    properties.last_modified_by = EMAIL
    properties.title = f"{NAME} NPQEL Task 2"
    properties.subject = SCHOOL
    properties.keywords = "Smith; Oakfield"
    properties.comments = f"Draft by {NAME}"
    properties.category = SCHOOL

    body = document.paragraphs[1]
    document.add_comment(body.runs[0], text="Check this figure with the trust", author=NAME, initials="JS")
    # Track Changes: an insertion, a deletion, and a formatting change, each signed by the reviewer.
    body._p.append(
        parse_xml(
            f'<w:ins xmlns:w="{W_NS}" w:id="901" w:author="{NAME}" w:date="2024-03-01T10:00:00Z">'
            f'<w:r><w:t xml:space="preserve"> inserted evidence</w:t></w:r></w:ins>'
        )
    )
    body._p.append(
        parse_xml(
            f'<w:del xmlns:w="{W_NS}" w:id="902" w:author="{NAME}" w:date="2024-03-01T10:00:00Z">'
            f"<w:r><w:delText> removed claim</w:delText></w:r></w:del>"
        )
    )
    body._p.append(
        parse_xml(
            f'<w:r xmlns:w="{W_NS}"><w:rPr><w:b/><w:rPrChange w:id="903" w:author="{NAME}" '
            f'w:date="2024-03-01T10:00:00Z"><w:rPr/></w:rPrChange></w:rPr><w:t xml:space="preserve"> bold'
            "</w:t></w:r>"
        )
    )
    # A content control that shows the title: Word would refresh it from the (named) title when opened.
    document.add_paragraph()._p.append(
        parse_xml(
            f'<w:sdt xmlns:w="{W_NS}"><w:sdtPr><w:alias w:val="Title"/>'
            "<w:dataBinding w:prefixMappings=\"xmlns:ns0='http://purl.org/dc/elements/1.1/' "
            "xmlns:ns1='http://schemas.openxmlformats.org/package/2006/metadata/core-properties'\" "
            'w:xpath="/ns1:coreProperties[1]/ns0:title[1]" w:storeItemID="{6C3C8BC8-F283-45AE-878A-BAB7291924A1}"/>'
            "</w:sdtPr><w:sdtContent><w:r><w:t>Improving attendance across three schools</w:t></w:r>"
            "</w:sdtContent></w:sdt>"
        )
    )
    document.add_picture(io.BytesIO(photo_with_exif()))
    # Word's list of everyone who commented or tracked changes, with their sign-in.
    people = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w15:people xmlns:w15="{W15}">'
        f'<w15:person w15:author="{NAME}"><w15:presenceInfo w15:providerId="AD" w15:userId="{EMAIL}"/>'
        "</w15:person></w15:people>"
    )
    part = Part(
        PackURI("/word/people.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml",
        people.encode(),
        document.part.package,
    )
    document.part.relate_to(part, "http://schemas.microsoft.com/office/2011/relationships/people")
    # The template the document was started from, on the writer's own computer.
    settings = document.part.part_related_by(RT.SETTINGS)
    template = settings.relate_to(
        "file:///C:\\Users\\jane.smith\\Documents\\Custom Office Templates\\Oakfield.dotx",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate",
        is_external=True,
    )
    settings.element.append(
        parse_xml(f'<w:attachedTemplate xmlns:w="{W_NS}" xmlns:r="{R_NS}" r:id="{template}"/>')
    )
    out = io.BytesIO()
    document.save(out)
    data = out.getvalue()

    # What python-docx does not write: the company and manager, custom properties, SharePoint's metadata.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        app = archive.read("docProps/app.xml").decode()
        content_types = archive.read("[Content_Types].xml").decode()
        root_rels = archive.read("_rels/.rels").decode()
        custom_xml = [n for n in archive.namelist() if n.startswith("customXml/item") and "Props" not in n]
    app = app.replace("</Properties>", f"<Company>{SCHOOL}</Company><Manager>{NAME}</Manager></Properties>")
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Owner">'
        f"<vt:lpwstr>{EMAIL}</vt:lpwstr></property></Properties>"
    )
    content_types = content_types.replace(
        "</Types>",
        '<Override PartName="/docProps/custom.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
    )
    root_rels = root_rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdCustom" Target="docProps/custom.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/custom-properties"/></Relationships>',
    )
    sharepoint = (
        '<?xml version="1.0" encoding="utf-8"?><p:properties '
        'xmlns:p="http://schemas.microsoft.com/office/2006/metadata/properties"><documentManagement>'
        f"<Owner><UserInfo><DisplayName>{NAME}</DisplayName><AccountId>12</AccountId></UserInfo></Owner>"
        "</documentManagement></p:properties>"
    )
    data = rewrite_zip(
        data,
        replace={
            "docProps/app.xml": app.encode(),
            "[Content_Types].xml": content_types.encode(),
            "_rels/.rels": root_rels.encode(),
            custom_xml[0]: sharepoint.encode(),
        },
        add={"docProps/custom.xml": custom.encode()},
    )
    # A zip comment, which Word never reads but which stays in the file.
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:
        archive.comment = f"Saved by {NAME}".encode()
    return out.getvalue()


def zip_contents(data: bytes) -> str:
    """Everything in a zip as one lower-cased string: each member inflated, its name, and the comments."""
    parts = [data.decode("latin-1")]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts.append(archive.comment.decode("latin-1"))
        for info in archive.infolist():
            raw = archive.read(info)
            parts += [info.filename, info.comment.decode("latin-1"), info.extra.decode("latin-1")]
            parts.append(raw.decode("latin-1"))
            if info.filename.endswith((".jpeg", ".jpg", ".png")):
                parts.append(str(dict(Image.open(io.BytesIO(raw)).getexif())))
    return "\n".join(parts).casefold()


def pdf_contents(data: bytes) -> str:
    """Everything in a PDF as one lower-cased string: the bytes, each stream inflated, each string decoded."""
    parts = [data.decode("latin-1")]
    reader = PdfReader(io.BytesIO(data))
    for generation, numbers in reader.xref.items():
        for number in numbers:
            value = IndirectObject(number, generation, reader).get_object()
            parts.append(repr(value))
            raw = getattr(value, "_data", None)
            if raw:
                try:
                    parts.append(zlib.decompress(raw).decode("latin-1"))
                except zlib.error:
                    parts.append(raw.decode("latin-1"))
    for number in reader.xref_objStm:
        parts.append(repr(reader.get_object(number)))
    parts.append(repr(reader.trailer))
    return "\n".join(parts).casefold()


def identified_pdf() -> bytes:
    """A PDF saved with its author, title and so on, then commented on and given XMP and a photo."""
    content = paper(500, footer_words=3, references_words=20, seed=4)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_from(content, seed=4))))
    writer.add_metadata(
        {
            "/Author": NAME,
            "/Title": f"{NAME} NPQEL case study",
            "/Creator": f"Microsoft Word for {SCHOOL}",
            "/Producer": "macOS Quartz PDFContext",
            "/Subject": EMAIL,
            "/Keywords": "Smith, Oakfield",
        }
    )
    writer.xmp_metadata = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>'
        f"{NAME}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()
    note = Text(text="Tutor said to shorten this", rect=(50, 700, 80, 730))
    note[NameObject("/T")] = TextStringObject(NAME)
    writer.add_annotation(page_number=0, annotation=note)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_photo() -> bytes:
    """A PDF holding a JPEG exactly as the camera saved it (Exif and all), as many PDF makers embed them."""
    import weasyprint

    plain = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 100, 50)).save(plain, "JPEG")
    source = base64.b64encode(plain.getvalue()).decode()
    pdf = weasyprint.HTML(
        string=f'<p>The hall after the refit.</p><img src="data:image/jpeg;base64,{source}">'
    )
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf.write_pdf())))
    for image in writer.pages[0]["/Resources"]["/XObject"].values():
        image.get_object()._data = photo_with_exif()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def docx_pair() -> tuple[bytes, bytes]:
    original = identified_docx()
    return original, stripped_copy(original, "docx")


@pytest.fixture(scope="module")
def pdf_pair() -> tuple[bytes, bytes]:
    original = identified_pdf()
    return original, stripped_copy(original, "pdf")


# --- The Word copy ---------------------------------------------------------------------------------------


def test_the_word_original_really_names_the_writer_everywhere(docx_pair):
    original, _copy = docx_pair
    everything = zip_contents(original)
    for trace in TRACES:
        assert trace in everything
    assert names_found(original, "docx", full_name=NAME, email=EMAIL) == [], "but not in the text"


def test_the_word_copy_an_assessor_opens_has_no_trace_of_the_name_school_or_email(docx_pair):
    _original, copy = docx_pair
    everything = zip_contents(copy)
    for trace in TRACES:
        assert trace not in everything, f"{trace!r} is still in the copy"


def test_the_word_copy_has_the_same_words_and_is_still_accepted(docx_pair):
    original, copy = docx_pair
    before = check_document(io.BytesIO(original), max_bytes=MAX_BYTES)
    after = check_document(io.BytesIO(copy), max_bytes=MAX_BYTES)
    assert after.kind == "docx"
    assert after.words == before.words
    assert document_text(copy, "docx") == document_text(original, "docx")


def test_the_word_copy_keeps_comments_and_tracked_changes_but_signs_them_author(docx_pair):
    _original, copy = docx_pair
    document = docx.Document(io.BytesIO(copy))
    comments = list(document.comments)
    assert [comment.text for comment in comments] == ["Check this figure with the trust"]
    assert comments[0].author == "Author"
    xml = document.element.xml
    assert "inserted evidence" in xml and "removed claim" in xml
    assert 'w:author="Author"' in xml


def test_the_word_copy_shows_the_content_control_text_without_linking_it_to_the_title(docx_pair):
    _original, copy = docx_pair
    xml = docx.Document(io.BytesIO(copy)).element.xml
    assert "Improving attendance across three schools" in xml
    assert "dataBinding" not in xml, "Word would refill the control from the document's title when opened"


def test_the_word_copy_keeps_the_picture_without_the_camera_details(docx_pair):
    original, copy = docx_pair

    def picture(data: bytes) -> Image.Image:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            (name,) = [n for n in archive.namelist() if n.startswith("word/media/")]
            return Image.open(io.BytesIO(archive.read(name)))

    before, after = picture(original), picture(copy)
    assert before.getexif() and not after.getexif()
    assert after.tobytes() == before.tobytes(), "the same pixels"


def test_the_word_copy_keeps_the_page_counts_but_not_the_company(docx_pair):
    _original, copy = docx_pair
    with zipfile.ZipFile(io.BytesIO(copy)) as archive:
        app = archive.read("docProps/app.xml").decode()
        dates = {info.date_time for info in archive.infolist()}
    assert "<Pages>" in app and "Company" not in app and "Manager" not in app
    assert dates == {(1980, 1, 1, 0, 0, 0)}, "when and on which computer it was zipped is not carried over"


def test_python_docx_reads_the_word_copy_with_empty_properties(docx_pair):
    _original, copy = docx_pair
    properties = docx.Document(io.BytesIO(copy)).core_properties
    assert (properties.author, properties.last_modified_by, properties.title) == ("", "", "")


def test_a_word_part_declaring_a_doctype_cannot_be_anonymised():
    # documents.py looks only at the parts it counts; an entity bomb in the styles would reach the assessor.
    data = docx_with_words(50)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = archive.read("word/styles.xml")
    bomb = styles.replace(
        b"?>", b'?><!DOCTYPE w:styles [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>', 1
    )
    unsafe = rewrite_zip(data, replace={"word/styles.xml": bomb})
    with pytest.raises(CannotAnonymise) as refused:
        stripped_copy(unsafe, "docx")
    assert "save it again as a new file" in refused.value.message


# --- The PDF copy ----------------------------------------------------------------------------------------


def test_the_pdf_original_really_names_the_writer(pdf_pair):
    original, _copy = pdf_pair
    everything = pdf_contents(original)
    for trace in TRACES:
        assert trace in everything


def test_the_pdf_copy_an_assessor_opens_has_no_trace_of_the_name_school_or_email(pdf_pair):
    _original, copy = pdf_pair
    everything = pdf_contents(copy)
    for trace in TRACES:
        assert trace not in everything, f"{trace!r} is still in the copy"
    reader = PdfReader(io.BytesIO(copy))
    assert not reader.metadata, "no author, title or producer for the browser's tab to show"
    assert "/Metadata" not in reader.trailer["/Root"]


def test_the_pdf_copy_has_the_same_pages_words_and_comment(pdf_pair):
    original, copy = pdf_pair
    before = check_document(io.BytesIO(original), max_bytes=MAX_BYTES)
    after = check_document(io.BytesIO(copy), max_bytes=MAX_BYTES)
    assert (after.kind, after.pages, after.words) == ("pdf", before.pages, before.words)
    assert document_text(copy, "pdf") == document_text(original, "pdf")
    annotations = [a.get_object() for a in PdfReader(io.BytesIO(copy)).pages[0]["/Annots"]]
    assert [a["/Contents"] for a in annotations] == ["Tutor said to shorten this"]
    assert all("/T" not in a for a in annotations)


def test_the_pdf_copy_keeps_a_photo_without_the_camera_details():
    original = pdf_with_photo()
    assert "jane smith" in pdf_contents(original)
    copy = stripped_copy(original, "pdf")
    assert "jane smith" not in pdf_contents(copy) and "oakfield" not in pdf_contents(copy)
    (image,) = PdfReader(io.BytesIO(copy)).pages[0].images
    assert image.image.size == (40, 30)
    assert check_document(io.BytesIO(copy), max_bytes=MAX_BYTES).words == 5


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="kind must be"):
        stripped_copy(b"", "odt")


# --- Names in the text -----------------------------------------------------------------------------------


def word_doc(
    *, body: list[str], header: str = "", footer: str = "", broken: tuple[str, str] | None = None
) -> bytes:
    document = docx.Document()
    for text in body:
        document.add_paragraph(text)
    if broken:
        run = document.add_paragraph().add_run(broken[0])
        run.add_break()
        run.add_text(broken[1])
    section = document.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if footer:
        section.footer.paragraphs[0].text = footer
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


ESSAY = ["Our trust serves seven schools across a coastal area.", "Attendance rose after the changes."]


def found_in_docx(**parts) -> list[str]:
    return names_found(word_doc(**parts), "docx", full_name=NAME, email=EMAIL)


def test_no_warning_for_an_essay_that_names_nobody():
    assert found_in_docx(body=ESSAY) == []


def test_the_name_in_the_body_is_found():
    assert found_in_docx(body=[*ESSAY, "As Jane Smith, I led the review."]) == [NAME]


def test_the_name_in_a_header_is_found_though_headers_are_not_counted():
    data = word_doc(body=ESSAY, header="NPQEL Task 2 - Jane Smith - Oakfield Academy")
    words = check_document(io.BytesIO(data), max_bytes=MAX_BYTES).words
    assert words == check_document(io.BytesIO(word_doc(body=ESSAY)), max_bytes=MAX_BYTES).words == 14
    assert names_found(data, "docx", full_name=NAME, email=EMAIL) == [NAME]


def test_the_email_in_a_footer_is_found_once_not_again_as_its_local_part():
    assert found_in_docx(body=ESSAY, footer=f"Contact: {EMAIL}.") == [EMAIL]


def test_the_name_split_across_a_line_break_is_found():
    assert found_in_docx(body=ESSAY, broken=("Written by Jane", "Smith")) == [NAME]


def test_the_name_split_across_lines_of_a_pdf_is_found():
    content = paper(0)
    # Headings, which the builder never sprinkles with stray dashes: the name on two lines of its own.
    content.blocks = [("heading", ESSAY[0].split()), ("heading", ["Jane"]), ("heading", ["SMITH"])]
    data = pdf_from(content)
    assert names_found(data, "pdf", full_name=NAME, email=EMAIL) == [NAME]


def test_the_name_in_a_pdf_header_is_found():
    content = paper(200, seed=2)
    content.header = ["Jane", "Smith", "NPQEL"]
    assert names_found(pdf_from(content), "pdf", full_name=NAME, email=EMAIL) == [NAME]


@pytest.mark.parametrize(
    "text",
    [
        "Janet Smithers and Jane Smithson visited.",  # similar names are other people
        "A blacksmith's forge; we smith new policy.",  # the surname as an ordinary word
        "Jane, our business manager, agreed.",  # the first name alone is too common to warn about
        "Robinson (2011) and Smith (2019) argue, as do Smith, J. (2020) and Smith et al. (2021).",  # citations
        "Write to head@oakfield.sch.uk or the office.",  # another address at the same school
    ],
)
def test_no_false_alarm(text):
    assert names_in_text(text, full_name=NAME, email=EMAIL) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Prepared by JANE SMITH", [NAME]),
        ("Candidate: Smith, Jane", [NAME]),
        ("Jane M. Smith, executive head", [NAME]),
        ("Jane   \n  Smith", [NAME]),
        ("Teams: jane.smith (ask for access)", ["jane.smith"]),
        ("Email JANE.SMITH@OAKFIELD.SCH.UK today", [EMAIL]),
        ("Ms Smith presented the plan to trustees.", ["Smith"]),
        ("Jane Smith's plan; Smith later reflected.", [NAME, "Smith"]),
    ],
)
def test_found(text, found):
    assert names_in_text(text, full_name=NAME, email=EMAIL) == found


def test_accents_apostrophes_titles_and_middle_names():
    assert names_in_text("Zoe O’Brien reflected", full_name="Dr Zoë O'Brien", email="") == ["Zoë O'Brien"]
    full = "Jane Mary Smith"
    assert names_in_text("By Jane Mary Smith", full_name=full, email="") == [full]
    assert names_in_text("By Jane Smith", full_name=full, email="") == [NAME]


def test_a_short_surname_is_found_only_with_the_first_name():
    assert names_in_text("On Day 1 Lee and Fox met.", full_name="Amy Lee", email="") == []
    assert names_in_text("Amy Lee, head of school", full_name="Amy Lee", email="") == ["Amy Lee"]


def test_an_email_built_from_a_role_is_not_looked_for_alone():
    found = names_in_text("The head agreed.", full_name=NAME, email="head@oakfield.sch.uk")
    assert found == []


# --- What the participant is told ------------------------------------------------------------------------


def test_the_warning_names_what_was_found_and_what_to_do():
    message = names_warning([NAME])
    assert message == (
        "Your name (Jane Smith) appears in your document. Marking is anonymous: remove your name, school and "
        "email address from the text, headers, footers and comments, then upload it again."
    )


def test_the_warning_for_name_and_email():
    message = names_warning([NAME, EMAIL])
    assert message.startswith("Your name and email address (Jane Smith, jane.smith@oakfield.sch.uk) appear")


def test_the_warning_for_the_surname_alone_allows_that_it_may_be_someone_else():
    message = names_warning(["Smith"])
    assert message.startswith("Your name (Smith) appears in your document.")
    assert message.endswith("If it refers to someone else, such as an author you cite, you can leave it.")


def test_no_warning_when_nothing_was_found():
    assert names_warning([]) == ""
