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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from waibao.accounts import policy, services
from waibao.accounts.forms import (
    AcceptInvitationForm,
    InviteForm,
    LanguageForm,
    LoginForm,
    OtpForm,
    TokenForm,
    UserForm,
)
from waibao.accounts.models import ApiToken, Invitation, User
from waibao.core import clock
from waibao.core.errors import DomainError
from waibao.core.forms import apply_domain_error
from waibao.vendors.access import get_vendor

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


# --- vendor users and invitations ---------------------------------------------------------------


def _vendor_users_context(request: HttpRequest, vendor: Any) -> dict[str, Any]:
    now = clock.now()
    invitations = [
        (inv, inv.state(now))
        for inv in Invitation.objects.filter(vendor=vendor, accepted_at__isnull=True).select_related(
            "invited_by"
        )[:50]
    ]
    return {
        "vendor": vendor,
        "users": User.objects.filter(vendor=vendor).order_by("-is_active", "full_name", "username"),
        "invitations": invitations,
        "can_invite": policy.can(request.user, "users.invite"),
    }


def _link_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _report_send(request: HttpRequest, result: services.InvitationSend) -> None:
    """Say only what happened: "sent" only when the mail server took the message."""
    if result.sent:
        messages.success(
            request,
            _("已发送邀请至 %(e)s，链接 %(d)s 天内有效。")
            % {"e": result.invitation.email, "d": services.invitation_days()},
        )
    else:
        messages.warning(
            request,
            _("邀请已登记，但邮件未能发出（邮件服务不可用）。请稍后在列表中点“重发”。"),
        )


@login_required
def vendor_users_view(request: HttpRequest, vendor_pk: int) -> HttpResponse:
    """A vendor's users and open invitations; buyers who may invite do it here (page and API)."""
    vendor = get_vendor(request.user, vendor_pk)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        policy.require(request.user, "users.invite")
        if form.is_valid():
            try:
                result = services.invite_vendor_user(
                    actor=request.user, vendor=vendor, link_base=_link_base(request), **form.cleaned_data
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                _report_send(request, result)
                return redirect("accounts:vendor-users", vendor_pk=vendor.pk)
    ctx = _vendor_users_context(request, vendor) | {"form": form}
    return render(request, "accounts/vendor_users.html", ctx)


@login_required
@require_POST
def invitation_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("vendor"), pk=pk)
    vendor = get_vendor(request.user, invitation.vendor_id)  # another vendor's invitation: 404
    policy.require(request.user, "users.invite")
    try:
        if action == "resend":
            _report_send(
                request,
                services.resend_invitation(invitation=invitation, actor=request.user, link_base=_link_base(request)),
            )
        elif action == "revoke":
            services.revoke_invitation(invitation=invitation, actor=request.user)
            messages.success(request, _("已撤销对 %(e)s 的邀请，链接已失效。") % {"e": invitation.email})
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:vendor-users", vendor_pk=vendor.pk)


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page (no login): choose a user name and password; the link works once."""
    try:
        invitation = services.invitation_from_token(token)
    except DomainError as exc:
        return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=410)
    if request.user.is_authenticated:
        logout(request)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and invitation.language in dict(settings.LANGUAGES):
        # The invitee reads the page in the language the invitation was sent in, unless they switched.
        translation.activate(invitation.language)
        request.LANGUAGE_CODE = invitation.language
    form = AcceptInvitationForm(
        request.POST or None, initial={"username": invitation.email, "full_name": invitation.full_name}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.accept_invitation(
                token=token, username=d["username"], password=d["password"], full_name=d["full_name"]
            )
        except DomainError as exc:
            if exc.status == 410:
                return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=410)
            apply_domain_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("账户已创建，欢迎使用。您的用户名是 %(u)s。") % {"u": user.username})
            response = redirect("core:home")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=365 * 24 * 3600, samesite="Lax")
            return response
    page = render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})
    page.headers["Content-Language"] = translation.get_language()
    return page
