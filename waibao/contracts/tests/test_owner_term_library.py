"""Issue 10: the contract owner rule in the service (every door), approving a contract whose term is over,
and the clause library (a template per type out of the box, add every missing clause at once, retire)."""

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from waibao.contracts import services
from waibao.contracts.models import Clause, ClauseTemplate, ClauseType, ContractStatus, RenewalType
from waibao.core.errors import DomainError

from .factories import METRIC, approve_all, china, draft_contract, with_required_clauses

pytestmark = pytest.mark.django_db

FORM = {
    "title": "客服外包",
    "category": "it_services",
    "start_date": "2026-01-01",
    "end_date": "2026-12-31",
    "renewal_type": "fixed_term",
    "notice_days": 30,
    "renewal_lead_days": 90,
    "total_value": 0,
    "monthly_fee": 0,
    "currency": "CNY",
    "credit_cap_percent": 15,
}


# --- owner -------------------------------------------------------------------------------------------


def test_service_refuses_an_owner_who_is_not_a_manager_or_admin(manager, quality_user, vendor_a):
    with pytest.raises(DomainError) as exc:
        draft_contract(manager, vendor_a, owner=quality_user)
    assert "owner" in exc.value.fields
    c = draft_contract(manager, vendor_a)
    with pytest.raises(DomainError):
        services.update_contract(contract=c, actor=manager, owner=quality_user)


def test_page_form_sets_an_allowed_owner(as_user, admin_user, manager, vendor_a):
    r = as_user(admin_user).post("/contracts/new/", {**FORM, "vendor": vendor_a.pk, "owner": manager.pk})
    assert r.status_code == 302
    contract = vendor_a.contracts.get()
    assert contract.owner == manager


def test_page_form_refuses_a_quality_reviewer_as_owner_and_keeps_the_input(
    as_user, admin_user, quality_user, vendor_a
):
    r = as_user(admin_user).post(
        "/contracts/new/", {**FORM, "title": "保留的标题", "vendor": vendor_a.pk, "owner": quality_user.pk}
    )
    page = r.content.decode()
    assert r.status_code == 200 and "合同负责人须为在职的外包经理或系统管理员" in page
    assert 'value="保留的标题"' in page
    assert not vendor_a.contracts.exists()


def test_page_edit_refuses_a_vendor_user_as_owner(as_user, manager, vendor_a, vendor_user_a):
    c = draft_contract(manager, vendor_a)
    data = {**FORM, "owner": vendor_user_a.pk, "version": c.version}
    r = as_user(manager).post(f"/contracts/{c.code}/edit/", data)
    assert r.status_code == 200 and "合同负责人须为" in r.content.decode()
    c.refresh_from_db()
    assert c.owner == manager


def test_api_uses_the_same_owner_rule_on_create_and_patch(api_client, manager, quality_user, vendor_a):
    client = api_client(manager)
    body = FORM | {"vendor_id": vendor_a.pk, "owner_id": quality_user.pk}
    r = client.post("/api/v1/contracts/", body, content_type="application/json")
    assert r.status_code == 422 and "owner" in r.json()["fields"]
    c = draft_contract(manager, vendor_a)
    r = client.patch(
        f"/api/v1/contracts/{c.code}", {"owner_id": quality_user.pk}, content_type="application/json"
    )
    assert r.status_code == 422


# --- approving a contract whose term is over ---------------------------------------------------------


def _submitted(manager, vendor_a, **values):
    c = with_required_clauses(draft_contract(manager, vendor_a, **values), manager)
    services.add_metric(contract=c, actor=manager, definition=dict(METRIC), calendar=china())
    return services.submit_for_approval(contract=c, actor=manager)


def _approve_until_last(c, approvers):
    while True:
        step = services.current_step(c)
        if not c.approval_steps.filter(status="waiting").exists():
            return approvers[step.role]
        c = services.approve_step(contract=c, actor=approvers[step.role])


ENDED = {"start_date": date(2024, 1, 1), "end_date": date(2024, 12, 31)}


def test_last_approval_of_an_ended_contract_is_refused_without_confirmation(manager, vendor_a, approvers):
    c = _submitted(manager, vendor_a, **ENDED)
    last = _approve_until_last(c, approvers)
    with pytest.raises(DomainError) as exc:
        services.approve_step(contract=c, actor=last)
    assert exc.value.code == "term_ended" and "2024-12-31" in exc.value.message
    c.refresh_from_db()
    assert c.status == ContractStatus.IN_APPROVAL


