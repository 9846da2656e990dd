"""Reads of the delivery app that need care: dashboards, traceability, no N+1."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from waibao.contracts.models import IN_FORCE, Contract, SlaMetric
from waibao.core import clock
from waibao.delivery import engine
from waibao.delivery.access import visible_contracts, visible_records
from waibao.delivery.models import DisputeStatus, ManualValue, RecordDispute, ServiceRecord, SlaResult
from waibao.lib import slamath

RAG_ORDER = {"red": 0, "amber": 1, "grey": 2, "green": 3}


def rag(result: SlaResult | None) -> str:
    if result is None or result.status == "no_data":
        return "grey"
    if result.status == "missed" or result.warning == "breached":
        return "red"
    if result.status == "insufficient" or result.warning == "at_risk":
        return "amber"
    return "green"


def current_period(metric_window: str, today: date | None = None) -> str:
    return slamath.period_key(today or clock.today(), metric_window)


def metric_window(metric: SlaMetric) -> str:
    return str((metric.definition or {}).get("window") or "month")


def metric_unit(metric: SlaMetric) -> str:
    kind = (metric.definition or {}).get("kind")
    if kind in ("share_within", "rate"):
        return "%"
    if kind == "duration":
        return "min"
    return ""


@dataclass
class Cell:
    metric: SlaMetric
    result: SlaResult | None
    rag: str


@dataclass
class PortfolioRow:
    contract: Contract
    period: str
    cells: list[Cell] = field(default_factory=list)
    credit: Decimal = Decimal("0")

    @property
    def worst(self) -> str:
        return min((c.rag for c in self.cells), key=lambda r: RAG_ORDER[r], default="grey")

    @property
    def red(self) -> int:
        return sum(1 for c in self.cells if c.rag == "red")


def portfolio(user: Any, *, vendor_id: int | None = None, sort: str = "") -> list[PortfolioRow]:
    """Every in-force contract the user may see, with each metric's current-period RAG. Three queries."""
    today = clock.today()
    contracts = (
        visible_contracts(user).filter(status__in=IN_FORCE).select_related("vendor", "owner").order_by("code")
    )
    if vendor_id is not None:
        contracts = contracts.filter(vendor_id=vendor_id)
    contracts_list = list(contracts)
    if not contracts_list:
        return []
    ids = [c.pk for c in contracts_list]
    metrics: dict[int, list[SlaMetric]] = defaultdict(list)
    for m in SlaMetric.objects.filter(contract_id__in=ids, retired=False).order_by("position", "id"):
        metrics[m.contract_id].append(m)
    periods = {slamath.period_key(today, "month"), slamath.period_key(today, "quarter")}
    results = {
        (r.metric_id, r.period): r for r in SlaResult.objects.filter(contract_id__in=ids, period__in=periods)
    }
    rows = []
    month = slamath.period_key(today, "month")
    for c in contracts_list:
        row = PortfolioRow(c, month)
        for m in metrics.get(c.pk, []):
            r = results.get((m.pk, current_period(metric_window(m), today)))
            row.cells.append(Cell(m, r, rag(r)))
            if r is not None:
                row.credit += r.credit
        rows.append(row)
    if sort in ("rag", "-rag"):
        rows.sort(key=lambda r: (RAG_ORDER[r.worst], -r.red, r.contract.code), reverse=sort == "-rag")
    elif sort in ("vendor", "-vendor"):
        rows.sort(key=lambda r: r.contract.vendor.name, reverse=sort == "-vendor")
    elif sort in ("credit", "-credit"):
        rows.sort(key=lambda r: r.credit, reverse=sort == "-credit")
    elif sort == "-code":
        rows.sort(key=lambda r: r.contract.code, reverse=True)
    return rows


