"""Editing through the pages (without JavaScript) and the API: clauses, milestones, price clauses and
amendments that change clause texts."""

from datetime import date
from decimal import Decimal

import pytest

from waibao.contracts import services
from waibao.contracts.models import (
    AmendmentStatus,
    Clause,
    ClauseType,
    MilestoneStatus,
    PaymentMilestone,
    PriceAdjustmentClause,
)
from waibao.core.models import AuditEvent

from .factories import CLAUSE_TEXTS, active_contract, draft_contract, with_required_clauses

# Written about particular 2026 dates (amendments from July 2026, milestones due in 2026): today is in 2026.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_2026")]


@pytest.fixture
def library(admin_user):
    return services.save_clause_template(
        actor=admin_user, clause_type=ClauseType.CONFIDENTIALITY, title="标准保密条款",
        text="双方对在合作中知悉的对方商业秘密承担保密义务，期限为合同终止后五年。",
    )  # fmt: skip


@pytest.fixture
def contract_a(manager, vendor_a, approvers):
    return active_contract(manager, vendor_a, approvers, metric=False)


# --- clauses -----------------------------------------------------------------------------------------


def test_manager_edits_a_draft_clause_from_the_page(as_user, manager, vendor_a):
    c = with_required_clauses(draft_contract(manager, vendor_a), manager)
    clause = c.clauses.get(clause_type=ClauseType.SCOPE)
    client = as_user(manager)
    page = client.get(f"/contracts/{c.code}/").content.decode()
    assert f"/contracts/{c.code}/clauses/{clause.pk}/edit/" in page
    form = client.get(f"/contracts/{c.code}/clauses/{clause.pk}/edit/").content.decode()
    assert CLAUSE_TEXTS[ClauseType.SCOPE] in form
    r = client.post(
        f"/contracts/{c.code}/clauses/{clause.pk}/edit/",
        {"clause_type": "scope", "title": "服务范围（修订）", "text": "乙方提供 5×8 运维服务。"},
    )
    assert r.status_code == 302
    clause.refresh_from_db()
    assert (clause.title, clause.text) == ("服务范围（修订）", "乙方提供 5×8 运维服务。")
    assert AuditEvent.objects.filter(verb="contracts.clause.updated", object_id=str(clause.pk)).exists()


def test_empty_clause_text_is_shown_next_to_the_field(as_user, manager, vendor_a):
    c = with_required_clauses(draft_contract(manager, vendor_a), manager)
    clause = c.clauses.first()
    r = as_user(manager).post(
        f"/contracts/{c.code}/clauses/{clause.pk}/edit/", {"clause_type": "scope", "title": "x", "text": " "}
    )
    assert r.status_code == 200 and "条款内容不能为空" in r.content.decode()
    clause.refresh_from_db()
    assert clause.text != " "


def test_library_text_is_loaded_into_the_form_without_saving(as_user, manager, vendor_a, library):
    c = draft_contract(manager, vendor_a)
    client = as_user(manager)
    page = client.get(f"/contracts/{c.code}/clauses/new/?template={library.pk}").content.decode()
    assert library.text in page and "标准保密条款" in page
    r = client.post(f"/contracts/{c.code}/clauses/new/", {"template": library.pk, "load": "1", "text": ""})
    assert r.status_code == 200 and library.text in r.content.decode()
    assert not c.clauses.exists()
    r = client.post(f"/contracts/{c.code}/clauses/new/", {"load": "1"})
    assert "请先选择要载入的条款库文本" in r.content.decode()
    client.post(f"/contracts/{c.code}/clauses/new/", {"template": library.pk, "text": ""})
    clause = c.clauses.get()
    assert clause.text == library.text and clause.template == library


def test_library_text_replaces_an_existing_clause_when_loaded_on_the_edit_page(
    as_user, manager, vendor_a, library
):
    c = with_required_clauses(draft_contract(manager, vendor_a), manager)
    clause = c.clauses.get(clause_type=ClauseType.CONFIDENTIALITY)
    client = as_user(manager)
    page = client.get(f"/contracts/{c.code}/clauses/{clause.pk}/edit/?template={library.pk}").content
    assert library.text in page.decode()
    client.post(f"/contracts/{c.code}/clauses/{clause.pk}/edit/", {"template": library.pk, "text": ""})
    clause.refresh_from_db()
    assert clause.text == library.text


