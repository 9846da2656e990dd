"""/api/v1/calendars/ — business calendars and the business-time maths over them.

Instants are ISO 8601 with an offset; answers are in UTC (``...Z``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from waibao.accounts import policy
from waibao.calendars import services
from waibao.calendars.access import get_calendar
from waibao.calendars.models import Calendar
from waibao.calendars.schemas import (
    BusinessTimeIn,
    BusinessTimeOut,
    CalendarIn,
    CalendarOut,
    CalendarPut,
    DueIn,
    DueOut,
)
from waibao.core.apiutils import ERRORS, ERRORS_409, Page, never_conflicts, paginate
from waibao.core.errors import DomainError
from waibao.lib import businesstime

router = Router(tags=["calendars"])


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainError(
            _("时间须带时区偏移（ISO 8601，如 2026-10-08T09:00:00+08:00）。"),
            fields={field: _("缺少时区偏移。")},
        )
    return value


def _pauses(raw: list[list[datetime]]) -> list[tuple[datetime, datetime]]:
    out = []
    for i, p in enumerate(raw):
        if len(p) != 2:
            raise DomainError(_("暂停区间须为 [开始, 结束]。"), fields={f"pauses.{i}": _("须为两个时间。")})
        a, b = _aware(p[0], f"pauses.{i}.0"), _aware(p[1], f"pauses.{i}.1")
        if b < a:
            raise DomainError(_("暂停区间的结束早于开始。"), fields={f"pauses.{i}": _("结束早于开始。")})
        out.append((a, b))
    return out


def _z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.get("/", response={200: Page[CalendarOut], **ERRORS})
def list_calendars(request: HttpRequest, page: int = 1, page_size: int = 50) -> Any:
    # Reading is open to every signed-in user: calendars are reference data, not vendor data.
    return paginate(request, Calendar.objects.order_by("name"), page=page, page_size=page_size)


@router.post("/", response={201: CalendarOut, **ERRORS_409})
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Any:
    policy.require(request.user, "calendars.write")
    data = payload.dict()
    return 201, services.create_calendar(actor=request.user, **data)


@router.get("/{calendar_id}", response={200: CalendarOut, **ERRORS})
def get_one(request: HttpRequest, calendar_id: int) -> Any:
    return get_calendar(request.user, calendar_id)


@router.put("/{calendar_id}", response={200: CalendarOut, **ERRORS_409})
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarPut) -> Any:
    cal = get_calendar(request.user, calendar_id, write=True)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    return services.update_calendar(calendar=cal, actor=request.user, **data)


@router.delete("/{calendar_id}", response={204: None, **ERRORS_409})
def delete_calendar(request: HttpRequest, calendar_id: int) -> Any:
    cal = get_calendar(request.user, calendar_id, write=True)
    services.delete_calendar(calendar=cal, actor=request.user)
    return 204, None


@router.post("/{calendar_id}/business-time", response={200: BusinessTimeOut, **ERRORS})
@never_conflicts
def business_time(request: HttpRequest, calendar_id: int, payload: BusinessTimeIn) -> Any:
    cal = get_calendar(request.user, calendar_id).business_calendar()
    start, end = _aware(payload.start, "start"), _aware(payload.end, "end")
    try:
        seconds = businesstime.business_seconds(cal, start, end, _pauses(payload.pauses))
    except businesstime.OutOfRangeError as exc:
        raise DomainError(_("时间超出支持范围（1970–2100 年）。"), fields={"start": str(exc)})
    return {"business_seconds": seconds}


@router.post("/{calendar_id}/due", response={200: DueOut, **ERRORS})
@never_conflicts
def due(request: HttpRequest, calendar_id: int, payload: DueIn) -> Any:
    cal = get_calendar(request.user, calendar_id).business_calendar()
    if payload.business_seconds < 0:
        raise DomainError(_("工作时长不能为负数。"), fields={"business_seconds": _("不能为负数。")})
    try:
        result = businesstime.due(
            cal, _aware(payload.start, "start"), payload.business_seconds, _pauses(payload.pauses)
        )
    except businesstime.OutOfRangeError as exc:
        raise DomainError(_("时间超出支持范围（1970–2100 年）。"), fields={"start": str(exc)})
    return {"due": _z(result)}
