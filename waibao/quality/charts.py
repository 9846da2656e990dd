"""Control-chart series per contract and their ECharts options (signals marked on the points).

Series: satisfaction per period (CSAT, NPS) on individuals charts with moving-range sigma, and the
fraction nonconforming of each inspection stream on a p chart, and each SLA metric's per-period result
from the delivery app: a p chart of the share of records that missed for percentage metrics
(share_within, rate) whose results carry a sample size, an individuals chart otherwise. A p chart with variable sample sizes is
tested on its standardised values z = (p - p̄) / sqrt(p̄(1 - p̄)/n), so the run rules of
`waibao.lib.spc.signals` apply with centre 0 and sigma 1 (the usual "standardised p chart").
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from waibao.lib import spc
from waibao.quality.models import ClassResult, InspectionStatus, SatisfactionResult
from waibao.quality.whatif import RULE_LABELS


@dataclass
class Series:
    key: str
    title: str
    kind: str  # "individuals" | "p"
    labels: list[str]
    values: list[float]
    sizes: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    ruleset: str = "nelson"

    def signals(self) -> dict[str, Any]:
        if self.kind == "p":
            points = spc.p_chart_limits(self.counts, self.sizes)
            p_bar = points[0].center if points else 0.0
            z = []
            for c, n in zip(self.counts, self.sizes, strict=True):
                sd = math.sqrt(p_bar * (1 - p_bar) / n) if 0 < p_bar < 1 else 0.0
                z.append((c / n - p_bar) / sd if sd else 0.0)
            result = spc.signals(z, center=0.0, sigma=1.0 if any(z) else 0.0, ruleset=self.ruleset)  # type: ignore[arg-type]
            result["center"] = p_bar
            return result
        if len(self.values) < 2:
            return {"center": self.values[0] if self.values else 0.0, "sigma": 0.0, "signals": {}}
        return spc.signals(self.values, ruleset=self.ruleset)  # type: ignore[arg-type]


def contract_series(contract: Any) -> list[Series]:
    out: list[Series] = []
    from waibao.quality.models import CsatScale
    from waibao.quality.services import csat_scale_of

    sat = list(SatisfactionResult.objects.filter(contract=contract).order_by("period"))
    # One chart per scale: values on another scale (recorded before the scale changed) are not comparable.
    scale = csat_scale_of(contract)
    csat = [(s.period, float(s.csat)) for s in sat if s.csat is not None and s.csat_scale == scale]
    nps = [(s.period, float(s.nps)) for s in sat if s.nps is not None]
    if csat:
        out.append(
            Series(
                "csat",
                _("客户满意度 CSAT（%(s)s）") % {"s": CsatScale(scale).label},
                "individuals",
                [p for p, _v in csat],
                [v for _p, v in csat],
            )
        )
    if nps:
        out.append(
            Series("nps", _("净推荐值 NPS"), "individuals", [p for p, _v in nps], [v for _p, v in nps])
        )
    results = (
        ClassResult.objects.filter(
            inspection__contract=contract, inspection__status=InspectionStatus.COMPLETED
        )
        .select_related("inspection", "stream__defect_class", "stream__plan")
        .order_by("stream_id", "inspection__completed_at", "id")
    )
    by_stream: dict[int, list[ClassResult]] = {}
    for r in results:
        by_stream.setdefault(r.stream_id, []).append(r)
    for stream_id, rows in by_stream.items():
        if not any(r.nonconforming for r in rows):
            continue  # p̄ = 0: no limits to draw and nothing to signal
        s = rows[0].stream
        out.append(
            Series(
                f"stream-{stream_id}",
                _("%(plan)s · %(cls)s 不合格品率")
                % {"plan": s.plan.name, "cls": s.defect_class.get_severity_display()},
                "p",
                [r.inspection.lot_ref for r in rows],
                [(r.nonconforming or 0) / r.sample_size for r in rows],
                sizes=[r.sample_size for r in rows],
                counts=[r.nonconforming or 0 for r in rows],
            )
        )
    out.extend(sla_series(contract))
    return out


PERCENT_KINDS = ("share_within", "rate")


def sla_series(contract: Any) -> list[Series]:
    """One series per SLA metric of the contract from its per-period results (periods with a value)."""
    try:
        from waibao.delivery.models import SlaResult
    except ImportError:  # pragma: no cover - delivery is installed with quality
        return []
    rows = (
        SlaResult.objects.filter(contract=contract, value__isnull=False)
        .exclude(status="no_data")
        .select_related("metric")
        .order_by("metric__position", "metric_id", "period_start")
    )
    by_metric: dict[int, list[Any]] = {}
    for r in rows:
        by_metric.setdefault(r.metric_id, []).append(r)
    out: list[Series] = []
    for metric_id, results in by_metric.items():
        metric = results[0].metric
        definition = metric.definition or {}
        labels = [r.period for r in results]
        values = [float(r.value) for r in results]
        percent = definition.get("kind") in PERCENT_KINDS
        if percent and all(r.sample_size > 0 for r in results):
            higher = definition.get("direction", "higher") == "higher"
            sizes = [int(r.sample_size) for r in results]
            # Records that missed: 100 - value percent of the sample when higher is better.
            counts = [
                round(n * ((100.0 - v) if higher else v) / 100.0) for n, v in zip(sizes, values, strict=True)
            ]
            if any(counts) and not all(c == n for c, n in zip(counts, sizes, strict=True)):
                out.append(
                    Series(
                        f"sla-{metric_id}",
                        _("SLA · %(m)s：未达标记录比例") % {"m": metric.name},
                        "p",
                        labels,
                        [c / n for c, n in zip(counts, sizes, strict=True)],
                        sizes=sizes,
                        counts=counts,
                    )
                )
                continue
        out.append(
            Series(f"sla-{metric_id}", _("SLA · %(m)s") % {"m": metric.name}, "individuals", labels, values)
        )
    return out


def all_series() -> Iterator[tuple[Any, Series]]:
    from waibao.contracts.models import Contract

    ids = set(SatisfactionResult.objects.values_list("contract_id", flat=True)) | set(
        ClassResult.objects.filter(inspection__status=InspectionStatus.COMPLETED).values_list(
            "inspection__contract_id", flat=True
        )
    )
    try:
        from waibao.delivery.models import SlaResult

        ids |= set(SlaResult.objects.filter(value__isnull=False).values_list("contract_id", flat=True))
    except ImportError:  # pragma: no cover
        pass
    for contract in Contract.objects.filter(pk__in=ids).select_related("owner", "vendor"):
        for series in contract_series(contract):
            yield contract, series


def chart_option(
    labels: list[str],
    values: list[float],
    result: dict[str, Any],
    *,
    title: str = "",
    kind: str = "individuals",
    sizes: list[int] | None = None,
    ruleset: str = "nelson",
) -> dict[str, Any]:
    """A full ECharts option: the series, centre line, ±3σ limits and each signalled point marked red."""
    center = float(result["center"])
    flagged: dict[int, list[str]] = {}
    for rule, indices in result["signals"].items():
        for i in indices:
            flagged.setdefault(i, []).append(rule)
    labels_map = RULE_LABELS.get(ruleset, {})
    if kind == "p" and sizes:
        ucl = [min(1.0, center + 3 * math.sqrt(center * (1 - center) / n)) for n in sizes]
        lcl = [max(0.0, center - 3 * math.sqrt(center * (1 - center) / n)) for n in sizes]
    else:
        sigma = float(result["sigma"])
        ucl = [center + 3 * sigma] * len(values)
        lcl = [center - 3 * sigma] * len(values)
    points: list[Any] = []
    for i, v in enumerate(values):
        y = round(float(v), 6)
        if i in flagged:
            rules = ", ".join(f"{r} {labels_map.get(r, '')}" for r in sorted(flagged[i]))
            points.append({"value": y, "itemStyle": {"color": "#dc3545"}, "symbolSize": 10, "signal": rules})
        else:
            points.append(y)
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 50},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "scale": True},
        "series": [
            {"name": _("数值"), "type": "line", "data": points, "symbol": "circle"},
            {
                "name": _("中心线"),
                "type": "line",
                "data": [round(center, 6)] * len(values),
                "symbol": "none",
                "lineStyle": {"type": "solid", "color": "#198754"},
                "itemStyle": {"color": "#198754"},
            },
            {
                "name": "UCL",
                "type": "line",
                "data": [round(x, 6) for x in ucl],
                "symbol": "none",
                "lineStyle": {"type": "dashed", "color": "#dc3545"},
                "itemStyle": {"color": "#dc3545"},
            },
            {
                "name": "LCL",
                "type": "line",
                "data": [round(x, 6) for x in lcl],
                "symbol": "none",
                "lineStyle": {"type": "dashed", "color": "#dc3545"},
                "itemStyle": {"color": "#dc3545"},
            },
        ],
    }


def signal_rows(
    result: dict[str, Any], labels: list[str], ruleset: str = "nelson"
) -> list[tuple[str, str, list[str]]]:
    names = RULE_LABELS.get(ruleset, {})
    return [
        (rule, str(names.get(rule, rule)), [labels[i] for i in idx])
        for rule, idx in result["signals"].items()
        if idx
    ]