def test_confirmed_approval_of_an_ended_contract_expires_it_at_once_and_the_job_stays_idle(
    manager, vendor_a, approvers
):
    c = _submitted(manager, vendor_a, **ENDED)
    last = _approve_until_last(c, approvers)
    c = services.approve_step(contract=c, actor=last, confirm_ended=True)
    assert c.status == ContractStatus.EXPIRED
    assert c.versions.count() == 1  # the approved terms are kept as version 1
    out = StringIO()
    call_command("expire_contracts", stdout=out)
    assert "expired=0 renewed=0" in out.getvalue()
    c.refresh_from_db()
    assert c.status == ContractStatus.EXPIRED


def test_confirmed_approval_of_an_ended_auto_renew_contract_rolls_it_forward_to_cover_today(
    manager, vendor_a, approvers
):
    c = _submitted(manager, vendor_a, renewal_type=RenewalType.AUTO, **ENDED)
    last = _approve_until_last(c, approvers)
    with time_machine.travel(date(2026, 12, 4)):
        c = services.approve_step(contract=c, actor=last, confirm_ended=True)
    assert c.status == ContractStatus.ACTIVE and c.end_date == date(2026, 12, 31)


def test_contract_still_running_is_approved_without_confirmation(manager, vendor_a, approvers):
    with time_machine.travel(date(2026, 6, 1)):
        c = approve_all(_submitted(manager, vendor_a), approvers)
    assert c.status == ContractStatus.ACTIVE


def test_approval_page_asks_for_confirmation_and_says_what_happened(as_user, manager, vendor_a, approvers):
    c = _submitted(manager, vendor_a, **ENDED)
    last = _approve_until_last(c, approvers)
    client = as_user(last)
    page = client.get(f"/contracts/{c.code}/").content.decode()
    assert 'id="confirm-ended"' in page and "2024-12-31" in page
    r = client.post(f"/contracts/{c.code}/decide/", {"decision": "approve"}, follow=True)
    assert "合同期已于 2024-12-31 结束" in r.content.decode()
    c.refresh_from_db()
    assert c.status == ContractStatus.IN_APPROVAL
    r = client.post(f"/contracts/{c.code}/decide/", {"decision": "approve", "confirm_ended": "1"}, follow=True)
    assert "合同已记为到期" in r.content.decode()
    c.refresh_from_db()
    assert c.status == ContractStatus.EXPIRED


