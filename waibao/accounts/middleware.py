"""Language per user, session idle timeout and the admin second-factor requirement."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

SUPPORTED = {code for code, _name in settings.LANGUAGES}
LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


class LanguageMiddleware:
    """Chinese unless the user (or, before login, the language cookie) chose English.

    Django's LocaleMiddleware would follow the browser's Accept-Language; our users expect Chinese by
    default whatever their browser says, so the choice is explicit and stored per user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        lang = None
        if user is not None and user.is_authenticated:
            lang = getattr(user, "language", None)
        if lang not in SUPPORTED:
            lang = request.COOKIES.get(LANGUAGE_COOKIE)
        if lang not in SUPPORTED:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        return response


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and "_auth_user_id" in request.session:
            now = int(time.time())
            last = request.session.get("last_seen", now)
            if now - int(last) > settings.WAIBAO_SESSION_IDLE_MINUTES * 60:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"code": "session_expired", "message": _("会话已超时，请重新登录。"), "fields": {}},
                        status=401,
                    )
                messages.info(request, _("长时间未操作，已自动退出，请重新登录。"))
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            # Touch the session at most once a minute so idle pages do not write on every request.
            if now - int(last) > 60 or "last_seen" not in request.session:
                request.session["last_seen"] = now
        return self.get_response(request)


class RequireSecondFactorMiddleware:
    """With WAIBAO_REQUIRE_2FA_FOR_ADMIN, an admin without a verified TOTP device can only set one up."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/health", "/i18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.WAIBAO_REQUIRE_2FA_FOR_ADMIN
            and user.is_authenticated
            and getattr(user, "role", None) == "admin"
            and "_auth_user_id" in request.session
            and not user.is_verified()  # type: ignore[union-attr,attr-defined]
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "second_factor_required",
                        "message": _("管理员必须先启用双重认证。"),
                        "fields": {},
                    },
                    status=403,
                )
            return redirect("accounts:two-factor")
        return self.get_response(request)
