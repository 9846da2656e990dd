"""Reads that need care: scoped lists with their joins, and the dashboard's aggregates."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from waibao.core import clock
from waibao.quality.access import scoped
from waibao.quality.models import (
    VENDOR_STEPS,
    CapaStatus,
    CapaStep,
    ClassResult,
    Complaint,
    CorrectiveAction,
    Deliverable,
    Inspection,
    InspectionStatus,
    InspectionStream,
    NcrStatus,
    Nonconformance,
    QualityPlan,
    SatisfactionResult,
)

OPEN_NCR = [NcrStatus.OPEN, NcrStatus.CAPA]


def plans(user: Any, *, contract: str = "") -> QuerySet[QualityPlan]:
    qs = (
        scoped(QualityPlan, user)
        .select_related("contract", "contract__vendor")
        .prefetch_related("defect_classes", "inspectors")
    )
    if contract:
        qs = qs.filter(contract__code=contract)
    return qs.order_by("contract__code", "name")


def inspections(user: Any, *, status: str = "", contract: str = "") -> QuerySet[Inspection]:
    qs = (
        scoped(Inspection, user)
        .select_related("contract", "contract__vendor", "plan", "inspector")
        .prefetch_related(Prefetch("class_results", queryset=ClassResult.objects.order_by("severity")))
    )
    if status:
        qs = qs.filter(status=status)
    if contract:
        qs = qs.filter(contract__code=contract)
    return qs.order_by("-created_at", "-id")


def ncrs(
    user: Any, *, status: str = "", severity: str = "", vendor: int | None = None
) -> QuerySet[Nonconformance]:
    qs = scoped(Nonconformance, user).select_related("contract", "vendor", "capa")
    if status == "active":
        qs = qs.filter(status__in=OPEN_NCR)
    elif status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if vendor:
        qs = qs.filter(vendor_id=vendor)
    return qs.order_by("-raised_at", "-id")


def capas(user: Any, *, status: str = "") -> QuerySet[CorrectiveAction]:
    qs = (
        scoped(CorrectiveAction, user)
        .select_related("ncr", "ncr__vendor", "ncr__contract")
        .annotate(
            overdue_steps=Count(
                "steps",
                filter=Q(
                    steps__done_at__isnull=True,
                    steps__due_date__lt=clock.today(),
                    steps__step__in=VENDOR_STEPS,
                    status=CapaStatus.OPEN,
                ),
            )
        )
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def deliverables(user: Any, *, status: str = "") -> QuerySet[Deliverable]:
    qs = (
        scoped(Deliverable, user)
        .select_related("contract", "contract__vendor", "milestone")
        .annotate(version_count=Count("versions"))
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def complaints(user: Any, *, status: str = "") -> QuerySet[Complaint]:
    qs = scoped(Complaint, user).select_related("contract", "vendor", "ncr")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "-id")


def satisfaction(user: Any, *, contract: str = "") -> QuerySet[SatisfactionResult]:
    qs = scoped(SatisfactionResult, user).select_related("contract")
    if contract:
        qs = qs.filter(contract__code=contract)
    return qs.order_by("contract__code", "period")


def overdue_steps(user: Any) -> QuerySet[CapaStep]:
    return (
        scoped(CapaStep, user)
        .filter(
            capa__status=CapaStatus.OPEN,
            step__in=VENDOR_STEPS,
            done_at__isnull=True,
            due_date__lt=clock.today(),
        )
        .select_related("capa", "capa__ncr", "capa__ncr__vendor")
        .order_by("due_date")
    )


def dashboard(user: Any) -> dict[str, Any]:
    """Open NCRs by vendor and age, overdue 8D steps, rejected lots, stage per stream, complaints trend."""
    now = clock.now()
    buckets = [(7, "≤7"), (30, "8–30"), (90, "31–90"), (None, ">90")]
    by_vendor: dict[int, dict[str, Any]] = {}
    for ncr in ncrs(user, status="active"):
        age = (now - ncr.raised_at).days
        label = next(lbl for limit, lbl in buckets if limit is None or age <= limit)
        row = by_vendor.setdefault(
            ncr.vendor_id, {"vendor": ncr.vendor, "total": 0, **{lbl: 0 for _l, lbl in buckets}}
        )
        row[label] += 1
        row["total"] += 1
    since = now - timedelta(days=90)
    rejected = list(
        inspections(user).filter(status=InspectionStatus.COMPLETED, accepted=False, completed_at__gte=since)[
            :10
        ]
    )
    completed = (
        scoped(Inspection, user)
        .filter(status=InspectionStatus.COMPLETED, completed_at__gte=since)
        .aggregate(total=Count("id"), rejected=Count("id", filter=Q(accepted=False)))
    )
    streams = list(
        scoped(InspectionStream, user)
        .select_related("contract", "contract__vendor", "plan", "defect_class")
        .order_by("contract__code", "plan__name", "defect_class__severity")
    )
    # Complaints per month, last six months (oldest first).
    months: list[str] = []
    d = clock.today().replace(day=1)
    for _i in range(6):
        months.insert(0, d.strftime("%Y-%m"))
        d = (d - timedelta(days=1)).replace(day=1)
    counts: Counter[str] = Counter()
    for received in (
        scoped(Complaint, user)
        .filter(received_at__gte=clock.start_of_day(date.fromisoformat(f"{months[0]}-01")))
        .values_list("received_at", flat=True)
    ):
        counts[clock.local_date(received).strftime("%Y-%m")] += 1
    return {
        "ncr_by_vendor": sorted(by_vendor.values(), key=lambda r: -r["total"]),
        "age_buckets": [lbl for _l, lbl in buckets],
        "overdue": list(overdue_steps(user)[:20]),
        "rejected": rejected,
        "completed": completed,
        "streams": streams,
        "complaint_months": months,
        "complaint_counts": [counts.get(m, 0) for m in months],
    }


def scoped_inspections_for_vendor(user: Any, vendor_id: int) -> QuerySet[Inspection]:
    return scoped(Inspection, user).filter(contract__vendor_id=vendor_id)
