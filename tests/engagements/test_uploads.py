"""Uploads cannot hold the web tier: an oversized body is refused before it is read; and what
is stored and shown of whatever name the browser sent."""

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

from engagements.uploads import upload_name
from tests.conftest import signed_in

MB = 1024 * 1024


class UnreadableBody(io.RawIOBase):
    """A 300 MB upload still on its way: reading any of it would hold the worker."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.read_bytes += len(buffer)
        raise AssertionError("the body was read")


def _post_declaring(size: int, cookies: str = "") -> tuple[str, dict, bytes, UnreadableBody]:
    body = UnreadableBody()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/engagements/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        "CONTENT_LENGTH": str(size),
        "HTTP_COOKIE": cookies,
    }
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    content = b"".join(WSGIHandler()(environ, start_response))
    return answer["status"], answer["headers"], content, body


def test_a_300_mb_upload_is_refused_at_once_without_reading_it(world):
    session = signed_in(world.consultant).cookies["sessionid"].value

    status, headers, content, body = _post_declaring(300 * MB, cookies=f"sessionid={session}")

    assert status.startswith("413")
    assert body.read_bytes == 0
    assert headers["Connection"] == "close"
    assert b"That file is too large" in content
    assert b"up to 256 MB" in content


def test_an_upload_within_the_limit_goes_through_to_the_page(world):
    status, _, _, _ = _post_declaring(0)
    assert not status.startswith("413")


def test_a_streamed_upload_is_stopped_as_it_passes_the_limit(world, settings):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    settings.REQUEST_BODY_MAX_BYTES = 10 * MB  # the declared size gets past the first check
    http = signed_in(world.consultant)
    big = io.BytesIO(b"x" * (200 * 1024))
    big.name = "contacts.csv"

    response = http.post("/engagements/", {"file": big})

    assert response.status_code == 413
    assert "That file is too large" in response.content.decode()


def test_forms_without_files_are_untouched(world):
    response = Client().post("/accounts/login/", {"username": "x@y.z", "password": "nope"})
    assert response.status_code == 200


def test_a_long_name_is_cut_to_the_column_with_its_extension_kept():
    name = upload_name("a" * 300 + ".png")

    assert len(name) == 200
    assert name.endswith("a.png")


def test_a_long_name_in_a_non_latin_script_also_fits_the_file_system():
    name = upload_name("報告" * 200 + ".pdf")

    assert name.endswith(".pdf")
    assert len(name.encode()) <= 247


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\ray\\Desktop\\step one.png", "step one.png"),
        ("../../etc/passwd", "passwd"),
        ("step\tone\n.png", "step one.png"),
        ("  ", "upload"),
        ("...", "upload"),
        ("notes.this is not an extension", "notes.this is not an extension"),
    ],
)
def test_folders_control_characters_and_blank_names_are_normalised(sent, kept):
    assert upload_name(sent) == kept
