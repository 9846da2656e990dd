import json
from datetime import date

import pytest

from waibao.contracts.models import ContractStatus
from waibao.contracts.tests.factories import (
    METRIC,
    active_contract,
    china,
    draft_contract,
    with_required_clauses,
)

# Written about particular 2026 dates (amendments from July 2026, milestones due in 2026): today is in 2026.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_2026")]

URL = "/api/v1/contracts/"


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def contract_a(manager, vendor_a, approvers):
    return active_contract(manager, vendor_a, approvers)


def test_manager_creates_contract_and_gets_its_code(api_client, manager, vendor_a):
    r = post(api_client(manager), URL, {
        "vendor_id": vendor_a.pk, "title": "客服外包", "category": "customer_service",
        "start_date": "2026-01-01", "end_date": "2026-12-31", "monthly_fee": "50000",
    })  # fmt: skip
    assert r.status_code == 201, r.content
    assert r.json()["code"].startswith("CT-") and r.json()["status"] == "draft"


def test_bad_contract_input_names_the_field(api_client, manager, vendor_a):
    r = post(api_client(manager), URL, {
        "vendor_id": vendor_a.pk, "title": "", "category": "nope", "start_date": "2026-01-01",
    })  # fmt: skip
    assert r.status_code == 422
    assert {"title", "category", "end_date"} <= set(r.json()["fields"])


@pytest.mark.parametrize("role", ["quality_user", "finance_user", "auditor", "vendor_user_a"])
def test_roles_without_contract_write_cannot_create(api_client, request, role, vendor_a):
    user = request.getfixturevalue(role)
    r = post(
        api_client(user),
        URL,
        {"vendor_id": vendor_a.pk, "title": "x", "category": "it_services", "start_date": "2026-01-01"},
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    "role", ["admin_user", "manager", "quality_user", "finance_user", "auditor", "vendor_user_a"]
)
def test_every_role_of_the_buyer_and_the_own_vendor_reads_the_contract(api_client, request, role, contract_a):
    user = request.getfixturevalue(role)
    client = api_client(user)
    for path in (
        "",
        "/clauses",
        "/sla-metrics",
        "/milestones",
        "/versions",
        "/approvals",
        "/amendments",
        "/documents",
    ):
        assert client.get(f"{URL}{contract_a.code}{path}").status_code == 200, path


def test_other_vendor_gets_404_everywhere(api_client, vendor_user_b, contract_a):
    client = api_client(vendor_user_b)
    m = contract_a.sla_metrics.get()
    assert client.get(URL).json()["count"] == 0
    for path in (
        "",
        "/clauses",
        "/sla-metrics",
        "/milestones",
        "/versions",
        "/approvals",
        "/amendments",
        "/documents",
    ):
        assert client.get(f"{URL}{contract_a.code}{path}").status_code == 404, path
    assert (
        post(client, f"{URL}{contract_a.code}/sla-metrics/{m.pk}/preview", {"value": 90}).status_code == 404
    )
    assert post(client, f"{URL}{contract_a.code}/approvals", {"decision": "approve"}).status_code == 404


@pytest.mark.parametrize("role", ["auditor", "quality_user", "vendor_user_a"])
def test_read_only_roles_cannot_change_status_amend_or_add_milestones(api_client, request, role, contract_a):
    client = api_client(request.getfixturevalue(role))
    code = contract_a.code
    assert post(client, f"{URL}{code}/status", {"to": "suspended", "reason": "x"}).status_code == 403
    assert (
        post(
            client, f"{URL}{code}/milestones", {"name": "x", "due_date": "2026-05-01", "amount": "1"}
        ).status_code
        == 403
    )
    assert post(client, f"{URL}{code}/amendments", {
        "title": "x", "reason": "y", "effective_from": "2026-07-01", "changes": {"monthly_fee": "1"},
    }).status_code == 403  # fmt: skip
    assert post(client, f"{URL}{code}/approvals", {"decision": "approve"}).status_code == 403


def test_credit_preview_endpoint(api_client, auditor, contract_a):
    m = contract_a.sla_metrics.get()
    r = post(api_client(auditor), f"{URL}{contract_a.code}/sla-metrics/{m.pk}/preview", {"value": "92"})
    assert r.status_code == 200 and r.json()["credit"] == 2000 and '"credit": 2000.00' in r.content.decode()


