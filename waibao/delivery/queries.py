"""Reads of the delivery app that need care: dashboards, traceability, no N+1."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from waibao.contracts import metric_ui, selectors
from waibao.contracts.models import IN_FORCE, Contract, SlaMetric
from waibao.core import clock
from waibao.delivery import engine, formatting
from waibao.delivery.access import visible_contracts, visible_records
from waibao.delivery.formatting import rule_text
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
        from django.utils.translation import gettext

        return gettext("小时")  # duration results are shown in hours (stored in business minutes)
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


def month_of(period: str) -> str:
    """The month a period key starts in ("2026-Q4" → "2026-10")."""
    start, _end = slamath.period_bounds(period)
    return slamath.period_key(start, "month")


def data_months(contract_ids: Any) -> list[str]:
    """Months (newest first) in which any of the contracts has an SLA result with data: the periods a
    period picker offers. A quarter with data counts for its first month. One indexed query."""
    keys = (
        SlaResult.objects.filter(contract_id__in=contract_ids)
        .exclude(status="no_data")
        .order_by()
        .values_list("period", flat=True)
        .distinct()
    )
    return sorted({month_of(k) for k in keys}, reverse=True)


def pick_month(requested: str | None, months: list[str], today: date | None = None) -> str:
    """The month a page shows: the requested one when it is a valid month key, else the latest month
    with data, else the current month (then the page truthfully shows that there is no data)."""
    if requested:
        try:
            start, _end = slamath.period_bounds(requested)
        except ValueError:
            start = None
        if start is not None and "Q" not in requested and slamath.period_key(start, "month") == requested:
            return requested
    if months:
        return months[0]
    return slamath.period_key(today or clock.today(), "month")


def picker_months(months: list[str], selected: str, today: date | None = None) -> list[str]:
    """The picker's options: every month with data, the selected one and the current month, newest first."""
    current = slamath.period_key(today or clock.today(), "month")
    return sorted({*months, selected, current}, reverse=True)


def period_for(metric: SlaMetric, month: str) -> str:
    """The metric's period that contains ``month`` (the month itself, or its quarter)."""
    return slamath.period_key(slamath.period_bounds(month)[0], metric_window(metric))


def portfolio(
    user: Any, *, vendor_id: int | None = None, sort: str = "", period: str | None = None
) -> list[PortfolioRow]:
    """Every in-force contract the user may see, with each metric's RAG for one month (its quarter for
    quarterly metrics): ``period`` when given, else the latest month with data among these contracts.
    Four queries."""
    contracts = (
        visible_contracts(user).filter(status__in=IN_FORCE).select_related("vendor", "owner").order_by("code")
    )
    if vendor_id is not None:
        contracts = contracts.filter(vendor_id=vendor_id)
    contracts_list = list(contracts)
    if not contracts_list:
        return []
    ids = [c.pk for c in contracts_list]
    month = period if period else pick_month(None, data_months(ids))
    metrics: dict[int, list[SlaMetric]] = defaultdict(list)
    for m in (
        SlaMetric.objects.filter(contract_id__in=ids, retired=False)
        .select_related("calendar")
        .order_by("position", "id")
    ):
        metrics[m.contract_id].append(m)
    start = slamath.period_bounds(month)[0]
    periods = {month, slamath.period_key(start, "quarter")}
    results = {
        (r.metric_id, r.period): r for r in SlaResult.objects.filter(contract_id__in=ids, period__in=periods)
    }
    rows = []
    for c in contracts_list:
        row = PortfolioRow(c, month)
        for m in metrics.get(c.pk, []):
            r = results.get((m.pk, period_for(m, month)))
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


def portfolio_months(user: Any, *, vendor_id: int | None = None) -> list[str]:
    """Months with data among the in-force contracts the user may see (newest first)."""
    contracts = visible_contracts(user).filter(status__in=IN_FORCE)
    if vendor_id is not None:
        contracts = contracts.filter(vendor_id=vendor_id)
    return data_months(contracts.values("pk"))


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
    # The metric's period shown (the selected month, or its quarter).
    period: str = ""

    @property
    def chart_id(self) -> str:
        return f"chart-{self.metric.pk}"


