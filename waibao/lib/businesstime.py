"""Business-time arithmetic: working hours, holidays and SLA durations.

Pure Python (no Django), so it can be used by the calendar API, by batch jobs that
compute SLA durations for millions of records, and in tests without a database.

Model
=====
A :class:`BusinessCalendar` has

* ``time_zone`` -- an IANA zone name; every wall-clock time below is read in it;
* ``weekly_hours`` -- for each weekday ``"mon"`` .. ``"sun"`` a list of working intervals
  ``("HH:MM", "HH:MM")``.  Several intervals per day are allowed (``09:00-12:00`` and
  ``13:00-18:00``); they must not overlap (touching is fine); ``"24:00"`` may only be an end;
* ``holidays`` -- dates that are not worked at all;
* ``recurring_holidays`` -- ``"MM-DD"`` strings, holidays every year (``"02-29"`` only in leap years);
* ``workdays`` -- make-up workdays (调休): dates worked although their weekday has no hours.

Which hours apply on a local date (first rule that matches wins):

1. the date is in ``holidays`` or its month-day is in ``recurring_holidays``: no hours;
2. the date is in ``workdays``: the *normal workday hours*, whatever its weekday;
3. otherwise the hours of its weekday.

*Normal workday hours* are Monday's hours, or, if Monday has none, those of the first weekday
(in the order Monday..Sunday) that has hours.  A date that is both a holiday (dated or
recurring) and a workday is a validation error, as is a calendar without any working interval.

Conventions
===========
* Instants must be timezone-aware (naive datetimes raise ``ValueError``) and are truncated
  to the whole second (microseconds are dropped) before any computation, so every result is
  an exact integer number of seconds and the maths are additive.
* Business time is real elapsed time: a working interval on a date runs from the instant its
  start wall-time occurs in the calendar's zone to the instant its end wall-time occurs
  (``24:00`` = midnight starting the next date).  On DST days an ``00:00-24:00`` day is 23 or
  25 hours long; a ``09:00-17:00`` day is unaffected in zones that switch at night.
* Wall times that occur twice (fall-back fold) mean their *first* occurrence (PEP 495
  ``fold=0``).  Wall times that do not exist (spring-forward gap) mean the instant of the
  transition.  Both rules make the wall-time → instant mapping non-decreasing, so intervals
  never overlap or run backwards: e.g. in America/New_York an interval 01:00-03:00 lasts one
  hour on the spring-forward day and three hours on the fall-back day; 02:00-02:30 on the
  spring-forward day lasts zero seconds.
* ``business_seconds(cal, start, end)`` counts business time in ``[start, end)``; it is ``0``
  when ``end <= start``.  A start outside hours simply counts from the next opening.
* ``due(cal, start, s)`` is the *earliest* whole-second instant ``X >= start`` with
  ``business_seconds(cal, start, X) >= s`` (pauses excluded).  Consequences:

  - ``business_seconds(cal, start, due(cal, start, s)) == s``;
  - ``due(cal, start, business_seconds(cal, start, t)) <= t`` for every ``t``;
  - when the target is reached exactly at closing time, ``due`` is the closing instant
    (e.g. 18:00), not the next opening;
  - ``due(cal, start, 0)`` is ``start`` itself (truncated to the second), even outside business
    hours -- this keeps the second property.  Use :func:`next_business_instant` for "the first
    business instant at or after start".

  Callers decide SLA compliance with ``event <= due`` -- an event exactly at the due instant
  is within the SLA, which is the same as ``within(cal, start, event, limit)``.
* Pauses are ``(from, to)`` pairs of aware datetimes, half-open like everything else.  They
  may be unordered, overlap each other and extend beyond ``[start, end)``; their union is
  subtracted once.  A pause ending before it starts is a ``ValueError``.
* Supported dates: local dates 1970-01-01 to 2100-12-31 in the calendar's zone; instants
  outside raise :class:`OutOfRangeError`.

Speed
=====
Every calendar owns a :class:`CalendarIndex`: flat sorted lists of the UTC start/end
timestamps of all working intervals, with the cumulative business seconds before each
interval.  It is built lazily, one local year at a time, from 1970 up to the latest year asked
for.  ``cumulative(t)`` is then one ``bisect`` and ``business_seconds(a, b)`` is
``cumulative(b) - cumulative(a)``; ``due`` is the inverse lookup (a ``bisect`` on cumulative
totals).  The presets are cached, so their index is shared by all callers in a process.
"""

