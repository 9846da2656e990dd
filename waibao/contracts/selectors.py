"""Reads other apps build on: the SLA terms in force on a date.

Delivery computes every SLA result through :func:`sla_terms`, so a period is always measured against the
contract version that was in force then, not against today's terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from waibao.calendars.models import Calendar
from waibao.contracts.models import Contract, ContractVersion
from waibao.lib import businesstime, slamath


@dataclass(frozen=True)
class MetricTerms:
    metric_id: int
    name: str
    definition: slamath.MetricDef
    calendar: businesstime.BusinessCalendar


@dataclass(frozen=True)
class SlaTerms:
    version: int
    monthly_fee: Decimal
    currency: str
    credit_cap_percent: Decimal
    bonus_cap_percent: Decimal | None
    metrics: list[MetricTerms]


def version_in_force(contract: Contract, on: date) -> ContractVersion | None:
    """The version with the latest ``effective_from`` on or before ``on`` (highest number on ties).

    Before the first version's date, the first version applies (a period that starts before the contract
    is still measured against its original terms).
    """
    versions = list(ContractVersion.objects.filter(contract=contract).order_by("effective_from", "number"))
    if not versions:
        return None
    chosen = versions[0]
    for v in versions:
        if v.effective_from <= on:
            chosen = v
    return chosen


def version_rows(contract: Contract) -> list[tuple[date, dict[str, Any]]]:
    """Each version's (effective_from, snapshot), in the order :func:`version_in_force` reads them."""
    return list(
        ContractVersion.objects.filter(contract=contract)
        .order_by("effective_from", "number")
        .values_list("effective_from", "snapshot")
    )


def metric_in_force(
    contract: Contract, metric_id: int, *, versions: list[tuple[date, dict[str, Any]]] | None = None
) -> list[tuple[date, date | None]]:
    """The date ranges in which the metric is part of the terms :func:`sla_terms` answers with, in order;
    ``None`` as an end when the range runs to the end of an open-ended contract.

    Follows :func:`version_in_force` exactly (the first version also covers the days before its date;
    on a shared date the highest number wins), clipped to the contract's term. A contract without any
    version yet is in force with its live metrics over its whole term. ``versions``: :func:`version_rows`,
    when already read (a page showing several metrics).
    """
    from datetime import timedelta

    start, end = contract.start_date, contract.end_date
    if versions is None:
        versions = version_rows(contract)
    if not versions:
        from waibao.contracts.models import SlaMetric

        live = SlaMetric.objects.filter(contract=contract, pk=metric_id, retired=False).exists()
        return [(start, end)] if live else []
    by_date: dict[date, dict[str, Any]] = {}
    for effective, snapshot in versions:
        by_date[effective] = snapshot  # the highest number on a shared date
    dates = sorted(by_date)
    ranges: list[tuple[date, date | None]] = []
    for i, effective in enumerate(dates):
        first = start if i == 0 else max(effective, start)
        last: date | None = dates[i + 1] - timedelta(days=1) if i + 1 < len(dates) else end
        if end is not None and last is not None:
            last = min(last, end)
        if last is not None and last < first:
            continue
        ids = {int(m["id"]) for m in by_date[effective].get("sla_metrics") or [] if m.get("id") is not None}
        if metric_id not in ids:
            continue
        if ranges and ranges[-1][1] is not None and ranges[-1][1] + timedelta(days=1) == first:
            ranges[-1] = (ranges[-1][0], last)  # contiguous with the previous range: one range
        else:
            ranges.append((first, last))
    return ranges


def in_ranges(ranges: list[tuple[date, date | None]], on: date) -> bool:
    """Whether ``on`` falls in one of the ranges :func:`metric_in_force` answers with."""
    return any(first <= on and (last is None or on <= last) for first, last in ranges)


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _calendars(ids: set[int]) -> dict[int, Calendar]:
    return {c.pk: c for c in Calendar.objects.filter(pk__in=ids)}


def terms_from_snapshot(snapshot: dict[str, Any], version: int) -> SlaTerms:
    metrics_raw = snapshot.get("sla_metrics") or []
    cals = _calendars({int(m["calendar_id"]) for m in metrics_raw if m.get("calendar_id")})
    metrics = []
    for m in metrics_raw:
        cal = cals.get(int(m["calendar_id"])) if m.get("calendar_id") else None
        metrics.append(
            MetricTerms(
                metric_id=int(m["id"]),
                name=str(m["name"]),
                definition=slamath.MetricDef.from_dict(
                    m["definition"], snapshot.get("custom_fields") or None
                ),
                calendar=cal.business_calendar() if cal else businesstime.china_mainland(),
            )
        )
    return SlaTerms(
        version=version,
        monthly_fee=Decimal(str(snapshot.get("monthly_fee") or "0")),
        currency=str(snapshot.get("currency") or "CNY"),
        credit_cap_percent=_dec(snapshot.get("credit_cap_percent")) or Decimal(0),
        bonus_cap_percent=_dec(snapshot.get("bonus_cap_percent")),
        metrics=metrics,
    )


def sla_terms(contract: Contract, on: date) -> SlaTerms:
    """The SLA terms of the contract version in force on ``on``.

    A contract without any version yet (a draft) answers with its live terms as version
    ``contract.current_version``.
    """
    from waibao.contracts.snapshots import sla_snapshot

    v = version_in_force(contract, on)
    if v is None:
        return terms_from_snapshot(sla_snapshot(contract), contract.current_version)
    return terms_from_snapshot(v.snapshot, v.number)


def csat_scale(contract: Contract) -> str:
    """The scale the contract's CSAT is given in, as stored now (``CsatScale``: records' ratings, survey
    results and the metrics over them are all on it)."""
    stored = Contract.objects.filter(pk=contract.pk).values_list("csat_scale", flat=True).first()
    return str(stored or contract.csat_scale)
