"""Uploaded and stored files, the same for every app.

Ways in: `from_uploaded(f)` turns what a form or the API received into an `Upload`; `store(obj, upload)`
checks it (size limit, type decided by content) and saves it under a name the user does not choose.
Way out: `attachment(field, filename)` serves it, only ever as a download, after the caller's access check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Any, overload

from django.conf import settings
from django.core.files.base import File
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from waibao.core.errors import DomainError
from waibao.lib import filetypes


class StoredFileMissing(Http404):
    """A record whose stored file is gone from disk: a 404 that says so, not a 500."""


@dataclass
class Upload:
    """An uploaded file as services see it, whatever door it came through."""

    name: str
    stream: IO[bytes]
    size: int


@overload
def from_uploaded(f: None) -> None: ...
@overload
def from_uploaded(f: Any) -> Upload: ...
def from_uploaded(f: Any) -> Upload | None:
    """A Django or django-ninja UploadedFile (or None) as an Upload."""
    if f is None:
        return None
    return Upload(name=f.name or "file", stream=f.file, size=f.size or 0)


def check_upload(upload: Upload, *, field: str = "file") -> str:
    """The allowed type the content really is, or a DomainError naming the field and the rule."""
    limit_mb = settings.WAIBAO_MAX_UPLOAD_MB
    if upload.size > limit_mb * 1024 * 1024:
        raise DomainError(
            _("文件过大：%(size).1f MB，上限 %(limit)s MB。")
            % {"size": upload.size / 1048576, "limit": limit_mb},
            fields={field: _("文件超过 %(limit)s MB。") % {"limit": limit_mb}},
        )
    if upload.size == 0:
        raise DomainError(_("文件为空。"), fields={field: _("文件为空。")})
    kind = filetypes.sniff(upload.stream)
    if kind is None:
        types = filetypes.allowed_labels()
        raise DomainError(
            _("不支持的文件类型（按文件内容判断）。允许：%(types)s。") % {"types": types},
            fields={field: _("文件内容不是允许的类型（%(types)s）。") % {"types": types}},
        )
    return kind


def safe_name(name: str) -> str:
    """The user's file name without any path and without characters file systems refuse."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[\x00-\x1f\"<>|:*?]", "_", base).strip() or "file"
    return base[:200]


def store(obj: Any, upload: Upload, *, field: str = "file") -> None:
    """Check the upload and save it into `obj.file`, setting `file_name`, `file_type` and `size` if present."""
    kind = check_upload(upload, field=field)
    name = safe_name(upload.name)
    obj.file_type = kind
    obj.file_name = name
    if hasattr(obj, "size"):
        obj.size = upload.size
    obj.file.save(name, File(upload.stream), save=False)


def attachment(field: Any, filename: str, *, content_type: str = "application/octet-stream") -> FileResponse:
    """The file behind a FileField as `Content-Disposition: attachment`, never rendered inline.

    The content type is deliberately generic so a browser never interprets an uploaded file as a page.
    A record without a file is a 404, like a record the user may not see; a file missing from disk is
    a 404 that says so (`StoredFileMissing`).
    """
    if not field:
        raise Http404
    return FileResponse(
        open_stored(field),
        as_attachment=True,
        filename=filename or "file",
        content_type=content_type,
    )


def open_stored(field: Any) -> Any:
    """The stored file opened for reading, or `StoredFileMissing` when it is gone from storage."""
    try:
        return field.open("rb")
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise StoredFileMissing(missing_message()) from exc


def missing_message() -> str:
    return _("文件已不在服务器上，请联系管理员或重新上传。")
