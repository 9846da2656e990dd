"""File imports through every door (page, API, command): .xlsx and .csv, kinds, grouped errors, mapping."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation
from openpyxl import Workbook

from waibao.delivery import ingest, services
from waibao.delivery.models import ImportJob, ServiceRecord
from waibao.delivery.tests.factories import P1_RESPONSE

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


def test_an_xlsx_file_imports_through_the_page(
    contract, manager, as_user, django_capture_on_commit_callbacks
):
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


def test_an_xlsx_file_imports_through_the_api(
    contract, manager, api_client, django_capture_on_commit_callbacks
):
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


# --- record kinds and grouped errors ------------------------------------------------------------------


def _legacy_metric(contract, kind: str, name: str = "结案及时率") -> None:
    """A metric stored before record kinds were chosen from a list (the service refuses this now)."""
    from waibao.contracts.models import SlaMetric
    from waibao.delivery.tests.factories import calendar

    definition = {**P1_RESPONSE, "name": name, "record_kind": kind}
    SlaMetric.objects.create(
        contract=contract, name=name, record_kind=kind, definition=definition, calendar=calendar(), position=9
    )


def _csv(tmp_path, count: int, kind: str | None = None, name: str = "cases.csv"):
    lines = ["编号,开始时间,首次响应时间" + (",类型" if kind is not None else "")]
    for n in range(count):
        lines.append(f"C{n},2026-10-08 09:00,2026-10-08 09:20" + (f",{kind}" if kind is not None else ""))
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_metric_kind_that_is_not_allowed_is_not_used_as_every_rows_kind(contract, manager, tmp_path):
    # The contract's metrics measure tickets, plus one metric whose kind was typed as "case".
    _legacy_metric(contract, "case")
    job = services.import_path(contract=contract, actor=manager, path=str(_csv(tmp_path, 40)))
    job.refresh_from_db()
    assert job.status == "succeeded", job.summary
    assert job.count_new == 40 and set(ServiceRecord.objects.values_list("kind", flat=True)) == {"ticket"}
    (note,) = job.summary["notes"]
    assert "结案及时率（case）" in note and "未用作默认类型" in note


def test_without_a_usable_default_kind_the_file_is_asked_for_one_instead_of_rejecting_every_row(
    vendor_a, manager, tmp_path, as_user, django_capture_on_commit_callbacks
):
    from waibao.delivery.tests.factories import make_contract

    contract = make_contract(vendor_a, owner=manager, metrics=[])
    _legacy_metric(contract, "case")
    path = _csv(tmp_path, 30)
    c = as_user(manager)
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/delivery/contracts/{contract.code}/import/", {"file": fh, "policy": "all_or_nothing"})
    job = ImportJob.objects.get()
    assert job.status == "mapping" and r["Location"] == f"/delivery/imports/{job.pk}/mapping/"
    html = c.get(r["Location"]).content.decode()
    assert "结案及时率（case）" in html and "为整个文件指定记录类型" in html
    form = {"col0": "external_id", "col1": "opened_at", "col2": "first_response_at", "const_kind": "ticket"}
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/delivery/imports/{job.pk}/mapping/", form)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.count_new == 30
    assert set(ServiceRecord.objects.values_list("kind", flat=True)) == {"ticket"}


def test_rows_failing_for_one_reason_are_reported_once_with_a_count_and_the_first_rows(
    contract, manager, tmp_path
):
    job = services.import_path(contract=contract, actor=manager, path=str(_csv(tmp_path, 300, kind="case")))
    job.refresh_from_db()
    assert job.status == "rejected" and job.count_rejected == 300
    (group,) = job.summary["groups"]
    assert group["rows"] == 300 and group["first_rows"] == [2, 3, 4, 5, 6] and group["column"] == "类型"
    assert "记录类型“case”不在允许的类型中" in group["rule"] and "工单" in group["rule"]
    assert ingest.group_line(group).startswith("300 行 · 类型：记录类型“case”不在允许的类型中")
    assert "（第 2、3、4、5、6 … 行）" in ingest.group_line(group)
    error_file = job.error_file.read().decode("utf-8-sig").splitlines()
    assert len(error_file) == 301  # header + every row


def test_the_job_page_api_and_command_show_each_reason_once(
    contract, manager, tmp_path, as_user, api_client, capsys
):
    path = _csv(tmp_path, 120, kind="case")
    with pytest.raises(Exception, match="未导入任何数据"):
        call_command("import_records", str(path), "--contract", contract.code)
    out = capsys.readouterr().out
    assert out.count("不在允许的类型中") == 1 and "120 行 · 类型" in out
    job = ImportJob.objects.get()
    html = as_user(manager).get(f"/delivery/imports/{job.pk}/").content.decode()
    assert html.count("不在允许的类型中") == 1 and "2、3、4、5、6 …" in html
    data = api_client(manager).get(f"/api/v1/delivery/imports/{job.pk}").json()
    (group,) = data["error_groups"]
    assert group["rows"] == 120 and group["first_rows"] == [2, 3, 4, 5, 6] and "120 行" in group["text"]


def test_the_batch_api_states_a_shared_reason_once(contract, manager, api_client):
    records = [{"external_id": f"B{n}", "kind": "case", "opened_at": "2026-10-08 09:00"} for n in range(50)]
    r = api_client(manager).post(
        f"/api/v1/delivery/contracts/{contract.code}/records:batch",
        {"records": records},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["message"].count("不在允许的类型中") == 1 and "50 行" in r.json()["message"]


def test_kinds_may_be_written_as_people_call_them(contract, manager, tmp_path):
    path = tmp_path / "k.csv"
    path.write_text(
        "编号,开始时间,类型\nK1,2026-10-08 09:00,工单\nK2,2026-10-08 09:00,Ticket\n", encoding="utf-8"
    )
    job = services.import_path(contract=contract, actor=manager, path=str(path))
    assert job.status == "succeeded" and set(ServiceRecord.objects.values_list("kind", flat=True)) == {
        "ticket"
    }


# --- the mapping step: samples, labels, constants ---------------------------------------------------


@pytest.mark.parametrize(
    "constants",
    [
        {"=kind": "ticket", "=category": "投诉", "=priority": "p1"},
        {"=kind": "工单", "=status": "closed"},  # a kind by its label: the row path reads it
        {"=kind": "case"},  # not allowed: refused before anything runs
    ],
)
def test_a_constant_is_treated_the_same_by_the_columnar_and_the_row_path(
    vendor_a, manager, travel, tmp_path, constants
):
    import random

    from waibao.core.errors import DomainError
    from waibao.delivery.tests import test_columnar as tc
    from waibao.delivery.tests.factories import make_contract

    rng = random.Random(7)
    path = tmp_path / "const.csv"
    headers = [h for h in tc.HEADERS if "=" + h not in constants]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        import csv

        w = csv.writer(fh)
        w.writerow(headers)
        for n in range(400):
            row = dict(zip(tc.HEADERS, tc._row(rng, n), strict=True))
            w.writerow([row[h] for h in headers])
    outcomes = []
    for i, columnar_path in enumerate((True, False)):
        contract = make_contract(vendor_a, code=f"CT-2026-01{i}", owner=manager, metrics=tc.ALL_KINDS)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ingest, "COLUMNAR", columnar_path)
            if constants["=kind"] == "case":
                with pytest.raises(DomainError, match="不在允许的类型中"):
                    services.import_path(
                        contract=contract,
                        actor=manager,
                        path=str(path),
                        policy="valid_rows",
                        mapping=constants,
                    )
                continue
            job = services.import_path(
                contract=contract, actor=manager, path=str(path), policy="valid_rows", mapping=constants
            )
        job.refresh_from_db()
        outcomes.append((tc._state(contract)[0], tc._summary(job)))
        assert job.count_new > 100
        stored = ServiceRecord.objects.filter(contract=contract)
        assert set(stored.values_list("kind", flat=True)) == {"ticket"}
        if "=category" in constants:
            assert set(stored.values_list("category", flat=True)) == {"投诉"}
            assert set(stored.values_list("priority", flat=True)) == {"P1"}
    if outcomes:
        (a_records, a_summary), (b_records, b_summary) = outcomes
        strip = [r[:1] + r[2:] for r in a_records], [r[:1] + r[2:] for r in b_records]  # no contract id
        assert strip[0] == strip[1] and a_summary == b_summary


def test_the_mapping_page_shows_sample_values_and_field_names_in_the_readers_language(
    contract, manager, as_user, tmp_path
):
    path = tmp_path / "nyc.csv"
    path.write_text(
        "unique_key,account,opendate,closedate,complaint_type\n"
        "1,NYCC01,2024-01-02,,Housing\n2,NYCC01,2024-01-03,2024-01-09,Housing\n"
        "3,NYCC01,2024-01-04,2024-01-05,Housing\n4,NYCC01,2024-01-05,2024-01-06,Parks\n"
        "5,NYCC01,2024-01-07,2024-01-08,Noise\n",
        encoding="utf-8",
    )
    with open(path, "rb") as fh:
        job = services.create_file_job(
            contract=contract, actor=manager, upload=services.Upload("nyc.csv", fh), enqueue=False
        )
    assert job.status == "mapping"
    c = as_user(manager)
    html = c.get(f"/delivery/imports/{job.pk}/mapping/").content.decode()
    for sample in ("2024-01-02", "2024-01-03", "2024-01-04", "Housing", "Parks", "Noise", "2024-01-09"):
        assert f">{sample}<" in html
    assert ">2024-01-07<" not in html  # the first three different values of each column
    assert ">记录编号<" in html and ">首次响应时间<" in html and ">external_id<" not in html
    manager.language = "en"
    manager.save(update_fields=["language"])
    with translation.override("zh-hans"):  # the request switches this thread to English; switch back after
        html = as_user(manager).get(f"/delivery/imports/{job.pk}/mapping/").content.decode()
    assert ">Record ID<" in html and ">first_response_at<" not in html


def test_a_refused_mapping_keeps_everything_the_user_chose(contract, manager, as_user, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("Ticket No,When,Office\nX1,2026-10-08 09:00,A\n", encoding="utf-8")
    with open(path, "rb") as fh:
        job = services.create_file_job(
            contract=contract, actor=manager, upload=services.Upload("m.csv", fh), enqueue=False
        )
    form = {
        "col0": "external_id",
        "col1": "",
        "col2": "custom",
        "custom2": "办公室",
        "const_category": "投诉",
    }
    html = as_user(manager).post(f"/delivery/imports/{job.pk}/mapping/", form).content.decode()
    job.refresh_from_db()
    assert job.status == "mapping"
    assert "必须有一列对应“开始时间”或“承诺时间”" in html
    assert 'value="办公室"' in html and 'value="投诉"' in html
    assert '<option value="external_id" selected>' in html


def test_a_constant_is_remembered_for_the_contract_until_a_file_has_that_column(
    contract, manager, tmp_path, django_capture_on_commit_callbacks
):
    from waibao.delivery.models import ColumnMapping

    path = tmp_path / "a.csv"
    path.write_text("Ticket No,Opened\nA1,2026-10-08 09:00\n", encoding="utf-8")
    with open(path, "rb") as fh:
        job = services.create_file_job(contract=contract, actor=manager, upload=services.Upload("a.csv", fh))
    with django_capture_on_commit_callbacks(execute=True):
        services.set_job_mapping(
            job=job,
            actor=manager,
            mapping={"Ticket No": "external_id", "Opened": "opened_at", "=category": "投诉"},
        )
    assert ColumnMapping.objects.get(contract=contract).mapping["=category"] == "投诉"
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        again = services.create_file_job(
            contract=contract, actor=manager, upload=services.Upload("a.csv", fh)
        )
    again.refresh_from_db()
    assert again.status == "succeeded" and ServiceRecord.objects.get().category == "投诉"
    path.write_text("Ticket No,Opened,类别\nA2,2026-10-08 09:00,网络\n", encoding="utf-8")
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        third = services.create_file_job(
            contract=contract, actor=manager, upload=services.Upload("a.csv", fh)
        )
    third.refresh_from_db()
    assert third.status == "succeeded" and ServiceRecord.objects.get(external_id="A2").category == "网络"


def test_the_command_sets_a_constant(contract, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("编号,开始时间\nS1,2026-10-08 09:00\n", encoding="utf-8")
    call_command("import_records", str(path), "--contract", contract.code, "--set", "category=投诉")
    assert ServiceRecord.objects.get().category == "投诉"


def test_another_vendors_user_cannot_open_the_mapping_page(
    contract, manager, vendor_user_b, as_user, tmp_path
):
    path = tmp_path / "v.csv"
    path.write_text("Ticket No,When\nX1,2026-10-08 09:00\n", encoding="utf-8")
    with open(path, "rb") as fh:
        job = services.create_file_job(
            contract=contract, actor=manager, upload=services.Upload("v.csv", fh), enqueue=False
        )
    assert as_user(vendor_user_b).get(f"/delivery/imports/{job.pk}/mapping/").status_code == 404
