"""An inspection from sample to nonconformance, in a real browser."""

import re

import pytest

from waibao.quality.models import Inspection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_inspector_samples_a_lot_rejects_it_and_follows_the_nonconformance_to_an_8d(
    quality_user, plan_a, browser_login
):
    page = browser_login(quality_user)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/quality/inspections/new/?plan={plan_a.pk}")
    page.fill("input[name=lot_ref]", "2026-W11")
    page.fill("input[name=lot_size]", "1000")
    page.fill("input[name=seed]", "31337")
    page.click("#quality-form button[type=submit]")
    page.wait_for_url(re.compile(r"/quality/inspections/INS-\d{4}-\d{4}/$"))
    inspection = Inspection.objects.get()
    assert page.locator("#seed").inner_text() == "31337"
    assert page.locator("#sample-items tbody tr").count() == inspection.items.count() == 80
    for position in range(1, 5):  # J, AQL 1.5: Re = 4
        page.check(f"input[name=f-{position}-major]")
    page.fill("input[name=n-1]", "客户信息缺失")
    page.click("#complete-btn")
    page.wait_for_selector("#lot-decision")
    assert page.locator("#lot-decision").inner_text() == "不接收"
    assert page.locator("#class-results", has_text="不接收").is_visible()
    page.click("#auto-ncr")
    page.wait_for_url(re.compile(r"/quality/ncrs/NCR-\d{4}-\d{4}/$"))
    assert page.locator("h1", has_text="2026-W11").is_visible()
    page.click("#start-capa")
    page.wait_for_url(re.compile(r"/quality/capas/CAPA-\d{4}-\d{4}/$"))
    assert page.locator("#step-D4").is_visible()
    assert inspection.nonconformances.get().capa.steps.count() == 8
