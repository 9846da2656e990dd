"""A contract action the service refuses shows the contract page again with what was typed: the approval
comment, the status change with its date, the renewal note (plain POST and HTMX alike)."""

from datetime import date

import pytest

from waibao.contracts import services
from waibao.contracts.models import ContractStatus

from .factories import METRIC, active_contract, china, draft_contract, with_required_clauses

pytestmark = pytest.mark.django_db

ENDED = {"start_date": date(2024, 1, 1), "end_date": date(2024, 12, 31)}


def _at_last_step(manager, vendor, approvers):
    c = with_required_clauses(draft_contract(manager, vendor, **ENDED), manager)
    services.add_metric(contract=c, actor=manager, definition=dict(METRIC), calendar=china())
    c = services.submit_for_approval(contract=c, actor=manager)
    while c.approval_steps.filter(status="waiting").exists():
        c = services.approve_step(contract=c, actor=approvers[services.current_step(c).role])
    return c, approvers[services.current_step(c).role]


def _page(response):
    assert response.status_code == 200, response.get("Location")
    return response.content.decode()


@pytest.mark.parametrize("htmx", [False, True])
def test_refused_approval_keeps_the_comment_and_asks_for_the_confirmation_beside_the_box(
    as_user, manager, vendor_a, approvers, htmx
):
    c, last = _at_last_step(manager, vendor_a, approvers)
    comment = "条款齐全，同意补签"
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    page = _page(
        as_user(last).post(
            f"/contracts/{c.code}/decide/", {"decision": "approve", "comment": comment}, **extra
        )
    )
    assert f">{comment}</textarea>" in page
    assert "合同期已于 2024-12-31 结束" in page and 'id="confirm-ended"' in page
    assert 'class="form-check-input is-invalid"' in page  # the message sits beside the confirmation box
    c.refresh_from_db()
    assert c.status == ContractStatus.IN_APPROVAL


def test_refused_status_change_keeps_the_choice_and_the_date(as_user, manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers)
    page = _page(
        as_user(manager).post(
            f"/contracts/{c.code}/status/", {"to": "terminated", "reason": "", "on": "2026-09-30"}
        )
    )
    assert 'value="2026-09-30"' in page and '<option value="terminated" selected>' in page
    assert "终止或暂停合同必须填写原因。" in page
    c.refresh_from_db()
    assert c.status == ContractStatus.ACTIVE


def test_renewal_decision_without_a_choice_keeps_the_typed_note(as_user, manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers)
    note = "等 Q3 考核结果再定"
    page = _page(as_user(manager).post(f"/contracts/{c.code}/renewal/", {"decision": "", "note": note}))
    assert f'value="{note}"' in page and 'id="id_note"' in page


def test_other_vendor_user_cannot_decide_or_see_the_refusal(
    as_user, manager, vendor_a, approvers, vendor_user_b
):
    c, _last = _at_last_step(manager, vendor_a, approvers)
    r = as_user(vendor_user_b).post(f"/contracts/{c.code}/decide/", {"decision": "approve", "comment": "x"})
    assert r.status_code == 404
