from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from waibao.core.forms import BootstrapMixin
from waibao.lib import businesstime

DAY_LABELS = {
    "mon": _("周一"), "tue": _("周二"), "wed": _("周三"), "thu": _("周四"), "fri": _("周五"), "sat": _("周六"), "sun": _("周日"),
}  # fmt: skip


class CalendarForm(BootstrapMixin, forms.Form):
    """Hours per weekday as text ("09:00-12:00, 13:00-18:00"), dates one per line or comma-separated."""

    name = forms.CharField(label=_("名称"), max_length=100)
    time_zone = forms.CharField(label=_("时区"), max_length=64, initial="Asia/Shanghai")
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    holidays = forms.CharField(
        label=_("节假日"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行或以逗号分隔一个日期，格式 YYYY-MM-DD。"),
    )  # fmt: skip
    recurring_holidays = forms.CharField(
        label=_("每年固定节假日"), required=False, help_text=_("MM-DD，逗号分隔，例如 01-01, 05-01。")
    )
    workdays = forms.CharField(
        label=_("调休工作日"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("周末需上班的日期，按正常工作日时间计算。"),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in businesstime.WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=DAY_LABELS[day], required=False, widget=forms.TextInput(attrs={"class": "form-control"}),
                help_text=_("例如 09:00-12:00, 13:00-18:00；留空为休息日。") if day == "mon" else "",
            )  # fmt: skip
        # Working hours first, then the exceptions to them (holidays, make-up workdays).
        self.order_fields(
            ["name", "time_zone", "description", *(f"hours_{d}" for d in businesstime.WEEKDAYS),
             "holidays", "recurring_holidays", "workdays"]
        )  # fmt: skip

    @staticmethod
    def _split(raw: str) -> list[str]:
        return [p.strip() for p in raw.replace("\n", ",").replace("，", ",").split(",") if p.strip()]

    def spec(self) -> dict[str, Any]:
        d = self.cleaned_data
        hours: dict[str, list[list[str]]] = {}
        for day in businesstime.WEEKDAYS:
            intervals = []
            for part in self._split(d.get(f"hours_{day}") or ""):
                a, _sep, b = part.replace("–", "-").partition("-")
                intervals.append([a.strip(), b.strip()])
            hours[day] = intervals
        return {
            "name": d["name"],
            "time_zone": d["time_zone"].strip(),
            "description": d.get("description") or "",
            "weekly_hours": hours,
            "holidays": self._split(d.get("holidays") or ""),
            "recurring_holidays": self._split(d.get("recurring_holidays") or ""),
            "workdays": self._split(d.get("workdays") or ""),
        }

    @classmethod
    def initial_from(cls, cal: Any) -> dict[str, Any]:
        init = {
            "name": cal.name, "time_zone": cal.time_zone, "description": cal.description,
            "holidays": "\n".join(cal.holidays or []), "recurring_holidays": ", ".join(cal.recurring_holidays or []),
            "workdays": "\n".join(cal.workdays or []),
        }  # fmt: skip
        for day in businesstime.WEEKDAYS:
            init[f"hours_{day}"] = ", ".join(f"{a}-{b}" for a, b in (cal.weekly_hours or {}).get(day, []))
        return init


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