@dataclass
class HistoryRow:
    """One period of the contract's history: each metric's result (None where it has none)."""

    period: str
    cells: list[tuple[SlaMetric, SlaResult | None]]
    credit: Decimal


HISTORY_PAGE_SIZE = 12


def contract_dashboard(contract: Contract, month: str | None = None, history_page: Any = 1) -> dict[str, Any]:
    """The contract delivery page for one month (``month``, else the latest month with data): each
    metric's result for that month (its quarter for quarterly metrics), the twelve periods up to it,
    year-to-date credits of the month's year up to it, and the whole history of periods, paged."""
    from django.core.paginator import Paginator

    today = clock.today()
    metrics = list(
        contract.sla_metrics.filter(retired=False).select_related("calendar").order_by("position", "id")
    )
    all_results = list(SlaResult.objects.filter(contract=contract).order_by("period_start", "period"))
    months = sorted({month_of(r.period) for r in all_results if r.status != "no_data"}, reverse=True)
    selected = pick_month(month, months, today)
    sel_start, sel_end = slamath.period_bounds(selected)
    by_metric: dict[int, list[SlaResult]] = defaultdict(list)
    for r in all_results:
        by_metric[r.metric_id].append(r)
    manual: dict[int, list[ManualValue]] = defaultdict(list)
    if any((m.definition or {}).get("kind") == "manual" for m in metrics):
        for mv in ManualValue.objects.filter(contract=contract).select_related("entered_by", "decided_by"):
            manual[mv.metric_id].append(mv)
    panels = []
    versions: list[Any] | None = None  # read once, for the first manual metric
    for m in metrics:
        window = metric_window(m)
        key = period_for(m, selected)
        hist = [
            r
            for r in by_metric.get(m.pk, [])
            if ("Q" in r.period) == (window == "quarter") and r.period_start <= sel_start
        ][-12:]
        current = next((r for r in hist if r.period == key), None)
        panel = MetricPanel(
            m,
            metric_unit(m),
            window,
            current,
            rag(current),
            hist,
            _chart(m, hist),
            rule_text(m.definition, formatting.day_minutes(m)),
        )
        panel.period = key
        if (m.definition or {}).get("kind") == "manual":
            panel.manual = True
            panel.manual_values = manual.get(m.pk, [])[:6]
            if versions is None:
                versions = selectors.version_rows(contract)
            panel.manual_periods = metric_manual_periods(contract, m, today, versions=versions)
        panels.append(panel)
    year = str(sel_start.year)
    in_ytd = [r for r in all_results if r.period.startswith(year) and r.period_start <= sel_start]
    credit = sum((r.credit for r in in_ytd), Decimal("0"))
    bonus = sum((r.bonus for r in in_ytd), Decimal("0"))
    counts = ServiceRecord.objects.filter(contract=contract).aggregate(
        n=Count("id"), month=Count("id", filter=Q(day__gte=sel_start, day__lt=sel_end))
    )
    open_disputes = RecordDispute.objects.filter(contract=contract, status=DisputeStatus.OPEN).count()
    is_open = sel_start <= today < sel_end
    elapsed = slamath.elapsed_fraction(selected, today) if is_open else (1.0 if today >= sel_end else 0.0)
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
        "period_open": is_open,
        "month_start": sel_start,
        "month_end": sel_end,
        "closable": closable,
        "year": year,
        "period": selected,
        "periods": picker_months(months, selected, today),
        "has_data": bool(months),
        "history": Paginator(_history(metrics, all_results), HISTORY_PAGE_SIZE).get_page(history_page),
    }


def _history(metrics: list[SlaMetric], results: list[SlaResult]) -> list[HistoryRow]:
    """Every period with a result, newest first (a quarter after its last month), each metric's result."""
    by_key: dict[str, dict[int, SlaResult]] = defaultdict(dict)
    for r in results:
        by_key[r.period][r.metric_id] = r
    rows = []
    for key in sorted(by_key, key=lambda k: (slamath.period_bounds(k)[1], "Q" in k), reverse=True):
        cells = [(m, by_key[key].get(m.pk)) for m in metrics]
        credit = sum((r.credit for r in by_key[key].values()), Decimal("0"))
        rows.append(HistoryRow(key, cells, credit))
    return rows


