"""Uploads are checked by their content: what is refused, what the person is told, and what is accepted."""

import hashlib
import io
import logging
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from assessment.documents import EXTENSIONS, KIND_LABELS, DocumentRefused, check_document, format_size
from tests.assessment.badfiles import (
    BAD_FILE_NAMES,
    MAX_BYTES,
    bad_file,
    compound_file,
    encrypted_pdf,
    good_docx,
    good_pdf,
)
from tests.assessment.docfiles import docx_with_words, pdf_with_words

logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about the broken files we feed it on purpose


def refusal(data: bytes, **options) -> str:
    options.setdefault("max_bytes", MAX_BYTES)
    with pytest.raises(DocumentRefused) as refused:
        check_document(io.BytesIO(data), **options)
    return refused.value.message


@pytest.mark.parametrize("name", BAD_FILE_NAMES)
def test_a_bad_file_is_refused_with_a_message_saying_what_to_do(name):
    data, _filename, fragment = bad_file(name)
    message = refusal(data)
    assert fragment in message
    assert message.startswith(("Your document", "We could not")), "messages name what was uploaded"
    assert message.rstrip().endswith("."), "a whole sentence a person can act on"


def test_there_are_plenty_of_bad_files():
    assert len(BAD_FILE_NAMES) >= 15


def test_the_label_names_the_upload_in_the_message():
    message = refusal(encrypted_pdf(user_password="secret"), label="appendices file")
    assert message.startswith("Your appendices file is a password-protected PDF.")


def test_an_oversize_file_is_refused_before_anything_is_read():
    data = b"%PDF-1.7\n" + bytes(int(25.3 * 1024 * 1024) - 9)
    assert refusal(data, max_bytes=20 * 1024 * 1024).startswith(
        "Your document is 25.3 MB; the largest allowed is 20 MB."
    )


def test_a_file_a_hair_over_the_limit_does_not_claim_to_equal_it():
    message = refusal(b"%PDF-1.7\n" + bytes(20 * 1024 * 1024), max_bytes=20 * 1024 * 1024)
    assert "is just over 20 MB; the largest allowed is 20 MB." in message


@pytest.mark.parametrize(
    ("size", "shown"), [(1, "1 KB"), (850 * 1024, "850 KB"), (20 * 1024 * 1024, "20 MB")]
)
def test_sizes_read_as_windows_shows_them(size, shown):
    assert format_size(size) == shown


def test_a_pdf_is_refused_where_only_word_documents_are_taken():
    message = refusal(good_pdf(), allowed=("docx",))
    assert message == (
        "Your document is a PDF, but this upload takes a Word document (.docx) only. "
        "Save it as a .docx and upload that."
    )


def test_a_word_document_is_refused_where_only_pdfs_are_taken():
    assert "takes a PDF only" in refusal(good_docx(), allowed=("pdf",))


def test_an_older_word_document_is_told_to_become_a_pdf_where_only_pdfs_are_taken():
    assert "save it as a PDF" in refusal(compound_file("WordDocument", "1Table"), allowed=("pdf",))


def test_allowed_must_name_known_kinds():
    with pytest.raises(ValueError, match="allowed"):
        check_document(io.BytesIO(good_pdf()), allowed=("odt",), max_bytes=MAX_BYTES)


def test_a_word_document_is_accepted_with_its_count_hash_and_size():
    data = docx_with_words(640, table_words=30, footnote_words=10, references_words=45)
    file = io.BytesIO(data)
    checked = check_document(file, max_bytes=MAX_BYTES)
    assert (checked.kind, checked.words, checked.pages) == ("docx", 680, None)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size == len(data)
    assert file.tell() == 0, "left ready to be saved"


def test_a_pdf_is_accepted_with_its_count_pages_hash_and_size():
    data = pdf_with_words(900, header_words=4, footer_words=3)
    checked = check_document(io.BytesIO(data), max_bytes=MAX_BYTES, allowed=("pdf",))
    assert checked.kind == "pdf"
    assert abs(checked.words - 900) <= 9
    assert checked.pages is not None and checked.pages >= 3
    assert (checked.sha256, checked.size) == (hashlib.sha256(data).hexdigest(), len(data))


def test_django_uploads_in_memory_and_on_disk_are_checked_alike():
    data = docx_with_words(120)
    in_memory = SimpleUploadedFile("anything.pdf", data, content_type="application/pdf")  # name and type lie
    on_disk = TemporaryUploadedFile("essay.docx", "application/octet-stream", len(data), None)
    on_disk.write(data)
    try:
        assert check_document(in_memory, max_bytes=MAX_BYTES) == check_document(on_disk, max_bytes=MAX_BYTES)
        assert check_document(on_disk, max_bytes=MAX_BYTES).kind == "docx"
    finally:
        on_disk.close()


def test_the_zip_bomb_is_refused_quickly():
    data, _, _ = bad_file("zip bomb")
    started = time.perf_counter()
    refusal(data)
    assert time.perf_counter() - started < 2


def test_labels_and_extensions_for_pages_and_filenames():
    assert KIND_LABELS == {"pdf": "PDF", "docx": "Word document (.docx)"}
    assert EXTENSIONS == {"pdf": ".pdf", "docx": ".docx"}
