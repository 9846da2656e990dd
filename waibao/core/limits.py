"""How large an import may be: bytes and rows, per kind of user, the same at every door.

- ``import_limits(actor)``: the limits for whoever imports — buyers and the command line get
  ``WAIBAO_IMPORT_MAX_MB`` / ``WAIBAO_IMPORT_MAX_ROWS`` (200 MB, 2,000,000 rows); vendor users, who upload
  their own monthly casework through the portal, the lower ``WAIBAO_VENDOR_IMPORT_MAX_MB`` /
  ``WAIBAO_VENDOR_IMPORT_MAX_ROWS`` (20 MB, 200,000 rows).
- ``check_size(size, limits)``: refuses a file by its size (upload size, or ``os.stat`` for a file on
  disk) before a single row of it is read.
- ``limited_rows(rows, limits)``: counts rows while they stream and stops at the first row over the
  limit (:class:`TooManyRows`), so a file with too many rows is never read to its end.
- ``RequestSizeLimitMiddleware``: a request body larger than any upload may be (the largest of the limits
  above and ``WAIBAO_MAX_UPLOAD_MB``) is answered 413 before anything reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from waibao.core.errors import DomainError

MB = 1024 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    max_rows: int


def _setting(name: str, default: int) -> int:
    return max(1, int(getattr(settings, name, default)))


def import_limits(actor: Any) -> ImportLimits:
    """The limits for ``actor`` (a user, or a string such as "cli" / "system": the general limits)."""
    from waibao.accounts import policy

    if getattr(actor, "pk", None) and policy.vendor_scope(actor) is not None:
        return ImportLimits(
            _setting("WAIBAO_VENDOR_IMPORT_MAX_MB", 20) * MB,
            _setting("WAIBAO_VENDOR_IMPORT_MAX_ROWS", 200_000),
        )
    return ImportLimits(
        _setting("WAIBAO_IMPORT_MAX_MB", 200) * MB, _setting("WAIBAO_IMPORT_MAX_ROWS", 2_000_000)
    )


def megabytes(size: int) -> str:
    """``52.4 MB`` (one decimal below 10 MB' precision matters little; whole numbers are shown whole)."""
    value = size / MB
    return f"{value:,.0f} MB" if value >= 10 or value == int(value) else f"{value:,.1f} MB"


def too_large_message(size: int, limits: ImportLimits) -> str:
    return _("文件太大：%(size)s，超过了导入上限 %(limit)s。请拆分文件后分批导入。") % {
        "size": megabytes(size),
        "limit": megabytes(limits.max_bytes),
    }


def check_size(size: int | None, limits: ImportLimits) -> None:
    """Refuse a file larger than the limit (413, on the ``file`` field)."""
    if size is not None and size > limits.max_bytes:
        message = too_large_message(size, limits)
        raise DomainError(message, fields={"file": message}, code="too_large", status=413)


class TooManyRows(DomainError):
    """Raised by :func:`limited_rows` at the first row over the limit."""

    def __init__(self, limit: int) -> None:
        message = _(
            "文件超过了 %(n)s 行的导入上限，其余的行未读取，未导入任何数据。请拆分文件后分批导入。"
        ) % {"n": f"{limit:,}"}
        super().__init__(message, fields={"file": message}, code="too_many_rows", status=413)
        self.limit = limit


def limited_rows(items: Iterable[T], limits: ImportLimits) -> Iterator[T]:
    """The items, one by one; :class:`TooManyRows` instead of the item after ``max_rows``."""
    limit = limits.max_rows
    for n, item in enumerate(items, start=1):
        if n > limit:
            raise TooManyRows(limit)
        yield item


def largest_upload_bytes() -> int:
    """No upload anywhere may be larger than this (the largest import, or the general upload limit)."""
    return (
        max(
            _setting("WAIBAO_IMPORT_MAX_MB", 200),
            _setting("WAIBAO_VENDOR_IMPORT_MAX_MB", 20),
            _setting("WAIBAO_MAX_UPLOAD_MB", 20),
        )
        * MB
        + MB
    )  # room for the multipart envelope and the form's other fields


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is larger than any upload may be, before anything
    (the form parser, another middleware) reads the body. Goes first in ``MIDDLEWARE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = largest_upload_bytes()
        if length <= limit:
            return self.get_response(request)
        message = _("请求太大：%(size)s，超过了上限 %(limit)s。") % {
            "size": megabytes(length),
            "limit": megabytes(limit - MB),
        }
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "too_large", "message": message, "fields": {"file": message}}, status=413
            )
        return render(request, "core/error.html", {"status": 413, "message": message}, status=413)
