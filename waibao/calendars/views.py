"""Calendar pages: list, detail (a month view of working hours), create and edit."""

from __future__ import annotations

import calendar as pycal
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waibao.accounts import policy
from waibao.calendars import services
from waibao.calendars.access import get_calendar
from waibao.calendars.forms import CalendarForm
from waibao.calendars.models import Calendar
from waibao.core import clock, params
from waibao.core.errors import DomainError
from waibao.core.forms import apply_domain_error
from waibao.lib import businesstime


def calendars_without_holiday_data(today: date, days: int = 60) -> list[Calendar]:
    """Calendars used by an SLA metric that have no dated holidays for the coming ``days``.

    24×7 calendars are excluded: they deliberately have no holidays.
    """
    used = Calendar.objects.filter(sla_metrics__retired=False).exclude(preset="24x7").distinct()
    out = []
    for cal in used:
        bc = cal.business_calendar()
        if not any(
            bc.weekly_hours[d] == [("00:00", "24:00")] for d in ("sat", "sun")
        ) and not businesstime.has_holiday_data(bc, today, days):
            out.append(cal)
    return out


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    services.ensure_builtin_calendars()
    today = clock.today()
    warn = {c.pk for c in calendars_without_holiday_data(today)}
    cals = list(Calendar.objects.order_by("name"))
    return render(request, "calendars/list.html", {"calendars": cals, "warn": warn, "today": today})


@login_required
def calendar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cal = get_calendar(request.user, pk)
    bc = cal.business_calendar()
    today = clock.today()
    first = params.month_param(request, "month") or today.replace(day=1)
    weeks = []
    for week in pycal.Calendar().monthdatescalendar(first.year, first.month):
        row = []
        for d in week:
            ivs = businesstime.working_intervals(bc, d)
            row.append({
                "date": d, "in_month": d.month == first.month,
                "hours": ", ".join(f"{a:%H:%M}–{b:%H:%M}" if b.date() == a.date() else f"{a:%H:%M}–24:00" for a, b in ivs),
                "holiday": d in bc.holidays, "workday": d in bc.workdays,
            })  # fmt: skip
        weeks.append(row)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    builtin_h, builtin_w = cal.builtin_days()
    ctx: dict[str, Any] = {
        "calendar": cal, "weeks": weeks, "first": first, "prev": prev_month, "next": next_month,
        "has_data": businesstime.has_holiday_data(bc, today, 60), "builtin_count": len(builtin_h) + len(builtin_w),
        "years": sorted({d.year for d in bc.holidays}), "can_write": policy.can(request.user, "calendars.write"),
        "weekdays": [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")],
        "in_use": cal.sla_metrics.filter(retired=False).count(),
    }  # fmt: skip
    return render(request, "calendars/detail.html", ctx)


@login_required
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    cal = get_calendar(request.user, pk, write=True) if pk else None
    if cal is None:
        policy.require(request.user, "calendars.write")
    initial = CalendarForm.initial_from(cal) if cal else CalendarForm.initial_from(Calendar(name=""))
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        spec = form.spec()
        try:
            if cal is None:
                cal = services.create_calendar(actor=request.user, **spec)
            else:
                services.update_calendar(calendar=cal, actor=request.user, **spec)
        except DomainError as exc:
            fields = {
                ("hours_" + k.split(".", 1)[1] if k.startswith("weekly_hours.") else k): v
                for k, v in exc.fields.items()
            }
            apply_domain_error(form, DomainError(exc.message, fields=fields))
        else:
            messages.success(request, _("日历已保存。"))
            return redirect("calendars:detail", pk=cal.pk)
    return render(request, "calendars/form.html", {"form": form, "calendar": cal})


@login_required
@require_POST
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    cal = get_calendar(request.user, pk, write=True)
    try:
        services.delete_calendar(calendar=cal, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("calendars:detail", pk=cal.pk)
    messages.success(request, _("日历已删除。"))
    return redirect("calendars:list")
