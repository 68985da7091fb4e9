"""Hostile uploads through the real upload page, as the participant: files that are two things at once
(polyglots), files that pretend to be a document, and filenames no one should trust.

Each one is either accepted safely (kept under a name the server made up, its own name shown back escaped and
stripped of paths and control characters) or refused with a message that says what to do. Never a 5xx, never
a file kept under the name the browser sent, and nothing kept from a refusal.
"""

import datetime
import re
import zoneinfo

import lxml.html
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessment.models import Submission, SubmissionFile
from tests.assessment.badfiles import bad_file, good_docx, good_pdf, pdf_writer, written
from tests.assessment.factories import case_study_place

pytestmark = pytest.mark.django_db

UK = zoneinfo.ZoneInfo("Europe/London")
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)  # inside case_study_place's window
STORED = re.compile(r"^submissions/[0-9a-f]{32}\.(docx|pdf)$")  # a name the server made up


def error_messages(html: str) -> list[str]:
    """The messages of the page's error summary; or, on the page for a request that could not be read at all
    (templates/400.html), its advice."""
    document = lxml.html.fromstring(html)
    found = [
        " ".join(item.text_content().split())
        for summary in document.find_class("govuk-error-summary")
        for item in summary.xpath(".//li") or summary.xpath(".//p")
    ]
    if not found and document.xpath("//h1[contains(., 'We could not read what you sent')]"):
        found = [" ".join(p.text_content().split()) for p in document.xpath("//main//p")]
    return found


def _pdf_then_docx() -> bytes:
    """A whole PDF followed by a whole Word document: a PDF reader and a zip reader both open it."""
    return good_pdf() + good_docx()


