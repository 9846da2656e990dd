"""Calendars are shared reference data: every signed-in user reads them; admins and managers write."""

from __future__ import annotations

from typing import Any

from waibao.calendars.models import Calendar
from waibao.core import access
from waibao.core.access import Rule

SCOPES = access.register({Calendar: Rule(vendor=None)})


def get_calendar(user: Any, pk: object, *, write: bool = False) -> Calendar:
    return access.get(Calendar, user, pk, write=write, action="calendars.write")
