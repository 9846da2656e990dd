"""Refuse NUL characters before any view sees them.

PostgreSQL cannot store a NUL in text (a 500 there) and SQLite stores it silently; no legitimate input
carries one, so a request with a NUL in its path, query string, form values or JSON body is refused
with 400 on every database: the API's error shape under /api/, the error page elsewhere. Uploaded
files are not looked at (binary files contain NULs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
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
