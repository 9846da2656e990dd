from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from waibao.delivery import services
from waibao.delivery.models import ImportJob, RecordDispute, ServiceRecord

pytestmark = pytest.mark.django_db
BUYERS = ["admin", "manager", "quality", "finance", "auditor"]


@pytest.fixture
def loaded(contract, manager, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    return contract


def pages(contract):
    rec = ServiceRecord.objects.get(contract=contract, external_id="T1")
    metric = contract.sla_metrics.first()
    return [
        "/delivery/",
        "/delivery/disputes/",
        f"/delivery/contracts/{contract.code}/",
        f"/delivery/contracts/{contract.code}/records/",
        f"/delivery/records/{rec.pk}/",
        f"/delivery/contracts/{contract.code}/missed/{metric.pk}/2026-10/",
        f"/delivery/contracts/{contract.code}/results.xlsx",
        "/delivery/export.xlsx",
    ]


@pytest.mark.parametrize("who", [*BUYERS, "vendor_a"])
def test_every_role_and_the_own_vendor_see_the_delivery_pages(loaded, personas, as_user, who):
    c = as_user(personas[who])
    for url in pages(loaded):
        assert c.get(url).status_code == 200, url


def test_the_other_vendor_gets_404_on_contract_pages(loaded, personas, as_user, manager):
    c = as_user(personas["vendor_b"])
    for url in pages(loaded)[2:7]:
        assert c.get(url).status_code == 404, url
    job = services.import_batch(contract=loaded, actor=manager, records=[])
    assert c.get(f"/delivery/imports/{job.pk}/").status_code == 404
    r = c.get("/delivery/")
    assert loaded.code not in r.content.decode()


def test_traceability_lists_only_the_records_that_missed_and_shows_the_rule(loaded, manager, as_user):
    metric = loaded.sla_metrics.get(name="P1 响应及时率")
    html = (
        as_user(manager)
        .get(f"/delivery/contracts/{loaded.code}/missed/{metric.pk}/2026-10/")
        .content.decode()
    )
    # 35 business minutes, shown in hours with the unit; the rule in words as the contract page says it
    assert "T1" in html and "0.58 小时" in html and "不超过 30 个工作分钟" in html
    assert "first_response_at" not in html and "threshold" not in html
    for other in ("T2", "T3", "T4", "T6"):
        assert f">{other}<" not in html


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 200), ("vendor_a", 200), ("auditor", 403), ("quality", 403), ("vendor_b", 404)],
)
def test_import_page_by_role(contract, personas, as_user, who, status):
    assert as_user(personas[who]).get(f"/delivery/contracts/{contract.code}/import/").status_code == status


def test_uploading_a_file_runs_the_job_and_shows_counts(
    contract, manager, as_user, django_capture_on_commit_callbacks
):
    f = SimpleUploadedFile(
        "r.csv", "编号,开始时间,首次响应时间\nW1,2026-10-08 09:00,2026-10-08 09:05\n".encode("gbk")
    )
    c = as_user(manager)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/delivery/contracts/{contract.code}/import/", {"file": f, "policy": "all_or_nothing"})
    job = ImportJob.objects.get(file_name="r.csv")
    assert r.status_code == 302 and r["Location"] == f"/delivery/imports/{job.pk}/"
    html = c.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "已完成" in html and 'hx-trigger="every 1s"' not in html


