"""Browser: a manager authors SLA metrics through the form in both languages without typing any JSON —
a ready-made metric adjusted, filter rows with values from the contract's records, tiers as rows, a time
limit in business days shown with its conversion. Set WAIBAO_SCREENSHOTS=1 to refresh the screenshots."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from waibao.contracts.models import SlaMetric
from waibao.contracts.tests.factories import draft_contract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def _shot(page, name):
    if os.environ.get("WAIBAO_SCREENSHOTS"):
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_manager_authors_metrics_in_both_languages_with_no_json(page, browser_login, manager, vendor_a):
    from playwright.sync_api import expect

    from waibao.delivery.models import ServiceRecord

    contract = draft_contract(manager, vendor_a)
    for i, (prio, cat) in enumerate([("P1", "网络"), ("P2", "桌面"), ("P3", "咨询")]):
        ServiceRecord.objects.create(
            contract=contract, external_id=f"T-{i}", kind="ticket", priority=prio, category=cat,
            opened_at=datetime(2026, 3, 2, 1, tzinfo=UTC), day=date(2026, 3, 2), fingerprint=f"f{i}",
        )  # fmt: skip
    browser_login(manager)

    # Chinese: start from "resolution within N business days", change N and the target, add a filter.
    page.goto(f"/contracts/{contract.code}/sla/new/")
    page.get_by_role("button", name="解决：N 个工作日内").click()
    page.wait_for_load_state()
    assert page.input_value("input[name=sla-threshold]") == "3"
    assert "3 个工作日 = 24 个工作小时" in page.locator(".conversion").first.inner_text()
    page.fill("input[name=sla-name]", "P1/P2 工单 2 个工作日内解决")
    page.fill("input[name=sla-threshold]", "2")
    page.fill("input[name=sla-target]", "92")
    # The conversion follows what is typed (HTMX asks the server; the page works without it too).
    expect(page.locator("#sla-threshold-conversion")).to_contain_text("2 个工作日 = 16 个工作小时")
    page.select_option("select[name=sla-filters-0-field]", label="优先级")
    page.select_option("select[name=sla-filters-0-op]", label="属于（任一）")
    assert page.get_attribute("input[name=sla-filters-0-value]", "list") == "sla-values-priority"
    assert page.locator("#sla-values-priority option[value=P2]").count() == 1  # from the records
    page.fill("input[name=sla-filters-0-value]", "P1, P2")
    page.fill("input[name=sla-tiers-1-upper]", "92")
    page.fill("input[name=sla-tiers-2-lower]", "92")
    _shot(page, "contracts-metric-form.png")
    page.click("#save-metric")
    page.wait_for_url(f"**/contracts/{contract.code}/#sla")
    sla = page.locator("#sla").inner_text()
    assert "从开始时间到解决时间不超过 2 个工作日" in sla and "优先级 属于（任一） P1、P2" in sla

    m = SlaMetric.objects.get(contract=contract)
    assert m.definition["threshold_minutes"] == 2 * 480
    assert m.definition["filter"] == [["priority", "in", ["P1", "P2"]]]
    assert [t["to"] for t in m.definition["tiers"]] == ["80", "92", "100"]

    # English: a metric from scratch — on-time delivery by comparing two times, tiers typed as rows.
    page.click("#language-switch button")
    page.wait_for_load_state()
    page.goto(f"/contracts/{contract.code}/sla/new/")
    assert "Start from a common metric" in page.content()
    page.fill("input[name=sla-name]", "On-time delivery")
    page.select_option("select[name=sla-kind]", label="Rate")
    assert page.locator("input[name=sla-threshold]").is_hidden()  # only what a rate uses is shown
    page.select_option("select[name=sla-record_kind]", label="Delivery")
    page.check("input[name=sla-rate_by][value=on_time]")
    page.select_option("select[name=sla-on_time_actual]", label="Delivered at")
    page.select_option("select[name=sla-on_time_due]", label="Promised at")
    page.fill("input[name=sla-target]", "98")
    for i, row in enumerate([("0", "95", "credit_percent", "5"), ("97", "95", "none", "")]):
        page.fill(f"input[name=sla-tiers-{i}-lower]", row[0])
        page.fill(f"input[name=sla-tiers-{i}-upper]", row[1])
        page.select_option(f"select[name=sla-tiers-{i}-consequence]", row[2])
        page.fill(f"input[name=sla-tiers-{i}-amount]", row[3])
    page.click("#save-metric")
    page.wait_for_load_state()
    # Tier 2 runs backwards: refused, everything typed still there, the message numbered as on screen.
    assert "Tier 2 · Result to: " in page.locator(".tier-rows").inner_text()
    assert page.input_value("input[name=sla-tiers-1-lower]") == "97"
    assert page.input_value("input[name=sla-name]") == "On-time delivery"
    assert page.input_value("select[name=sla-on_time_actual]") == "delivered_at"
    page.fill("input[name=sla-tiers-1-lower]", "95")
    page.fill("input[name=sla-tiers-1-upper]", "100")
    page.click("#save-metric")
    page.wait_for_url(f"**/contracts/{contract.code}/#sla")
    assert "share with Delivered at no later than Promised at" in page.locator("#sla").inner_text()
    d = SlaMetric.objects.get(contract=contract, name="On-time delivery").definition
    assert (d["kind"], d["record_kind"], d["start_field"], d["end_field"]) == (
        "rate", "delivery", "delivered_at", "promised_at",
    )  # fmt: skip

    # The English form of the first metric, for the screenshot: 2 business days = 16 business hours.
    page.goto(f"/contracts/{contract.code}/sla/{m.pk}/")
    assert "2 business days = 16 business hours" in page.locator(".conversion").first.inner_text()
    _shot(page, "contracts-metric-form-en.png")
