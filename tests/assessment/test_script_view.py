"""A Word script shown beside the mark form: the assessor reads the essay as written, and nothing in the file
can run in their browser or tell anyone they opened it."""

import io
import re

import docx
import lxml.html
import mammoth
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml

from assessment.anonymity import stripped_copy
from assessment.script_view import ID_PREFIX, ScriptNotShown, docx_as_html
from tests.assessment.badfiles import rewrite_zip
from tests.assessment.docfiles import W_NS, docx_with_words
from tests.assessment.test_anonymity import identified_docx, photo_with_exif

R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "strong", "em", "b", "i", "u", "s", "sub", "sup",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "blockquote", "pre", "code",
}  # fmt: skip


def elements(fragment: str) -> list[lxml.html.HtmlElement]:
    """Every element of an HTML fragment, as the browser would build them."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return [element for element in root.iter() if element is not root]


def essay() -> bytes:
    """An essay with a title, headings, a list, a table, a footnote, a picture, links, and text that looks like
    HTML."""
    document = docx.Document()
    document.add_paragraph("Closing the gap across three schools", style="Title")
    document.add_heading("Context", level=1)
    document.add_paragraph("Our trust serves seven schools; three joined in 2022.")
    document.add_heading("What we changed", level=2)
    document.add_paragraph("Attendance meetings moved to Mondays", style="List Bullet")
    document.add_paragraph("Governors reviewed the data each term", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "School", "Attendance"
    table.cell(1, 0).text, table.cell(1, 1).text = "Harbour Primary", "94.1%"
    document.add_paragraph('Typed as text: <script>alert("x")</script> and <img src=x onerror=alert(1)>')
    document.add_picture(io.BytesIO(photo_with_exif()))
    for label, url in (
        ("the DfE framework", "https://tracker.example/pixel?who=assessor"),
        ("click me", "javascript:alert(document.cookie)"),
    ):
        relationship = document.part.relate_to(url, RT.HYPERLINK, is_external=True)
        document.add_paragraph()._p.append(
            parse_xml(
                f'<w:hyperlink xmlns:w="{W_NS}" xmlns:r="{R_NS}" r:id="{relationship}">'
                f"<w:r><w:t>{label}</w:t></w:r></w:hyperlink>"
            )
        )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def shown() -> str:
    return docx_as_html(stripped_copy(essay(), "docx"))


def test_the_title_headings_list_and_table_read_as_in_word(shown):
    # Two levels below the marking page's own h1 and h2.
    assert "<h3>Closing the gap across three schools</h3>" in shown
    assert "<h3>Context</h3>" in shown and "<h4>What we changed</h4>" in shown
    assert re.search(r"<ul><li>Attendance meetings moved to Mondays</li><li>Governors reviewed", shown)
    cells = [cell.text_content() for cell in elements(shown) if cell.tag == "td"]
    assert cells == ["School", "Attendance", "Harbour Primary", "94.1%"]


def test_a_picture_is_shown_as_a_placeholder(shown):
    assert "[image]" in shown
    assert all(element.tag != "img" for element in elements(shown))


def test_text_that_looks_like_html_is_shown_as_text_and_never_runs(shown):
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in shown
    found = elements(shown)
    assert {element.tag for element in found} <= ALLOWED_TAGS
    for element in found:
        for attribute in element.attrib:
            assert not attribute.startswith("on") and attribute not in ("style", "src", "class")


def test_outside_links_keep_their_words_but_lose_their_target(shown):
    assert "the DfE framework" in shown and "click me" in shown
    assert "tracker.example" not in shown and "javascript:" not in shown
    assert not [a for a in elements(shown) if a.tag == "a" and a.get("href")]


def test_footnotes_are_shown_and_their_links_stay_on_the_page():
    shown = docx_as_html(stripped_copy(docx_with_words(120, footnote_words=9, seed=5), "docx"))
    links = {a.get("href") for a in elements(shown) if a.tag == "a" and a.get("href")}
    ids = {element.get("id") for element in elements(shown) if element.get("id")}
    assert links == {f"#{ID_PREFIX}footnote-1", f"#{ID_PREFIX}footnote-ref-1"}
    assert {link[1:] for link in links} <= ids, "each footnote link has somewhere to go"


def test_a_style_map_hidden_in_the_file_cannot_make_script():
    # python-mammoth reads a style map saved inside the document unless told not to; this one would turn
    # every paragraph into a script element.
    data = io.BytesIO(essay())
    mammoth.embed_style_map(data, "p => script:fresh\nh1 => style:fresh")
    shown = docx_as_html(data.getvalue())
    assert "<script" not in shown and "<style" not in shown
    assert "<p>Our trust serves seven schools; three joined in 2022.</p>" in shown


def test_the_shown_copy_names_nobody():
    shown = docx_as_html(stripped_copy(identified_docx(), "docx"))
    assert "smith" not in shown.casefold() and "oakfield" not in shown.casefold()
    assert "<table>" in shown and "[image]" in shown


def test_a_document_with_a_doctype_anywhere_is_not_shown():
    data = docx_with_words(40)
    unsafe = rewrite_zip(
        data,
        add={"word/glossary.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'},
    )
    with pytest.raises(ScriptNotShown):
        docx_as_html(unsafe)


def test_something_that_is_not_a_word_document_is_not_shown():
    with pytest.raises(ScriptNotShown):
        docx_as_html(b"%PDF-1.7 not a zip")
