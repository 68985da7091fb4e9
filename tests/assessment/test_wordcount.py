"""The word-count rule (docs/word-count.md): what a word is, what counts, and that Word and PDF agree."""

import io
import logging
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.documents import check_document
from assessment.wordcount import count_words, docx_words, is_page_number, is_reference_heading, pdf_words
from tests.assessment.docfiles import W_NS, docx_with_words, pdf_with_words

logging.getLogger("weasyprint").setLevel(logging.WARNING)  # it logs every layout step at INFO


def checked_words(data: bytes) -> int:
    return check_document(io.BytesIO(data), max_bytes=50 * 1024 * 1024).words


def xml_words(body: str) -> int:
    """The count of a document.xml whose <w:body> holds `body`."""
    xml = (
        f'<w:document xmlns:w="{W_NS}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        f"<w:body>{body}</w:body></w:document>"
    )
    return docx_words(io.BytesIO(xml.encode()))


def p(*runs: str) -> str:
    return "<w:p>" + "".join(f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>' for text in runs) + "</w:p>"


# --- What a word is ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Leadership matters", 2),
        ("well-being", 1),
        ("2019/20", 1),
        ("Ofsted's", 1),
        ("multi-academy trust", 2),
        ("e.g. (2023)", 2),
        ("leaders – and staff", 3),  # a dash standing alone is not a word
        ("• first point", 2),
        ("salt & pepper", 2),
        ("£5,000 budget", 2),
        ("3.", 1),
        ("café naïve Zoë", 3),
        ("one\u00a0two\tthree\nfour", 4),  # non-breaking space, tab and line break all separate words
        ("— … ! ? ...", 0),
        ("", 0),
    ],
)
def test_a_word_is_a_run_between_spaces_with_a_letter_or_digit(text, words):
    assert count_words(text) == words


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("References", True),
        ("references:", True),
        ("  REFERENCE LIST  ", True),
        ("Bibliography:", True),
        ("References and further reading", False),
        ("See the references below", False),
        ("Reference", False),
    ],
)
def test_the_reference_list_starts_at_a_line_that_is_only_its_heading(line, heading):
    assert is_reference_heading(line) is heading


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("3", True),
        ("Page 3", True),
        ("page 3 of 10", True),
        ("3 / 10", True),
        ("- 3 -", True),
        ("3 schools", False),
    ],
)
def test_page_number_lines(line, number):
    assert is_page_number(line) is number


# --- Word documents ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 250, 1500])
def test_a_word_document_counts_its_body_exactly(n):
    assert checked_words(docx_with_words(n)) == n


def test_tables_footnotes_and_endnotes_count_but_headers_footers_and_references_do_not():
    data = docx_with_words(
        1200,
        table_words=75,
        header_words=8,
        footer_words=6,
        footnote_words=30,
        endnote_words=12,
        references_words=160,
    )
    assert checked_words(data) == 1200 + 75 + 30 + 12


def test_words_split_across_runs_are_one_word():
    assert xml_words(p("lead", "ership", " and ", "well", "-", "being")) == 3


def test_paragraphs_tabs_and_breaks_separate_words():
    assert xml_words(p("end") + p("start")) == 2
    assert xml_words("<w:p><w:r><w:t>one</w:t><w:tab/><w:t>two</w:t><w:br/><w:t>three</w:t></w:r></w:p>") == 3
    assert xml_words("<w:p><w:r><w:t>non</w:t><w:noBreakHyphen/><w:t>stop</w:t></w:r></w:p>") == 1


def test_hidden_text_deleted_changes_and_field_codes_do_not_count():
    hidden = "<w:r><w:rPr><w:vanish/></w:rPr><w:t>secret extra words</w:t></w:r>"
    shown = '<w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t> visible</w:t></w:r>'
    deleted = '<w:del w:id="1" w:author="A"><w:r><w:delText>removed words here</w:delText></w:r></w:del>'
    inserted = '<w:ins w:id="2" w:author="A"><w:r><w:t> added</w:t></w:r></w:ins>'
    field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGEREF _Toc1 \\h </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t> 12</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    assert xml_words(f"<w:p><w:r><w:t>Kept</w:t></w:r>{hidden}{shown}{deleted}{inserted}{field}</w:p>") == 4


def test_hidden_text_and_comments_made_in_a_real_word_document_do_not_count():
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("Five words that do count")
    paragraph.add_run(" and six hidden words here too").font.hidden = True
    document.add_comment(paragraph.runs[0], text="Assessor, please ignore these seven words", author="Jo")
    out = io.BytesIO()
    document.save(out)
    assert checked_words(out.getvalue()) == 5


def test_text_moved_with_track_changes_counts_once():
    moved_from = '<w:moveFrom w:id="1" w:author="A"><w:r><w:t>moved sentence</w:t></w:r></w:moveFrom>'
    moved_to = '<w:moveTo w:id="2" w:author="A"><w:r><w:t>moved sentence</w:t></w:r></w:moveTo>'
    assert xml_words(f"<w:p>{moved_from}</w:p><w:p>{moved_to}</w:p>") == 2