def test_clauses_of_an_active_contract_cannot_be_edited_directly(as_user, manager, contract_a):
    clause = contract_a.clauses.first()
    page = as_user(manager).get(f"/contracts/{contract_a.code}/").content.decode()
    assert "/clauses/" not in page.split('id="clauses"', 1)[1].split("</section>", 1)[0]
    r = as_user(manager).post(
        f"/contracts/{contract_a.code}/clauses/{clause.pk}/edit/",
        {"clause_type": clause.clause_type, "title": "x", "text": "改"},
    )
    assert r.status_code == 200 and "只能通过合同变更修改" in r.content.decode()


def test_clause_edit_access(as_user, auditor, vendor_user_a, vendor_user_b, manager, vendor_a):
    c = with_required_clauses(draft_contract(manager, vendor_a), manager)
    url = f"/contracts/{c.code}/clauses/{c.clauses.first().pk}/edit/"
    assert as_user(auditor).get(url).status_code == 403
    assert as_user(vendor_user_a).get(url).status_code == 403
    assert as_user(vendor_user_b).get(url).status_code == 404


# --- milestones --------------------------------------------------------------------------------------


def _milestone(contract, actor, **kw):
    data = {"name": "上线验收款", "due_date": date(2026, 6, 30), "amount": "30000"} | kw
    return services.add_milestone(contract=contract, actor=actor, **data)


def test_manager_edits_and_deletes_open_milestones_from_the_page(as_user, manager, contract_a):
    ms = _milestone(contract_a, manager)
    client = as_user(manager)
    page = client.get(f"/contracts/{contract_a.code}/").content.decode()
    assert f"/milestones/{ms.pk}/edit/" in page and f"/milestones/{ms.pk}/delete/" in page
    r = client.post(f"/contracts/{contract_a.code}/milestones/{ms.pk}/edit/", {
        "name": "上线验收款", "trigger": "date", "due_date": "2026-07-31", "percent": "10", "version": ms.version,
    })  # fmt: skip
    assert r.status_code == 302
    ms.refresh_from_db()
    assert ms.due_date == date(2026, 7, 31) and ms.amount is None and ms.percent == Decimal("10")
    services.mark_milestone_due(milestone=ms, actor=manager)
    r = client.post(f"/contracts/{contract_a.code}/milestones/{ms.pk}/delete/")
    assert r.status_code == 302 and not PaymentMilestone.objects.filter(pk=ms.pk).exists()


def test_milestone_form_errors_are_inline(as_user, manager, contract_a):
    ms = _milestone(contract_a, manager)
    r = as_user(manager).post(f"/contracts/{contract_a.code}/milestones/{ms.pk}/edit/", {
        "name": "x", "trigger": "date", "due_date": "", "amount": "1", "percent": "2",
    })  # fmt: skip
    body = r.content.decode()
    assert r.status_code == 200 and "必须填写到期日" in body and "只能填写一项" in body


def test_accepted_milestones_cannot_be_edited_or_deleted(as_user, api_client, manager, contract_a):
    ms = services.accept_milestone(milestone=_milestone(contract_a, manager), actor=manager)
    client = as_user(manager)
    page = client.get(f"/contracts/{contract_a.code}/").content.decode()
    assert f"/milestones/{ms.pk}/edit/" not in page
    r = client.get(f"/contracts/{contract_a.code}/milestones/{ms.pk}/edit/")
    assert r.status_code == 302
    client.post(f"/contracts/{contract_a.code}/milestones/{ms.pk}/delete/")
    assert PaymentMilestone.objects.filter(pk=ms.pk, status=MilestoneStatus.ACCEPTED).exists()
    api = api_client(manager)
    r = api.patch(
        f"/api/v1/contracts/{contract_a.code}/milestones/{ms.pk}",
        {"name": "y"},
        content_type="application/json",
    )
    assert r.status_code == 409
    assert api.delete(f"/api/v1/contracts/{contract_a.code}/milestones/{ms.pk}").status_code == 409


