"""Good Word documents and PDFs with known word counts, built from the same text so their counts can agree.

The body mixes what essays hold: headings, paragraphs, bulleted lists, words split across runs (a bold
first half), hyphenated words, "2019/20", "Ofsted's", and dashes and bullets standing alone (not words).
"""

import html
import io
import random
from dataclasses import dataclass, field

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Pt

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
VOCABULARY = (
    "leadership school trust pupils staff governance curriculum improvement evidence teaching learning "
    "outcomes strategy culture community partnership finance budget capacity accountability inclusion "
    "attendance behaviour safeguarding professional development executive leaders across the of and to in "
    "for with a is are was be that this we our their headteachers disadvantaged trustees collaboration "
    "workload retention priorities implementation evaluation"
).split()
SPECIAL = ["well-being", "2019/20", "Ofsted's", "SEND", "KS2", "(2023)", "e.g.", "multi-academy"]
NOT_WORDS = ["–", "•", "—", "&", "-"]  # standing alone, none of these has a letter or digit


def words(n: int, rng: random.Random) -> list[str]:
    """n words, mostly ordinary, one in twelve a word people argue about."""
    return [rng.choice(SPECIAL) if rng.random() < 1 / 12 else rng.choice(VOCABULARY) for _ in range(n)]


@dataclass
class Paper:
    """The content both builders render, as blocks of (kind, words)."""

    blocks: list[tuple[str, list[str]]] = field(default_factory=list)
    table: list[list[list[str]]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    footnote: list[str] = field(default_factory=list)
    endnote: list[str] = field(default_factory=list)
    references: list[list[str]] = field(default_factory=list)


def paper(
    n: int,
    *,
    table_words: int = 0,
    header_words: int = 0,
    footer_words: int = 0,
    footnote_words: int = 0,
    endnote_words: int = 0,
    references_words: int = 0,
    seed: int = 0,
) -> Paper:
    """Lays n body words out as headings, paragraphs and lists (plus the extras asked for)."""
    rng = random.Random(seed)
    body = words(n, rng)
    result = Paper()
    kinds = ["heading", "paragraph", "paragraph", "list", "paragraph", "split"]
    index = 0
    while body:
        kind = kinds[index % len(kinds)]
        size = {"heading": 4, "list": 8, "split": 40}.get(kind, 70)
        if kind == "list":
            for _ in range(3):
                if body:
                    result.blocks.append(("item", body[:size]))
                    body = body[size:]
        else:
            result.blocks.append((kind, body[:size]))
            body = body[size:]
        index += 1
    cells = words(table_words, rng)
    while cells:
        result.table.append([cells[i * 5 : i * 5 + 5] for i in range(3)])
        cells = cells[15:]
    result.header = words(header_words, rng)
    result.footer = words(footer_words, rng)
    result.footnote = words(footnote_words, rng)
    result.endnote = words(endnote_words, rng)
    listed = words(references_words, rng)
    while listed:
        result.references.append(listed[:15])
        listed = listed[15:]
    return result


def _with_non_words(chunk: list[str], rng: random.Random) -> str:
    # A dash or bullet standing alone now and then: visible in the text, never counted.
    out = []
    for word in chunk:
        out.append(word)
        if rng.random() < 0.03:
            out.append(rng.choice(NOT_WORDS))
    return " ".join(out)


# --- Word ------------------------------------------------------------------------------------------------


def docx_with_words(
    n: int,
    *,
    table_words: int = 0,
    header_words: int = 0,
    footer_words: int = 0,
    footnote_words: int = 0,
    endnote_words: int = 0,
    references_words: int = 0,
    seed: int = 0,
) -> bytes:
    """A .docx whose count by the rule is n + table_words + footnote_words + endnote_words."""
    content = paper(
        n,
        table_words=table_words,
        header_words=header_words,
        footer_words=footer_words,
        footnote_words=footnote_words,
        endnote_words=endnote_words,
        references_words=references_words,
        seed=seed,
    )
    return docx_from(content, seed=seed)


def docx_from(content: Paper, *, seed: int = 0) -> bytes:
    """Renders a Paper with python-docx; footnotes and endnotes are added as raw XML parts."""
    rng = random.Random(seed + 1)
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    first_paragraph = None
    for kind, chunk in content.blocks:
        if kind == "heading":
            document.add_heading(" ".join(chunk), level=1 if first_paragraph is None else 2)
        elif kind == "item":
            document.add_paragraph(_with_non_words(chunk, rng), style="List Bullet")
        elif kind == "split":
            paragraph = document.add_paragraph()
            for word in chunk:
                # Half a word bold, half plain: Word keeps them in separate runs, still one word.
                cut = max(1, len(word) // 2)
                paragraph.add_run(word[:cut]).bold = True
                paragraph.add_run(word[cut:] + " ")
        else:
            paragraph = document.add_paragraph(_with_non_words(chunk, rng))
            first_paragraph = first_paragraph or paragraph
    if content.table:
        table = document.add_table(rows=len(content.table), cols=3)
        for row, cells in zip(table.rows, content.table, strict=True):
            for cell, chunk in zip(row.cells, cells, strict=True):
                cell.text = " ".join(chunk)
    section = document.sections[0]
    if content.header:
        section.header.paragraphs[0].text = " ".join(content.header)
    footer = section.footer.paragraphs[0]
    footer.text = " ".join(content.footer) + " Page "
    footer._p.append(
        parse_xml(f'<w:fldSimple xmlns:w="{W_NS}" w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>')
    )
    if content.footnote:
        _add_note(document, "footnote", content.footnote, first_paragraph)
    if content.endnote:
        _add_note(document, "endnote", content.endnote, first_paragraph)
    if content.references:
        document.add_heading("References", level=1)
        for chunk in content.references:
            document.add_paragraph(" ".join(chunk))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_note(document: docx.document.Document, kind: str, chunk: list[str], anchor) -> None:
    """Adds footnotes.xml or endnotes.xml (with Word's separator notes) and a reference to note 1."""
    separators = "".join(
        f'<w:{kind} w:type="{kind_type}" w:id="{note_id}"><w:p><w:r><w:{sep}/></w:r></w:p></w:{kind}>'
        for kind_type, note_id, sep in (
            ("separator", -1, "separator"),
            ("continuationSeparator", 0, "continuationSeparator"),
        )
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{kind}s xmlns:w="{W_NS}">{separators}'
        f'<w:{kind} w:id="1"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{kind}Ref/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {html.escape(" ".join(chunk))}</w:t></w:r></w:p></w:{kind}></w:{kind}s>'
    )
    content_type = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}s+xml"
    part = Part(PackURI(f"/word/{kind}s.xml"), content_type, xml.encode(), document.part.package)
    document.part.relate_to(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)
    paragraph = anchor if anchor is not None else document.add_paragraph()
    paragraph._p.append(
        parse_xml(
            f'<w:r xmlns:w="{W_NS}"><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
            f'<w:{kind}Reference w:id="1"/></w:r>'
        )
    )


# --- PDF -------------------------------------------------------------------------------------------------


def pdf_with_words(
    n: int,
    *,
    table_words: int = 0,
    header_words: int = 0,
    footer_words: int = 0,
    footnote_words: int = 0,
    endnote_words: int = 0,
    references_words: int = 0,
    seed: int = 0,
) -> bytes:
    """The same text as docx_with_words() laid out as a PDF with a running header, footer and page numbers."""
    content = paper(
        n,
        table_words=table_words,
        header_words=header_words,
        footer_words=footer_words,
        footnote_words=footnote_words,
        endnote_words=endnote_words,
        references_words=references_words,
        seed=seed,
    )
    return pdf_from(content, seed=seed)


def pdf_from(content: Paper, *, seed: int = 0) -> bytes:
    """Renders a Paper with WeasyPrint: A4 pages, header and footer in the page margins, "Page 3 of 9"."""
    import weasyprint  # slow to import; only the tests that need PDFs pay for it

    rng = random.Random(seed + 1)
    parts: list[str] = []
    in_list = False
    footnote_done = False
    for kind, chunk in content.blocks:
        if kind == "item" and not in_list:
            parts.append("<ul>")
            in_list = True
        elif kind != "item" and in_list:
            parts.append("</ul>")
            in_list = False
        if kind == "heading":
            tag = "h1" if not parts else "h2"
            parts.append(f"<{tag}>{html.escape(' '.join(chunk))}</{tag}>")
        elif kind == "item":
            parts.append(f"<li>{html.escape(_with_non_words(chunk, rng))}</li>")
        elif kind == "split":
            halves = (
                f"<b>{html.escape(w[: max(1, len(w) // 2)])}</b>{html.escape(w[max(1, len(w) // 2) :])}"
                for w in chunk
            )
            parts.append(f"<p>{' '.join(halves)}</p>")
        else:
            note = ""
            if content.footnote and not footnote_done:
                note = f'<span class="footnote">{html.escape(" ".join(content.footnote))}</span>'
                footnote_done = True
            parts.append(f"<p>{html.escape(_with_non_words(chunk, rng))}{note}</p>")
    if in_list:
        parts.append("</ul>")
    if content.table:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(' '.join(cell))}</td>" for cell in row) + "</tr>"
            for row in content.table
        )
        parts.append(f"<table>{rows}</table>")
    if content.endnote:
        parts.append(f"<h2>Notes</h2><p>1 {html.escape(' '.join(content.endnote))}</p>")
    if content.references:
        parts.append("<h1>References</h1>")
        parts.extend(f"<p>{html.escape(' '.join(chunk))}</p>" for chunk in content.references)
    header = html.escape(" ".join(content.header)).replace('"', "")
    footer = html.escape(" ".join(content.footer)).replace('"', "")
    style = f"""
        @page {{ size: A4; margin: 2.5cm 2cm;
            @top-center {{ content: "{header}"; font-size: 9pt }}
            @bottom-left {{ content: "{footer}"; font-size: 9pt }}
            @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-size: 9pt }} }}
        body {{ font-family: serif; font-size: 11pt; line-height: 1.4 }}
        .footnote {{ float: footnote; font-size: 9pt }}
        td {{ padding: 4pt 8pt; vertical-align: top }}
    """
    page = f"<html><head><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    return weasyprint.HTML(string=page).write_pdf()