def metric_manual_periods(
    contract: Contract, metric: SlaMetric, today: date, *, versions: list[Any] | None = None
) -> list[str]:
    """The periods the page offers for a manual metric's value: the latest ones in which it is in force."""
    ranges = selectors.metric_in_force(contract, metric.pk, versions=versions)
    return manual_periods(contract, metric_window(metric), today, in_force=ranges)


def manual_periods(
    contract: Contract,
    window: str,
    today: date,
    count: int = 6,
    in_force: list[tuple[date, date | None]] | None = None,
) -> list[str]:
    """The latest periods a manual value can be entered for (newest first, within the contract); with
    ``in_force`` (``selectors.metric_in_force``), only periods measured by a version that has the metric."""
    end = min(today, contract.end_date) if contract.end_date else today
    keys = slamath.periods_between(contract.start_date, end, window)
    if in_force is not None:
        keys = [
            k
            for k in keys
            if selectors.in_ranges(in_force, max(slamath.period_bounds(k)[0], contract.start_date))
        ]
    return list(reversed(keys))[:count]


def _chart(metric: SlaMetric, hist: list[SlaResult]) -> dict[str, Any]:
    """The metric's line over its periods with the target as a dashed line. The value axis always takes in
    the target (a month at 55–59 % against a 60 % target shows the line, not an axis that stops short).
    Duration results (business minutes) are drawn in the unit the target is said in: business days when
    the target is whole days of the metric's calendar, else business hours."""
    definition = metric.definition or {}
    per = 1.0
    unit = "%" if definition.get("kind") in ("share_within", "rate") else ""
    if definition.get("kind") == "duration":
        per_day = formatting.day_minutes(metric)
        _value, target_unit = metric_ui.best_unit(Decimal(str(definition.get("target") or 0)), per_day)
        if target_unit == "days":
            per, unit = float(per_day), str(metric_ui.UNIT_LABELS["days"])
        else:
            per, unit = 60.0, str(metric_ui.UNIT_LABELS["hours"])
    target = float(definition.get("target") or 0) / per
    periods = [r.period for r in hist]
    values = [None if r.value is None else round(r.value / per, 2) for r in hist]
    shown = [v for v in values if v is not None] + [target]
    low, high = min(shown), max(shown)
    pad = (high - low) * 0.1 or max(abs(high) * 0.1, 1.0)
    bottom, top = low - pad, high + pad
    if low >= 0:
        bottom = max(bottom, 0.0)
    if unit == "%" and high <= 100:
        top = min(top, 100.0)
    step = _axis_step(top - bottom)
    bottom, top = _round_to(bottom, step, down=True), _round_to(top, step, down=False)
    colors = {"red": "#dc3545", "amber": "#fd7e14", "green": "#198754", "grey": "#adb5bd"}
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 44, "top": 28, "bottom": 28},
        "xAxis": {"type": "category", "data": periods},
        "yAxis": {
            "type": "value",
            "name": unit,
            "min": bottom,
            "max": top,
            "interval": step,
        },
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


def _axis_step(span: float) -> float:
    """A round tick step giving the axis about two to ten ticks: 1, 2 or 5 times a power of ten."""
    import math

    magnitude = 10 ** math.floor(math.log10(span)) if span > 0 else 1.0
    for factor in (0.2, 0.5, 1.0, 2.0):
        if span / (magnitude * factor) <= 8:
            return round(magnitude * factor, 10)
    return magnitude * 5


def _round_to(value: float, step: float, *, down: bool) -> float:
    """``value`` moved outward to a multiple of ``step`` (so the axis ends on a tick)."""
    import math

    n = value / step
    n = math.floor(n + 1e-9) if down else math.ceil(n - 1e-9)
    return round(n * step, 10)


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


