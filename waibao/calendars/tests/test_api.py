import json

import pytest

from waibao.calendars.models import Calendar
from waibao.calendars.services import ensure_builtin_calendars

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendars/"
OFFICE = {
    "name": "上海办公室",
    "time_zone": "Asia/Shanghai",
    "weekly_hours": {
        "mon": [["09:00", "12:00"], ["13:00", "18:00"]], "tue": [["09:00", "18:00"]],
        "wed": [["09:00", "18:00"]], "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]],
        "sat": [], "sun": [],
    },
    "holidays": ["2026-10-01"],
    "recurring_holidays": ["01-01"],
    "workdays": ["2026-09-20"],
}  # fmt: skip


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def china():
    ensure_builtin_calendars()
    return Calendar.objects.get(preset="china-mainland")


def test_manager_creates_a_calendar_and_reads_it_back(api_client, manager):
    r = post(api_client(manager), URL, OFFICE)
    assert r.status_code == 201, r.content
    got = api_client(manager).get(f"{URL}{r.json()['id']}").json()
    assert got["weekly_hours"]["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]] and got["workdays"] == [
        "2026-09-20"
    ]


def test_preset_body_creates_the_builtin_chinese_calendar(api_client, admin_user):
    r = post(api_client(admin_user), URL, {"name": "我的中国日历", "preset": "china-mainland"})
    assert r.status_code == 201 and r.json()["preset"] == "china-mainland"
    cal = Calendar.objects.get(pk=r.json()["id"])
    assert len(cal.business_calendar().holidays) > 100


def test_invalid_calendar_gets_field_level_errors(api_client, manager):
    bad = {
        **OFFICE,
        "weekly_hours": {**OFFICE["weekly_hours"], "mon": [["13:00", "12:00"]]},
        "holidays": ["2026-09-20"],
    }
    r = post(api_client(manager), URL, bad)
    assert r.status_code == 422
    fields = r.json()["fields"]
    assert fields["weekly_hours.mon"] == "周一：时段 13:00–12:00 的结束时间早于开始时间。"
    assert fields["workdays"] == "调休工作日：2026-09-20 同时被列为节假日，一个日期不能既放假又上班。"


def test_unknown_calendar_fields_are_named_in_the_api(api_client, manager):
    r = post(api_client(manager), URL, {**OFFICE, "time_zone": "Asia/Nowhere", "name": "y"})
    assert r.status_code == 422 and r.json()["fields"]["time_zone"] == "时区：未知的时区“Asia/Nowhere”。"


@pytest.mark.parametrize("role", ["quality_user", "finance_user", "auditor", "vendor_user_a"])
def test_only_admins_and_managers_write_calendars(api_client, request, role, china):
    client = api_client(request.getfixturevalue(role))
    assert post(client, URL, OFFICE).status_code == 403
    assert client.put(f"{URL}{china.pk}", data="{}", content_type="application/json").status_code == 403
    assert client.delete(f"{URL}{china.pk}").status_code == 403
    assert client.get(f"{URL}{china.pk}").status_code == 200


def test_business_time_across_the_national_day_holiday(api_client, auditor, china):
    # 2026-09-30 (Wed) 17:00 → 2026-10-09 (Fri) 10:00 Beijing: 1 h on 30 Sep, Oct 1–7 holiday,
    # Oct 8 (Thu) 8 h and Oct 9 1 h → 10 business hours; 2026-10-10 (Sat) is a make-up workday.
    r = post(api_client(auditor), f"{URL}{china.pk}/business-time", {
        "start": "2026-09-30T17:00:00+08:00", "end": "2026-10-09T10:00:00+08:00",
    })  # fmt: skip
    assert r.status_code == 200 and r.json() == {"business_seconds": 10 * 3600}


def test_business_time_subtracts_pauses(api_client, auditor, china):
    r = post(api_client(auditor), f"{URL}{china.pk}/business-time", {
        "start": "2026-03-02T09:00:00+08:00", "end": "2026-03-02T18:00:00+08:00",
        "pauses": [["2026-03-02T10:00:00+08:00", "2026-03-02T11:00:00+08:00"]],
    })  # fmt: skip
    assert r.json() == {"business_seconds": 7 * 3600}


def test_due_answers_in_utc_and_skips_lunch(api_client, auditor, china):
    r = post(
        api_client(auditor),
        f"{URL}{china.pk}/due",
        {"start": "2026-03-02T11:30:00+08:00", "business_seconds": 3600},
    )
    assert r.json() == {"due": "2026-03-02T05:30:00Z"}  # 11:30–12:00, lunch, 13:00–13:30 Beijing


def test_naive_instants_are_refused(api_client, auditor, china):
    r = post(
        api_client(auditor), f"{URL}{china.pk}/due", {"start": "2026-03-02T11:30:00", "business_seconds": 60}
    )
    assert r.status_code == 422 and "start" in r.json()["fields"]


def test_admin_adds_next_years_holidays_to_the_builtin_calendar(api_client, admin_user, china):
    r = api_client(admin_user).put(
        f"{URL}{china.pk}", data=json.dumps({"holidays": ["2031-01-01"]}), content_type="application/json"
    )
    assert r.status_code == 200, r.content
    china.refresh_from_db()
    bc = china.business_calendar()
    from datetime import date

    assert date(2031, 1, 1) in bc.holidays and date(2026, 10, 1) in bc.holidays


def test_calendar_in_use_cannot_be_deleted(api_client, admin_user, manager, vendor_a, china):
    from waibao.contracts import services
    from waibao.contracts.tests.factories import METRIC, draft_contract

    services.add_metric(
        contract=draft_contract(manager, vendor_a), actor=manager, definition=dict(METRIC), calendar=china
    )
    assert api_client(admin_user).delete(f"{URL}{china.pk}").status_code == 409


def test_calendar_list_query_count_is_flat(
    api_client, auditor, manager, china, django_assert_max_num_queries
):
    client = api_client(auditor)
    with django_assert_max_num_queries(10) as ctx:
        client.get(URL)
    baseline = len(ctx.captured_queries)
    for i in range(5):
        post(api_client(manager), URL, {**OFFICE, "name": f"办公室 {i}"})
    with django_assert_max_num_queries(baseline):
        assert client.get(URL).json()["count"] == 7
