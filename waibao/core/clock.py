"""The one source of "now". Services take `now` from here so tests can travel in time (time-machine)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()
