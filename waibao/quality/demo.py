"""Demo data for quality: a plan per demo contract, inspections (one rejected → NCR → 8D in progress),
a deliverable in second review, complaints and satisfaction results. Idempotent: skips contracts that
already have a plan."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

from waibao.core import clock
from waibao.quality import services
from waibao.quality.models import CSAT_RANGES, QualityPlan
from waibao.quality.services import csat_scale_of

# A minimal valid PDF, so the deliverable has a real (sniffable) file.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _upload(name: str) -> Any:
    from waibao.core.files import Upload

    return Upload(name=name, stream=io.BytesIO(PDF), size=len(PDF))


def load(ctx: dict[str, Any]) -> None:
    from waibao.accounts.models import Role, User
    from waibao.contracts.models import Contract

    actor = ctx.get("actor")
    quality = User.objects.filter(role=Role.QUALITY).order_by("id").first() or actor
    manager = User.objects.filter(role=Role.MANAGER).order_by("id").first() or actor
    contracts = list(Contract.objects.select_related("vendor").order_by("code")[:3])
    for n, contract in enumerate(contracts):
        if QualityPlan.objects.filter(contract=contract).exists():
            continue
        plan = services.create_plan(
            contract=contract,
            actor=actor,
            name=f"{contract.title} 抽检计划",
            # The customer-service contract samples its real service records; the others batches of documents.
            lot_kind="service_records" if n == 1 else "documents",
            lot_description="每周的服务记录" if n == 1 else "每周一批服务单/文档",
            level="II",
            classes={"critical": "0.065", "major": "1.0", "minor": "4.0"},
            characteristics=[
                {"name": "信息填写完整"},
                {"name": "处理时长", "kind": "variable", "usl": 30, "unit": "分钟", "severity": "minor"},
            ],
        )
        if n == 0 and quality is not None and getattr(quality, "pk", None):
            services.update_plan(plan=plan, actor=actor, inspectors=[quality])
        today = clock.today()
        # Two accepted lots, then (for the first contract) a rejected one that opens an NCR and an 8D.
        for week in range(3):
            start = today - timedelta(days=7 * (4 - week))
            insp = services.start_inspection(
                plan=plan,
                actor=quality,
                lot_ref=f"{start:%Y}-W{start.isocalendar()[1]:02d}",
                lot_size=None if n == 1 else 500 + 37 * week,
                seed=20260 + week + 10 * n,
                period_start=start,
                period_end=start + timedelta(days=6),
            )
            findings: list[tuple[int, str, str]] = []
            if week == 2 and n == 0:
                findings = [
                    (1, "major", "客户信息缺失"),
                    (3, "major", "未按流程回访"),
                    (5, "major", "记录错误"),
                    (8, "major", "超时未处理"),
                    (2, "minor", "格式不规范"),
                ]
            elif week == 1:
                findings = [(4, "minor", "格式不规范")]
            services.record_findings(inspection=insp, actor=quality, findings=findings)
            if week == 1:
                # Handling time measured on the first ten samples; one is over the 30-minute limit.
                minutes = [12, 18, 9, 25, 34, 14, 21, 16, 28, 11]
                services.record_measurements(
                    inspection=insp,
                    actor=quality,
                    measurements=[(i + 1, "处理时长", m) for i, m in enumerate(minutes)],
                )
            services.complete_inspection(inspection=insp, actor=quality)
        if n == 0:
            ncr = plan.contract.nonconformances.order_by("-id").first()
            if ncr is not None:
                services.update_containment(
                    ncr=ncr, actor=quality, containment="对本批全部记录复核，问题记录已退回重做。"
                )
                capa = services.start_corrective_action(ncr=ncr, actor=quality)
                services.fill_capa_step(
                    capa=capa,
                    actor=quality,
                    step="D1",
                    content="组长：供应商质量经理；成员：班组长、培训专员。",
                )
                services.fill_capa_step(
                    capa=capa, actor=quality, step="D2", content="第 3 周抽检严重缺陷 4 个，超过 Re。"
                )
        # A deliverable past its first review, waiting for the second.
        milestone = (
            contract.milestones.exclude(status__in=["accepted", "paid"]).order_by("position", "id").first()
            if hasattr(contract, "milestones")
            else None
        )
        dlv = services.submit_deliverable(
            contract=contract,
            actor=actor,
            title="月度服务报告",
            upload=_upload("report.pdf"),
            milestone=milestone,
            accept_milestone=milestone is not None,
            note="初版",
        )
        services.review_deliverable(deliverable=dlv, actor=quality, decision="approve", comment="内容完整。")
        # Complaints: one triaged and converted, one new.
        c1 = services.log_complaint(
            actor=quality,
            channel="phone",
            category="attitude",
            severity="major",
            description="客服人员态度生硬，未解决问题即挂断。",
            contract=contract,
            record_ref="TK-1001",
        )
        services.triage_complaint(
            complaint=c1, actor=quality, contract=contract, vendor_caused=True, note="录音核实属实。"
        )
        if n == 0:
            services.convert_complaint(complaint=c1, actor=quality)
        services.log_complaint(
            actor=quality,
            channel="online",
            category="delay",
            severity="minor",
            description="工单三天无人跟进。",
            contract=contract,
        )
        month = today.replace(day=1)
        periods: list[str] = []
        for _i in range(8):
            month = (month - timedelta(days=1)).replace(day=1)
            periods.insert(0, month.strftime("%Y-%m"))
        csats = [88, 89, 87, 90, 88, 86, 84, 81]  # percent; on a contract scored 1–5 or 0–10, the same share
        low, high = CSAT_RANGES[csat_scale_of(contract)]
        for i, period in enumerate(periods):
            services.record_satisfaction(
                contract=contract,
                actor=actor,
                period=period,
                csat=round(Decimal(low) + (high - low) * Decimal(csats[i] - n) / 100, 2),
                nps=30 - i - 2 * n,
                responses=200 + 10 * i,
                source="季度调研",
            )
    _ = manager
