"""Record imports read .xlsx files through the one guarded reader (lib.spreadsheets): a zip bomb is
refused before anything is unpacked and a cell over the limit rejects the import naming row and
column — never a crash, never memory spent on the bomb."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from waibao.delivery.models import ImportJob, ServiceRecord
from waibao.delivery.tests.test_import_files import HEADERS, ROWS, XLSX, xlsx_bytes

MB = 1024 * 1024


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/sharedStrings.xml", "w") as out:
            for _ in range(32):
                out.write(b"A" * MB)
    return buf.getvalue()


def test_a_zip_bomb_is_refused_at_upload_before_the_workbook_is_opened(
    contract, manager, api_client, monkeypatch
):
    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    f = SimpleUploadedFile("records.xlsx", _bomb(), content_type=XLSX)
    r = api_client(manager).post(f"/api/v1/delivery/contracts/{contract.code}/imports", {"file": f})
    assert r.status_code == 422, r.content
    assert "压缩炸弹" in r.json()["fields"]["file"] and "xl/sharedStrings.xml" in r.json()["message"]
    assert not ImportJob.objects.exists()


def test_a_cell_over_the_limit_rejects_the_import_naming_row_and_column(
    contract, manager, api_client, settings, django_capture_on_commit_callbacks
):
    settings.WAIBAO_SHEET_MAX_CELL_CHARS = 100
    rows = [*ROWS, ["X3", "ticket", "P1", "2026-10-08 09:00", "x" * 101, 5]]
    f = SimpleUploadedFile("records.xlsx", xlsx_bytes(HEADERS, rows), content_type=XLSX)
    with django_capture_on_commit_callbacks(execute=True):
        r = api_client(manager).post(f"/api/v1/delivery/contracts/{contract.code}/imports", {"file": f})
    job = ImportJob.objects.get(pk=r.json()["id"])
    assert job.status == "rejected", job.message
    assert "第 4 行“首次响应时间”列的单元格有 101 个字符，超过每个单元格 100 个字符的上限。" in job.message
    assert not ServiceRecord.objects.exists()


@pytest.mark.parametrize("name", ["records.xlsx", "stored-without-extension"])
def test_an_ordinary_workbook_still_imports(contract, manager, tmp_path, name):
    from waibao.delivery import ingest

    path = tmp_path / name
    path.write_bytes(xlsx_bytes(HEADERS, ROWS))
    src = ingest.open_source(str(path), "records.xlsx")
    assert src.headers == HEADERS and src.total == 2
    assert [r["工单号"] for _n, r in src.rows] == ["X1", "X2"]
