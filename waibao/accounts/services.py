"""Writes for users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from waibao.accounts.models import ApiToken, Invitation, Role, User
from waibao.core import audit, clock
from waibao.core.errors import DomainError

TOKEN_PREFIX = "wb_"  # noqa: S105 - a prefix, not a secret
USER_FIELDS = ["username", "full_name", "email", "phone", "role", "vendor", "is_active", "language"]


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (no brute force to slow down).
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, actor: Any, name: str = "API") -> tuple[ApiToken, str]:
    """Make a token and return it with its secret, which is never stored and never shown again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100] or "API", prefix=raw[:11], key_hash=hash_token(raw)
    )
    audit.record(
        actor, "accounts.token.created", token, changes={"name": [None, token.name]}, vendor_id=user.vendor_id
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor: Any) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "accounts.token.revoked", token, vendor_id=token.user.vendor_id)
    return token


def authenticate_token(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    # Writing on every call would serialise API traffic on one row; a minute's precision is enough.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def _check_role_vendor(role: str, vendor: Any) -> None:
    if role == Role.VENDOR and vendor is None:
        raise DomainError(
            _("供应商用户必须指定所属供应商。"), fields={"vendor": _("供应商用户必须指定所属供应商。")}
        )
    if role != Role.VENDOR and vendor is not None:
        raise DomainError(
            _("只有供应商用户可以属于供应商。"), fields={"vendor": _("只有供应商用户可以属于供应商。")}
        )


@transaction.atomic
def create_user(
    *,
    actor: Any,
    username: str,
    password: str,
    role: str,
    vendor: Any = None,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "zh-hans",
) -> User:
    _check_role_vendor(role, vendor)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("用户名已存在。"), fields={"username": _("用户名已存在。")})
    user = User(
        username=username,
        role=role,
        vendor=vendor,
        full_name=full_name,
        email=email,
        phone=phone,
        language=language,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), fields={"password": " ".join(exc.messages)})
    user.set_password(password)
    user.save()
    audit.record(
        actor,
        "accounts.user.created",
        user,
        changes=audit.created(user, USER_FIELDS),
        vendor_id=user.vendor_id,
    )
    return user


@transaction.atomic
def update_user(*, user: User, actor: Any, **values: Any) -> User:
    before = audit.snapshot(user, USER_FIELDS)
    role = values.get("role", user.role)
    vendor = values.get("vendor", user.vendor)
    _check_role_vendor(role, vendor)
    for name, value in values.items():
        if name not in USER_FIELDS or name == "username":
            raise DomainError(_("不能修改字段 %(f)s。") % {"f": name})
        setattr(user, name, value)
    user.save(update_fields=[*values.keys()])
    changes = audit.diff(before, audit.snapshot(user, USER_FIELDS))
    if changes:
        audit.record(actor, "accounts.user.updated", user, changes=changes, vendor_id=user.vendor_id)
    return user


@transaction.atomic
def set_password(*, user: User, actor: Any, password: str) -> User:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), fields={"password": " ".join(exc.messages)})
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor, "accounts.user.password_set", user, vendor_id=user.vendor_id)
    return user


def set_language(*, user: User, language: str) -> User:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


# --- invitations: vendor users set their own password -------------------------------------------------
#
# invite → mail with a signed, expiring one-time link → the invitee sets a password → user created.
# Resending makes a new link (new nonce; the old link stops working); revoking ends it; accepting uses it.

INVITATION_SALT = "waibao.accounts.invitation"


def invitation_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "WAIBAO_INVITATION_DAYS", 7))


@dataclass(frozen=True)
class InvitationSend:
    invitation: Invitation
    sent: bool  # whether the mail server took the message


def _require_inviter(actor: Any, vendor: Any) -> None:
    from waibao.accounts import policy

    policy.require(actor, "users.invite")
    scope = policy.vendor_scope(actor)
    if scope is not None and scope != vendor.pk:  # never reached today (vendors cannot invite); kept safe
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("users.invite")


def invite_vendor_user(
    *, actor: Any, vendor: Any, email: str, full_name: str = "", language: str = "zh-hans", link_base: str = ""
) -> InvitationSend:
    """Invite an e-mail address to become a user of ``vendor``, and mail the link."""
    from django.conf import settings
    from django.core.validators import validate_email

    _require_inviter(actor, vendor)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("请输入有效的邮箱地址。"), fields={"email": _("请输入有效的邮箱地址。")})
    if vendor.status in ("blacklisted", "exited"):
        raise DomainError(
            _("供应商状态为%(s)s，不能邀请新用户。") % {"s": vendor.get_status_display()},
            fields={"email": _("该供应商不能邀请新用户。")},
        )
    if User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email), is_active=True).exists():
        raise DomainError(
            _("邮箱 %(e)s 已有账户，无需邀请。") % {"e": email}, fields={"email": _("该邮箱已有账户。")}
        )
    now = clock.now()
    if Invitation.objects.filter(
        email=email, vendor=vendor, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).exists():
        raise DomainError(
            _("已向 %(e)s 发出邀请且仍然有效；如需再次发送，请在列表中点“重发”。") % {"e": email},
            fields={"email": _("已有有效的邀请。")},
        )
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            vendor=vendor,
            full_name=(full_name or "").strip()[:100],
            language=language,
            invited_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        audit.record(
            actor,
            "accounts.invitation.created",
            invitation,
            changes={"email": [None, email], "vendor": [None, vendor.code]},
            vendor_id=vendor.pk,
        )
    return InvitationSend(invitation, _send_invitation(invitation, link_base))


