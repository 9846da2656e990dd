from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied

from waibao.contracts import reminders, services
from waibao.contracts.models import (
    AmendmentStatus,
    ClauseType,
    ContractStatus,
    MilestoneStatus,
    StepStatus,
)
from waibao.contracts.selectors import sla_terms
from waibao.core.errors import DomainError
from waibao.core.models import AuditEvent
from waibao.notifications.models import Notification

from .factories import (
    METRIC,
    TERM_2026,
    active_contract,
    approve_all,
    china,
    draft_contract,
    with_required_clauses,
)

# Written about particular 2026 dates (amendments from July 2026, milestones due in 2026): today is in 2026.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_2026")]


def test_new_contract_gets_a_yearly_reference_code_and_starts_as_draft(manager, vendor_a):
    with time_machine.travel(date(2026, 3, 1)):
        a = draft_contract(manager, vendor_a)
        b = draft_contract(manager, vendor_a)
    assert (a.code, b.code) == ("CT-2026-0001", "CT-2026-0002")
    assert a.status == ContractStatus.DRAFT and a.owner == manager
    assert AuditEvent.objects.filter(verb="contracts.contract.created", object_id=str(a.pk)).exists()


def test_contract_with_end_before_start_is_refused_naming_the_field(manager, vendor_a):
    with pytest.raises(DomainError) as exc:
        draft_contract(manager, vendor_a, end_date=date(2025, 1, 1))
    assert "end_date" in exc.value.fields


