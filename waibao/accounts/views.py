"""Log in (with an optional TOTP step), log out, language, own tokens and second factor, user admin."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from waibao.accounts import policy, services
from waibao.accounts.forms import LanguageForm, LoginForm, OtpForm, TokenForm, UserForm
from waibao.accounts.models import ApiToken, User
from waibao.core.errors import DomainError
from waibao.core.forms import apply_domain_error

PENDING_KEY = "pending_2fa_user"
MAX_OTP_TRIES = 5


def _safe_next(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        return nxt
    return default


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked.html", status=429)
        if user is None:
            form.add_error(None, _("用户名或密码不正确。多次失败后账户将被临时锁定。"))
        elif confirmed_device(user) is not None:
            request.session[PENDING_KEY] = {"id": user.pk, "backend": user.backend, "tries": 0}  # type: ignore[attr-defined]
            return redirect(f"{reverse('accounts:verify')}?next={_safe_next(request, '')}")
        else:
            login(request, user)
            return redirect(_safe_next(request, reverse("core:home")))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def verify_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("accounts:login")
    user = get_object_or_404(get_user_model(), pk=pending["id"], is_active=True)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = confirmed_device(user)
        if device is not None and device.verify_token(form.cleaned_data["code"].strip()):
            del request.session[PENDING_KEY]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return redirect(_safe_next(request, reverse("core:home")))
        pending["tries"] = int(pending.get("tries", 0)) + 1
        if pending["tries"] >= MAX_OTP_TRIES:
            del request.session[PENDING_KEY]
            messages.error(request, _("验证码错误次数过多，请重新登录。"))
            return redirect("accounts:login")
        request.session[PENDING_KEY] = pending
        form.add_error("code", _("验证码不正确。"))
    return render(request, "accounts/verify.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    nxt = _safe_next(request, reverse("core:home"))
    response = redirect(nxt)
    if form.is_valid():
        lang = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.set_language(user=request.user, language=lang)  # type: ignore[arg-type]
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
def profile_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    new_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, new_token = services.create_api_token(user=user, actor=user, name=form.cleaned_data["name"])
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=user)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "device": confirmed_device(user),
            "language_form": LanguageForm(initial={"language": user.language}),
        },
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token, actor=request.user)
    messages.success(request, _("令牌已吊销。"))
    return redirect("accounts:profile")


@login_required
def two_factor_view(request: HttpRequest) -> HttpResponse:
    """Set up TOTP: show a QR code for an unconfirmed device and confirm it with a first code."""
    user = request.user
    if confirmed_device(user) is not None and request.method == "GET":
        return render(request, "accounts/two_factor.html", {"enabled": True})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, device)
            messages.success(request, _("双重认证已启用。"))
            return redirect("accounts:profile")
        form.add_error("code", _("验证码不正确，请检查手机时间是否准确。"))
    qr = segno.make(device.config_url, micro=False)
    svg = base64.b64encode(qr.svg_inline(scale=4).encode()).decode()
    secret = base64.b32encode(bytes.fromhex(device.key)).decode().rstrip("=")
    return render(
        request,
        "accounts/two_factor.html",
        {"enabled": False, "form": form, "qr_data_uri": f"data:image/svg+xml;base64,{svg}", "secret": secret},
    )


# --- user administration (admins) ---------------------------------------------------------------


def _require_user_admin(request: HttpRequest) -> None:
    if not policy.can(request.user, "users.manage"):
        raise PermissionDenied


@login_required
def user_list_view(request: HttpRequest) -> HttpResponse:
    _require_user_admin(request)
    users = User.objects.select_related("vendor").order_by("role", "username")
    return render(request, "accounts/user_list.html", {"users": users})


@login_required
def user_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_user_admin(request)
    editing = get_object_or_404(User, pk=pk) if pk else None
    initial = {}
    if editing is not None:
        initial = {
            f: getattr(editing, f)
            for f in ["username", "full_name", "email", "phone", "role", "vendor", "language", "is_active"]
        }
    form = UserForm(request.POST or None, initial=initial, editing=editing)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if editing is None:
                services.create_user(
                    actor=request.user,
                    username=data["username"],
                    password=data["password"],
                    role=data["role"],
                    vendor=data["vendor"],
                    full_name=data["full_name"],
                    email=data["email"],
                    phone=data["phone"],
                    language=data["language"],
                )
            else:
                services.update_user(
                    user=editing,
                    actor=request.user,
                    full_name=data["full_name"],
                    email=data["email"],
                    phone=data["phone"],
                    role=data["role"],
                    vendor=data["vendor"],
                    language=data["language"],
                    is_active=data["is_active"],
                )
                if data["password"]:
                    services.set_password(user=editing, actor=request.user, password=data["password"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("用户已保存。"))
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "editing": editing})
