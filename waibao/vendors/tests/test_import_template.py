"""The vendor import template: its example must never become a vendor."""

from __future__ import annotations

import io

from django.utils import translation
from openpyxl import load_workbook

from waibao.vendors.models import Vendor


def _template(client) -> bytes:
    r = client.get("/vendors/import/template.xlsx")
    assert r.status_code == 200
    return r.content


def test_importing_the_untouched_template_creates_no_vendor_and_says_so(
    personas, as_user, django_capture_on_commit_callbacks
):
    client = as_user(personas["manager"])
    before = Vendor.objects.count()
    f = io.BytesIO(_template(client))
    f.name = "vendor-import-template.xlsx"
    with django_capture_on_commit_callbacks(execute=True):  # the import job runs (immediate backend)
        r = client.post("/vendors/import/", {"file": f})
    body = client.get(r["Location"]).content.decode()
    assert Vendor.objects.count() == before
    assert not Vendor.objects.filter(name="深圳示例科技有限公司").exists()
    assert "没有导入任何供应商" in body and "示例与说明" in body


def test_the_templates_example_is_on_its_own_sheet_and_the_imported_sheet_has_only_the_headers(
    personas, as_user
):
    wb = load_workbook(io.BytesIO(_template(as_user(personas["manager"]))))
    data, guide = wb.worksheets
    assert data.title == "供应商" and data.max_row == 1
    assert [c.value for c in data[1]][:2] == ["名称", "英文名称"]
    assert guide.title == "示例与说明"
    cells = [c.value for row in guide.iter_rows() for c in row if c.value]
    assert "深圳示例科技有限公司" in cells and any("不会读取" in str(v) for v in cells)


def test_a_template_filled_on_its_first_sheet_imports_those_vendors_only(
    personas, as_user, django_capture_on_commit_callbacks
):
    from waibao.vendors.tests.factories import credit_code_for

    client = as_user(personas["manager"])
    wb = load_workbook(io.BytesIO(_template(client)))
    wb.worksheets[0].append(
        ["杭州真实物流有限公司", "", credit_code_for(77), "", "CN", "浙江", "杭州", "物流"]
    )
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "filled.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/vendors/import/", {"file": buf})
    assert r.status_code == 302
    assert Vendor.objects.filter(name="杭州真实物流有限公司").exists()
    assert not Vendor.objects.filter(name="深圳示例科技有限公司").exists()


def test_the_template_in_english_names_its_sheets_in_english(personas, as_user):
    manager = personas["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    with translation.override("zh-hans"):  # the request switches this thread to English; switch back after
        wb = load_workbook(io.BytesIO(_template(as_user(manager))))
    assert [ws.title for ws in wb.worksheets] == ["Vendor", "Example and guide"]