def test_api_approval_of_an_ended_contract_needs_confirm_ended(api_client, manager, vendor_a, approvers):
    c = _submitted(manager, vendor_a, **ENDED)
    client = api_client(_approve_until_last(c, approvers))
    url = f"/api/v1/contracts/{c.code}/approvals"
    r = client.post(url, {"decision": "approve"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "term_ended"
    r = client.post(url, {"decision": "approve", "confirm_ended": True}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "expired"


def test_active_contract_past_its_end_expires_by_the_scheduled_job_once(manager, vendor_a, approvers):
    with time_machine.travel(date(2026, 6, 1)):
        c = approve_all(_submitted(manager, vendor_a), approvers)
    for _ in range(2):
        with time_machine.travel(date(2029, 3, 1)):
            call_command("expire_contracts", stdout=StringIO())
    c.refresh_from_db()
    assert c.status == ContractStatus.EXPIRED and c.status_changes.filter(to_status="expired").count() == 1


# --- clause library ----------------------------------------------------------------------------------


def test_a_fresh_installation_has_a_library_template_for_every_clause_type():
    types = set(ClauseTemplate.objects.filter(is_active=True).values_list("clause_type", flat=True))
    assert types == set(ClauseType.values)


def test_add_missing_clauses_adds_every_required_clause_from_the_library_at_once(manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    services.add_clause(contract=c, actor=manager, clause_type=ClauseType.SCOPE, text="自定范围")
    run = services.add_missing_clauses(contract=c, actor=manager)
    assert services.missing_clauses(c) == [] and run.without_template == []
    assert len(run.added) == len(services.required_clause_types()) - 1
    assert all(cl.template_id for cl in run.added)
    assert services.add_missing_clauses(contract=c, actor=manager).added == []  # nothing more to add


def test_add_missing_clauses_names_required_types_with_no_active_template(admin_user, manager, vendor_a):
    for t in ClauseTemplate.objects.filter(clause_type=ClauseType.EXIT):
        services.set_clause_template_active(template=t, actor=admin_user, active=False)
    c = draft_contract(manager, vendor_a)
    run = services.add_missing_clauses(contract=c, actor=manager)
    assert run.without_template == [ClauseType.EXIT]
    assert services.missing_clauses(c) == [ClauseType.EXIT]


def test_add_missing_button_on_the_contract_page(as_user, manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    client = as_user(manager)
    assert 'id="add-missing-clauses"' in client.get(f"/contracts/{c.code}/").content.decode()
    r = client.post(f"/contracts/{c.code}/clauses/add-missing/", follow=True)
    page = r.content.decode()
    assert "已从条款库添加 7 条必备条款" in page and "缺少必备条款" not in page
    assert Clause.objects.filter(contract=c).count() == 7


def test_other_vendor_and_read_only_roles_cannot_add_missing_clauses(
    as_user, manager, auditor, vendor_a, vendor_user_b
):
    c = draft_contract(manager, vendor_a)
    assert as_user(vendor_user_b).post(f"/contracts/{c.code}/clauses/add-missing/").status_code == 404
    assert as_user(auditor).post(f"/contracts/{c.code}/clauses/add-missing/").status_code == 403
    assert not c.clauses.exists()


def test_api_adds_missing_clauses(api_client, manager, vendor_a, vendor_user_b):
    c = draft_contract(manager, vendor_a)
    url = f"/api/v1/contracts/{c.code}/missing-clauses"
    assert api_client(vendor_user_b).post(url).status_code == 404
    r = api_client(manager).post(url)
    assert r.status_code == 200 and len(r.json()["added"]) == 7 and r.json()["without_template"] == []


def test_admin_edits_and_retires_a_template_on_the_settings_page(as_user, admin_user, manager, vendor_a):
    t = ClauseTemplate.objects.get(clause_type=ClauseType.EXIT)
    client = as_user(admin_user)
    r = client.post(f"/contracts/settings/templates/{t.pk}/", {"clause_type": "exit", "title": "", "text": "改"})
    assert r.status_code == 200 and "改" in r.content.decode()  # the failed form keeps the text
    r = client.post(
        f"/contracts/settings/templates/{t.pk}/", {"clause_type": "exit", "title": "退出（新）", "text": "新文本"}
    )
    assert r.status_code == 302
    t.refresh_from_db()
    assert (t.title, t.text) == ("退出（新）", "新文本")
    client.post(f"/contracts/settings/templates/{t.pk}/retire/")
    t.refresh_from_db()
    assert not t.is_active
    page = client.get("/contracts/settings/").content.decode()
    assert "退出（新）" in page and "已停用" in page
    c = draft_contract(manager, vendor_a)
    assert t.pk not in [o.pk for o in ClauseTemplate.objects.filter(is_active=True)]
    assert services.add_missing_clauses(contract=c, actor=manager).without_template == [ClauseType.EXIT]
    client.post(f"/contracts/settings/templates/{t.pk}/restore/")
    t.refresh_from_db()
    assert t.is_active


@pytest.mark.parametrize("role", ["manager", "quality_user", "finance_user", "auditor", "vendor_user_b"])
def test_only_admins_manage_templates(as_user, api_client, role, request):
    user = request.getfixturevalue(role)
    t = ClauseTemplate.objects.first()
    assert as_user(user).get(f"/contracts/settings/templates/{t.pk}/").status_code == 403
    assert as_user(user).post(f"/contracts/settings/templates/{t.pk}/retire/").status_code == 403
    assert api_client(user).post(f"/api/v1/contracts/clause-library/{t.pk}/retire").status_code == 403
    api = api_client(user).patch(
        f"/api/v1/contracts/clause-library/{t.pk}", {"title": "x"}, content_type="application/json"
    )
    assert api.status_code == 403
    t.refresh_from_db()
    assert t.is_active and t.title != "x"


def test_api_creates_edits_retires_and_lists_templates(api_client, admin_user):
    client = api_client(admin_user)
    r = client.post(
        "/api/v1/contracts/clause-library",
        {"clause_type": "ip", "title": "开源组件", "text": "乙方应列明使用的开源组件。"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["is_active"] is True
    pk = r.json()["id"]
    r = client.patch(
        f"/api/v1/contracts/clause-library/{pk}", {"text": "新"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["text"] == "新" and r.json()["title"] == "开源组件"
    assert client.post(f"/api/v1/contracts/clause-library/{pk}/retire").json()["is_active"] is False
    active = [t["id"] for t in client.get("/api/v1/contracts/clause-library").json()]
    every = [t["id"] for t in client.get("/api/v1/contracts/clause-library?include_retired=true").json()]
    assert pk not in active and pk in every
