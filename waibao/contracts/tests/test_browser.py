"""Browser journey: create contract → add required clauses → submit → approve through the chain → active."""

from __future__ import annotations

import os

import pytest

from waibao.contracts.tests.factories import CLAUSE_TEXTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield b
        b.close()


def _login(browser, live_server, user):
    from conftest import PASSWORD

    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()
    return page


def test_contract_from_draft_to_active_through_the_approval_chain(
    browser, live_server, manager, finance_user, admin_user, vendor_a
):
    page = _login(browser, live_server, manager)
    page.goto(f"{live_server.url}/contracts/new/")
    page.select_option("select[name=vendor]", str(vendor_a.pk))
    page.fill("input[name=title]", "浏览器测试合同")
    page.select_option("select[name=category]", "it_services")
    page.fill("input[name=start_date]", "2026-01-01")
    page.fill("input[name=end_date]", "2026-12-31")
    page.fill("input[name=monthly_fee]", "100000")
    page.click("#main-form button[type=submit]")
    page.wait_for_url("**/contracts/CT-*/")
    assert page.locator("#missing-clauses").is_visible()
    assert page.locator("#submit-approval").is_disabled()
    code = page.url.rstrip("/").rsplit("/", 1)[1]

    for clause_type, text in CLAUSE_TEXTS.items():
        page.goto(f"{live_server.url}/contracts/{code}/clauses/new/")
        page.select_option("select[name=clause_type]", str(clause_type))
        page.fill("textarea[name=text]", text)
        page.click("#main-form button[type=submit]")
        page.wait_for_url(f"**/contracts/{code}/**")
    assert page.locator("#missing-clauses").count() == 0

    page.click("#submit-approval")
    page.wait_for_load_state()
    assert "审批中" in page.content()

    for user in (manager, finance_user, admin_user):
        p = page if user == manager else _login(browser, live_server, user)
        p.goto(f"{live_server.url}/contracts/{code}/")
        p.fill("#decision-form textarea[name=comment]", "同意")
        p.click("#approve-btn")
        p.wait_for_load_state()
    final = _login(browser, live_server, manager)
    final.goto(f"{live_server.url}/contracts/{code}/")
    assert "生效" in final.locator("h1").inner_text()
    assert final.locator("#approve-btn").count() == 0
