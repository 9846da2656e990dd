"""Tests for waibao.lib.businesstime: worked examples, Chinese holidays, properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from waibao.lib import businesstime as bt
from waibao.lib.businesstime import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarSpecError,
    OutOfRangeError,
    business_seconds,
    due,
    within,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
H = 3600
CHINA = bt.china_mainland()
H24 = bt.twenty_four_seven()
DAY_CN = [("09:00", "12:00"), ("13:00", "18:00")]


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=NY, fold=fold)


def every_day(*intervals: tuple[str, str], tz: str = "America/New_York") -> BusinessCalendar:
    return BusinessCalendar(tz, {d: list(intervals) for d in WEEKDAYS})


def weekdays_only(*intervals: tuple[str, str], tz: str = "UTC") -> BusinessCalendar:
    return BusinessCalendar(tz, {d: list(intervals) if d not in ("sat", "sun") else [] for d in WEEKDAYS})


NY_9_17 = every_day(("09:00", "17:00"))
NY_FULL = every_day(("00:00", "24:00"))
NY_NIGHT = every_day(("01:00", "03:00"))
BERLIN_FULL = every_day(("00:00", "24:00"), tz="Europe/Berlin")


# --------------------------------------------------------------------------------------------
# Hand-worked cases, China preset (Mon–Fri 09:00–12:00, 13:00–18:00, Asia/Shanghai)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # same day (Tue 2026-03-10): 10–12 and 13–15
        (sh(2026, 3, 10, 10), sh(2026, 3, 10, 15), 4 * H),
        # overnight: Tue 17:00 → Wed 10:00
        (sh(2026, 3, 10, 17), sh(2026, 3, 11, 10), 2 * H),
        # across a weekend: Fri 16:00 → Mon 10:00
        (sh(2026, 3, 13, 16), sh(2026, 3, 16, 10), 3 * H),
        # a whole working week Mon 00:00 → Sat 00:00
        (sh(2026, 3, 9), sh(2026, 3, 14), 5 * 8 * H),
        # start and end in the lunch break
        (sh(2026, 3, 10, 12, 30), sh(2026, 3, 10, 12, 45), 0),
        (sh(2026, 3, 10, 12, 30), sh(2026, 3, 10, 13, 30), 30 * 60),
        (sh(2026, 3, 10, 11, 30), sh(2026, 3, 10, 12, 30), 30 * 60),
        # start before opening, end after closing
        (sh(2026, 3, 10, 7), sh(2026, 3, 10, 10), 1 * H),
        (sh(2026, 3, 10, 19), sh(2026, 3, 11, 9, 30), 30 * 60),
        (sh(2026, 3, 10, 7), sh(2026, 3, 10, 20), 8 * H),
        # weekend only
        (sh(2026, 3, 14, 10), sh(2026, 3, 15, 17), 0),
        # end before start / equal
        (sh(2026, 3, 10, 15), sh(2026, 3, 10, 10), 0),
        (sh(2026, 3, 10, 10), sh(2026, 3, 10, 10), 0),
        # instants given in another zone are the same instants
        (datetime(2026, 3, 10, 2, tzinfo=UTC), datetime(2026, 3, 10, 7, tzinfo=UTC), 4 * H),
        # sub-second parts are truncated
        (sh(2026, 3, 10, 10).replace(microsecond=999_999), sh(2026, 3, 10, 10, 0, 1), 1),
    ],
)
def test_china_worked_examples(start: datetime, end: datetime, expected: int) -> None:
    assert business_seconds(CHINA, start, end) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 2026 National Day per the State Council notice in chinesecalendar: Oct 1–7 off,
        # make-up workdays Sun Sep 20 and Sat Oct 10.  Wed Sep 30 17:00 → Thu Oct 8 10:00.
        (sh(2026, 9, 30, 17), sh(2026, 10, 8, 10), 2 * H),
        # Fri Oct 9 17:00 → Mon Oct 12 10:00 includes the full make-up Saturday Oct 10.
        (sh(2026, 10, 9, 17), sh(2026, 10, 12, 10), 1 * H + 8 * H + 1 * H),
        # Sat Sep 19 → Mon Sep 21 00:00: the make-up Sunday Sep 20 is a full day.
        (sh(2026, 9, 19), sh(2026, 9, 21), 8 * H),
        # Mid-Autumn 2026: Fri Sep 25 off.  Thu Sep 24 17:00 → Mon Sep 28 10:00.
        (sh(2026, 9, 24, 17), sh(2026, 9, 28, 10), 2 * H),
        # 2025 Spring Festival Jan 28–Feb 4, make-up Sun Jan 26 and Sat Feb 8.  Sat Jan 25 →
        # Mon Feb 10 00:00 works Jan 26 (make-up), Jan 27, Feb 5, 6, 7 and Feb 8 (make-up).
        (sh(2025, 1, 25), sh(2025, 2, 10), 6 * 8 * H),
    ],
)
def test_china_holiday_worked_examples(start: datetime, end: datetime, expected: int) -> None:
    assert business_seconds(CHINA, start, end) == expected


def test_china_due_examples() -> None:
    # Fri 16:00 + 4h: 2h Friday, 2h Monday → Mon 11:00 Shanghai = 03:00 UTC.
    assert due(CHINA, sh(2026, 3, 13, 16), 4 * H) == datetime(2026, 3, 16, 3, tzinfo=UTC)
    # Reaching the target exactly at lunch: due at 12:00, not 13:00.
    assert due(CHINA, sh(2026, 3, 10, 10), 2 * H) == sh(2026, 3, 10, 12)
    assert due(CHINA, sh(2026, 3, 10, 10), 2 * H + 1) == sh(2026, 3, 10, 13, 0, 1)
    # Reaching it at closing time: 18:00 the same day.
    assert due(CHINA, sh(2026, 3, 10, 9), 8 * H) == sh(2026, 3, 10, 18)
    # Start outside hours: counts from the next opening.
    assert due(CHINA, sh(2026, 3, 14, 3), 1) == sh(2026, 3, 16, 9, 0, 1)
    # Across National Day 2026: Wed Sep 30 17:00 + 2h → Thu Oct 8 10:00.
    assert due(CHINA, sh(2026, 9, 30, 17), 2 * H) == sh(2026, 10, 8, 10)
    # Zero: the start itself (truncated), even outside hours.
    assert due(CHINA, sh(2026, 3, 14, 3, 0, 7).replace(microsecond=5), 0) == sh(2026, 3, 14, 3, 0, 7)
    assert due(CHINA, sh(2026, 3, 10, 10), 0).tzinfo is UTC


def test_within_boundary_is_inclusive() -> None:
    start = sh(2026, 3, 10, 10)
    deadline = due(CHINA, start, 3 * H)
    assert deadline == sh(2026, 3, 10, 14)
    assert within(CHINA, start, deadline, 3 * H)
    assert not within(CHINA, start, deadline + timedelta(seconds=1), 3 * H)


def test_24_00_end() -> None:
    cal = BusinessCalendar(
        "Asia/Shanghai",
        {"mon": [("18:00", "24:00")], "tue": [("00:00", "02:00")], "wed": [("09:00", "10:00")]},
    )
    # Mon 20:00 → Tue 01:00 runs straight through midnight.
    assert business_seconds(cal, sh(2026, 3, 9, 20), sh(2026, 3, 10, 1)) == 5 * H
    assert due(cal, sh(2026, 3, 9, 20), 4 * H) == sh(2026, 3, 10)
    assert due(cal, sh(2026, 3, 9, 20), 4 * H + 1) == sh(2026, 3, 10, 0, 0, 1)
    assert cal.weekly_hours["mon"] == [("18:00", "24:00")]
    assert cal.weekly_hours["sun"] == []


def test_twenty_four_seven() -> None:
    a, b = sh(2026, 9, 30, 13, 17, 5), sh(2026, 10, 9, 8, 1, 2)
    assert business_seconds(H24, a, b) == int((b - a).total_seconds())
    assert due(H24, a, 12_345) == a + timedelta(seconds=12_345)
    assert H24.time_zone == "Asia/Shanghai"
    assert H24.holidays == frozenset()
    assert bt.twenty_four_seven() is H24  # cached: one shared index


# --------------------------------------------------------------------------------------------
# DST (America/New_York 2026: spring forward Sun Mar 8 02:00, fall back Sun Nov 1 02:00)
# --------------------------------------------------------------------------------------------


def test_dst_nine_to_five() -> None:
    # Sat 12:00 EST → Sun 12:00 EDT: 5h + 3h of business time in 23 real hours.
    assert business_seconds(NY_9_17, ny(2026, 3, 7, 12), ny(2026, 3, 8, 12)) == 8 * H
    # Whole DST days are still 8 business hours: the switch is at night.
    assert business_seconds(NY_9_17, ny(2026, 3, 8), ny(2026, 3, 9)) == 8 * H
    assert business_seconds(NY_9_17, ny(2026, 11, 1), ny(2026, 11, 2)) == 8 * H
    assert business_seconds(NY_9_17, ny(2026, 10, 31, 12), ny(2026, 11, 1, 12)) == 8 * H
    # Sat 16:00 EST + 2h → Sun 10:00 EDT = 14:00 UTC.
    assert due(NY_9_17, ny(2026, 3, 7, 16), 2 * H) == datetime(2026, 3, 8, 14, tzinfo=UTC)
    # Sat 16:00 EDT + 2h → Sun 10:00 EST = 15:00 UTC.
    assert due(NY_9_17, ny(2026, 10, 31, 16), 2 * H) == datetime(2026, 11, 1, 15, tzinfo=UTC)


def test_dst_full_days_are_real_elapsed_time() -> None:
    assert business_seconds(NY_FULL, ny(2026, 3, 8), ny(2026, 3, 9)) == 23 * H
    assert business_seconds(NY_FULL, ny(2026, 11, 1), ny(2026, 11, 2)) == 25 * H
    assert business_seconds(NY_FULL, ny(2026, 3, 9), ny(2026, 3, 10)) == 24 * H
    assert (
        business_seconds(
            BERLIN_FULL, datetime(2026, 3, 29, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN)
        )
        == 23 * H
    )
    assert (
        business_seconds(
            BERLIN_FULL, datetime(2026, 10, 25, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN)
        )
        == 25 * H
    )


def test_dst_gap_and_fold_conventions() -> None:
    # 01:00–03:00: one real hour on the spring-forward day, three on the fall-back day.
    assert business_seconds(NY_NIGHT, ny(2026, 3, 8), ny(2026, 3, 9)) == 1 * H
    assert business_seconds(NY_NIGHT, ny(2026, 11, 1), ny(2026, 11, 2)) == 3 * H
    # Non-existent 02:00–02:30 is empty; 02:30 maps to the transition (07:00 UTC).
    cal = every_day(("02:00", "02:30"), ("02:30", "04:00"))
    assert business_seconds(cal, ny(2026, 3, 8), ny(2026, 3, 9)) == 1 * H
    ((opening, closing),) = bt.working_intervals(cal, date(2026, 3, 8))
    assert opening == datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert closing == datetime(2026, 3, 8, 8, tzinfo=UTC)
    # Ambiguous 01:30 means its first occurrence (EDT): both occurrences of 01:00–01:30 exist
    # in real time but only the first is inside a 01:00–01:30 interval.
    half = every_day(("01:00", "01:30"))
    assert business_seconds(half, ny(2026, 11, 1), ny(2026, 11, 2)) == 30 * 60
    ((opening, closing),) = bt.working_intervals(half, date(2026, 11, 1))
    assert (opening.utcoffset(), closing.utcoffset()) == (timedelta(hours=-4), timedelta(hours=-4))


# --------------------------------------------------------------------------------------------
# Pauses
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pauses", "expected"),
    [
        ([], 4 * H),
        ([(sh(2026, 3, 10, 10, 30), sh(2026, 3, 10, 11))], 4 * H - 30 * 60),  # inside
        ([(sh(2026, 3, 10, 19), sh(2026, 3, 10, 20))], 4 * H),  # outside the range
        ([(sh(2026, 3, 10, 12, 10), sh(2026, 3, 10, 12, 50))], 4 * H),  # inside lunch
        ([(sh(2026, 3, 10, 8), sh(2026, 3, 10, 10, 30))], 4 * H - 30 * 60),  # before start
        ([(sh(2026, 3, 10, 14, 30), sh(2026, 3, 11, 9))], 4 * H - 30 * 60),  # after end
        # overlapping and unordered: the union 10:30–12:30 is subtracted once (1.5 h of work)
        (
            [
                (sh(2026, 3, 10, 11), sh(2026, 3, 10, 12, 30)),
                (sh(2026, 3, 10, 10, 30), sh(2026, 3, 10, 11, 30)),
                (sh(2026, 3, 10, 11), sh(2026, 3, 10, 11, 15)),
            ],
            4 * H - 90 * 60,
        ),
        # touching pauses, and an empty one
        (
            [
                (sh(2026, 3, 10, 10), sh(2026, 3, 10, 10, 30)),
                (sh(2026, 3, 10, 10, 30), sh(2026, 3, 10, 11)),
                (sh(2026, 3, 10, 14), sh(2026, 3, 10, 14)),
            ],
            3 * H,
        ),
        ([(sh(2026, 3, 9), sh(2026, 3, 12))], 0),  # covers everything
    ],
)
def test_pauses(pauses: list[tuple[datetime, datetime]], expected: int) -> None:
    start, end = sh(2026, 3, 10, 10), sh(2026, 3, 10, 15)
    assert business_seconds(CHINA, start, end, pauses) == expected
    if expected:
        # The target is reached at `end`, or earlier when a pause starts right then (14:30).
        deadline = due(CHINA, start, expected, pauses)
        assert deadline <= end
        assert business_seconds(CHINA, start, deadline, pauses) == expected


def test_due_with_pauses() -> None:
    start = sh(2026, 3, 10, 10)
    # A pause 10:30–11:30 pushes a 1h target from 11:00 to 12:00.
    assert due(CHINA, start, H, [(sh(2026, 3, 10, 10, 30), sh(2026, 3, 10, 11, 30))]) == sh(2026, 3, 10, 12)
    # A pause starting exactly at the would-be due instant does not delay it.
    assert due(CHINA, start, H, [(sh(2026, 3, 10, 11), sh(2026, 3, 10, 17))]) == sh(2026, 3, 10, 11)
    # Pauses before start are ignored; a pause over the weekend changes nothing.
    pauses = [(sh(2026, 3, 1), sh(2026, 3, 2)), (sh(2026, 3, 14), sh(2026, 3, 16))]
    assert due(CHINA, start, 8 * H, pauses) == due(CHINA, start, 8 * H)
    # A pause crossing the start: the clock runs from 11:00, so 1h is reached at 12:00.
    assert due(CHINA, start, H, [(sh(2026, 3, 10, 8), sh(2026, 3, 10, 11))]) == sh(2026, 3, 10, 12)


def test_bad_pause_and_naive_inputs() -> None:
    a, b = sh(2026, 3, 10, 10), sh(2026, 3, 10, 15)
    with pytest.raises(ValueError, match="pause ends"):
        business_seconds(CHINA, a, b, [(b, a)])
    naive = datetime(2026, 3, 10, 10)
    with pytest.raises(ValueError, match="naive"):
        business_seconds(CHINA, naive, b)
    with pytest.raises(ValueError, match="naive"):
        business_seconds(CHINA, a, naive)
    with pytest.raises(ValueError, match="naive"):
        business_seconds(CHINA, a, b, [(naive, b)])
    with pytest.raises(ValueError, match="naive"):
        due(CHINA, naive, 10)
    with pytest.raises(ValueError, match="negative"):
        due(CHINA, a, -1)


def test_supported_range() -> None:
    assert CHINA.cumulative(sh(1970, 1, 1)) == 0
    with pytest.raises(OutOfRangeError, match="1970"):
        business_seconds(CHINA, sh(1969, 12, 31, 23, 59, 59), sh(2026, 1, 5))
    with pytest.raises(OutOfRangeError):
        business_seconds(CHINA, sh(2026, 1, 5), sh(2101, 1, 1, 0, 0, 1))
    assert business_seconds(H24, sh(2100, 12, 31), sh(2101, 1, 1)) == 24 * H
    with pytest.raises(OutOfRangeError, match="after 2100"):
        due(H24, sh(2100, 12, 31), 24 * H + 1)
    with pytest.raises(OutOfRangeError):
        bt.working_intervals(CHINA, date(2101, 1, 1))


def test_helpers() -> None:
    assert bt.is_business_instant(CHINA, sh(2026, 3, 10, 9))
    assert not bt.is_business_instant(CHINA, sh(2026, 3, 10, 12))
    assert not bt.is_business_instant(CHINA, sh(2026, 10, 1, 10))
    assert bt.next_business_instant(CHINA, sh(2026, 9, 30, 18)) == sh(2026, 10, 8, 9)
    assert bt.next_business_instant(CHINA, sh(2026, 9, 30, 17, 59)) == sh(2026, 9, 30, 17, 59)
    assert bt.next_business_instant(CHINA, sh(2026, 3, 10, 12, 1)) == sh(2026, 3, 10, 13)
    assert bt.working_intervals(CHINA, date(2026, 10, 10)) == [
        (sh(2026, 10, 10, 9), sh(2026, 10, 10, 12)),
        (sh(2026, 10, 10, 13), sh(2026, 10, 10, 18)),
    ]
    assert bt.working_intervals(CHINA, date(2026, 10, 2)) == []
    assert CHINA.cumulative(sh(2026, 3, 10, 10)) - CHINA.cumulative(sh(2026, 3, 10, 9)) == H


# --------------------------------------------------------------------------------------------
# Published examples from SLA products' documentation
# --------------------------------------------------------------------------------------------


def test_published_zendesk_example() -> None:
    # Zendesk Customer Care (Amy Dee), "SLA badge to calculate in Business hours":
    # https://support.zendesk.com/hc/es/community/posts/4408868203034-SLA-badge-to-calculate-in-Business-hours
    # "4pm on a Friday ... 2-hour SLA target ... in business hours on a weekday 9-5 schedule,
    # so it's due at 10am on Monday."
    cal = weekdays_only(("09:00", "17:00"))
    friday = datetime(2026, 3, 13, 16, tzinfo=UTC)
    assert due(cal, friday, 2 * H) == datetime(2026, 3, 16, 10, tzinfo=UTC)


def test_published_servicenow_example() -> None:
    # ServiceNow Community blog "Understanding my SLAs" (iris_geist, ServiceNow employee):
    # https://community.servicenow.com/community?id=community_blog&sys_id=e33e62addbd0dbc01dcaf3231f9619a2
    # Opened Friday December 12th (2014) at 20:49 on the "8-5 weekdays" schedule; on the
    # following Monday at 9:44 "our elapsed business time would be just 1 hour and 44 minutes".
    cal = weekdays_only(("08:00", "17:00"))
    opened = datetime(2014, 12, 12, 20, 49, tzinfo=UTC)
    now = datetime(2014, 12, 15, 9, 44, tzinfo=UTC)
    assert business_seconds(cal, opened, now) == 1 * H + 44 * 60


def test_published_sla_manager_example() -> None:
    # julioserpone/sla-manager README (PHP SLA library, derived from sla-timer):
    # https://github.com/julioserpone/sla-manager -- schedule 09:00–17:30 on weekdays, start
    # "05:35:40 25-07-2022", "Given the time now is 14:00:00 29-07-2022", duration "1 day 15 hours".
    cal = weekdays_only(("09:00", "17:30"))
    start = datetime(2022, 7, 25, 5, 35, 40, tzinfo=UTC)
    now = datetime(2022, 7, 29, 14, tzinfo=UTC)
    assert business_seconds(cal, start, now) == (24 + 15) * H


def test_published_airclou_example() -> None:
    # Airclou helpdesk docs, "Business Hours": https://airclou.com/docs/helpdesk/admin/business-hours
    # Mon–Fri 09:00–17:00: "A ticket created at 16:00 on Friday with a 4-hour first-reply target
    # is not due until 12:00 on Monday".
    cal = weekdays_only(("09:00", "17:00"))
    assert due(cal, datetime(2026, 3, 13, 16, tzinfo=UTC), 4 * H) == datetime(2026, 3, 16, 12, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Chinese holidays (State Council notices) and the China preset
# --------------------------------------------------------------------------------------------


def _dates(year: int, spec: str) -> set[date]:
    """'01-28..02-04, 04-04' → dates."""
    out: set[date] = set()
    for part in spec.split(","):
        first, _, last = part.strip().partition("..")
        a = date.fromisoformat(f"{year}-{first}")
        b = date.fromisoformat(f"{year}-{last or first}")
        out |= {a + timedelta(days=i) for i in range((b - a).days + 1)}
    return out


OFFICIAL = {
    # 国务院办公厅关于2025年部分节假日安排的通知 (Nov 2024)
    2025: (
        "01-01, 01-28..02-04, 04-04..04-06, 05-01..05-05, 05-31..06-02, 10-01..10-08",
        "01-26, 02-08, 04-27, 09-28, 10-11",
    ),
    # 国务院办公厅关于2026年部分节假日安排的通知 (Nov 2025), as shipped by chinesecalendar
    # 1.11.0.  National Day is Oct 1–7 (Oct 8 is a normal Thursday); Mid-Autumn Sep 25–27.
    2026: (
        "01-01..01-03, 02-15..02-23, 04-04..04-06, 05-01..05-05, 06-19..06-21, 09-25..09-27, 10-01..10-07",
        "01-04, 02-14, 02-28, 05-09, 09-20, 10-10",
    ),
}


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_china_official_schedule(year: int) -> None:
    holidays, workdays = (_dates(year, spec) for spec in OFFICIAL[year])
    assert {d for d in CHINA.holidays if d.year == year} == holidays
    assert {d for d in CHINA.workdays if d.year == year} == workdays
    for day in holidays:
        assert bt.working_intervals(CHINA, day) == [], day
        start = datetime.combine(day, time(), SH)
        assert business_seconds(CHINA, start, start + timedelta(days=1)) == 0
    for day in workdays:
        assert day.weekday() >= 5, "make-up workdays fall on weekends"
        start = datetime.combine(day, time(), SH)
        assert bt.working_intervals(CHINA, day) == [
            (start.replace(hour=9), start.replace(hour=12)),
            (start.replace(hour=13), start.replace(hour=18)),
        ]
        assert business_seconds(CHINA, start, start + timedelta(days=1)) == 8 * H


def test_china_agrees_with_package_every_day() -> None:
    years = bt.china_mainland_years()
    assert years == range(2004, 2027)
    day = date(years.start, 1, 1)
    while day.year < years.stop:
        open_ = bool(CHINA.index.day_intervals(day.toordinal()))
        assert open_ == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_china_preset_shape() -> None:
    assert CHINA.time_zone == "Asia/Shanghai"
    assert CHINA.weekly_hours["mon"] == DAY_CN
    assert CHINA.weekly_hours["fri"] == DAY_CN
    assert CHINA.weekly_hours["sat"] == CHINA.weekly_hours["sun"] == []
    assert CHINA.normal_workday_hours == DAY_CN
    assert bt.china_mainland() is CHINA
    # After the covered years only weekends are off.
    assert business_seconds(CHINA, sh(2027, 10, 1), sh(2027, 10, 2)) == 8 * H


def test_has_holiday_data() -> None:
    assert bt.has_holiday_data(CHINA, date(2026, 1, 1))
    assert bt.has_holiday_data(CHINA, date(2026, 10, 15), 60)
    assert not bt.has_holiday_data(CHINA, date(2026, 11, 15), 60)  # reaches into 2027
    assert bt.has_holiday_data(CHINA, date(2026, 11, 1), 61)
    assert not bt.has_holiday_data(CHINA, date(2027, 3, 1))
    assert not bt.has_holiday_data(H24, date(2026, 3, 1))
    custom = BusinessCalendar(
        "UTC",
        {"mon": [("09:00", "17:00")]},
        workdays=frozenset({date(2026, 6, 6)}),
        recurring_holidays=frozenset({"12-25"}),
    )
    assert bt.has_holiday_data(custom, date(2026, 1, 1), 60)
    assert not bt.has_holiday_data(custom, date(2027, 1, 1), 60)


# --------------------------------------------------------------------------------------------
# Calendar rules, spec round trip and validation
# --------------------------------------------------------------------------------------------


def test_rules_precedence_and_normal_hours() -> None:
    cal = BusinessCalendar(
        "Asia/Shanghai",
        {"tue": [("10:00", "11:00")], "wed": [("09:00", "17:00")], "sat": [("09:00", "10:00")]},
        holidays=frozenset({date(2026, 3, 11)}),  # a Wednesday
        recurring_holidays=frozenset({"03-17", "02-29"}),  # a Tuesday in 2026
        workdays=frozenset({date(2026, 3, 15), date(2026, 3, 14)}),  # Sun, Sat
    )
    # Monday has no hours: normal workday hours are Tuesday's.
    assert cal.normal_workday_hours == [("10:00", "11:00")]
    day = lambda y, m, d: business_seconds(cal, sh(y, m, d), sh(y, m, d) + timedelta(days=1))  # noqa: E731
    assert day(2026, 3, 10) == 1 * H  # Tuesday
    assert day(2026, 3, 11) == 0  # holiday beats weekday hours
    assert day(2026, 3, 18) == 8 * H  # ordinary Wednesday
    assert day(2026, 3, 17) == 0  # recurring holiday
    assert day(2027, 3, 17) == 0
    assert day(2028, 2, 29) == 0  # leap-day recurring holiday
    assert day(2026, 3, 15) == 1 * H  # make-up Sunday: normal (Tuesday's) hours
    assert day(2026, 3, 14) == 1 * H  # make-up Saturday: normal hours, not Saturday's own
    assert day(2026, 3, 21) == 1 * H  # ordinary Saturday


def test_spec_round_trip() -> None:
    spec = {
        "time_zone": "Asia/Shanghai",
        "weekly_hours": {
            "mon": [["13:00", "18:00"], ["09:00", "12:00"]],
            "tue": [["09:00", "12:00"], ["12:00", "24:00"]],
            "sun": [],
        },
        "holidays": ["2026-10-01", "2026-10-02"],
        "recurring_holidays": ["01-01"],
        "workdays": ["2026-09-20"],
        "name": "ignored",
    }
    assert bt.validate_spec(spec) == {}
    cal = BusinessCalendar.from_spec(spec)
    out = cal.to_spec()
    assert out["weekly_hours"]["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert out["weekly_hours"]["wed"] == []
    assert out["holidays"] == ["2026-10-01", "2026-10-02"]
    assert BusinessCalendar.from_spec(out) == cal
    assert hash(BusinessCalendar.from_spec(out)) == hash(cal)
    assert BusinessCalendar.from_spec(CHINA.to_spec()) == CHINA
    assert cal.holidays == frozenset({date(2026, 10, 1), date(2026, 10, 2)})


GOOD: dict = {"time_zone": "Asia/Shanghai", "weekly_hours": {"mon": [["09:00", "18:00"]]}}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"weekly_hours": {"mon": [["13:00", "12:00"]]}},
            "weekly_hours.mon",
            "interval 13:00–12:00 ends before it starts",
        ),
        (
            {"weekly_hours": {"tue": [["09:00", "09:00"]]}},
            "weekly_hours.tue",
            "interval 09:00–09:00 is empty",
        ),
        (
            {"weekly_hours": {"wed": [["09:00", "12:00"], ["11:30", "13:00"]]}},
            "weekly_hours.wed",
            "intervals 09:00–12:00 and 11:30–13:00 overlap",
        ),
        (
            {"weekly_hours": {"thu": [["24:00", "24:00"]]}},
            "weekly_hours.thu",
            "24:00 is only allowed as the end",
        ),
        (
            {"weekly_hours": {"fri": [["9:00", "10:00"]]}},
            "weekly_hours.fri",
            "'9:00' is not a time in HH:MM format",
        ),
        ({"weekly_hours": {"fri": [["09:00", "24:30"]]}}, "weekly_hours.fri", "not a valid time"),
        ({"weekly_hours": {"fri": [["09:00", "10:60"]]}}, "weekly_hours.fri", "not a valid time"),
        ({"weekly_hours": {"sat": [["09:00"]]}}, "weekly_hours.sat", "is not a [start, end] pair"),
        ({"weekly_hours": {"sun": "09:00-18:00"}}, "weekly_hours.sun", "must be a list"),
        ({"weekly_hours": {"monday": [["09:00", "18:00"]]}}, "weekly_hours", "unknown weekday(s) monday"),
        ({"weekly_hours": {"mon": []}}, "weekly_hours", "at least one weekday"),
        ({"weekly_hours": []}, "weekly_hours", "must be an object"),
        ({"weekly_hours": None}, "weekly_hours", "must be an object"),
        ({"time_zone": "Asia/Beijing"}, "time_zone", "unknown time zone 'Asia/Beijing'"),
        ({"time_zone": ""}, "time_zone", "IANA time zone"),
        ({"time_zone": "../etc/passwd"}, "time_zone", "unknown time zone"),
        ({"holidays": ["2026-02-30"]}, "holidays", "'2026-02-30' is not a valid date"),
        ({"holidays": ["2026/10/01"]}, "holidays", "is not a date in YYYY-MM-DD format"),
        ({"holidays": "2026-10-01"}, "holidays", "must be a list"),
        ({"holidays": ["1969-12-31"]}, "holidays", "outside the supported years"),
        ({"workdays": [20260920]}, "workdays", "is not a date in YYYY-MM-DD format"),
        (
            {"recurring_holidays": ["13-01"]},
            "recurring_holidays",
            "'13-01' is not a month-day in MM-DD format",
        ),
        ({"recurring_holidays": ["2-3"]}, "recurring_holidays", "MM-DD"),
        ({"recurring_holidays": "01-01"}, "recurring_holidays", "must be a list"),
        (
            {"holidays": ["2026-10-01"], "workdays": ["2026-10-01"]},
            "workdays",
            "2026-10-01 also listed as holiday",
        ),
        ({"recurring_holidays": ["10-01"], "workdays": ["2026-10-01"]}, "workdays", "cannot be both"),
        ({"holiday": ["2026-10-01"]}, "holiday", "unknown field"),
    ],
)
def test_validation_errors(changes: dict, field: str, message: str) -> None:
    spec = {**GOOD, **changes}
    errors = bt.validate_spec(spec)
    assert field in errors, errors
    assert message in errors[field]
    with pytest.raises(CalendarSpecError) as excinfo:
        BusinessCalendar.from_spec(spec)
    assert excinfo.value.errors == errors


def test_validation_missing_fields_and_several_errors() -> None:
    assert bt.validate_spec({}) == {
        "time_zone": "this field is required",
        "weekly_hours": "this field is required",
    }
    assert bt.validate_spec([]) == {"": "calendar must be a JSON object"}
    errors = bt.validate_spec(
        {"time_zone": "Nowhere/City", "weekly_hours": {"mon": [["12:00", "11:00"]], "tue": [["x", "y"]]}}
    )
    assert set(errors) == {"time_zone", "weekly_hours.mon", "weekly_hours.tue"}


def test_constructor_validates() -> None:
    with pytest.raises(CalendarSpecError, match=r"weekly_hours\.mon"):
        BusinessCalendar("UTC", {"mon": [("10:00", "09:00")]})
    with pytest.raises(CalendarSpecError, match="is not a date"):
        BusinessCalendar("UTC", {"mon": [("09:00", "10:00")]}, holidays=frozenset({datetime(2026, 1, 1)}))
    with pytest.raises(CalendarSpecError, match="cannot be both"):
        BusinessCalendar(
            "UTC",
            {"mon": [("09:00", "10:00")]},
            holidays=frozenset({date(2026, 1, 1)}),
            workdays=frozenset({date(2026, 1, 1)}),
        )
    with pytest.raises(CalendarSpecError, match="time_zone"):
        BusinessCalendar("Mars/Olympus", {"mon": [("09:00", "10:00")]})


# --------------------------------------------------------------------------------------------
# Property tests (hypothesis), including a brute-force oracle
# --------------------------------------------------------------------------------------------

LO = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
HI = int(datetime(2027, 12, 31, tzinfo=UTC).timestamp())
ZONES = [UTC, SH, NY, BERLIN]


def shift(instant: datetime, seconds: int) -> datetime:
    """Add real (not wall-clock) seconds, keeping the zone."""
    return (instant.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(instant.tzinfo)


def by_instant(*values: datetime) -> list[datetime]:
    # Same-tzinfo datetimes compare by wall time, ignoring fold; sort by the real instant.
    return sorted(values, key=lambda v: v.timestamp())


instants = st.builds(
    lambda ts, us, tz: datetime.fromtimestamp(ts, UTC).replace(microsecond=us).astimezone(tz),
    st.integers(LO, HI),
    st.integers(0, 999_999) | st.just(0),
    st.sampled_from(ZONES),
)
# Instants near the 2026 New York DST switches and the 2026 Chinese National Day.
near = st.sampled_from(
    [ny(2026, 3, 8, 2), ny(2026, 11, 1, 1, 30), sh(2026, 10, 1), sh(2025, 1, 28), sh(2026, 3, 13, 18)]
)
focused_instants = instants | st.builds(
    lambda base, d: shift(base, d), near, st.integers(-4 * 86400, 4 * 86400)
)
pause_lists = st.lists(st.tuples(focused_instants, st.integers(0, 3 * 86400)), max_size=4).map(
    lambda ps: [(p, shift(p, d)) for p, d in ps]
)

CALENDARS = [
    CHINA,
    H24,
    NY_9_17,
    NY_FULL,
    NY_NIGHT,
    BERLIN_FULL,
    every_day(("02:00", "02:30"), ("02:30", "04:00")),
]
calendars = st.sampled_from(CALENDARS)

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(calendars, focused_instants, focused_instants, focused_instants)
def test_prop_additive(cal: BusinessCalendar, x: datetime, y: datetime, z: datetime) -> None:
    a, b, c = by_instant(x, y, z)
    assert business_seconds(cal, a, c) == business_seconds(cal, a, b) + business_seconds(cal, b, c)


@PROPS
@given(calendars, focused_instants, focused_instants, pause_lists)
def test_prop_due_inverts_business_seconds(
    cal: BusinessCalendar, x: datetime, y: datetime, pauses: list[tuple[datetime, datetime]]
) -> None:
    start, t = by_instant(x, y)
    for ps in ([], pauses):
        s = business_seconds(cal, start, t, ps)
        d = due(cal, start, s, ps)
        assert d <= t
        assert d.tzinfo is UTC
        assert business_seconds(cal, start, d, ps) == s


@PROPS
@given(calendars, focused_instants, st.integers(0, 30 * 86400), pause_lists)
def test_prop_business_seconds_of_due(
    cal: BusinessCalendar, start: datetime, s: int, pauses: list[tuple[datetime, datetime]]
) -> None:
    d = due(cal, start, s, pauses)
    assert business_seconds(cal, start, d, pauses) == s
    assert d >= start.replace(microsecond=0)
    if s > 0:
        # Earliest: one second earlier the target is not yet reached.
        assert business_seconds(cal, start, d - timedelta(seconds=1), pauses) == s - 1
        assert within(cal, start, d, s, pauses)
        assert not within(cal, start, d + timedelta(seconds=1), s - 1, pauses)


@PROPS
@given(calendars, focused_instants, focused_instants, focused_instants, pause_lists)
def test_prop_bounds_and_monotonic(
    cal: BusinessCalendar,
    start: datetime,
    e1: datetime,
    e2: datetime,
    pauses: list[tuple[datetime, datetime]],
) -> None:
    lo_end, hi_end = by_instant(e1, e2)
    plain = business_seconds(cal, start, hi_end)
    paused = business_seconds(cal, start, hi_end, pauses)
    assert 0 <= paused <= plain
    wall = int(hi_end.timestamp()) - int(start.timestamp())
    assert plain <= max(0, wall)
    assert business_seconds(cal, start, lo_end) <= plain
    assert business_seconds(cal, start, lo_end, pauses) <= paused
    # Pause order and duplicates do not matter.
    assert business_seconds(cal, start, hi_end, pauses[::-1] + pauses) == paused


# ---- brute-force oracle: per local day, straight from zoneinfo, no index --------------------


def _oracle_instant(tz: ZoneInfo, day: date, seconds: int) -> int:
    naive = datetime.combine(day, time()) + timedelta(seconds=seconds)
    while True:  # a wall time in a DST gap means the first existing wall time after it
        aware = naive.replace(tzinfo=tz)
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
            return int(aware.timestamp())
        naive += timedelta(minutes=1)


def _hhmm(text: str) -> int:
    return int(text[:2]) * 3600 + int(text[3:]) * 60


def _oracle_hours(cal: BusinessCalendar, day: date) -> list[tuple[str, str]]:
    if day in cal.holidays or f"{day.month:02d}-{day.day:02d}" in cal.recurring_holidays:
        return []
    if day in cal.workdays:
        return next(cal.weekly_hours[d] for d in WEEKDAYS if cal.weekly_hours[d])
    return cal.weekly_hours[WEEKDAYS[day.weekday()]]


def _oracle(
    cal: BusinessCalendar, start: datetime, end: datetime, pauses: list[tuple[datetime, datetime]]
) -> int:
    tz = ZoneInfo(cal.time_zone)
    a, b = int(start.replace(microsecond=0).timestamp()), int(end.replace(microsecond=0).timestamp())
    if b <= a:
        return 0
    work: list[tuple[int, int]] = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    while day <= end.astimezone(tz).date() + timedelta(days=1):
        for s, e in _oracle_hours(cal, day):
            lo = max(a, _oracle_instant(tz, day, _hhmm(s)))
            hi = min(b, _oracle_instant(tz, day, _hhmm(e)))
            if hi > lo:
                work.append((lo, hi))
        day += timedelta(days=1)
    total = sum(hi - lo for lo, hi in work)
    # Subtract paused work second-range by second-range over the union of pauses.
    cuts = sorted(
        (int(p.replace(microsecond=0).timestamp()), int(q.replace(microsecond=0).timestamp()))
        for p, q in pauses
    )
    union: list[list[int]] = []
    for p, q in cuts:
        if union and p <= union[-1][1]:
            union[-1][1] = max(union[-1][1], q)
        elif q > p:
            union.append([p, q])
    for p, q in union:
        for lo, hi in work:
            total -= max(0, min(hi, q) - max(lo, p))
    return total


week_hours = st.lists(
    st.tuples(st.integers(0, 47), st.integers(1, 48)).filter(lambda t: t[0] < t[1]), max_size=3
).map(lambda ivs: [(f"{s // 2:02d}:{s % 2 * 30:02d}", f"{e // 2:02d}:{e % 2 * 30:02d}") for s, e in ivs])


@st.composite
def random_calendars(draw: st.DrawFn) -> BusinessCalendar:
    weekly = {d: draw(week_hours) for d in WEEKDAYS}
    # Keep only non-overlapping intervals per day.
    for d, ivs in weekly.items():
        kept: list[tuple[str, str]] = []
        for s, e in sorted(ivs):
            if not kept or s >= kept[-1][1]:
                kept.append((s, e))
        weekly[d] = kept
    assume(any(weekly.values()))
    days = st.dates(date(2025, 12, 1), date(2026, 4, 30))
    holidays = draw(st.frozensets(days, max_size=10))
    workdays = draw(st.frozensets(days, max_size=6)) - holidays
    recurring = draw(st.frozensets(st.sampled_from(["01-01", "02-29", "03-08", "12-31"]), max_size=2))
    workdays = frozenset(d for d in workdays if f"{d.month:02d}-{d.day:02d}" not in recurring)
    return BusinessCalendar(
        draw(st.sampled_from(["America/New_York", "Asia/Shanghai", "Europe/Berlin"])),
        weekly,
        holidays,
        recurring,
        workdays,
    )


window = st.builds(
    lambda ts, tz: datetime.fromtimestamp(ts, UTC).astimezone(tz),
    st.integers(
        int(datetime(2025, 12, 20, tzinfo=UTC).timestamp()),
        int(datetime(2026, 4, 10, tzinfo=UTC).timestamp()),
    ),
    st.sampled_from(ZONES),
)
window_pauses = st.lists(st.tuples(window, st.integers(0, 2 * 86400)), max_size=3).map(
    lambda ps: [(p, shift(p, d)) for p, d in ps]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(random_calendars(), window, st.integers(0, 20 * 86400), window_pauses)
def test_prop_matches_brute_force_oracle(
    cal: BusinessCalendar, start: datetime, span: int, pauses: list[tuple[datetime, datetime]]
) -> None:
    end = shift(start, span)
    assert business_seconds(cal, start, end, pauses) == _oracle(cal, start, end, pauses)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([CHINA, NY_9_17, NY_NIGHT]), focused_instants, st.integers(0, 10 * 86400))
def test_prop_china_and_dst_match_oracle(cal: BusinessCalendar, start: datetime, span: int) -> None:
    end = shift(start, span)
    assert business_seconds(cal, start, end) == _oracle(cal, start, end, [])
