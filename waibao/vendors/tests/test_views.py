"""Vendor pages: each role sees what policy says; a vendor user never sees another vendor's archive."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from waibao.vendors import services
from waibao.vendors.demo import tiny_pdf
from waibao.vendors.models import Vendor, VendorStatus
from waibao.vendors.tests.factories import VendorFactory, credit_code_for

pytestmark = pytest.mark.django_db
BUYERS = ["admin", "manager", "quality", "finance", "auditor"]


@pytest.mark.parametrize("role", BUYERS)
def test_buyers_see_the_list_and_any_vendor_page(personas, as_user, vendor_a, vendor_b, role):
    client = as_user(personas[role])
    page = client.get("/vendors/")
    assert page.status_code == 200
    assert vendor_a.name in page.content.decode() and vendor_b.name in page.content.decode()
    assert client.get(f"/vendors/{vendor_b.pk}/").status_code == 200


def test_vendor_user_sees_own_page_and_404_for_the_other(personas, as_user, vendor_a, vendor_b):
    client = as_user(personas["vendor_a"])
    assert client.get(f"/vendors/{vendor_a.pk}/").status_code == 200
    assert client.get(f"/vendors/{vendor_b.pk}/").status_code == 404
    listing = client.get("/vendors/").content.decode()
    assert vendor_a.name in listing and vendor_b.name not in listing
    export = client.get("/vendors/export.xlsx")
    names = [
        row[1]
        for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(min_row=2, values_only=True)
    ]
    assert names == [vendor_a.name]


def test_portal_profile_redirects_a_vendor_user_to_its_own_archive(personas, as_user, vendor_a):
    r = as_user(personas["vendor_a"]).get("/portal/profile/")
    assert r.status_code == 302 and r["Location"] == f"/vendors/{vendor_a.pk}/"
    assert as_user(personas["manager"]).get("/portal/profile/").status_code == 404


@pytest.mark.parametrize("role", ["quality", "finance", "auditor", "vendor_a"])
def test_non_writers_cannot_create_or_edit_vendors(personas, as_user, vendor_a, role):
    client = as_user(personas[role])
    assert client.get("/vendors/new/").status_code == 403
    assert client.post(f"/vendors/{vendor_a.pk}/edit/", {"name": "x"}).status_code == 403
    assert (
        client.post(f"/vendors/{vendor_a.pk}/status/", {"to": "suspended", "reason": "x"}).status_code == 403
    )


def test_create_vendor_form_shows_inline_errors_and_saves_nothing(personas, as_user):
    client = as_user(personas["manager"])
    r = client.post(
        "/vendors/new/",
        {
            "name": "错误代码公司",
            "country": "CN",
            "credit_code": "91440300708461136X",
            "category": "it_services",
        },
    )
    assert r.status_code == 200
    assert "校验码错误" in r.content.decode()
    assert not Vendor.objects.filter(name="错误代码公司").exists()


def test_create_vendor_form_saves_and_redirects(personas, as_user):
    client = as_user(personas["manager"])
    r = client.post(
        "/vendors/new/",
        {
            "name": "新供应商",
            "country": "CN",
            "credit_code": credit_code_for(77),
            "category": "hr",
            "tags": "招聘, 派遣",
        },
    )
    vendor = Vendor.objects.get(name="新供应商")
    assert r.status_code == 302 and r["Location"] == f"/vendors/{vendor.pk}/"


def test_status_change_from_the_page(personas, as_user):
    v = VendorFactory(status="active")
    client = as_user(personas["manager"])
    client.post(f"/vendors/{v.pk}/status/", {"to": "suspended", "reason": ""})
    v.refresh_from_db()
    assert v.status == VendorStatus.ACTIVE  # reason missing: refused
    client.post(f"/vendors/{v.pk}/status/", {"to": "suspended", "reason": "质量问题"})
    v.refresh_from_db()
    assert v.status == VendorStatus.SUSPENDED
    page = client.get(f"/vendors/{v.pk}/").content.decode()
    assert "质量问题" in page


def test_vendor_user_maintains_own_certificates_but_not_others(personas, as_user, vendor_a, vendor_b):
    client = as_user(personas["vendor_a"])
    data = {
        "type": "iso9001",
        "number": "Q-1",
        "valid_until": "2030-01-01",
        "file": io.BytesIO(tiny_pdf("c")),
    }
    assert client.post(f"/vendors/{vendor_a.pk}/certificates/new/", data).status_code == 302
    assert vendor_a.certificates.count() == 1
    data["file"] = io.BytesIO(tiny_pdf("c"))
    assert client.post(f"/vendors/{vendor_b.pk}/certificates/new/", data).status_code == 404
    cert = vendor_a.certificates.get()
    assert as_user(personas["vendor_b"]).get(f"/vendors/certificates/{cert.pk}/file/").status_code == 404
    assert as_user(personas["vendor_b"]).post(f"/vendors/certificates/{cert.pk}/delete/").status_code == 404


def test_documents_are_served_only_as_attachments_through_the_permission_check(personas, as_user, vendor_a):
    doc = services.upload_document(
        vendor=vendor_a,
        actor="test",
        upload=services.Upload("nda.pdf", io.BytesIO(tiny_pdf("d")), len(tiny_pdf("d"))),
        type="nda",
    )
    r = as_user(personas["auditor"]).get(f"/vendors/documents/{doc.pk}/file/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert as_user(personas["vendor_b"]).get(f"/vendors/documents/{doc.pk}/file/").status_code == 404
    assert as_user(personas["auditor"]).post(f"/vendors/documents/{doc.pk}/delete/").status_code == 403


def test_vendor_list_query_count_is_fixed(personas, as_user, django_assert_max_num_queries):
    client = as_user(personas["manager"])
    VendorFactory.create_batch(2)
    with django_assert_max_num_queries(14) as first:
        client.get("/vendors/")
    VendorFactory.create_batch(20)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/vendors/")


def test_list_filters_and_htmx_partial(personas, as_user):
    VendorFactory(name="上海物流", category="logistics")
    VendorFactory(name="杭州客服", category="customer_service")
    client = as_user(personas["manager"])
    body = client.get("/vendors/?category=logistics").content.decode()
    assert "上海物流" in body and "杭州客服" not in body
    partial = client.get("/vendors/?q=杭州", HTTP_HX_REQUEST="true").content.decode()
    assert "杭州客服" in partial and "<html" not in partial


def test_certificate_state_filter(personas, as_user):
    today = date.today()
    a = VendorFactory(name="过期证书公司")
    b = VendorFactory(name="快到期公司")
    c = VendorFactory(name="证书有效公司")
    services.add_certificate(
        vendor=a, actor="t", type="iso9001", number="1", valid_until=today - timedelta(days=1)
    )
    services.add_certificate(
        vendor=b, actor="t", type="iso9001", number="2", valid_until=today + timedelta(days=10)
    )
    services.add_certificate(
        vendor=c, actor="t", type="iso9001", number="3", valid_until=today + timedelta(days=400)
    )
    client = as_user(personas["manager"])
    for state, name in [("expired", a.name), ("expiring", b.name), ("valid", c.name)]:
        body = client.get(f"/vendors/?cert_state={state}").content.decode()
        assert name in body and all(other not in body for other in {a.name, b.name, c.name} - {name}), state
    expiring = client.get("/vendors/certificates/expiring/").content.decode()
    assert a.name in expiring and b.name in expiring and c.name not in expiring


def test_export_to_excel(personas, as_user, vendor_a):
    r = as_user(personas["auditor"]).get("/vendors/export.xlsx")
    assert r["Content-Disposition"] == 'attachment; filename="vendors.xlsx"'
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号"
    assert sorted(r[0] for r in rows[1:]) == sorted(Vendor.objects.values_list("code", flat=True))
    assert vendor_a.name in [r[1] for r in rows[1:]]


def test_import_page_reports_errors_and_imports_nothing(
    personas, as_user, django_capture_on_commit_callbacks
):
    client = as_user(personas["manager"])
    csv = f"名称,类别,统一社会信用代码\n好公司,物流,{credit_code_for(90)}\n坏公司,物流,123\n".encode("gbk")
    f = io.BytesIO(csv)
    f.name = "v.csv"
    with django_capture_on_commit_callbacks(execute=True):  # the import job runs (immediate backend)
        r = client.post("/vendors/import/", {"file": f})
    body = client.get(r["Location"]).content.decode()
    assert r.status_code == 302 and "统一社会信用代码" in body and "长度必须为 18 位" in body
    assert not Vendor.objects.filter(name="好公司").exists()


def test_vendor_page_shows_its_history_to_buyers_only(personas, as_user, vendor_a):
    services.update_vendor(vendor=vendor_a, actor=personas["manager"], city="杭州")
    assert "杭州" in as_user(personas["auditor"]).get(f"/vendors/{vendor_a.pk}/").content.decode()
    assert "档案变更记录" not in as_user(personas["vendor_a"]).get(f"/vendors/{vendor_a.pk}/").content.decode()
    full = as_user(personas["auditor"]).get(f"/audit/?vendor={vendor_a.pk}").content.decode()
    assert "杭州" in full
