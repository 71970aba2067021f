"""File names people upload: what we store and show of them.

A browser sends whatever the person's file was called: a path on some systems, control
characters, names longer than our columns (and than the 255 bytes a file system allows). Every
service that keeps an uploaded name passes it through `upload_name` first.
"""

import unicodedata

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
