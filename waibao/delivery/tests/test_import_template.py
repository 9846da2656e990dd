"""The service-record import templates: their example must never become a record."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from waibao.delivery.models import ImportJob, ServiceRecord
from waibao.delivery.tests.test_import_files import XLSX

pytestmark = pytest.mark.django_db


def _get(client, contract, name: str) -> bytes:
    r = client.get(f"/delivery/contracts/{contract.code}/import/{name}")
    assert r.status_code == 200
    return r.content


def _import(client, contract, name: str, data: bytes, capture):
    f = SimpleUploadedFile(name, data, content_type=XLSX if name.endswith(".xlsx") else "text/csv")
    with capture(execute=True):
        r = client.post(
            f"/delivery/contracts/{contract.code}/import/", {"file": f, "policy": "all_or_nothing"}
        )
    assert r.status_code == 302, r.content.decode()[:2000]
    job = ImportJob.objects.get(contract=contract)
    return job, client.get(r["Location"]).content.decode()


@pytest.mark.parametrize("name", ["template.csv", "template.xlsx"])
def test_importing_the_untouched_record_template_creates_no_record_and_says_so(
    contract, manager, as_user, django_capture_on_commit_callbacks, name
):
    client = as_user(manager)
    job, page = _import(
        client, contract, name, _get(client, contract, name), django_capture_on_commit_callbacks
    )
    assert not ServiceRecord.objects.filter(contract=contract).exists()
    assert job.status == "rejected" and job.count_new == 0
    assert "文件中没有数据行" in page


def test_the_csv_template_has_the_header_row_only(contract, manager, as_user):
    text = _get(as_user(manager), contract, "template.csv").decode("utf-8-sig")
    assert text.splitlines() == [text.splitlines()[0]] and text.startswith("external_id,kind,opened_at")


def test_the_xlsx_templates_example_is_on_its_own_sheet_with_a_guide_in_the_readers_language(
    contract, manager, as_user
):
    wb = load_workbook(io.BytesIO(_get(as_user(manager), contract, "template.xlsx")))
    data, guide = wb.worksheets
    assert data.title == "服务记录" and data.max_row == 1
    assert [c.value for c in data[1]][:3] == ["external_id", "kind", "opened_at"]
    assert guide.title == "示例与说明"
    cells = [str(c.value) for row in guide.iter_rows() for c in row if c.value]
    assert (
        "T-0001" in cells and "工单" in cells and "记录编号" in cells and any("不会读取" in v for v in cells)
    )


def test_the_xlsx_template_filled_on_its_first_sheet_imports_those_records_only(
    contract, manager, as_user, django_capture_on_commit_callbacks
):
    client = as_user(manager)
    wb = load_workbook(io.BytesIO(_get(client, contract, "template.xlsx")))
    wb.worksheets[0].append(["R-1", "ticket", "2026-10-08 09:00", "2026-10-08 09:20"])
    buf = io.BytesIO()
    wb.save(buf)
    job, _page = _import(client, contract, "filled.xlsx", buf.getvalue(), django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.message
    assert list(ServiceRecord.objects.filter(contract=contract).values_list("external_id", flat=True)) == [
        "R-1"
    ]


def test_the_xlsx_template_in_english_names_its_sheets_and_fields_in_english(contract, manager, as_user):
    manager.language = "en"
    manager.save(update_fields=["language"])
    with translation.override("zh-hans"):  # the request switches this thread to English; switch back after
        wb = load_workbook(io.BytesIO(_get(as_user(manager), contract, "template.xlsx")))
    assert [ws.title for ws in wb.worksheets] == ["Service records", "Example and guide"]
    cells = [str(c.value) for row in wb.worksheets[1].iter_rows() for c in row if c.value]
    assert "Record ID" in cells and "Ticket" in cells


def test_the_import_page_offers_both_templates(contract, manager, as_user):
    page = as_user(manager).get(f"/delivery/contracts/{contract.code}/import/").content.decode()
    assert "import/template.xlsx" in page and "import/template.csv" in page


def test_vendor_b_cannot_download_vendor_as_record_template(contract, vendor_user_b, as_user):
    for name in ("template.csv", "template.xlsx"):
        assert (
            as_user(vendor_user_b).get(f"/delivery/contracts/{contract.code}/import/{name}").status_code
            == 404
        )
