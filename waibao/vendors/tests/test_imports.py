"""Vendor list imports run as background jobs: limits answered at upload, progress, cancel, a result
that names row, column and rule, a job whose process died ended at once — on the page and in the API,
in the reader's language."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from django.utils import translation

from waibao.core import jobs
from waibao.core.files import Upload
from waibao.vendors import imports, services
from waibao.vendors.models import ImportStatus, Vendor, VendorImportJob
from waibao.vendors.tests.factories import VendorFactory, credit_code_for

MB = 1024 * 1024
HEADER = "名称,类别,统一社会信用代码,城市,联系人,联系电话\n"


def _file(text: str, name: str = "vendors.csv", encoding: str = "utf-8") -> io.BytesIO:
    f = io.BytesIO(text.encode(encoding))
    f.name = name
    return f


def _rows(*names: str, start: int = 500) -> str:
    return "".join(f"{n},物流,{credit_code_for(start + i)},杭州,,\n" for i, n in enumerate(names))


def _bomb(name: str = "bomb.xlsx") -> io.BytesIO:
    """An .xlsx-looking archive whose text table unpacks to 32 MB from a few dozen KB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/sharedStrings.xml", "w") as out:
            for _ in range(32):
                out.write(b"A" * MB)
    buf.seek(0)
    buf.name = name
    return buf


def _post(client, f, capture, *, run: bool = True):
    """Upload through the page; the job's task runs (immediate backend) when the request's transaction
    commits, unless ``run`` is False (then it stays queued, as while no worker has taken it)."""
    with capture(execute=run):
        return client.post("/vendors/import/", {"file": f})


def _job() -> VendorImportJob:
    return VendorImportJob.objects.get()


@pytest.fixture
def english_manager(manager):
    manager.language = "en"
    manager.save(update_fields=["language"])
    return manager


# --- a job, not a request ----------------------------------------------------------------------------


