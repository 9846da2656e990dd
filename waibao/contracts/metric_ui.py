"""An SLA metric as people write and read it: field labels, operators in words, time limits in business
hours and business days (converted through the metric's calendar), ready-made metrics to start from, and
the values the contract's own records hold.

The stored definition stays :meth:`slamath.MetricDef.to_dict` (business minutes, field names, operator
codes); this module only translates between that and what a manager sees and types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from waibao.contracts.models import RecordKind
from waibao.lib import slamath

#: The record fields a definition may name, as people call them (the delivery app's column names).
FIELD_LABELS: dict[str, Promise] = {
    "external_id": _("记录编号"),
    "kind": _("记录类型"),
    "opened_at": _("开始时间"),
    "first_response_at": _("首次响应时间"),
    "resolved_at": _("解决时间"),
    "promised_at": _("承诺时间"),
    "delivered_at": _("送达时间"),
    "priority": _("优先级"),
    "category": _("类别"),
    "status": _("状态"),
    "csat": _("满意度"),
    "defect": _("缺陷"),
}
assert set(FIELD_LABELS) == set(slamath.STANDARD_FIELDS)

#: Fields a filter may use (not timestamps; the record kind has its own setting, ids are not a rule).
_NOT_FILTERABLE = frozenset({"external_id", "kind"})

OP_LABELS: dict[str, Promise] = {"eq": _("等于"), "ne": _("不等于"), "in": _("属于（任一）")}
assert set(OP_LABELS) == set(slamath.FILTER_OPS)

KIND_LABELS: dict[str, Promise] = {
    "share_within": _("时限内完成占比"),
    "duration": _("时长统计"),
    "rate": _("比率"),
    "average": _("平均值"),
    "count": _("计数"),
    "manual": _("人工录入"),
}
assert set(KIND_LABELS) == set(slamath.KINDS)

STATISTIC_LABELS: dict[str, Promise] = {
    "mean": _("平均"),
    "median": _("中位数"),
    "p90": _("90% 分位数"),
    "p95": _("95% 分位数"),
}
assert set(STATISTIC_LABELS) == set(slamath.STATISTICS)

CONSEQUENCE_LABELS: dict[str, Promise] = {
    "none": _("无奖惩"),
    "credit_percent": _("扣减月费%"),
    "credit_fixed": _("扣减固定金额"),
    "bonus_percent": _("奖励月费%"),
    "bonus_fixed": _("奖励固定金额"),
}
assert set(CONSEQUENCE_LABELS) == set(slamath.CONSEQUENCES)

UNIT_LABELS: dict[str, Promise] = {
    "hours": _("工作小时"),
    "days": _("工作日"),
    "minutes": _("工作分钟"),
}
YES_WORDS = frozenset({"是", "yes", "y", "true", "t", "1"})
NO_WORDS = frozenset({"否", "no", "n", "false", "f", "0"})


def field_types(custom_fields: Mapping[str, Any] | None) -> dict[str, str]:
    """Every field a definition may name on this contract, with its type (standard ones win)."""
    types = {str(k): str(v) for k, v in (custom_fields or {}).items() if v in slamath.CUSTOM_FIELD_TYPES}
    types.update(slamath.STANDARD_FIELDS)
    return types


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name


def field_choices(custom_fields: Mapping[str, Any] | None, *types: str) -> list[tuple[str, str]]:
    """(name, label) of the fields of the given types, standard fields first."""
    out = []
    for name, t in field_types(custom_fields).items():
        if t in types and not (t != "timestamp" and name in _NOT_FILTERABLE):
            out.append((name, field_label(name)))
    standard = [c for c in out if c[0] in slamath.STANDARD_FIELDS]
    return standard + sorted((c for c in out if c[0] not in slamath.STANDARD_FIELDS), key=lambda c: c[0])


def record_kind_label(kind: str | None) -> str:
    if not kind:
        return ""
    return str(RecordKind(kind).label) if kind in RecordKind.values else kind


def is_allowed_record_kind(kind: str | None) -> bool:
    return bool(kind) and kind in RecordKind.values


# --- time in business units ------------------------------------------------------------------------

DEFAULT_DAY_MINUTES = 480


def day_minutes(calendar: Any) -> int:
    """Business minutes in one normal workday of the calendar (8 h for 09–12 + 13–18; 24 h for 24×7)."""
    if calendar is None:
        return DEFAULT_DAY_MINUTES
    try:
        return business_day_minutes(calendar.business_calendar())
    except Exception:  # a broken calendar is reported where it is edited; here, fall back
        return DEFAULT_DAY_MINUTES


def business_day_minutes(business_calendar: Any) -> int:
    """:func:`day_minutes` of a built ``businesstime.BusinessCalendar`` (what the delivery engine holds)."""
    try:
        hours = business_calendar.normal_workday_hours
    except Exception:  # a broken calendar is reported where it is edited; here, fall back
        return DEFAULT_DAY_MINUTES
    total = 0
    for start, end in hours:
        sh, sm = (int(x) for x in start.split(":"))
        eh, em = (int(x) for x in end.split(":"))
        total += (eh * 60 + em) - (sh * 60 + sm)
    return total or DEFAULT_DAY_MINUTES


def unit_minutes(unit: str, per_day: int) -> int:
    return {"minutes": 1, "hours": 60, "days": per_day}[unit]


def to_minutes(value: Decimal, unit: str, per_day: int) -> Decimal:
    return value * unit_minutes(unit, per_day)


def _plain(value: Decimal) -> str:
    """2.50 → 2.5, 3.0 → 3 (at most two decimals)."""
    q = value.quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = format(q.normalize(), "f")
    return text


def best_unit(minutes: Decimal | int, per_day: int) -> tuple[Decimal, str]:
    """The unit a person would say it in: whole business days, else hours, else minutes under an hour."""
    m = Decimal(minutes)
    if m and per_day and m % per_day == 0:
        return m / per_day, "days"
    if m >= 60 or m == 0:
        return m / 60, "hours"
    return m, "minutes"


def amount_text(value: Decimal | int, unit: str) -> str:
    """ "5 个工作日" / "5 business days"."""
    v = Decimal(value)
    text = _plain(v)
    n = int(v) if v == v.to_integral_value() else 2
    if unit == "days":
        return ngettext("%(n)s 个工作日", "%(n)s 个工作日", n) % {"n": text}
    if unit == "hours":
        return ngettext("%(n)s 个工作小时", "%(n)s 个工作小时", n) % {"n": text}
    return ngettext("%(n)s 个工作分钟", "%(n)s 个工作分钟", n) % {"n": text}


def duration_text(minutes: Any, calendar: Any = None, per_day: int | None = None) -> str:
    """A stored number of business minutes as people say it ("3 个工作日", "4 个工作小时")."""
    try:
        m = Decimal(str(minutes))
    except (InvalidOperation, ValueError):
        return str(minutes)
    value, unit = best_unit(m, per_day if per_day is not None else day_minutes(calendar))
    return amount_text(value, unit)


def conversion_text(value: Decimal, unit: str, per_day: int) -> str:
    """ "5 个工作日 = 40 个工作小时" — what a limit typed in days or hours means in the calendar's time."""
    minutes = to_minutes(value, unit, per_day)
    if unit == "days":
        return _g("%(a)s = %(b)s") % {"a": amount_text(value, unit), "b": amount_text(minutes / 60, "hours")}
    if unit == "hours" and minutes >= per_day and minutes % per_day == 0:
        return _g("%(a)s = %(b)s") % {
            "a": amount_text(value, unit),
            "b": amount_text(minutes / per_day, "days"),
        }
    if unit == "hours" and value != value.to_integral_value():
        return _g("%(a)s = %(b)s") % {"a": amount_text(value, unit), "b": amount_text(minutes, "minutes")}
    if unit == "minutes" and minutes >= 60:
        return _g("%(a)s = %(b)s") % {"a": amount_text(value, unit), "b": amount_text(minutes / 60, "hours")}
    return amount_text(value, unit)


