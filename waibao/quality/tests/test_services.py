"""Services: sampling, switching through the stream model, auto-NCR, review chain, 8D, complaints, SPC."""

from datetime import date, timedelta

import pytest
import time_machine

from waibao.core.errors import DomainError
from waibao.notifications.models import Notification
from waibao.quality import services
from waibao.quality.models import (
    CapaStatus,
    ComplaintStatus,
    DeliverableStatus,
    InspectionStatus,
    NcrSource,
    NcrStatus,
    SatisfactionResult,
    Stage,
)
from waibao.quality.tests.factories import MilestoneFactory, make_plan, pdf

pytestmark = pytest.mark.django_db


def inspect(plan, actor, *, lot_size=1000, major=0, minor=0, seed=1, lot_ref="L1"):
    insp = services.start_inspection(plan=plan, actor=actor, lot_ref=lot_ref, lot_size=lot_size, seed=seed)
    findings = [(i + 1, "major", "") for i in range(major)] + [(i + 1, "minor", "") for i in range(minor)]
    services.record_findings(inspection=insp, actor=actor, findings=findings)
    return services.complete_inspection(inspection=insp, actor=actor)


def test_draw_sample_is_reproducible_from_its_seed():
    first = services.draw_sample(424242, 1000, 80)
    assert first == services.draw_sample(424242, 1000, 80)
    assert first != services.draw_sample(424243, 1000, 80)
    assert len(set(first)) == 80 and all(0 <= i < 1000 for i in first)


def test_inspection_stores_its_seed_and_redraws_the_same_items(plan_a, quality_user):
    a = services.start_inspection(
        plan=plan_a, actor=quality_user, lot_ref="W1", items=[f"DOC-{i}" for i in range(300)], seed=7
    )
    b = services.start_inspection(
        plan=plan_a, actor=quality_user, lot_ref="W1-again", items=[f"DOC-{i}" for i in range(300)], seed=7
    )
    assert a.seed == 7 and a.lot_size == 300
    assert [i.ref for i in a.items.all()] == [i.ref for i in b.items.all()]
    # Level II, N=300 → H (n=50) for both AQL 1.5 and 4.0: the sample is the largest n of the classes.
    assert a.items.count() == max(r.sample_size for r in a.class_results.all())


def test_inspection_without_a_seed_gets_a_random_one_that_is_stored(plan_a, quality_user):
    insp = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="W2", lot_size=1000)
    assert insp.seed > 0
    assert [i.lot_index - 1 for i in insp.items.all()] == services.draw_sample(
        insp.seed, 1000, insp.items.count()
    )


def test_rejected_lot_opens_a_nonconformance_and_notifies_the_vendor(plan_a, quality_user, vendor_user_a):
    insp = inspect(plan_a, quality_user, major=4)  # J, n=80, Ac 3 Re 4 at AQL 1.5
    assert insp.status == InspectionStatus.COMPLETED and insp.accepted is False
    ncr = insp.nonconformances.get()
    assert (
        ncr.source == NcrSource.INSPECTION and ncr.severity == "major" and ncr.vendor_notified_at is not None
    )
    assert Notification.objects.filter(user=vendor_user_a, kind="quality.ncr.opened").exists()


def test_accepted_lot_opens_nothing(plan_a, quality_user):
    insp = inspect(plan_a, quality_user, major=3)
    assert insp.accepted is True and not insp.nonconformances.exists()


def test_two_rejected_lots_tighten_the_stream_and_history_says_why(plan_a, quality_user):
    inspect(plan_a, quality_user, major=4, lot_ref="L1")
    inspect(plan_a, quality_user, major=0, lot_ref="L2")
    inspect(plan_a, quality_user, major=5, lot_ref="L3")
    stream = plan_a.streams.get(defect_class__severity="major")
    assert stream.stage == Stage.TIGHTENED
    switch = stream.switches.get()
    assert switch.reason_code == "normal_to_tightened" and "9.3.1" in switch.reason
    assert switch.inspection.lot_ref == "L3"
    # The minor stream was never rejected and stays on normal.
    assert plan_a.streams.get(defect_class__severity="minor").stage == Stage.NORMAL
    # The next lot is sampled with the tightened plan (J, AQL 1.5 tightened: Ac 2).
    nxt = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="L4", lot_size=1000, seed=3)
    major = nxt.class_results.get(severity="major")
    assert (major.stage, major.accept) == ("tightened", 2)


