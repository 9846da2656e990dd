"""Delivery pages follow the data, not today's date; the missed-records list is paged from an index,
sortable, filterable and exportable; every page keeps vendor B out of vendor A's data.

Today is 2026-11-10 (the delivery conftest travels there); the tickets are from September and October.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from waibao.delivery import queries, services
from waibao.delivery.models import SlaResult
from waibao.delivery.tests.factories import CSAT, P1_RESPONSE, RESOLUTION, make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(contract, manager, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    return contract


def _p1(n: int, day: int, minutes: int, prefix: str = "M") -> list[dict]:
    """``n`` P1 tickets on 2026-10-``day`` (a workday), opened 09:00 plus i minutes, answered after
    ``minutes`` (business time, within the morning)."""
    out = []
    for i in range(n):
        opened = datetime(2026, 10, day, 9, 0) + timedelta(seconds=i)
        out.append(
            {
                "external_id": f"{prefix}{i:04d}",
                "kind": "ticket",
                "priority": "P1",
                "opened_at": opened.strftime("%Y-%m-%d %H:%M:%S"),
                "first_response_at": (opened + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S"),
                "resolved_at": (opened + timedelta(minutes=minutes + 30)).strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
    return out


def _missed_url(contract, metric, period="2026-10", suffix=""):
    return f"/delivery/contracts/{contract.code}/missed/{metric.pk}/{period}/{suffix}"


# --- pages follow the data ------------------------------------------------------------------------


def test_the_portfolio_shows_the_latest_month_with_data_not_the_current_month(loaded, manager, as_user):
    html = as_user(manager).get("/delivery/").content.decode()
    # October has the data; November (today) has none. The P1 cell shows October's 75%.
    assert 'value="2026-10" selected' in html
    assert "P1 响应及时率 75%" in html


def test_the_portfolio_picker_shows_an_earlier_month(loaded, manager, as_user):
    html = as_user(manager).get("/delivery/?period=2026-09").content.decode()
    assert 'value="2026-09" selected' in html
    assert "P1 响应及时率 75%" not in html


def test_the_portfolio_says_there_is_no_data_for_a_month_without_any(loaded, manager, as_user):
    html = as_user(manager).get("/delivery/?period=2026-11").content.decode()
    assert 'id="no-data-note"' in html


def test_the_contract_page_opens_on_the_latest_month_with_data(loaded, manager, as_user):
    html = as_user(manager).get(f"/delivery/contracts/{loaded.code}/").content.decode()
    assert 'value="2026-10" selected' in html
    assert "2026-10：<strong>75%</strong>" in html
    assert 'id="no-data-note"' not in html


def test_the_contract_page_shows_the_picked_month(loaded, manager, as_user):
    html = as_user(manager).get(f"/delivery/contracts/{loaded.code}/?period=2026-09").content.decode()
    assert 'value="2026-09" selected' in html
    assert "2026-10：<strong>" not in html
    assert "2026-09：1 条" in html  # T5 counts in September


def test_year_to_date_credits_are_for_the_picked_year_up_to_the_picked_month(loaded, manager, as_user):
    metric = loaded.sla_metrics.get(name="P1 响应及时率")
    oct_ = SlaResult.objects.get(metric=metric, period="2026-10")
    assert oct_.credit > 0
    # A result of the previous year must not count in 2026's total.
    SlaResult.objects.create(
        contract=loaded,
        metric=metric,
        period="2025-12",
        period_start=datetime(2025, 12, 1).date(),
        target=Decimal(95),
        status="missed",
        credit=Decimal("777.00"),
        computed_at=oct_.computed_at,
    )
    c = as_user(manager)
    html = c.get(f"/delivery/contracts/{loaded.code}/?period=2026-10").content.decode()
    total = sum(r.credit for r in SlaResult.objects.filter(contract=loaded, period__startswith="2026"))
    assert f'id="credit-year">CNY {total:,.2f}<' in html
    html = c.get(f"/delivery/contracts/{loaded.code}/?period=2026-09").content.decode()
    assert f'id="credit-year">CNY {oct_.credit:,.2f}<' not in html
    html = c.get(f"/delivery/contracts/{loaded.code}/?period=2025-12").content.decode()
    assert 'id="credit-year">CNY 777.00<' in html


def test_the_whole_history_of_periods_is_listed_and_paged(vendor_a, manager, as_user):
    contract = make_contract(
        vendor_a, owner=manager, metrics=[P1_RESPONSE], start=datetime(2025, 1, 1).date()
    )
    records = []
    for i, month in enumerate(range(1, 23)):  # 22 months: 2025-01 … 2026-10
        y, m = 2025 + (month - 1) // 12, (month - 1) % 12 + 1
        records.append(
            {
                "external_id": f"H{i}",
                "kind": "ticket",
                "priority": "P1",
                "opened_at": f"{y}-{m:02d}-15 10:00",
                "first_response_at": f"{y}-{m:02d}-15 10:10",
            }
        )
    services.import_batch(contract=contract, actor=manager, records=records)
    c = as_user(manager)
    first = c.get(f"/delivery/contracts/{contract.code}/").content.decode()
    assert 'href="?period=2026-10"' in first and 'href="?period=2025-01"' not in first
    assert "?history=2#history" in first
    last = c.get(f"/delivery/contracts/{contract.code}/?history=3").content.decode()
    assert 'href="?period=2025-01"' in last
    # The picker offers every month with data.
    assert first.count('<option value="2025-') == 12


def test_the_home_panel_does_not_claim_all_slas_are_fine_when_there_is_no_data(contract, manager, as_user):
    html = as_user(manager).get("/").content.decode()
    assert "所有 SLA 达标" not in html and "所有 SLA 正常" not in html
    assert "没有 SLA 数据" in html


def test_the_home_panel_counts_metrics_without_data_honestly(loaded, manager, as_user):
    html = as_user(manager).get("/").content.decode()
    assert "SLA · 2026-10" in html
    assert "所有 SLA 正常" not in html


# --- durations in hours, rule in words ------------------------------------------------------------


def test_duration_results_and_targets_are_shown_in_hours(vendor_a, manager, as_user):
    contract = make_contract(vendor_a, owner=manager, metrics=[RESOLUTION])
    services.import_batch(contract=contract, actor=manager, records=_p1(3, 12, 20))
    html = as_user(manager).get(f"/delivery/contracts/{contract.code}/").content.decode()
    assert "≤ 4 个工作小时" in html  # target 240 business minutes, as the contract page says it
    assert "50 个工作分钟" in html  # median 50 minutes, with its unit
    assert "50.00" not in html and "240" not in html


def _four_business_days(n: int) -> list[dict]:
    """``n`` P1 tickets opened Monday 2026-10-12 09:00, resolved Friday 09:00: 4 business days of 8 hours
    (32 business hours), 4 calendar days (96 hours) on a 24×7 calendar."""
    return [
        {
            "external_id": f"D{i}",
            "kind": "ticket",
            "priority": "P1",
            "opened_at": f"2026-10-12 09:00:{i:02d}",
            "resolved_at": f"2026-10-16 09:00:{i:02d}",
        }
        for i in range(n)
    ]


def test_results_page_says_durations_as_the_contract_page_does_through_each_metrics_calendar(
    vendor_a, manager, as_user, client
):
    from waibao.delivery.tests.factories import calendar

    median = {**RESOLUTION, "name": "解决时长中位数", "target": "2400"}  # 5 business days of 8 hours
    within = {
        **P1_RESPONSE,
        "name": "7 天内解决",
        "start_field": "opened_at",
        "end_field": "resolved_at",
        "threshold_minutes": 10080,  # 7 days on the 24×7 calendar
        "target": "60",
    }
    contract = make_contract(vendor_a, owner=manager, metrics=[median, within])
    contract.sla_metrics.filter(name="7 天内解决").update(calendar=calendar("24x7"))
    services.import_batch(contract=contract, actor=manager, records=_four_business_days(3))
    c = as_user(manager)
    terms = c.get(f"/contracts/{contract.code}/").content.decode()
    results = c.get(f"/delivery/contracts/{contract.code}/?period=2026-10").content.decode()
    for page in (terms, results):
        assert "不超过 7 个工作日" in page and "≤ 5 个工作日" in page
    assert "4 个工作日" in results  # the median (1,920 business minutes)
    assert "168" not in results and "40 小时" not in results and "32 小时" not in results
    metric = contract.sla_metrics.get(name="7 天内解决")
    missed = c.get(_missed_url(contract, metric)).content.decode()
    assert "不超过 7 个工作日" in missed

    c.cookies["django_language"] = "en"
    manager.language = "en"
    manager.save(update_fields=["language"])
    results = c.get(f"/delivery/contracts/{contract.code}/?period=2026-10").content.decode()
    assert "at most 7 business days" in results and "≤ 5 business days" in results
    assert "4 business days" in results and "168 hours" not in results


def test_result_charts_value_axis_takes_in_the_target_line(vendor_a, manager):
    from waibao.core import clock

    contract = make_contract(vendor_a, owner=manager, metrics=[{**P1_RESPONSE, "target": "60"}, RESOLUTION])
    share, duration = contract.sla_metrics.order_by("position")
    now = clock.now()

    def result(metric, period, value):
        return SlaResult(
            contract=contract,
            metric=metric,
            period=period,
            period_start=datetime(2022, int(period[5:]), 1).date(),
            value=value,
            sample_size=90,
            target=Decimal(60),
            status="missed",
            computed_at=now,
        )

    chart = queries._chart(share, [result(share, "2022-09", 55.56), result(share, "2022-10", 58.89)])
    axis, target = chart["yAxis"], chart["series"][0]["markLine"]["data"][0]["yAxis"]
    assert target == 60 and axis["min"] <= 55.56 and axis["max"] >= 60 and axis["max"] <= 100
    # Round ends on the ticks (55 … 61 by 1), not 55.12 … 60.44.
    assert (axis["min"], axis["max"], axis["interval"]) == (55, 61, 1)
    # A duration chart is drawn in the unit its target is said in (4 business hours), the target inside.
    chart = queries._chart(duration, [result(duration, "2022-10", 1500.0)])
    axis, target = chart["yAxis"], chart["series"][0]["markLine"]["data"][0]["yAxis"]
    assert (
        target == 4 and axis["min"] <= 4 <= axis["max"] and axis["max"] >= 25 and axis["name"] == "工作小时"
    )


# --- the missed-records list ----------------------------------------------------------------------


@pytest.fixture
def many(vendor_a, manager):
    """120 P1 tickets that missed the 30-minute response (45 minutes) and 30 that met it."""
    contract = make_contract(vendor_a, owner=manager, metrics=[P1_RESPONSE, CSAT])
    services.import_batch(contract=contract, actor=manager, records=_p1(30, 13, 10, "OK") + _p1(120, 12, 45))
    return contract


def test_the_missed_list_is_paged_without_counting_the_period(many, manager, as_user):
    metric = many.sla_metrics.get(name="P1 响应及时率")
    c = as_user(manager)
    with CaptureQueriesContext(connection) as ctx:
        html = c.get(_missed_url(many, metric)).content.decode()
    assert html.count('href="/delivery/records/') == 50
    assert "第 1–50 条" in html and 'id="missed-next"' in html
    assert not [
        q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "servicerecord" in q["sql"]
    ]
    next_url = html.split('id="missed-next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    page2 = c.get(_missed_url(many, metric) + next_url).content.decode()
    assert "第 51–100 条" in page2 and "M0050" in page2 and "M0049<" not in page2
    next_url = page2.split('id="missed-next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    page3 = c.get(_missed_url(many, metric) + next_url).content.decode()
    assert "第 101–120 条，已是最后一页" in page3 and 'id="missed-next"' not in page3


def test_a_missed_page_examines_a_bounded_number_of_records_and_offers_to_continue(many, manager):
    metric = many.sla_metrics.get(name="P1 响应及时率")
    # No ticket is 10 hours late: a page gives up after examining scan_limit records, says so, and
    # offers to go on from there.
    late = queries.MissedFilters(min_over_hours=Decimal(10))
    page = queries.missed_page(many, metric, "2026-10", late, scan_limit=10)
    assert page.items == [] and page.partial and page.next_at == 10
    # The database skips the 30 tickets answered within 30 minutes on the clock: positions count
    # only the 120 candidates, newest first.
    rest = queries.missed_page(many, metric, "2026-10", queries.MissedFilters(sort="-opened"), at=30)
    assert len(rest.items) == 50 and rest.items[0].record["external_id"] == "M0089"
    assert rest.next_at == 80 and not rest.partial


def test_the_missed_list_sorts_by_external_id_and_start_time(many, manager, as_user):
    metric = many.sla_metrics.get(name="P1 响应及时率")
    c = as_user(manager)
    html = c.get(_missed_url(many, metric) + "?sort=-external_id").content.decode()
    rows = html.split('href="/delivery/records/')[1:]
    assert rows[0].split(">")[1].startswith("M0119") and rows[1].split(">")[1].startswith("M0118")
    html = c.get(_missed_url(many, metric) + "?sort=opened").content.decode()
    rows = html.split('href="/delivery/records/')[1:]
    assert rows[0].split(">")[1].startswith("M0000")


def test_the_missed_list_filters_by_external_id_and_by_how_late(many, manager, as_user):
    services.import_batch(contract=many, actor=manager, records=_p1(2, 14, 180, "LATE"))
    metric = many.sla_metrics.get(name="P1 响应及时率")
    c = as_user(manager)
    html = c.get(_missed_url(many, metric) + "?q=M011").content.decode()
    assert html.count('href="/delivery/records/') == 10
    html = c.get(_missed_url(many, metric) + "?min_over_hours=2").content.decode()
    assert html.count('href="/delivery/records/') == 2 and "LATE0000" in html
    assert "2.5 小时" in html  # 180 − 30 minutes over the limit
    # a bad value is shown next to the field and the list is unfiltered
    html = c.get(_missed_url(many, metric) + "?min_over_hours=abc").content.decode()
    assert "is-invalid" in html and 'value="abc"' in html


def test_the_missed_list_shows_the_columns_the_metric_uses(many, manager, as_user):
    metric = many.sla_metrics.get(name="P1 响应及时率")
    html = as_user(manager).get(_missed_url(many, metric)).content.decode()
    head = html.split('id="missed-records"')[1].split("</thead>")[0]
    for label in ("记录编号", "优先级", "开始时间", "首次响应时间", "工作时间", "超出时限"):
        assert label in head
    assert "0.75 小时" in html and "0.25 小时" in html  # 45 business minutes, 15 over the limit
    csat = many.sla_metrics.get(name="客户满意度")
    head = as_user(manager).get(_missed_url(many, csat)).content.decode().split("</thead>")[0]
    assert "满意度" in head and "工作时间" not in head


def test_the_missed_list_exports_xlsx_and_csv_with_headers_in_the_readers_language(many, manager, as_user):
    services.import_batch(contract=many, actor=manager, records=_p1(1, 15, 60, "=HYPERLINK(1)-"))
    metric = many.sla_metrics.get(name="P1 响应及时率")
    c = as_user(manager)
    r = c.get(_missed_url(many, metric, suffix="export.csv"))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:2] == ["记录编号", "优先级"] and "工作时间（小时）" in table[0]
    assert len(table) == 1 + 121
    assert [row[0] for row in table if "HYPERLINK" in row[0]] == ["'=HYPERLINK(1)-0000"]
    r = c.get(_missed_url(many, metric, suffix="export.xlsx") + "?q=HYPERLINK")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws["A1"].value == "记录编号"
    assert ws["A2"].value == "=HYPERLINK(1)-0000" and ws["A2"].data_type == "s"
    hours_col = [cell.value for cell in ws[1]].index("工作时间（小时）")
    assert ws.cell(row=2, column=hours_col + 1).value == 1  # 60 business minutes
    manager.language = "en"
    manager.save(update_fields=["language"])
    r = as_user(manager).get(_missed_url(many, metric, suffix="export.csv"))
    header = r.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Record ID,Priority,") and "Business time (hours)" in header


def test_people_without_the_export_right_cannot_export_the_missed_list(many, personas, as_user):
    metric = many.sla_metrics.get(name="P1 响应及时率")
    for who in ("manager", "auditor", "vendor_a"):
        user = personas[who]
        from waibao.accounts import policy

        expected = 200 if policy.can(user, "export") else 403
        assert as_user(user).get(_missed_url(many, metric, suffix="export.csv")).status_code == expected


# --- vendor B sees nothing of vendor A --------------------------------------------------------------


def test_vendor_b_gets_404_on_vendor_as_missed_list_exports_and_periods(many, personas, as_user):
    metric = many.sla_metrics.get(name="P1 响应及时率")
    c = as_user(personas["vendor_b"])
    for url in (
        _missed_url(many, metric),
        _missed_url(many, metric) + "?sort=-external_id&q=M&at=50&n=50",
        _missed_url(many, metric, suffix="export.csv"),
        _missed_url(many, metric, suffix="export.xlsx"),
        f"/delivery/contracts/{many.code}/?period=2026-10",
        f"/delivery/contracts/{many.code}/?history=2",
    ):
        assert c.get(url).status_code == 404, url


def test_vendor_b_portfolio_offers_none_of_vendor_as_months(many, contract_b, personas, as_user):
    html = as_user(personas["vendor_b"]).get("/delivery/").content.decode()
    assert "2026-10" not in html and many.code not in html
    html = as_user(personas["vendor_b"]).get("/delivery/?period=2026-10").content.decode()
    assert many.code not in html and "M0000" not in html
    assert queries.portfolio_months(personas["vendor_b"]) == []


def test_vendor_a_sees_its_own_missed_list_and_periods(many, personas, as_user):
    metric = many.sla_metrics.get(name="P1 响应及时率")
    c = as_user(personas["vendor_a"])
    assert "M0000" in c.get(_missed_url(many, metric)).content.decode()
    assert 'value="2026-10" selected' in c.get("/delivery/").content.decode()


def test_the_missed_list_uses_a_fixed_number_of_queries(
    many, manager, as_user, django_assert_max_num_queries
):
    metric = many.sla_metrics.get(name="P1 响应及时率")
    c = as_user(manager)
    c.get(_missed_url(many, metric))
    with django_assert_max_num_queries(20):
        c.get(_missed_url(many, metric))


@pytest.mark.parametrize("page", ["portfolio", "contract", "missed", "missed-filtered", "home"])
def test_the_delivery_pages_are_english_for_an_english_reader(many, manager, as_user, page):
    from waibao.core.tests.test_i18n import chinese_left

    manager.language = "en"
    manager.save(update_fields=["language"])
    metric = many.sla_metrics.get(name="P1 响应及时率")
    url = {
        "portfolio": "/delivery/",
        "contract": f"/delivery/contracts/{many.code}/",
        "missed": _missed_url(many, metric),
        "missed-filtered": _missed_url(many, metric) + "?min_over_hours=99",
        "home": "/",
    }[page]
    html = as_user(manager).get(url).content.decode()
    html = html.split("<main", 1)[1].split("</main>", 1)[0]  # this page's own text, not the shell's
    # metric names are the contract's data, typed in Chinese
    for name in ("P1 响应及时率", "客户满意度", "IT 运维服务", "甲供应商有限公司"):
        html = html.replace(name, "")
    assert chinese_left(html) == set()


def test_a_disputes_proposed_corrections_name_fields_as_the_reader_does(
    loaded, vendor_user_a, manager, client
):
    from waibao.delivery.models import ServiceRecord

    rec = ServiceRecord.objects.get(contract=loaded, external_id="T1")
    services.raise_dispute(
        record=rec,
        actor=vendor_user_a,
        comment="Wrong time",
        proposed={"first_response_at": "2026-10-08 12:00"},
    )
    manager.language = "en"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    html = client.get(f"/delivery/records/{rec.pk}/").content.decode()
    assert "Proposed correction: First response at = " in html
    # Which SLAs the record counts in: the rule in words and the business time in hours, no field codes.
    impact = html.split('id="record-impact"')[1].split("</table>")[0]
    assert "0.58 hours" in impact and "at most 30 business minutes" in impact and "minutes</td>" not in impact
    assert (
        "first_response_at" not in html
        and "opened_at" not in html
        and "：" not in html.split("Proposed correction")[1][:60]
    )
