"""Numbers for people: Decimals without exponent notation or trailing zeros ("90", not "9E+1" or "90.0000")."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any


def plain(value: Any, places: int | None = None) -> str:
    """``value`` (Decimal, int, float or numeric text) as plain positional text; "" for None/blank.

    ``places`` rounds (half up) to at most that many decimals first. Trailing zeros are dropped and
    exponents never appear: Decimal("90.0000") → "90", Decimal("9E+1") → "90", 0.125 (places=2) → "0.13".
    Text that is not a number comes back unchanged.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    number = number.normalize()
    if number == 0:
        number = Decimal(0)
    return format(number, "f")


# --- durations and metric values for people: hours with their unit, never bare minutes ------------


def hours(seconds: Any) -> str:
    """Seconds as hours with the unit: 2100 → "0.58 小时" / "0.58 hours"; "" for None.

    Two decimals under ten hours (a 35-minute response is 0.58 h), one decimal above.
    """
    from django.utils.translation import ngettext

    if seconds is None or seconds == "":
        return ""
    h = Decimal(str(seconds)) / Decimal(3600)
    text = plain(h, 2 if abs(h) < 10 else 1)
    n = 1 if text == "1" else 2
    return ngettext("%(n)s 小时", "%(n)s 小时", n) % {"n": text}


def duration(seconds: Any) -> str:
    """Elapsed (wall-clock) seconds as hours, or days from two days up: "5.5 小时", "3.2 天"."""
    from django.utils.translation import ngettext

    if seconds is None or seconds == "":
        return ""
    s = Decimal(str(seconds))
    if abs(s) < 48 * 3600:
        return hours(s)
    text = plain(s / Decimal(86400), 1)
    return ngettext("%(n)s 天", "%(n)s 天", 2) % {"n": text}


def field_label(name: str | None) -> str:
    """A record field as the reader calls it (the model's verbose name); custom fields by their name."""
    from waibao.delivery.models import ServiceRecord

    if not name:
        return ""
    try:
        return str(getattr(ServiceRecord._meta.get_field(name), "verbose_name", name))
    except Exception:  # a custom field: its own name is what the contract calls it
        return name.removeprefix("custom.")


def day_minutes(metric: Any) -> int:
    """Business minutes in a workday of the metric's calendar (kept on the metric for the page's cells).

    ``metric`` is an ``SlaMetric``, or anything that already knows its ``per_day``."""
    from waibao.contracts import metric_ui

    known = getattr(metric, "per_day", None)
    if isinstance(known, int):
        return known
    cached = getattr(metric, "_day_minutes", None)
    if cached is None:
        cached = metric_ui.day_minutes(getattr(metric, "calendar", None))
        metric._day_minutes = cached
    return int(cached)


def business_duration(minutes: Any, per_day: int | None = None) -> str:
    """Business minutes as the contract pages say them, through the metric's calendar: "5 个工作日",
    "32.5 个工作小时" (:func:`waibao.contracts.metric_ui.duration_text`, the one function for both)."""
    from waibao.contracts import metric_ui

    return metric_ui.duration_text(minutes, per_day=per_day if per_day else metric_ui.DEFAULT_DAY_MINUTES)


def metric_value(definition: Any, value: Any, per_day: int | None = None) -> str:
    """A result value in the metric's unit: "95.5%", "4 个工作日" (duration results are business minutes,
    said through the metric's calendar, ``per_day`` business minutes a day), "4.5"; "—" when there is none."""
    if value is None or value == "":
        return "—"
    kind = (definition or {}).get("kind")
    if kind in ("share_within", "rate"):
        return plain(value, 2) + "%"
    if kind == "duration":
        return business_duration(value, per_day)
    return plain(value, 2)


def metric_target(definition: Any, per_day: int | None = None) -> str:
    """The target with its direction and unit: "≥ 95%", "≤ 5 个工作日", "≥ 4.5"."""
    d = definition or {}
    if d.get("target") in (None, ""):
        return ""
    sign = "≤" if d.get("direction") == "lower" else "≥"
    return f"{sign} {metric_value(d, d.get('target'), per_day)}"


def _condition(cond: Any) -> str:
    from django.utils.translation import gettext as _

    field, op, value = (
        ([*list(cond), None, None, None])[:3]
        if isinstance(cond, list | tuple)
        else (
            getattr(cond, "field", ""),
            getattr(cond, "op", ""),
            getattr(cond, "value", ""),
        )
    )
    from waibao.core.texts import join_list

    shown = join_list(plain(v) for v in value) if isinstance(value, list | tuple) else plain(value)
    if op == "ne":
        return _("%(f)s不等于 %(v)s") % {"f": field_label(field), "v": shown}
    if op == "in":
        return _("%(f)s属于 %(v)s") % {"f": field_label(field), "v": shown}
    return _("%(f)s等于 %(v)s") % {"f": field_label(field), "v": shown}


