"""The vendor API: every endpoint, the error shape, pagination, and denials for each role and vendor."""

import io
from datetime import date, timedelta

import pytest

from waibao.vendors import services
from waibao.vendors.demo import tiny_pdf
from waibao.vendors.models import Vendor
from waibao.vendors.tests.factories import VendorFactory, credit_code_for

pytestmark = pytest.mark.django_db
API = "/api/v1/vendors/"
BUYERS = ["admin", "manager", "quality", "finance", "auditor"]
WRITERS = {"admin", "manager"}


def new_vendor_body(n=1, **kw):
    body = {
        "name": f"接口测试供应商{n}",
        "category": "logistics",
        "credit_code": credit_code_for(500 + n),
        "city": "上海",
        "tags": ["干线"],
    }
    body.update(kw)
    return body


def test_anonymous_gets_401_in_the_error_shape(client):
    r = client.get(API)
    assert r.status_code == 401
    assert r.json() == {"code": "unauthenticated", "message": r.json()["message"], "fields": {}}


def test_bad_token_gets_401(client):
    r = client.get(API, HTTP_AUTHORIZATION="Bearer wb_nope")
    assert r.status_code == 401


@pytest.mark.parametrize("role", BUYERS)
def test_every_buyer_role_reads_all_vendors(personas, api_client, role):
    r = api_client(personas[role]).get(API)
    assert r.status_code == 200
    assert r.json()["count"] == Vendor.objects.count() == 2


def test_vendor_user_lists_only_its_own_vendor(personas, api_client, vendor_a):
    data = api_client(personas["vendor_a"]).get(API).json()
    assert [v["code"] for v in data["items"]] == [vendor_a.code]


def test_vendor_user_gets_404_for_another_vendor(personas, api_client, vendor_b):
    client = api_client(personas["vendor_a"])
    for url in [
        f"{API}{vendor_b.pk}",
        f"{API}{vendor_b.pk}/contacts",
        f"{API}{vendor_b.pk}/certificates",
        f"{API}{vendor_b.pk}/documents",
        f"{API}{vendor_b.pk}/status-history",
    ]:
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json()["code"] == "not_found"


@pytest.mark.parametrize("role", [*BUYERS, "vendor_a"])
def test_create_vendor_allowed_only_for_admin_and_manager(personas, api_client, role):
    r = api_client(personas[role]).post(API, new_vendor_body(), content_type="application/json")
    if role in WRITERS:
        assert r.status_code == 201, r.content
        assert r.json()["tags"] == ["干线"] and r.json()["status"] == "prospect"
    else:
        assert r.status_code == 403
        assert r.json()["code"] == "forbidden"


def test_validation_errors_name_the_field(personas, api_client):
    r = api_client(personas["manager"]).post(
        API, new_vendor_body(credit_code="91440300708461136X"), content_type="application/json"
    )
    assert r.status_code == 422
    assert "credit_code" in r.json()["fields"]
    r = api_client(personas["manager"]).post(API, {"name": "x"}, content_type="application/json")
    assert r.status_code == 422 and "category" in r.json()["fields"]


