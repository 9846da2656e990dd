"""Percentile SLA metrics decide money, so they are exact: through both import paths, the daily
aggregates, the monthly roll-ups and the evaluation, a period's percentile is the percentile of its
records' exact business times (nearest rank unless the metric says ``linear``)."""

from __future__ import annotations

import csv
import itertools
import math
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waibao.delivery import engine, ingest, services
from waibao.delivery.models import DailyAggregate, MonthlyAggregate, SlaResult
from waibao.delivery.tests.factories import make_contract

pytestmark = pytest.mark.django_db

MEDIAN_480 = {
    "name": "解决时长中位数",
    "kind": "duration",
    "record_kind": "ticket",
    "start_field": "opened_at",
    "end_field": "resolved_at",
    "statistic": "median",
    "target": "480",
    "direction": "lower",
    "tiers": [
        {"from": "0", "to": "480", "consequence": "none"},
        {"from": "480", "to": "100000", "consequence": "credit_percent", "amount": "5"},
    ],
}

# Weekdays of October 2026 after the National Day holidays (China mainland calendar: 09:00–12:00, 13:00–18:00).
DAYS = ["2026-10-12", "2026-10-13", "2026-10-14", "2026-10-15", "2026-10-19", "2026-10-20", "2026-10-21"]
NEXT = {"2026-10-12": "2026-10-13", "2026-10-13": "2026-10-14", "2026-10-14": "2026-10-15",
        "2026-10-15": "2026-10-16", "2026-10-19": "2026-10-20", "2026-10-20": "2026-10-21",
        "2026-10-21": "2026-10-22"}  # fmt: skip


def month_with_exact_median_480() -> list[dict[str, str]]:
    """41 tickets over seven days of October: 20 resolved within the afternoon (10–200 business minutes),
    one opened 09:00 and resolved 09:00 the next working day (exactly 480 business minutes), and 20 resolved
    1–20 minutes later than that (481–500). The median — the 21st of 41 by either definition — is 480."""
    out = []
    for k in range(1, 21):
        day = DAYS[k % len(DAYS)]
        opened = datetime.fromisoformat(f"{day} 13:00")
        out.append(
            {
                "opened_at": f"{day} 13:00",
                "resolved_at": f"{opened + timedelta(minutes=10 * k):%Y-%m-%d %H:%M}",
            }
        )
    out.append({"opened_at": "2026-10-14 09:00", "resolved_at": "2026-10-15 09:00"})
    for k in range(1, 21):
        day = DAYS[(k + 3) % len(DAYS)]
        out.append({"opened_at": f"{day} 09:00", "resolved_at": f"{NEXT[day]} 09:{k:02d}"})
    return [{"external_id": f"T{i:03d}", "kind": "ticket", **r} for i, r in enumerate(out)]


