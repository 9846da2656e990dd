"""Refuse what cannot be read, and NUL characters, before any view sees them.

``RequestBodyMiddleware`` reads the query string and the body once, first: a multipart body without a
valid boundary (or one the parser cannot follow), more fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` or
files than ``DATA_UPLOAD_MAX_NUMBER_FILES``, or a body other than files over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``WAIBAO_MAX_BODY_MB``: a JSON body, a form's fields) is answered 400 or
413 with a message — the API's error shape under /api/, the error page elsewhere — instead of a 500 or
Django's bare English 400 page, and before the CSRF check or a form reads an empty body in its place.

``RejectNulMiddleware``:

PostgreSQL cannot store a NUL in text (a 500 there) and SQLite stores it silently; no legitimate input
carries one, so a request with a NUL in its path, query string, form values or JSON body is refused
with 400 on every database: the API's error shape under /api/, the error page elsewhere. Uploaded
files are not looked at (binary files contain NULs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _

NUL = "\x00"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _where(request: HttpRequest) -> str | None:
    """The part of the request holding a NUL ("path", "query", "body"), or None."""
    if NUL in request.path or NUL in request.path_info:
        return "path"
    if any(NUL in k or any(NUL in v for v in request.GET.getlist(k)) for k in request.GET):
        return "query"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    try:
        if content_type == "application/json" or content_type.endswith("+json"):
            body = request.body
            if b"\x00" in body:
                return "body"
            return "body" if _has_nul(json.loads(body.decode("utf-8"))) else None
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
            NUL in k or any(NUL in v for v in request.POST.getlist(k)) for k in request.POST
        ):
            return "body"
    except Exception:  # a body that cannot be read or parsed is the view's to refuse
        return None
    return None


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _where(request)
        if where is None:
            return self.get_response(request)
        message = _("请求含有不允许的空字符（NUL）。")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"code": "bad_request", "message": message, "fields": {where: message}}, status=400
            )
        return render(request, "core/error.html", {"status": 400, "message": message}, status=400)


# --- the body, read once ----------------------------------------------------------------------------


def _refuse(request: HttpRequest, status: int, code: str, message: str, field: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "fields": {field: message}}, status=status)
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def _megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    return f"{mb:,.0f} MB" if mb >= 1 else f"{max(1, round(size / 1024)):,} KB"


def _problem(request: HttpRequest) -> tuple[int, str, str, str] | None:
    """(status, code, message, field) for a query string or body that cannot be read, or None."""
    try:
        request.GET  # noqa: B018 - parsed here so that too many parameters are answered here
    except TooManyFieldsSent:
        return _too_many_fields("query")
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return None
    content_type = request.content_type or ""
    try:
        if content_type == "multipart/form-data":
            _ctype, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
            boundary = params.get("boundary", "")
            if not boundary or not MultiPartParser.boundary_re.fullmatch(boundary):
                message = _(
                    "上传的请求格式有误：multipart/form-data 缺少有效的 boundary。请用浏览器的表单或 HTTP 客户端的文件上传功能发送。"
                )
                return 400, "bad_multipart", message, "body"
            if request.method == "POST":  # Django parses forms of POST requests only (the API does the rest)
                request.POST  # noqa: B018
        elif content_type == "application/x-www-form-urlencoded" and request.method == "POST":
            request.POST  # noqa: B018
        else:
            request.body  # noqa: B018 - within DATA_UPLOAD_MAX_MEMORY_SIZE, or refused below
    except RequestDataTooBig:
        limit = _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if content_type == "multipart/form-data":
            message = _("表单中文件以外的内容超过了 %(limit)s 的上限。") % {"limit": limit}
        else:
            message = _("请求内容超过了 %(limit)s 的上限。") % {"limit": limit}
        return 413, "too_large", message, "body"
    except TooManyFieldsSent:
        return _too_many_fields("body")
    except TooManyFilesSent:
        message = _("一次最多上传 %(n)s 个文件。") % {"n": f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES:,}"}
        return 400, "too_many_files", message, "body"
    except MultiPartParserError:
        message = _("上传的请求格式有误，无法读取其中的文件与字段。请重新上传。")
        return 400, "bad_multipart", message, "body"
    except BadRequest:
        return 400, "bad_request", _("请求格式有误，无法读取。"), "body"
    except OSError:  # the client went away while sending (UnreadablePostError): nothing to answer
        return None
    return None


def _too_many_fields(where: str) -> tuple[int, str, str, str]:
    message = _("请求含有的字段超过了 %(n)s 个的上限。") % {
        "n": f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,}"
    }
    return 400, "too_many_fields", message, where


class RequestBodyMiddleware:
    """Answer a query string or body that cannot be read (see the module doc). Goes before
    ``RejectNulMiddleware``, which reads the body too. The message is in the language the visitor chose
    on this browser (the language cookie), as the user's own choice is not known yet."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with translation.override(_cookie_language(request)):
            problem = _problem(request)
            if problem is not None:
                status, code, message, field = problem
                return _refuse(request, status, code, message, field)
        return self.get_response(request)


def _cookie_language(request: HttpRequest) -> str:
    lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
