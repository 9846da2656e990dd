"""File imports through every door (page, API, command): .xlsx and .csv, kinds, grouped errors, mapping."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from waibao.delivery import ingest, services
from waibao.delivery.models import ImportJob, ServiceRecord

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(headers: list[str], rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ROWS = [
    ["X1", "ticket", "P1", "2026-10-08 09:00", "2026-10-08 09:20", 5],
    ["X2", "ticket", "P2", "2026-10-09 10:00", "2026-10-09 10:50", 4],
]
HEADERS = ["工单号", "类型", "优先级", "创建时间", "首次响应时间", "满意度"]


def test_an_xlsx_file_imports_through_the_page(contract, manager, as_user, django_capture_on_commit_callbacks):
    f = SimpleUploadedFile("records.xlsx", xlsx_bytes(HEADERS, ROWS), content_type=XLSX)
    with django_capture_on_commit_callbacks(execute=True):
        r = as_user(manager).post(
            f"/delivery/contracts/{contract.code}/import/", {"file": f, "policy": "all_or_nothing"}
        )
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/delivery/imports/{job.pk}/"
    job.refresh_from_db()
    assert job.status == "succeeded", job.message
    assert job.count_new == 2
    assert sorted(ServiceRecord.objects.values_list("external_id", flat=True)) == ["X1", "X2"]
    assert ServiceRecord.objects.get(external_id="X1").csat == 5


def test_an_xlsx_file_imports_through_the_api(contract, manager, api_client, django_capture_on_commit_callbacks):
    f = SimpleUploadedFile("records.xlsx", xlsx_bytes(HEADERS, ROWS), content_type=XLSX)
    with django_capture_on_commit_callbacks(execute=True):
        r = api_client(manager).post(f"/api/v1/delivery/contracts/{contract.code}/imports", {"file": f})
    assert r.status_code == 202, r.content
    job = api_client(manager).get(f"/api/v1/delivery/imports/{r.json()['id']}").json()
    assert job["status"] == "succeeded" and job["count_new"] == 2
    assert ServiceRecord.objects.filter(contract=contract).count() == 2


def test_an_xlsx_file_imports_through_the_command(contract, tmp_path, capsys):
    path = tmp_path / "records.xlsx"
    path.write_bytes(xlsx_bytes(HEADERS, ROWS))
    call_command("import_records", str(path), "--contract", contract.code)
    assert sorted(ServiceRecord.objects.values_list("external_id", flat=True)) == ["X1", "X2"]
    assert "new 2" in capsys.readouterr().out


def test_the_format_is_read_from_the_content_not_the_stored_name(tmp_path):
    xlsx = tmp_path / "stored-without-extension"
    xlsx.write_bytes(xlsx_bytes(["编号", "开始时间"], [["A", "2026-10-08 09:00"]]))
    src = ingest.open_source(str(xlsx), "records.xlsx")
    assert src.headers == ["编号", "开始时间"] and [r for _n, r in src.rows] == [
        {"编号": "A", "开始时间": "2026-10-08 09:00"}
    ]
    csv = tmp_path / "other-stored-name"
    csv.write_text("编号,开始时间\nA,2026-10-08 09:00\n", encoding="utf-8")
    assert ingest.peek_headers(str(csv), "records.csv") == ["编号", "开始时间"]


def test_an_old_xls_file_is_refused_with_a_way_out(contract, manager, tmp_path):
    from waibao.core.errors import DomainError

    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(DomainError) as exc:
        ingest.open_source(str(path), "old.xlsx")
    assert ".xlsx" in exc.value.message and "另存为" in exc.value.message


def test_a_stored_upload_keeps_its_extension(contract, manager):
    with io.BytesIO(xlsx_bytes(HEADERS, ROWS)) as fh:
        job = services.create_file_job(
            contract=contract, actor=manager, upload=services.Upload("records.xlsx", fh), enqueue=False
        )
    assert job.file.name.endswith(".xlsx")