from __future__ import annotations

import functools
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarIndex",
    "CalendarSpecError",
    "OutOfRangeError",
    "business_seconds",
    "china_mainland",
    "china_mainland_years",
    "due",
    "has_holiday_data",
    "is_business_instant",
    "next_business_instant",
    "twenty_four_seven",
    "validate_spec",
    "within",
    "working_intervals",
]

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_YEAR: Final = 1970
MAX_YEAR: Final = 2100

_DAY: Final = 86400
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_UTC_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)
_HHMM = re.compile(r"(\d\d):(\d\d)")
_MMDD = re.compile(r"(\d\d)-(\d\d)")
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_SPEC_KEYS: Final = frozenset({"time_zone", "weekly_hours", "holidays", "recurring_holidays", "workdays"})

Interval = tuple[str, str]
Pause = tuple[datetime, datetime]


class CalendarSpecError(ValueError):
    """A calendar definition is invalid; ``errors`` maps field names to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{key}: {msg}" for key, msg in self.errors.items()))


class OutOfRangeError(ValueError):
    """An instant falls outside the supported local dates 1970-01-01 .. 2100-12-31."""


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _parse_hhmm(text: object, *, is_end: bool) -> tuple[int | None, str | None]:
    """Return (seconds since midnight, None) or (None, error message)."""
    if not isinstance(text, str) or not (m := _HHMM.fullmatch(text)):
        return None, f"{text!r} is not a time in HH:MM format"
    hours, minutes = int(m[1]), int(m[2])
    if hours == 24 and minutes == 0:
        if not is_end:
            return None, "24:00 is only allowed as the end of an interval"
        return _DAY, None
    if hours > 23 or minutes > 59:
        return None, f"{text!r} is not a valid time of day"
    return hours * 3600 + minutes * 60, None


def _parse_day_hours(raw: object) -> tuple[list[tuple[int, int]], str | None]:
    """Parse one weekday's intervals into sorted (start, end) seconds, or return an error."""
    if not isinstance(raw, list | tuple):
        return [], "must be a list of [start, end] intervals"
    parsed: list[tuple[int, int, str]] = []
    for item in raw:
        if not isinstance(item, list | tuple) or len(item) != 2:
            return [], f"{item!r} is not a [start, end] pair"
        start, err = _parse_hhmm(item[0], is_end=False)
        if err:
            return [], err
        end, err = _parse_hhmm(item[1], is_end=True)
        if err:
            return [], err
        assert start is not None and end is not None
        label = f"{item[0]}–{item[1]}"
        if end < start:
            return [], f"interval {label} ends before it starts"
        if end == start:
            return [], f"interval {label} is empty"
        parsed.append((start, end, label))
    parsed.sort()
    for (_s1, e1, l1), (s2, _e2, l2) in pairwise(parsed):
        if s2 < e1:
            return [], f"intervals {l1} and {l2} overlap"
    return [(s, e) for s, e, _ in parsed], None


def _parse_weekly_hours(raw: object, errors: dict[str, str]) -> dict[str, list[tuple[int, int]]]:
    hours: dict[str, list[tuple[int, int]]] = {day: [] for day in WEEKDAYS}
    if not isinstance(raw, Mapping):
        errors["weekly_hours"] = "must be an object keyed by weekday (mon..sun)"
        return hours
    unknown = sorted(str(k) for k in raw if k not in WEEKDAYS)
    if unknown:
        errors["weekly_hours"] = f"unknown weekday(s) {', '.join(unknown)}; use mon, tue, ..., sun"
    ok = not unknown
    for day in WEEKDAYS:
        if day in raw:
            hours[day], err = _parse_day_hours(raw[day])
            if err:
                errors[f"weekly_hours.{day}"] = err
                ok = False
    if ok and not any(hours.values()):
        errors["weekly_hours"] = "at least one weekday needs working hours"
    return hours


def _check_time_zone(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return "must be an IANA time zone name such as Asia/Shanghai"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}"
    return None


