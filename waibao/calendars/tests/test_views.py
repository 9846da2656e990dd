from datetime import date

import pytest
import time_machine

from waibao.calendars.models import Calendar
from waibao.calendars.services import ensure_builtin_calendars

pytestmark = pytest.mark.django_db


@pytest.fixture
def china():
    ensure_builtin_calendars()
    return Calendar.objects.get(preset="china-mainland")


@pytest.mark.parametrize("role", ["admin_user", "manager", "auditor", "finance_user", "vendor_user_a"])
def test_every_role_reads_calendar_pages(as_user, request, role, china):
    client = as_user(request.getfixturevalue(role))
    assert client.get("/calendars/").status_code == 200
    page = client.get(f"/calendars/{china.pk}/?month=2026-10").content.decode()
    assert "休" in page and "班" in page  # Oct 1-7 holidays, Oct 10 make-up workday


@pytest.mark.parametrize("role", ["auditor", "finance_user", "quality_user", "vendor_user_a"])
def test_only_writers_edit_calendars(as_user, request, role, china):
    client = as_user(request.getfixturevalue(role))
    assert client.get("/calendars/new/").status_code == 403
    assert client.get(f"/calendars/{china.pk}/edit/").status_code == 403


def test_manager_creates_a_calendar_with_split_hours(as_user, manager):
    r = as_user(manager).post("/calendars/new/", {
        "name": "成都客服中心", "time_zone": "Asia/Shanghai", "hours_mon": "09:00-12:00, 13:00-18:00",
        "hours_tue": "09:00-18:00", "holidays": "2026-10-01\n2026-10-02", "recurring_holidays": "01-01",
    })  # fmt: skip
    assert r.status_code == 302
    cal = Calendar.objects.get(name="成都客服中心")
    assert cal.weekly_hours["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]] and cal.holidays == [
        "2026-10-01",
        "2026-10-02",
    ]


def test_bad_hours_are_shown_next_to_the_weekday(as_user, manager):
    r = as_user(manager).post(
        "/calendars/new/", {"name": "x", "time_zone": "Asia/Shanghai", "hours_mon": "13:00-12:00"}
    )
    body = r.content.decode()
    assert r.status_code == 200 and "周一：时段 13:00–12:00 的结束时间早于开始时间。" in body
    assert "ends before it starts" not in body
    # the message sits under the Monday field, not only at the top of the form
    monday = body.split('name="hours_mon"', 1)[1].split('name="hours_tue"', 1)[0]
    assert "结束时间早于开始时间" in monday


def test_every_calendar_field_error_is_in_chinese_next_to_its_field(as_user, manager):
    r = as_user(manager).post("/calendars/new/", {
        "name": "x", "time_zone": "Mars/Olympus", "hours_mon": "09:00-12:00, 11:00-13:00", "hours_sat": "9-18",
        "holidays": "2026-02-30", "recurring_holidays": "13-01",
    })  # fmt: skip
    body = r.content.decode()
    for message in (
        "时区：未知的时区“Mars/Olympus”。",
        "周一：时段 09:00–12:00 与 11:00–13:00 重叠。",
        "周六：“9”不是 HH:MM 格式的时间。",
        "节假日：“2026-02-30”不是有效日期。",
        "每年固定节假日：“13-01”不是 MM-DD 格式的月日。",
    ):
        assert message in body
    assert not Calendar.objects.filter(name="x").exists()


def test_dashboard_warns_when_a_calendar_in_use_has_no_holiday_data(as_user, manager, vendor_a):
    from waibao.contracts import services
    from waibao.contracts.tests.factories import METRIC, draft_contract

    custom = Calendar.objects.create(name="无节假日日历")
    services.add_metric(
        contract=draft_contract(manager, vendor_a), actor=manager, definition=dict(METRIC), calendar=custom
    )
    with time_machine.travel(date(2026, 3, 1)):
        page = as_user(manager).get("/").content.decode()
    assert "工作日历缺少节假日数据" in page and "无节假日日历" in page
