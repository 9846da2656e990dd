"""Contracts with SLA metrics for delivery tests (built the way the contracts app stores them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from waibao.calendars.models import Calendar
from waibao.calendars.services import ensure_builtin_calendars
from waibao.contracts.models import Contract, SlaMetric

P1_RESPONSE = {
    "name": "P1 响应及时率",
    "kind": "share_within",
    "record_kind": "ticket",
    "filter": [["priority", "eq", "P1"]],
    "target": "95",
    "threshold_minutes": 30,
    "min_sample": 3,
    "tiers": [
        {"from": "0", "to": "90", "consequence": "credit_percent", "amount": "5"},
        {"from": "90", "to": "95", "consequence": "credit_percent", "amount": "2"},
        {"from": "95", "to": "100", "consequence": "none"},
    ],
}
CSAT = {
    "name": "客户满意度",
    "kind": "average",
    "record_kind": "ticket",
    "field": "csat",
    "target": "4.5",
    "tiers": [
        {"from": "0", "to": "4.5", "consequence": "credit_percent", "amount": "10"},
        {"from": "4.5", "to": "5", "consequence": "none"},
    ],
}
P1_COUNT = {
    "name": "P1 事件数",
    "kind": "count",
    "record_kind": "ticket",
    "filter": [["priority", "eq", "P1"]],
    "target": "2",
    "direction": "lower",
}
RESOLUTION = {
    "name": "P1 解决时长中位数",
    "kind": "duration",
    "record_kind": "ticket",
    "filter": [["priority", "eq", "P1"]],
    "start_field": "opened_at",
    "end_field": "resolved_at",
    "statistic": "median",
    "target": "240",
    "direction": "lower",
}
ON_TIME = {
    "name": "准时送达率",
    "kind": "rate",
    "record_kind": "delivery",
    "start_field": "delivered_at",
    "end_field": "promised_at",
    "target": "98",
}
DEFECTS = {
    "name": "缺陷率",
    "kind": "rate",
    "record_kind": "delivery",
    "flag": "defect",
    "target": "2",
    "direction": "lower",
}


def calendar(preset: str = "china-mainland") -> Calendar:
    ensure_builtin_calendars()
    return Calendar.objects.get(preset=preset)


def make_contract(
    vendor: Any,
    *,
    code: str = "CT-2026-0001",
    owner: Any = None,
    metrics: list[dict[str, Any]] | None = None,
    cap: str = "12",
    fee: str = "100000.00",
    start: date = date(2026, 1, 1),
    status: str = "active",
    cal: str = "china-mainland",
    csat_scale: str = "score5",  # the CSAT metric here averages 1–5 ratings
) -> Contract:
    c = Contract.objects.create(
        code=code,
        vendor=vendor,
        title="IT 运维服务",
        category="it_services",
        start_date=start,
        status=status,
        monthly_fee=Decimal(fee),
        credit_cap_percent=Decimal(cap),
        owner=owner,
        csat_scale=csat_scale,
    )
    for i, d in enumerate(metrics if metrics is not None else [P1_RESPONSE, CSAT, P1_COUNT]):
        SlaMetric.objects.create(
            contract=c,
            name=d["name"],
            record_kind=d.get("record_kind", ""),
            definition=d,
            calendar=calendar(cal),
            position=i,
        )
    return c
