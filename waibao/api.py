"""The one NinjaAPI. Each app contributes a router; errors share one shape everywhere."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from waibao.core.apiutils import AUTH, ApiRenderer, declare_error_responses, docs_access
from waibao.core.errors import DomainError
from waibao.core.files import StoredFileMissing

api = NinjaAPI(
    title="Waibao API",
    version="1",
    description="Waibao 外包 REST API. Authenticate with `Authorization: Bearer <token>` (tokens are created on "
    "your account page or with `waibao create_api_token USERNAME`), or with the browser session. "
    "Decimals (amounts, percentages, targets) are JSON numbers written with their exact digits; enumerated "
    "fields list their values as `enum`. The OpenAPI document itself is readable with the same token.",
    auth=AUTH,
    renderer=ApiRenderer(),
    urls_namespace="api",
    docs_decorator=docs_access,
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "fields": fields or {}}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
        fields[".".join(loc) or "__all__"] = str(err.get("msg", "invalid"))
    return _error(request, 422, "invalid", _("输入有误，请检查标出的字段。"), fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("需要登录或有效的 API 令牌。"))


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", _("您的角色无权执行此操作。"))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    if isinstance(exc, StoredFileMissing):
        return _error(request, 404, "file_missing", str(exc))
    return _error(request, 404, "not_found", _("未找到该对象。"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


def _mount() -> None:
    # One line per app, in lifecycle order.
    from waibao.accounts.api import router as accounts_router
    from waibao.core.api import router as core_router
    from waibao.vendors.api import router as vendors_router

    api.add_router("/accounts/", accounts_router)
    api.add_router("/audit/", core_router)
    api.add_router("/vendors/", vendors_router)
    from waibao.calendars.api import router as calendars_router
    from waibao.contracts.api import router as contracts_router
    from waibao.notifications.api import router as notifications_router

    api.add_router("/calendars/", calendars_router)
    api.add_router("/notifications/", notifications_router)
    api.add_router("/contracts/", contracts_router)
    from waibao.delivery.api import router as delivery_router

    api.add_router("/delivery/", delivery_router)
    from waibao.quality.api import router as quality_router

    api.add_router("/quality/", quality_router)


_mount()
declare_error_responses(api)
