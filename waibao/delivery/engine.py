"""From records to SLA results: observations, daily aggregates and period evaluation.

Per (metric, local day) a :class:`DailyAggregate` holds the ``slamath.Aggregate`` of that day's records.
Imports and edits add the *difference* each changed record makes (old observation out, new one in), so
only the affected days × metrics are touched, and evaluating a period merges at most ~31 small JSON rows
per metric instead of scanning raw records. Aggregates remember a hash of the metric definition and
calendar they were computed with; when a new contract version changes a metric, the days concerned are
rebuilt from the records.

Terms come from ``contracts.selectors.sla_terms`` for the period's first day (clamped to the contract
start), i.e. the contract version in force in that period.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from waibao.contracts.models import Contract
from waibao.contracts.selectors import SlaTerms, sla_terms
from waibao.lib import businesstime, slamath

RECORD_VALUE_FIELDS = (
    "id",
    "external_id",
    "kind",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "promised_at",
    "delivered_at",
    "priority",
    "category",
    "status",
    "csat",
    "defect",
    "pauses",
    "custom",
    "day",
)


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


@dataclass
class Runner:
    """One metric ready to observe records quickly."""

    metric_id: int
    name: str
    definition: slamath.MetricDef
    calendar: businesstime.BusinessCalendar
    def_hash: str
    timed: bool
    #: A percentile metric: each record's exact business seconds are kept in the aggregates.
    keep_values: bool = False

    def observe(
        self, rec: Mapping[str, Any], pauses: list[tuple[datetime, datetime]]
    ) -> slamath.Observation | None:
        d = self.definition
        if d.record_kind is not None and rec.get("kind") != d.record_kind:
            return None
        if d.filter and not slamath.matches(d, rec):
            return None  # before the business time: most records fail a filter such as priority = P1
        secs = None
        if self.timed:
            start, end = rec.get(d.start_field or ""), rec.get(d.end_field or "")
            if start is not None and end is not None:
                secs = businesstime.business_seconds(self.calendar, start, end, pauses)
        return slamath.observe(d, rec, secs)

    def observe_fast(self, rec: Mapping[str, Any], pauses: list[tuple[datetime, datetime]]) -> Obs | None:
        """The same as :meth:`observe` as a plain tuple ``(hit, missing, value, seconds)``, without
        Observation or Fraction objects on the hot paths (timed kinds, count, integer averages)."""
        d = self.definition
        if d.record_kind is not None and rec.get("kind") != d.record_kind:
            return None
        if d.filter and not slamath.matches(d, rec):
            return None
        kind = d.kind
        if self.timed:
            start, end = rec.get(d.start_field or ""), rec.get(d.end_field or "")
            if start is None or end is None or _blank(start) or _blank(end):
                return MISSING
            seconds = max(0, int(businesstime.business_seconds(self.calendar, start, end, pauses)))
            return (
                kind == "share_within" and seconds <= (d.threshold_minutes or 0) * 60,
                False,
                seconds,
                seconds if self.keep_values else None,
            )
        if kind == "count":
            return NOTHING
        if kind == "average":
            value = rec.get(d.field or slamath.DEFAULT_AVERAGE_FIELD)
            if type(value) is int:
                return (False, False, value, None)
        obs = slamath.observe(d, rec, None)
        return None if obs is None else (obs.hit, obs.missing, obs.value, obs.seconds)


#: (hit, missing, value, seconds) of one record for one metric: ``value`` goes into the exact total,
#: ``seconds`` (percentile metrics only) into the exact value → count map.
Obs = tuple[bool, bool, int | Fraction | None, int | None]
MISSING: Obs = (False, True, None, None)
NOTHING: Obs = (False, False, None, None)


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def _def_hash(terms_metric: Any) -> str:
    """Digest of a metric's definition and calendar (content, so it is stable across processes)."""
    cal = terms_metric.calendar
    spec = json.dumps(
        [terms_metric.definition.to_dict(), cal.to_spec(), slamath.AGGREGATE_FORMAT],
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.blake2b(spec.encode(), digest_size=8).hexdigest()


class TermsCache:
    """``sla_terms`` per contract version, with compiled runners; one per import or evaluation.

    The version in force on a date follows ``contracts.selectors.version_in_force`` (latest
    ``effective_from`` on or before the date, the first version before that); ``sla_terms`` is then
    called once per version instead of once per period.
    """

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self._by_month: dict[str, tuple[SlaTerms | None, list[Runner]]] = {}
        self._by_version: dict[int | None, tuple[SlaTerms | None, list[Runner]]] = {}
        self._by_day: dict[date, list[Runner]] = {}
        self._versions: list[tuple[int, date]] | None = None

    def effective_date(self, period_start: date) -> date:
        return max(period_start, self.contract.start_date)

    def _version_on(self, on: date) -> int | None:
        if self._versions is None:
            from waibao.contracts.models import ContractVersion

            self._versions = list(
                ContractVersion.objects.filter(contract=self.contract)
                .order_by("effective_from", "number")
                .values_list("number", "effective_from")
            )
        if not self._versions:
            return None
        chosen = self._versions[0]
        for v in self._versions:
            if v[1] <= on:
                chosen = v
        return chosen[0]

    def for_period_start(self, start: date) -> tuple[SlaTerms | None, list[Runner]]:
        key = month_key(start)
        hit = self._by_month.get(key)
        if hit is None:
            on = self.effective_date(start)
            version = self._version_on(on)
            hit = self._by_version.get(version)
            if hit is None:
                hit = self._by_version[version] = self._compile(on)
            self._by_month[key] = hit
        return hit

    def _compile(self, on: date) -> tuple[SlaTerms | None, list[Runner]]:
        terms: SlaTerms | None = sla_terms(self.contract, on)
        runners = []
        hashes: dict[tuple[int, int], str] = {}
        for m in terms.metrics if terms else []:
            if m.definition.kind == "manual":
                continue
            ident = (id(m.definition), id(m.calendar))
            if ident not in hashes:
                hashes[ident] = _def_hash(m)
            runners.append(
                Runner(
                    m.metric_id,
                    m.name,
                    m.definition,
                    m.calendar,
                    hashes[ident],
                    m.definition.kind in ("share_within", "duration"),
                    m.definition.keeps_values,
                )
            )
        return terms, runners

    def preload(self) -> TermsCache:
        """Compile the runners of every contract version now, so that :meth:`runners_for_day` answers
        without the database afterwards (import workers are forked processes that must not use it)."""
        self._version_on(self.contract.start_date)
        dates = {self.contract.start_date} | {self.effective_date(e) for _n, e in self._versions or []}
        for on in sorted(dates):
            version = self._version_on(on)
            if version not in self._by_version:
                self._by_version[version] = self._compile(on)
        return self

    def all_runners(self) -> list[Runner]:
        """The runners of every contract version compiled so far (all of them after :meth:`preload`)."""
        return [r for _terms, runners in self._by_version.values() for r in runners]

    def runners_for_day(self, day: date) -> list[Runner]:
        hit = self._by_day.get(day)
        if hit is None:
            hit = self._by_day[day] = self.for_period_start(day.replace(day=1))[1]
        return hit


def pauses_of(raw: Any) -> list[tuple[datetime, datetime]]:
    out = []
    for pair in raw or ():
        a, b = pair
        a = a if isinstance(a, datetime) else datetime.fromisoformat(a)
        b = b if isinstance(b, datetime) else datetime.fromisoformat(b)
        out.append((a, b))
    return out


def flat(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """Record values with custom fields flattened in (what slamath.matches/observe read)."""
    custom = values.get("custom")
    if not custom:
        return values  # type: ignore[return-value]  # read-only use
    rec = dict(custom)
    rec.update({k: v for k, v in values.items() if k != "custom"})
    return rec


# --- signed aggregates (a record leaving a day subtracts its observation) ------------------------


def negate(obs: slamath.Observation) -> slamath.Aggregate:
    agg = slamath.Aggregate(
        count=-1, hits=-int(obs.hit), missing=-int(obs.missing), total=-(obs.value or Fraction(0))
    )
    if obs.seconds is not None:
        agg.values[obs.seconds] = -1
    return agg


def tidy(agg: slamath.Aggregate) -> slamath.Aggregate:
    agg.values = {k: n for k, n in agg.values.items() if n}
    return agg


class Acc:
    """A signed, fast accumulator for one (metric, day): integers where slamath would use Fractions."""

    __slots__ = ("count", "frac", "hits", "missing", "total", "values")

    def __init__(self) -> None:
        self.count = self.hits = self.missing = self.total = 0
        self.frac = Fraction(0)
        self.values: dict[int, int] = {}

    def add(self, obs: slamath.Observation, sign: int) -> None:
        self.add_fast((obs.hit, obs.missing, obs.value, obs.seconds), sign)

    def add_fast(self, obs: Obs, sign: int) -> None:
        hit, missing, value, seconds = obs
        self.count += sign
        if hit:
            self.hits += sign
        if missing:
            self.missing += sign
        if value is not None:
            if type(value) is int:
                self.total += sign * value
            elif value.denominator == 1:
                self.total += sign * value.numerator
            else:
                self.frac += sign * value
        if seconds is not None:
            self.values[seconds] = self.values.get(seconds, 0) + sign

    def aggregate(self) -> slamath.Aggregate:
        return slamath.Aggregate(
            count=self.count,
            hits=self.hits,
            missing=self.missing,
            total=self.frac + self.total,
            values={k: n for k, n in self.values.items() if n},
        )


def observe_all(runners: list[Runner], values: Mapping[str, Any]) -> list[tuple[int, str, Obs]]:
    """``(metric id, definition hash, observation)`` of one record for every runner that measures it.
    Pure (no database), so import workers can run it."""
    rec = flat(values)
    pauses = pauses_of(values.get("pauses"))
    out = []
    for r in runners:
        obs = r.observe_fast(rec, pauses)
        if obs is not None:
            out.append((r.metric_id, r.def_hash, obs))
    return out


@dataclass
class Deltas:
    """Aggregate changes by (metric, day), plus the hash each was computed with."""

    by_key: dict[tuple[int, date], Acc] = field(default_factory=dict)
    hashes: dict[tuple[int, date], str] = field(default_factory=dict)

    def add(self, runners: list[Runner], values: Mapping[str, Any], day: date, sign: int) -> None:
        if runners:
            self.add_observed(observe_all(runners, values), day, sign)

    def add_observed(self, observed: list[tuple[int, str, Obs]], day: date, sign: int) -> None:
        """Add what :func:`observe_all` returned for one record counting on ``day``."""
        by_key = self.by_key
        for metric_id, def_hash, obs in observed:
            key = (metric_id, day)
            acc = by_key.get(key)
            if acc is None:
                acc = by_key[key] = Acc()
                self.hashes[key] = def_hash
            acc.add_fast(obs, sign)

    def add_sums(
        self,
        metric_id: int,
        def_hash: str,
        day: date,
        count: int,
        hits: int,
        missing: int,
        total: int,
        values: Mapping[int, int],
    ) -> None:
        """Add the summed observations of several records of one day (the columnar import path);
        ``values`` is the exact value → count map (percentile metrics only)."""
        key = (metric_id, day)
        acc = self.by_key.get(key)
        if acc is None:
            acc = self.by_key[key] = Acc()
            self.hashes[key] = def_hash
        acc.count += count
        acc.hits += hits
        acc.missing += missing
        acc.total += total
        for value, n in values.items():
            acc.values[value] = acc.values.get(value, 0) + n

    @property
    def days(self) -> set[date]:
        return {d for _m, d in self.by_key}

    def aggregates(self) -> list[tuple[tuple[int, date], slamath.Aggregate]]:
        return [(k, acc.aggregate()) for k, acc in self.by_key.items()]


def apply_deltas(contract: Contract, deltas: Deltas) -> set[date]:
    """Merge deltas into the stored daily aggregates; returns days that must be rebuilt instead."""
    from waibao.delivery.models import DailyAggregate

    if not deltas.by_key:
        return set()
    days = sorted(deltas.days)
    existing: dict[tuple[int, date], DailyAggregate] = {}
    for i in range(0, len(days), 500):
        for row in DailyAggregate.objects.filter(contract=contract, day__in=days[i : i + 500]):
            existing[(row.metric_id, row.day)] = row
    rebuild: set[date] = set()
    to_update: list[DailyAggregate] = []
    to_create: list[dict[str, Any]] = []
    for key, delta in deltas.aggregates():
        found = existing.get(key)
        if found is None:
            if delta.count < 0 or delta.hits < 0:
                rebuild.add(key[1])
                continue
            to_create.append(
                {
                    "metric_id": key[0],
                    "contract_id": contract.pk,
                    "day": key[1],
                    "data": tidy(delta).to_dict(),
                    "def_hash": deltas.hashes[key],
                }
            )
            continue
        row = found
        if row.def_hash != deltas.hashes[key]:
            rebuild.add(key[1])
            continue
        merged = tidy(slamath.Aggregate.from_dict(row.data).merge(delta))
        if (
            merged.count < 0
            or merged.hits < 0
            or merged.missing < 0
            or any(n < 0 for n in merged.values.values())
        ):
            rebuild.add(key[1])
            continue
        row.data = merged.to_dict()
        to_update.append(row)
    update_aggregate_data(DailyAggregate, to_update)
    insert_aggregates(DailyAggregate, to_create)
    refresh_months(contract, {d for d in days if d not in rebuild})
    return rebuild


def insert_aggregates(model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert daily or monthly aggregates given as ``{field attname: value}`` with one plain
    executemany. An import writes thousands of them (days × metrics); building model instances and the
    ORM's per-value preparation cost more than the import's own work for a 10,000-row file. Values are
    converted as the ORM converts them (JSON text, dates as the backend wants them)."""
    from django.db import connection

    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    marks = ", ".join(f"%s{json_cast}" if f.get_internal_type() == "JSONField" else "%s" for f in fields)
    names = ", ".join(f.column for f in fields)
    sql = f"INSERT INTO {model._meta.db_table} ({names}) VALUES ({marks})"  # noqa: S608 - our names
    convert: list[Any] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "JSONField":
            convert.append(json.dumps)
        elif kind == "DateField":
            convert.append(connection.ops.adapt_datefield_value)
        else:
            convert.append(None)
    attnames = [f.attname for f in fields]
    params = [
        tuple(row[a] if c is None else c(row[a]) for a, c in zip(attnames, convert, strict=True))
        for row in rows
    ]
    with connection.cursor() as cur:
        for i in range(0, len(params), 5000):
            cur.executemany(sql, params[i : i + 5000])


def daily_rows(contract: Contract, deltas: Deltas) -> list[dict[str, Any]]:
    """The daily aggregate rows of ``deltas`` (for :func:`insert_aggregates`)."""
    return [
        {
            "metric_id": k[0],
            "contract_id": contract.pk,
            "day": k[1],
            "data": tidy(a).to_dict(),
            "def_hash": deltas.hashes[k],
        }
        for k, a in deltas.aggregates()
    ]


def update_aggregate_data(model: type[Any], objs: list[Any]) -> None:
    """``bulk_update(objs, ["data"])`` as one executemany (see :func:`insert_aggregates`)."""
    from django.db import connection

    if not objs:
        return
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sql = f"UPDATE {model._meta.db_table} SET data = %s{cast} WHERE id = %s"  # noqa: S608 - our names
    with connection.cursor() as cur:
        cur.executemany(sql, [(json.dumps(o.data), o.pk) for o in objs])


def rebuild_aggregates(contract: Contract, days: Iterable[date] | None = None) -> int:
    """Recompute daily aggregates from the records (all days, or the given ones). Returns rows written."""
    from waibao.delivery.models import DailyAggregate, ServiceRecord

    cache = TermsCache(contract)
    qs = ServiceRecord.objects.filter(contract=contract)
    day_list = sorted(set(days)) if days is not None else None
    written = 0
    with transaction.atomic():
        if day_list is None:
            DailyAggregate.objects.filter(contract=contract).delete()
            chunks: list[list[date] | None] = [None]
        else:
            chunks = [day_list[i : i + 200] for i in range(0, len(day_list), 200)]
        for chunk in chunks:
            sub = qs if chunk is None else qs.filter(day__in=chunk)
            if chunk is not None:
                DailyAggregate.objects.filter(contract=contract, day__in=chunk).delete()
            deltas = Deltas()
            for values in sub.order_by().values(*RECORD_VALUE_FIELDS).iterator(chunk_size=5000):
                deltas.add(cache.runners_for_day(values["day"]), values, values["day"], +1)
            rows = daily_rows(contract, deltas)
            insert_aggregates(DailyAggregate, rows)
            written += len(rows)
        refresh_months(contract, day_list)
    return written


def _month_after(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def refresh_months(contract: Contract, days: Iterable[date] | None) -> None:
    """Recompute the monthly roll-ups (``MonthlyAggregate``) of the months holding ``days`` (all months
    when None) from the daily rows. Every metric of the contract gets a row for each such month, an empty
    one when it has no data, so a month with a roll-up row is known to be complete."""
    from waibao.contracts.models import SlaMetric
    from waibao.delivery.models import DailyAggregate, MonthlyAggregate

    daily = DailyAggregate.objects.filter(contract=contract)
    monthly = MonthlyAggregate.objects.filter(contract=contract)
    if days is None:
        months = {d.replace(day=1) for d in daily.values_list("day", flat=True).distinct()}
        monthly.delete()
    else:
        months = {d.replace(day=1) for d in days}
    if not months:
        return
    metric_ids = list(SlaMetric.objects.filter(contract=contract).values_list("id", flat=True))
    ordered = sorted(months)
    for i in range(0, len(ordered), 24):
        part = ordered[i : i + 24]
        datas: dict[tuple[int, date], list[Any]] = defaultdict(list)
        hashes: dict[tuple[int, date], set[str]] = defaultdict(set)
        rows = daily.filter(day__gte=part[0], day__lt=_month_after(part[-1])).values_list(
            "metric_id", "day", "data", "def_hash"
        )
        wanted = set(part)
        for metric_id, day, data, def_hash in rows.iterator(chunk_size=5000):
            month = day.replace(day=1)
            if month in wanted:
                datas[(metric_id, month)].append(data)
                hashes[(metric_id, month)].add(def_hash)
        monthly.filter(month__in=part).delete()
        out = []
        for metric_id in metric_ids:
            for month in part:
                key = (metric_id, month)
                found = datas.get(key, [])
                kinds = hashes.get(key, set())
                out.append(
                    {
                        "metric_id": metric_id,
                        "contract_id": contract.pk,
                        "month": month,
                        "data": slamath.Aggregate.sum_dicts(found).to_dict(),
                        "days": len(found),
                        "def_hash": (next(iter(kinds)) if len(kinds) == 1 else "*") if kinds else "",
                    }
                )
        insert_aggregates(MonthlyAggregate, out)


def _monthly_rows(contract: Contract, periods: Iterable[str]) -> dict[tuple[int, date], tuple[Any, int, str]]:
    """Roll-up rows ``(metric, month) → (data, days, def_hash)`` covering the periods, in one query."""
    from waibao.delivery.models import MonthlyAggregate

    bounds = [slamath.period_bounds(p) for p in periods]
    if not bounds:
        return {}
    rows = MonthlyAggregate.objects.filter(
        contract=contract, month__gte=min(b[0] for b in bounds), month__lt=max(b[1] for b in bounds)
    ).values_list("metric_id", "month", "data", "days", "def_hash")
    return {(m, month): (data, days, h) for m, month, data, days, h in rows}


def _from_months(
    monthly: Mapping[tuple[int, date], tuple[Any, int, str]], runners: list[Runner], start: date, end: date
) -> dict[int, slamath.Aggregate] | None:
    """Period aggregates from the monthly roll-ups, or None when a month lacks its roll-up or was computed
    with another definition (the caller then reads the daily rows)."""
    months = []
    current = start
    while current < end:
        months.append(current)
        current = _month_after(current)
    out: dict[int, slamath.Aggregate] = {}
    for r in runners:
        datas = []
        for month in months:
            row = monthly.get((r.metric_id, month))
            if row is None:
                return None
            data, days, def_hash = row
            if days and def_hash != r.def_hash:
                return None
            if days:
                datas.append(data)
        out[r.metric_id] = slamath.Aggregate.sum_dicts(datas)
    return out


# --- periods and results -------------------------------------------------------------------------


def periods_for_days(days: Iterable[date]) -> set[str]:
    keys: set[str] = set()
    for d in days:
        keys.add(slamath.period_key(d, "month"))
        keys.add(slamath.period_key(d, "quarter"))
    return keys


def contract_periods(contract: Contract, today: date) -> set[str]:
    end = min(contract.end_date or today, today)
    if end < contract.start_date:
        return set()
    return set(slamath.periods_between(contract.start_date, end, "month")) | set(
        slamath.periods_between(contract.start_date, end, "quarter")
    )


@dataclass
class Evaluated:
    metric_id: int
    name: str
    period: str
    period_start: date
    result: slamath.Result
    consequence: slamath.Consequence
    projection: slamath.Projection | None
    version: int
    currency: str


def evaluate_periods(contract: Contract, periods: Iterable[str], today: date) -> list[Evaluated]:
    """Evaluate every metric of the contract for the given period keys, from the monthly roll-ups (one
    query for all periods), or from the daily aggregates where a month's roll-up is missing or was
    computed with another definition (such days are rebuilt first). Caps apply per period across the
    metrics of that window (month or quarter).
    """
    cache = TermsCache(contract)
    out: list[Evaluated] = []
    keys = sorted(periods)
    monthly = _monthly_rows(contract, keys)
    for period in keys:
        start, end = slamath.period_bounds(period)
        window = "quarter" if "Q" in period else "month"
        terms, runners = cache.for_period_start(start)
        runners = [r for r in runners if r.definition.window == window]
        manual = [
            m
            for m in (terms.metrics if terms else [])
            if m.definition.kind == "manual" and m.definition.window == window
        ]
        if terms is None or not (runners or manual):
            continue
        period_aggs = _from_months(monthly, runners, start, end)
        if period_aggs is None:
            period_aggs = _from_days(contract, runners, start, end)
        is_open = start <= today < end
        elapsed = slamath.elapsed_fraction(period, today) if today >= start else 0.0
        results: list[tuple[Any, slamath.Result, slamath.Aggregate | None]] = []
        consequences = []
        for r in runners:
            agg = period_aggs[r.metric_id]
            res = slamath.evaluate(r.definition, agg)
            results.append((r, res, agg))
            consequences.append(slamath.credit_for(res, r.definition, terms.monthly_fee))
        entered = _confirmed_manual_values([m.metric_id for m in manual], period)
        for m in manual:
            res = slamath.evaluate(m.definition, manual_value=entered.get(m.metric_id))
            results.append((m, res, None))
            consequences.append(slamath.credit_for(res, m.definition, terms.monthly_fee))
        capped = slamath.apply_cap(
            consequences,
            terms.monthly_fee,
            terms.credit_cap_percent,
            terms.bonus_cap_percent,
            months=slamath.window_months(window),
        )
        for (r, res, period_agg), cons in zip(results, capped, strict=True):
            proj = (
                slamath.project(r.definition, period_agg, elapsed)
                if is_open and period_agg is not None
                else None
            )
            out.append(
                Evaluated(r.metric_id, r.name, period, start, res, cons, proj, terms.version, terms.currency)
            )
    return out


def _from_days(
    contract: Contract, runners: list[Runner], start: date, end: date
) -> dict[int, slamath.Aggregate]:
    """Period aggregates from the daily rows; days computed with another definition are rebuilt first."""
    from waibao.delivery.models import DailyAggregate

    rows = list(
        DailyAggregate.objects.filter(
            contract=contract, day__gte=start, day__lt=end, metric_id__in=[r.metric_id for r in runners]
        ).values_list("metric_id", "day", "data", "def_hash")
    )
    wanted = {r.metric_id: r.def_hash for r in runners}
    stale = {day for metric_id, day, _d, h in rows if h != wanted[metric_id]}
    if stale:
        _rebuild_with(contract, stale, runners)
        rows = list(
            DailyAggregate.objects.filter(
                contract=contract, day__gte=start, day__lt=end, metric_id__in=list(wanted)
            ).values_list("metric_id", "day", "data", "def_hash")
        )
    per_metric: dict[int, list[slamath.Aggregate]] = defaultdict(list)
    for metric_id, _day, data, _h in rows:
        per_metric[metric_id].append(slamath.Aggregate.from_dict(data))
    return {r.metric_id: slamath.Aggregate.merge_all(per_metric.get(r.metric_id, [])) for r in runners}


def _confirmed_manual_values(metric_ids: list[int], period: str) -> dict[int, Decimal]:
    """The confirmed value of each manual metric for the period (metrics without one are left out)."""
    from waibao.delivery.models import ManualValue

    if not metric_ids:
        return {}
    return {
        metric_id: value
        for metric_id, value in ManualValue.objects.filter(
            metric_id__in=metric_ids, period=period, confirmed_value__isnull=False
        ).values_list("metric_id", "confirmed_value")
        if value is not None
    }


def _rebuild_with(contract: Contract, days: set[date], runners: list[Runner]) -> None:
    """Rebuild some days' aggregates for some metrics with the given (period) runners."""
    from waibao.delivery.models import DailyAggregate, ServiceRecord

    ids = [r.metric_id for r in runners]
    DailyAggregate.objects.filter(contract=contract, day__in=days, metric_id__in=ids).delete()
    deltas = Deltas()
    for values in (
        ServiceRecord.objects.filter(contract=contract, day__in=days)
        .order_by()
        .values(*RECORD_VALUE_FIELDS)
        .iterator(chunk_size=5000)
    ):
        deltas.add(runners, values, values["day"], +1)
    insert_aggregates(DailyAggregate, daily_rows(contract, deltas))
    refresh_months(contract, days)


def explain_rule(definition: slamath.MetricDef) -> str:
    """One line saying what counts as a miss, for the traceability view."""
    from django.utils.translation import gettext as _

    d = definition
    where = ""
    if d.filter:
        where = " · " + ", ".join(f"{c.field} {c.op} {_shown(c.value)}" for c in d.filter)
    if d.kind == "share_within":
        return (
            _("%(s)s → %(e)s 的工作时间 ≤ %(m)s 分钟算达成（暂停时间不计）")
            % {"s": d.start_field, "e": d.end_field, "m": d.threshold_minutes}
            + where
        )
    if d.kind == "duration":
        return (
            _("%(s)s → %(e)s 的工作时间（%(stat)s）")
            % {"s": d.start_field, "e": d.end_field, "stat": statistic_label(d)}
            + where
        )
    if d.kind == "rate":
        if d.flag:
            return _("%(f)s 为“是”的记录占比") % {"f": d.flag} + where
        return _("%(s)s 不晚于 %(e)s 的记录占比") % {"s": d.start_field, "e": d.end_field} + where
    if d.kind == "average":
        return _("%(f)s 的平均值") % {"f": d.field} + where
    if d.kind == "count":
        return _("记录数") + where
    return _("手工录入")


def statistic_label(definition: slamath.MetricDef) -> str:
    """A duration metric's statistic in the reader's language, with the percentile definition used:
    "中位数（最近秩）", "P90（线性插值）", "平均"."""
    from django.utils.translation import gettext as _

    from waibao.delivery.formatting import plain

    percent = definition.percentile
    if percent is None:
        return _("平均")
    name = (
        _("中位数")
        if definition.statistic == "median"
        else "P" + plain(Decimal(percent.numerator) / percent.denominator)
    )
    method = _("线性插值") if definition.method == "linear" else _("最近秩")
    return _("%(stat)s，%(method)s") % {"stat": name, "method": method}


def _shown(value: Any) -> str:
    from waibao.delivery.formatting import plain

    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, Decimal | float):
        return plain(value)
    return str(value)


def missed(runner: Runner, values: Mapping[str, Any]) -> tuple[bool, int | None]:
    """Whether a record counts against the metric, and its business seconds (for display)."""
    d = runner.definition
    rec = flat(values)
    pauses = pauses_of(values.get("pauses"))
    secs = None
    if runner.timed:
        start, end = rec.get(d.start_field or ""), rec.get(d.end_field or "")
        if start is not None and end is not None:
            secs = businesstime.business_seconds(runner.calendar, start, end, pauses)
    obs = slamath.observe(d, rec, secs)
    if obs is None:
        return False, secs
    if d.kind in ("share_within", "rate"):
        bad = not obs.hit
        if d.kind == "rate" and d.flag and d.direction == "lower":
            bad = obs.hit  # e.g. defect rate: a defect is the miss
        return bad, secs
    if d.kind == "duration":
        if obs.missing or obs.value is None:
            return True, secs
        return (obs.value / 60 > Fraction(d.target)) if d.direction == "lower" else (
            obs.value / 60 < Fraction(d.target)
        ), secs
    if d.kind == "average":
        if obs.value is None:
            return False, secs
        return (obs.value < Fraction(d.target)) if d.direction == "higher" else (
            obs.value > Fraction(d.target)
        ), secs
    return d.kind == "count", secs


def now_utc() -> datetime:
    return datetime.now(UTC)


def day_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))