# --- traceability: the records that count against a metric in one period --------------------------
#
# Whether a record missed needs its business time through the metric's calendar, which the database
# cannot compute, so the list is read in an indexed order (the period's days by the (contract, day,
# opened_at, id) index, or external ids by the unique key) in growing chunks from a scan position, each
# record checked by ``engine.missed``, until one page and one more row are found. A page never counts
# the period: "next" exists when the extra row was found. SQL narrows the scan first where a miss has
# a necessary condition the database can check (business time never exceeds wall-clock time; a CSAT
# below target; a defect), and each page examines at most ``SCAN_LIMIT`` records, ending with a
# "continue" position when nothing more was found in them.

MISSED_SORTS: dict[str, tuple[str, ...]] = {
    "opened": ("day", "opened_at", "id"),
    "-opened": ("-day", "-opened_at", "-id"),
    "external_id": ("external_id",),
    "-external_id": ("-external_id",),
}
MISSED_PAGE_SIZE = 50
SCAN_LIMIT = 20_000
_FIRST_CHUNK, _MAX_CHUNK = 200, 5_000
_TEXT_FIELDS = ("priority", "category", "status", "kind")


@dataclass
class MissedFilters:
    sort: str = "opened"
    q: str = ""  # part of the external id
    min_over_hours: Decimal | None = None  # at least this late (timed metrics and deadlines)


@dataclass
class MissedItem:
    record: dict[str, Any]
    seconds: int | None  # business seconds from start to end (timed metrics)
    over: int | None  # seconds beyond the limit or deadline; None when not measurable


@dataclass
class MissedPage:
    items: list[MissedItem]
    next_at: int | None  # scan position of the next page, None at the end
    partial: bool  # the scan limit was reached before a full page was found
    rule: str
    definition: dict[str, Any]
    per_day: int = 480  # business minutes in a workday of the metric's calendar in the period


def _runner(contract: Contract, metric: SlaMetric, period: str) -> engine.Runner | None:
    start, _end = slamath.period_bounds(period)
    _terms, runners = engine.TermsCache(contract).for_period_start(start)
    return next((r for r in runners if r.metric_id == metric.pk), None)


def _necessary(d: slamath.MetricDef) -> Q:
    """A condition every missed record satisfies (so the database can skip the others); Q() if none."""
    from datetime import timedelta

    from django.db.models import F

    std = slamath.STANDARD_FIELDS
    q = Q()
    for cond in d.filter:
        if cond.field in _TEXT_FIELDS and cond.op == "eq" and isinstance(cond.value, str):
            q &= Q(**{cond.field: cond.value})
        elif cond.field in _TEXT_FIELDS and cond.op == "in" and all(isinstance(v, str) for v in cond.value):
            q &= Q(**{f"{cond.field}__in": list(cond.value)})
    limit: Decimal | int | None = None
    if d.kind == "share_within" and d.threshold_minutes is not None:
        limit = int(d.threshold_minutes)
    elif d.kind == "duration" and d.direction == "lower":
        limit = d.target
    timed = d.start_field in std and d.end_field in std
    if limit is not None and timed and d.start_field and d.end_field:
        # Business time never exceeds the wall-clock time between the two (pauses only subtract), so
        # a record that took no longer than the limit on the clock cannot have missed.
        s, e = d.start_field, d.end_field
        q &= (
            Q(**{f"{s}__isnull": True})
            | Q(**{f"{e}__isnull": True})
            | Q(**{f"{e}__gt": F(s) + timedelta(minutes=float(limit))})
        )
    elif d.kind == "average" and (d.field or "csat") == "csat":
        q &= Q(csat__lt=d.target) if d.direction == "higher" else Q(csat__gt=d.target)
    elif d.kind == "rate" and d.flag == "defect" and d.direction == "lower":
        q &= Q(defect=True)
    return q


def _over(d: slamath.MetricDef, values: dict[str, Any], secs: int | None) -> int | None:
    if d.kind == "share_within" and secs is not None:
        return max(0, secs) - int(d.threshold_minutes or 0) * 60
    if d.kind == "duration" and secs is not None and d.direction == "lower":
        return int(max(0, secs) - d.target * 60)
    if d.kind == "rate" and not d.flag and d.start_field and d.end_field:
        actual, deadline = values.get(d.start_field), values.get(d.end_field)
        if isinstance(actual, datetime) and isinstance(deadline, datetime):
            return int((actual - deadline).total_seconds())
    return None


