"""The one source of "now". Services take `now` from here so tests can travel in time (time-machine)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()


def start_of_day(d: date) -> datetime:
    """Midnight at the start of ``d`` in the installation's time zone (settings.TIME_ZONE), as an aware datetime.

    Every period boundary a user reads as a calendar day (inspection lots, SLA periods, exports, dashboards)
    is built with this, never with UTC midnight: the October lot of a Beijing installation ends at
    1 November 00:00 Beijing time (31 October 16:00 UTC).
    """
    return timezone.make_aware(datetime(d.year, d.month, d.day), timezone.get_default_timezone())


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """Half-open [start, end) aware range covering the local calendar days ``first`` .. ``last`` inclusive."""
    from datetime import timedelta

    return start_of_day(first), start_of_day(last + timedelta(days=1))


def local_date(moment: datetime) -> date:
    """The calendar day ``moment`` falls on in the installation's time zone."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()
