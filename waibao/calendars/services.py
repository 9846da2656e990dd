"""Writes for business calendars: create, update, delete, and the two built-ins."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from waibao.calendars.models import Calendar, Preset, build_business_calendar, default_weekly_hours
from waibao.core import audit
from waibao.core.errors import DomainError
from waibao.lib import businesstime

CHINA_NAME = "中国大陆 法定节假日"
TWENTY_FOUR_SEVEN_NAME = "24×7"
FIELDS = (
    "name",
    "time_zone",
    "weekly_hours",
    "holidays",
    "recurring_holidays",
    "workdays",
    "preset",
    "description",
)


def _preset_spec(preset: str) -> dict[str, Any]:
    if preset == Preset.TWENTY_FOUR_SEVEN:
        hours = {d: [["00:00", "24:00"]] for d in businesstime.WEEKDAYS}
    else:
        hours = default_weekly_hours()
    return {
        "time_zone": "Asia/Shanghai",
        "weekly_hours": hours,
        "holidays": [],
        "recurring_holidays": [],
        "workdays": [],
    }


def ensure_builtin_calendars() -> None:
    """Create "中国大陆 法定节假日" and "24×7" when missing (idempotent)."""
    for preset, name, description in (
        (
            Preset.CHINA,
            CHINA_NAME,
            "Asia/Shanghai，周一至周五 09:00–12:00、13:00–18:00，国务院公布的法定节假日与调休。",
        ),
        (Preset.TWENTY_FOUR_SEVEN, TWENTY_FOUR_SEVEN_NAME, "全年每天 00:00–24:00，无节假日。"),
    ):
        if Calendar.objects.filter(preset=preset).exists():
            continue
        with transaction.atomic():
            cal = Calendar.objects.create(
                name=name, preset=preset, description=description, **_preset_spec(preset)
            )
            audit.record(
                "system", "calendars.calendar.created", cal, changes=audit.created(cal, ("name", "preset"))
            )


def china_calendar() -> Calendar:
    ensure_builtin_calendars()
    return Calendar.objects.filter(preset=Preset.CHINA).order_by("pk").first()  # type: ignore[return-value]


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key in ("holidays", "workdays"):
        out[key] = sorted({str(v) for v in (out.get(key) or [])})
    out["recurring_holidays"] = sorted({str(v) for v in (out.get("recurring_holidays") or [])})
    hours = out.get("weekly_hours")
    if isinstance(hours, dict):
        out["weekly_hours"] = {d: [list(i) for i in hours.get(d, [])] for d in businesstime.WEEKDAYS}
    return out


_DAY_NAMES = {
    "mon": N_("周一"), "tue": N_("周二"), "wed": N_("周三"), "thu": N_("周四"), "fri": N_("周五"),
    "sat": N_("周六"), "sun": N_("周日"),
}  # fmt: skip
_FIELD_NAMES = {
    "time_zone": N_("时区"),
    "weekly_hours": N_("每周工作时间"),
    "holidays": N_("节假日"),
    "recurring_holidays": N_("每年固定节假日"),
    "workdays": N_("调休工作日"),
}
_V = r"(?P<v>'[^']*'|\"[^\"]*\"|\S+)"
#: businesstime.validate_spec speaks English; each rule it can report, as a pattern and a Chinese message.
_SPEC_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_V} is not a time in HH:MM format$"), N_("%(where)s：“%(v)s”不是 HH:MM 格式的时间。")),
    (re.compile(r"^24:00 is only allowed as the end of an interval$"), N_("%(where)s：24:00 只能作为时段的结束时间。")),
    (re.compile(rf"^{_V} is not a valid time of day$"), N_("%(where)s：“%(v)s”不是有效的时刻。")),
    (re.compile(r"^must be a list of \[start, end\] intervals$"), N_("%(where)s：应为若干“开始-结束”时段。")),
    (re.compile(rf"^{_V} is not a \[start, end\] pair$"), N_("%(where)s：“%(v)s”不是“开始-结束”时段。")),
    (re.compile(r"^interval (?P<v>.+) ends before it starts$"), N_("%(where)s：时段 %(v)s 的结束时间早于开始时间。")),
    (re.compile(r"^interval (?P<v>.+) is empty$"), N_("%(where)s：时段 %(v)s 的开始与结束相同。")),
    (re.compile(r"^intervals (?P<v>.+) and (?P<w>.+) overlap$"), N_("%(where)s：时段 %(v)s 与 %(w)s 重叠。")),
    (re.compile(r"^must be an object keyed by weekday"), N_("%(where)s：应按星期（mon…sun）填写。")),
    (re.compile(r"^unknown weekday\(s\) (?P<v>.+); use"), N_("%(where)s：未知的星期 %(v)s，请用 mon、tue…sun。")),
    (re.compile(r"^at least one weekday needs working hours$"), N_("%(where)s：至少一天需要有工作时间。")),
    (re.compile(r"^must be an IANA time zone name"), N_("%(where)s：请填写 IANA 时区名称，如 Asia/Shanghai。")),
    (re.compile(rf"^unknown time zone {_V}$"), N_("%(where)s：未知的时区“%(v)s”。")),
    (re.compile(rf"^{_V} is not a date$"), N_("%(where)s：“%(v)s”不是日期。")),
    (re.compile(r"^(?P<v>\S+) is outside the supported years (?P<w>\S+)$"), N_("%(where)s：%(v)s 超出支持的年份范围（%(w)s）。")),
    (re.compile(rf"^{_V} is not a month-day in MM-DD format$"), N_("%(where)s：“%(v)s”不是 MM-DD 格式的月日。")),
    (re.compile(r"^(?P<v>.+) also listed as holiday\(s\); a date cannot be both$"), N_("%(where)s：%(v)s 同时被列为节假日，一个日期不能既放假又上班。")),
    (re.compile(r"^must be a list of YYYY-MM-DD dates$"), N_("%(where)s：应为 YYYY-MM-DD 格式的日期列表。")),
    (re.compile(rf"^{_V} is not a date in YYYY-MM-DD format$"), N_("%(where)s：“%(v)s”不是 YYYY-MM-DD 格式的日期。")),
    (re.compile(rf"^{_V} is not a valid date$"), N_("%(where)s：“%(v)s”不是有效日期。")),
    (re.compile(r"^must be a list of MM-DD strings$"), N_("%(where)s：应为 MM-DD 格式的月日列表。")),
    (re.compile(r"^unknown field$"), N_("%(where)s：未知字段。")),
    (re.compile(r"^this field is required$"), N_("%(where)s：必填。")),
    (re.compile(r"^calendar must be a JSON object$"), N_("日历定义应为 JSON 对象。")),
]  # fmt: skip


def _where(key: str) -> str:
    """The field a message is about, for people: "weekly_hours.mon" → "周一"."""
    head, _sep, day = key.partition(".")
    if head == "weekly_hours" and day in _DAY_NAMES:
        return _(_DAY_NAMES[day])
    return _(_FIELD_NAMES[head]) if head in _FIELD_NAMES else key


def translate_spec_message(key: str, message: str) -> str:
    """One businesstime message in the user's language (the English original when no rule matches)."""
    for pattern, template in _SPEC_MESSAGES:
        m = pattern.search(message)
        if m:
            groups = {k: (v or "").strip("'\"") for k, v in m.groupdict().items()}
            return _(template) % {"where": _where(key), "v": groups.get("v", ""), "w": groups.get("w", "")}
    return message


