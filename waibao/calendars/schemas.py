from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema

from waibao.calendars.models import Preset
from waibao.core.apiutils import Choice


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    weekly_hours: dict[str, list[list[str]]]
    holidays: list[str]
    recurring_holidays: list[str]
    workdays: list[str]
    preset: Annotated[str, Choice(Preset)]
    description: str
    version: int


class CalendarIn(Schema):
    name: str
    preset: Annotated[str, Choice(Preset)] = ""
    time_zone: str | None = None
    weekly_hours: dict[str, list[list[str]]] | None = None
    holidays: list[str] | None = None
    recurring_holidays: list[str] | None = None
    workdays: list[str] | None = None
    description: str = ""


class CalendarPut(Schema):
    name: str | None = None
    time_zone: str | None = None
    weekly_hours: dict[str, list[list[str]]] | None = None
    holidays: list[str] | None = None
    recurring_holidays: list[str] | None = None
    workdays: list[str] | None = None
    description: str | None = None


class BusinessTimeIn(Schema):
    start: datetime
    end: datetime
    pauses: list[list[datetime]] = []


class BusinessTimeOut(Schema):
    business_seconds: int


class DueIn(Schema):
    start: datetime
    business_seconds: int
    pauses: list[list[datetime]] = []


class DueOut(Schema):
    due: str