def workday_text(per_day: int) -> str:
    """ "每个工作日 8 小时"."""
    return _g("每个工作日 %(h)s 小时") % {"h": _plain(Decimal(per_day) / 60)}


# --- values from the contract's own records --------------------------------------------------------

#: How many of the latest records are read for the value pickers (bounded: one indexed read).
SAMPLE_RECORDS = 2000
MAX_VALUES = 40


@dataclass
class DataValues:
    """Distinct values of each filterable field in the contract's latest records, and the kinds seen."""

    values: dict[str, list[str]]
    kinds: list[str]


def record_values(contract: Any) -> DataValues:
    """Read the latest records of the contract once (through the app registry: delivery builds on
    contracts, not the other way round) and collect each field's distinct values."""
    from django.apps import apps

    if contract is None or getattr(contract, "pk", None) is None:
        return DataValues({}, [])
    try:
        model = apps.get_model("delivery", "ServiceRecord")
    except LookupError:
        return DataValues({}, [])
    cols = ("kind", "priority", "category", "status", "csat", "defect", "custom")
    rows = model.objects.filter(contract=contract).order_by("-day").values_list(*cols)[:SAMPLE_RECORDS]
    seen: dict[str, set[Any]] = {}
    for row in rows:
        rec = dict(zip(cols, row, strict=True))
        custom = rec.pop("custom") or {}
        if isinstance(custom, dict):
            rec.update(custom)
        for k, v in rec.items():
            if v is None or v == "":
                continue
            seen.setdefault(k, set())
            if len(seen[k]) < MAX_VALUES:
                seen[k].add(v)
    kinds = sorted(str(k) for k in seen.pop("kind", set()))
    values: dict[str, list[str]] = {}
    for k, vs in seen.items():
        if all(isinstance(v, bool) for v in vs):
            values[k] = [value_text(v) for v in sorted(vs)]
        else:
            values[k] = sorted((value_text(v) for v in vs), key=lambda s: (len(s), s))
    return DataValues(values, kinds)


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return _g("是") if value else _g("否")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_value(text: str, field_type: str) -> Any:
    """A typed filter value from what was typed; raises ValueError with a message for the user."""
    t = text.strip()
    if field_type == "boolean":
        word = t.lower()
        if word in YES_WORDS or t == _g("是"):
            return True
        if word in NO_WORDS or t == _g("否"):
            return False
        raise ValueError(_g("请填写“是”或“否”。"))
    if field_type == "number":
        try:
            d = Decimal(t)
        except InvalidOperation:
            raise ValueError(_g("请输入数字。")) from None
        if not d.is_finite():
            raise ValueError(_g("请输入数字。"))
        return int(d) if d == d.to_integral_value() else float(d)
    return t


