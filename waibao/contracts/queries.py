"""Reads that need care: the contract list with filters, dashboard lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from waibao.contracts.access import visible_contracts
from waibao.contracts.models import IN_FORCE, ApprovalStep, Contract, StepStatus
from waibao.core import clock

#: The furthest ahead "contracts ending within N days" looks.
ENDING_WITHIN_MAX = 36500


@dataclass
class ContractFilter:
    q: str = ""
    vendor: str = ""
    status: str = ""
    ending_within: int | None = None  # days, 0..ENDING_WITHIN_MAX
    end_before: Any = None
    end_after: Any = None
    category: str = ""


def contract_list(user: Any, f: ContractFilter | None = None) -> QuerySet[Contract]:
    f = f or ContractFilter()
    qs = (
        visible_contracts(user)
        .select_related("vendor", "owner")
        .annotate(metric_count=Count("sla_metrics", filter=Q(sla_metrics__retired=False), distinct=True))
    )
    if f.q:
        qs = qs.filter(Q(code__icontains=f.q) | Q(title__icontains=f.q) | Q(vendor__name__icontains=f.q))
    if f.vendor:
        v = str(f.vendor)
        qs = qs.filter(vendor_id=int(v)) if v.isdigit() and int(v) < 2**63 else qs.filter(vendor__code=v)
    if f.status:
        qs = qs.filter(status__in=[s for s in str(f.status).split(",") if s])
    if f.category:
        qs = qs.filter(category=f.category)
    if f.ending_within is not None and 0 <= int(f.ending_within) <= ENDING_WITHIN_MAX:
        today = clock.today()
        qs = qs.filter(end_date__gte=today, end_date__lte=today + timedelta(days=int(f.ending_within)))
    if f.end_before:
        qs = qs.filter(end_date__lte=f.end_before)
    if f.end_after:
        qs = qs.filter(end_date__gte=f.end_after)
    return qs.order_by("-start_date", "-code")


def ending_soon(user: Any, days: int = 90) -> QuerySet[Contract]:
    today = clock.today()
    return (
        visible_contracts(user)
        .filter(status__in=IN_FORCE, end_date__gte=today, end_date__lte=today + timedelta(days=days))
        .select_related("vendor")
        .order_by("end_date")
    )


def awaiting_approval(user: Any) -> QuerySet[ApprovalStep]:
    """Pending approval steps at the user's role (contracts and amendments)."""
    return (
        ApprovalStep.objects.filter(status=StepStatus.PENDING, role=getattr(user, "role", None))
        .filter(contract__in=visible_contracts(user))
        .select_related("contract", "contract__vendor", "amendment")
        .order_by("contract__code")
    )
