"""Demo contracts: four realistic outsourcing contracts with Chinese clauses, SLAs, milestones, one amendment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from waibao.accounts.models import Role, User
from waibao.calendars.services import ensure_builtin_calendars
from waibao.contracts import services
from waibao.contracts.models import ClauseTemplate, ClauseType, Contract
from waibao.vendors.models import Vendor

LIBRARY = {
    ClauseType.CONFIDENTIALITY: (
        "标准保密条款",
        "乙方对在履行本合同过程中知悉的甲方商业秘密、技术资料和客户信息负有保密义务，保密期限自合同签订之日起至合同终止后五年。",
    ),
    ClauseType.DATA_SECURITY: (
        "数据安全与个人信息保护",
        "乙方应按照《网络安全法》《数据安全法》《个人信息保护法》处理甲方数据；数据存储于中国境内；未经甲方书面同意不得向第三方提供；发生数据安全事件应在 2 小时内通知甲方。",
    ),
    ClauseType.LIABILITY: (
        "违约责任",
        "乙方未达到附件 SLA 的，按附件奖惩区间扣减当月服务费，当月扣减总额不超过月服务费的 15%；连续三个月未达标的，甲方有权解除合同。",
    ),
    ClauseType.EXIT: (
        "退出与终止",
        "合同终止或解除时，乙方应在 30 日内完成服务交接：返还并删除全部甲方数据、配合数据迁移、完成知识转移、撤销系统访问权限，并完成最终结算。",
    ),
    ClauseType.PAYMENT: (
        "付款方式",
        "服务费按月结算。乙方于次月 5 日前提交服务报告及发票，甲方确认后 30 日内支付；服务抵扣在当期结算中扣除。",
    ),
    ClauseType.DISPUTE: (
        "争议解决",
        "因本合同引起的争议，双方应友好协商；协商不成的，提交甲方所在地有管辖权的人民法院诉讼解决。",
    ),
    ClauseType.IP: ("知识产权", "乙方为履行本合同交付的成果，其知识产权自交付并付款之日起归甲方所有。"),
}


def _tiers(*rows: tuple[str, str, str, str]) -> list[dict[str, str]]:
    return [{"from": a, "to": b, "consequence": c, "amount": d} for a, b, c, d in rows]


def _specs() -> list[dict[str, Any]]:
    return [
        {
            "vendor": "V-0001", "title": "IT 基础设施 7×24 运维服务合同", "category": "it_services",
            "scope": "数据中心服务器、网络与存储的 7×24 监控、事件响应与问题处理；月度巡检报告。",
            "objectives": "核心系统可用性 ≥ 99.9%，P1 事件 15 分钟内响应、4 小时内解决。",
            "monthly_fee": "180000", "total_value": "2160000", "start": date(2026, 1, 1), "end": date(2026, 12, 31),
            "calendar": "24x7",
            "metrics": [
                {"name": "P1 事件 15 分钟响应率", "kind": "share_within", "record_kind": "ticket",
                 "filter": [["priority", "eq", "P1"]], "threshold_minutes": 15, "target": "95", "min_sample": 3,
                 "tiers": _tiers(("0", "90", "credit_percent", "5"), ("90", "95", "credit_percent", "2"),
                                 ("95", "100", "none", "0"))},
                {"name": "P1 事件 4 小时解决率", "kind": "share_within", "record_kind": "ticket",
                 "filter": [["priority", "eq", "P1"]], "start_field": "opened_at", "end_field": "resolved_at",
                 "threshold_minutes": 240, "target": "90", "min_sample": 3,
                 "tiers": _tiers(("0", "80", "credit_percent", "5"), ("80", "90", "credit_percent", "2"),
                                 ("90", "100", "none", "0"))},
                {"name": "P2 事件 30 分钟响应率", "kind": "share_within", "record_kind": "ticket",
                 "filter": [["priority", "eq", "P2"]], "threshold_minutes": 30, "target": "95", "min_sample": 10,
                 "tiers": _tiers(("0", "95", "credit_percent", "1"), ("95", "100", "none", "0"))},
                {"name": "P2 事件 8 小时解决率", "kind": "share_within", "record_kind": "ticket",
                 "filter": [["priority", "eq", "P2"]], "start_field": "opened_at", "end_field": "resolved_at",
                 "threshold_minutes": 480, "target": "90", "min_sample": 10,
                 "tiers": _tiers(("0", "90", "credit_percent", "1"), ("90", "100", "none", "0"))},
            ],
            "milestones": [("月度服务费", "monthly", None, "180000", None, "月度服务报告经甲方确认")],
            "amend": True,
        },
        {
            "vendor": "V-0002", "title": "客户服务中心外包服务合同", "category": "customer_service",
            "scope": "400 热线与在线客服（工作日 09:00–18:00），工单受理、回访与投诉处理。",
            "objectives": "客户满意度 ≥ 4.5 分，工单 30 分钟内首次响应。",
            "monthly_fee": "260000", "total_value": "3120000", "start": date(2026, 1, 1), "end": date(2026, 12, 31),
            "renewal": "auto_renew",
            "csat_scale": "score5",  # its records' ratings and the satisfaction metric are 1–5
            "calendar": "china-mainland",
            "metrics": [
                {"name": "工单 30 分钟首次响应率", "kind": "share_within", "record_kind": "ticket",
                 "threshold_minutes": 30, "target": "90", "min_sample": 50,
                 "tiers": _tiers(("0", "85", "credit_percent", "3"), ("85", "90", "credit_percent", "1"),
                                 ("90", "98", "none", "0"), ("98", "100", "bonus_percent", "1"))},
                {"name": "客户满意度", "kind": "average", "record_kind": "ticket", "field": "csat", "target": "4.5",
                 "min_sample": 30,
                 "tiers": _tiers(("0", "4", "credit_percent", "3"), ("4", "4.5", "credit_percent", "1"),
                                 ("4.5", "5", "none", "0"))},
            ],
            "milestones": [("月度服务费", "monthly", None, "260000", None, "话务与质检月报经甲方确认")],
            "price": True,
        },
        {
            "vendor": "V-0003", "title": "华东区域仓配物流服务合同", "category": "logistics",
            "scope": "上海、苏州、杭州三仓的仓储、分拣与城市配送。",
            "objectives": "准时交付率 ≥ 98%，货损率 ≤ 0.5%。",
            "monthly_fee": "320000", "total_value": "3840000", "start": date(2026, 1, 1), "end": date(2026, 12, 31),
            "calendar": "china-mainland",
            "metrics": [
                {"name": "准时交付率", "kind": "rate", "record_kind": "delivery", "start_field": "delivered_at",
                 "end_field": "promised_at", "target": "98", "min_sample": 100,
                 "tiers": _tiers(("0", "95", "credit_percent", "5"), ("95", "98", "credit_percent", "2"),
                                 ("98", "100", "none", "0"))},
                {"name": "货损率", "kind": "rate", "record_kind": "delivery", "flag": "defect", "direction": "lower",
                 "target": "0.5", "min_sample": 100,
                 "tiers": _tiers(("0", "0.5", "none", "0"), ("0.5", "1", "credit_percent", "2"),
                                 ("1", "100", "credit_percent", "5"))},
            ],
            "milestones": [("月度服务费", "monthly", None, "320000", None, "月度对账单经双方确认")],
        },
        {
            "vendor": "V-0004", "title": "供应商门户系统定制开发合同", "category": "software",
            "scope": "需求分析、设计、开发、测试与上线；源代码与文档交付；上线后 3 个月质保。",
            "objectives": "按里程碑交付，缺陷密度达标，用户验收通过。",
            "monthly_fee": "0", "total_value": "1500000", "start": date(2026, 2, 1), "end": date(2027, 1, 31),
            "calendar": "china-mainland",
            "metrics": [
                {"name": "严重缺陷数", "kind": "count", "record_kind": "work_item",
                 "filter": [["priority", "eq", "P1"]], "direction": "lower", "target": "2",
                 "tiers": _tiers(("0", "2", "none", "0"), ("2", "5", "credit_fixed", "20000"),
                                 ("5", "1000", "credit_fixed", "50000"))},
            ],
            "milestones": [
                ("需求与设计确认", "acceptance", date(2026, 3, 15), None, "20", "需求规格说明书与设计文档经甲方评审通过"),
                ("系统测试完成", "acceptance", date(2026, 6, 30), None, "40", "系统测试报告，无 P1/P2 未关闭缺陷"),
                ("上线验收", "acceptance", date(2026, 10, 31), None, "30", "用户验收测试通过并稳定运行 2 周"),
                ("质保期满", "date", date(2027, 1, 31), None, "10", "质保期内缺陷全部关闭"),
            ],
        },
    ]  # fmt: skip


def load(ctx: dict[str, Any]) -> None:
    actor = ctx["actor"]
    ensure_builtin_calendars()
    from waibao.calendars.models import Calendar

    for t, (title, text) in LIBRARY.items():
        if not ClauseTemplate.objects.filter(title=title).exists():
            services.save_clause_template(actor=actor, clause_type=t, title=title, text=text)
    users = {
        r: User.objects.filter(role=r, is_active=True).order_by("pk").first()
        for r in (Role.MANAGER, Role.FINANCE, Role.ADMIN)
    }
    approvers: dict[str, Any] = {str(r): (u or actor) for r, u in users.items()}
    manager = users[Role.MANAGER] or actor
    for spec in _specs():
        vendor = Vendor.objects.filter(code=spec["vendor"]).first()
        if vendor is None or Contract.objects.filter(vendor=vendor, title=spec["title"]).exists():
            continue
        cal = Calendar.objects.get(preset=spec["calendar"])
        c = services.create_contract(
            actor=manager, vendor=vendor, title=spec["title"], category=spec["category"], scope=spec["scope"],
            objectives=spec["objectives"], department="采购与外包管理部", start_date=spec["start"],
            end_date=spec["end"], notice_days=60, monthly_fee=Decimal(spec["monthly_fee"]),
            renewal_type=spec.get("renewal", "fixed_term"),
            total_value=Decimal(spec["total_value"]), bonus_cap_percent=Decimal(5),
        )  # fmt: skip
        if spec.get("csat_scale"):
            services.set_csat_scale(contract=c, actor=manager, scale=spec["csat_scale"])
        services.add_clause(
            contract=c, actor=manager, clause_type=ClauseType.SCOPE, title="服务范围", text=spec["scope"]
        )
        services.add_clause(
            contract=c, actor=manager, clause_type=ClauseType.QUALITY, title="质量标准与服务水平",
            text="服务质量按附件 SLA 指标考核，统计口径以甲方系统记录为准，工作时间按所附工作日历计算（含法定节假日与调休）。",
        )  # fmt: skip
        for t in (ClauseType.PAYMENT, ClauseType.CONFIDENTIALITY, ClauseType.LIABILITY, ClauseType.DATA_SECURITY,
                  ClauseType.EXIT, ClauseType.DISPUTE):  # fmt: skip
            services.add_clause(
                contract=c, actor=manager, template=ClauseTemplate.objects.get(title=LIBRARY[t][0])
            )
        for m in spec["metrics"]:
            services.add_metric(contract=c, actor=manager, definition=m, calendar=cal)
        for name, trigger, due, amount, pct, criteria in spec["milestones"]:
            services.add_milestone(
                contract=c, actor=manager, name=name, trigger=trigger, due_date=due, amount=amount, percent=pct,
                acceptance_criteria=criteria,
            )  # fmt: skip
        if spec.get("price"):
            services.add_price_clause(
                contract=c, actor=approvers[Role.FINANCE], index_name="上海市最低工资标准（元/月）", index_kind="wage",
                base_value="2690", base_date=date(2025, 7, 1), threshold_percent="5", share_percent="50",
            )  # fmt: skip
        services.submit_for_approval(contract=c, actor=manager)
        while (step := services.current_step(c)) is not None:
            services.approve_step(contract=c, actor=approvers.get(step.role, actor), comment="同意")
        c.refresh_from_db()
        if spec.get("amend"):
            metric = c.sla_metrics.order_by("position").first()
            assert metric is not None
            new_def = {**metric.definition, "threshold_minutes": 10, "name": "P1 事件 10 分钟响应率"}
            metrics = [
                {"id": m.pk, "calendar_id": m.calendar_id, "definition": m.definition}
                for m in c.sla_metrics.order_by("position")
            ]
            metrics[0] = {"id": metric.pk, "calendar_id": metric.calendar_id, "definition": new_def}
            a = services.propose_amendment(
                contract=c, actor=manager, title="收紧 P1 响应时限并调整月费",
                reason="核心交易系统上线，P1 响应要求由 15 分钟提高到 10 分钟，月费相应上调。",
                effective_from=date(2026, 4, 1), changes={"monthly_fee": "195000", "sla_metrics": metrics},
            )  # fmt: skip
            services.submit_amendment(amendment=a, actor=manager)
            while (step := services.current_step(c, a)) is not None:
                services.approve_step(
                    contract=c, actor=approvers.get(step.role, actor), comment="同意", amendment=a
                )