def resend_invitation(*, invitation: Invitation, actor: Any, link_base: str = "") -> InvitationSend:
    """A new link (the old one stops working) with a new expiry, mailed again."""
    _require_inviter(actor, invitation.vendor)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise DomainError(_("该邀请已被接受或已撤销，不能重发。"), code="invitation_closed", status=409)
    audit.record(actor, "accounts.invitation.resent", invitation, vendor_id=invitation.vendor_id)
    return InvitationSend(invitation, _send_invitation(invitation, link_base))


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, actor: Any) -> Invitation:
    _require_inviter(actor, invitation.vendor)
    if invitation.accepted_at is not None:
        raise DomainError(_("该邀请已被接受，不能撤销；如需停用，请在用户管理中停用该用户。"), status=409)
    if invitation.revoked_at is None:
        invitation.revoked_at = clock.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(actor, "accounts.invitation.revoked", invitation, vendor_id=invitation.vendor_id)
    return invitation


def invitation_link(invitation: Invitation, link_base: str = "") -> str:
    from django.conf import settings
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT, compress=True)
    base = (link_base or str(getattr(settings, "WAIBAO_BASE_URL", "") or "")).rstrip("/")
    return f"{base}{reverse('accounts:invitation-accept', args=[token])}"


def _send_invitation(invitation: Invitation, link_base: str) -> bool:
    """Give the invitation a fresh link and expiry and mail it; True only when the mail was handed over."""
    import logging

    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    now = clock.now()
    invitation.nonce = secrets.token_hex(16)
    invitation.expires_at = now + timedelta(days=invitation_days())
    invitation.save(update_fields=["nonce", "expires_at"])
    link = invitation_link(invitation, link_base)
    with translation.override(invitation.language):
        context = {"invitation": invitation, "link": link, "days": invitation_days()}
        subject = " ".join(render_to_string("accounts/invitation_subject.txt", context).split())
        body = render_to_string("accounts/invitation_email.txt", context)
    try:
        delivered = send_mail(subject, body, None, [invitation.email])
    except Exception:  # the mail server is the outside world: report "not sent", never crash the page
        logging.getLogger(__name__).exception("invitation mail to %s failed", invitation.email)
        return False
    if not delivered:
        return False
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=now, send_count=F("send_count") + 1)
    invitation.refresh_from_db(fields=["sent_at", "send_count"])
    return True


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a link points to; DomainError when the link is forged, used, revoked or old."""
    from django.core import signing

    invalid = DomainError(
        _("邀请链接无效、已使用或已过期。请联系采购方重新发送邀请。"), code="invitation_invalid", status=410
    )
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=timedelta(days=invitation_days()))
    except signing.BadSignature:  # includes SignatureExpired
        raise invalid from None
    invitation = (
        Invitation.objects.select_related("vendor").filter(pk=data.get("i"), nonce=data.get("n")).first()
    )
    if invitation is None or not invitation.nonce:
        raise invalid
    if invitation.state(clock.now()) != "pending":
        raise invalid
    return invitation


def accept_invitation(*, token: str, username: str, password: str, full_name: str = "") -> User:
    """Use the link once: create the vendor user with the password the invitee chose."""
    with transaction.atomic():
        invitation = invitation_from_token(token)
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None or locked.nonce != invitation.nonce:
            raise DomainError(_("邀请链接无效、已使用或已过期。请联系采购方重新发送邀请。"), status=410)
        user = create_user(
            actor="invitation",
            username=(username or invitation.email).strip(),
            password=password,
            role=Role.VENDOR,
            vendor=invitation.vendor,
            full_name=(full_name or invitation.full_name).strip(),
            email=invitation.email,
            language=invitation.language,
        )
        locked.accepted_at = clock.now()
        locked.user = user
        locked.nonce = ""  # the link is spent
        locked.save(update_fields=["accepted_at", "user", "nonce"])
        audit.record(user, "accounts.invitation.accepted", locked, vendor_id=locked.vendor_id)
    return user