def test_five_rejections_on_tightened_discontinue_and_block_new_lots_until_resumed(contract_a, quality_user):
    plan = make_plan(contract_a, quality_user, name="t", classes={"major": "1.5"})
    for i in range(2):
        inspect(plan, quality_user, major=4, lot_ref=f"N{i}")
    for i in range(5):
        inspect(plan, quality_user, major=3, lot_ref=f"T{i}")  # tightened Ac 2: 3 rejects
    stream = plan.streams.get()
    assert stream.discontinued
    with pytest.raises(DomainError):
        services.start_inspection(plan=plan, actor=quality_user, lot_ref="X", lot_size=1000)
    services.resume_stream(stream=stream, actor=quality_user, why="8D 已验证有效")
    stream.refresh_from_db()
    assert not stream.discontinued and stream.stage == Stage.TIGHTENED
    assert stream.switches.first().reason_code == "resumed_tightened"


def test_resubmitted_lots_do_not_move_the_stream(plan_a, quality_user):
    for i in range(2):
        insp = services.start_inspection(
            plan=plan_a, actor=quality_user, lot_ref=f"R{i}", lot_size=1000, seed=i, original=False
        )
        services.record_findings(
            inspection=insp, actor=quality_user, findings=[(k + 1, "major", "") for k in range(4)]
        )
        services.complete_inspection(inspection=insp, actor=quality_user)
    assert plan_a.streams.get(defect_class__severity="major").stage == Stage.NORMAL


def test_findings_outside_a_class_sample_are_refused(contract_a, quality_user):
    plan = make_plan(contract_a, quality_user, name="mixed", classes={"critical": "0.065", "minor": "4.0"})
    insp = services.start_inspection(plan=plan, actor=quality_user, lot_ref="M", lot_size=1000, seed=1)
    minor_n = insp.class_results.get(severity="minor").sample_size
    assert insp.items.count() > minor_n
    with pytest.raises(DomainError) as err:
        services.record_findings(inspection=insp, actor=quality_user, findings=[(minor_n + 1, "minor", "")])
    assert "findings" in err.value.fields


def test_completed_inspection_cannot_be_changed(plan_a, quality_user):
    insp = inspect(plan_a, quality_user)
    with pytest.raises(DomainError):
        services.record_findings(inspection=insp, actor=quality_user, findings=[])
    with pytest.raises(DomainError):
        services.complete_inspection(inspection=insp, actor=quality_user)


# --- deliverables ----------------------------------------------------------------------------


def test_deliverable_passes_three_levels_and_accepts_its_milestone(
    contract_a, vendor_user_a, quality_user, manager, admin_user
):
    milestone = MilestoneFactory(contract=contract_a)
    d = services.submit_deliverable(
        contract=contract_a,
        actor=vendor_user_a,
        title="方案",
        upload=pdf(),
        milestone=milestone,
        accept_milestone=True,
    )
    assert d.review_levels == ["初审", "二审", "终审"]
    services.review_deliverable(deliverable=d, actor=quality_user, decision="approve")
    d.refresh_from_db()
    assert (d.status, d.level_name) == (DeliverableStatus.IN_REVIEW, "二审")
    with pytest.raises(DomainError):  # the same person may not approve two levels
        services.review_deliverable(deliverable=d, actor=quality_user, decision="approve")
    services.review_deliverable(deliverable=d, actor=manager, decision="approve")
    services.review_deliverable(deliverable=d, actor=admin_user, decision="approve")
    d.refresh_from_db()
    milestone.refresh_from_db()
    assert d.status == DeliverableStatus.APPROVED
    assert milestone.status == "accepted"