def translate_spec_errors(errors: dict[str, str]) -> dict[str, str]:
    """Field key → translated message; the keys (``weekly_hours.mon`` …) are kept for forms and API."""
    return {key: translate_spec_message(key, msg) for key, msg in errors.items()}


def _validate(name: str, preset: str, spec: dict[str, Any], *, exclude_pk: int | None = None) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("请填写名称。")
    elif Calendar.objects.filter(name=name.strip()).exclude(pk=exclude_pk or 0).exists():
        errors["name"] = _("已有同名日历。")
    errors.update(translate_spec_errors(businesstime.validate_spec(spec)))
    if not errors:
        try:
            build_business_calendar(preset, spec)
        except businesstime.CalendarSpecError as exc:
            errors.update(translate_spec_errors(exc.errors))
    if errors:
        raise DomainError(_("日历定义有误，请检查标出的字段。"), fields=errors)


def create_calendar(*, actor: Any, name: str, preset: str = "", **spec: Any) -> Calendar:
    """Create a calendar; ``preset="china-mainland"`` (or ``"24x7"``) fills in the built-in definition."""
    if preset and preset not in Preset.values:
        raise DomainError(_("未知的预置日历。"), fields={"preset": _("可选：china-mainland、24x7")})
    description = str(spec.pop("description", "") or "")
    base = _preset_spec(preset) if preset else {}
    merged = {**base, **{k: v for k, v in spec.items() if v is not None}}
    merged.setdefault("time_zone", "Asia/Shanghai")
    merged.setdefault("weekly_hours", default_weekly_hours())
    data = _normalise(merged)
    spec_only = {
        k: data.get(k, [])
        for k in ("time_zone", "weekly_hours", "holidays", "recurring_holidays", "workdays")
    }
    _validate(name, preset, spec_only)
    with transaction.atomic():
        cal = Calendar.objects.create(name=name.strip(), preset=preset, description=description, **spec_only)
        audit.record(actor, "calendars.calendar.created", cal, changes=audit.created(cal, FIELDS))
    return cal


def update_calendar(*, calendar: Calendar, actor: Any, **changes: Any) -> Calendar:
    """Change name, time zone, hours, holidays, recurring holidays, make-up workdays or description."""
    allowed = {
        "name",
        "time_zone",
        "weekly_hours",
        "holidays",
        "recurring_holidays",
        "workdays",
        "description",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("不能修改这些字段。"), fields={k: _("未知字段") for k in unknown})
    before = audit.snapshot(calendar, FIELDS)
    data = _normalise(
        {**calendar.spec(), **{k: v for k, v in changes.items() if k != "description" and k != "name"}}
    )
    name = str(changes.get("name", calendar.name))
    spec_only = {
        k: data[k] for k in ("time_zone", "weekly_hours", "holidays", "recurring_holidays", "workdays")
    }
    _validate(name, calendar.preset, spec_only, exclude_pk=calendar.pk)
    with transaction.atomic():
        locked = Calendar.objects.select_for_update().get(pk=calendar.pk)
        if locked.version != calendar.version:
            from waibao.core.errors import ConflictError

            raise ConflictError(_("该日历已被他人修改，请刷新后重试。"))
        calendar.name = name.strip()
        for key, value in spec_only.items():
            setattr(calendar, key, value)
        if "description" in changes:
            calendar.description = str(changes["description"] or "")
        calendar.version += 1
        calendar.save(update_fields=[*spec_only, "name", "description", "version", "updated_at"])
        audit.record(
            actor,
            "calendars.calendar.updated",
            calendar,
            changes=audit.diff(before, audit.snapshot(calendar, FIELDS)),
        )
    return calendar


def delete_calendar(*, calendar: Calendar, actor: Any) -> None:
    if calendar.sla_metrics.exists():
        raise DomainError(_("该日历正被 SLA 指标使用，不能删除。"), code="in_use", status=409)
    with transaction.atomic():
        audit.record(actor, "calendars.calendar.deleted", calendar, changes={"name": [calendar.name, None]})
        calendar.delete()
