"""The whole manager journey in a real browser, in Chinese and in English, on real casework.

A manager creates a vendor (with a valid unified social credit code), invites its user, and a contract with three SLAs
authored through the metric form, submits it, and the approval chain (manager → finance → admin) makes it
active. 276 real constituent-service cases of one New York City Council office (September–November 2022,
``data/nyc_council_nycc03_2022-09_to_11.csv``) come in through the import page: September and October as a
CSV file, November as an .xlsx workbook. The results are shown for the data's own months. A quality
reviewer writes a quality plan, inspects October's lot (a sample drawn from cases opened in that local
month), rejects it and opens a nonconformance with an 8D; the vendor's user fills D1–D7 in one go in the
portal and submits; quality accepts and verifies, which closes the 8D and the nonconformance.

Only the buyer personas are made outside the pages; the vendor's user is invited by e-mail and sets a
password through the link in the mail. Set WAIBAO_SCREENSHOTS=1 to write ``docs/screenshots/journey-NN-<step>-<lang>.png``.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

# clause_library: the templates a fresh installation has (the flush between transactional tests empties them).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clause_library")]

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "docs" / "screenshots"
DATA = Path(__file__).parent / "data" / "nyc_council_nycc03_2022-09_to_11.csv"

#: What a person types, in the language they work in.
TEXT = {
    "zh-hans": {
        "vendor": "曼哈顿第三选区服务中心",
        "vendor_user": "陈静",
        "contract": "选民服务外包（第三选区）",
        "m1": "7 天内解决",
        "m2": "解决时长中位数",
        "m3": "住房类 10 个工作日内解决",
        "lot": "2022 年 10 月",
        "item": "回复内容完整",
        "finding": "未记录回复内容",
        "d": [
            "组长王芳，质检李强",
            "10 月抽检的个案中 6 件未记录回复内容",
            "已补录 6 件个案的回复",
            "结案模板没有必填的回复字段",
            "结案模板增加必填的回复字段",
            "11 月 1 日起新模板上线，全员培训",
            "结案检查表写入作业指导书",
        ],
        "whys": ["回复内容未记录", "结案时不要求填写", "模板缺少必填字段"],
        "verify": "11 月抽检未再发现",
        "lang": "zh",
    },
    "en": {
        "vendor": "Manhattan District 3 Service Centre",
        "vendor_user": "Jing Chen",
        "contract": "Constituent services (District 3)",
        "m1": "Resolved within 7 days",
        "m2": "Median time to resolve",
        "m3": "Housing resolved within 10 business days",
        "lot": "October 2022",
        "item": "Reply recorded",
        "finding": "No reply recorded",
        "d": [
            "Team lead Fang Wang, reviewer Qiang Li",
            "6 cases sampled in October have no reply recorded",
            "The replies of the 6 cases were added",
            "The closing template has no required reply field",
            "A required reply field added to the closing template",
            "New template live from 1 November, all staff trained",
            "Closing checklist added to the work instruction",
        ],
        "whys": ["No reply recorded", "Not required at closing", "Template lacks the field"],
        "verify": "The November inspection found none",
        "lang": "en",
    },
}


def _rows() -> tuple[list[str], list[list[str]]]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


def _shot(page, n: int, step: str, lang: str, at: str | None = None) -> None:
    """The window (1280×1000), scrolled to ``at`` when given: what a person sees at that step."""
    if os.environ.get("WAIBAO_SCREENSHOTS"):
        if at:
            page.locator(at).first.scroll_into_view_if_needed()
            page.evaluate("selector => document.querySelector(selector).scrollIntoView()", at)
        else:
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"journey-{n:02d}-{step}-{lang}.png"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_manager_journey_from_vendor_to_verified_8d_on_real_casework(
    language, page, browser_login, manager, finance_user, admin_user, quality_user, tmp_path
):
    from django.core import mail

    from conftest import PASSWORD
    from waibao.accounts.models import User
    from waibao.contracts.models import Contract
    from waibao.delivery.models import ServiceRecord, SlaResult
    from waibao.quality.models import Inspection, Nonconformance
    from waibao.vendors.models import Vendor
    from waibao.vendors.tests.factories import credit_code_for

    t = TEXT[language]
    lang = t["lang"]
    header, rows = _rows()
    months = Counter(r[2][:7] for r in rows)
    assert months == {"2022-09": 108, "2022-10": 90, "2022-11": 78}

    want = "en" if language == "en" else "zh-CN"  # <html lang>
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.on("dialog", lambda dialog: dialog.accept())

    def submit(selector: str) -> None:
        """Press a button that posts a form and wait for the page it leads to."""
        with page.expect_navigation():
            page.click(selector)

    def login(user):
        page.context.clear_cookies()
        browser_login(user)
        if page.locator("html").get_attribute("lang") != want:
            submit("#language-switch button")
        assert page.locator("html").get_attribute("lang") == want

    # 1. The manager creates the vendor with its unified social credit code.
    login(manager)
    page.goto("/vendors/new/")
    page.fill("input[name=name]", t["vendor"])
    page.fill("input[name=credit_code]", credit_code_for(3003))
    page.select_option("select[name=category]", "customer_service")
    page.click("#vendor-form button[type=submit]")
    page.wait_for_url(re.compile(r"/vendors/\d+/$"))
    vendor = Vendor.objects.get(name=t["vendor"])
    _shot(page, 1, "vendor", lang)

    # 1b. It invites the vendor's user by e-mail; the invitee sets a password through the link.
    page.click("#vendor-user-panel a")
    page.wait_for_url(f"**/accounts/vendors/{vendor.pk}/users/")
    page.fill("#invite-form input[name=email]", "casework@nycc03.example")
    page.fill("#invite-form input[name=full_name]", t["vendor_user"])
    page.select_option("#invite-form select[name=language]", language)
    submit("#invite-form button[type=submit]")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["casework@nycc03.example"]
    link = re.search(r"https?://[^/\s]+(/accounts/invite/[^/\s]+/)", str(mail.outbox[0].body))
    assert link is not None
    page.context.clear_cookies()
    page.goto(link.group(1))
    # The page opens in the language the invitation was sent in.
    assert page.locator("html").get_attribute("lang") == want
    page.fill("#accept-form input[name=username]", "nycc03")
    page.fill("#accept-form input[name=password]", PASSWORD)
    page.fill("#accept-form input[name=password2]", PASSWORD)
    _shot(page, 2, "vendor-user-invited", lang)
    page.click("#accept-form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/invite/" not in url)
    vendor_user = User.objects.get(username="nycc03", vendor=vendor, role="vendor")
    login(manager)

    # 2. A contract for it, with a term around the data's months.
    page.goto(f"/contracts/new/?vendor={vendor.pk}")
    page.fill("input[name=title]", t["contract"])
    page.select_option("select[name=category]", "customer_service")
    page.fill("input[name=start_date]", "2022-09-01")
    page.fill("input[name=end_date]", "2027-08-31")
    page.fill("input[name=monthly_fee]", "120000")
    page.click("#main-form button[type=submit]")
    page.wait_for_url(re.compile(r"/contracts/CT-[\d-]+/$"))
    code = page.url.rstrip("/").rsplit("/", 1)[1]
    contract = Contract.objects.get(code=code)

    # 3. Three SLAs through the metric form, starting from the ready-made resolution metric.
    def start_metric():
        page.goto(f"/contracts/{code}/sla/new/")
        submit("button[name=op][value='template:sla:resolution']")

    start_metric()  # (a) share resolved within 7 calendar days: the 24×7 calendar
    page.fill("input[name=sla-name]", t["m1"])
    # The conversion under the time limit follows the calendar, then the limit (one refresh at a time).
    page.select_option("select[name=sla-calendar]", label="24×7")
    page.locator("#sla-threshold-conversion", has_text="24×7").wait_for()
    page.fill("input[name=sla-threshold]", "7")
    page.press("input[name=sla-threshold]", "Tab")
    page.fill("input[name=sla-target]", "60")
    conversion = "7 个工作日 = 168 个工作小时" if lang == "zh" else "7 business days = 168 business hours"
    page.locator("#sla-threshold-conversion", has_text=conversion).wait_for()
    for i, (lo, hi) in enumerate([("0", "50"), ("50", "60"), ("60", "100")]):
        page.fill(f"input[name=sla-tiers-{i}-lower]", lo)
        page.fill(f"input[name=sla-tiers-{i}-upper]", hi)
    _shot(page, 3, "metric-form", lang)
    page.click("#save-metric")
    page.wait_for_url(f"**/contracts/{code}/#sla")

    start_metric()  # (b) median business time to resolve, at most 5 business days
    page.fill("input[name=sla-name]", t["m2"])
    page.select_option("select[name=sla-kind]", "duration")
    page.select_option("select[name=sla-statistic]", "median")
    page.select_option("select[name=sla-direction]", "lower")
    page.fill("input[name=sla-target]", "5")
    page.select_option("select[name=sla-target_unit]", "days")
    for i, (lo, hi, cons, amount) in enumerate(
        [("0", "5", "none", ""), ("5", "10", "credit_percent", "2"), ("10", "100", "credit_percent", "5")]
    ):
        page.fill(f"input[name=sla-tiers-{i}-lower]", lo)
        page.fill(f"input[name=sla-tiers-{i}-upper]", hi)
        page.select_option(f"select[name=sla-tiers-{i}-consequence]", cons)
        page.fill(f"input[name=sla-tiers-{i}-amount]", amount)
    page.click("#save-metric")
    page.wait_for_url(f"**/contracts/{code}/#sla")

    start_metric()  # (c) housing cases within 10 business days: a filter row
    page.fill("input[name=sla-name]", t["m3"])
    page.fill("input[name=sla-threshold]", "10")
    page.fill("input[name=sla-target]", "70")
    page.fill("input[name=sla-min_sample]", "5")
    page.select_option("select[name=sla-filters-0-field]", "category")
    page.select_option("select[name=sla-filters-0-op]", "eq")
    page.fill("input[name=sla-filters-0-value]", "Housing and Buildings")
    for i, (lo, hi) in enumerate([("0", "60"), ("60", "70"), ("70", "100")]):
        page.fill(f"input[name=sla-tiers-{i}-lower]", lo)
        page.fill(f"input[name=sla-tiers-{i}-upper]", hi)
    page.click("#save-metric")
    page.wait_for_url(f"**/contracts/{code}/#sla")
    assert contract.sla_metrics.count() == 3
    sla = page.locator("#sla").inner_text()
    assert t["m1"] in sla and t["m2"] in sla and t["m3"] in sla
    assert ("7 个工作日" if lang == "zh" else "7 business days") in sla

    # 4. Required clauses from the library in one step, then submit for approval.
    if page.locator("#add-missing-clauses").count():
        submit("#add-missing-clauses")
    assert page.locator("#missing-clauses").count() == 0, page.locator("#main").inner_text()
    submit("#submit-approval")
    _shot(page, 4, "contract-submitted", lang)

    # 5. The approval chain: the manager's level, finance, the administrator.
    for user in (manager, finance_user, admin_user):
        login(user)
        page.goto(f"/contracts/{code}/")
        page.fill("#decision-form textarea[name=comment]", "同意" if lang == "zh" else "Approved")
        submit("#approve-btn")
    contract.refresh_from_db()
    assert contract.status == "active"
    _shot(page, 5, "contract-active", lang)

    # 6. September and October as a CSV file; the columns are mapped once on the mapping page.
    csv_rows = [r for r in rows if r[2] < "2022-11-01"]
    xlsx_rows = [r for r in rows if r[2] >= "2022-11-01"]
    csv_file = tmp_path / "nycc03-2022-09-10.csv"
    with csv_file.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *csv_rows])
    mapping = {"unique_key": "external_id", "opendate": "opened_at", "closedate": "resolved_at",
               "complaint_type": "category"}  # fmt: skip

    def upload(path, shot_n=None):
        page.goto(f"/delivery/contracts/{code}/import/")
        page.set_input_files("input[name=file]", str(path))
        page.click("#import-form button[type=submit]")
        page.wait_for_url(re.compile(r"/delivery/imports/\d+/(mapping/)?$"))
        if page.url.endswith("/mapping/"):
            for i, column in enumerate(header):
                page.select_option(f"select[name=col{i}]", mapping.get(column, ""))
            if shot_n:
                _shot(page, shot_n, "import-mapping", lang)
            page.click("#main form button[type=submit]")
            page.wait_for_url(re.compile(r"/delivery/imports/\d+/$"))
        page.wait_for_selector("#job-progress:not([hx-get])")  # the page stops polling when the job ends
        status = page.locator("#job-status").inner_text()
        assert status == ("已完成" if lang == "zh" else "Completed"), page.locator("#main").inner_text()

    login(manager)
    upload(csv_file, shot_n=6)
    counts = page.locator("#job-counts").inner_text()
    assert re.search(rf"{len(csv_rows)}\s+(新增|new)", counts, re.I), counts
    _shot(page, 7, "import-csv", lang)
    assert ServiceRecord.objects.filter(contract=contract).count() == len(csv_rows) == 198

    # 7. November as an .xlsx workbook (the saved mapping applies).
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in xlsx_rows:
        ws.append(r)
    xlsx_file = tmp_path / "nycc03-2022-11.xlsx"
    wb.save(xlsx_file)
    upload(xlsx_file)
    counts = page.locator("#job-counts").inner_text()
    assert re.search(rf"{len(xlsx_rows)}\s+(新增|new)", counts, re.I), counts
    _shot(page, 8, "import-xlsx", lang)
    records = ServiceRecord.objects.filter(contract=contract)
    assert records.count() == len(rows) == 276
    assert set(records.values_list("kind", flat=True)) == {"ticket"}

    # 8. Results for the data's own months (not today's): the latest with data first, then October.
    page.goto(f"/delivery/contracts/{code}/")
    assert page.input_value("#period-select") == "2022-11"
    history = page.locator("#history").inner_text()
    for month in ("2022-09", "2022-10", "2022-11"):
        assert month in history
    assert str(date.today())[:7] not in history
    page.goto(f"/delivery/contracts/{code}/?period=2022-10")
    october = [r for r in rows if r[2].startswith("2022-10")]
    within = sum(
        1 for r in october if r[3] and (date.fromisoformat(r[3]) - date.fromisoformat(r[2])).days <= 7
    )
    m1 = contract.sla_metrics.get(name=t["m1"])
    result = SlaResult.objects.get(metric=m1, period="2022-10")
    assert result.sample_size == len(october) == 90
    assert round(result.value, 2) == round(100 * within / len(october), 2)
    card = page.locator(f"#metric-{m1.pk}").inner_text()
    assert f"{100 * within / len(october):.2f}%" in card, card
    # Each metric's results table fits its card (no cell pushed out of it at 1280 px).
    wide = page.evaluate(
        "() => [...document.querySelectorAll('[id^=metric-] .table-responsive')]"
        ".filter(d => d.scrollWidth > d.clientWidth).length"
    )
    assert wide == 0
    page.wait_for_timeout(1200)  # let the charts finish drawing for the picture
    _shot(page, 9, "results", lang)

    # 9. Quality writes a plan for the contract's monthly lots of cases, with one check item.
    login(quality_user)
    page.goto(f"/quality/plans/new/?contract={code}")
    page.fill("input[name=name]", t["contract"])
    page.select_option("select[name=lot_kind]", "service_records")
    page.fill("textarea[name=characteristics]", f"{t['item']}|" + ("严重" if lang == "zh" else "major"))
    page.select_option("select[name=aql_critical]", "")  # cases have no critical class: n stays small
    page.fill("input[name=verify_after_days]", "0")
    page.click("#quality-form button[type=submit]")
    page.wait_for_url(re.compile(r"/quality/plans/\d+/$"))
    plan_pk = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # 10. October's lot: the sample comes from cases opened in that local month.
    page.goto(f"/quality/inspections/new/?plan={plan_pk}")
    page.fill("input[name=lot_ref]", t["lot"])
    page.fill("input[name=period_start]", "2022-10-01")
    page.fill("input[name=period_end]", "2022-10-31")
    page.fill("input[name=seed]", "2022")
    page.click("#quality-form button[type=submit]")
    page.wait_for_url(re.compile(r"/quality/inspections/INS-[\d-]+/$"))
    inspection = Inspection.objects.get(plan_id=plan_pk)
    # 90 cases opened in October, local time; a UTC window would drop 1 October's and take 1 November's.
    assert inspection.lot_size == 90
    assert "2022-10-01 ~ 2022-10-31" in page.locator("#main").inner_text()
    refs = list(inspection.items.values_list("ref", flat=True))
    opened = dict(records.filter(external_id__in=refs).values_list("external_id", "day"))
    assert len(opened) == len(refs) > 0
    assert {d.strftime("%Y-%m") for d in opened.values()} == {"2022-10"}
    assert {r[0] for r in october} >= set(refs)
    for position in range(1, 7):
        page.check(f"input[name=c-{position}-0]")
    page.fill("input[name=n-1]", t["finding"])
    _shot(page, 10, "inspection", lang)
    page.click("#complete-btn")
    page.wait_for_selector("#lot-decision")
    assert page.locator("#lot-decision").inner_text() == ("不接收" if lang == "zh" else "Not accepted")

    # 11. A nonconformance from the rejected lot, with an 8D for the vendor.
    page.click("#auto-ncr")
    page.wait_for_url(re.compile(r"/quality/ncrs/NCR-[\d-]+/$"))
    ncr = Nonconformance.objects.get(inspection=inspection)
    page.click("#start-capa")
    page.wait_for_url(re.compile(r"/quality/capas/CAPA-[\d-]+/$"))
    capa_url = page.url
    page.goto(f"/quality/ncrs/{ncr.code}/")
    _shot(page, 11, "ncr", lang)

    # 12. The vendor's user fills D1–D7 in one form and submits.
    login(vendor_user)
    page.goto(capa_url)
    for i, text in enumerate(t["d"], start=1):
        page.fill(f"textarea[name=D{i}]", text)
    for i, why in enumerate(t["whys"], start=1):
        page.fill(f"input[name=D4_why{i}]", why)
    page.check("input[name=D4_categories][value=method]")
    _shot(page, 12, "8d-vendor", lang)
    submit("#capa-submit")
    capa = ncr.capa
    capa.refresh_from_db()
    assert capa.status == "submitted"
    steps = {s.step: s.content for s in capa.steps.all()}
    assert [steps[f"D{i}"] for i in range(1, 8)] == t["d"]

    # 13. Quality accepts the actions and verifies them: the 8D and the nonconformance close.
    login(quality_user)
    page.goto(capa_url)
    page.fill("#verify_after", date.today().isoformat())
    submit("form[action$='/accept/'] button")
    page.fill("textarea[name=note]", t["verify"])
    submit("button[name=effective][value='1']")
    capa.refresh_from_db()
    ncr.refresh_from_db()
    assert (capa.status, ncr.status) == ("closed", "closed")
    _shot(page, 13, "verified", lang)