def split_values(text: str) -> list[str]:
    for sep in ("，", "、", ";", "；"):
        text = text.replace(sep, ",")
    return [v.strip() for v in text.split(",") if v.strip()]


def filter_text(condition: Any, custom_fields: Mapping[str, Any] | None = None) -> str:
    """One filter condition in words: "优先级 等于 P1"."""
    try:
        name, op, value = condition
    except (TypeError, ValueError):
        return str(condition)
    op_label = OP_LABELS.get(op, op)
    if isinstance(value, list | tuple):
        shown = _g("、").join(value_text(v) for v in value)
    else:
        shown = value_text(value)
    return f"{field_label(name)} {op_label} {shown}"


# --- ready-made metrics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    key: str
    label: Promise
    hint: Promise
    values: dict[str, Any]
    tiers: tuple[tuple[str, str, str, str], ...] = ()


TEMPLATES: tuple[Template, ...] = (
    Template(
        "first_response",
        _("首次响应：N 小时内"),
        _("工单从开始到首次响应的工作时间不超过 N 小时的占比"),
        {
            "name": _("首次响应 4 小时内"),
            "kind": "share_within",
            "record_kind": "ticket",
            "start_field": "opened_at",
            "end_field": "first_response_at",
            "threshold": "4",
            "threshold_unit": "hours",
            "direction": "higher",
            "target": "95",
            "window": "month",
            "min_sample": 10,
        },
        (("0", "90", "credit_percent", "5"), ("90", "95", "credit_percent", "2"), ("95", "100", "none", "")),
    ),
    Template(
        "resolution",
        _("解决：N 个工作日内"),
        _("工单从开始到解决的工作时间不超过 N 个工作日的占比"),
        {
            "name": _("3 个工作日内解决"),
            "kind": "share_within",
            "record_kind": "ticket",
            "start_field": "opened_at",
            "end_field": "resolved_at",
            "threshold": "3",
            "threshold_unit": "days",
            "direction": "higher",
            "target": "90",
            "window": "month",
            "min_sample": 10,
        },
        (("0", "80", "credit_percent", "5"), ("80", "90", "credit_percent", "2"), ("90", "100", "none", "")),
    ),
    Template(
        "on_time_delivery",
        _("准时交付率"),
        _("送达时间不晚于承诺时间的记录占比"),
        {
            "name": _("准时交付率"),
            "kind": "rate",
            "record_kind": "delivery",
            "rate_by": "on_time",
            "on_time_actual": "delivered_at",
            "on_time_due": "promised_at",
            "direction": "higher",
            "target": "98",
            "window": "month",
            "min_sample": 20,
        },
        (("0", "95", "credit_percent", "5"), ("95", "98", "credit_percent", "2"), ("98", "100", "none", "")),
    ),
    Template(
        "defect_rate",
        _("缺陷率"),
        _("标记为缺陷的记录占比，越低越好"),
        {
            "name": _("缺陷率"),
            "kind": "rate",
            "record_kind": "work_item",
            "rate_by": "flag",
            "flag": "defect",
            "direction": "lower",
            "target": "2",
            "window": "month",
            "min_sample": 20,
        },
        (("0", "2", "none", ""), ("2", "5", "credit_percent", "2"), ("5", "100", "credit_percent", "5")),
    ),
    Template(
        "average_csat",
        _("平均满意度"),
        _("满意度评分（1–5 分）的平均值"),
        {
            "name": _("平均满意度"),
            "kind": "average",
            "record_kind": "ticket",
            "field": "csat",
            "direction": "higher",
            "target": "4.5",
            "window": "month",
            "min_sample": 20,
        },
        (("0", "4", "credit_percent", "3"), ("4", "4.5", "credit_percent", "1"), ("4.5", "5", "none", "")),
    ),
    Template(
        "abandoned_calls",
        _("呼损率（放弃呼叫占比）"),
        _("未接通即放弃的呼叫占比，越低越好；用一个“是/否”字段标记放弃的呼叫"),
        {
            "name": _("呼损率"),
            "kind": "rate",
            "record_kind": "call",
            "rate_by": "flag",
            "flag": "defect",
            "direction": "lower",
            "target": "5",
            "window": "month",
            "min_sample": 50,
        },
        (("0", "5", "none", ""), ("5", "10", "credit_percent", "2"), ("10", "100", "credit_percent", "5")),
    ),
)
TEMPLATE_BY_KEY = {t.key: t for t in TEMPLATES}