def _check_dates(values: Iterable[object], key: str, errors: dict[str, str]) -> None:
    for value in values:
        if not isinstance(value, date) or isinstance(value, datetime):
            errors[key] = f"{value!r} is not a date"
            return
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            errors[key] = f"{value.isoformat()} is outside the supported years {MIN_YEAR}–{MAX_YEAR}"
            return


def _parse_month_day(text: object) -> tuple[int, int] | None:
    if not isinstance(text, str) or not (m := _MMDD.fullmatch(text)):
        return None
    try:
        date(2000, int(m[1]), int(m[2]))  # 2000 is a leap year, so "02-29" is accepted
    except ValueError:
        return None
    return int(m[1]), int(m[2])


def _check_recurring(values: Iterable[object], errors: dict[str, str]) -> None:
    for value in values:
        if _parse_month_day(value) is None:
            errors["recurring_holidays"] = f"{value!r} is not a month-day in MM-DD format"
            return


def _check_conflicts(
    holidays: Iterable[date], recurring: Iterable[str], workdays: Iterable[date], errors: dict[str, str]
) -> None:
    if "holidays" in errors or "workdays" in errors or "recurring_holidays" in errors:
        return
    hol = set(holidays)
    month_days = {_parse_month_day(r) for r in recurring}
    clash = sorted(d for d in workdays if d in hol or (d.month, d.day) in month_days)
    if clash:
        listed = ", ".join(d.isoformat() for d in clash[:5])
        errors["workdays"] = f"{listed} also listed as holiday(s); a date cannot be both"


def _parse_date_list(raw: object, key: str, errors: dict[str, str]) -> list[date]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        errors[key] = "must be a list of YYYY-MM-DD dates"
        return []
    out: list[date] = []
    for value in raw:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            errors[key] = f"{value!r} is not a date in YYYY-MM-DD format"
            return []
        try:
            out.append(date.fromisoformat(value))
        except ValueError:
            errors[key] = f"{value!r} is not a valid date"
            return []
    _check_dates(out, key, errors)
    return out


def validate_spec(spec: object) -> dict[str, str]:
    """Validate the JSON shape accepted by :meth:`BusinessCalendar.from_spec`.

    Returns ``{}`` when valid, else field name → message, e.g.
    ``{"weekly_hours.mon": "interval 13:00–12:00 ends before it starts"}``.  Unknown top-level
    keys are reported too, so a typo such as ``"holiday"`` does not silently drop data; only
    ``"name"`` is tolerated (and ignored), since the name belongs to the caller's model.
    """
    return _parse_spec(spec)[1]


def _parse_spec(spec: object) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    if not isinstance(spec, Mapping):
        return {}, {"": "calendar must be a JSON object"}
    for key in spec:
        if key not in _SPEC_KEYS and key != "name":
            errors[str(key)] = "unknown field"
    if "time_zone" not in spec:
        errors["time_zone"] = "this field is required"
    elif err := _check_time_zone(spec["time_zone"]):
        errors["time_zone"] = err
    if "weekly_hours" not in spec:
        errors["weekly_hours"] = "this field is required"
        weekly: dict[str, list[tuple[int, int]]] = {}
    else:
        weekly = _parse_weekly_hours(spec["weekly_hours"], errors)
    holidays = _parse_date_list(spec.get("holidays"), "holidays", errors)
    workdays = _parse_date_list(spec.get("workdays"), "workdays", errors)
    recurring_raw = spec.get("recurring_holidays") or []
    recurring: list[str] = []
    if not isinstance(recurring_raw, list | tuple):
        errors["recurring_holidays"] = "must be a list of MM-DD strings"
    else:
        _check_recurring(recurring_raw, errors)
        recurring = [str(r) for r in recurring_raw]
    _check_conflicts(holidays, recurring, workdays, errors)
    parsed = {
        "time_zone": spec.get("time_zone"),
        "weekly_hours": {day: [_fmt(s, e) for s, e in ivs] for day, ivs in weekly.items()},
        "holidays": frozenset(holidays),
        "recurring_holidays": frozenset(recurring),
        "workdays": frozenset(workdays),
    }
    return parsed, errors