def _write_csv(path, records):
    headers = ["external_id", "kind", "opened_at", "resolved_at"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in records:
            w.writerow([r[h] for h in headers])


@pytest.mark.parametrize("door", ["batch", "csv_rows", "csv_columnar"])
def test_a_month_whose_exact_median_is_480_business_minutes_meets_a_480_target_and_charges_no_credit(
    vendor_a, manager, travel, tmp_path, monkeypatch, door
):
    contract = make_contract(vendor_a, owner=manager, metrics=[MEDIAN_480])
    records = month_with_exact_median_480()
    if door == "batch":
        job = services.import_batch(contract=contract, actor=manager, records=records)
    else:
        monkeypatch.setattr(ingest, "COLUMNAR", door == "csv_columnar")
        path = tmp_path / "october.csv"
        _write_csv(path, records)
        job = services.import_path(contract=contract, actor=manager, path=str(path))
    assert job.status == "succeeded" and job.count_new == 41
    result = SlaResult.objects.get(contract=contract, period="2026-10")
    assert (result.value, result.sample_size, result.status) == (480.0, 41, "met")
    assert (result.tier, result.consequence, result.credit) == (0, "none", Decimal("0.00"))
    # the same from the monthly roll-up and from the days
    again = services.evaluate(contract=contract, actor=manager, periods=["2026-10"])
    assert [(r.period, r.value, r.status, r.credit) for r in again if r.period == "2026-10"] == [
        ("2026-10", 480.0, "met", Decimal("0.00"))
    ]
    MonthlyAggregate.objects.filter(contract=contract).delete()
    from_days = services.evaluate(contract=contract, actor=manager, periods=["2026-10"])
    assert [r.value for r in from_days if r.period == "2026-10"] == [480.0]


def test_one_minute_over_the_target_misses_and_charges_the_credit(vendor_a, manager, travel):
    contract = make_contract(vendor_a, owner=manager, metrics=[MEDIAN_480])
    records = month_with_exact_median_480()
    records[20]["resolved_at"] = "2026-10-15 09:01"  # the median record now takes 481 minutes
    services.import_batch(contract=contract, actor=manager, records=records)
    result = SlaResult.objects.get(contract=contract, period="2026-10")
    assert (result.value, result.status, result.tier, result.credit) == (
        481.0,
        "missed",
        1,
        Decimal("5000.00"),
    )


def test_only_percentile_metrics_keep_the_values_and_stored_aggregates_hold_them_exactly(
    vendor_a, manager, travel
):
    mean = {**MEDIAN_480, "name": "平均解决时长", "statistic": "mean", "tiers": []}
    contract = make_contract(vendor_a, owner=manager, metrics=[MEDIAN_480, mean])
    services.import_batch(contract=contract, actor=manager, records=month_with_exact_median_480())
    by_name = {m.name: m.pk for m in contract.sla_metrics.all()}
    month = {a.metric_id: a.data for a in MonthlyAggregate.objects.filter(contract=contract)}
    kept = month[by_name["解决时长中位数"]]["v"]
    values = dict(zip(kept[::2], kept[1::2], strict=True))
    assert (
        sum(values.values()) == 41
        and values[480 * 60] == 1
        and min(values) == 600
        and max(values) == 500 * 60
    )
    assert "v" not in month[by_name["平均解决时长"]]
    days = DailyAggregate.objects.filter(contract=contract, metric_id=by_name["解决时长中位数"])
    assert sum(sum(a.data["v"][1::2]) for a in days) == 41


def test_the_linear_definition_interpolates_between_the_two_middle_records(vendor_a, manager, travel):
    linear = {**MEDIAN_480, "percentile_method": "linear", "tiers": []}
    contract = make_contract(vendor_a, owner=manager, metrics=[linear])
    records = month_with_exact_median_480()[1:]  # 40 records: the middle two take 480 and 481 minutes
    services.import_batch(contract=contract, actor=manager, records=records)
    result = SlaResult.objects.get(contract=contract, period="2026-10")
    assert (result.value, result.status) == (480.5, "missed")
    # by nearest rank (the default) the same records give the 20th value: 480, met
    contract_b = make_contract(
        vendor_a, owner=manager, code="CT-2026-0009", metrics=[{**linear, "percentile_method": None}]
    )
    services.import_batch(contract=contract_b, actor=manager, records=records)
    assert SlaResult.objects.get(contract=contract_b, period="2026-10").value == 480.0


def test_aggregates_from_before_exact_percentiles_are_rebuilt_before_they_are_used(vendor_a, manager, travel):
    import importlib

    from django.apps import apps

    contract = make_contract(vendor_a, owner=manager, metrics=[MEDIAN_480])
    services.import_batch(contract=contract, actor=manager, records=month_with_exact_median_480())
    # what the previous format stored: a histogram, bucket 28800 s = [28800, 28927], midpoint 481.06 min
    DailyAggregate.objects.filter(contract=contract).update(data={"c": 41, "t": "1", "b": [28800, 41]})
    migration = importlib.import_module("waibao.delivery.migrations.0005_exact_percentile_values")
    migration.mark_stale(apps, None)
    assert not MonthlyAggregate.objects.filter(contract=contract).exists()
    assert set(DailyAggregate.objects.filter(contract=contract).values_list("def_hash", flat=True)) == {""}
    results = services.evaluate(contract=contract, actor=manager, periods=["2026-10"])
    assert [(r.value, r.status) for r in results if r.period == "2026-10"] == [(480.0, "met")]
    assert all("b" not in a.data for a in DailyAggregate.objects.filter(contract=contract))


def _brute_nearest_rank(values: list[int], percent: int) -> Fraction:
    ordered = sorted(values)
    return Fraction(ordered[max(1, math.ceil(percent * len(ordered) / 100)) - 1])


_counter = itertools.count()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    minutes=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 24 * 60 * 3)), min_size=1, max_size=40),
    statistic=st.sampled_from(["median", "p90", "p95"]),
)
def test_the_engines_percentile_equals_a_brute_force_nearest_rank_over_the_raw_values(
    vendor_a, manager, travel, minutes, statistic
):
    # 24×7 calendar: business seconds are the elapsed seconds, so the raw values are known exactly.
    metric = {**MEDIAN_480, "statistic": statistic, "tiers": []}
    contract = make_contract(
        vendor_a, owner=manager, code=f"CT-2026-9{next(_counter):03d}", metrics=[metric], cal="24x7"
    )
    records, raw = [], []
    for i, (day, span) in enumerate(minutes):
        opened = datetime(2026, 10, 1, 8, 0) + timedelta(days=day, seconds=i * 7)
        resolved = opened + timedelta(minutes=span, seconds=i % 3)
        raw.append(span * 60 + i % 3)
        records.append(
            {"external_id": f"H{i}", "kind": "ticket", "opened_at": f"{opened:%Y-%m-%d %H:%M:%S}",
             "resolved_at": f"{resolved:%Y-%m-%d %H:%M:%S}"}
        )  # fmt: skip
    services.import_batch(contract=contract, actor=manager, records=records)
    result = SlaResult.objects.get(contract=contract, period="2026-10")
    percent = {"median": 50, "p90": 90, "p95": 95}[statistic]
    expected = _brute_nearest_rank(raw, percent) / 60
    assert result.value == float(expected) and result.sample_size == len(raw)
    # the engine's exact value (before it is stored as a float)
    cache = engine.TermsCache(contract)
    _terms, runners = cache.for_period_start(datetime(2026, 10, 1).date())
    evaluated = engine.evaluate_periods(contract, ["2026-10"], datetime(2026, 11, 10).date())
    assert [e.result.exact for e in evaluated if e.metric_id == runners[0].metric_id] == [expected]


def test_the_rule_line_names_the_statistic_and_its_definition_in_the_readers_language():
    from django.utils import translation

    from waibao.lib import slamath

    median = slamath.MetricDef.from_dict(MEDIAN_480)
    p995 = slamath.MetricDef.from_dict({**MEDIAN_480, "statistic": "p99.5", "percentile_method": "linear"})
    mean = slamath.MetricDef.from_dict({**MEDIAN_480, "statistic": "mean"})
    with translation.override("zh-hans"):
        assert engine.statistic_label(median) == "中位数，最近秩"
        assert "（中位数，最近秩）" in engine.explain_rule(median)
    with translation.override("en"):
        assert engine.statistic_label(median) == "Median, nearest rank"
        assert engine.statistic_label(p995) == "P99.5, linear interpolation"
        assert engine.statistic_label(mean) == "Mean"
        assert "Median" not in engine.explain_rule(mean)
