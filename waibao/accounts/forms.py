from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from waibao.accounts.models import Role, User
from waibao.core.forms import BootstrapMixin
from waibao.vendors.models import Vendor


class LoginForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


class OtpForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=100, initial="API")


class LanguageForm(BootstrapMixin, forms.Form):
    language = forms.ChoiceField(label=_("界面语言"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class UserForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    vendor: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("所属供应商"), queryset=Vendor.objects.none(), required=False, help_text=_("仅供应商用户需要")
    )
    language = forms.ChoiceField(label=_("界面语言"), choices=settings.LANGUAGES)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    password = forms.CharField(
        label=_("密码"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("新用户必填；编辑时留空表示不修改。"),
    )

    def __init__(self, *args: Any, editing: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.order_by("code")  # type: ignore[attr-defined]
        self.editing = editing
        if editing is not None:
            self.fields["username"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.editing is None and not data.get("password"):
            self.add_error("password", _("新用户必须设置密码。"))
        return data


class InviteForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("邮箱"))
    full_name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    language = forms.ChoiceField(label=_("邮件语言"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE)


class AcceptInvitationForm(BootstrapMixin, forms.Form):
    full_name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    username = forms.CharField(label=_("用户名"), max_length=150, help_text=_("登录时使用，默认为您的邮箱。"))
    password = forms.CharField(
        label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("再次输入密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data