def _fmt_time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _fmt(start: int, end: int) -> Interval:
    return _fmt_time(start), _fmt_time(end)


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessCalendar:
    """An immutable business calendar; see the module docstring for the rules.

    The constructor validates and normalises (all seven weekdays present, intervals sorted,
    tuples of ``"HH:MM"`` strings) and raises :class:`CalendarSpecError`.  Treat
    ``weekly_hours`` as read-only: the lazily built index assumes it never changes.
    """

    time_zone: str
    # A dict is not hashable; leaving it out of the hash keeps calendars usable as dict keys
    # (equal calendars still hash equal, since the other fields are compared too).
    weekly_hours: dict[str, list[tuple[str, str]]] = field(hash=False)
    holidays: frozenset[date] = frozenset()
    recurring_holidays: frozenset[str] = frozenset()
    workdays: frozenset[date] = frozenset()
    _index: CalendarIndex = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if err := _check_time_zone(self.time_zone):
            errors["time_zone"] = err
        parsed = _parse_weekly_hours(self.weekly_hours, errors)
        holidays, recurring, workdays = (
            frozenset(self.holidays),
            frozenset(self.recurring_holidays),
            frozenset(self.workdays),
        )
        _check_dates(holidays, "holidays", errors)
        _check_dates(workdays, "workdays", errors)
        _check_recurring(recurring, errors)
        _check_conflicts(holidays, recurring, workdays, errors)
        if errors:
            raise CalendarSpecError(errors)
        normal = {day: [_fmt(s, e) for s, e in parsed[day]] for day in WEEKDAYS}
        object.__setattr__(self, "weekly_hours", normal)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "recurring_holidays", recurring)
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "_index", CalendarIndex(self, parsed))

    def __repr__(self) -> str:
        # The China preset has hundreds of dates; summarise long sets to keep logs readable.
        def dates(values: frozenset[Any]) -> str:
            if len(values) <= 6:
                return repr(sorted(values))
            items = sorted(values)
            return f"<{len(items)} entries {items[0]}..{items[-1]}>"

        return (
            f"BusinessCalendar(time_zone={self.time_zone!r}, weekly_hours={self.weekly_hours!r}, "
            f"holidays={dates(self.holidays)}, recurring_holidays={dates(self.recurring_holidays)}, "
            f"workdays={dates(self.workdays)})"
        )

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> BusinessCalendar:
        """Build from the JSON shape (see :func:`validate_spec`); raises CalendarSpecError.

        Omitted ``holidays``/``recurring_holidays``/``workdays`` mean none, and an omitted
        weekday has no hours.
        """
        parsed, errors = _parse_spec(spec)
        if errors:
            raise CalendarSpecError(errors)
        return cls(**parsed)

    def to_spec(self) -> dict[str, Any]:
        """The JSON shape, with sorted lists, so that ``from_spec(cal.to_spec()) == cal``."""
        return {
            "time_zone": self.time_zone,
            "weekly_hours": {day: [[s, e] for s, e in self.weekly_hours[day]] for day in WEEKDAYS},
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "recurring_holidays": sorted(self.recurring_holidays),
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
        }

    @property
    def index(self) -> CalendarIndex:
        return self._index

    @property
    def normal_workday_hours(self) -> list[tuple[str, str]]:
        """Hours used on make-up workdays: Monday's, else the first weekday with hours."""
        return next((self.weekly_hours[d] for d in WEEKDAYS if self.weekly_hours[d]), [])

    def cumulative(self, instant: datetime) -> int:
        """Business seconds from local 1970-01-01 00:00 up to ``instant``."""
        return self._index.cumulative(_ts(instant))


