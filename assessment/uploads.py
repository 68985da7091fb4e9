"""Refusing an oversize upload while it streams in, not after: the server stops keeping a file's bytes the
moment it passes the limit, and a request that announces a body far over the limit is not read at all.

Install with `cap_uploads(request, max_bytes)` before anything reads request.POST or request.FILES (so the
view must be csrf_exempt, with csrf_protect on the inner function: see Django's "Modifying upload handlers
on the fly").
"""

import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from assessment.deadlines import MAX_UPLOAD_SPAN
from assessment.documents import format_size

# Form fields and multipart overhead allowed on top of the files themselves.
OVERHEAD_BYTES = 64 * 1024
# How far back a proxy's request-start header is believed: no further than an upload may take to arrive.
REQUEST_START_HORIZON = MAX_UPLOAD_SPAN


def request_started_at(request: HttpRequest) -> datetime.datetime:
    """When the request began to arrive: the trusted proxy's header (settings.NPQEL_REQUEST_START_HEADER,
    "t=<seconds since 1970>") when set and believable, else now (call it before reading the body)."""
    now = timezone.now()
    header = settings.NPQEL_REQUEST_START_HEADER
    if not header:
        return now
    raw = request.headers.get(header, "").strip().removeprefix("t=")
    try:
        started = datetime.datetime.fromtimestamp(float(raw), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        return now
    return started if now - REQUEST_START_HORIZON <= started <= now else now


def announced_too_large(request: HttpRequest, handler: "SizeCappedUploadHandler") -> bool:
    """The request says its body is far over the limit: answer before reading (or CSRF-checking) any of it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > handler.max_body


class SizeCappedUploadHandler(FileUploadHandler):
    """Counts each file's bytes as they arrive and drops the file once it passes `max_bytes`; records which
    fields were too large (and how far they got) in `refused` for the view to report."""

    def __init__(self, request: HttpRequest, max_bytes: int, files_expected: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.max_body = max_bytes * files_expected + OVERHEAD_BYTES
        self.refused: dict[str, int] = {}
        self.body_too_large = False

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803 (Django's signature)
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict] | None:
        if content_length and content_length > self.max_body:
            # Not read at all: the view answers with the limit, and nothing of the file is kept.
            self.body_too_large = True
            return QueryDict(mutable=True), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            self.refused[self.field_name] = start + len(raw_data)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def cap_uploads(request: HttpRequest, max_bytes: int, files_expected: int = 2) -> SizeCappedUploadHandler:
    """Put the size cap in front of Django's own handlers for this request and return it."""
    handler = SizeCappedUploadHandler(request, max_bytes, files_expected)
    request.upload_handlers.insert(0, handler)
    return handler


def refusal_too_large(handler: SizeCappedUploadHandler) -> str:
    limit = f"{handler.max_bytes // (1024 * 1024)} MB"
    return (
        f"What you chose is larger than the {limit} allowed for each file, so we did not take it. Make the file "
        "smaller (for example, compress its pictures or save it as PDF) and upload it again."
    )


def refusal(handler: SizeCappedUploadHandler, labels: dict[str, str]) -> str:
    """The message for a capped upload ("" when nothing was too large)."""
    limit = f"{handler.max_bytes // (1024 * 1024)} MB"
    if handler.body_too_large:
        return refusal_too_large(handler)
    for field_name, size in handler.refused.items():
        label = labels.get(field_name, "file")
        return (
            f"Your {label} is over {format_size(size)}; the largest allowed is {limit}. Make it smaller (for "
            "example, compress its pictures or save it as PDF) and upload it again."
        )
    return ""
