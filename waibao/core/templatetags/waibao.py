from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from waibao.accounts import policy

register = template.Library()

BADGE = {
    "prospect": "secondary",
    "onboarding": "info",
    "active": "success",
    "suspended": "warning",
    "exited": "dark",
    "blacklisted": "danger",
    "valid": "success",
    "expiring": "warning",
    "expired": "danger",
    "draft": "secondary",
    "in_approval": "info",
    "approved": "success",
    "returned": "warning",
    "terminated": "dark",
    "met": "success",
    "missed": "danger",
    "insufficient": "secondary",
    "open": "warning",
    "closed": "secondary",
    "overdue": "danger",
    "green": "success",
    "amber": "warning",
    "red": "danger",
}


@register.simple_tag
def status_badge(value: str, label: Any = None) -> SafeString:
    return format_html(
        '<span class="badge text-bg-{}">{}</span>', BADGE.get(str(value), "light"), label or value
    )


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


ACTION_LABELS = {
    "created": _("创建"),
    "updated": _("修改"),
    "deleted": _("删除"),
    "status_changed": _("状态变更"),
    "uploaded": _("上传"),
    "revoked": _("吊销"),
    "password_set": _("重设密码"),
    "approved": _("批准"),
    "returned": _("退回"),
    "submitted": _("提交"),
    "closed": _("关闭"),
    "reopened": _("重新打开"),
}


def _model_for(object_type: str) -> Any:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@register.filter
def audit_verb(event: Any) -> str:
    """ "供应商 · 状态变更" for "vendors.vendor.status_changed"."""
    model = _model_for(event.object_type)
    action = event.verb.rsplit(".", 1)[-1]
    label = ACTION_LABELS.get(action, action.replace("_", " "))
    return f"{model._meta.verbose_name if model else event.object_type} · {label}"


@register.filter
def audit_changes(event: Any) -> list[tuple[str, Any, Any]]:
    """[(field label, old, new)] using the model's verbose names. Structured values (JSON fields such as a
    metric definition or a plan's characteristics) are shown as readable text, and when both sides are
    mappings only the keys that changed are listed, one row each ("label · key")."""
    model = _model_for(event.object_type)
    out: list[tuple[str, Any, Any]] = []
    for name, pair in (event.changes or {}).items():
        label = name
        if model is not None:
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except Exception:  # a computed or removed field keeps its raw name
                label = name
        old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        if isinstance(old, dict) and isinstance(new, dict):
            keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
            out.extend((f"{label} · {k}", readable(old.get(k)), readable(new.get(k))) for k in keys)
            continue
        out.append((label, readable(old), readable(new)))
    return out


def readable(value: Any, limit: int = 300) -> Any:
    """A JSON value as short plain text: ``key: value; …`` for mappings, ``a, b`` for lists."""
    if not isinstance(value, dict | list):
        return value

    def text(v: Any) -> str:
        if isinstance(v, dict):
            return "; ".join(f"{k}: {text(x)}" for k, x in v.items()) or "—"
        if isinstance(v, list):
            return (
                "[" + ", ".join(text(x) for x in v) + "]"
                if any(isinstance(x, list | dict) for x in v)
                else (", ".join(text(x) for x in v) or "—")
            )
        return "—" if v is None else str(v)

    shown = text(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
