"""Shared pieces of the REST API: authentication, the one error shape, pagination and access checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth

from waibao.accounts import services as account_services

T = TypeVar("T")


class BearerToken(HttpBearer):
    """`Authorization: Bearer wb_…` — machine access with a token from the user's token page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = account_services.authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """The browser's session (CSRF checked); an admin who must use 2FA must have verified it."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user and not getattr(user, "is_active", False):
            return None
        return user


AUTH = [BearerToken(), Session()]


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_409: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}


class Page(Schema, Generic[T]):
    count: int
    page: int
    page_size: int
    pages: int
    items: list[T]


def paginate(
    request: HttpRequest, items: QuerySet[Any] | Sequence[Any], *, page: int = 1, page_size: int | None = None
) -> dict[str, Any]:
    size = page_size or settings.WAIBAO_API_PAGE_SIZE
    size = max(1, min(size, settings.WAIBAO_API_MAX_PAGE_SIZE))
    count = items.count() if isinstance(items, QuerySet) else len(items)
    pages = max(1, (count + size - 1) // size)
    page = max(1, page)
    start = (page - 1) * size
    return {
        "count": count,
        "page": page,
        "page_size": size,
        "pages": pages,
        "items": list(items[start : start + size]),
    }
