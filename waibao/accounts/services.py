"""Writes for users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from waibao.accounts.models import ApiToken, Role, User
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