def test_returned_deliverable_goes_back_with_reasons_and_restarts_at_the_first_level(
    contract_a, vendor_user_a, quality_user, manager
):
    d = services.submit_deliverable(contract=contract_a, actor=vendor_user_a, title="方案", upload=pdf())
    services.review_deliverable(deliverable=d, actor=quality_user, decision="approve")
    with pytest.raises(DomainError) as err:
        services.review_deliverable(deliverable=d, actor=manager, decision="return", comment="")
    assert "comment" in err.value.fields
    services.review_deliverable(
        deliverable=d, actor=manager, decision="return", comment="缺少第 3 章", open_ncr=True
    )
    d.refresh_from_db()
    assert d.status == DeliverableStatus.RETURNED
    assert Notification.objects.filter(
        user=vendor_user_a, kind="quality.deliverable.returned", body="缺少第 3 章"
    ).exists()
    assert d.nonconformances.get().source == NcrSource.REVIEW
    services.add_version(deliverable=d, actor=vendor_user_a, upload=pdf("v2.pdf"), note="已补充")
    d.refresh_from_db()
    assert (d.status, d.level, d.versions.count()) == (DeliverableStatus.IN_REVIEW, 0, 2)


def test_deliverable_refuses_a_file_that_is_not_an_allowed_type(contract_a, vendor_user_a):
    import io

    from waibao.vendors.services import Upload

    with pytest.raises(DomainError) as err:
        services.submit_deliverable(
            contract=contract_a,
            actor=vendor_user_a,
            title="x",
            upload=Upload(name="x.pdf", stream=io.BytesIO(b"not a pdf"), size=9),
        )
    assert "file" in err.value.fields
    assert not contract_a.deliverables.exists()


# --- nonconformance and 8D -------------------------------------------------------------------


def _ncr(contract, actor, severity="major"):
    return services.open_nonconformance(
        contract=contract, actor=actor, source=NcrSource.AUDIT, severity=severity, title="现场审核发现"
    )


def _fill_all(capa, actor):
    for step in ["D1", "D2", "D3", "D5", "D6", "D7"]:
        services.fill_capa_step(capa=capa, actor=actor, step=step, content=f"{step} 内容")
    services.fill_capa_step(
        capa=capa,
        actor=actor,
        step="D4",
        content="培训不足",
        whys=["未培训", "无培训计划"],
        categories=["people", "method"],
    )


def test_8d_lifecycle_closes_the_ncr_when_verified_effective(contract_a, quality_user, vendor_user_a):
    ncr = _ncr(contract_a, quality_user)
    with time_machine.travel("2026-03-02 10:00 +08:00", tick=False):
        capa = services.start_corrective_action(ncr=ncr, actor=quality_user)
        ncr.refresh_from_db()
        assert ncr.status == NcrStatus.CAPA
        assert capa.steps.count() == 8
        with pytest.raises(DomainError):  # D1–D7 must all be filled first
            services.submit_capa(capa=capa, actor=vendor_user_a)
        _fill_all(capa, vendor_user_a)
        services.submit_capa(capa=capa, actor=vendor_user_a)
        services.accept_capa_plan(capa=capa, actor=quality_user)
        capa.refresh_from_db()
        assert capa.status == CapaStatus.VERIFYING and capa.verify_after == date(2026, 4, 1)
        with pytest.raises(DomainError):  # not before the set time
            services.verify_capa(capa=capa, actor=quality_user, effective=True, note="后续批次合格")
    with time_machine.travel("2026-04-02 10:00 +08:00", tick=False):
        services.verify_capa(capa=capa, actor=quality_user, effective=True, note="后续 3 批均接收")
    capa.refresh_from_db()
    ncr.refresh_from_db()
    assert capa.status == CapaStatus.CLOSED and ncr.status == NcrStatus.CLOSED