def test_patch_and_optimistic_locking(personas, api_client, vendor_a):
    client = api_client(personas["manager"])
    r = client.patch(
        f"{API}{vendor_a.pk}", {"city": "苏州", "version": vendor_a.version}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["city"] == "苏州"
    stale = client.patch(
        f"{API}{vendor_a.pk}", {"city": "无锡", "version": vendor_a.version}, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"


@pytest.mark.parametrize("role", ["quality", "finance", "auditor", "vendor_a"])
def test_patch_denied_for_non_writers(personas, api_client, vendor_a, role):
    r = api_client(personas[role]).patch(
        f"{API}{vendor_a.pk}", {"city": "苏州"}, content_type="application/json"
    )
    assert r.status_code == 403


def test_status_transition_endpoint(personas, api_client):
    v = VendorFactory(status="prospect")
    client = api_client(personas["manager"])
    assert (
        client.post(f"{API}{v.pk}/status", {"to": "onboarding"}, content_type="application/json").json()[
            "status"
        ]
        == "onboarding"
    )
    bad = client.post(f"{API}{v.pk}/status", {"to": "exited"}, content_type="application/json")
    assert bad.status_code == 422 and "to" in bad.json()["fields"]
    assert (
        api_client(personas["auditor"])
        .post(f"{API}{v.pk}/status", {"to": "active"}, content_type="application/json")
        .status_code
        == 403
    )
    history = client.get(f"{API}{v.pk}/status-history").json()
    assert [h["to_status"] for h in history] == ["onboarding"]


def test_pagination_is_capped(personas, api_client):
    VendorFactory.create_batch(5)
    data = api_client(personas["admin"]).get(API + "?page_size=1000").json()
    assert data["page_size"] == 200
    data = api_client(personas["admin"]).get(API + "?page_size=2&page=2").json()
    assert data["page"] == 2 and len(data["items"]) == 2 and data["count"] == 5 + 2  # + the personas' vendors


def test_list_filters(personas, api_client):
    VendorFactory(name="上海物流", category="logistics", status="active")
    VendorFactory(name="杭州客服", category="customer_service", status="prospect")
    client = api_client(personas["manager"])
    assert [v["name"] for v in client.get(API + "?category=logistics").json()["items"]] == ["上海物流"]
    assert [v["name"] for v in client.get(API + "?status=prospect").json()["items"]] == ["杭州客服"]
    assert [v["name"] for v in client.get(API + "?q=杭州").json()["items"]] == ["杭州客服"]


def test_list_query_count_does_not_grow_with_rows(personas, api_client, django_assert_max_num_queries):
    client = api_client(personas["manager"])
    VendorFactory.create_batch(3)
    with django_assert_max_num_queries(8):
        client.get(API)
    VendorFactory.create_batch(30)
    with django_assert_max_num_queries(8):
        assert client.get(API).json()["count"] == 33 + 2


def test_contacts_crud_and_vendor_users_keep_their_own(personas, api_client, vendor_a, vendor_b):
    own = api_client(personas["vendor_a"])
    r = own.post(
        f"{API}{vendor_a.pk}/contacts",
        {"name": "周杰", "phone": "13800000000", "is_primary": True},
        content_type="application/json",
    )
    assert r.status_code == 201
    cid = r.json()["id"]
    assert (
        own.patch(f"{API}contacts/{cid}", {"role": "客户经理"}, content_type="application/json").json()[
            "role"
        ]
        == "客户经理"
    )
    other = api_client(personas["vendor_b"])
    assert (
        other.patch(f"{API}contacts/{cid}", {"role": "x"}, content_type="application/json").status_code == 404
    )
    assert other.delete(f"{API}contacts/{cid}").status_code == 404
    assert (
        other.post(f"{API}{vendor_a.pk}/contacts", {"name": "x"}, content_type="application/json").status_code
        == 404
    )
    assert api_client(personas["auditor"]).delete(f"{API}contacts/{cid}").status_code == 403
    assert own.delete(f"{API}contacts/{cid}").status_code == 204


def test_certificate_upload_download_and_denials(personas, api_client, vendor_a):
    client = api_client(personas["manager"])
    data = tiny_pdf("cert")
    r = client.post(
        f"{API}{vendor_a.pk}/certificates",
        {
            "type": "iso27001",
            "number": "ISMS-1",
            "valid_until": (date.today() + timedelta(days=30)).isoformat(),
            "file": io.BytesIO(data),
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "expiring" and body["has_file"]
    url = f"{API}certificates/{body['id']}/file"
    download = api_client(personas["vendor_a"]).get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == data
    assert api_client(personas["vendor_b"]).get(url).status_code == 404
    assert api_client(personas["vendor_b"]).get(f"{API}certificates/{body['id']}").status_code == 404
    assert api_client(personas["auditor"]).get(url).status_code == 200
    assert api_client(personas["auditor"]).delete(f"{API}certificates/{body['id']}").status_code == 403


def test_certificate_upload_refuses_wrong_content(personas, api_client, vendor_a):
    r = api_client(personas["manager"]).post(
        f"{API}{vendor_a.pk}/certificates",
        {
            "type": "iso9001",
            "number": "Q",
            "valid_until": "2030-01-01",
            "file": io.BytesIO(b"hello, I am text"),
        },
    )
    assert r.status_code == 422 and "file" in r.json()["fields"]


def test_documents_upload_list_download(personas, api_client, vendor_a, vendor_b):
    own = api_client(personas["vendor_a"])
    data = tiny_pdf("doc")
    up = own.post(
        f"{API}{vendor_a.pk}/documents", {"type": "qualification", "title": "资质", "file": io.BytesIO(data)}
    )
    assert up.status_code == 201, up.content
    doc_id = up.json()["id"]
    assert [d["id"] for d in own.get(f"{API}{vendor_a.pk}/documents").json()] == [doc_id]
    assert own.get(f"{API}documents/{doc_id}/file")["Content-Disposition"].startswith("attachment")
    assert api_client(personas["vendor_b"]).get(f"{API}documents/{doc_id}/file").status_code == 404
    assert (
        api_client(personas["vendor_b"])
        .post(f"{API}{vendor_a.pk}/documents", {"type": "other", "file": io.BytesIO(data)})
        .status_code
        == 404
    )
    assert (
        api_client(personas["finance"])
        .post(f"{API}{vendor_b.pk}/documents", {"type": "other", "file": io.BytesIO(data)})
        .status_code
        == 403
    )


def test_expiring_certificates_endpoint_is_scoped(personas, api_client, vendor_a, vendor_b):
    soon = date.today() + timedelta(days=5)
    for v in (vendor_a, vendor_b):
        services.add_certificate(vendor=v, actor="test", type="iso9001", number=f"Q-{v.pk}", valid_until=soon)
    assert api_client(personas["manager"]).get(API + "certificates/expiring").json()["count"] == 2
    mine = api_client(personas["vendor_a"]).get(API + "certificates/expiring").json()
    assert [c["vendor_id"] for c in mine["items"]] == [vendor_a.pk]


def test_session_auth_requires_csrf_for_writes(manager):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get(API).status_code == 200
    assert client.post(API, new_vendor_body(), content_type="application/json").status_code in (401, 403)


def test_revoked_token_stops_working(manager, client):
    from waibao.accounts import services as acc

    token, raw = acc.create_api_token(user=manager, actor=manager)
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    acc.revoke_api_token(token=token, actor=manager)
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