def measures_lateness(definition: Any) -> bool:
    """Whether the metric has a limit or deadline to be late against (the "how late" filter and column)."""
    d = definition or {}
    kind = d.get("kind")
    return (
        kind == "share_within"
        or (kind == "duration" and d.get("direction") == "lower")
        or (kind == "rate" and not d.get("flag"))
    )


def iter_missed(
    contract: Contract,
    metric: SlaMetric,
    period: str,
    filters: MissedFilters,
    *,
    at: int = 0,
    scan_limit: int | None = None,
) -> Any:
    """Yield (scan position, MissedItem) from scan position ``at``; then, if ``scan_limit`` records were
    examined first, yield (position reached, None) once and stop. The runner must exist."""
    runner = _runner(contract, metric, period)
    if runner is None:
        return
    d = runner.definition
    s, e = slamath.period_bounds(period)
    qs = ServiceRecord.objects.filter(contract=contract, day__gte=s, day__lt=e)
    if d.record_kind:
        qs = qs.filter(kind=d.record_kind)
    qs = qs.filter(_necessary(d))
    if filters.q:
        qs = qs.filter(external_id__icontains=filters.q)
    min_over = None if filters.min_over_hours is None else filters.min_over_hours * 3600
    qs = qs.order_by(*MISSED_SORTS.get(filters.sort, MISSED_SORTS["opened"])).values(
        *engine.RECORD_VALUE_FIELDS
    )
    pos, chunk, examined = at, _FIRST_CHUNK, 0
    while True:
        if scan_limit is not None:
            chunk = min(chunk, scan_limit - examined)
            if chunk <= 0:
                yield pos, None
                return
        batch = list(qs[pos : pos + chunk])
        for i, values in enumerate(batch):
            bad, secs = engine.missed(runner, {k: v for k, v in values.items() if k != "id"})
            if not bad:
                continue
            over = _over(d, values, secs)
            if min_over is not None and (over is None or over < min_over):
                continue
            yield pos + i, MissedItem(values, secs, over)
        examined += len(batch)
        pos += len(batch)
        if len(batch) < chunk:
            return
        chunk = min(chunk * 2, _MAX_CHUNK)


def missed_definition(contract: Contract, metric: SlaMetric, period: str) -> dict[str, Any]:
    """The metric's definition in force in the period (raises ValueError for a malformed period)."""
    runner = _runner(contract, metric, period)
    return runner.definition.to_dict() if runner is not None else dict(metric.definition or {})


def missed_page(
    contract: Contract,
    metric: SlaMetric,
    period: str,
    filters: MissedFilters,
    *,
    at: int = 0,
    page_size: int = MISSED_PAGE_SIZE,
    scan_limit: int = SCAN_LIMIT,
) -> MissedPage:
    """One page of the records that count against ``metric`` in ``period``, from scan position ``at``.

    Raises ValueError for a malformed period. Never counts the whole period (see above)."""
    definition = missed_definition(contract, metric, period)
    runner = _runner(contract, metric, period)
    if runner is None:
        return MissedPage([], None, False, "", definition, formatting.day_minutes(metric))
    per_day = metric_ui.business_day_minutes(runner.calendar)
    items: list[MissedItem] = []
    next_at: int | None = None
    partial = False
    for pos, item in iter_missed(contract, metric, period, filters, at=max(0, at), scan_limit=scan_limit):
        if item is None:
            next_at, partial = pos, True
            break
        if len(items) == page_size:
            next_at = pos
            break
        items.append(item)
    return MissedPage(items, next_at, partial, rule_text(definition, per_day), definition, per_day)


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
                # Business time in hours with the unit, the rule in words (field labels, the limit as the
                # contract page says it through the metric's calendar), as on the missed-records page.
                "time": "" if secs is None else formatting.hours(secs),
                "rule": rule_text(r.definition.to_dict(), metric_ui.business_day_minutes(r.calendar)),
            }
        )
    return out