def test_failed_verification_reopens_the_8d_from_root_cause(contract_a, quality_user, vendor_user_a):
    ncr = _ncr(contract_a, quality_user)
    capa = services.start_corrective_action(ncr=ncr, actor=quality_user)
    _fill_all(capa, vendor_user_a)
    services.submit_capa(capa=capa, actor=vendor_user_a)
    services.accept_capa_plan(capa=capa, actor=quality_user, verify_after=services.clock.today())
    services.verify_capa(capa=capa, actor=quality_user, effective=False, note="第 2 批再次不接收")
    capa.refresh_from_db()
    assert capa.status == CapaStatus.OPEN and capa.reopen_count == 1
    done = set(capa.steps.filter(done_at__isnull=False).values_list("step", flat=True))
    assert done == {"D1", "D2", "D3"}
    assert Notification.objects.filter(user=vendor_user_a, kind="quality.capa.reopened").exists()


def test_root_cause_step_needs_whys_and_a_cause_category(contract_a, quality_user, vendor_user_a):
    capa = services.start_corrective_action(ncr=_ncr(contract_a, quality_user), actor=quality_user)
    with pytest.raises(DomainError) as err:
        services.fill_capa_step(
            capa=capa, actor=vendor_user_a, step="D4", content="x", whys=[], categories=["luck"]
        )
    assert {"whys", "categories"} <= set(err.value.fields)


def test_critical_ncr_cannot_be_closed_without_an_8d(contract_a, quality_user):
    ncr = _ncr(contract_a, quality_user, severity="critical")
    with pytest.raises(DomainError):
        services.close_nonconformance(ncr=ncr, actor=quality_user, reason="已处理")


def test_overdue_steps_escalate_once_to_the_contract_owner(contract_a, quality_user, manager):
    with time_machine.travel("2026-03-02 10:00 +08:00", tick=False):
        capa = services.start_corrective_action(ncr=_ncr(contract_a, quality_user), actor=quality_user)
    with time_machine.travel("2026-03-10 10:00 +08:00", tick=False):  # D1–D3 were due on 03-09
        first = services.escalate_overdue()
        again = services.escalate_overdue()
    assert sorted(s.step for s in first) == ["D1", "D2", "D3"]
    assert again == []
    assert Notification.objects.filter(user=manager, kind="quality.capa.overdue").count() == 3
    assert capa.steps.filter(escalated_at__isnull=False).count() == 3


def test_escalation_command_is_idempotent(contract_a, quality_user, manager):
    from django.core.management import call_command

    with time_machine.travel("2026-03-02 10:00 +08:00", tick=False):
        services.start_corrective_action(ncr=_ncr(contract_a, quality_user), actor=quality_user)
    with time_machine.travel("2026-05-30 10:00 +08:00", tick=False):
        call_command("quality_escalate")
        call_command("quality_escalate")
    assert Notification.objects.filter(user=manager, kind="quality.capa.overdue").count() == 7


# --- complaints and satisfaction -------------------------------------------------------------


def test_complaint_triaged_to_the_vendor_converts_to_an_ncr(contract_a, quality_user, vendor_user_a):
    c = services.log_complaint(
        actor=quality_user, channel="phone", category="attitude", severity="major", description="态度差"
    )
    with pytest.raises(DomainError):
        services.convert_complaint(complaint=c, actor=quality_user)
    services.triage_complaint(
        complaint=c, actor=quality_user, contract=contract_a, vendor_caused=True, note="录音核实"
    )
    ncr = services.convert_complaint(complaint=c, actor=quality_user)
    c.refresh_from_db()
    assert c.status == ComplaintStatus.CONVERTED and c.ncr == ncr and c.vendor_id == contract_a.vendor_id
    assert ncr.source == NcrSource.COMPLAINT and ncr.contract == contract_a
    assert Notification.objects.filter(user=vendor_user_a, kind="quality.complaint.triaged").exists()


def test_complaint_not_caused_by_the_vendor_cannot_become_an_ncr(contract_a, quality_user):
    c = services.log_complaint(
        actor=quality_user, channel="email", category="billing", severity="minor", description="账单"
    )
    services.triage_complaint(complaint=c, actor=quality_user, contract=contract_a, vendor_caused=False)
    with pytest.raises(DomainError):
        services.convert_complaint(complaint=c, actor=quality_user)


