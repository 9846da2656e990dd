"""Serving stored files: only ever as a download, only after the caller's access check."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404


def attachment(field: Any, filename: str) -> FileResponse:
    """The file behind a FileField as `Content-Disposition: attachment`, never rendered inline.

    The content type is deliberately generic so a browser never interprets an uploaded file as a page.
    A record without a file is a 404, like a record the user may not see.
    """
    if not field:
        raise Http404
    return FileResponse(field.open("rb"), as_attachment=True, filename=filename or "file", content_type="application/octet-stream")