class CalendarIndex:
    """Lazily built lookup tables of a calendar's working intervals (UTC epoch seconds).

    ``starts[i]``/``ends[i]`` delimit the i-th working interval (sorted, disjoint; adjacent
    intervals within a year are merged), ``cum[i]`` is the business time before ``starts[i]``
    and ``cum_end[i] = cum[i] + ends[i] - starts[i]``.  Years are appended in order from 1970
    under a lock; readers only look below ``built_until``, whose intervals never change.
    """

    def __init__(self, cal: BusinessCalendar, hours: Mapping[str, list[tuple[int, int]]]) -> None:
        self.tz = ZoneInfo(cal.time_zone)
        self.week: tuple[tuple[tuple[int, int], ...], ...] = tuple(tuple(hours[d]) for d in WEEKDAYS)
        self.normal: tuple[tuple[int, int], ...] = next((w for w in self.week if w), ())
        self.holidays = frozenset(d.toordinal() for d in cal.holidays)
        self.workdays = frozenset(d.toordinal() for d in cal.workdays)
        self.recurring = [md for r in cal.recurring_holidays if (md := _parse_month_day(r))]
        self.lo = self._midnight_ts(date(MIN_YEAR, 1, 1))
        self.hi = self._midnight_ts(date(MAX_YEAR + 1, 1, 1))
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cum: list[int] = []
        self.cum_end: list[int] = []
        self.total = 0  # business seconds in all built years
        self.next_year = MIN_YEAR
        self.built_until = self.lo  # UTC timestamp of local midnight starting next_year
        self._lock = threading.Lock()

    # -- building ------------------------------------------------------------------------

    def _midnight_ts(self, day: date) -> int:
        return self._wall_ts(datetime(day.year, day.month, day.day))

    def _offset(self, ordinal: int) -> int:
        """UTC offset (seconds) at local midnight starting the date, fold=0."""
        off = datetime.fromordinal(ordinal).replace(tzinfo=self.tz).utcoffset()
        assert off is not None
        return off // _SECOND

    def _wall_ts(self, naive: datetime) -> int:
        """UTC timestamp of a local wall time: first occurrence in a fold; transition in a gap."""
        aware = naive.replace(tzinfo=self.tz)
        ts = (aware - _UTC_EPOCH) // _SECOND  # fold=0: the pre-transition offset
        if datetime.fromtimestamp(ts, self.tz).replace(tzinfo=None) == naive:
            return ts
        # Non-existent wall time.  fold=0 used the offset before the gap, landing after the
        # transition; fold=1 used the offset after it, landing before.  Bisect for the
        # transition itself: the first second whose offset is the post-transition one.
        lo = (aware.replace(fold=1) - _UTC_EPOCH) // _SECOND
        hi = ts
        after = datetime.fromtimestamp(hi, self.tz).utcoffset()
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self.tz).utcoffset() == after:
                hi = mid
            else:
                lo = mid
        return hi

    def day_intervals(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        """Working intervals of a local date as (start, end) seconds after local midnight."""
        if ordinal in self.holidays:
            return ()
        if self.recurring:
            d = date.fromordinal(ordinal)
            if (d.month, d.day) in self.recurring:
                return ()
        if ordinal in self.workdays:
            return self.normal
        return self.week[(ordinal - 1) % 7]  # date.fromordinal(1) is a Monday

    def day_instants(self, ordinal: int) -> list[tuple[int, int]]:
        """Working intervals of a local date as UTC (start, end) timestamps; empty ones dropped."""
        ivs = self.day_intervals(ordinal)
        if not ivs:
            return []
        off, off_next = self._offset(ordinal), self._offset(ordinal + 1)
        if off == off_next:
            # No transition that day (the overwhelmingly common case): plain arithmetic.
            base = (ordinal - _EPOCH_ORDINAL) * _DAY - off
            return [(base + s, base + e) for s, e in ivs]
        midnight = datetime.fromordinal(ordinal)
        out = []
        for s, e in ivs:
            a = self._wall_ts(midnight + timedelta(seconds=s))
            b = self._wall_ts(midnight + timedelta(seconds=e))
            if b > a:
                out.append((a, b))
        return out

    def _build_year(self) -> None:
        year = self.next_year
        first, last = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
        starts: list[int] = []
        ends: list[int] = []
        for ordinal in range(first, last):
            for a, b in self.day_instants(ordinal):
                if ends and ends[-1] == a:  # e.g. 24x7: one interval instead of one per day
                    ends[-1] = b
                else:
                    starts.append(a)
                    ends.append(b)
        total = self.total
        cum: list[int] = []
        cum_end: list[int] = []
        for a, b in zip(starts, ends, strict=True):
            cum.append(total)
            total += b - a
            cum_end.append(total)
        # Extend before publishing built_until: readers never look at the new entries until then.
        self.starts.extend(starts)
        self.ends.extend(ends)
        self.cum.extend(cum)
        self.cum_end.extend(cum_end)
        self.total = total
        self.next_year = year + 1
        self.built_until = self._midnight_ts(date(year + 1, 1, 1))

    def _ensure_instant(self, ts: int) -> None:
        if ts < self.lo or ts > self.hi:
            raise OutOfRangeError(
                f"{datetime.fromtimestamp(ts, UTC).isoformat()} is outside the supported range "
                f"{MIN_YEAR}-01-01 to {MAX_YEAR}-12-31 in {self.tz.key}"
            )
        with self._lock:
            while ts >= self.built_until and self.next_year <= MAX_YEAR:
                self._build_year()

    def _ensure_total(self, target: int) -> None:
        with self._lock:
            while self.total < target and self.next_year <= MAX_YEAR:
                self._build_year()
        if self.total < target:
            raise OutOfRangeError(f"the due instant falls after {MAX_YEAR}-12-31 in {self.tz.key}")

    # -- queries -------------------------------------------------------------------------

    def cumulative(self, ts: int) -> int:
        """Business seconds between local 1970-01-01 00:00 and the UTC timestamp ``ts``."""
        if ts >= self.built_until or ts < self.lo:
            self._ensure_instant(ts)
        i = bisect_right(self.starts, ts) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum[i] + (ts if ts < end else end) - self.starts[i]

    def instant_at(self, target: int) -> int:
        """Earliest timestamp whose cumulative business time is ``target`` (``target >= 1``)."""
        if target > self.total:
            self._ensure_total(target)
        i = bisect_left(self.cum_end, target)
        return self.starts[i] + target - self.cum[i]

    def next_open(self, ts: int) -> int:
        """First business second at or after ``ts``."""
        if ts >= self.built_until or ts < self.lo:
            self._ensure_instant(ts)
        i = bisect_right(self.ends, ts)  # first interval ending after ts
        if i == len(self.starts):
            self._ensure_total(self.total + 1)
        return max(ts, self.starts[i])


# --------------------------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------------------------


def _ts(instant: datetime) -> int:
    """Whole UTC epoch seconds (floor), rejecting naive datetimes."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()} given; business time needs aware datetimes")
    # Exact integer arithmetic (timedelta // timedelta), unlike float timestamp().
    return (instant - _UTC_EPOCH) // _SECOND


def _merged_pauses(pauses: Iterable[Pause], lo: int, hi: int | None) -> list[tuple[int, int]]:
    """Pauses as whole-second timestamps, clipped to [lo, hi), sorted and merged."""
    clipped: list[tuple[int, int]] = []
    for p_from, p_to in pauses:
        a, b = _ts(p_from), _ts(p_to)
        if b < a:
            raise ValueError(f"pause ends ({p_to.isoformat()}) before it starts ({p_from.isoformat()})")
        a = max(a, lo)
        if hi is not None:
            b = min(b, hi)
        if b > a:
            clipped.append((a, b))
    clipped.sort()
    merged: list[tuple[int, int]] = []
    for a, b in clipped:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def business_seconds(
    cal: BusinessCalendar, start: datetime, end: datetime, pauses: Sequence[Pause] = ()
) -> int:
    """Business seconds in ``[start, end)`` minus those inside the union of ``pauses``."""
    idx = cal._index
    a, b = _ts(start), _ts(end)
    if b <= a:
        # Still validate the range so that bad input fails the same way whatever the order.
        idx.cumulative(a)
        idx.cumulative(b)
        return 0
    total = idx.cumulative(b) - idx.cumulative(a)
    if pauses:
        for p_a, p_b in _merged_pauses(pauses, a, b):
            total -= idx.cumulative(p_b) - idx.cumulative(p_a)
    return total


def due(cal: BusinessCalendar, start: datetime, business_secs: int, pauses: Sequence[Pause] = ()) -> datetime:
    """Earliest instant (UTC, whole second) at which ``business_secs`` have elapsed since start.

    Time inside ``pauses`` does not count.  ``due(cal, start, 0)`` is ``start`` (truncated to the
    second).  An event at exactly the returned instant is within the SLA (``event <= due``).
    """
    if business_secs < 0:
        raise ValueError("business_secs must not be negative")
    idx = cal._index
    a = _ts(start)
    base = idx.cumulative(a)
    if business_secs == 0:
        return datetime.fromtimestamp(a, UTC)
    target = base + business_secs
    if pauses:
        for p_a, p_b in _merged_pauses(pauses, a, None):
            candidate = idx.instant_at(target)
            if candidate <= p_a:
                break
            # The pause starts before the target is reached: business time inside it does not
            # count, so the target moves later by that much (and then lies beyond p_b).
            target += idx.cumulative(p_b) - idx.cumulative(p_a)
    return datetime.fromtimestamp(idx.instant_at(target), UTC)


def within(
    cal: BusinessCalendar, start: datetime, end: datetime, limit_seconds: int, pauses: Sequence[Pause] = ()
) -> bool:
    """True when the business time from start to end (minus pauses) is at most the limit."""
    return business_seconds(cal, start, end, pauses) <= limit_seconds


def is_business_instant(cal: BusinessCalendar, instant: datetime) -> bool:
    """Whether the calendar is open at ``instant`` (interval starts included, ends excluded)."""
    idx = cal._index
    ts = _ts(instant)
    return idx.cumulative(ts + 1) > idx.cumulative(ts)


def next_business_instant(cal: BusinessCalendar, instant: datetime) -> datetime:
    """The first business instant at or after ``instant`` (UTC, whole second)."""
    return datetime.fromtimestamp(cal._index.next_open(_ts(instant)), UTC)


def working_intervals(cal: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """Working intervals of a local date as aware datetimes in the calendar's zone.

    Applies holidays, make-up workdays and the DST conventions; for calendar views.
    """
    idx = cal._index
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise OutOfRangeError(f"{day.isoformat()} is outside the supported years {MIN_YEAR}–{MAX_YEAR}")
    return [
        (datetime.fromtimestamp(a, idx.tz), datetime.fromtimestamp(b, idx.tz))
        for a, b in idx.day_instants(day.toordinal())
    ]


def has_holiday_data(cal: BusinessCalendar, start: date, days: int = 60) -> bool:
    """Whether every calendar year touched by ``[start, start + days)`` has dated holiday data.

    A year has data when at least one date in ``holidays`` or ``workdays`` falls in it
    (recurring holidays say nothing about movable feasts such as the Spring Festival).  For
    :func:`china_mainland` this is exactly "the year is in :func:`china_mainland_years`".
    Use it to warn that SLA deadlines in the coming weeks may ignore unpublished holidays;
    a calendar that deliberately has no holidays (24x7) always returns False.
    """
    last = start + timedelta(days=max(days, 1) - 1)
    years = {d.year for d in cal.holidays} | {d.year for d in cal.workdays}
    return all(y in years for y in range(start.year, last.year + 1))


# --------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------


@functools.cache
def twenty_four_seven() -> BusinessCalendar:
    """Asia/Shanghai, every day 00:00–24:00, no holidays (cached: one shared index)."""
    return BusinessCalendar(
        time_zone="Asia/Shanghai",
        weekly_hours={day: [("00:00", "24:00")] for day in WEEKDAYS},
    )


def _chinese_calendar_data() -> tuple[dict[date, Any], dict[date, Any]]:
    from chinese_calendar import constants  # imported lazily: only the China preset needs it

    return constants.holidays, constants.workdays


def china_mainland_years() -> range:
    """Years for which the installed ``chinesecalendar`` package has the State Council schedule."""
    holidays, _ = _chinese_calendar_data()
    years = [d.year for d in holidays]
    return range(min(years), max(years) + 1)


@functools.cache
def china_mainland() -> BusinessCalendar:
    """Asia/Shanghai, Mon–Fri 09:00–12:00 and 13:00–18:00, with the official holidays.

    Holidays and make-up workdays (调休) come from the ``chinesecalendar`` package for every
    year it covers (see :func:`china_mainland_years`); later years have weekends only.
    """
    holidays, workdays = _chinese_calendar_data()
    day = [("09:00", "12:00"), ("13:00", "18:00")]
    return BusinessCalendar(
        time_zone="Asia/Shanghai",
        weekly_hours={d: list(day) if d not in ("sat", "sun") else [] for d in WEEKDAYS},
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
    )
