"""The full terms of a contract as plain JSON: what a :class:`ContractVersion` keeps."""

from __future__ import annotations

from typing import Any

from waibao.contracts.models import Contract

#: Contract fields kept in a version snapshot (and compared by the version diff).
TERM_FIELDS: tuple[str, ...] = (
    "title", "category", "scope", "objectives", "department", "start_date", "end_date", "renewal_type",
    "notice_days", "total_value", "monthly_fee", "currency", "credit_cap_percent", "bonus_cap_percent",
)  # fmt: skip


def _plain(value: Any) -> Any:
    from datetime import date
    from decimal import Decimal

    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def sla_snapshot(contract: Contract) -> dict[str, Any]:
    """The part of :func:`contract_snapshot` SLA evaluation reads: the terms and the SLA metrics."""
    snap: dict[str, Any] = {name: _plain(getattr(contract, name)) for name in TERM_FIELDS}
    snap["owner_id"] = contract.owner_id
    snap["custom_fields"] = contract.custom_fields or {}
    snap["sla_metrics"] = [
        {
            "id": m.pk,
            "name": m.name,
            "record_kind": m.record_kind,
            "calendar_id": m.calendar_id,
            "calendar": m.calendar.name if m.calendar_id else None,
            "definition": m.definition,
        }
        for m in contract.sla_metrics.filter(retired=False)
        .select_related("calendar")
        .order_by("position", "id")
    ]
    return snap


def contract_snapshot(contract: Contract) -> dict[str, Any]:
    """Terms, clauses, SLA metrics (with calendar ids), milestones and price clauses of the live contract."""
    snap = sla_snapshot(contract)
    snap["clauses"] = [
        {"id": c.pk, "clause_type": c.clause_type, "title": c.title, "text": c.text}
        for c in contract.clauses.all().order_by("position", "id")
    ]
    snap["milestones"] = [
        {
            "id": ms.pk,
            "name": ms.name,
            "trigger": ms.trigger,
            "due_date": _plain(ms.due_date),
            "amount": _plain(ms.amount),
            "percent": _plain(ms.percent),
            "acceptance_criteria": ms.acceptance_criteria,
        }
        for ms in contract.milestones.all().order_by("position", "due_date", "id")
    ]
    snap["price_adjustments"] = [
        {
            "id": p.pk,
            "index_name": p.index_name,
            "index_kind": p.index_kind,
            "base_value": _plain(p.base_value),
            "threshold_percent": _plain(p.threshold_percent),
            "share_percent": _plain(p.share_percent),
            "formula": p.formula,
        }
        for p in contract.price_adjustments.all().order_by("id")
    ]
    return snap