@dataclass
class MetricPanel:
    metric: SlaMetric
    unit: str
    window: str
    current: SlaResult | None
    rag: str
    history: list[SlaResult]
    chart: dict[str, Any]
    rule: str
    manual: bool = False
    manual_values: list[ManualValue] = field(default_factory=list)
    manual_periods: list[str] = field(default_factory=list)
    # Set by the page view: the entry form (bound, with errors, after a refused post) and, per shown
    # value, its confirm/reject form.
    entry_form: Any = None
    manual_rows: list[tuple[ManualValue, Any]] = field(default_factory=list)

    @property
    def chart_id(self) -> str:
        return f"chart-{self.metric.pk}"


def contract_dashboard(contract: Contract) -> dict[str, Any]:
    today = clock.today()
    metrics = list(contract.sla_metrics.filter(retired=False).order_by("position", "id"))
    all_results = list(SlaResult.objects.filter(contract=contract).order_by("period_start", "period"))
    by_metric: dict[int, list[SlaResult]] = defaultdict(list)
    for r in all_results:
        by_metric[r.metric_id].append(r)
    manual: dict[int, list[ManualValue]] = defaultdict(list)
    if any((m.definition or {}).get("kind") == "manual" for m in metrics):
        for mv in ManualValue.objects.filter(contract=contract).select_related("entered_by", "decided_by"):
            manual[mv.metric_id].append(mv)
    panels = []
    for m in metrics:
        window = metric_window(m)
        hist = [r for r in by_metric.get(m.pk, []) if ("Q" in r.period) == (window == "quarter")][-12:]
        cur_key = current_period(window, today)
        current = next((r for r in hist if r.period == cur_key), None)
        try:
            rule = engine.explain_rule(slamath.MetricDef.from_dict(m.definition))
        except slamath.InvalidMetric:
            rule = ""
        panel = MetricPanel(m, metric_unit(m), window, current, rag(current), hist, _chart(m, hist), rule)
        if (m.definition or {}).get("kind") == "manual":
            panel.manual = True
            panel.manual_values = manual.get(m.pk, [])[:6]
            panel.manual_periods = manual_periods(contract, window, today)
        panels.append(panel)
    year = str(today.year)
    credit = sum((r.credit for r in all_results if r.period.startswith(year)), Decimal("0"))
    bonus = sum((r.bonus for r in all_results if r.period.startswith(year)), Decimal("0"))
    counts = ServiceRecord.objects.filter(contract=contract).aggregate(
        n=Count("id"), month=Count("id", filter=Q(day__gte=today.replace(day=1)))
    )
    open_disputes = RecordDispute.objects.filter(contract=contract, status=DisputeStatus.OPEN).count()
    month_start, month_end = slamath.period_bounds(slamath.period_key(today, "month"))
    elapsed = slamath.elapsed_fraction(slamath.period_key(today, "month"), today)
    closable = sorted(
        {
            r.period
            for r in all_results
            if not r.closed and "Q" not in r.period and slamath.period_bounds(r.period)[1] <= today
        },
        reverse=True,
    )[:6]
    return {
        "panels": panels,
        "credit_year": credit,
        "bonus_year": bonus,
        "records": counts["n"],
        "records_month": counts["month"],
        "open_disputes": open_disputes,
        "elapsed_percent": int(elapsed * 100),
        "month_start": month_start,
        "month_end": month_end,
        "closable": closable,
        "year": year,
    }


def manual_periods(contract: Contract, window: str, today: date, count: int = 6) -> list[str]:
    """The latest periods a manual value can be entered for (newest first, within the contract)."""
    end = min(today, contract.end_date) if contract.end_date else today
    keys = slamath.periods_between(contract.start_date, end, window)
    return list(reversed(keys))[:count]


def _chart(metric: SlaMetric, hist: list[SlaResult]) -> dict[str, Any]:
    target = float((metric.definition or {}).get("target") or 0)
    periods = [r.period for r in hist]
    values = [None if r.value is None else round(r.value, 2) for r in hist]
    colors = {"red": "#dc3545", "amber": "#fd7e14", "green": "#198754", "grey": "#adb5bd"}
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 44, "top": 24, "bottom": 28},
        "xAxis": {"type": "category", "data": periods},
        "yAxis": {"type": "value", "scale": True},
        "series": [
            {
                "type": "line",
                "name": metric.name,
                "data": [
                    {"value": v, "itemStyle": {"color": colors[rag(r)]}}
                    for v, r in zip(values, hist, strict=True)
                ],
                "symbolSize": 8,
                "lineStyle": {"color": "#0d6efd"},
                "markLine": {
                    "symbol": "none",
                    "lineStyle": {"type": "dashed", "color": "#dc3545"},
                    "data": [{"yAxis": target, "name": "target"}],
                },
            },
        ],
    }