def test_contract_missing_required_clauses_cannot_be_submitted_and_says_which(manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    services.add_clause(contract=c, actor=manager, clause_type=ClauseType.SCOPE, text="范围")
    with pytest.raises(DomainError) as exc:
        services.submit_for_approval(contract=c, actor=manager)
    assert "数据安全" in exc.value.fields["clauses"] and "退出机制" in exc.value.fields["clauses"]
    assert "服务范围" not in exc.value.fields["clauses"]
    c.refresh_from_db()
    assert c.status == ContractStatus.DRAFT


def test_required_clause_types_are_configurable(manager, admin_user, vendor_a):
    services.set_required_clauses(actor=admin_user, types=[ClauseType.SCOPE])
    c = draft_contract(manager, vendor_a)
    assert services.missing_clauses(c) == [ClauseType.SCOPE]
    services.add_clause(contract=c, actor=manager, clause_type=ClauseType.SCOPE, text="范围")
    assert services.submit_for_approval(contract=c, actor=manager).status == ContractStatus.IN_APPROVAL


def test_approval_walks_manager_finance_admin_and_activates_with_version_one(manager, vendor_a, approvers):
    c = with_required_clauses(draft_contract(manager, vendor_a), manager)
    c = services.submit_for_approval(contract=c, actor=manager)
    assert services.current_step(c).role == "manager"
    with pytest.raises(PermissionDenied):
        services.approve_step(contract=c, actor=approvers["finance"])  # not finance's turn yet
    c = services.approve_step(contract=c, actor=manager)
    assert services.current_step(c).role == "finance"
    assert not services.can_decide(manager, services.current_step(c))
    c = services.approve_step(contract=c, actor=approvers["finance"])
    assert c.status == ContractStatus.IN_APPROVAL
    c = services.approve_step(contract=c, actor=approvers["admin"])
    assert c.status == ContractStatus.ACTIVE
    assert c.current_version == 1 and c.versions.get().effective_from == c.start_date


def test_returning_needs_a_comment_and_sends_the_contract_back_to_draft(manager, vendor_a, approvers):
    c = services.submit_for_approval(
        contract=with_required_clauses(draft_contract(manager, vendor_a), manager), actor=manager
    )
    c = services.approve_step(contract=c, actor=manager)
    with pytest.raises(DomainError):
        services.return_step(contract=c, actor=approvers["finance"], comment=" ")
    c = services.return_step(contract=c, actor=approvers["finance"], comment="月费偏高，请重新谈判")
    assert c.status == ContractStatus.DRAFT
    steps = {s.role: s.status for s in c.approval_steps.all()}
    assert steps == {
        "manager": StepStatus.APPROVED,
        "finance": StepStatus.RETURNED,
        "admin": StepStatus.CANCELLED,
    }
    # resubmitting starts a fresh round from the first level
    c = services.submit_for_approval(contract=c, actor=manager)
    assert services.current_step(c).role == "manager" and services.current_step(c).round == 2


def test_approval_chain_is_configurable(manager, finance_user, admin_user, vendor_a):
    services.set_approval_chain(actor=admin_user, levels=[("finance", "财务总监")])
    c = services.submit_for_approval(
        contract=with_required_clauses(draft_contract(manager, vendor_a), manager), actor=manager
    )
    assert services.current_step(c).level_name == "财务总监"
    c = services.approve_step(contract=c, actor=finance_user)
    assert c.status == ContractStatus.ACTIVE


def test_active_contract_cannot_be_edited_directly(manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers)
    with pytest.raises(DomainError) as exc:
        services.update_contract(contract=c, actor=manager, title="新名称")
    assert exc.value.status == 409


def test_suspend_resume_and_terminate_record_reason_and_date(manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers)
    with pytest.raises(DomainError):
        services.change_status(contract=c, actor=manager, to=ContractStatus.SUSPENDED)
    c = services.change_status(contract=c, actor=manager, to=ContractStatus.SUSPENDED, reason="安全事件调查")
    c = services.change_status(contract=c, actor=manager, to=ContractStatus.ACTIVE, reason="调查结束")
    c = services.change_status(
        contract=c, actor=manager, to=ContractStatus.TERMINATED, reason="严重违约", on=date(2026, 6, 30)
    )
    assert c.terminated_on == date(2026, 6, 30) and c.termination_reason == "严重违约"
    with pytest.raises(DomainError):
        services.change_status(contract=c, actor=manager, to=ContractStatus.ACTIVE)
    assert [s.to_status for s in c.status_changes.order_by("at", "id")][-3:] == [
        "suspended",
        "active",
        "terminated",
    ]


def test_overlapping_tiers_are_refused_with_a_field_message(manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    bad = {
        **METRIC,
        "tiers": [
            {"from": "0", "to": "96", "consequence": "none"},
            {"from": "95", "to": "100", "consequence": "none"},
        ],
    }
    with pytest.raises(DomainError) as exc:
        services.add_metric(contract=c, actor=manager, definition=bad, calendar=china())
    assert exc.value.fields == {"tiers.1.from": "第 2 档 · 结果下限：与第 1 档重叠。"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "120"}, "target"),  # a percentage above 100
        ({"start_field": "created"}, "start_field"),  # unknown field name
        ({"threshold_minutes": -5}, "threshold_minutes"),
    ],
)
def test_contradictory_metric_definitions_are_refused(manager, vendor_a, change, field):
    c = draft_contract(manager, vendor_a)
    with pytest.raises(DomainError) as exc:
        services.add_metric(contract=c, actor=manager, definition={**METRIC, **change}, calendar=china())
    assert field in exc.value.fields


