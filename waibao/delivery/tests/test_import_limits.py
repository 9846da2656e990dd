"""Import limits (size before the file is read, rows while it streams) and failure messages that name the
rule in the uploader's language — the same at the page, the API and the command."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from waibao.core import limits
from waibao.delivery import ingest
from waibao.delivery.models import ImportJob, JobSource, ServiceRecord

HEADER = "external_id,kind,priority,opened_at,first_response_at\n"


def csv_rows(n: int, *, pad: int = 0) -> str:
    return HEADER + "".join(
        f"R{i},ticket,P1,2026-10-08 09:00,2026-10-08 09:10{',' + 'x' * pad if pad else ''}\n"
        for i in range(1, n + 1)
    )


def big_csv(megabytes: float) -> bytes:
    """A valid CSV file of about this size (one long comment column)."""
    rows = int(megabytes * 1024 * 1024 / 1000) + 1
    return ("external_id,kind,priority,opened_at,first_response_at,note\n" + "".join(
        f"B{i},ticket,P1,2026-10-08 09:00,2026-10-08 09:10,{'x' * 950}\n" for i in range(rows)
    )).encode()  # fmt: skip


def upload_api(client, contract, data: bytes, name: str = "records.csv"):
    f = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(f"/api/v1/delivery/contracts/{contract.code}/imports", {"file": f})


@pytest.fixture
def small_limits(settings):
    settings.WAIBAO_IMPORT_MAX_MB = 1
    settings.WAIBAO_IMPORT_MAX_ROWS = 3
    settings.WAIBAO_VENDOR_IMPORT_MAX_MB = 1
    settings.WAIBAO_VENDOR_IMPORT_MAX_ROWS = 3
    return settings


# --- size ------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_by_the_api_with_413_and_nothing_stored(
    contract, manager, api_client, small_limits
):
    r = upload_api(api_client(manager), contract, big_csv(1.3))
    assert r.status_code == 413, r.content
    body = r.json()
    assert body["code"] == "too_large"
    assert body["message"] == "文件太大：1.3 MB，超过了导入上限 1 MB。请拆分文件后分批导入。"
    assert body["fields"]["file"] == body["message"]
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused_on_the_page_in_english(
    contract, manager, as_user, small_limits
):
    manager.language = "en"
    manager.save(update_fields=["language"])
    f = SimpleUploadedFile("records.csv", big_csv(1.3), content_type="text/csv")
    r = as_user(manager).post(
        f"/delivery/contracts/{contract.code}/import/", {"file": f, "policy": "all_or_nothing"}
    )
    assert r.status_code == 200
    assert (
        "The file is too large: 1.3 MB, over the import limit of 1 MB. Split the file and import the parts one "
        "by one." in r.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused_by_the_command_before_it_is_read(
    contract, tmp_path, small_limits
):
    path = tmp_path / "big.csv"
    path.write_bytes(big_csv(1.3))
    with pytest.raises(CommandError, match=r"文件太大：1\.3 MB，超过了导入上限 1 MB"):
        call_command("import_records", str(path), "--contract", contract.code)
    assert not ImportJob.objects.exists()


def test_vendor_users_have_the_lower_limit(contract, manager, vendor_user_a, api_client, settings):
    settings.WAIBAO_VENDOR_IMPORT_MAX_MB = 1  # managers keep the default 200 MB
    data = big_csv(1.3)
    assert upload_api(api_client(vendor_user_a), contract, data).status_code == 413
    assert upload_api(api_client(manager), contract, data).status_code == 202
    assert limits.import_limits(vendor_user_a).max_rows == 200_000
    assert limits.import_limits(manager) == limits.ImportLimits(200 * 1024 * 1024, 2_000_000)


def test_a_request_body_larger_than_any_upload_is_refused_before_it_is_read(contract, manager, api_client):
    declared = str(limits.largest_upload_bytes() + 1)
    r = api_client(manager).post(
        f"/api/v1/delivery/contracts/{contract.code}/imports",
        b"",
        content_type="text/csv",
        CONTENT_LENGTH=declared,
    )
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert not ImportJob.objects.exists()


# --- rows ------------------------------------------------------------------------------------------


def test_a_file_over_the_row_limit_is_rejected_naming_the_limit_and_nothing_is_stored(
    contract, manager, api_client, small_limits, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = upload_api(api_client(manager), contract, csv_rows(5).encode())
    assert r.status_code == 202
    job = api_client(manager).get(f"/api/v1/delivery/imports/{r.json()['id']}").json()
    assert job["status"] == "rejected"
    assert (
        job["message"] == "文件超过了 3 行的导入上限，其余的行未读取，未导入任何数据。请拆分文件后分批导入。"
    )
    assert not ServiceRecord.objects.exists()


def test_the_row_limit_stops_reading_at_the_first_row_over_it(contract, manager):
    pulled = []

    def rows():
        for i in range(1, 1000):
            pulled.append(i)
            yield i, {"external_id": f"R{i}", "kind": "ticket", "opened_at": "2026-10-08 09:00"}

    job = ImportJob.objects.create(contract=contract, source=JobSource.API, created_at=contract.created_at)
    ingest.run(job, rows(), headers=[], mapping=None, actor=manager, limits=limits.ImportLimits(10**9, 5))
    job.refresh_from_db()
    assert job.status == "rejected" and "5 行的导入上限" in job.message
    assert len(pulled) == 6  # the row after the limit, and not one more


def test_the_command_stops_at_the_row_limit_and_says_so(contract, tmp_path, small_limits):
    path = tmp_path / "rows.csv"
    path.write_text(csv_rows(5), encoding="utf-8")
    with pytest.raises(CommandError, match="文件超过了 3 行的导入上限"):
        call_command("import_records", str(path), "--contract", contract.code)
    assert not ServiceRecord.objects.exists()


# --- failures name the rule, in the uploader's language -------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "CSV 文件第 3 行含有空字符（NUL）：不是纯文本文件，或已损坏。未导入任何数据。"),
        (
            "en",
            "Row 3 of the CSV file contains a NUL character: it is not a plain text file, or it is damaged. "
            "Nothing was imported.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_names_the_rule_in_the_uploaders_language(
    contract, manager, api_client, django_capture_on_commit_callbacks, language, expected
):
    manager.language = language
    manager.save(update_fields=["language"])
    data = csv_rows(1) + "R2,ticket,P1\x00,2026-10-08 09:00,2026-10-08 09:10\n"
    with django_capture_on_commit_callbacks(execute=True):
        r = upload_api(api_client(manager), contract, data.encode())
    job = ImportJob.objects.get(pk=r.json()["id"])
    assert (job.status, job.message) == ("rejected", expected)
    assert not ServiceRecord.objects.exists()


def test_a_cell_over_the_csv_field_limit_is_named_not_shown_as_error(
    contract, manager, api_client, django_capture_on_commit_callbacks
):
    import csv

    data = csv_rows(1) + "R2,ticket,P1," + "9" * (csv.field_size_limit() + 10) + ",2026-10-08 09:10\n"
    with django_capture_on_commit_callbacks(execute=True):
        r = upload_api(api_client(manager), contract, data.encode())
    job = ImportJob.objects.get(pk=r.json()["id"])
    assert job.status == "rejected"
    assert "Error" not in job.message and job.message.endswith("未导入任何数据。")


def test_an_unexpected_failure_says_so_in_words_never_the_exception(contract, manager, monkeypatch):
    from waibao.delivery import rows as rows_module

    def broken(raw, ctx):
        raise KeyError("opened_at")

    monkeypatch.setattr(rows_module, "clean_row", broken)
    manager.language = "en"
    manager.save(update_fields=["language"])
    job = ImportJob.objects.create(contract=contract, source=JobSource.API, created_at=contract.created_at)
    from django.utils import translation

    with translation.override("en"), pytest.raises(KeyError):
        ingest.run(job, [(1, {"external_id": "A"})], headers=[], mapping=None, actor=manager, workers=1)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message == (
        "An unexpected error stopped the import; nothing was imported. The error is in the server log; import "
        "again later, or contact your administrator."
    )


def test_a_header_row_with_nul_is_refused_at_upload_not_a_server_error(contract, manager, api_client):
    r = upload_api(api_client(manager), contract, b"external_id,ki\x00nd\nA,ticket\n")
    assert r.status_code == 422
    assert r.json()["message"] == "CSV 文件第 1 行含有空字符（NUL）：不是纯文本文件，或已损坏。"