def test_full_approval_through_the_api(api_client, manager, finance_user, admin_user, vendor_a):
    c = with_required_clauses(draft_contract(manager, vendor_a), manager)
    mc = api_client(manager)
    r = post(mc, f"{URL}{c.code}/sla-metrics", {"calendar_id": china().pk, "definition": METRIC})
    assert r.status_code == 201, r.content
    assert post(mc, f"{URL}{c.code}/submit", {}).json()["status"] == "in_approval"
    # finance cannot jump the queue
    assert (
        post(api_client(finance_user), f"{URL}{c.code}/approvals", {"decision": "approve"}).status_code == 403
    )
    for user in (manager, finance_user, admin_user):
        r = post(api_client(user), f"{URL}{c.code}/approvals", {"decision": "approve", "comment": "ok"})
        assert r.status_code == 200, r.content
    assert r.json()["status"] == ContractStatus.ACTIVE and r.json()["current_version"] == 1


def test_submit_without_required_clauses_is_422_with_the_missing_list(api_client, manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    r = post(api_client(manager), f"{URL}{c.code}/submit", {})
    assert r.status_code == 422 and "保密" in r.json()["fields"]["clauses"]


def test_overlapping_tiers_via_api_give_field_errors(api_client, manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    bad = {
        **METRIC,
        "tiers": [
            {"from": "0", "to": "96", "consequence": "none"},
            {"from": "95", "to": "100", "consequence": "none"},
        ],
    }
    r = post(
        api_client(manager), f"{URL}{c.code}/sla-metrics", {"calendar_id": china().pk, "definition": bad}
    )
    assert r.status_code == 422 and "tiers.1.from" in r.json()["fields"]


def test_amendment_and_version_diff_via_api(api_client, manager, finance_user, admin_user, contract_a):
    mc = api_client(manager)
    r = post(mc, f"{URL}{contract_a.code}/amendments", {
        "title": "上调月费", "reason": "工资上涨", "effective_from": "2026-07-01",
        "changes": {"monthly_fee": "105000"},
    })  # fmt: skip
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    assert post(mc, f"{URL}{contract_a.code}/amendments/{aid}/submit", {}).status_code == 200
    for user in (manager, finance_user, admin_user):
        r = post(
            api_client(user),
            f"{URL}{contract_a.code}/approvals",
            {"decision": "approve", "amendment_id": aid},
        )
        assert r.status_code == 200, r.content
    diff = mc.get(f"{URL}{contract_a.code}/versions/diff?a=1&b=2").json()
    assert diff == [{"section": "合同条款", "item": "月服务费", "old": "100000.00", "new": "105000.00"}]


def test_price_index_requires_finance_rights_and_returns_the_proposal(
    api_client, manager, finance_user, auditor, contract_a
):
    r = post(
        api_client(finance_user),
        f"{URL}{contract_a.code}/price-adjustments",
        {"index_name": "CPI", "base_value": "100"},
    )
    assert r.status_code == 201
    url = f"{URL}{contract_a.code}/price-adjustments/{r.json()['id']}/values"
    assert post(api_client(auditor), url, {"value": "110"}).status_code == 403
    r = post(api_client(finance_user), url, {"value": "110"})
    assert r.json()["crossed"] is True and '"proposed_fee": 102500.00' in r.content.decode()


def test_list_filters_by_status_vendor_and_end_date(api_client, manager, vendor_a, vendor_b, contract_a):
    draft_contract(manager, vendor_b, end_date=date(contract_a.end_date.year + 1, 6, 30))
    c = api_client(manager)
    assert c.get(f"{URL}?status=active").json()["count"] == 1
    assert c.get(f"{URL}?vendor={vendor_b.code}").json()["count"] == 1
    assert c.get(f"{URL}?end_before={contract_a.end_date.isoformat()}").json()["count"] == 1


def test_contract_list_query_count_does_not_grow(
    api_client, manager, vendor_a, django_assert_max_num_queries
):
    client = api_client(manager)
    draft_contract(manager, vendor_a)
    with django_assert_max_num_queries(8) as ctx:
        client.get(URL)
    baseline = len(ctx.captured_queries)
    for _ in range(5):
        draft_contract(manager, vendor_a)
    with django_assert_max_num_queries(baseline):
        assert client.get(URL).json()["count"] == 6