def test_target_outside_every_tier_is_refused(manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    d = {**METRIC, "tiers": [{"from": "0", "to": "90", "consequence": "credit_percent", "amount": "5"}]}
    with pytest.raises(DomainError) as exc:
        services.add_metric(contract=c, actor=manager, definition=d, calendar=china())
    assert exc.value.fields["target"] == "目标值不在任何奖惩区间内。"


def test_credit_preview_gives_the_tier_credit_capped_by_the_contract(manager, vendor_a):
    c = draft_contract(manager, vendor_a, credit_cap_percent=Decimal("3"))
    m = services.add_metric(contract=c, actor=manager, definition=dict(METRIC), calendar=china())
    assert services.preview_credit(metric=m, value="92")["credit"] == "2000.00"
    capped = services.preview_credit(metric=m, value="80")
    assert capped["credit"] == "3000.00" and capped["capped"] is True
    bonus = services.preview_credit(metric=m, value="100")
    assert bonus["bonus"] == "1000.00" and bonus["status"] == "met"
    assert services.preview_credit(metric=m, value="abc")["errors"] == {"value": "请输入数字。"}


def test_amendment_goes_through_approval_and_creates_version_two_with_new_sla_terms(
    manager, vendor_a, approvers
):
    c = active_contract(manager, vendor_a, approvers)
    metric = c.sla_metrics.get()
    new_def = {**metric.definition, "target": "97", "tiers": [
        {"from": "0", "to": "97", "consequence": "credit_percent", "amount": "3"},
        {"from": "97", "to": "100", "consequence": "none"},
    ]}  # fmt: skip
    a = services.propose_amendment(
        contract=c,
        actor=manager,
        title="提高 P1 响应目标并上调月费",
        reason="业务量增长",
        effective_from=date(2026, 7, 1),
        changes={
            "monthly_fee": "110000",
            "sla_metrics": [{"id": metric.pk, "calendar_id": metric.calendar_id, "definition": new_def}],
        },
    )
    services.submit_amendment(amendment=a, actor=manager)
    while (step := services.current_step(c, a)) is not None:
        services.approve_step(contract=c, actor=approvers[step.role], amendment=a)
    a.refresh_from_db()
    c.refresh_from_db()
    assert a.status == AmendmentStatus.APPROVED and a.resulting_version == 2
    assert c.current_version == 2 and c.monthly_fee == Decimal("110000.00")
    old, new = sla_terms(c, date(2026, 6, 30)), sla_terms(c, date(2026, 7, 1))
    assert (old.version, old.monthly_fee, old.metrics[0].definition.target) == (
        1,
        Decimal("100000.00"),
        Decimal(95),
    )
    assert (new.version, new.monthly_fee, new.metrics[0].definition.target) == (
        2,
        Decimal("110000.00"),
        Decimal(97),
    )
    assert old.metrics[0].metric_id == new.metrics[0].metric_id == metric.pk
    v1, v2 = c.versions.order_by("number")
    rows = services.diff_snapshots(v1.snapshot, v2.snapshot)
    items = {r.item for r in rows}
    assert "月服务费" in items and f"{metric.name} · 目标值" in items and f"{metric.name} · 奖惩区间" in items
    assert not services.diff_snapshots(v1.snapshot, v1.snapshot)


def test_amendment_with_bad_metric_is_refused_and_nothing_is_stored(manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers)
    m = c.sla_metrics.get()
    bad = {"id": m.pk, "calendar_id": m.calendar_id, "definition": {**m.definition, "target": "101"}}
    with pytest.raises(DomainError) as exc:
        services.propose_amendment(
            contract=c, actor=manager, title="x", reason="y", effective_from=date(2026, 7, 1),
            changes={"sla_metrics": [bad]},
        )  # fmt: skip
    assert "sla_metrics.0.target" in exc.value.fields
    assert not c.amendments.exists()


def test_milestone_moves_planned_due_accepted_paid(manager, finance_user, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers, metric=False)
    ms = services.add_milestone(
        contract=c, actor=manager, name="上线验收", due_date=date(2026, 3, 31), percent="30"
    )
    assert ms.amount_due() == Decimal("360000.00")
    ms = services.accept_milestone(milestone=ms, actor=manager, note="验收通过")
    with pytest.raises(DomainError):
        services.accept_milestone(milestone=ms, actor=manager)
    ms = services.mark_milestone_paid(milestone=ms, actor=finance_user)
    assert ms.status == MilestoneStatus.PAID and ms.accepted_by == manager


def test_milestone_needs_amount_or_percent(manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    with pytest.raises(DomainError) as exc:
        services.add_milestone(contract=c, actor=manager, name="首付", due_date="2026-02-01")
    assert "amount" in exc.value.fields


def test_price_index_beyond_threshold_alerts_and_proposes_the_shared_fee(
    manager, finance_user, vendor_a, approvers
):
    c = active_contract(manager, vendor_a, approvers, metric=False)
    clause = services.add_price_clause(
        contract=c,
        actor=finance_user,
        index_name="CPI",
        base_value="100",
        threshold_percent="5",
        share_percent="50",
    )
    within = services.record_index_value(clause=clause, actor=finance_user, value="104")
    assert not within.crossed and within.proposed_fee is None
    iv = services.record_index_value(clause=clause, actor=finance_user, value="108")
    # change 8 %, 3 % beyond the threshold, shared 50/50 → fee +1.5 %
    assert iv.crossed and iv.change_percent == Decimal("8.00") and iv.proposed_fee == Decimal("101500.00")
    assert Notification.objects.filter(kind="contracts.price_index", user=finance_user).count() == 1


def test_reminders_are_sent_once_per_event(
    manager, finance_user, vendor_a, approvers, django_capture_on_commit_callbacks
):
    c = active_contract(
        manager, vendor_a, approvers, metric=False, end_date=date(2026, 12, 31), notice_days=30
    )
    services.add_milestone(
        contract=c, actor=manager, name="季度款", due_date=date(2026, 3, 31), amount="300000"
    )
    # renewal reminder from 2026-12-31 − 30 − 90 days = 2026-09-02
    with django_capture_on_commit_callbacks(execute=True):
        early = reminders.send_reminders(date(2026, 9, 1))
    assert early.renewals == 0 and early.milestones == 1
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.send_reminders(date(2026, 9, 2))
        again = reminders.send_reminders(date(2026, 9, 3))
    assert first.renewals == 1 and again.notifications == 0
    kinds = sorted(Notification.objects.filter(user=manager).values_list("kind", flat=True))
    assert kinds.count("contracts.renewal") == 1 and kinds.count("contracts.milestone") == 1
    assert c.milestones.get().status == MilestoneStatus.DUE
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_reminders(date(2026, 9, 4))
    assert len(mail.outbox) == sent
    services.record_renewal_decision(contract=c, actor=manager, decision="renew")
    assert reminders.renewal_due_contracts(date(2026, 10, 1)) == []


def test_returned_amendment_keeps_the_contract_on_its_version(manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers, metric=False, **TERM_2026)
    a = services.propose_amendment(
        contract=c, actor=manager, title="延期", reason="项目延期", effective_from=date(2026, 6, 1),
        changes={"end_date": "2027-06-30"},
    )  # fmt: skip
    services.submit_amendment(amendment=a, actor=manager)
    services.return_step(contract=c, actor=manager, comment="需补充说明", amendment=a)
    a.refresh_from_db()
    c.refresh_from_db()
    assert (
        a.status == AmendmentStatus.RETURNED and c.current_version == 1 and c.end_date == date(2026, 12, 31)
    )
    assert c.status == ContractStatus.ACTIVE


def test_approve_all_helper_leaves_no_pending_step(manager, vendor_a, approvers):
    c = approve_all(
        services.submit_for_approval(
            contract=with_required_clauses(draft_contract(manager, vendor_a), manager), actor=manager
        ),
        approvers,
    )
    assert services.current_step(c) is None


def test_approval_notices_are_marked_read_once_the_step_is_decided(manager, vendor_a, approvers):
    admin2 = type(manager).objects.create(username="admin2", role="admin", email="a2@example.com")
    c = with_required_clauses(draft_contract(manager, vendor_a), manager)
    services.submit_for_approval(contract=c, actor=manager)
    services.approve_step(contract=c, actor=manager)
    services.approve_step(contract=c, actor=approvers["finance"])
    assert Notification.objects.filter(user=admin2, kind="contracts.approval", read_at=None).count() == 1
    services.approve_step(contract=c, actor=approvers["admin"])
    assert not Notification.objects.filter(kind="contracts.approval", read_at=None).exists()