def _docx_after_pdf_header() -> bytes:
    """A Word document with a PDF header in front: zip readers skip leading bytes and still open it."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + good_docx()


def _pdf_with_launch_and_javascript() -> bytes:
    from pypdf.actions import JavaScript

    writer = pdf_writer()
    writer.add_open_action(JavaScript("this.exportDataObject({cName: 'x', nLaunch: 2});"))
    return written(writer)


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<text>My essay on leadership</text></svg>"
)

# name → (bytes, the filename sent, a fragment of the message the participant reads)
POLYGLOTS = {
    "a PDF that is also a .docx (zip)": (_pdf_then_docx, "essay.pdf", "both as a PDF and as a zip file"),
    "the same, named .docx": (_pdf_then_docx, "essay.docx", "both as a PDF and as a zip file"),
    "a .docx with a PDF header in front": (
        _docx_after_pdf_header,
        "essay.docx",
        "both as a PDF and as a zip file",
    ),
    "a JPEG named .pdf": (lambda: bad_file("JPEG renamed .pdf")[0], "essay.pdf", "is a picture (JPEG)"),
    "a web page named .pdf": (lambda: bad_file("HTML renamed .pdf")[0], "essay.pdf", "web page"),
    "a web page behind a PDF header": (
        lambda: b"%PDF-1.4\n<html><script>alert(1)</script></html>",
        "essay.pdf",
        "damaged or incomplete",
    ),
    "a PDF with JavaScript": (_pdf_with_launch_and_javascript, "essay.pdf", "contains JavaScript"),
    # SVG is XML, so text: refused as a plain text file, with what to do.
    "an SVG picture named .docx": (lambda: SVG, "essay.docx", "save it as a PDF or a .docx"),
}


@pytest.fixture
def place(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(DURING, tick=False):
        enrolment, task, _ = case_study_place()
        client.force_login(enrolment.participant.user)
        yield enrolment, task, tmp_path


def post(client, enrolment, name: str, content: bytes):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(reverse("task_upload", args=[enrolment.pk, 1]), {"main": upload})


@pytest.mark.parametrize("what", list(POLYGLOTS))
def test_a_file_that_is_two_things_at_once_is_refused_with_what_to_do(client, place, what):
    enrolment, _, media = place
    build, name, fragment = POLYGLOTS[what]
    response = post(client, enrolment, name, build())
    assert response.status_code == 400
    messages = error_messages(response.content.decode())
    assert any(fragment in m for m in messages), messages
    # Each message tells the participant what to do next, not only what is wrong.
    assert any(re.search(r"\b(Save|Print|Upload|Choose|Remove|Open)\b", m) for m in messages), messages
    assert not Submission.objects.exists() and not SubmissionFile.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]  # nothing kept from a refusal


REFUSED = "refused"  # by Django, before any view: the part's headers pass their 1 kB limit
LONG_STEM = "My case-study response on leading a multi-academy trust " * 6  # 336 characters
NAMES = {
    "300+ characters": (LONG_STEM + ".docx", None),
    "path separators": ("../../../etc/cron.d/essay.docx", "essay.docx"),
    "Windows path": ("C:\\Users\\Zoë\\..\\..\\Windows\\essay.docx", "essay.docx"),
    "a NUL byte": ("essay\x00.pdf.docx", "essay.pdf.docx"),
    "a right-to-left override": ("my-essay\u202excod.exe", "my-essayxcod.exe"),
    "HTML in the name": ('<img src=x onerror="alert(1)">.docx', None),
    "only dots": ("....", "...."),
    "dots and a suffix": ("....docx", "....docx"),
    "a newline and a header": ("essay.docx\r\nX-Evil: 1", None),
    "300 emoji (1,200 bytes)": ("📄" * 300 + ".docx", REFUSED),
}


@pytest.mark.parametrize("what", list(NAMES))
def test_a_hostile_filename_is_never_trusted(client, place, what):
    enrolment, _, media = place
    sent, expected = NAMES[what]
    response = post(client, enrolment, sent, good_docx())
    if expected is REFUSED:
        assert response.status_code == 400
        messages = error_messages(response.content.decode())
        assert any("rename the file" in m for m in messages), messages
        assert not SubmissionFile.objects.exists()
        return
    assert response.status_code == 302, error_messages(response.content.decode())
    stored = SubmissionFile.objects.get()
    # Kept under a name the server made up: nothing of the client's name reaches storage.
    assert STORED.match(stored.file.name), stored.file.name
    assert [p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()] == [stored.file.name]
    # What is shown back is the name alone: no folders, no control or direction characters, at most 255.
    shown = stored.original_name
    assert shown and len(shown) <= 255
    assert not re.search(r"[/\\\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", shown), repr(shown)
    if expected is not None:
        assert shown == expected
    page = client.get(reverse("my_task", args=[enrolment.pk, 1]))
    assert page.status_code == 200
    href = reverse("submission_file_download", args=[stored.pk])
    links = lxml.html.fromstring(page.content).xpath(f"//a[@href='{href}']")
    assert links and {link.text_content() for link in links} == {shown}  # as text, escaped: never as markup
    assert b"<img src=x" not in page.content
    download = client.get(reverse("submission_file_download", args=[stored.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == good_docx()
    # The download's name is made up too (candidate number, task, version), never the client's.
    disposition = download["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[A-Z0-9-]+-task1-v1-main\.docx"', disposition), disposition


def raw_upload(client, url: str, filename: bytes, content: bytes):
    """A multipart body written by hand: the test client will not send a filename of "..", a raw NUL or bytes
    that are not UTF-8, but a script can."""
    boundary = b"npqel-bad-input"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="main"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n"
    )
    return client.generic(
        "POST", url, body, content_type="multipart/form-data; boundary=" + boundary.decode()
    )


RAW_NAMES = {
    # A name that is no name at all, or is not UTF-8 (no browser sends one): Django drops the file, and the form
    # asks for one.
    b"..": REFUSED,
    b".": REFUSED,
    b"../": REFUSED,
    b"\xff\xfe not UTF-8 \xe9.docx": REFUSED,
    b"essay\x00.docx": "essay.docx",
    b"..\\..\\boot.ini\\essay.docx": "essay.docx",
    b"x" * 400 + b".docx": None,
}


@pytest.mark.parametrize("sent", list(RAW_NAMES), ids=[repr(n[:30]) for n in RAW_NAMES])
def test_a_hand_made_request_with_a_hostile_filename_is_never_trusted(client, place, sent):
    enrolment, _, media = place
    response = raw_upload(client, reverse("task_upload", args=[enrolment.pk, 1]), sent, good_docx())
    expected = RAW_NAMES[sent]
    if expected is REFUSED:
        assert response.status_code == 400
        assert error_messages(response.content.decode()) == ["Choose your main document to upload."]
        assert not SubmissionFile.objects.exists()
        return
    assert response.status_code == 302, error_messages(response.content.decode())
    stored = SubmissionFile.objects.get()
    assert STORED.match(stored.file.name), stored.file.name
    assert not re.search(r"[/\\\x00-\x1f\x7f]", stored.original_name), repr(stored.original_name)
    assert 0 < len(stored.original_name) <= 255
    if expected is not None:
        assert stored.original_name == expected


def test_an_appendix_named_like_the_main_document_is_kept_apart(client, place):
    """Two files with the same hostile name in one upload are each kept under their own made-up name."""
    enrolment, task, media = place
    task.appendix_word_limit = 2000
    task.save()
    same = "../essay.docx"
    response = client.post(
        reverse("task_upload", args=[enrolment.pk, 1]),
        {
            "main": SimpleUploadedFile(same, good_docx()),
            "appendices": SimpleUploadedFile(same, good_docx()),
        },
    )
    assert response.status_code == 302
    names = sorted(SubmissionFile.objects.values_list("file", flat=True))
    assert len(set(names)) == 2 and all(STORED.match(n) for n in names)
    assert set(SubmissionFile.objects.values_list("original_name", flat=True)) == {"essay.docx"}
