"""Browser, both languages: a manager invites a vendor user by e-mail and the invitee sets a password; the
vendor's home lists what it must do now; the top bar's search groups results by kind.
Set WAIBAO_SCREENSHOTS=1 to refresh docs/screenshots/{invite,portal-home,search}-*.png."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
import time_machine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def _shot(page, name):
    if os.environ.get("WAIBAO_SCREENSHOTS"):
        page.screenshot(path=str(SHOTS / name), full_page=True)


def _english(page):
    page.click("#language-switch button")
    page.wait_for_load_state()


def _logout(page):
    page.context.clear_cookies()


def _last_link():
    from django.core import mail

    match = re.search(r"https?://[^/\s]+(/accounts/invite/[^/\s]+/)", str(mail.outbox[-1].body))
    assert match is not None
    return match.group(1)


def test_invite_flow_in_both_languages(page, browser_login, manager, vendor_a):
    from playwright.sync_api import expect

    from waibao.accounts.models import User

    browser_login(manager)
    page.goto(f"/vendors/{vendor_a.pk}/")
    expect(page.locator("#vendor-user-panel")).to_be_visible()
    page.click("#vendor-user-panel a")
    page.fill("input[name=email]", "zhou.li@vendor-a.example")
    page.fill("input[name=full_name]", "周丽")
    page.click("#invite-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已发送邀请至 zhou.li@vendor-a.example")
    expect(page.locator("#invitations")).to_contain_text("待接受")
    _shot(page, "invite-vendor-users.png")
    _english(page)
    page.fill("input[name=email]", "amy@vendor-a.example")
    page.select_option("select[name=language]", "en")
    page.click("#invite-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Invitation sent to amy@vendor-a.example")
    expect(page.locator("#invitations")).to_contain_text("Pending")
    _shot(page, "invite-vendor-users-en.png")
    english_link = _last_link()

    # The Chinese invitee sets a password through the first mail's link.
    from django.core import mail

    first = re.search(r"(/accounts/invite/[^/\s]+/)", str(mail.outbox[0].body))
    assert first is not None
    _logout(page)
    page.goto(first.group(1))
    expect(page.locator("h1")).to_contain_text("设置密码")
    expect(page.locator("input[name=username]")).to_have_value("zhou.li@vendor-a.example")
    page.fill("input[name=password]", "Vendor-Pass-2026!")
    page.fill("input[name=password2]", "Vendor-Pass-2026!")
    _shot(page, "invite-accept.png")
    page.click("#accept-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("账户已创建")
    assert User.objects.get(username="zhou.li@vendor-a.example").vendor_id == vendor_a.pk

    # The English invitee: the page is in the invitation's language once the cookie says so.
    _logout(page)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.url}])
    page.goto(english_link)
    expect(page.locator("h1")).to_contain_text("Set your password")
    _shot(page, "invite-accept-en.png")
    page.fill("input[name=password]", "Vendor-Pass-2026!")
    page.fill("input[name=password2]", "Vendor-Pass-2026!")
    page.click("#accept-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Your account is ready")
    # The link works once.
    _logout(page)
    page.goto(english_link)
    expect(page.locator("#invitation-invalid")).to_be_visible()
    _shot(page, "invite-link-used-en.png")


def test_portal_home_and_search_in_both_languages(
    page, browser_login, manager, quality_user, vendor_a, vendor_b, vendor_user_a, vendor_user_b
):
    from playwright.sync_api import expect

    from waibao.delivery.tests.factories import make_contract
    from waibao.portal.tests.test_home_todo import _casework

    with time_machine.travel(date(2026, 11, 10)):
        a = make_contract(vendor_a, owner=manager)
        b = make_contract(vendor_b, code="CT-2026-0002", owner=manager)
        capa_a, _d = _casework(a, manager, quality_user, vendor_user_a, "甲")
        capa_b, _d = _casework(b, manager, quality_user, vendor_user_b, "乙")

    browser_login(vendor_user_a)
    expect(page.locator("#vendor-todo")).to_contain_text(capa_a.code)
    expect(page.locator("#vendor-todo")).not_to_contain_text(capa_b.code)
    _shot(page, "portal-home.png")
    page.fill("#top-search input[name=q]", "CT-2026")
    page.press("#top-search input[name=q]", "Enter")
    expect(page.locator("#search-contracts")).to_contain_text(a.code)
    expect(page.locator("#main")).not_to_contain_text(b.code)
    _english(page)
    page.goto("/")
    expect(page.locator("#vendor-todo")).to_contain_text("8D corrective actions to fill in")
    _shot(page, "portal-home-en.png")

    _logout(page)
    browser_login(manager)
    page.fill("#top-search input[name=q]", "甲")
    page.press("#top-search input[name=q]", "Enter")
    expect(page.locator("#search-ncrs")).to_contain_text("甲 审核发现")
    expect(page.locator("#search-records")).to_contain_text("甲-R1")
    _shot(page, "search-results.png")
    _english(page)
    expect(page.locator("#search-ncrs h2")).to_contain_text("Nonconformances")
    _shot(page, "search-results-en.png")
