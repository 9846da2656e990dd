"""Two holders of one approval level decide it at (almost) the same moment: the row lock lets one win;
the loser hears that the level was already decided — by whom and when — with 409 ``already_decided``,
in the API and on the page, not a 403 saying their role may not decide. And a page showing level 1 never
decides level 2 by accident when both levels belong to the same role.

The race is played sequentially: the second decision arrives after the first has committed, which is
what the loser of a real race sees once the winner's transaction releases the lock."""

from __future__ import annotations

from datetime import date

import pytest

from waibao.accounts.models import Role
from waibao.contracts import services
from waibao.contracts.models import StepStatus
from waibao.core import formats
from waibao.core.errors import DomainError

from .factories import METRIC, china, draft_contract, with_required_clauses

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_2026")]


@pytest.fixture
def manager2(db):
    from conftest import _user

    return _user("manager2", Role.MANAGER)


def _in_approval(manager, vendor):
    c = with_required_clauses(draft_contract(manager, vendor, start_date=date(2026, 1, 1)), manager)
    services.add_metric(contract=c, actor=manager, definition=dict(METRIC), calendar=china())
    return services.submit_for_approval(contract=c, actor=manager)


def _step(contract, position):
    return contract.approval_steps.get(round=contract.approval_round, position=position, amendment=None)


def test_second_manager_approving_a_decided_level_hears_who_decided_it_and_when(manager, manager2, vendor_a):
    c = _in_approval(manager, vendor_a)
    first = _step(c, 1)
    services.approve_step(contract=c, actor=manager, comment="同意")
    with pytest.raises(DomainError) as exc:
        services.approve_step(contract=c, actor=manager2, comment="我也同意")
    assert (exc.value.status, exc.value.code) == (409, "already_decided")
    first.refresh_from_db()
    assert "Manager1" in exc.value.message and str(first.level_label) in exc.value.message
    assert formats.moment(first.decided_at) in exc.value.message
    assert first.decided_by == manager and first.comment == "同意"
    assert _step(c, 2).status == StepStatus.PENDING


def test_returning_a_level_already_returned_is_already_decided(manager, manager2, vendor_a):
    c = _in_approval(manager, vendor_a)
    services.return_step(contract=c, actor=manager, comment="条款不全")
    with pytest.raises(DomainError) as exc:
        services.approve_step(contract=c, actor=manager2)
    assert (exc.value.status, exc.value.code) == (409, "already_decided")
    assert "退回" in exc.value.message and "Manager1" in exc.value.message


def test_the_level_seen_decided_meanwhile_never_decides_the_next_level_of_the_same_role(
    manager, manager2, admin_user, vendor_a
):
    services.set_approval_chain(actor=admin_user, levels=[(Role.MANAGER, "部门"), (Role.MANAGER, "中心")])
    c = _in_approval(manager, vendor_a)
    seen = _step(c, 1)
    services.approve_step(contract=c, actor=manager, step_id=seen.pk)
    with pytest.raises(DomainError) as exc:
        services.approve_step(contract=c, actor=manager2, step_id=seen.pk)
    assert exc.value.code == "already_decided" and "部门" in exc.value.message
    assert _step(c, 2).status == StepStatus.PENDING  # level 2 is still the manager's to decide knowingly
    services.approve_step(contract=c, actor=manager2, step_id=_step(c, 2).pk)
    assert _step(c, 2).decided_by == manager2


def test_a_step_of_another_contract_is_refused_naming_step_id(manager, vendor_a):
    c = _in_approval(manager, vendor_a)
    other = _in_approval(manager, vendor_a)
    for step_id in (_step(other, 1).pk, 2**70):
        with pytest.raises(DomainError) as exc:
            services.approve_step(contract=c, actor=manager, step_id=step_id)
        assert "step_id" in exc.value.fields


def test_api_loser_gets_409_already_decided_not_403(manager, manager2, vendor_a, api_client):
    c = _in_approval(manager, vendor_a)
    winner, loser = api_client(manager), api_client(manager2)
    step_id = loser.get(f"/api/v1/contracts/{c.code}/approvals").json()[0]["id"]
    ok = winner.post(
        f"/api/v1/contracts/{c.code}/approvals",
        {"decision": "approve", "step_id": step_id},
        content_type="application/json",
    )
    assert ok.status_code == 200
    for body in ({"decision": "approve", "step_id": step_id}, {"decision": "return", "comment": "不同意"}):
        r = loser.post(f"/api/v1/contracts/{c.code}/approvals", body, content_type="application/json")
        assert r.status_code == 409, r.content
        assert r.json()["code"] == "already_decided"
        assert "Manager1" in r.json()["message"]
    assert _step(c, 2).status == StepStatus.PENDING


def test_api_amendment_loser_gets_409_already_decided(manager, manager2, vendor_a, approvers, api_client):
    from .factories import approve_all

    c = approve_all(_in_approval(manager, vendor_a), approvers)
    a = services.propose_amendment(
        contract=c,
        actor=manager,
        title="上调月费",
        reason="业务量增长",
        effective_from=date(2026, 7, 1),
        changes={"monthly_fee": "110000"},
    )
    services.submit_amendment(amendment=a, actor=manager)
    services.approve_step(contract=c, actor=manager, amendment=a)
    r = api_client(manager2).post(
        f"/api/v1/contracts/{c.code}/approvals",
        {"decision": "approve", "amendment_id": a.pk},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "already_decided"


def test_page_loser_sees_already_decided_with_who(manager, manager2, vendor_a, as_user):
    c = _in_approval(manager, vendor_a)
    seen = _step(c, 1)
    page = as_user(manager2).get(f"/contracts/{c.code}/")
    assert f'name="step" value="{seen.pk}"' in page.content.decode()
    services.approve_step(contract=c, actor=manager, step_id=seen.pk)
    r = as_user(manager2).post(
        f"/contracts/{c.code}/decide/",
        {"decision": "approve", "comment": "同意", "step": str(seen.pk)},
        follow=True,
    )
    text = r.content.decode()
    assert r.status_code == 200
    assert "已由 Manager1 于" in text and "批准，无需再次决定" in text
    assert _step(c, 2).status == StepStatus.PENDING


def test_auditor_still_may_not_decide(manager, auditor, vendor_a, api_client):
    c = _in_approval(manager, vendor_a)
    services.approve_step(contract=c, actor=manager)
    r = api_client(auditor).post(
        f"/api/v1/contracts/{c.code}/approvals", {"decision": "approve"}, content_type="application/json"
    )
    assert r.status_code == 403
