from __future__ import annotations

import pytest

from waibao.delivery import services
from waibao.delivery.models import ServiceRecord

pytestmark = pytest.mark.django_db
BUYERS = ["admin", "manager", "quality", "finance", "auditor"]


@pytest.fixture
def loaded(contract, manager, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    return contract


def test_sla_results_answer_per_metric_in_the_documented_shape(loaded, personas, api_client):
    r = api_client(personas["finance"]).get(
        "/api/v1/delivery/contracts/CT-2026-0001/sla-results?period=2026-10"
    )
    assert r.status_code == 200
    body = {x["metric"]: x for x in r.json()}
    p1 = body["P1 响应及时率"]
    assert {"metric", "period", "value", "sample_size", "target", "status", "credit"} <= set(p1)
    assert (p1["period"], p1["value"], p1["sample_size"], p1["status"]) == ("2026-10", 75.0, 4, "missed")
    assert p1["credit"] == 4000 and '"credit": 4000.00' in r.content.decode()


@pytest.mark.parametrize("who", [*BUYERS, "vendor_a"])
def test_every_role_and_the_own_vendor_read_results_and_records(loaded, personas, api_client, who):
    c = api_client(personas[who])
    assert c.get("/api/v1/delivery/contracts/CT-2026-0001/sla-results").status_code == 200
    rec = ServiceRecord.objects.get(external_id="T1")
    assert c.get(f"/api/v1/delivery/records/{rec.pk}").status_code == 200
    assert c.get("/api/v1/delivery/contracts/CT-2026-0001/records").json()["count"] == 6


def test_the_other_vendor_gets_404_everywhere(loaded, personas, api_client, manager):
    c = api_client(personas["vendor_b"])
    rec = ServiceRecord.objects.get(external_id="T1")
    job = services.import_batch(contract=loaded, actor=manager, records=[])
    d = services.raise_dispute(record=rec, actor=personas["vendor_a"], comment="x")
    for url in [
        "/api/v1/delivery/contracts/CT-2026-0001/sla-results",
        "/api/v1/delivery/contracts/CT-2026-0001/records",
        f"/api/v1/delivery/records/{rec.pk}",
        f"/api/v1/delivery/imports/{job.pk}",
        "/api/v1/delivery/contracts/CT-2026-0001/imports",
    ]:
        assert c.get(url).status_code == 404, url
    assert (
        c.post(
            "/api/v1/delivery/contracts/CT-2026-0001/records:batch",
            {"records": []},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        c.post(
            f"/api/v1/delivery/records/{rec.pk}/disputes", {"comment": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        c.post(f"/api/v1/delivery/disputes/{d.pk}/accept", {}, content_type="application/json").status_code
        == 404
    )
    assert c.get("/api/v1/delivery/disputes").json()["count"] == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("manager", 200),
        ("vendor_a", 200),
        ("quality", 403),
        ("finance", 403),
        ("auditor", 403),
    ],
)
def test_batch_import_is_allowed_by_role(contract, personas, api_client, tickets, who, status):
    r = api_client(personas[who]).post(
        "/api/v1/delivery/contracts/CT-2026-0001/records:batch",
        {"records": tickets},
        content_type="application/json",
    )
    assert r.status_code == status
    if status == 200:
        assert r.json()["count_new"] == 6 and r.json()["status"] == "succeeded"


def test_batch_with_a_bad_row_answers_422_naming_row_and_column_and_stores_nothing(
    contract, manager, api_client, tickets
):
    tickets[4]["opened_at"] = "yesterday"
    r = api_client(manager).post(
        "/api/v1/delivery/contracts/CT-2026-0001/records:batch",
        {"records": tickets},
        content_type="application/json",
    )
    assert r.status_code == 422 and "5.opened_at" in r.json()["fields"]
    assert not ServiceRecord.objects.exists()


def test_batch_over_the_limit_is_refused(contract, manager, api_client):
    recs = [{"external_id": str(i), "opened_at": "2026-10-08 09:00"} for i in range(10_001)]
    r = api_client(manager).post(
        "/api/v1/delivery/contracts/CT-2026-0001/records:batch",
        {"records": recs},
        content_type="application/json",
    )
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("finance", 200),
        ("manager", 200),
        ("quality", 403),
        ("auditor", 403),
        ("vendor_a", 403),
        ("vendor_b", 404),
    ],
)
def test_closing_a_period_by_role(loaded, personas, api_client, who, status):
    r = api_client(personas[who]).post("/api/v1/delivery/contracts/CT-2026-0001/periods/2026-10/close")
    assert r.status_code == status
    if status == 200:
        assert r.json() == {"period": "2026-10", "closed": 3}


def test_dispute_flow_through_the_api(loaded, personas, api_client):
    rec = ServiceRecord.objects.get(external_id="T1")
    assert (
        api_client(personas["manager"])
        .post(
            f"/api/v1/delivery/records/{rec.pk}/disputes", {"comment": "x"}, content_type="application/json"
        )
        .status_code
        == 403
    )
    r = api_client(personas["vendor_a"]).post(
        f"/api/v1/delivery/records/{rec.pk}/disputes",
        {"comment": "等待客户", "proposed": {"paused": "2026-10-08 13:00/2026-10-08 13:10"}},
        content_type="application/json",
    )
    assert r.status_code == 201
    did = r.json()["id"]
    for who in ("auditor", "finance", "vendor_a"):
        assert (
            api_client(personas[who])
            .post(f"/api/v1/delivery/disputes/{did}/accept", {}, content_type="application/json")
            .status_code
            == 403
        )
    r = api_client(personas["quality"]).post(
        f"/api/v1/delivery/disputes/{did}/accept", {"response": "ok"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    res = api_client(personas["vendor_a"]).get(
        "/api/v1/delivery/contracts/CT-2026-0001/sla-results?period=2026-10"
    )
    assert {x["metric"]: x["value"] for x in res.json()}["P1 响应及时率"] == 100.0


def test_record_list_query_count_does_not_grow_with_rows(
    contract, manager, api_client, django_assert_max_num_queries
):
    c = api_client(manager)
    services.import_batch(
        contract=contract,
        actor=manager,
        records=[{"external_id": f"R{i}", "opened_at": "2026-10-08 09:00"} for i in range(3)],
    )
    with django_assert_max_num_queries(8):
        assert c.get("/api/v1/delivery/contracts/CT-2026-0001/records").status_code == 200
    services.import_batch(
        contract=contract,
        actor=manager,
        records=[{"external_id": f"S{i}", "opened_at": "2026-10-08 09:00"} for i in range(40)],
    )
    with django_assert_max_num_queries(8):
        assert c.get("/api/v1/delivery/contracts/CT-2026-0001/records").json()["count"] == 43
    with django_assert_max_num_queries(8):
        assert c.get("/api/v1/delivery/contracts/CT-2026-0001/sla-results").status_code == 200


def test_file_import_through_the_api_runs_in_the_background(
    contract, manager, api_client, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile("r.csv", b"external_id,opened_at\nF1,2026-10-08 09:00\n", content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        r = api_client(manager).post("/api/v1/delivery/contracts/CT-2026-0001/imports", {"file": f})
    assert r.status_code == 202
    job = api_client(manager).get(f"/api/v1/delivery/imports/{r.json()['id']}").json()
    assert job["status"] == "succeeded" and job["count_new"] == 1
