"""Uploads: they cannot hold the web tier, and what we keep of their names.

A request whose declared body (Content-Length) is larger than the largest upload any form
accepts is answered 413 at once, before a byte of the body is read. A body that arrives without
a usable Content-Length (chunked) is counted as it streams by `UploadLimitHandler`, which stops
at the same limit. The per-form limits (smaller) are checked after that, as before. The reverse
proxy in front sets the same limit (`client_max_body_size`), so most oversized uploads never
reach a web worker at all.

A browser sends whatever the person's file was called: a path on some systems, control
characters, names longer than our columns (and than the 255 bytes a file system allows). Every
service that keeps an uploaded name passes it through `upload_name` first.
"""

import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class UploadTooLarge(Exception):
    pass


def _megabytes(size: int) -> int:
    return size // (1024 * 1024)


def too_large_response() -> HttpResponse:
    # Rendered without the request: no session or user has been loaded yet, and none is needed.
    page = render_to_string("413.html", {"limit_mb": _megabytes(settings.UPLOAD_MAX_BYTES)})
    response = HttpResponse(page, status=413)
    response["Connection"] = "close"  # the rest of the body is never read
    return response


class UploadLimitHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: passes each chunk on, and stops the upload as soon as a
    file, or the body in all, goes past UPLOAD_MAX_BYTES."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None) -> None:
        self.total = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.total = getattr(self, "total", 0) + len(raw_data)
        if start + len(raw_data) > settings.UPLOAD_MAX_BYTES or self.total > (
            settings.UPLOAD_MAX_BYTES
        ):
            raise UploadTooLarge
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) builds the file


class UploadLimitMiddleware:
    """Refuse oversized bodies before reading them; parse multipart bodies here, under the
    streaming limit, so an upload that turns out too large gets the same clear 413 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.REQUEST_BODY_MAX_BYTES:
            return too_large_response()
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.FILES  # noqa: B018 - parse now, under the limit, not in a view
            except UploadTooLarge:
                return too_large_response()
        return self.get_response(request)


# A file system takes 255 bytes per name; storage may add "_" and 7 characters to make it unique.
FILE_SYSTEM_MAX_BYTES = 255 - 8
MAX_EXTENSION_LENGTH = 16


def upload_name(name: str | None, *, max_length: int = 200, default: str = "upload") -> str:
    """`name` without any folder, control characters or runs of spaces, in NFC, cut to
    `max_length` characters (and to what a file system takes) with its extension kept:
    "a-very-long-…-name.png" stays a ".png"."""
    text = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = " ".join(text.split())  # tabs and line breaks become one space
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip(" .")
    if not text:
        return default
    stem, dot, extension = text.rpartition(".")
    if not stem or len(extension) > MAX_EXTENSION_LENGTH or " " in extension:
        stem, dot, extension = text, "", ""
    suffix = f"{dot}{extension}"
    room = max(1, max_length - len(suffix))
    stem = stem[:room]
    while len(f"{stem}{suffix}".encode()) > FILE_SYSTEM_MAX_BYTES:
        stem = stem[:-1]
    return f"{stem.rstrip(' .') or default}{suffix}"