def template_initial(key: str, custom_fields: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Form values (and tier rows) of a ready-made metric; None for an unknown key."""
    t = TEMPLATE_BY_KEY.get(key)
    if t is None:
        return None
    init = {k: (str(v) if isinstance(v, Promise) else v) for k, v in t.values.items()}
    if key == "abandoned_calls":
        # A contract that marks abandoned calls with its own yes/no field gets that field.
        for name, kind in (custom_fields or {}).items():
            if kind == "boolean" and ("abandon" in name.lower() or "放弃" in name):
                init["flag"] = name
                break
    init["tiers"] = [{"lower": a, "upper": b, "consequence": c, "amount": d} for a, b, c, d in t.tiers]
    init["filters"] = []
    return init


# --- a stored metric in words ----------------------------------------------------------------------


def _bound_text(value: Any, kind: str, per_day: int) -> str:
    try:
        v = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if kind == "duration":
        return duration_text(v, per_day=per_day)
    text = format(v.normalize(), "f")
    return f"{text}%" if kind in slamath.PERCENT_KINDS else text


def summary(definition: Mapping[str, Any], calendar: Any = None, per_day: int | None = None) -> dict[str, Any]:
    """A stored definition as the contract page shows it: labels, words and units, no field names."""
    d = definition
    kind = str(d.get("kind") or "")
    per_day = per_day if per_day is not None else day_minutes(calendar)
    record_kind = d.get("record_kind") or ""
    how = ""
    if kind in ("share_within", "duration"):
        start = field_label(d.get("start_field") or slamath.DEFAULT_START_FIELD)
        end = field_label(d.get("end_field") or slamath.DEFAULT_END_FIELD)
        if kind == "share_within" and d.get("threshold_minutes") is not None:
            how = _g("从%(a)s到%(b)s不超过 %(t)s") % {
                "a": start,
                "b": end,
                "t": duration_text(d["threshold_minutes"], per_day=per_day),
            }
        else:
            stat = STATISTIC_LABELS.get(d.get("statistic") or "", d.get("statistic") or "")
            how = _g("从%(a)s到%(b)s的工作时间（%(s)s）") % {"a": start, "b": end, "s": stat}
    elif kind == "rate" and d.get("flag"):
        how = _g("%(f)s为“是”的占比") % {"f": field_label(d["flag"])}
    elif kind == "rate":
        how = _g("%(a)s不晚于%(b)s的占比") % {
            "a": field_label(d.get("start_field") or ""),
            "b": field_label(d.get("end_field") or ""),
        }
    elif kind == "average":
        how = _g("%(f)s的平均值") % {"f": field_label(d.get("field") or slamath.DEFAULT_AVERAGE_FIELD)}
    sign = "≤" if d.get("direction") == "lower" else "≥"
    tiers = list(d.get("tiers") or [])
    # A boundary value belongs to the better band (see slamath._tier_index): [from, to) with the top band
    # closed when higher is better, (from, to] with the bottom band closed when lower is better.
    lower_better = d.get("direction") == "lower"
    if lower_better:
        edge = min(range(len(tiers)), key=lambda i: Decimal(str(tiers[i].get("from") or 0))) if tiers else -1
    else:
        edge = max(range(len(tiers)), key=lambda i: Decimal(str(tiers[i].get("to") or 0))) if tiers else -1
    return {
        "kind": str(KIND_LABELS.get(kind, kind)),
        "record_kind": record_kind_label(record_kind),
        "invalid_record_kind": record_kind if record_kind and not is_allowed_record_kind(record_kind) else "",
        "window": _g("季度") if d.get("window") == "quarter" else _g("月"),
        "target": f"{sign} {_bound_text(d.get('target'), kind, per_day)}",
        "how": how,
        "filters": [filter_text(f) for f in d.get("filter") or []],
        "tiers": [
            {
                "range": "{}{}, {}{}".format(
                    "(" if lower_better and i != edge else "[",
                    _bound_text(t.get("from"), kind, per_day),
                    _bound_text(t.get("to"), kind, per_day),
                    "]" if lower_better or i == edge else ")",
                ),
                "consequence": str(CONSEQUENCE_LABELS.get(t.get("consequence") or "none", "")),
                "amount": ""
                if (t.get("consequence") or "none") == "none"
                else f"{t.get('amount')}{'%' if 'percent' in str(t.get('consequence')) else ''}",
            }
            for i, t in enumerate(tiers)
        ],
        "min_sample": d.get("min_sample") or 0,
        "weight": d.get("weight") or "1",
    }


def setting_text(key: str, value: Any, definition: Mapping[str, Any], per_day: int) -> str | None:
    """One setting of a definition as people read it (for version and amendment diffs)."""
    if value is None or value == "" or value == []:
        return None
    kind = str(definition.get("kind") or "")
    if key == "threshold_minutes":
        return duration_text(value, per_day=per_day)
    if key == "target":
        return _bound_text(value, kind, per_day)
    if key in ("start_field", "end_field", "flag", "field"):
        return field_label(str(value))
    if key == "kind":
        return str(KIND_LABELS.get(str(value), value))
    if key == "record_kind":
        return record_kind_label(str(value))
    if key == "window":
        return _g("季度") if value == "quarter" else _g("月")
    if key == "direction":
        return _g("越低越好") if value == "lower" else _g("越高越好")
    if key == "statistic":
        return str(STATISTIC_LABELS.get(str(value), value))
    if key == "filter" and isinstance(value, list):
        return "\n".join(filter_text(f) for f in value)
    if key == "tiers" and isinstance(value, list):
        rows = summary({**definition, "tiers": value}, per_day=per_day)["tiers"]
        return "\n".join(" ".join(x for x in (t["range"], t["consequence"], t["amount"]) if x) for t in rows)
    return str(value)


def definition_text(definition: Mapping[str, Any], per_day: int = DEFAULT_DAY_MINUTES) -> str:
    """A whole definition as a few readable lines (a metric added or removed in a diff)."""
    s = summary(definition, per_day=per_day)
    lines = [" · ".join(x for x in (s["kind"], s["record_kind"], s["window"]) if x)]
    lines.append(" · ".join(x for x in (_g("目标") + " " + s["target"], s["how"]) if x))
    lines += s["filters"]
    lines += [" ".join(x for x in (t["range"], t["consequence"], t["amount"]) if x) for t in s["tiers"]]
    return "\n".join(lines)
