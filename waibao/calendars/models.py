"""Business calendars 工作日历: working hours per weekday, holidays and make-up workdays 调休.

The maths lives in :mod:`waibao.lib.businesstime`; this model stores a calendar and turns it into a
:class:`~waibao.lib.businesstime.BusinessCalendar`.  The two presets keep their built-in days outside the
database: for "china-mainland" the State Council schedule comes from ``businesstime.china_mainland()`` and
the ``holidays``/``workdays`` stored here are only the days an admin added (e.g. a newly announced year).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from waibao.core.models import TimeStampedModel
from waibao.lib import businesstime


class Preset(models.TextChoices):
    NONE = "", _("自定义")
    CHINA = "china-mainland", _("中国大陆 法定节假日")
    TWENTY_FOUR_SEVEN = "24x7", _("24×7")


def default_weekly_hours() -> dict[str, list[list[str]]]:
    day = [["09:00", "12:00"], ["13:00", "18:00"]]
    return {d: ([list(i) for i in day] if d not in ("sat", "sun") else []) for d in businesstime.WEEKDAYS}


class Calendar(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    time_zone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    weekly_hours = models.JSONField(_("每周工作时间"), default=default_weekly_hours)
    holidays = models.JSONField(_("节假日"), default=list, blank=True)
    recurring_holidays = models.JSONField(_("每年固定节假日"), default=list, blank=True)
    workdays = models.JSONField(_("调休工作日"), default=list, blank=True)
    preset = models.CharField(_("预置"), max_length=20, choices=Preset.choices, default="", blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def spec(self) -> dict[str, Any]:
        """The JSON shape of :func:`businesstime.validate_spec` for what is stored (preset extras only)."""
        return {
            "time_zone": self.time_zone,
            "weekly_hours": self.weekly_hours,
            "holidays": list(self.holidays or []),
            "recurring_holidays": list(self.recurring_holidays or []),
            "workdays": list(self.workdays or []),
        }

    def _cache_key(self) -> tuple[Any, ...]:
        import json

        return (self.preset, json.dumps(self.spec(), sort_keys=True))

    def business_calendar(self) -> businesstime.BusinessCalendar:
        """The calendar for the maths; cached per instance (rebuilt if the stored fields change)."""
        key = self._cache_key()
        cached = getattr(self, "_bc_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        cal = build_business_calendar(self.preset, self.spec())
        self._bc_cache = (key, cal)
        return cal

    def builtin_days(self) -> tuple[frozenset[date], frozenset[date]]:
        """(holidays, workdays) that come with the preset, not stored in the database."""
        if self.preset == Preset.CHINA:
            base = businesstime.china_mainland()
            return base.holidays, base.workdays
        return frozenset(), frozenset()


def build_business_calendar(preset: str, spec: dict[str, Any]) -> businesstime.BusinessCalendar:
    """A BusinessCalendar from a stored spec; for the China preset, merged with the built-in schedule.

    Days an admin adds win over built-in ones: an added holiday removes a built-in make-up workday on the
    same date and vice versa, so the merge never produces a date that is both.
    """
    if preset == Preset.TWENTY_FOUR_SEVEN and not (spec.get("holidays") or spec.get("recurring_holidays")):
        base = businesstime.twenty_four_seven()
        if spec.get("time_zone") == base.time_zone and not spec.get("workdays"):
            return base
    parsed = businesstime.BusinessCalendar.from_spec(spec)
    if preset != Preset.CHINA:
        return parsed
    base = businesstime.china_mainland()
    if (
        not parsed.holidays
        and not parsed.workdays
        and parsed.time_zone == base.time_zone
        and (parsed.weekly_hours == base.weekly_hours)
    ):
        return base
    holidays = (base.holidays - parsed.workdays) | parsed.holidays
    recurring = parsed.recurring_holidays
    workdays = {d for d in (base.workdays - parsed.holidays) if f"{d.month:02d}-{d.day:02d}" not in recurring}
    workdays |= parsed.workdays
    return businesstime.BusinessCalendar(
        time_zone=parsed.time_zone,
        weekly_hours={d: list(v) for d, v in parsed.weekly_hours.items()},
        holidays=frozenset(holidays),
        recurring_holidays=parsed.recurring_holidays,
        workdays=frozenset(workdays),
    )