def test_milestone_api_edit_and_delete_with_access_rules(
    api_client, manager, auditor, vendor_user_a, vendor_user_b, contract_a
):
    ms = _milestone(contract_a, manager)
    url = f"/api/v1/contracts/{contract_a.code}/milestones/{ms.pk}"
    for user, status in ((auditor, 403), (vendor_user_a, 403), (vendor_user_b, 404)):
        assert (
            api_client(user).patch(url, {"name": "x"}, content_type="application/json").status_code == status
        )
        assert api_client(user).delete(url).status_code == status
    api = api_client(manager)
    r = api.patch(url, {"amount": "45000.50", "version": ms.version}, content_type="application/json")
    assert r.status_code == 200 and r.json()["amount"] == 45000.5
    stale = api.patch(url, {"amount": "1", "version": ms.version}, content_type="application/json")
    assert stale.status_code == 409
    bad = api.patch(url, {"percent": "10"}, content_type="application/json")
    assert bad.status_code == 422 and "percent" in bad.json()["fields"]
    assert api.delete(url).status_code == 204


# --- price adjustment clauses ------------------------------------------------------------------------


def _price(contract, actor):
    return services.add_price_clause(
        contract=contract, actor=actor, index_name="CPI", base_value="100", threshold_percent="5",
        share_percent="50",
    )  # fmt: skip


def test_finance_edits_a_price_clause_from_the_page(as_user, finance_user, contract_a):
    p = _price(contract_a, finance_user)
    client = as_user(finance_user)
    assert f"/price/{p.pk}/edit/" in client.get(f"/contracts/{contract_a.code}/").content.decode()
    r = client.post(f"/contracts/{contract_a.code}/price/{p.pk}/edit/", {
        "index_name": "国家统计局 CPI", "index_kind": "price_index", "base_value": "102.5",
        "threshold_percent": "3", "share_percent": "100", "formula": "full_change", "notes": "按年复核",
        "version": p.version,
    })  # fmt: skip
    assert r.status_code == 302
    p.refresh_from_db()
    assert (p.index_name, p.base_value, p.threshold_percent, p.formula, p.notes) == (
        "国家统计局 CPI", Decimal("102.5"), Decimal("3"), "full_change", "按年复核",
    )  # fmt: skip
    assert AuditEvent.objects.filter(verb="contracts.price_clause.updated", object_id=str(p.pk)).exists()
    r = client.post(f"/contracts/{contract_a.code}/price/{p.pk}/edit/", {
        "index_name": "CPI", "index_kind": "price_index", "base_value": "0", "threshold_percent": "3",
        "share_percent": "50", "formula": "full_change",
    })  # fmt: skip
    assert r.status_code == 200 and "基准值必须大于 0" in r.content.decode()


