"""The main journey of the vendor archive, in a real browser."""

import re

import pytest

from waibao.vendors.demo import tiny_pdf
from waibao.vendors.models import Vendor
from waibao.vendors.tests.factories import credit_code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_creates_a_vendor_with_a_certificate_finds_it_switches_to_english_and_exports(
    manager, browser_login, tmp_path
):
    page = browser_login(manager)
    page.goto("/vendors/new/")
    page.fill("input[name=name]", "浏览器测试科技有限公司")
    page.fill("input[name=credit_code]", "91440300708461136X")  # wrong check character first
    page.select_option("select[name=category]", "it_services")
    page.click("#vendor-form button[type=submit]")
    assert page.locator(".invalid-feedback", has_text="校验码错误").is_visible()
    page.fill("input[name=credit_code]", credit_code_for(4242))
    page.click("#vendor-form button[type=submit]")
    page.wait_for_url(re.compile(r"/vendors/\d+/$"))
    vendor = Vendor.objects.get(name="浏览器测试科技有限公司")

    pdf = tmp_path / "iso27001.pdf"
    pdf.write_bytes(tiny_pdf("certificate"))
    page.click("text=添加证书")
    page.select_option("select[name=type]", "iso27001")
    page.fill("input[name=number]", "ISMS-2026-001")
    page.fill("input[name=valid_until]", "2029-06-30")
    page.set_input_files("input[name=file]", str(pdf))
    page.click("#main form button[type=submit]")
    page.wait_for_url(f"**/vendors/{vendor.pk}/")
    assert page.locator("#certificates", has_text="ISMS-2026-001").is_visible()
    assert vendor.certificates.get().file_type == "pdf"

    page.goto("/vendors/")
    page.fill("input[name=q]", "浏览器测试")
    page.wait_for_function("document.querySelectorAll('#vendor-table tbody tr').length === 1")
    assert page.locator("#vendor-table", has_text="浏览器测试科技有限公司").is_visible()

    page.click("#language-switch button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"

    with page.expect_download() as download_info:
        page.click("#export-link")
    download = download_info.value
    assert download.suggested_filename == "vendors.xlsx"
    target = tmp_path / "vendors.xlsx"
    download.save_as(target)
    from openpyxl import load_workbook

    rows = list(load_workbook(target).active.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["浏览器测试科技有限公司"]
