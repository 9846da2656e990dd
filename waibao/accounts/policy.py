"""The role policy: which role may do what. Pages, API and exports all ask here.

Object scoping (a vendor user sees only its vendor) is done in each app's access.py; this module only
answers "may this kind of user do this kind of action at all".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from waibao.accounts.models import BUYER_ROLES, Role

A, M, Q, F, AU, V = Role.ADMIN, Role.MANAGER, Role.QUALITY, Role.FINANCE, Role.AUDITOR, Role.VENDOR

# action -> roles allowed. Reading is open to every buyer role (the auditor reads everything) and to
# vendor users within their own vendor; writes are listed one by one.
RULES: dict[str, frozenset[str]] = {
    "vendors.write": frozenset({A, M}),
    "vendors.status": frozenset({A, M}),
    "vendors.import": frozenset({A, M}),
    # contacts, certificates and documents: a vendor user keeps its own up to date
    "vendors.archive.write": frozenset({A, M, V}),
    "users.manage": frozenset({A}),
    # buyers invite vendor users by e-mail (the invitee sets the password)
    "users.invite": frozenset({A, M}),
    "settings.manage": frozenset({A}),
    "audit.read": frozenset({A, AU}),
    "calendars.write": frozenset({A, M}),
    "contracts.write": frozenset({A, M}),
    "contracts.approve": frozenset({A, M, F}),
    "contracts.finance": frozenset({A, M, F}),
    "delivery.write": frozenset({A, M}),
    "delivery.import": frozenset({A, M, V}),
    "delivery.dispute": frozenset({V}),
    "delivery.resolve": frozenset({A, M, Q}),
    "delivery.close_period": frozenset({A, M, F}),
    "delivery.manual": frozenset({A, M, Q}),
    "delivery.manual_propose": frozenset({V}),
    "quality.write": frozenset({A, M, Q}),
    "quality.inspect": frozenset({A, Q}),
    "quality.review": frozenset({A, M, Q}),
    "quality.vendor_respond": frozenset({V}),
    "export": frozenset({A, M, Q, F, AU, V}),
}


def role_of(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    return str(user.role)


def is_buyer(user: Any) -> bool:
    return role_of(user) in BUYER_ROLES


def is_vendor_user(user: Any) -> bool:
    return role_of(user) == V


def can_read(user: Any) -> bool:
    return role_of(user) is not None


def can(user: Any, action: str) -> bool:
    role = role_of(user)
    if role is None:
        return False
    if action not in RULES:
        raise KeyError(f"unknown action {action!r}: add it to accounts.policy.RULES")
    return role in RULES[action]


def require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(action)


def vendor_scope(user: Any) -> int | None:
    """The vendor id a vendor user is confined to, or None for buyer users (who see all vendors)."""
    return int(user.vendor_id) if is_vendor_user(user) else None