def test_a_text_box_counts_once_though_word_stores_it_twice():
    box = (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent>'
        f"{p('three words inside')}</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict>"
        f"<w:txbxContent>{p('three words inside')}</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )
    assert xml_words(f"<w:p><w:r><w:t>Before </w:t></w:r>{box}<w:r><w:t> after</w:t></w:r></w:p>") == 5


def test_the_last_references_heading_starts_the_list():
    contents = p("Introduction") + p("References")  # a contents list naming the heading
    essay = p("Leaders shape culture.") + p("References:") + p("Smith, J. (2020) Leading schools. London.")
    assert xml_words(contents + essay) == 1 + 1 + 3


def test_a_references_cell_in_a_table_does_not_end_the_count():
    table = f"<w:tbl><w:tr><w:tc>{p('References')}</w:tc><w:tc>{p('three more words')}</w:tc></w:tr></w:tbl>"
    assert xml_words(p("Opening words") + table + p("closing words")) == 2 + 1 + 3 + 2


def test_footnote_separators_are_not_words():
    notes = (
        f'<w:footnotes xmlns:w="{W_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/><w:t>sep</w:t></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1">{p("A real note.")}</w:footnote></w:footnotes>'
    )
    body = f'<w:document xmlns:w="{W_NS}"><w:body>{p("Body text")}</w:body></w:document>'
    assert docx_words(io.BytesIO(body.encode()), [io.BytesIO(notes.encode())]) == 2 + 3


def test_strict_open_xml_documents_count_too():
    strict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
    xml = (
        f'<w:document xmlns:w="{strict}"><w:body><w:p><w:r><w:t>Strict format words</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    assert docx_words(io.BytesIO(xml.encode())) == 3


def test_a_long_document_counts_every_paragraph():
    body = p("four words per paragraph") * 100_000
    assert xml_words(body) == 400_000


@st.composite
def paragraphs(draw):
    word = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9'\-/.,]{0,10}", fullmatch=True)
    gap = st.sampled_from([" ", "  ", "\t", " – ", " • "])
    paras = draw(st.lists(st.lists(word, min_size=1, max_size=25), min_size=1, max_size=8))
    rendered = []
    for words in paras:
        text = words[0]
        for w in words[1:]:
            text += draw(gap) + w
        cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=4)))
        rendered.append([text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)])
    return rendered, sum(len(words) for words in paras)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paragraphs())
def test_random_paragraphs_in_random_runs_count_every_word(example):
    import docx

    runs_per_paragraph, expected = example
    document = docx.Document()
    for runs in runs_per_paragraph:
        paragraph = document.add_paragraph()
        for index, text in enumerate(runs):
            paragraph.add_run(text).bold = index % 2 == 1
    out = io.BytesIO()
    document.save(out)
    assert checked_words(out.getvalue()) == expected


# --- PDFs --------------------------------------------------------------------------------------------------


def test_running_headers_footers_and_page_numbers_are_taken_off_pdf_pages():
    pages = [
        f"Jane Smith – NPQEL assessment\nCandidate 4821\n{body}\nPage {n} of 3"
        for n, body in enumerate(
            ["Leaders shape culture in every school.", "Trust boards set the strategy.", "Pupils benefit."], 1
        )
    ]
    assert pdf_words(pages) == 6 + 5 + 2


def test_a_two_page_pdf_keeps_its_own_first_and_last_lines():
    assert (
        pdf_words(["Introduction\nLeaders matter.\nSummary one", "Findings\nStaff matter.\nSummary two"])
        == 10
    )


def test_a_line_on_only_one_page_in_three_is_not_a_header():
    pages = ["Chapter 1\nText on one.", "Text on two.", "Text on three."]
    assert pdf_words(pages) == 2 + 3 + 3 + 3


def test_the_pdf_reference_list_runs_to_the_end_even_across_pages():
    pages = [
        "Essay words here.\nMore words.",
        "Last words.\nReferences\nSmith (2020)",
        "Jones (2019)\nBrown (2018)",
    ]
    assert pdf_words(pages) == 3 + 2 + 2


@pytest.fixture(scope="module")
def same_text():
    extras = {
        "table_words": 90,
        "header_words": 6,
        "footer_words": 5,
        "footnote_words": 25,
        "references_words": 150,
    }
    return 3000 + 90 + 25, docx_with_words(3000, **extras, seed=7), pdf_with_words(3000, **extras, seed=7)


def test_the_same_text_as_a_pdf_counts_within_one_percent_of_the_word_document(same_text):
    expected, docx_data, pdf_data = same_text
    checked = check_document(io.BytesIO(pdf_data), max_bytes=50 * 1024 * 1024)
    assert checked.pages >= 5  # headers, footers and "Page 3 of 9" repeat on every page
    assert checked_words(docx_data) == expected
    assert abs(checked.words - expected) <= expected / 100


def test_the_pdf_fixture_really_has_a_header_footer_and_page_numbers(same_text):
    import pypdfium2 as pdfium

    _, _, pdf_data = same_text
    document = pdfium.PdfDocument(pdf_data)
    try:
        text = document[1].get_textpage().get_text_range()
    finally:
        document.close()
    assert "Page 2 of" in text
    with zipfile.ZipFile(io.BytesIO(same_text[1])) as archive:
        assert "word/footnotes.xml" in archive.namelist()
