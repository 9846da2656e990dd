"""Importing a vendor list in a real browser: upload, the job's page with its result, fix, import again."""

import re

import pytest

from waibao.vendors.models import Vendor
from waibao.vendors.tests.factories import credit_code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_imports_a_vendor_list_reads_the_errors_fixes_them_and_imports_again(
    manager, browser_login, tmp_path
):
    page = browser_login(manager)
    page.goto("/vendors/import/")
    assert page.locator("#import-limits", has_text="10,000 行").is_visible()
    bad = tmp_path / "vendors.csv"
    bad.write_text(
        f"名称,类别,统一社会信用代码\n浏览器导入物流,物流,{credit_code_for(31)}\n坏行,卖花,123\n", "utf-8"
    )
    page.set_input_files("input[name=file]", str(bad))
    page.click("#main form button[type=submit]")
    page.wait_for_url(re.compile(r"/vendors/import/\d+/$"))
    page.locator("#job-status", has_text="有错误，未导入").wait_for()
    errors = page.locator("#import-errors")
    assert errors.locator("tr", has_text="统一社会信用代码").is_visible()
    assert errors.locator("tr", has_text="类别“卖花”无效").is_visible()
    assert not Vendor.objects.filter(name="浏览器导入物流").exists()

    page.click("#upload-again")
    good = tmp_path / "fixed.csv"
    good.write_text(f"名称,类别,统一社会信用代码\n浏览器导入物流,物流,{credit_code_for(31)}\n", "utf-8")
    page.set_input_files("input[name=file]", str(good))
    page.click("#main form button[type=submit]")
    page.locator("#job-status", has_text="已完成").wait_for()
    assert page.locator("#job-counts", has_text="新增").is_visible()
    page.click("#job-done a")
    page.wait_for_url("**/vendors/")
    assert Vendor.objects.filter(name="浏览器导入物流").exists()
    page.goto("/vendors/import/")
    assert page.locator("#recent-imports tr").count() == 2