def test_satisfaction_import_is_all_or_nothing_and_names_the_row(contract_a, quality_user):
    from waibao.contracts.models import Contract

    rows = [
        (2, {"合同编号": contract_a.code, "期间": "2026-01", "CSAT": "91.5", "NPS": "35"}),
        (3, {"合同编号": contract_a.code, "期间": "2026-13", "CSAT": "90", "NPS": ""}),
    ]
    report = services.import_satisfaction(
        actor=quality_user,
        rows=rows,
        headers=["合同编号", "期间", "CSAT", "NPS"],
        contracts=Contract.objects.all(),
    )
    assert not report.ok and report.errors[0][0] == 3
    assert not SatisfactionResult.objects.exists()
    rows[1] = (3, {"合同编号": contract_a.code, "期间": "2026-02", "CSAT": "90", "NPS": ""})
    report = services.import_satisfaction(
        actor=quality_user,
        rows=rows,
        headers=["合同编号", "期间", "CSAT", "NPS"],
        contracts=Contract.objects.all(),
    )
    assert report.ok and SatisfactionResult.objects.count() == 2


def test_spc_scan_warns_the_owner_once_when_satisfaction_drifts(contract_a, quality_user, manager):
    for i, v in enumerate([90, 91, 89, 90, 91, 90, 89, 90, 90, 91, 90, 60]):
        services.record_satisfaction(
            contract=contract_a, actor=quality_user, period=f"{2025 + (i // 12)}-{i % 12 + 1:02d}", csat=v
        )
    first = services.scan_spc()
    second = services.scan_spc()
    assert len(first) == 1 and first[0].series == "csat" and "1" in first[0].rules
    assert second == []
    assert Notification.objects.filter(user=manager, kind="quality.spc.signal").count() == 1


def test_step_due_dates_are_spread_over_the_plan_period(contract_a, quality_user):
    make_plan(contract_a, quality_user, name="p", capa_step_days=5)
    with time_machine.travel("2026-03-02 10:00 +08:00", tick=False):
        capa = services.start_corrective_action(ncr=_ncr(contract_a, quality_user), actor=quality_user)
    due = dict(capa.steps.values_list("step", "due_date"))
    start = date(2026, 3, 2)
    assert (
        due["D1"] == start + timedelta(days=5)
        and due["D4"] == start + timedelta(days=10)
        and due["D7"] == start + timedelta(days=15)
    )


def test_satisfaction_import_is_held_to_the_import_limits(contract_a, quality_user, settings):
    """A file over the row or size limit is refused whole, naming the limit; nothing is saved."""
    from waibao.contracts.models import Contract
    from waibao.core.errors import DomainError

    settings.WAIBAO_IMPORT_MAX_ROWS = 1
    rows = [
        (2, {"合同编号": contract_a.code, "期间": "2026-01", "CSAT": "91", "NPS": ""}),
        (3, {"合同编号": contract_a.code, "期间": "2026-02", "CSAT": "90", "NPS": ""}),
    ]
    args = {"headers": ["合同编号", "期间", "CSAT", "NPS"], "contracts": Contract.objects.all()}
    with pytest.raises(DomainError) as caught:
        services.import_satisfaction(actor=quality_user, rows=rows, **args)
    assert caught.value.code == "too_many_rows" and "1" in caught.value.message
    settings.WAIBAO_IMPORT_MAX_ROWS = 10
    settings.WAIBAO_IMPORT_MAX_MB = 1
    with pytest.raises(DomainError) as caught:
        services.import_satisfaction(actor=quality_user, rows=rows, size=2 * 1024 * 1024, **args)
    assert caught.value.code == "too_large" and caught.value.status == 413
    assert not SatisfactionResult.objects.exists()
    assert services.import_satisfaction(actor=quality_user, rows=rows, size=100, **args).ok
