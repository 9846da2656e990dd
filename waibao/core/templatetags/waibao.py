from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from django import template
from django.apps import apps
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from waibao.accounts import policy
from waibao.core import formats, texts
from waibao.core.formats import day, moment

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


#: The last part of an audit verb ("vendors.vendor.status_changed" → "status_changed"), in words.
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
    "added": _("添加"),
    "recorded": _("登记"),
    "amended": _("变更生效"),
    "expired": _("到期"),
    "renewal_decided": _("续约决定"),
    "renewed": _("续约"),
    "proposed": _("提议"),
    "cancelled": _("取消"),
    "approval_chain": _("审批链设置"),
    "required_clauses": _("必备条款设置"),
    "accepted": _("接受"),
    "raised": _("提出"),
    "rejected": _("驳回"),
    "cancel_requested": _("请求取消"),
    "failed": _("失败"),
    "mapped": _("列映射"),
    "merged": _("合并入库"),
    "confirmed": _("确认"),
    "set": _("录入"),
    "saved": _("保存"),
    "adjusted": _("调整"),
    "draft_saved": _("保存草稿"),
    "opened": _("开立"),
    "overdue": _("逾期"),
    "step_escalated": _("步骤升级"),
    "step_filled": _("填写步骤"),
    "verified": _("验证"),
    "logged": _("登记"),
    "triaged": _("分派"),
    "converted": _("转为不合格"),
    "resubmitted": _("重新提交"),
    "completed": _("完成"),
    "findings_recorded": _("登记检验结果"),
    "measured": _("登记测量值"),
    "sampled": _("抽样"),
    "capa_started": _("发起 8D"),
    "containment_updated": _("更新遏制措施"),
    "evidence_added": _("添加证据"),
    "signal": _("异常信号"),
    "plan_changed": _("方案变更"),
    "switched": _("转移检验严格度"),
    "write": _("修改档案"),
    "invited": _("邀请"),
    "scale_set": _("设定量表"),
    "resent": _("重新发送"),
    "judged_in_bulk": _("批量判定"),
}

#: Keys of audit changes that are not model fields, in words.
EXTRA_FIELD_LABELS = {
    "sla_metrics": _("SLA 指标"),
    "rules": _("规则"),
    "chain": _("审批链"),
    "required_clauses": _("必备条款"),
    "measurements": _("测量值"),
    "findings": _("检验结果"),
    "evidence": _("证据"),
    "changes": _("变更内容"),
    "conforming": _("合格"),
    "comment": _("意见"),
    "mapping": _("列映射"),
    "period": _("周期"),
    "ncr": _("不合格"),
    "step": _("步骤"),
    "file": _("文件"),
    "rows": _("行数"),
    "count": _("数量"),
    "classes": _("缺陷类别"),
    "results": _("结果条数"),
    "level": _("审批层级"),
    "nonconforming": _("不合格数"),
}

#: Keys inside structured audit values (a quality plan's check items), in words.
STRUCT_KEY_LABELS = {
    "name": _("名称"),
    "kind": _("类型"),
    "lsl": _("规格下限"),
    "usl": _("规格上限"),
    "unit": _("单位"),
    "severity": _("缺陷类别"),
    "critical": _("致命"),
    "major": _("严重"),
    "minor": _("轻微"),
}

#: Codes inside structured audit values, in words.
STRUCT_VALUE_LABELS = {
    "attribute": _("计数特性"),
    "variable": _("计量特性"),
    "critical": _("致命"),
    "major": _("严重"),
    "minor": _("轻微"),
}


def _model_for(object_type: str) -> Any:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@register.filter
def audit_verb(event: Any) -> str:
    """ "供应商 · 状态变更" for "vendors.vendor.status_changed" (a verb without a label: "… · 变更")."""
    model = _model_for(event.object_type)
    action = event.verb.rsplit(".", 1)[-1]
    label = ACTION_LABELS.get(action, _("变更"))
    return f"{model._meta.verbose_name if model else event.object_type} · {label}"


