"""Importing service records in a real browser: upload, progress page, error report, download."""

from __future__ import annotations

import re

import pytest

from waibao.delivery.models import ImportJob, ServiceRecord
from waibao.delivery.tests.factories import make_contract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "工单号,类型,优先级,创建时间,首次响应时间,满意度\n"
    "B1,ticket,P1,2026-10-08 09:00,2026-10-08 09:20,5\n"
    "B2,ticket,P1,2026-10-08 10:00,2026-10-08 09:50,4\n"  # responded before it was opened
    "B3,ticket,P2,2026-10-09 10:00,2026-10-09 10:40,4\n"
)


def test_manager_imports_a_gbk_file_sees_progress_and_the_error_report(
    vendor_a, manager, browser_login, tmp_path
):
    contract = make_contract(vendor_a, owner=manager)
    f = tmp_path / "工单.csv"
    f.write_bytes(CSV.encode("gbk"))
    page = browser_login(manager)

    # All-or-nothing (the default): nothing is imported, the bad row is named.
    page.goto(f"/delivery/contracts/{contract.code}/import/")
    page.set_input_files("input[name=file]", str(f))
    page.click("#import-form button[type=submit]")
    page.wait_for_url(re.compile(r"/delivery/imports/\d+/$"))
    page.locator("#job-status", has_text="有错误，未导入").wait_for()
    assert page.locator("#import-error-groups", has_text="首次响应时间").is_visible()
    assert page.locator("#import-error-groups td", has_text="3").first.is_visible()
    assert not ServiceRecord.objects.exists()

    # Import the valid rows: two stored, the rejected one kept in the downloadable error file.
    page.goto(f"/delivery/contracts/{contract.code}/import/")
    page.set_input_files("input[name=file]", str(f))
    page.check("input[name=policy][value=valid_rows]")
    page.click("#import-form button[type=submit]")
    page.wait_for_url(re.compile(r"/delivery/imports/\d+/$"))
    page.locator("#job-status", has_text="已完成").wait_for()
    assert page.locator(".progress-bar", has_text="100%").is_visible()
    assert "行/秒" in page.locator("#job-rate").inner_text()
    counts = page.locator("#job-counts").inner_text()
    assert re.search(r"2\s+新增", counts) and re.search(r"1\s+拒绝", counts)
    with page.expect_download() as dl:
        page.click("#error-download")
    content = tmp_path / "errors.csv"
    dl.value.save_as(content)
    text = content.read_text(encoding="utf-8-sig")
    assert "B2" in text and "首次响应时间" in text
    assert set(ServiceRecord.objects.values_list("external_id", flat=True)) == {"B1", "B3"}
    assert ImportJob.objects.filter(status="succeeded").count() == 1

    # The contract page now shows the results and links back to the import.
    page.goto(f"/delivery/contracts/{contract.code}/")
    assert page.locator("[data-chart] canvas").first.is_visible()
    assert page.locator("text=工单.csv").first.is_visible()


def test_a_running_job_page_polls_and_can_be_cancelled(vendor_a, manager, browser_login):
    from waibao.core import clock

    contract = make_contract(vendor_a, owner=manager)
    job = ImportJob.objects.create(
        contract=contract,
        status="running",
        rows_total=1000,
        rows_done=250,
        rows_per_second=125.0,
        created_at=clock.now(),
        created_by=manager,
        heartbeat_at=clock.now(),
        file_name="big.csv",
    )
    page = browser_login(manager)
    page.goto(f"/delivery/imports/{job.pk}/")
    assert page.locator(".progress-bar", has_text="25%").is_visible()
    assert "约剩 6 秒" in page.locator("#job-rate").inner_text()
    ImportJob.objects.filter(pk=job.pk).update(rows_done=500)
    page.locator(".progress-bar", has_text="50%").wait_for()  # HTMX polled the progress partial
    page.click("text=取消导入")
    page.wait_for_url(f"**/delivery/imports/{job.pk}/")
    job.refresh_from_db()
    assert job.cancel_requested


MANUAL_SURVEY = {
    "name": "客户满意度（季度调查）",
    "kind": "manual",
    "target": "90",
    "tiers": [
        {"from": "0", "to": "90", "consequence": "credit_percent", "amount": "3"},
        {"from": "90", "to": "100", "consequence": "none"},
    ],
}


def test_a_vendor_proposes_a_manual_value_and_the_buyer_confirms_it_into_the_result(
    vendor_a, manager, vendor_user_a, browser_login
):
    from waibao.delivery.models import ManualValue, SlaResult

    contract = make_contract(vendor_a, owner=manager, metrics=[MANUAL_SURVEY])
    metric = contract.sla_metrics.get()
    card = f"#metric-{metric.pk}"

    # The vendor user proposes 87.5 for October; a mistyped value first comes back next to its field.
    page = browser_login(vendor_user_a)
    page.goto(f"/delivery/contracts/{contract.code}/")
    page.select_option(f"#manual-{metric.pk}-period", "2026-10")
    page.fill(f"#manual-{metric.pk}-value", "")
    page.fill(f"#manual-{metric.pk}-note", "十月调查报告")
    page.click(f"#manual-form-{metric.pk} button[type=submit]")
    page.locator(f"#manual-{metric.pk}-value-error").wait_for()
    assert page.input_value(f"#manual-{metric.pk}-note") == "十月调查报告"  # what was typed is kept
    assert page.input_value(f"#manual-{metric.pk}-period") == "2026-10"
    page.fill(f"#manual-{metric.pk}-value", "87.5")
    page.click(f"#manual-form-{metric.pk} button[type=submit]")
    page.locator(f"{card} [role=status]", has_text="待采购方确认").wait_for()
    row = page.locator(f"{card} tr", has_text="十月调查报告")
    assert "待确认" in row.inner_text()
    assert not SlaResult.objects.filter(metric=metric, period="2026-10", value__isnull=False).exists()

    # The buyer sees it pending on the contract page and confirms it.
    page.context.clear_cookies()
    page = browser_login(manager)
    page.goto(f"/delivery/contracts/{contract.code}/")
    pending = page.locator(f"{card} tr", has_text="十月调查报告")
    assert "待确认" in pending.inner_text() and "87.5" in pending.inner_text()
    proposal = ManualValue.objects.get(metric=metric, period="2026-10")
    page.click(f"#decide-row-{proposal.pk} button[value=confirm]")
    page.locator(f"{card} [role=status]", has_text="已确认").wait_for()

    # The SLA result for October now shows the value and its status.
    result_row = page.locator(f"{card} table").first.locator("tr", has_text="2026-10")
    text = result_row.inner_text()
    assert "87.5" in text and "未达标" in text
    assert ManualValue.objects.get(metric=metric, period="2026-10").status == "confirmed"
    r = SlaResult.objects.get(metric=metric, period="2026-10")
    assert (r.value, r.status) == (87.5, "missed")