def results_for(contract: Contract, period: str | None = None) -> QuerySet[SlaResult]:
    qs = (
        SlaResult.objects.filter(contract=contract)
        .select_related("metric")
        .order_by("period_start", "period", "metric__position", "metric_id")
    )
    if period:
        qs = qs.filter(period=period)
    return qs


def records_for(user: Any, contract: Contract, params: Any) -> QuerySet[ServiceRecord]:
    qs = visible_records(user).filter(contract=contract)
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(external_id__icontains=q) | Q(category__icontains=q))
    for name in ("kind", "priority", "status"):
        if params.get(name):
            qs = qs.filter(**{name: params.get(name)})
    period = params.get("period") or ""
    if period:
        try:
            start, end = slamath.period_bounds(period)
            qs = qs.filter(day__gte=start, day__lt=end)
        except ValueError:
            pass
    return qs.order_by("-day", "-opened_at", "-id")


def missed_records(
    contract: Contract, metric: SlaMetric, period: str, limit: int = 500
) -> tuple[list[tuple[ServiceRecord, int | None]], int, str]:
    """Records of the period that count against the metric (with business seconds), the total, the rule."""
    start, _end = slamath.period_bounds(period)
    cache = engine.TermsCache(contract)
    _terms, runners = cache.for_period_start(start)
    runner = next((r for r in runners if r.metric_id == metric.pk), None)
    if runner is None:
        return [], 0, ""
    s, e = slamath.period_bounds(period)
    qs = ServiceRecord.objects.filter(contract=contract, day__gte=s, day__lt=e).order_by("day", "id")
    if runner.definition.record_kind:
        qs = qs.filter(kind=runner.definition.record_kind)
    out: list[tuple[ServiceRecord, int | None]] = []
    total = 0
    for rec in qs.iterator(chunk_size=2000):
        values = {f: getattr(rec, f) for f in engine.RECORD_VALUE_FIELDS if f != "id"}
        bad, secs = engine.missed(runner, values)
        if bad:
            total += 1
            if len(out) < limit:
                out.append((rec, secs))
    return out, total, engine.explain_rule(runner.definition)


def open_disputes(user: Any) -> QuerySet[RecordDispute]:
    from waibao.delivery.access import visible_disputes

    return visible_disputes(user).select_related("record", "raised_by").order_by("status", "-raised_at")


def credit_totals(contract: Contract) -> dict[str, Decimal]:
    agg = SlaResult.objects.filter(contract=contract).aggregate(credit=Sum("credit"), bonus=Sum("bonus"))
    return {k: v or Decimal("0") for k, v in agg.items()}


def record_impact(record: ServiceRecord) -> list[dict[str, Any]]:
    """For the record page: which SLA metrics it counts in, its business minutes and whether it missed."""
    runners = engine.TermsCache(record.contract).runners_for_day(record.day)
    values = {f: getattr(record, f) for f in engine.RECORD_VALUE_FIELDS if f != "id"}
    out = []
    rec = engine.flat(values)
    for r in runners:
        if r.definition.kind == "manual" or not slamath.matches(r.definition, rec):
            continue
        missed, secs = engine.missed(r, values)
        # A counted event is neither met nor missed on its own.
        bad: bool | None = None if r.definition.kind == "count" else missed
        period = slamath.period_key(record.day, r.definition.window)
        out.append(
            {
                "metric_id": r.metric_id,
                "name": r.name,
                "period": period,
                "missed": bad,
                "minutes": None if secs is None else round(secs / 60, 1),
                "rule": engine.explain_rule(r.definition),
            }
        )
    return out