def rule_text(definition: Any, per_day: int | None = None) -> str:
    """What counts as a miss, in words: field labels, time limits as the contract pages say them (through
    the metric's calendar, ``per_day`` business minutes a day), no field names or codes."""
    from django.utils.translation import gettext as _

    d = definition or {}
    kind = d.get("kind")
    start, end = field_label(d.get("start_field") or "opened_at"), field_label(d.get("end_field") or "")
    if kind == "share_within":
        text = _("从%(s)s到%(e)s的工作时间不超过 %(h)s算达成（暂停时间不计）") % {
            "s": start,
            "e": end,
            "h": business_duration(int(d.get("threshold_minutes") or 0), per_day),
        }
    elif kind == "duration":
        stat = {
            "mean": _("平均值"),
            "median": _("中位数"),
            "p90": _("90% 分位数"),
            "p95": _("95% 分位数"),
        }.get(str(d.get("statistic") or ""), str(d.get("statistic") or ""))
        text = _("从%(s)s到%(e)s的工作时间（%(stat)s）；超过 %(h)s的记录列为未达标") % {
            "s": start,
            "e": end,
            "stat": stat,
            "h": business_duration(Decimal(str(d.get("target") or 0)), per_day),
        }
    elif kind == "rate" and d.get("flag"):
        text = _("%(f)s为“是”的记录占比") % {"f": field_label(d["flag"])}
    elif kind == "rate":
        text = _("%(s)s不晚于%(e)s的记录占比") % {"s": start, "e": end}
    elif kind == "average":
        text = _("%(f)s的平均值；低于目标的记录列为未达标") % {"f": field_label(d.get("field") or "csat")}
        if d.get("direction") == "lower":
            text = _("%(f)s的平均值；高于目标的记录列为未达标") % {"f": field_label(d.get("field") or "csat")}
    elif kind == "count":
        text = _("记录数")
    else:
        text = _("人工填报")
    conditions = [_condition(c) for c in d.get("filter") or []]
    if conditions:
        text += _("；仅统计%(c)s的记录") % {"c": _("，").join(conditions)}
    return text


# --- the missed-records list: the columns the metric uses, for the page and for exports ----------


def _flag_text(value: Any) -> str:
    from django.utils.translation import gettext as _

    if value is None or value == "":
        return ""
    return _("是") if value in (True, "true", "yes", "1", 1) else _("否")


def missed_columns(definition: Any) -> list[tuple[str, str, str]]:
    """(key, heading on the page, heading in an export) of the columns a metric's missed list shows:
    the record id, the fields its filter uses, then what the metric measures (the two times, the
    business time and how far over the limit; the deadline and how late; the flag; the averaged value)."""
    from django.utils.translation import gettext as _

    d = definition or {}
    kind = d.get("kind")
    cols: list[tuple[str, str, str]] = [
        ("external_id", field_label("external_id"), field_label("external_id"))
    ]
    measured: list[str] = []
    if kind in ("share_within", "duration") or (kind == "rate" and not d.get("flag")):
        measured = [d.get("start_field") or "opened_at", d.get("end_field") or ""]
    elif kind == "rate":
        measured = [d["flag"]]
    elif kind == "average":
        measured = [d.get("field") or "csat"]
    else:
        measured = ["opened_at"]
    for cond in d.get("filter") or []:
        name = cond[0] if isinstance(cond, list | tuple) else ""
        if name and name not in measured and all(c[0] != name for c in cols):
            cols.append((name, field_label(name), field_label(name)))
    cols += [(name, field_label(name), field_label(name)) for name in measured if name]
    if kind in ("share_within", "duration"):
        cols.append(("@business", _("工作时间"), _("工作时间（小时）")))
    if kind == "share_within" or (kind == "duration" and d.get("direction") == "lower"):
        cols.append(("@over", _("超出时限"), _("超出时限（小时）")))
    if kind == "rate" and not d.get("flag"):
        cols.append(("@over", _("晚了"), _("晚了（小时）")))
    if kind in ("share_within", "duration"):
        cols.append(("@pauses", _("暂停段数"), _("暂停段数")))
    return cols


def missed_cells(
    definition: Any, item: Any, columns: list[tuple[str, str, str]], *, export: bool = False
) -> list[Any]:
    """One missed record's cells for ``columns``: text for the page (hours with their unit, local times),
    plain values for an export (numbers of hours, local times without zone)."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    rec = item.record
    out: list[Any] = []
    for key, _label, _export_label in columns:
        if key == "@business":
            secs = item.seconds
            if secs is None:
                out.append(None if export else _("缺少时间"))
            else:
                out.append(_hours_number(max(0, secs)) if export else hours(max(0, secs)))
            continue
        if key == "@over":
            over = item.over
            if over is None:
                out.append(None if export else "—")
            else:
                out.append(_hours_number(over) if export else hours(over))
            continue
        if key == "@pauses":
            out.append(len(rec.get("pauses") or []))
            continue
        value = rec.get(key) if key in rec else (rec.get("custom") or {}).get(key.removeprefix("custom."))
        if isinstance(value, datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            out.append(local.replace(tzinfo=None) if export else local.strftime("%Y-%m-%d %H:%M"))
        elif isinstance(value, bool) or key == "defect":
            out.append(_flag_text(value))
        elif value is None:
            out.append(None if export else "")
        else:
            out.append(value)
    return out


def _hours_number(seconds: int) -> Decimal:
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"))