def test_the_upload_answers_at_once_and_the_vendors_are_imported_by_the_job(
    manager, as_user, django_capture_on_commit_callbacks
):
    client = as_user(manager)
    with django_capture_on_commit_callbacks() as queued:
        r = client.post("/vendors/import/", {"file": _file(HEADER + _rows("甲物流", "乙物流"))})
    job = _job()
    assert r.status_code == 302 and r["Location"] == f"/vendors/import/{job.pk}/"
    assert job.status == ImportStatus.QUEUED and job.rows_total == 2
    assert not Vendor.objects.exists()  # the request read no row
    page = client.get(r["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page and "取消导入" in page

    for task in queued:
        task()
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and (job.count_created, job.rows_done) == (2, 2)
    assert sorted(Vendor.objects.values_list("name", flat=True)) == ["乙物流", "甲物流"]
    page = client.get(r["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "已完成" in page and "every 1s" not in page and "取消导入" not in page
    assert 'id="job-done"' in page


def test_a_rejected_import_lists_row_column_and_rule_and_stores_nothing(
    manager, as_user, django_capture_on_commit_callbacks
):
    client = as_user(manager)
    text = HEADER + _rows("好公司") + "坏公司,物流,123,,,\n无类别,卖花,,,,\n"
    r = _post(client, _file(text), django_capture_on_commit_callbacks)
    job = _job()
    assert job.status == ImportStatus.REJECTED and job.count_rejected == 2 and job.error_count == 3
    assert [3, "统一社会信用代码", "统一社会信用代码无效：长度必须为 18 位（当前 3 位）。"] in job.errors
    assert job.message == "有错误的行：2。未导入任何数据，请修正后重新上传。"
    assert not Vendor.objects.exists()
    page = client.get(r["Location"]).content.decode()
    assert "有错误，未导入" in page and "长度必须为 18 位" in page and "Error" not in page


def test_a_row_naming_a_vendor_already_there_updates_it_and_empty_cells_keep_its_values(
    manager, as_user, django_capture_on_commit_callbacks
):
    old = services.create_vendor(
        actor=manager, name="老供应商", category="logistics", credit_code=credit_code_for(600), city="宁波"
    )
    same = services.create_vendor(
        actor=manager, name="不变供应商", category="logistics", credit_code=credit_code_for(601)
    )
    text = (
        HEADER
        + f"老供应商（更名）,,{credit_code_for(600)},,王五,13800000000\n"
        + f"不变供应商,物流,{credit_code_for(601)},,,\n"
        + _rows("新供应商", start=602)
    )
    _post(as_user(manager), _file(text), django_capture_on_commit_callbacks)
    job = _job()
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.count_created, job.count_updated, job.count_unchanged) == (1, 1, 1)
    old.refresh_from_db()
    assert (old.name, old.city, old.category) == ("老供应商（更名）", "宁波", "logistics")
    assert old.contacts.get().name == "王五" and old.contacts.get().is_primary
    same.refresh_from_db()
    assert same.version == 1 and Vendor.objects.count() == 3


# --- limits, answered before the rows are read ---------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_at_upload_and_no_job_is_made(
    manager, as_user, settings, django_capture_on_commit_callbacks
):
    settings.WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_MB = 1
    big = HEADER + _rows("甲物流") + ("#" * 1000 + "\n") * 1100
    r = _post(as_user(manager), _file(big), django_capture_on_commit_callbacks)
    body = r.content.decode()
    assert r.status_code == 200 and "文件太大" in body and "1 MB" in body
    assert not VendorImportJob.objects.exists()


def test_a_file_with_more_rows_than_the_limit_is_refused_at_upload(
    manager, as_user, settings, django_capture_on_commit_callbacks
):
    settings.WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_ROWS = 3
    names = [f"供应商{i}" for i in range(5)]
    r = _post(as_user(manager), _file(HEADER + _rows(*names)), django_capture_on_commit_callbacks)
    assert r.status_code == 200 and "3 行的导入上限" in r.content.decode()
    wb = openpyxl.Workbook()
    wb.active.append(["名称", "类别"])
    for n in names:
        wb.active.append([n, "物流"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "many.xlsx"
    r = _post(as_user(manager), buf, django_capture_on_commit_callbacks)
    assert r.status_code == 200 and "3 行的导入上限" in r.content.decode()
    assert not VendorImportJob.objects.exists() and not Vendor.objects.exists()


def test_the_row_limit_also_holds_while_the_job_reads(manager, settings):
    job = imports.start_import(
        actor=manager, upload=Upload("v.csv", _file(HEADER + _rows("甲", "乙", "丙")), 300)
    )
    settings.WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_ROWS = 2  # e.g. lowered while the job waited
    imports.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.REJECTED and "2 行的导入上限" in job.message
    assert not Vendor.objects.exists()


def test_a_zip_bomb_is_refused_at_upload_naming_the_rule_before_the_workbook_is_opened(
    manager, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    r = _post(as_user(manager), _bomb(), django_capture_on_commit_callbacks)
    body = r.content.decode()
    assert r.status_code == 200 and "压缩炸弹" in body and "xl/sharedStrings.xml" in body
    assert not VendorImportJob.objects.exists()


def test_a_cell_longer_than_its_field_is_a_row_error_not_a_crash(
    manager, as_user, django_capture_on_commit_callbacks
):
    text = HEADER + f"{'长' * 300},物流,{credit_code_for(700)},,,\n"
    _post(as_user(manager), _file(text), django_capture_on_commit_callbacks)
    job = _job()
    assert job.status == ImportStatus.REJECTED
    assert job.errors == [[2, "名称", "名称最多 200 个字符（现为 300 个）。"]]


# --- cancel, dead and busy jobs --------------------------------------------------------------------


def test_a_queued_import_is_cancelled_at_once(manager, as_user, django_capture_on_commit_callbacks):
    client = as_user(manager)
    r = _post(client, _file(HEADER + _rows("甲物流")), django_capture_on_commit_callbacks, run=False)
    job = _job()
    client.post(f"/vendors/import/{job.pk}/cancel/")
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and job.message == "已取消，未导入任何数据。"
    imports.run_import(job.pk)  # the worker comes later: nothing happens
    assert not Vendor.objects.exists() and "已取消" in client.get(r["Location"]).content.decode()


def test_a_running_import_stops_at_its_next_step_when_cancelled_and_stores_nothing(manager):
    job = imports.start_import(actor=manager, upload=Upload("v.csv", _file(HEADER + _rows("甲", "乙")), 200))
    # A worker (this process) has taken the job when the user cancels it.
    assert jobs.claim(VendorImportJob.objects.filter(pk=job.pk), status=ImportStatus.RUNNING)
    job.refresh_from_db()
    imports.cancel_import(job=job, actor=manager)
    assert job.status == ImportStatus.RUNNING and job.cancel_requested
    imports.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and not Vendor.objects.exists()


def _gone_process() -> str:
    """The lease owner of a process that ran on this host and was killed (kill -9)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = jobs.Owner(socket.gethostname(), proc.pid, jobs._start_ticks(proc.pid))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return str(owner)


def _dead_job(manager) -> VendorImportJob:
    job = imports.start_import(actor=manager, upload=Upload("v.csv", _file(HEADER + _rows("甲物流")), 100))
    VendorImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, lease_owner=_gone_process())
    job.refresh_from_db()
    return job


def test_an_import_whose_process_died_reads_as_failed_at_once_and_the_next_one_runs(
    manager, as_user, django_capture_on_commit_callbacks
):
    client = as_user(manager)
    dead = _dead_job(manager)
    page = client.get(f"/vendors/import/{dead.pk}/").content.decode()
    dead.refresh_from_db()
    assert dead.status == ImportStatus.FAILED and "导入进程意外停止" in dead.message
    assert "已不存在" in page and "可重新导入" in page
    _post(client, _file(HEADER + _rows("乙物流", start=800)), django_capture_on_commit_callbacks)
    assert VendorImportJob.objects.get(file_name="vendors.csv").status == ImportStatus.SUCCEEDED


def test_the_minute_sweep_ends_a_dead_import_nobody_looks_at(manager):
    dead = _dead_job(manager)
    assert jobs.sweep_all().get("vendors.imports") == 1
    dead.refresh_from_db()
    assert dead.status == ImportStatus.FAILED


def test_cancel_works_on_an_import_whose_process_is_gone(manager, as_user):
    dead = _dead_job(manager)
    as_user(manager).post(f"/vendors/import/{dead.pk}/cancel/")
    dead.refresh_from_db()
    assert dead.status == ImportStatus.CANCELLED and "已意外停止" in dead.message


def test_an_import_started_while_another_runs_fails_saying_why_instead_of_waiting(manager):
    running = imports.start_import(actor=manager, upload=Upload("a.csv", _file(HEADER + _rows("甲")), 100))
    assert jobs.claim(VendorImportJob.objects.filter(pk=running.pk), status=ImportStatus.RUNNING)  # alive
    job = imports.start_import(actor=manager, upload=Upload("b.csv", _file(HEADER + _rows("乙")), 100))
    imports.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.message == "未开始：另一个供应商导入任务正在进行，未导入任何数据。请在其完成后重新导入。"


# --- the API -----------------------------------------------------------------------------------------


def test_the_api_takes_a_file_answers_202_and_reports_the_job(
    manager, api_client, django_capture_on_commit_callbacks
):
    client = api_client(manager)
    with django_capture_on_commit_callbacks() as queued:
        r = client.post(
            "/api/v1/vendors/imports", {"file": _file(HEADER + _rows("甲", "乙") + "坏,物流,1,,,\n")}
        )
    assert r.status_code == 202, r.content
    job_id = r.json()["id"]
    assert r.json()["status"] == "queued" and r.json()["rows_total"] == 3
    for task in queued:
        task()
    got = client.get(f"/api/v1/vendors/imports/{job_id}").json()
    assert got["status"] == "rejected" and got["count_rejected"] == 1 and got["error_count"] == 1
    assert got["errors"] == [
        {
            "row": 4,
            "column": "统一社会信用代码",
            "rule": "统一社会信用代码无效：长度必须为 18 位（当前 1 位）。",
        }
    ]
    assert [j["id"] for j in client.get("/api/v1/vendors/imports").json()["items"]] == [job_id]
    r = client.post(f"/api/v1/vendors/imports/{job_id}/cancel")
    assert r.status_code == 409 and r.json()["message"] == "导入任务已结束，无法取消。"


def test_the_api_refuses_a_large_file_with_413_and_a_zip_bomb_with_422_naming_the_rule(
    manager, api_client, settings
):
    settings.WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_MB = 1
    client = api_client(manager)
    r = client.post("/api/v1/vendors/imports", {"file": _file(HEADER + ("#" * 1000 + "\n") * 1100)})
    assert r.status_code == 413 and "文件太大" in r.json()["fields"]["file"]
    r = client.post("/api/v1/vendors/imports", {"file": _bomb()})
    assert r.status_code == 422 and r.json()["code"] == "zip_bomb"
    assert "压缩炸弹" in r.json()["fields"]["file"]
    assert not VendorImportJob.objects.exists()


def test_vendor_users_and_read_only_buyers_may_not_import_or_read_imports(personas, api_client, as_user):
    job = imports.start_import(
        actor=personas["manager"], upload=Upload("v.csv", _file(HEADER + _rows("甲")), 100)
    )
    for who in ("vendor_a", "auditor", "quality"):
        client = api_client(personas[who])
        assert client.post("/api/v1/vendors/imports", {"file": _file(HEADER)}).status_code == 403
        assert client.get(f"/api/v1/vendors/imports/{job.pk}").status_code == 403
        assert client.post(f"/api/v1/vendors/imports/{job.pk}/cancel").status_code == 403
        assert as_user(personas[who]).get(f"/vendors/import/{job.pk}/").status_code == 403
    assert api_client(personas["admin"]).get(f"/api/v1/vendors/imports/{job.pk}").status_code == 200
    assert api_client(personas["admin"]).get("/api/v1/vendors/imports/99999999999999999999").status_code in (
        404,
        422,
    )


# --- the reader's language -------------------------------------------------------------------------


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_an_english_manager_reads_every_import_message_in_english(
    english_manager, as_user, django_capture_on_commit_callbacks
):
    client = as_user(english_manager)
    text = "name,category,credit_code\nGood Ltd,logistics," + credit_code_for(900) + "\nBad Ltd,flowers,123\n"
    with translation.override("zh-hans"):
        r = _post(client, _file(text), django_capture_on_commit_callbacks)
    job = _job()
    assert job.status == ImportStatus.REJECTED
    assert job.message == "Rows with errors: 1. Nothing was imported; correct them and upload again."
    rules = [rule for _row, _col, rule in job.errors]
    assert rules and not any(_has_chinese(rule) for rule in rules), rules
    assert not any(word in " ".join(rules) for word in ("it_services", "customer_service"))
    with translation.override("zh-hans"):
        page = client.get(r["Location"]).content.decode()
    assert "Rows with errors: 1." in page and "Nothing was imported" in page and "有错误" not in page
    with translation.override("zh-hans"):
        r = _post(client, _bomb(), django_capture_on_commit_callbacks)
    body = r.content.decode()
    assert "zip bomb" in body and "压缩炸弹" not in body and "拒绝读取" not in body


def test_a_chinese_manager_reads_the_category_rule_in_words_not_codes(
    manager, as_user, django_capture_on_commit_callbacks
):
    _post(
        as_user(manager),
        _file(HEADER + "无类别,卖花," + credit_code_for(950) + ",,,\n"),
        django_capture_on_commit_callbacks,
    )
    [(_row, column, rule)] = _job().errors
    assert column == "类别" and "IT 服务" in rule and "it_services" not in rule


def test_the_import_page_states_the_limits(manager, as_user, settings):
    settings.WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_ROWS = 12_000
    page = as_user(manager).get("/vendors/import/").content.decode()
    assert "10 MB" in page and "12,000 行" in page and "32,767" in page


def test_the_vendor_sweep_is_registered():
    assert "vendors.imports" in jobs.SWEEPERS


def test_services_import_still_reports_created_updated_and_unchanged(manager):
    VendorFactory(name="已有", credit_code=credit_code_for(990), category="logistics")
    report = services.import_vendors(
        actor=manager,
        rows=[(2, {"名称": "已有", "类别": "物流", "统一社会信用代码": credit_code_for(990)})],
        headers=["名称", "类别", "统一社会信用代码"],
    )
    assert report.ok and report.unchanged == 1 and not report.created and not report.updated
