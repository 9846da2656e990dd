"""Shared pieces of the REST API: authentication, the one error shape, pagination and access checks."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import wraps
from typing import Annotated, Any, Generic, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer, SessionAuth
from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

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


#: The highest page number a list answers (a higher one is refused; it would overflow the database's
#: offset). A page past the last one within it is answered with no items.
MAX_PAGE = 1_000_000


def paginate(
    request: HttpRequest, items: QuerySet[Any] | Sequence[Any], *, page: int = 1, page_size: int | None = None
) -> dict[str, Any]:
    if not 1 <= page <= MAX_PAGE:
        from django.utils.translation import gettext as _

        from waibao.core.errors import DomainError

        msg = _("页码须在 1 到 %(max)s 之间。") % {"max": MAX_PAGE}
        raise DomainError(msg, fields={"page": msg})
    size = page_size or settings.WAIBAO_API_PAGE_SIZE
    size = max(1, min(size, settings.WAIBAO_API_MAX_PAGE_SIZE))
    count = items.count() if isinstance(items, QuerySet) else len(items)
    pages = max(1, (count + size - 1) // size)
    start = (page - 1) * size
    return {
        "count": count,
        "page": page,
        "page_size": size,
        "pages": pages,
        "items": list(items[start : start + size]),
    }


# --- numbers --------------------------------------------------------------------------------------
#
# The rule: every decimal in every API answer is a JSON *number* written with its exact digits
# (``90``, ``12345.60``, never ``"9E+1"`` or ``"90"``); a float would lose digits of a 16-digit amount.
# The renderer applies it to every response in one place; ``Number`` is how a schema field declares a
# decimal so that the OpenAPI document says ``number`` (requests accept a number or a numeric string).

# A decimal travels through json.dumps as a marked string ("\x00<random>:12.50\x00") and the marks and
# quotes are then taken off; the random part keeps any real text from ever looking like a mark.
_MARK = f"\x00{secrets.token_hex(6)}:"
_MARKED = re.compile(
    '"'
    + re.escape(json.dumps(_MARK)[1:-1])
    + r"(-?[0-9]+(?:\.[0-9]+)?)"
    + re.escape(json.dumps("\x00")[1:-1])
    + '"'
)


def plain_decimal(value: Decimal) -> str:
    """``Decimal("9E+1")`` → ``"90"``: fixed-point digits, no exponent (the stored scale is kept)."""
    return format(value, "f")


class _Encoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            if not o.is_finite():
                return None
            return f"{_MARK}{plain_decimal(o)}\x00"
        return super().default(o)


class ApiRenderer(JSONRenderer):
    """JSON with decimals as exact plain numbers (see the rule above)."""

    encoder_class = _Encoder

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        text = json.dumps(data, cls=self.encoder_class, **self.json_dumps_params)
        return _MARKED.sub(lambda m: m.group(1), text)


class _NumberSchema:
    """Documents a decimal as ``number`` in answers (pydantic would say ``string``)."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        if handler.mode == "serialization":
            return {"type": "number"}
        return handler(schema)


#: A decimal field of an API schema: ``credit: Number``.
Number = Annotated[Decimal, _NumberSchema()]


# --- enumerated values ----------------------------------------------------------------------------


class Choice:
    """``status: Annotated[str, Choice(Contract.Status)]`` — the field's allowed values, declared as an
    ``enum`` in the OpenAPI document. ``blank=True`` also lists ``""`` (a filter that means "any").

    It documents; the services check what comes in (with messages in the user's language), and a
    stored value is always answered as it is."""

    def __init__(self, choices: type[models.TextChoices] | Sequence[str], *, blank: bool = False) -> None:
        values = [str(v) for v in (choices.values if isinstance(choices, type) else choices)]
        self.values: list[str] = ([""] if blank and "" not in values else []) + values

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "enum": self.values}


# --- the OpenAPI document -------------------------------------------------------------------------


