"""Decide a file's type by its content (magic numbers), never by its name."""

from __future__ import annotations

from typing import IO

import filetype

# extension -> (mime, label). Office documents are both the OOXML and the legacy OLE formats.
ALLOWED: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF"),
    "png": ("image/png", "PNG"),
    "jpg": ("image/jpeg", "JPEG"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint"),
    "doc": ("application/msword", "Word"),
    "xls": ("application/vnd.ms-excel", "Excel"),
    "ppt": ("application/vnd.ms-powerpoint", "PowerPoint"),
}


def sniff(stream: IO[bytes]) -> str | None:
    """The allowed extension this content really is, or None. Leaves the stream at position 0."""
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    kind = filetype.guess(head)
    if kind is None:
        return None
    if kind.extension in ("docx", "xlsx", "pptx", "zip"):
        # OOXML files are zip archives; the kind is decided by the parts inside, so read all of it.
        data = stream.read()
        stream.seek(0)
        kind = filetype.guess(data)
        if kind is None:
            return None
    return kind.extension if kind.extension in ALLOWED else None


def allowed_labels() -> str:
    return "PDF, PNG, JPEG, Word, Excel, PowerPoint"
