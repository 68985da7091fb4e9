"""`make bench`: checking and counting a ~5 MB Word document and a ~5 MB PDF, both all text.

Runs alone, with no database:
    .venv/bin/pytest tests/perf/test_wordcount_bench.py -s -p no:randomly --override-ini addopts=""

The Word document is python-docx's blank document with Word-style XML written into its body: nothing but
text (no pictures pad it), in paragraphs of four 25-word runs, with a heading every 25 paragraphs.

The PDF is a ~100-page WeasyPrint rendering of essay text (running header, footer, "Page 3 of 9", a table, a
footnote, a reference list) joined end to end with pypdf until it reaches ~5 MB, so its text repeats every
~100 pages; each page is still parsed and read on its own.
"""

import html
import io
import logging
import random
import statistics
import time
import zipfile

import docx
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader, PdfWriter

from assessment.documents import check_document
from tests.assessment.docfiles import SPECIAL, VOCABULARY, paper, pdf_from

TARGET_BYTES = 5 * 1024 * 1024
RUNS = 3


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:.2f} MB"


def docx_paragraphs(rng: random.Random, count: int, vocabulary: list[str]) -> str:
    """Word's XML for `count` paragraphs of four 25-word runs (the third bold), a heading every 25."""
    parts = []
    for index in range(count):
        if index % 25 == 0:
            parts.append(
                '<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>'
                f"Section {index // 25}: leading across the trust</w:t></w:r></w:p>"
            )
        runs = []
        for run in range(4):
            text = html.escape(" ".join(rng.choice(vocabulary) for _ in range(25)), quote=False)
            bold = "<w:rPr><w:b/></w:rPr>" if run == 2 else ""
            runs.append(f'<w:r w:rsidRPr="00B{run}2F1">{bold}<w:t xml:space="preserve">{text} </w:t></w:r>')
        parts.append(f'<w:p w:rsidR="00C4{index % 97:02d}" w:rsidRDefault="00C4A1">{"".join(runs)}</w:p>')
    return "".join(parts)


@pytest.fixture(scope="module")
def big_docx() -> tuple[bytes, int]:
    """python-docx's blank document with its body written straight into document.xml (python-docx's own
    add_paragraph slows down as the body grows, taking minutes at this size)."""
    # Inflected forms widen the vocabulary so the text compresses about as well as real prose does.
    vocabulary = (
        VOCABULARY + [w + end for w in VOCABULARY for end in ("s", "ed", "ing", "ly", "ment")] + SPECIAL
    )
    blank = io.BytesIO()
    docx.Document().save(blank)
    with zipfile.ZipFile(blank) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    template = members["word/document.xml"].decode()
    cut = template.index("<w:sectPr")

    def build(paragraphs: int) -> bytes:
        body = docx_paragraphs(random.Random(6), paragraphs, vocabulary)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in members.items():
                archive.writestr(
                    name,
                    (template[:cut] + body + template[cut:]).encode()
                    if name == "word/document.xml"
                    else content,
                )
        return out.getvalue()

    paragraphs = 2_000
    data = build(paragraphs)
    while len(data) < TARGET_BYTES:  # scale up by the shortfall, then top up if compression was kinder
        paragraphs = max(paragraphs + 100, int(paragraphs * TARGET_BYTES / len(data) * 1.01))
        data = build(paragraphs)
    headings = -(-paragraphs // 25)
    return data, paragraphs * 100 + headings * 6


@pytest.fixture(scope="module")
def big_pdf() -> bytes:
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    extras = {
        "table_words": 300,
        "header_words": 5,
        "footer_words": 4,
        "footnote_words": 40,
        "references_words": 450,
    }
    chunk = pdf_from(paper(30_000, **extras, seed=3), seed=3)
    copies = 1
    while True:
        writer = PdfWriter()
        for _ in range(copies):
            writer.append(
                PdfReader(io.BytesIO(chunk))
            )  # a fresh reader each time: its own copy of every page
        out = io.BytesIO()
        writer.write(out)
        if out.tell() >= TARGET_BYTES:
            return out.getvalue()
        copies = max(copies + 1, int(copies * TARGET_BYTES / out.tell()) + 1)


def timed(data: bytes) -> tuple[list[float], object]:
    seconds = []
    checked = None
    for _ in range(RUNS):
        started = time.perf_counter()
        checked = check_document(io.BytesIO(data), max_bytes=len(data))
        seconds.append(time.perf_counter() - started)
    return seconds, checked


def report(what: str, data: bytes, seconds: list[float], checked, detail: str) -> None:
    print(
        f"\n{what}: {mb(len(data))} ({detail}); {checked.words:,} words"
        + (f", {checked.pages:,} pages" if checked.pages else "")
        + f"\n  check_document best of {RUNS} {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s"
        + f" ({checked.words / min(seconds):,.0f} words/s)"
    )


def test_bench_a_5_mb_word_document(big_docx):
    big_docx, expected = big_docx
    with zipfile.ZipFile(io.BytesIO(big_docx)) as archive:
        xml = archive.getinfo("word/document.xml")
    seconds, checked = timed(big_docx)
    report(
        "Word document, all text",
        big_docx,
        seconds,
        checked,
        f"document.xml {mb(xml.file_size)}, inflates {xml.file_size / xml.compress_size:.1f}:1",
    )
    assert checked.kind == "docx" and checked.words == expected


def pdfium_text_only(data: bytes) -> float:
    """The floor: PDFium loading each page and reading its text, with nothing else."""
    started = time.perf_counter()
    document = pdfium.PdfDocument(data)
    try:
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            text_page.get_text_range()
            text_page.close()
            page.close()
    finally:
        document.close()
    return time.perf_counter() - started


def test_bench_a_5_mb_pdf(big_pdf):
    seconds, checked = timed(big_pdf)
    report("PDF, all text", big_pdf, seconds, checked, "WeasyPrint pages joined with pypdf")
    floor = min(pdfium_text_only(big_pdf) for _ in range(RUNS))
    print(
        f"  of which PDFium reading every page's text: best {floor:.2f} s"
        f" ({floor / checked.pages * 1000:.1f} ms a page)"
    )
    assert checked.kind == "pdf" and checked.pages > 1000