def test_price_clause_api_edit_with_access_rules(
    api_client, finance_user, auditor, quality_user, vendor_user_b, contract_a
):
    p = _price(contract_a, finance_user)
    url = f"/api/v1/contracts/{contract_a.code}/price-adjustments/{p.pk}"
    for user, status in ((auditor, 403), (quality_user, 403), (vendor_user_b, 404)):
        assert (
            api_client(user).patch(url, {"index_name": "x"}, content_type="application/json").status_code
            == status
        )
    r = api_client(finance_user).patch(url, {"threshold_percent": "8"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["threshold_percent"] == 8
    assert PriceAdjustmentClause.objects.get(pk=p.pk).index_name == "CPI"


# --- amendments that change clauses -----------------------------------------------------------------


def _amendment_post(contract, rows, **extra):
    data = {"title": "调整保密条款", "reason": "客户数据范围扩大", "effective_from": "2026-07-01"}
    data |= {"clauses-TOTAL_FORMS": str(len(rows)), "clauses-INITIAL_FORMS": str(contract.clauses.count()),
             "clauses-MIN_NUM_FORMS": "0", "clauses-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"clauses-{i}-{k}"] = v
    return data | extra


def _rows(contract):
    return [
        {"id": c.pk, "clause_type": c.clause_type, "title": c.title, "text": c.text}
        for c in contract.clauses.all()
    ]


def test_amendment_page_replaces_removes_and_adds_clause_texts(
    as_user, manager, approvers, contract_a, library
):
    rows = _rows(contract_a)
    rows[3]["text"] = "保密义务延长至合同终止后十年。"  # confidentiality
    rows.append({"clause_type": "dispute", "title": "争议解决", "text": "提交上海仲裁委员会仲裁。"})
    rows.append({"template": library.pk})  # a new clause straight from the library
    page = as_user(manager).get(f"/contracts/{contract_a.code}/amendments/new/").content.decode()
    assert 'name="clauses-0-text"' in page and "clauses-0-remove" in page
    r = as_user(manager).post(
        f"/contracts/{contract_a.code}/amendments/new/", _amendment_post(contract_a, rows, submit_now="1")
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    a = contract_a.amendments.get()
    assert [c["clause_type"] for c in a.changes["clauses"]][-2:] == ["dispute", "confidentiality"]
    assert a.status == AmendmentStatus.IN_APPROVAL
    while services.current_step(contract_a, a) is not None:
        step = services.current_step(contract_a, a)
        services.approve_step(contract=contract_a, actor=approvers[step.role], amendment=a)
    texts = list(Clause.objects.filter(contract=contract_a).values_list("text", flat=True))
    assert "保密义务延长至合同终止后十年。" in texts and library.text in texts and len(texts) == 9
    diff = as_user(manager).get(f"/contracts/{contract_a.code}/versions/diff/").content.decode()
    assert "保密义务延长至合同终止后十年。" in diff and "提交上海仲裁委员会仲裁。" in diff


def test_removing_a_required_clause_in_an_amendment_is_refused_on_the_page(as_user, manager, contract_a):
    rows = _rows(contract_a)
    rows[0]["remove"] = "on"
    r = as_user(manager).post(
        f"/contracts/{contract_a.code}/amendments/new/", _amendment_post(contract_a, rows)
    )
    body = r.content.decode()
    assert r.status_code == 200 and "缺少必备条款" in body and "服务范围" in body
    assert not contract_a.amendments.exists()


def test_an_incomplete_new_clause_row_gets_its_error_on_that_row(as_user, manager, contract_a):
    rows = _rows(contract_a)
    rows.append({"clause_type": "dispute", "title": "争议解决", "text": ""})
    r = as_user(manager).post(
        f"/contracts/{contract_a.code}/amendments/new/", _amendment_post(contract_a, rows)
    )
    body = r.content.decode()
    assert r.status_code == 200 and "条款内容不能为空" in body
    last_row = body.split('class="border rounded p-2 mb-2 clause-row"')[len(rows)]
    assert "条款内容不能为空" in last_row


def test_an_amendment_with_no_change_at_all_says_so(as_user, manager, contract_a):
    r = as_user(manager).post(
        f"/contracts/{contract_a.code}/amendments/new/", _amendment_post(contract_a, _rows(contract_a))
    )
    assert r.status_code == 200 and "请至少填写一项变更内容" in r.content.decode()


def test_amendment_api_changes_clauses(api_client, manager, approvers, contract_a):
    clauses = [
        {"clause_type": c.clause_type, "title": c.title, "text": c.text} for c in contract_a.clauses.all()
    ]
    clauses[0]["text"] = "范围扩大到成都数据中心。"
    r = api_client(manager).post(
        f"/api/v1/contracts/{contract_a.code}/amendments",
        {
            "title": "扩大范围",
            "reason": "新数据中心",
            "effective_from": "2026-08-01",
            "changes": {"clauses": clauses},
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    a = contract_a.amendments.get()
    services.submit_amendment(amendment=a, actor=manager)
    while (step := services.current_step(contract_a, a)) is not None:
        services.approve_step(contract=contract_a, actor=approvers[step.role], amendment=a)
    assert contract_a.clauses.filter(text="范围扩大到成都数据中心。").exists()
