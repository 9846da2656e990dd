"""Contracts built through the services, as a user would."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from waibao.calendars.models import Calendar
from waibao.calendars.services import ensure_builtin_calendars
from waibao.contracts import services
from waibao.contracts.models import ClauseType, Contract
from waibao.core import clock

CLAUSE_TEXTS = {
    ClauseType.SCOPE: "乙方提供 7×24 小时 IT 运维服务。",
    ClauseType.QUALITY: "按附件一的服务水平执行。",
    ClauseType.PAYMENT: "按月结算，验收后 30 日内付款。",
    ClauseType.CONFIDENTIALITY: "双方对对方商业秘密负有保密义务。",
    ClauseType.LIABILITY: "未达服务水平按附件一扣减服务费。",
    ClauseType.DATA_SECURITY: "数据存储于中国境内，符合《个人信息保护法》。",
    ClauseType.EXIT: "终止时乙方应在 30 日内返还全部数据并配合迁移。",
}

METRIC = {
    "name": "P1 工单 30 分钟响应率",
    "kind": "share_within",
    "record_kind": "ticket",
    "filter": [["priority", "eq", "P1"]],
    "target": "95",
    "threshold_minutes": 30,
    "min_sample": 5,
    "tiers": [
        {"from": "0", "to": "90", "consequence": "credit_percent", "amount": "5"},
        {"from": "90", "to": "95", "consequence": "credit_percent", "amount": "2"},
        {"from": "95", "to": "99", "consequence": "none"},
        {"from": "99", "to": "100", "consequence": "bonus_percent", "amount": "1"},
    ],
}


#: A term of calendar 2026, for tests written about particular 2026 dates; such tests also travel to a day in
#: that term (fixture ``in_2026``), since a term that has ended cannot be approved to "active".
TERM_2026: dict[str, Any] = {"start_date": date(2026, 1, 1), "end_date": date(2026, 12, 31)}


def china() -> Calendar:
    ensure_builtin_calendars()
    return Calendar.objects.get(preset="china-mainland")


def draft_contract(actor: Any, vendor: Any, **values: Any) -> Contract:
    """A draft whose default term runs from 1 January of the current year (the injectable clock's) for two
    years, so it can be approved to "active" whatever year the tests run in (a term that has already ended
    cannot be); tests about particular dates pass them, or travel in time."""
    start = date(clock.today().year, 1, 1)
    data: dict[str, Any] = {
        "title": "IT 运维外包服务合同",
        "category": "it_services",
        "start_date": start,
        "end_date": date(start.year + 1, 12, 31),
        "monthly_fee": Decimal("100000.00"),
        "total_value": Decimal("1200000.00"),
        "notice_days": 30,
    }
    data.update(values)
    return services.create_contract(actor=actor, vendor=vendor, **data)


def with_required_clauses(contract: Contract, actor: Any) -> Contract:
    for t, text in CLAUSE_TEXTS.items():
        services.add_clause(contract=contract, actor=actor, clause_type=t, text=text)
    return contract


def approve_all(contract: Contract, approvers: dict[str, Any]) -> Contract:
    while (step := services.current_step(contract)) is not None:
        contract = services.approve_step(contract=contract, actor=approvers[step.role], comment="同意")
    return contract


def active_contract(
    actor: Any, vendor: Any, approvers: dict[str, Any], metric: bool = True, **values: Any
) -> Contract:
    c = with_required_clauses(draft_contract(actor, vendor, **values), actor)
    if metric:
        services.add_metric(contract=c, actor=actor, definition=dict(METRIC), calendar=china())
    c = services.submit_for_approval(contract=c, actor=actor)
    return approve_all(c, approvers)
