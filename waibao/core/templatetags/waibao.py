from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString

from waibao.accounts import policy

register = template.Library()

BADGE = {
    "prospect": "secondary", "onboarding": "info", "active": "success", "suspended": "warning",
    "exited": "dark", "blacklisted": "danger", "valid": "success", "expiring": "warning", "expired": "danger",
    "draft": "secondary", "in_approval": "info", "approved": "success", "returned": "warning",
    "terminated": "dark", "met": "success", "missed": "danger", "insufficient": "secondary",
    "open": "warning", "closed": "secondary", "overdue": "danger", "green": "success", "amber": "warning",
    "red": "danger",
}


@register.simple_tag
def status_badge(value: str, label: Any = None) -> SafeString:
    return format_html('<span class="badge text-bg-{}">{}</span>', BADGE.get(str(value), "light"), label or value)


@register.simple_tag(takes_context=True)
def query(context: dict[str, Any], **kwargs: Any) -> str:
    """The current query string with some parameters replaced (for sort links and pagination)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + params.urlencode() if params else "?"


@register.filter
def can(user: Any, action: str) -> bool:
    return policy.can(user, action)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None