def test_unknown_headers_go_through_the_mapping_page(
    contract, manager, as_user, django_capture_on_commit_callbacks
):
    f = SimpleUploadedFile("m.csv", b"No,Start\nM1,2026-10-08 09:00\n")
    c = as_user(manager)
    r = c.post(f"/delivery/contracts/{contract.code}/import/", {"file": f, "policy": "all_or_nothing"})
    job = ImportJob.objects.get(file_name="m.csv")
    assert r["Location"] == f"/delivery/imports/{job.pk}/mapping/"
    assert "No" in c.get(r["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        c.post(r["Location"], {"col0": "external_id", "col1": "opened_at"})
    job.refresh_from_db()
    assert job.status == "succeeded" and ServiceRecord.objects.filter(external_id="M1").exists()


def test_a_vendor_disputes_a_record_and_a_buyer_decides_on_the_page(
    loaded, vendor_user_a, quality_user, as_user
):
    rec = ServiceRecord.objects.get(external_id="T1")
    r = as_user(vendor_user_a).post(
        f"/delivery/records/{rec.pk}/dispute/",
        {"comment": "等待客户确认", "paused": "2026-10-08 13:00/2026-10-08 13:10"},
    )
    assert r.status_code == 302
    d = RecordDispute.objects.get()
    assert (
        as_user(vendor_user_a).post(f"/delivery/disputes/{d.pk}/decide/", {"decision": "accept"}).status_code
        == 403
    )
    as_user(quality_user).post(
        f"/delivery/disputes/{d.pk}/decide/", {"decision": "accept", "response": "属实"}
    )
    d.refresh_from_db()
    rec.refresh_from_db()
    assert d.status == "accepted" and rec.pauses


def test_manual_entry_form_shows_field_errors(contract, manager, as_user):
    c = as_user(manager)
    r = c.post(
        f"/delivery/contracts/{contract.code}/records/new/",
        {
            "external_id": "N1",
            "kind": "ticket",
            "opened_at": "2026-10-08 10:00",
            "first_response_at": "2026-10-08 09:00",
        },
    )
    assert r.status_code == 200 and "不能早于开始时间" in r.content.decode()
    r = c.post(
        f"/delivery/contracts/{contract.code}/records/new/",
        {
            "external_id": "N1",
            "kind": "ticket",
            "opened_at": "2026-10-08 10:00",
            "first_response_at": "2026-10-08 10:09",
        },
    )
    assert r.status_code == 302 and ServiceRecord.objects.filter(external_id="N1").exists()


def test_auditor_cannot_write(loaded, auditor, as_user):
    c = as_user(auditor)
    rec = ServiceRecord.objects.get(external_id="T1")
    assert c.get(f"/delivery/contracts/{loaded.code}/records/new/").status_code == 403
    assert c.get(f"/delivery/records/{rec.pk}/edit/").status_code == 403
    assert c.post(f"/delivery/contracts/{loaded.code}/close/", {"period": "2026-10"}).status_code == 403


def test_list_pages_keep_a_fixed_number_of_queries(
    contract, vendor_a, manager, as_user, django_assert_max_num_queries
):
    from waibao.delivery.tests.factories import make_contract

    c = as_user(manager)
    services.import_batch(
        contract=contract,
        actor=manager,
        records=[{"external_id": f"R{i}", "opened_at": "2026-10-08 09:00"} for i in range(3)],
    )
    with django_assert_max_num_queries(20):
        c.get("/delivery/")
    with django_assert_max_num_queries(20):
        c.get(f"/delivery/contracts/{contract.code}/records/")
    for i in range(5):
        make_contract(vendor_a, code=f"CT-2026-01{i:02d}")
    services.import_batch(
        contract=contract,
        actor=manager,
        records=[{"external_id": f"S{i}", "opened_at": "2026-10-08 09:00"} for i in range(40)],
    )
    with django_assert_max_num_queries(20):
        c.get("/delivery/")
    with django_assert_max_num_queries(20):
        c.get(f"/delivery/contracts/{contract.code}/records/")
    with django_assert_max_num_queries(20):
        c.get("/delivery/disputes/")


def test_home_and_vendor_panels_show_sla_status(loaded, manager, as_user):
    c = as_user(manager)
    assert "sla-rag-counts" in c.get("/").content.decode()
    assert "SLA 表现" in c.get(f"/vendors/{loaded.vendor_id}/").content.decode()


def test_the_policy_choices_are_two_readable_radio_buttons(contract, manager, as_user):
    html = as_user(manager).get(f"/delivery/contracts/{contract.code}/import/").content.decode()
    for value in ("all_or_nothing", "valid_rows"):
        # each radio in its own .form-check with its label (the group itself once got the input's class
        # and squeezed the labels into a 1em column)
        assert re.search(rf'<div class="form-check"><input type="radio" name="policy" value="{value}"', html)
    assert '<div id="id_policy" class="form-check-input">' not in html


def test_errors_are_written_in_the_uploaders_language(contract, manager, as_user):
    from waibao.delivery import services

    manager.language = "en"
    manager.save(update_fields=["language"])
    f = SimpleUploadedFile("e.csv", b"external_id,opened_at,csat\nE1,2026-10-08 09:00,9\n")
    as_user(manager).post(f"/delivery/contracts/{contract.code}/import/", {"file": f, "policy": "valid_rows"})
    job = ImportJob.objects.get(file_name="e.csv")
    from django.utils import translation

    with translation.override("zh-hans"):  # as in the background worker: the installation's language
        services.run_job(job.pk)
    job.refresh_from_db()
    message = "The contract's CSAT scale is 1–5 score: a whole number from 1 to 5."
    assert job.errors_preview == [[2, "csat", message]]
    assert message in job.error_file.read().decode("utf-8-sig")
