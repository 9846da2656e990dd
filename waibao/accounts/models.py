"""Users, their role, vendor membership and API tokens.

A buyer user has one of the buyer roles. A vendor user has the role `vendor` and belongs to exactly one
vendor; every lookup they make is scoped to it (see each app's access.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    MANAGER = "manager", _("外包经理")
    QUALITY = "quality", _("质量审核员")
    FINANCE = "finance", _("财务")
    AUDITOR = "auditor", _("审计（只读）")
    VENDOR = "vendor", _("供应商用户")


BUYER_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.QUALITY, Role.FINANCE, Role.AUDITOR})


class WaibaoUserManager(UserManager["User"]):
    def create_superuser(  # type: ignore[override]
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=100, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.AUDITOR)
    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("所属供应商"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    language = models.CharField(
        _("界面语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    objects = WaibaoUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="vendor") & Q(vendor__isnull=False))
                | (~Q(role="vendor") & Q(vendor__isnull=True)),
                name="user_vendor_iff_vendor_role",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_vendor_user(self) -> bool:
        return self.role == Role.VENDOR

    @property
    def is_buyer(self) -> bool:
        return self.role in BUYER_ROLES


class ApiToken(models.Model):
    """A bearer token for machines. Only a SHA-256 hash of the secret is stored; it is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=16, db_index=True)
    key_hash = models.CharField(_("哈希"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class InvitationState(models.TextChoices):
    PENDING = "pending", _("待接受")
    ACCEPTED = "accepted", _("已接受")
    EXPIRED = "expired", _("已过期")
    REVOKED = "revoked", _("已撤销")


class Invitation(models.Model):
    """An e-mail invitation for a vendor user: the invitee sets their own password through a one-time,
    expiring link. Sending again makes a new link (the nonce changes) and the old one stops working."""

    email = models.EmailField(_("邮箱"))
    vendor = models.ForeignKey(
        "vendors.Vendor", verbose_name=_("供应商"), on_delete=models.CASCADE, related_name="invitations"
    )
    full_name = models.CharField(_("姓名"), max_length=100, blank=True)
    language = models.CharField(
        _("邮件语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    nonce = models.CharField(_("链接标识"), max_length=32, blank=True)
    invited_by = models.ForeignKey(
        User, verbose_name=_("邀请人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("最近发送"), null=True, blank=True)
    send_count = models.PositiveIntegerField(_("发送次数"), default=0)
    expires_at = models.DateTimeField(_("链接有效期至"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    user = models.ForeignKey(
        User, verbose_name=_("创建的用户"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "用户邀请")  # one object (English is plural in lists)
        verbose_name_plural = _("用户邀请")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["vendor", "email"], name="invitation_vendor_email_idx")]

    def __str__(self) -> str:
        return self.email

    def state(self, now: Any) -> str:
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.expires_at is None or self.expires_at <= now:
            return InvitationState.EXPIRED
        return InvitationState.PENDING
