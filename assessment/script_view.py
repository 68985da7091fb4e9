"""A Word script shown beside the mark form, so an assessor can mark without downloading it (issue 7).

PDFs are shown inline by the browser; a Word document is turned into HTML here by python-mammoth (which
reads styles, not looks: headings, paragraphs, lists, tables, footnotes and endnotes) and then sanitised
with nh3, so nothing in it can run in the assessor's browser.
"""

import io
import re

import mammoth
import nh3
from mammoth import html as mammoth_html

from assessment.anonymity import CannotAnonymise, package_members


class ScriptNotShown(ValueError):
    """The document cannot be shown as a page; offer the download instead."""


_TAGS = frozenset(
    {
        *(f"h{level}" for level in range(1, 7)),
        "p",
        "br",
        "strong",
        "em",
        "b",
        "i",
        "u",
        "s",
        "sub",
        "sup",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
        "blockquote",
        "pre",
        "code",
    }
)
_ATTRIBUTES = {"a": {"href", "id"}, "li": {"id"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Every id mammoth writes starts with this, so the script's footnote anchors cannot clash with the page's.
ID_PREFIX = "script-"
_SAFE_ID = re.compile(rf"{re.escape(ID_PREFIX)}[A-Za-z0-9_-]{{1,100}}")
_SPAN = re.compile(r"[1-9][0-9]{0,2}")
# Word's title styles become headings too (mammoth maps "Heading 1" to "Heading 6" by itself).
_STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='Subtitle'] => h2:fresh
"""
IMAGE_PLACEHOLDER = "[image]"


def docx_as_html(data: bytes) -> str:
    """The body of a Word document as an HTML fragment safe to put in the marking page.

    Pass the anonymous copy (anonymity.stripped_copy), never the upload. Headings, paragraphs, bold and
    italic, lists, tables, footnotes and endnotes are kept; each picture is shown as "[image]"; headers,
    footers and comments are left out. Links keep their text but only links to the script's own footnotes
    keep their target; nothing that runs (scripts, styles, event handlers, javascript: links) survives.
    Raises ScriptNotShown when the document cannot be read.
    """
    try:
        package_members(data)  # the caps and the no-DOCTYPE rule before mammoth's parser sees any of it
    except CannotAnonymise:
        raise ScriptNotShown("the Word document could not be read") from None
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            style_map=_STYLE_MAP,
            include_embedded_style_map=False,
            external_file_access=False,
            id_prefix=ID_PREFIX,
            convert_image=_image_placeholder,
        )
    except Exception as error:  # mammoth raises many types for odd XML; all mean the same to the assessor
        raise ScriptNotShown("the Word document could not be converted") from error
    html = nh3.clean(
        result.value,
        tags=set(_TAGS),
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        link_rel=None,
        url_schemes=set(),
        strip_comments=True,
    )
    # The page has its own h1 and h2: the script's headings sit two levels below them (h1 becomes h3).
    return _HEADING.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + 2, 6)}>", html)


_HEADING = re.compile(r"<(/?)h([1-6])>")


def _image_placeholder(image: object) -> list:
    return [mammoth_html.text(IMAGE_PLACEHOLDER)]


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        # Only the script's own footnote and bookmark anchors: an outside link could tell someone the page
        # was opened, or run script.
        return value if value.startswith("#") and _SAFE_ID.fullmatch(value[1:]) else None
    if attribute == "id":
        return value if _SAFE_ID.fullmatch(value) else None
    if attribute in ("colspan", "rowspan"):
        return value if _SPAN.fullmatch(value) else None
    return None