def docs_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and the docs page: for a signed-in user, or a client with a valid API token
    (code generators fetch ``/api/v1/openapi.json`` with ``Authorization: Bearer …``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            header = request.headers.get("Authorization", "")
            scheme, _sep, token = header.partition(" ")
            user = account_services.authenticate_token(token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                if header:
                    return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
                return redirect_to_login(request.get_full_path())
            request.user = user
        return view(request, *args, **kwargs)

    return wrapped


# --- partial updates ------------------------------------------------------------------------------


def patch_values(payload: Schema, model: type[models.Model] | models.Model) -> dict[str, Any]:
    """The fields a PATCH sent; ``null`` for a field the model cannot leave empty is refused with a 422
    naming the field (it was an integrity error, a 500, before)."""
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.translation import gettext as _

    from waibao.core.errors import DomainError

    data = payload.dict(exclude_unset=True)
    opts = model._meta
    refused: dict[str, str] = {}
    for name, value in data.items():
        if value is not None:
            continue
        field = None
        for candidate in (name, name.removesuffix("_id")):
            try:
                field = opts.get_field(candidate)
                break
            except FieldDoesNotExist:
                continue
        if field is not None and not getattr(field, "null", True) and getattr(field, "concrete", False):
            refused[name] = _("此字段不能为空。")
    if refused:
        raise DomainError(_("输入有误，请检查标出的字段。"), fields=refused)
    return data


# --- declared error responses ---------------------------------------------------------------------
#
# Which error statuses an operation can answer follows from what it takes, not from what its author
# remembered: every operation can be refused for a NUL character (400), missing credentials (401), a
# role or an unverified second factor (403), an object that is not there or not the user's (404) and
# input that breaks a rule (422); an operation with a body can be sent one too large (413); a write can
# find the record changed or moved on meanwhile (409) — unless it cannot (``never_conflicts``).
# ``declare_error_responses`` adds them to every operation once all routers are mounted, so the OpenAPI
# document says what really comes back.

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: the body cannot be parsed, or the request carries a NUL character.",
    401: "Not authenticated: no valid Bearer token or session.",
    403: "Forbidden: the user's role may not do this, or a second factor must be verified first.",
    404: "Not found: no such object, or it is not visible to this user (another vendor's objects are 404).",
    409: "Conflict: the record was changed meanwhile, its state no longer allows this, or the step was "
    "already decided (`code` says which, e.g. `conflict`, `already_decided`, `bad_transition`).",
    413: "Request body too large.",
    422: "Invalid input or a broken rule: `message` says what, `fields` names each field with its message.",
}
_ALWAYS = (400, 401, 403, 404, 422)


def never_conflicts(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a POST that cannot find its record moved on — it only computes an answer (a preview, a
    simulation) or is idempotent (mark as read) — so it is not documented with a 409. Put it below the
    router's decorator."""
    view.waibao_never_conflicts = True  # type: ignore[attr-defined]
    return view


def _error_statuses(operation: Any) -> list[int]:
    from ninja.params.models import BodyModel, FileModel, FormModel

    statuses = list(_ALWAYS)
    takes_body = any(issubclass(m, (BodyModel, FormModel, FileModel)) for m in operation.models)
    if takes_body:
        statuses.append(413)
    writes = any(m.upper() != "GET" for m in operation.methods)
    if writes and not getattr(operation.view_func, "waibao_never_conflicts", False):
        statuses.append(409)
    return sorted(statuses)


def declare_error_responses(api: Any) -> None:
    """Declare, on every operation of ``api``, the error statuses it can answer (see above), each with
    the one error shape and a description. Call after the last ``add_router``."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                extra = dict(operation.openapi_extra or {})
                described = dict(extra.get("responses", {}))
                for status in _error_statuses(operation):
                    if status not in operation.response_models:
                        operation.response_models[status] = operation._create_response_model(ErrorOut)
                    described.setdefault(status, {"description": ERROR_DESCRIPTIONS[status]})
                extra["responses"] = described
                operation.openapi_extra = extra
