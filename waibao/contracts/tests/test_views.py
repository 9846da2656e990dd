import pytest

from waibao.contracts.models import ContractStatus
from waibao.contracts.tests.factories import active_contract, draft_contract

# Written about particular 2026 dates (amendments from July 2026, milestones due in 2026): today is in 2026.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_2026")]


@pytest.fixture
def contract_a(manager, vendor_a, approvers):
    return active_contract(manager, vendor_a, approvers)


def _pages(c):
    m = c.sla_metrics.get()
    return [
        "/contracts/",
        f"/contracts/{c.code}/",
        f"/contracts/{c.code}/sla/{m.pk}/preview/?value=92",
        f"/contracts/{c.code}/versions/diff/",
    ]


@pytest.mark.parametrize(
    "role", ["admin_user", "manager", "quality_user", "finance_user", "auditor", "vendor_user_a"]
)
def test_every_buyer_role_and_the_own_vendor_see_the_contract_pages(as_user, request, role, contract_a):
    client = as_user(request.getfixturevalue(role))
    for url in _pages(contract_a):
        r = client.get(url)
        assert r.status_code == 200, url
    assert contract_a.title in client.get(f"/contracts/{contract_a.code}/").content.decode()


def test_other_vendor_gets_404_on_every_contract_page(as_user, vendor_user_b, contract_a):
    client = as_user(vendor_user_b)
    for url in _pages(contract_a)[1:]:
        assert client.get(url).status_code == 404, url
    assert contract_a.code not in client.get("/contracts/").content.decode()
    assert client.post(f"/contracts/{contract_a.code}/decide/", {"decision": "approve"}).status_code == 404


@pytest.mark.parametrize("role", ["auditor", "quality_user", "vendor_user_a"])
def test_read_only_roles_get_403_on_writes(as_user, request, role, contract_a):
    client = as_user(request.getfixturevalue(role))
    assert client.get("/contracts/new/").status_code == 403
    assert (
        client.post(f"/contracts/{contract_a.code}/status/", {"to": "suspended", "reason": "x"}).status_code
        == 403
    )
    assert client.get(f"/contracts/{contract_a.code}/amendments/new/").status_code == 403
    page = client.get(f"/contracts/{contract_a.code}/").content.decode()
    assert "approve-btn" not in page and "提出变更" not in page


def test_draft_page_lists_missing_required_clauses_and_disables_submit(as_user, manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    page = as_user(manager).get(f"/contracts/{c.code}/").content.decode()
    assert "缺少必备条款" in page and "数据安全" in page and 'id="submit-approval" disabled' in page


def test_approve_button_appears_only_for_the_current_level(as_user, manager, finance_user, vendor_a):
    from waibao.contracts import services
    from waibao.contracts.tests.factories import with_required_clauses

    c = services.submit_for_approval(
        contract=with_required_clauses(draft_contract(manager, vendor_a), manager), actor=manager
    )
    assert "approve-btn" in as_user(manager).get(f"/contracts/{c.code}/").content.decode()
    assert "approve-btn" not in as_user(finance_user).get(f"/contracts/{c.code}/").content.decode()
    r = as_user(manager).post(f"/contracts/{c.code}/decide/", {"decision": "approve", "comment": "ok"})
    assert r.status_code == 302
    assert "approve-btn" in as_user(finance_user).get(f"/contracts/{c.code}/").content.decode()


def test_create_form_shows_field_errors_and_creates_a_draft(as_user, manager, vendor_a):
    client = as_user(manager)
    r = client.post("/contracts/new/", {"vendor": vendor_a.pk, "title": "x", "category": "it_services",
                                        "start_date": "2026-01-01", "renewal_type": "fixed_term", "notice_days": 30,
                                        "renewal_lead_days": 90, "total_value": 0, "monthly_fee": 0, "currency": "CNY",
                                        "credit_cap_percent": 15})  # fmt: skip
    assert r.status_code == 200 and "必须填写结束日期" in r.content.decode()
    r = client.post("/contracts/new/", {"vendor": vendor_a.pk, "title": "x", "category": "it_services",
                                        "start_date": "2026-01-01", "end_date": "2026-12-31", "renewal_type": "fixed_term",
                                        "notice_days": 30, "renewal_lead_days": 90, "total_value": 0, "monthly_fee": 0,
                                        "currency": "CNY", "credit_cap_percent": 15})  # fmt: skip
    assert r.status_code == 302


def test_preview_partial_for_htmx(as_user, auditor, contract_a):
    m = contract_a.sla_metrics.get()
    r = as_user(auditor).get(
        f"/contracts/{contract_a.code}/sla/{m.pk}/preview/?value=80", HTTP_HX_REQUEST="true"
    )
    body = r.content.decode()
    assert "<html" not in body and "CNY 5,000.00" in body


def test_contract_list_page_query_count_does_not_grow(
    as_user, manager, vendor_a, django_assert_max_num_queries
):
    client = as_user(manager)
    draft_contract(manager, vendor_a)
    with django_assert_max_num_queries(30) as ctx:
        client.get("/contracts/")
    baseline = len(ctx.captured_queries)
    for _ in range(6):
        draft_contract(manager, vendor_a)
    with django_assert_max_num_queries(baseline):
        client.get("/contracts/")


def test_terminate_from_the_page_records_reason(as_user, manager, contract_a):
    r = as_user(manager).post(
        f"/contracts/{contract_a.code}/status/", {"to": "terminated", "reason": "严重违约"}
    )
    assert r.status_code == 302
    contract_a.refresh_from_db()
    assert contract_a.status == ContractStatus.TERMINATED


def test_vendor_360_page_lists_the_vendors_contracts(as_user, manager, vendor_a, contract_a):
    page = as_user(manager).get(f"/vendors/{vendor_a.pk}/").content.decode()
    assert contract_a.code in page


def test_home_dashboard_shows_contracts_awaiting_my_approval(as_user, manager, vendor_a):
    from waibao.contracts import services
    from waibao.contracts.tests.factories import with_required_clauses

    c = services.submit_for_approval(
        contract=with_required_clauses(draft_contract(manager, vendor_a), manager), actor=manager
    )
    page = as_user(manager).get("/").content.decode()
    assert "待我审批" in page and c.code in page


def test_send_reminders_command_is_idempotent(manager, vendor_a, approvers):
    from datetime import date
    from io import StringIO

    from django.core.management import call_command

    from waibao.contracts import services
    from waibao.contracts.tests.factories import TERM_2026

    c = active_contract(manager, vendor_a, approvers, metric=False, **TERM_2026)
    services.add_milestone(contract=c, actor=manager, name="季度款", due_date=date(2026, 3, 31), amount="1")
    out = StringIO()
    call_command("send_reminders", "--date", "2026-09-15", stdout=out)
    call_command("send_reminders", "--date", "2026-09-15", stdout=out)
    first, second = out.getvalue().strip().splitlines()
    assert "renewals=1" in first and "notifications=0" in second
