"""The vendor fills the whole 8D in one go in a real browser, in Chinese and in English; the inspection
sheet with the plan's check items. Set WAIBAO_SCREENSHOTS=1 to refresh docs/screenshots/quality-*.png."""

import os
import re
from pathlib import Path

import pytest

from waibao.quality import services
from waibao.quality.models import CapaStatus, NcrSource
from waibao.quality.tests.factories import make_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

TEXTS = {
    "D1": "组长：质量经理王芳；成员：班组长、培训专员",
    "D2": "第 3 周抽检 4 个严重缺陷，客户信息缺失",
    "D3": "本批全部记录复核，问题记录退回重做",
    "D4": "新员工未经字段完整性培训",
    "D5": "增加上岗前字段完整性考核",
    "D6": "6 月 1 日起全员考核，未通过者不上岗",
    "D7": "培训纳入入职流程，每月抽查",
}


def _shot(page, name):
    if os.environ.get("WAIBAO_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_vendor_fills_the_whole_8d_in_one_go_and_keeps_every_word_when_a_step_is_missing(
    lang, contract_a, quality_user, vendor_user_a, browser_login
):
    vendor_user_a.language = lang
    vendor_user_a.save(update_fields=["language"])
    ncr = services.open_nonconformance(
        contract=contract_a,
        actor=quality_user,
        source=NcrSource.AUDIT,
        severity="major",
        title="现场审核发现",
    )
    capa = services.start_corrective_action(ncr=ncr, actor=quality_user)
    page = browser_login(vendor_user_a)
    page.goto(f"/quality/capas/{capa.code}/")
    for step, text in TEXTS.items():
        page.fill(f"textarea[name={step}]", text)
    page.fill("input[name=D4_why1]", "未培训")
    page.fill("input[name=D4_why2]", "没有培训计划")
    page.click("#capa-submit")  # no root-cause category ticked yet
    page.wait_for_selector("#capa-errors")
    for step, text in TEXTS.items():
        assert page.input_value(f"textarea[name={step}]") == text
    assert page.input_value("input[name=D4_why2]") == "没有培训计划"
    assert page.locator("#d4-categories .invalid-feedback").is_visible()
    _shot(page, f"quality-8d-form-error-{'zh' if lang == 'zh-hans' else 'en'}.png")
    page.check("#d4-categories input[value=people]")
    page.check("#d4-categories input[value=method]")
    page.click("#capa-submit")
    page.wait_for_url(re.compile(rf"/quality/capas/{capa.code}/$"))
    page.wait_for_selector("#d4-category-labels")
    capa.refresh_from_db()
    assert capa.status == CapaStatus.SUBMITTED
    expected = "原因类别：人、法" if lang == "zh-hans" else "Root-cause categories: People, Method"
    assert page.locator("#d4-category-labels").inner_text() == expected
    _shot(page, f"quality-8d-submitted-{'zh' if lang == 'zh-hans' else 'en'}.png")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_inspection_sheet_shows_the_plans_check_items(lang, contract_a, quality_user, browser_login):
    quality_user.language = lang
    quality_user.save(update_fields=["language"])
    plan = make_plan(
        contract_a,
        quality_user,
        characteristics=[
            {"name": "客户信息完整"},
            {"name": "录音合规", "severity": "minor"},
            {"name": "处理时长", "kind": "variable", "usl": 30, "unit": "分钟"},
        ],
    )
    insp = services.start_inspection(plan=plan, actor=quality_user, lot_ref="2026-W10", lot_size=200, seed=7)
    page = browser_login(quality_user)
    page.goto(f"/quality/inspections/{insp.code}/")
    assert page.locator("#check-items").is_visible()
    page.check("input[name=c-2-0]")
    page.fill("input[name=m-1-0]", "45")
    _shot(page, f"quality-inspection-form-{'zh' if lang == 'zh-hans' else 'en'}.png")
    page.click("#all-conform-btn")
    page.wait_for_selector(".alert-success")
    assert insp.items.get(position=2).findings.get().checks == ["客户信息完整"]
