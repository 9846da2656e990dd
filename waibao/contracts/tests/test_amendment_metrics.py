"""The amendment page's SLA section: edit / remove current metrics and add new ones with the metric form
(no JSON to write), stored exactly as the JSON path stores them, approved through the chain."""

import pytest

from waibao.contracts import services
from waibao.contracts.models import AmendmentStatus
from waibao.contracts.tests.factories import METRIC, active_contract, china

# Written about particular 2026 dates (amendments from July 2026, milestones due in 2026): today is in 2026.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_2026")]


@pytest.fixture
def contract_a(manager, vendor_a, approvers):
    return active_contract(manager, vendor_a, approvers)


def _url(c):
    return f"/contracts/{c.code}/amendments/new/"


def _base(c, **extra):
    data = {
        "title": "收紧 P1 响应目标",
        "reason": "客户投诉增加，需要更快响应",
        "effective_from": "2026-07-01",
    }
    clauses = list(c.clauses.all())
    data |= {"clauses-TOTAL_FORMS": str(len(clauses)), "clauses-INITIAL_FORMS": str(len(clauses)),
             "clauses-MIN_NUM_FORMS": "0", "clauses-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, cl in enumerate(clauses):
        data |= {f"clauses-{i}-id": str(cl.pk), f"clauses-{i}-clause_type": cl.clause_type,
                 f"clauses-{i}-title": cl.title, f"clauses-{i}-text": cl.text}  # fmt: skip
    return data | extra


def _metric(prefix, values, tiers, filters=()):
    data = {f"{prefix}-{k}": v for k, v in values.items()}
    data |= {f"{prefix}-tiers-TOTAL_FORMS": str(len(tiers)), f"{prefix}-tiers-INITIAL_FORMS": "0",
             f"{prefix}-tiers-MIN_NUM_FORMS": "0", f"{prefix}-tiers-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, (lower, upper, consequence, amount) in enumerate(tiers):
        data |= {f"{prefix}-tiers-{i}-lower": lower, f"{prefix}-tiers-{i}-upper": upper,
                 f"{prefix}-tiers-{i}-consequence": consequence, f"{prefix}-tiers-{i}-amount": amount}  # fmt: skip
    data |= {f"{prefix}-filters-TOTAL_FORMS": str(len(filters)), f"{prefix}-filters-INITIAL_FORMS": "0",
             f"{prefix}-filters-MIN_NUM_FORMS": "0", f"{prefix}-filters-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, (field, op, value) in enumerate(filters):
        data |= {f"{prefix}-filters-{i}-field": field, f"{prefix}-filters-{i}-op": op,
                 f"{prefix}-filters-{i}-value": value}  # fmt: skip
    return data


P1_FILTERS = [("priority", "eq", "P1"), ("", "eq", "")]


def _p1_values(target="97"):
    return {"name": METRIC["name"], "kind": "share_within", "record_kind": "ticket", "window": "month",
            "direction": "higher", "target": target, "min_sample": "5", "start_field": "opened_at",
            "end_field": "first_response_at", "threshold": "0.5", "threshold_unit": "hours",
            "calendar": str(china().pk)}  # fmt: skip


P1_TIERS = [("0", "90", "credit_percent", "5"), ("90", "97", "credit_percent", "2"), ("97", "99", "none", ""),
            ("99", "100", "bonus_percent", "1"), ("", "", "none", "")]  # fmt: skip
P2_VALUES = {"name": "P2 工单 4 小时解决率", "kind": "share_within", "record_kind": "ticket",
             "window": "month", "direction": "higher", "target": "90", "start_field": "opened_at",
             "end_field": "resolved_at", "threshold": "4", "threshold_unit": "hours"}  # fmt: skip
P2_FILTERS = [("priority", "eq", "P2")]
P2_TIERS = [("0", "90", "credit_percent", "3"), ("90", "100", "none", "")]


def test_edit_button_opens_the_metric_form_prefilled_without_complaining_about_empty_fields(
    as_user, manager, contract_a
):
    m = contract_a.sla_metrics.get()
    client = as_user(manager)
    page = client.get(_url(contract_a)).content.decode()
    assert f'value="edit:{m.pk}"' in page and 'value="add"' in page and m.name in page
    assert f'name="m{m.pk}-target"' not in page  # collapsed until asked for

    r = client.post(_url(contract_a), {"op": f"edit:{m.pk}", f"m{m.pk}-action": "keep", "new_metrics": "0"})
    body = r.content.decode()
    assert r.status_code == 200
    assert f'name="m{m.pk}-target"' in body and 'value="95"' in body  # pre-filled from the definition
    assert f'name="m{m.pk}-tiers-3-consequence"' in body and 'bonus_percent" selected' in body
    assert f'name="m{m.pk}-action" value="edit"' in body
    assert "invalid-feedback" not in body  # no "required" noise for the title not yet typed

    r = client.post(_url(contract_a), {"op": "add", f"m{m.pk}-action": "keep", "new_metrics": "0"})
    assert 'name="new0-name"' in r.content.decode() and 'name="new_metrics" value="1"' in r.content.decode()


def test_tightening_p1_and_adding_a_metric_through_the_page_then_approving_makes_version_2(
    as_user, manager, approvers, contract_a
):
    m = contract_a.sla_metrics.get()
    data = _base(contract_a, submit_now="1", new_metrics="1", **{f"m{m.pk}-action": "edit"})
    data |= _metric(f"m{m.pk}", _p1_values("97"), P1_TIERS, P1_FILTERS)
    data |= _metric("new0", P2_VALUES | {"calendar": str(china().pk)}, P2_TIERS, P2_FILTERS)
    r = as_user(manager).post(_url(contract_a), data)
    assert r.status_code == 302, r.content.decode()[:4000]
    a = contract_a.amendments.get()
    assert a.status == AmendmentStatus.IN_APPROVAL and set(a.changes) == {"sla_metrics"}

    # Stored exactly as the JSON path stores it: the full list, canonical definitions.
    p1, p2 = a.changes["sla_metrics"]
    assert p1["id"] == m.pk and p1["calendar_id"] == china().pk and p1["definition"]["target"] == "97"
    assert p2["id"] is None and p2["definition"]["threshold_minutes"] == 240
    expected = services._clean_changes(contract_a, {"sla_metrics": a.changes["sla_metrics"]})
    assert expected == a.changes

    # The amendment page shows the proposed changes as diff rows.
    detail = as_user(manager).get(r["Location"]).content.decode()
    assert "P2 工单 4 小时解决率" in detail and f"{m.name} · 目标值" in detail and "97%" in detail
    assert "4 个工作小时" in detail and "threshold_minutes" not in detail

    while (step := services.current_step(contract_a, a)) is not None:
        services.approve_step(contract=contract_a, actor=approvers[step.role], amendment=a)
    contract_a.refresh_from_db()
    assert contract_a.current_version == 2
    v2 = contract_a.versions.get(number=2)
    metrics = {x["name"]: x["definition"] for x in v2.snapshot["sla_metrics"]}
    assert metrics[m.name]["target"] == "97"
    assert [t["to"] for t in metrics[m.name]["tiers"]] == ["90", "97", "99", "100"]
    assert metrics["P2 工单 4 小时解决率"]["end_field"] == "resolved_at"
    assert contract_a.sla_metrics.filter(retired=False).count() == 2
    v1 = contract_a.versions.get(number=1)
    assert [x["definition"]["target"] for x in v1.snapshot["sla_metrics"]] == ["95"]  # history untouched


def test_removing_a_metric_in_the_amendment_retires_it_on_approval(as_user, manager, approvers, contract_a):
    m = contract_a.sla_metrics.get()
    r = as_user(manager).post(
        _url(contract_a), _base(contract_a, submit_now="1", new_metrics="0", **{f"m{m.pk}-action": "remove"})
    )
    assert r.status_code == 302
    a = contract_a.amendments.get()
    assert a.changes == {"sla_metrics": []}
    while (step := services.current_step(contract_a, a)) is not None:
        services.approve_step(contract=contract_a, actor=approvers[step.role], amendment=a)
    m.refresh_from_db()
    assert m.retired and contract_a.versions.get(number=2).snapshot["sla_metrics"] == []


def test_a_bad_metric_value_is_shown_inline_on_its_field_and_nothing_is_saved(as_user, manager, contract_a):
    m = contract_a.sla_metrics.get()
    bad_tiers = [("0", "90", "credit_percent", "5"), ("95", "90", "credit_percent", "2")]
    data = _base(contract_a, new_metrics="1", **{f"m{m.pk}-action": "edit"})
    data |= _metric(f"m{m.pk}", _p1_values("150"), P1_TIERS[:4], P1_FILTERS)
    data |= _metric("new0", P2_VALUES | {"calendar": str(china().pk)}, bad_tiers, P2_FILTERS)
    r = as_user(manager).post(_url(contract_a), data)
    body = r.content.decode()
    assert r.status_code == 200 and not contract_a.amendments.exists()
    editor = body.split(f'id="metric-{m.pk}"')[1].split("</fieldset>")[0]
    assert "百分比不能超过 100。" in editor  # slamath's rule, in Chinese, under the target field
    target_block = editor.split(f'name="m{m.pk}-target"')[1].split(f'name="m{m.pk}-min_sample"')[0]
    assert "invalid-feedback" in target_block
    new_block = body.split("new-metric")[1].split("</fieldset>")[0]
    second_tier_row = new_block.split('name="new0-tiers-1-lower"')[1].split("</tr>")[0]
    assert "区间上限必须大于下限。" in second_tier_row  # on the row that is wrong
    assert 'value="150"' in editor  # what was typed is kept


def test_the_amendment_page_asks_for_no_json(as_user, manager, contract_a):
    m = contract_a.sla_metrics.get()
    page = as_user(manager).get(_url(contract_a)).content.decode()
    assert "JSON" not in page and 'name="sla_metrics"' not in page
    body = as_user(manager).post(_url(contract_a), {"op": f"edit:{m.pk}", f"m{m.pk}-action": "keep",
                                                     "new_metrics": "0"}).content.decode()  # fmt: skip
    assert "JSON" not in body and f'name="m{m.pk}-filters-0-field"' in body
    assert f'name="m{m.pk}-threshold" value="30"' in body and '<option value="minutes" selected>' in body
    assert "优先级" in body and '<option value="priority" selected>' in body


def test_a_ready_made_metric_fills_a_new_metric_in_the_amendment(as_user, manager, contract_a):
    m = contract_a.sla_metrics.get()
    data = _base(contract_a, new_metrics="1", op="template:new0:on_time_delivery", **{f"m{m.pk}-action": "keep"})
    data |= _metric("new0", {"name": "", "kind": "count", "calendar": str(china().pk)}, [])
    body = as_user(manager).post(_url(contract_a), data).content.decode()
    new_block = body.split("new-metric")[1].split("</fieldset>")[0]
    assert 'value="准时交付率"' in new_block and '<option value="delivered_at" selected>' in new_block
    assert not contract_a.amendments.exists()


def test_other_vendors_user_gets_404_on_the_amendment_pages(as_user, manager, vendor_user_b, contract_a):
    m = contract_a.sla_metrics.get()
    a = services.propose_amendment(
        contract=contract_a, actor=manager, title="t", reason="r", effective_from="2026-07-01",
        changes={"monthly_fee": "110000"},
    )  # fmt: skip
    client = as_user(vendor_user_b)
    assert client.get(_url(contract_a)).status_code == 404
    assert client.post(_url(contract_a), {"op": f"edit:{m.pk}"}).status_code == 404
    assert client.get(f"/contracts/{contract_a.code}/amendments/{a.pk}/").status_code == 404


def test_auditor_reads_the_amendment_but_gets_403_proposing_one(as_user, manager, auditor, contract_a):
    m = contract_a.sla_metrics.get()
    a = services.propose_amendment(
        contract=contract_a, actor=manager, title="t", reason="r", effective_from="2026-07-01",
        changes={"monthly_fee": "110000"},
    )  # fmt: skip
    client = as_user(auditor)
    assert client.get(_url(contract_a)).status_code == 403
    data = _base(contract_a, new_metrics="0", **{f"m{m.pk}-action": "remove"})
    assert client.post(_url(contract_a), data).status_code == 403
    assert not contract_a.amendments.filter(changes__sla_metrics__isnull=False).exists()
    page = client.get(f"/contracts/{contract_a.code}/amendments/{a.pk}/").content.decode()
    assert "CNY 110,000.00" in page and "提交审批" not in page
