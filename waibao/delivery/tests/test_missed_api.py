"""GET /api/v1/delivery/contracts/{code}/missed/{metric_id}/{period}: the missed-records list of the contract
page through the API — the same query, filters, sort and columns, paged by cursor, vendor B kept out.

Today is 2026-11-10 (the delivery conftest travels there); the tickets are from October."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from waibao.delivery import services
from waibao.delivery.tests.factories import CSAT, P1_RESPONSE, make_contract
from waibao.delivery.tests.test_delivery_pages import _p1

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(vendor_a, manager):
    """120 P1 tickets that missed the 30-minute response (45 minutes) and 30 that met it."""
    contract = make_contract(vendor_a, owner=manager, metrics=[P1_RESPONSE, CSAT])
    services.import_batch(contract=contract, actor=manager, records=_p1(30, 13, 10, "OK") + _p1(120, 12, 45))
    return contract


def _url(contract, metric, period="2026-10"):
    return f"/api/v1/delivery/contracts/{contract.code}/missed/{metric.pk}/{period}"


def _p1_metric(contract):
    return contract.sla_metrics.get(name="P1 响应及时率")


def test_the_api_pages_the_missed_records_by_cursor_without_counting_the_period(many, manager, api_client):
    client, metric = api_client(manager), _p1_metric(many)
    with CaptureQueriesContext(connection) as ctx:
        first = client.get(_url(many, metric)).json()
    assert not [
        q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "servicerecord" in q["sql"]
    ]
    assert len(first["items"]) == 50 and first["next"] and not first["partial"]
    assert first["items"][0]["external_id"] == "M0000"
    ids = [i["external_id"] for i in first["items"]]
    page = first
    while page["next"]:
        page = client.get(_url(many, metric), {"cursor": page["next"]}).json()
        ids += [i["external_id"] for i in page["items"]]
    assert ids == [f"M{i:04d}" for i in range(120)]  # every missed record once; the 30 on time never


def test_the_api_has_the_pages_columns_and_values_as_json(many, manager, api_client):
    body = api_client(manager).get(_url(many, _p1_metric(many)), {"page_size": 1}).json()
    columns = [c["key"] for c in body["columns"]]
    assert columns == [
        "external_id",
        "priority",
        "opened_at",
        "first_response_at",
        "@business",
        "@over",
        "@pauses",
    ]
    assert [c["label"] for c in body["columns"]][:2] == ["记录编号", "优先级"]
    item = body["items"][0]
    cells = dict(zip(columns, item["cells"], strict=True))
    assert cells["external_id"] == item["external_id"] == "M0000" and isinstance(item["id"], int)
    assert cells["opened_at"] == "2026-10-12T09:00:00+08:00"
    assert cells["@business"] == 0.75 and cells["@over"] == 0.25 and cells["@pauses"] == 0  # hours
    assert body["rule"] and body["metric"] == "P1 响应及时率" and body["period"] == "2026-10"


def test_the_api_filters_and_sorts_like_the_page(many, manager, api_client):
    services.import_batch(contract=many, actor=manager, records=_p1(2, 14, 180, "LATE"))
    client, metric = api_client(manager), _p1_metric(many)
    ids = lambda body: [i["external_id"] for i in body["items"]]  # noqa: E731
    assert ids(client.get(_url(many, metric), {"q": "M011"}).json()) == [f"M011{i}" for i in range(10)]
    late = client.get(_url(many, metric), {"min_over_hours": "2"}).json()
    assert ids(late) == ["LATE0000", "LATE0001"] and late["next"] is None
    assert ids(client.get(_url(many, metric), {"sort": "-external_id", "page_size": 2}).json()) == [
        "M0119",
        "M0118",
    ]


def test_bad_filters_a_bad_period_and_a_foreign_cursor_are_refused_by_field(many, manager, api_client):
    client, metric = api_client(manager), _p1_metric(many)
    r = client.get(_url(many, metric), {"min_over_hours": "abc", "sort": "fastest", "cursor": "x"})
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"min_over_hours", "sort", "cursor"}
    r = client.get(_url(many, metric, period="2026-13"))
    assert r.status_code == 422 and "period" in r.json()["fields"]


def test_the_api_page_size_is_capped(many, manager, api_client):
    body = api_client(manager).get(_url(many, _p1_metric(many)), {"page_size": 10_000}).json()
    assert len(body["items"]) == 120 and body["next"] is None  # 120 < the cap of 200


def test_the_column_headings_are_in_the_readers_language(many, manager, as_user):
    manager.language = "en"
    manager.save(update_fields=["language"])
    with translation.override("zh-hans"):  # the request switches this thread to English; switch back after
        body = as_user(manager).get(_url(many, _p1_metric(many))).json()  # the browser's session
    assert [c["label"] for c in body["columns"]][:2] == ["Record ID", "Priority"]


def test_vendor_a_reads_its_own_missed_records_and_vendor_b_gets_404(
    many, vendor_user_a, vendor_user_b, api_client
):
    metric = _p1_metric(many)
    assert api_client(vendor_user_a).get(_url(many, metric)).json()["items"][0]["external_id"] == "M0000"
    client = api_client(vendor_user_b)
    for params in ({}, {"cursor": "50", "sort": "-external_id", "q": "M"}):
        r = client.get(_url(many, metric), params)
        assert r.status_code == 404 and "M0000" not in r.content.decode()


def test_a_metric_of_another_contract_is_404(many, contract_b, manager, api_client):
    other = contract_b.sla_metrics.first()
    assert api_client(manager).get(_url(many, other)).status_code == 404


def test_the_missed_api_uses_a_fixed_number_of_queries(
    many, manager, api_client, django_assert_max_num_queries
):
    client, metric = api_client(manager), _p1_metric(many)
    client.get(_url(many, metric))
    with django_assert_max_num_queries(20):
        assert len(client.get(_url(many, metric), {"page_size": 200}).json()["items"]) == 120
