"""Calendars are shared reference data: every signed-in user reads them; admins and managers write."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from waibao.accounts import policy
from waibao.calendars.models import Calendar


def get_calendar(user: Any, pk: Any, *, write: bool = False) -> Calendar:
    if not policy.can_read(user):
        raise Http404
    try:
        cal = Calendar.objects.get(pk=int(pk))
    except (Calendar.DoesNotExist, ValueError, TypeError):
        raise Http404
    if write:
        policy.require(user, "calendars.write")
    return cal