def _field_of(model: Any, name: str) -> Any:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except Exception:  # a computed or removed field
        return None
    # A reverse relation (a nonconformance's "evidence") has no label: the key's own label is used.
    return field if hasattr(field, "verbose_name") else None


def shown_value(value: Any, field: Any = None) -> Any:
    """A stored audit value as the reader should see it: a choice by its label, a yes/no in words, a date
    or time in the one display format, a structure as short text; None and "" as "—"."""
    if value is None or value == "":
        return "—"
    if texts.is_message(value):  # a generated text (core.texts): in the reader's language
        return texts.render(value, "—")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    choices = dict(getattr(field, "flatchoices", None) or []) if field is not None else {}
    if choices and not isinstance(value, dict | list):
        return choices.get(value, choices.get(str(value), value))
    if isinstance(value, str) and field is not None:
        from django.db import models

        try:
            if isinstance(field, models.DateTimeField):
                return moment(datetime.fromisoformat(value))
            if isinstance(field, models.DateField):
                return day(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return readable(_translated(value, choices))
    return value


def _translated(value: Any, choices: dict[Any, Any]) -> Any:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return [_translated(v, choices) for v in value]
    if isinstance(value, dict):
        return {str(STRUCT_KEY_LABELS.get(k, k)): _translated(v, choices) for k, v in value.items()}
    if choices and isinstance(value, str):
        return choices.get(value, value)
    return STRUCT_VALUE_LABELS.get(value, value) if isinstance(value, str) else value


@register.filter
def audit_object_type(object_type: str) -> str:
    """ "quality.plan" → its model's name in the reader's language ("质量计划")."""
    model = _model_for(object_type)
    return str(model._meta.verbose_name) if model else object_type


@register.filter
def audit_changes(event: Any) -> list[tuple[str, Any, Any]]:
    """[(field label, old, new)] using the model's verbose names, values in words (choice labels, 是/否,
    dates in the display format). Structured values (JSON fields such as a metric definition or a plan's
    characteristics) are shown as readable text, and when both sides are mappings only the keys that
    changed are listed, one row each ("label · key")."""
    model = _model_for(event.object_type)
    # Keys a model records that are not its fields (an 8D's "D1", "D4_categories"): its own labels and choices.
    own = getattr(model, "audit_change_fields", None)
    own_fields: dict[str, tuple[Any, Any]] = own() if callable(own) else {}
    out: list[tuple[str, Any, Any]] = []
    for name, pair in (event.changes or {}).items():
        field = _field_of(model, name)
        if field is None and name in own_fields:
            own_label, choices = own_fields[name]
            field = SimpleNamespace(verbose_name=own_label, flatchoices=list(choices or []))
        label = str(field.verbose_name) if field is not None else str(EXTRA_FIELD_LABELS.get(name, name))
        old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        if isinstance(old, dict) and isinstance(new, dict):
            keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
            out.extend((f"{label} · {k}", shown_value(old.get(k)), shown_value(new.get(k))) for k in keys)
            continue
        out.append((label, shown_value(old, field), shown_value(new, field)))
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


@register.filter(name="country")
def country_filter(code: Any) -> str:
    return formats.country(code)


@register.filter(name="money")
def money_filter(amount: Any, currency: str = "CNY") -> str:
    """``{{ contract.monthly_fee|money:contract.currency }}`` → ``CNY 12,345.00`` (core.formats)."""
    return formats.money(amount, currency)


@register.filter(name="day")
def day_filter(value: Any) -> str:
    """``{{ d|day }}`` → ``2026-10-31`` (a datetime: its local day)."""
    return formats.day(value)


@register.filter(name="moment")
def moment_filter(value: Any) -> str:
    """``{{ t|moment }}`` → ``2026-10-31 14:05`` in the installation's time zone."""
    return formats.moment(value)
