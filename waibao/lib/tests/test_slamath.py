"""Tests for waibao.lib.slamath: every expected number below is worked out by hand in the comments."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waibao.lib import slamath as sm
from waibao.lib.slamath import (
    Aggregate,
    Consequence,
    InvalidMetric,
    MetricDef,
    Observation,
    Tier,
    aggregate,
    apply_cap,
    credit_for,
    evaluate,
    matches,
    nearest_rank,
    observe,
    percentile_of,
    percentile_value,
    period_bounds,
    period_key,
    periods_between,
    preview,
    project,
    validate_cap,
    validate_metric,
    validate_tiers,
)

D = Decimal
MSG = sm._MESSAGES

BASES: dict[str, dict[str, Any]] = {
    "share_within": {
        "name": "P1 response",
        "record_kind": "ticket",
        "kind": "share_within",
        "filter": {"priority": "P1"},
        "threshold_minutes": 30,
        "target": "95",
    },
    "duration": {
        "name": "Resolution time",
        "record_kind": "ticket",
        "kind": "duration",
        "start_field": "opened_at",
        "end_field": "resolved_at",
        "statistic": "mean",
        "direction": "lower",
        "target": "30",
    },
    "rate": {
        "name": "Defect rate",
        "record_kind": "work_item",
        "kind": "rate",
        "flag": "defect",
        "direction": "lower",
        "target": "2",
    },
    "average": {"name": "CSAT", "record_kind": "ticket", "kind": "average", "target": "4"},
    "count": {
        "name": "P1 incidents",
        "record_kind": "ticket",
        "kind": "count",
        "filter": [["priority", "eq", "P1"]],
        "direction": "lower",
        "target": "2",
    },
    "manual": {"name": "Audit score", "kind": "manual", "target": "80"},
}


def mdict(base: str, /, **overrides: Any) -> dict[str, Any]:
    d = dict(BASES[base])
    for key, value in overrides.items():
        if value is None:
            d.pop(key, None)
        else:
            d[key] = value
    return d


def metric(base: str, /, **overrides: Any) -> MetricDef:
    return MetricDef.from_dict(mdict(base, **overrides))


def errors_of(base: str, custom_fields: dict[str, str] | None = None, /, **overrides: Any) -> dict[str, str]:
    return validate_metric(mdict(base, **overrides), custom_fields)


def agg_of(count: int = 0, hits: int = 0, missing: int = 0, total: Any = 0) -> Aggregate:
    return Aggregate(count=count, hits=hits, missing=missing, total=Fraction(total))


def durations(seconds: list[int]) -> Aggregate:
    return aggregate(Observation(value=Fraction(s), seconds=s) for s in seconds)


def values(vals: list[Any]) -> Aggregate:
    return aggregate(Observation(value=Fraction(v)) for v in vals)


SHARE_TIERS = [
    {"from": 0, "to": 90, "consequence": "credit_percent", "amount": 10},
    {"from": 90, "to": 95, "consequence": "credit_percent", "amount": 5},
    {"from": 95, "to": 100, "consequence": "none"},
]


# ================================================================================================
# Validation


@pytest.mark.parametrize("kind", sorted(BASES))
def test_base_definitions_are_valid_and_round_trip_through_json(kind: str) -> None:
    assert validate_metric(BASES[kind]) == {}
    m = MetricDef.from_dict(BASES[kind])
    again = MetricDef.from_dict(json.loads(json.dumps(m.to_dict())))
    assert again == m


def test_from_dict_fills_defaults() -> None:
    m = metric("share_within")
    assert (m.start_field, m.end_field) == ("opened_at", "first_response_at")
    assert m.window == "month" and m.direction == "higher"
    assert m.min_sample == 0 and m.weight == D(1)
    assert m.filter == (sm.Condition("priority", "eq", "P1"),)
    assert m.threshold_minutes == 30 and m.target == D(95)
    assert metric("average").field == "csat"
    rate = metric("rate")
    assert rate.start_field is None and rate.end_field is None and rate.flag == "defect"


def test_from_dict_full_round_trip_with_tiers_and_filters() -> None:
    d = mdict(
        "share_within",
        filter=[["priority", "in", ["P1", "P2"]], ["status", "ne", "cancelled"]],
        tiers=SHARE_TIERS,
        window="quarter",
        calendar="cn-workdays",
        weight="2.5",
        min_sample=20,
    )
    m = MetricDef.from_dict(d)
    assert m.filter[0] == sm.Condition("priority", "in", ("P1", "P2"))
    assert m.tiers[0] == Tier(D(0), D(90), "credit_percent", D(10))
    assert m.tiers[2] == Tier(D(95), D(100), "none", D(0))
    out = m.to_dict()
    assert out["filter"] == [["priority", "in", ["P1", "P2"]], ["status", "ne", "cancelled"]]
    assert out["tiers"][1] == {"from": "90", "to": "95", "consequence": "credit_percent", "amount": "5"}
    assert out["weight"] == "2.5" and out["calendar"] == "cn-workdays" and out["window"] == "quarter"
    assert MetricDef.from_dict(json.loads(json.dumps(out))) == m


def test_dict_filter_with_a_list_means_in_and_round_trips() -> None:
    m = metric("count", filter={"priority": ["P1", "P2"], "category": "network"})
    assert m.filter == (
        sm.Condition("priority", "in", ("P1", "P2")),
        sm.Condition("category", "eq", "network"),
    )
    assert MetricDef.from_dict(json.loads(json.dumps(m.to_dict()))) == m
    assert hash(m) == hash(MetricDef.from_dict(m.to_dict()))  # frozen and hashable
    assert matches(m, {"priority": "P2", "category": "network"})


def test_from_dict_raises_with_field_errors() -> None:
    with pytest.raises(InvalidMetric) as info:
        MetricDef.from_dict(mdict("share_within", target="150", threshold_minutes=None))
    assert info.value.errors == {"target": MSG["over_100"], "threshold_minutes": MSG["required"]}
    assert "target" in str(info.value)


def test_not_a_mapping() -> None:
    assert validate_metric([1, 2]) == {"": MSG["not_mapping"]}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "overrides", "expected"),
    [
        # required / type / choice rules on common settings
        ("share_within", {"name": None}, {"name": MSG["required"]}),
        ("share_within", {"name": "  "}, {"name": MSG["required"]}),
        ("share_within", {"name": 5}, {"name": MSG["not_text"]}),
        ("share_within", {"kind": "median"}, {"kind": MSG["choice"].format(choices=", ".join(sm.KINDS))}),
        ("share_within", {"record_kind": None}, {"record_kind": MSG["required"]}),
        ("share_within", {"window": "week"}, {"window": MSG["choice"].format(choices="month, quarter")}),
        ("share_within", {"direction": "up"}, {"direction": MSG["choice"].format(choices="higher, lower")}),
        ("share_within", {"calendar": 7}, {"calendar": MSG["not_text"]}),
        ("share_within", {"thresold_minutes": 5}, {"thresold_minutes": MSG["unknown_setting"]}),
        # target
        ("share_within", {"target": None}, {"target": MSG["required"]}),
        ("share_within", {"target": "abc"}, {"target": MSG["not_number"]}),
        ("share_within", {"target": True}, {"target": MSG["not_number"]}),
        ("share_within", {"target": "NaN"}, {"target": MSG["not_number"]}),
        ("share_within", {"target": -1}, {"target": MSG["negative"]}),
        ("share_within", {"target": "100.01"}, {"target": MSG["over_100"]}),
        ("rate", {"target": 101}, {"target": MSG["over_100"]}),
        ("average", {"target": -0.5}, {"target": MSG["negative"]}),
        # min sample and weight
        ("share_within", {"min_sample": -1}, {"min_sample": MSG["negative"]}),
        ("share_within", {"min_sample": 2.5}, {"min_sample": MSG["not_integer"]}),
        ("share_within", {"min_sample": "x"}, {"min_sample": MSG["not_number"]}),
        ("share_within", {"weight": 0}, {"weight": MSG["weight"]}),
        ("share_within", {"weight": "-2"}, {"weight": MSG["weight"]}),
        ("share_within", {"weight": "heavy"}, {"weight": MSG["not_number"]}),
        # filters, dict form: path filter.<field>
        ("share_within", {"filter": {"severity": "P1"}}, {"filter.severity": MSG["unknown_field"]}),
        (
            "share_within",
            {"filter": {"opened_at": "2026-01-01"}},
            {"filter.opened_at": MSG["filter_timestamp"]},
        ),
        ("share_within", {"filter": {"csat": "high"}}, {"filter.csat": MSG["filter_value"]}),
        ("share_within", {"filter": {"defect": "yes"}}, {"filter.defect": MSG["filter_value"]}),
        ("share_within", {"filter": {"priority": []}}, {"filter.priority": MSG["filter_in"]}),
        # filters, list form: path filter.<index>.<part>
        ("share_within", {"filter": [["severity", "eq", "P1"]]}, {"filter.0.field": MSG["unknown_field"]}),
        (
            "share_within",
            {"filter": [["priority", "eq", "P1"], ["resolved_at", "eq", None]]},
            {"filter.1.field": MSG["filter_timestamp"]},
        ),
        (
            "share_within",
            {"filter": [["priority", "like", "P%"]]},
            {"filter.0.op": MSG["choice"].format(choices="eq, ne, in")},
        ),
        ("share_within", {"filter": [["priority", "in", "P1"]]}, {"filter.0.value": MSG["filter_in"]}),
        ("share_within", {"filter": [["priority", "in", []]]}, {"filter.0.value": MSG["filter_in"]}),
        ("share_within", {"filter": [["csat", "in", [1, "x"]]]}, {"filter.0.value": MSG["filter_value"]}),
        ("share_within", {"filter": [["priority", "eq", ["P1"]]]}, {"filter.0.value": MSG["filter_value"]}),
        ("share_within", {"filter": [["priority", "eq"]]}, {"filter.0": MSG["filter_shape"]}),
        ("share_within", {"filter": ["priority"]}, {"filter.0": MSG["filter_shape"]}),
        ("share_within", {"filter": "priority=P1"}, {"filter": MSG["not_list"]}),
        # share_within
        ("share_within", {"threshold_minutes": None}, {"threshold_minutes": MSG["required"]}),
        ("share_within", {"threshold_minutes": -5}, {"threshold_minutes": MSG["negative"]}),
        ("share_within", {"threshold_minutes": 2.5}, {"threshold_minutes": MSG["not_integer"]}),
        ("share_within", {"start_field": "created"}, {"start_field": MSG["unknown_field"]}),
        ("share_within", {"end_field": "priority"}, {"end_field": MSG["not_timestamp"]}),
        ("share_within", {"end_field": "opened_at"}, {"end_field": MSG["same_timestamps"]}),
        ("share_within", {"statistic": "mean"}, {"statistic": MSG["unused"]}),
        ("share_within", {"flag": "defect"}, {"flag": MSG["unused"]}),
        # duration
        ("duration", {"statistic": None}, {"statistic": MSG["required"]}),
        (
            "duration",
            {"statistic": "p101"},
            {"statistic": MSG["choice"].format(choices="mean, median, p90, p95, p1–p100")},
        ),
        (
            "duration",
            {"statistic": "p0"},
            {"statistic": MSG["choice"].format(choices="mean, median, p90, p95, p1–p100")},
        ),
        (
            "duration",
            {"statistic": "90"},
            {"statistic": MSG["choice"].format(choices="mean, median, p90, p95, p1–p100")},
        ),
        (
            "duration",
            {"statistic": "median", "percentile_method": "midpoint"},
            {"percentile_method": MSG["choice"].format(choices="nearest_rank, linear")},
        ),
        (
            "duration",
            {"statistic": "mean", "percentile_method": "linear"},
            {"percentile_method": MSG["unused"]},
        ),
        ("share_within", {"percentile_method": "linear"}, {"percentile_method": MSG["unused"]}),
        ("duration", {"threshold_minutes": 30}, {"threshold_minutes": MSG["unused"]}),
        ("duration", {"start_field": "csat"}, {"start_field": MSG["not_timestamp"]}),
        ("duration", {"start_field": "resolved_at"}, {"end_field": MSG["same_timestamps"]}),
        # rate
        ("rate", {"flag": None}, {"flag": MSG["rate_source"]}),
        ("rate", {"flag": "priority"}, {"flag": MSG["not_boolean_field"]}),
        ("rate", {"flag": "late"}, {"flag": MSG["unknown_field"]}),
        ("rate", {"start_field": "delivered_at"}, {"flag": MSG["rate_both"]}),
        ("rate", {"flag": None, "start_field": "delivered_at"}, {"end_field": MSG["required"]}),
        ("rate", {"flag": None, "end_field": "promised_at"}, {"start_field": MSG["required"]}),
        ("rate", {"field": "csat"}, {"field": MSG["unused"]}),
        # average
        ("average", {"field": "priority"}, {"field": MSG["not_numeric_field"]}),
        ("average", {"field": "nps"}, {"field": MSG["unknown_field"]}),
        ("average", {"threshold_minutes": 5}, {"threshold_minutes": MSG["unused"]}),
        # count / manual
        ("count", {"statistic": "mean"}, {"statistic": MSG["unused"]}),
        ("manual", {"filter": {"priority": "P1"}}, {"filter": MSG["unused"]}),
        ("manual", {"flag": "defect"}, {"flag": MSG["unused"]}),
    ],
)
def test_validation_rules(kind: str, overrides: dict[str, Any], expected: dict[str, str]) -> None:
    assert errors_of(kind, **overrides) == expected


@pytest.mark.parametrize(
    ("kind", "overrides"),
    [
        ("share_within", {"target": 100}),
        ("share_within", {"target": 0, "threshold_minutes": 0}),
        ("share_within", {"filter": [{"field": "priority", "op": "in", "value": ["P1", "P2"]}]}),
        ("share_within", {"filter": [["category", "ne", None]]}),
        ("share_within", {"min_sample": "20", "weight": "0.5"}),
        ("duration", {"statistic": "p95", "target": 500}),
        ("duration", {"statistic": "p99", "percentile_method": "linear"}),
        ("duration", {"statistic": "p99.5", "percentile_method": "nearest_rank"}),
        ("duration", {"statistic": "p100"}),
        ("rate", {"flag": None, "start_field": "delivered_at", "end_field": "promised_at", "target": 98}),
        ("average", {"field": "csat", "target": "4.5"}),
        ("count", {"target": 0}),
        ("manual", {"record_kind": "audit", "filter": []}),
    ],
)
def test_valid_variants(kind: str, overrides: dict[str, Any]) -> None:
    assert errors_of(kind, **overrides) == {}


def test_custom_fields_are_accepted_by_type() -> None:
    custom = {"late": "boolean", "effort": "number", "region": "text"}
    assert errors_of("rate", custom, flag="late") == {}
    assert errors_of("average", custom, field="effort") == {}
    assert errors_of("count", custom, filter={"region": "north", "late": True, "effort": 3}) == {}
    assert errors_of("rate", custom, flag="effort") == {"flag": MSG["not_boolean_field"]}
    assert errors_of("average", custom, field="region") == {"field": MSG["not_numeric_field"]}
    assert errors_of("count", custom, filter={"late": "no"}) == {"filter.late": MSG["filter_value"]}
    # A custom field cannot turn a standard field into another type.
    assert errors_of("average", {"priority": "number"}, field="priority") == {
        "field": MSG["not_numeric_field"]
    }
    with pytest.raises(ValueError, match="unknown type"):
        validate_metric(BASES["rate"], {"late": "flag"})


def test_manual_does_not_need_a_record_kind_but_others_do() -> None:
    assert errors_of("manual") == {}
    assert errors_of("count", record_kind=None) == {"record_kind": MSG["required"]}


def test_several_errors_are_reported_together() -> None:
    errs = errors_of("duration", statistic="p999", target=-1, weight=0, filter={"nope": 1})
    assert set(errs) == {"statistic", "target", "weight", "filter.nope"}


# ---- tiers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tiers", "percent", "expected"),
    [
        ([{"from": 90, "to": 90, "consequence": "none"}], False, {"tiers.0.to": MSG["tier_order"]}),
        ([{"from": 95, "to": 90, "consequence": "none"}], False, {"tiers.0.to": MSG["tier_order"]}),
        ([{"to": 90}], False, {"tiers.0.from": MSG["required"]}),
        ([{"from": "a", "to": 90}], False, {"tiers.0.from": MSG["not_number"]}),
        ([{"from": -1, "to": 90}], False, {"tiers.0.from": MSG["negative"]}),
        ([{"from": 90, "to": 101}], True, {"tiers.0.to": MSG["over_100"]}),
        ([{"from": 101, "to": 200}], True, {"tiers.0.from": MSG["over_100"], "tiers.0.to": MSG["over_100"]}),
        ([{"from": 90, "to": 101}], False, {}),  # not a percent metric: no upper limit
        (
            [{"from": 0, "to": 1, "consequence": "refund"}],
            False,
            {"tiers.0.consequence": MSG["choice"].format(choices=", ".join(sm.CONSEQUENCES))},
        ),
        ([{"from": 0, "to": 1, "consequence": "credit_fixed"}], False, {"tiers.0.amount": MSG["required"]}),
        (
            [{"from": 0, "to": 1, "consequence": "credit_fixed", "amount": -5}],
            False,
            {"tiers.0.amount": MSG["negative"]},
        ),
        (
            [{"from": 0, "to": 1, "consequence": "credit_percent", "amount": 101}],
            False,
            {"tiers.0.amount": MSG["over_100"]},
        ),
        (
            [{"from": 0, "to": 1, "consequence": "bonus_percent", "amount": "100.5"}],
            False,
            {"tiers.0.amount": MSG["over_100"]},
        ),
        ([{"from": 0, "to": 1, "consequence": "credit_fixed", "amount": 5000}], False, {}),
        (
            [{"from": 0, "to": 1, "consequence": "none", "amount": 5}],
            False,
            {"tiers.0.amount": MSG["unused"]},
        ),
        ([{"from": 0, "to": 1, "consequence": "none", "amount": 0}], False, {}),
        ([{"from": 0, "to": 1, "colour": "red"}], False, {"tiers.0.colour": MSG["unknown_setting"]}),
        ([5], False, {"tiers.0": MSG["not_mapping"]}),
        ({"from": 0}, False, {"tiers": MSG["not_list"]}),
        # overlaps: reported on the later-defined tier, naming the earlier one
        (
            [{"from": 0, "to": 90}, {"from": 85, "to": 100}],
            True,
            {"tiers.1.from": MSG["tier_overlap"].format(other=0)},
        ),
        (
            [{"from": 85, "to": 100}, {"from": 0, "to": 90}],
            True,
            {"tiers.1.from": MSG["tier_overlap"].format(other=0)},
        ),
        # a band inside another, and one overlapping a band that is not its neighbour
        (
            [{"from": 0, "to": 50}, {"from": 10, "to": 20}, {"from": 30, "to": 60}],
            True,
            {
                "tiers.1.from": MSG["tier_overlap"].format(other=0),
                "tiers.2.from": MSG["tier_overlap"].format(other=0),
            },
        ),
        ([{"from": 0, "to": 90}, {"from": 90, "to": 100}], True, {}),  # touching is fine
        ([{"from": 0, "to": 50}, {"from": 60, "to": 100}], True, {}),  # gaps are fine
        ([], True, {}),
        (None, True, {}),
    ],
)
def test_validate_tiers(tiers: Any, percent: bool, expected: dict[str, str]) -> None:
    assert validate_tiers(tiers, percent=percent) == expected


def test_target_must_lie_in_a_tier() -> None:
    tiers = [{"from": 0, "to": 50}, {"from": 60, "to": 100}]
    assert validate_tiers(tiers, percent=True, target=55) == {"target": MSG["target_outside_tiers"]}
    assert validate_tiers(tiers, percent=True, target=50) == {"target": MSG["target_outside_tiers"]}
    assert validate_tiers(tiers, percent=True, target=60) == {}
    assert validate_tiers(tiers, percent=True, target=100) == {}  # top tier is closed
    assert errors_of("share_within", tiers=tiers, target=55) == {"target": MSG["target_outside_tiers"]}
    # Not checked while the tiers themselves are broken.
    assert errors_of("share_within", tiers=[{"from": 0, "to": 50}, {"from": 40, "to": 60}], target=80) == {
        "tiers.1.from": MSG["tier_overlap"].format(other=0)
    }


def test_metric_tier_errors_use_percent_rules_for_percent_kinds() -> None:
    bad = [{"from": 0, "to": 120, "consequence": "credit_percent", "amount": 150}]
    assert errors_of("share_within", tiers=bad) == {
        "tiers.0.to": MSG["over_100"],
        "tiers.0.amount": MSG["over_100"],
    }
    assert errors_of("count", tiers=bad) == {"tiers.0.amount": MSG["over_100"]}


def test_validate_cap() -> None:
    assert validate_cap(D(15)) == {}
    assert validate_cap(None, None) == {}
    assert validate_cap(D(100), D(100)) == {}
    assert validate_cap(D("100.01")) == {"credit_cap_percent": MSG["cap_over_100"]}
    assert validate_cap(-1, 200) == {
        "credit_cap_percent": MSG["negative"],
        "bonus_cap_percent": MSG["cap_over_100"],
    }


def test_tier_from_dict_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        Tier.from_dict({"from": "x", "to": 1})
    with pytest.raises(ValueError):
        Tier.from_dict({"from": 0, "to": 1, "amount": "lots"})


# ================================================================================================
# matches / observe


def test_matches_kind_and_filter_ops() -> None:
    m = metric("count", filter=[["priority", "in", ["P1", "P2"]], ["status", "ne", "cancelled"]])
    assert matches(m, {"kind": "ticket", "priority": "P1", "status": "open"})
    assert matches(m, {"priority": "P2"})  # no kind in the record; missing status satisfies "ne"
    assert not matches(m, {"kind": "order", "priority": "P1"})
    assert not matches(m, {"priority": "P3"})
    assert not matches(m, {"priority": "P1", "status": "cancelled"})
    eq = metric("count", filter={"priority": "P1"})
    assert matches(eq, {"priority": "P1"}) and not matches(eq, {"priority": "p1"}) and not matches(eq, {})


def test_observe_share_within_threshold_is_inclusive() -> None:
    m = metric("share_within")  # 30 minutes = 1800 s
    rec = {"kind": "ticket", "priority": "P1", "opened_at": "x", "first_response_at": "y"}
    assert observe(m, rec, 1800) == Observation(hit=True, value=Fraction(1800))
    assert observe(m, rec, 1801) == Observation(hit=False, value=Fraction(1801))
    assert observe(m, rec, -40) == Observation(hit=True, value=Fraction(0))  # clamped
    # Not answered yet, or not computable: missing (counted as not within by evaluate).
    assert observe(m, {**rec, "first_response_at": None}, 100) == Observation(missing=True)
    assert observe(m, rec, None) == Observation(missing=True)
    assert observe(m, {**rec, "priority": "P2"}, 100) is None
    assert observe(m, {**rec, "kind": "order"}, 100) is None


def test_observe_duration() -> None:
    m = metric("duration")  # the mean: the exact total is enough, no value is kept
    rec = {"opened_at": datetime(2026, 1, 1), "resolved_at": datetime(2026, 1, 2)}
    assert observe(m, rec, 7200) == Observation(value=Fraction(7200))
    assert observe(m, {"opened_at": datetime(2026, 1, 1)}, None) == Observation(missing=True)
    # a percentile metric keeps each record's exact business seconds
    median = metric("duration", statistic="median")
    assert observe(median, rec, 7200) == Observation(value=Fraction(7200), seconds=7200)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, Observation(hit=True)),
        (False, Observation()),
        (1, Observation(hit=True)),
        (0, Observation()),
        ("yes", Observation(hit=True)),
        ("False", Observation()),
        (None, Observation(missing=True)),
        ("", Observation(missing=True)),
        ("maybe", Observation(missing=True)),
        (7, Observation(missing=True)),
    ],
)
def test_observe_rate_flag(raw: Any, expected: Observation) -> None:
    assert observe(metric("rate"), {"defect": raw}) == expected


def test_observe_rate_timestamp_pair() -> None:
    m = metric("rate", flag=None, start_field="delivered_at", end_field="promised_at", direction="higher")
    promised = datetime(2026, 3, 10, 17, 0)
    assert observe(m, {"delivered_at": promised, "promised_at": promised}) == Observation(hit=True)
    assert (
        observe(m, {"delivered_at": datetime(2026, 3, 10, 17, 1), "promised_at": promised}) == Observation()
    )
    assert observe(m, {"delivered_at": "2026-03-09T10:00", "promised_at": "2026-03-10T17:00"}) == Observation(
        hit=True
    )
    assert observe(m, {"delivered_at": date(2026, 3, 11), "promised_at": date(2026, 3, 11)}) == Observation(
        hit=True
    )
    # Not delivered yet: a miss. No promise: left out.
    assert observe(m, {"delivered_at": None, "promised_at": promised}) == Observation()
    assert observe(m, {"delivered_at": promised, "promised_at": None}) == Observation(missing=True)
    assert observe(m, {"delivered_at": promised, "promised_at": "soon"}) == Observation(missing=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (5, Observation(value=Fraction(5))),
        (4.7, Observation(value=Fraction(47, 10))),  # via the shortest repr, not the binary expansion
        (D("3.5"), Observation(value=Fraction(7, 2))),
        ("4", Observation(value=Fraction(4))),
        (None, Observation(missing=True)),
        ("n/a", Observation(missing=True)),
        (float("nan"), Observation(missing=True)),
        (True, Observation(missing=True)),
    ],
)
def test_observe_average(raw: Any, expected: Observation) -> None:
    assert observe(metric("average"), {"csat": raw}) == expected


def test_observe_count_and_manual() -> None:
    assert observe(metric("count"), {"priority": "P1"}) == Observation()
    assert observe(metric("count"), {"priority": "P2"}) is None
    assert observe(metric("manual"), {"priority": "P1"}) is None


def test_aggregate_skips_none() -> None:
    assert aggregate([None, Observation(hit=True), None, Observation(missing=True)]) == Aggregate(
        count=2, hits=1, missing=1
    )


# ================================================================================================
# Percentiles: exact, nearest rank by default, linear interpolation on request


def test_percentile_of_reads_median_and_any_p() -> None:
    assert percentile_of("median") == 50 and percentile_of("p90") == 90 and percentile_of("p95") == 95
    assert (
        percentile_of("p99.5") == Fraction(199, 2)
        and percentile_of("p100") == 100
        and percentile_of("p1") == 1
    )
    for other in ("mean", "p0", "p101", "p", "90", "P90", None, 90):
        assert percentile_of(other) is None
    assert metric("duration", statistic="p99").percentile == 99 and metric("duration").percentile is None
    assert metric("duration", statistic="median").method == "nearest_rank"
    assert metric("duration", statistic="median", percentile_method="linear").method == "linear"


def test_nearest_rank_definition() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([40, 10, 30, 20], 50) == 20  # lower middle
    assert nearest_rank([10, 20, 30, 40], 90) == 40  # ceil(3.6) = 4
    assert nearest_rank([10, 20, 30, 40], 1) == 10
    assert nearest_rank(list(range(1, 21)), 95) == 19  # rank 19 exactly
    assert Aggregate().quantile(50) is None


def test_percentile_value_by_hand() -> None:
    counts = {40: 1, 10: 1, 30: 1, 20: 1}
    # nearest rank: median rank ceil(2) = 2 -> 20; p90 rank ceil(3.6) = 4 -> 40; p25 rank 1 -> 10
    assert [percentile_value(counts, p) for p in (50, 90, 25, 100)] == [20, 40, 10, 40]
    # linear: h = 3 * P/100; median h = 1.5 -> 20 + 0.5 * 10 = 25; p90 h = 2.7 -> 37; p100 -> 40; p1 -> 10.3
    linear = [percentile_value(counts, p, "linear") for p in (50, 90, 100, 1)]
    assert linear == [25, 37, 40, Fraction(103, 10)]
    # counts weigh like repeated values; zero counts are ignored
    assert percentile_value({480: 3, 900: 2, 1: 0}, 50) == 480 and percentile_value({5: 1}, 99, "linear") == 5
    assert percentile_value({}, 50) is None and percentile_value({7: 0}, 50) is None
    with pytest.raises(ValueError):
        percentile_value({1: 1}, 0)
    with pytest.raises(ValueError):
        percentile_value({1: 1}, 50, "midpoint")


def _brute_nearest_rank(values: list[int], p: Fraction) -> Fraction:
    ordered = sorted(values)
    rank = 1
    while rank < len(ordered) and Fraction(rank * 100, len(ordered)) < p:
        rank += 1  # the smallest rank whose share of values reaches P %
    return Fraction(ordered[rank - 1])


def _brute_linear(values: list[int], p: Fraction) -> Fraction:
    ordered = sorted(values)
    h = (len(ordered) - 1) * p / 100
    lo = int(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


@settings(max_examples=300, deadline=None)
@given(
    days=st.lists(
        st.lists(st.integers(min_value=0, max_value=3_000_000), max_size=30), min_size=1, max_size=8
    ),
    small=st.booleans(),
    p=st.sampled_from(["median", "p90", "p95", "p1", "p99", "p100", "p33.3"]),
    method=st.sampled_from(["nearest_rank", "linear"]),
)
def test_engine_percentile_equals_brute_force_over_the_raw_values(
    days: list[list[int]], small: bool, p: str, method: str
) -> None:
    if small:  # many ties
        days = [[v % 7 * 60 for v in day] for day in days]
    m = metric("duration", statistic=p, percentile_method=method)
    # as stored: one aggregate per day, through JSON, summed into a period (the monthly roll-up)
    stored = [
        aggregate(observe(m, {"opened_at": 1, "resolved_at": 2}, s) for s in day).to_dict() for day in days
    ]
    period = Aggregate.sum_dicts(json.loads(json.dumps(d)) for d in stored)
    result = evaluate(m, period)
    raw = [s for day in days for s in day]
    if not raw:
        assert result.status == "no_data"
        return
    percent = percentile_of(p)
    assert percent is not None
    brute = _brute_nearest_rank(raw, percent) if method == "nearest_rank" else _brute_linear(raw, percent)
    assert result.exact == brute / 60
    assert result.sample_size == len(raw)


def test_a_month_whose_exact_median_is_480_minutes_meets_a_480_target_and_charges_nothing() -> None:
    # 41 records around 8 hours; the median (21st) is exactly 480 min = 28,800 s. The old histogram
    # reported the midpoint of its bucket [28672, 28927]: 481.06 min, a miss and a 5 % credit.
    seconds = [28_800 - 600 * k for k in range(1, 21)] + [28_800] + [28_800 + 37 * k for k in range(1, 21)]
    m = metric(
        "duration",
        statistic="median",
        target=480,
        direction="lower",
        tiers=[
            {"from": "0", "to": "480", "consequence": "none"},
            {"from": "480", "to": "100000", "consequence": "credit_percent", "amount": "5"},
        ],
    )
    agg = durations(seconds)
    r = evaluate(m, agg)
    assert (r.exact, r.value, r.status, r.margin) == (480, 480.0, "met", 0.0)
    assert credit_for(r, m, D(100000)).credit == 0


# ================================================================================================
# Aggregates: merge and JSON


def test_add_and_merge_by_hand() -> None:
    a = aggregate([Observation(hit=True, value=Fraction(60), seconds=60), Observation(missing=True)])
    b = aggregate([Observation(hit=False, value=Fraction(600), seconds=600)])
    assert a == Aggregate(count=2, hits=1, missing=1, total=Fraction(60), values={60: 1})
    merged = a.merge(b)
    assert merged == Aggregate(count=3, hits=1, missing=1, total=Fraction(660), values={60: 1, 600: 1})
    assert merged.valued == 2
    # merge is pure
    assert a.values == {60: 1} and b.count == 1
    assert Aggregate.merge_all([a, None, b]) == merged
    assert Aggregate.merge_all([]) == Aggregate()


def test_json_is_compact_and_round_trips() -> None:
    agg = Aggregate(count=3, hits=2, missing=1, total=Fraction(47, 10), values={406: 2, 60: 1})
    text = agg.to_json()
    assert text == '{"c":3,"h":2,"m":1,"t":"47/10","v":[60,1,406,2]}'
    assert Aggregate.from_json(text) == agg
    assert Aggregate().to_json() == '{"c":0}'
    assert Aggregate.from_json('{"c":0}') == Aggregate()
    assert Aggregate.from_dict(json.loads(json.dumps(agg.to_dict()))) == agg


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1]",
        "{}",
        '{"c":"x"}',
        '{"c":1,"v":[1]}',
        '{"c":1,"t":"1/0"}',
        '{"c":1,"h":2}',
        '{"c":-1}',
    ],
)
def test_from_json_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        Aggregate.from_json(text)


observations = st.builds(
    Observation,
    hit=st.booleans(),
    missing=st.booleans(),
    value=st.none() | st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=1000),
    seconds=st.none() | st.integers(min_value=0, max_value=5_000_000),
)


@settings(max_examples=150, deadline=None)
@given(obs=st.lists(observations, max_size=40), data=st.data())
def test_merging_any_partition_in_any_order_equals_aggregating_all(obs: list[Observation], data: Any) -> None:
    whole = aggregate(obs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(obs)), max_size=6)))
    bounds = [0, *cuts, len(obs)]
    parts = [aggregate(obs[lo:hi]) for lo, hi in itertools.pairwise(bounds)]
    order = data.draw(st.permutations(range(len(parts))))
    merged = Aggregate()
    for i in order:
        merged = merged.merge(parts[i])
    assert merged == whole
    # also via JSON, as stored per day, and by summing the stored dicts (the monthly roll-ups)
    assert Aggregate.merge_all(Aggregate.from_json(p.to_json()) for p in parts) == whole
    assert Aggregate.sum_dicts(json.loads(p.to_json()) for p in parts) == whole
    for percent in (50, 90, 95):
        assert merged.quantile(percent) == whole.quantile(percent)


# ================================================================================================
# evaluate, kind by kind


def test_share_within_19_of_20_meets_95() -> None:
    r = evaluate(metric("share_within"), agg_of(count=20, hits=19))
    assert (r.value, r.exact, r.sample_size, r.status, r.margin) == (95.0, Fraction(95), 20, "met", 0.0)
    assert r.target == D(95) and r.tier is None and r.consequence == "none"


def test_share_boundary_where_float_division_would_fail() -> None:
    # 29 / 50 * 100 in floats is 57.99999999999999; exactly it is 58.
    assert 29 / 50 * 100 < 58
    r = evaluate(metric("share_within", target=58), agg_of(count=50, hits=29))
    assert r.status == "met" and r.exact == 58 and r.margin == 0.0


def test_share_within_missed_and_missing_counted_as_not_within() -> None:
    r = evaluate(metric("share_within"), agg_of(count=20, hits=18))
    assert (r.value, r.status, r.margin) == (90.0, "missed", -5.0)
    # 19 within + 1 without response: 19 / 20 = 95 %, the unanswered one counts against.
    m = metric("share_within")
    answered = {"priority": "P1", "opened_at": 1, "first_response_at": 2}
    recs = [(answered, 60)] * 19 + [({"priority": "P1", "opened_at": 1}, None)]
    agg = aggregate(observe(m, rec, secs) for rec, secs in recs)
    assert (agg.count, agg.hits, agg.missing) == (20, 19, 1)
    assert evaluate(m, agg).status == "met"
    # one third: exact value above 33.33
    third = evaluate(metric("share_within", target="33.33"), agg_of(count=3, hits=1))
    assert third.status == "met" and third.exact == Fraction(100, 3)


def test_insufficient_and_no_data() -> None:
    m = metric("share_within", min_sample=30, tiers=SHARE_TIERS)
    r = evaluate(m, agg_of(count=20, hits=10))
    assert (r.status, r.value, r.margin, r.tier, r.sample_size) == ("insufficient", 50.0, -45.0, None, 20)
    assert evaluate(m, agg_of(count=30, hits=30)).status == "met"  # exactly the minimum is enough
    for agg in (None, Aggregate()):
        nd = evaluate(m, agg)
        assert (nd.status, nd.value, nd.exact, nd.margin, nd.tier, nd.sample_size) == (
            "no_data", None, None, None, None, 0
        )  # fmt: skip


def test_duration_statistics_by_hand() -> None:
    seconds = [60, 120, 180, 240, 600, 1200, 1800, 2400, 3000, 3600]
    agg = durations(seconds)
    # mean: 13200 s / 10 = 1320 s = 22 min, exact (from the sum)
    mean = evaluate(metric("duration"), agg)
    assert (mean.value, mean.status, mean.margin, mean.sample_size) == (22.0, "met", 8.0, 10)
    # median: nearest rank ceil(5) = 5 -> 600 s = 10 min exactly
    assert evaluate(metric("duration", statistic="median"), agg).exact == 10
    # ... linear: h = 9 * 0.5 = 4.5 -> 600 + 0.5 * 600 = 900 s = 15 min
    assert evaluate(metric("duration", statistic="median", percentile_method="linear"), agg).exact == 15
    # p90: rank 9 -> 3000 s = 50 min, over the 30 min target
    p90 = evaluate(metric("duration", statistic="p90"), agg)
    assert p90.exact == 50 and p90.status == "missed"
    # p95: rank ceil(9.5) = 10 -> 3600 s = 60 min
    assert evaluate(metric("duration", statistic="p95"), agg).value == 60.0
    # median of 10, 20, 30, 40 s is 20 s
    assert evaluate(metric("duration", statistic="median"), durations([10, 20, 30, 40])).exact == Fraction(
        1, 3
    )


def test_duration_leaves_missing_out_of_the_sample() -> None:
    agg = durations([600, 1200]).merge(Aggregate(count=3, missing=3))
    r = evaluate(metric("duration", min_sample=3), agg)
    assert (r.sample_size, r.status, r.value) == (2, "insufficient", 15.0)
    assert evaluate(metric("duration"), Aggregate(count=2, missing=2)).status == "no_data"


def test_rate_lower_is_better() -> None:
    m = metric("rate")  # defect rate, target 2 %, lower is better
    r = evaluate(m, agg_of(count=50, hits=1))
    assert (r.value, r.status, r.margin) == (2.0, "met", 0.0)
    r = evaluate(m, agg_of(count=50, hits=2))
    assert (r.value, r.status, r.margin) == (4.0, "missed", -2.0)
    # unknown defect flags are left out: 1 of 50 known (+10 unknown) is still 2 %
    r = evaluate(m, agg_of(count=60, hits=1, missing=10))
    assert (r.sample_size, r.value) == (50, 2.0)


def test_rate_on_time_delivery() -> None:
    m = metric(
        "rate", flag=None, start_field="delivered_at", end_field="promised_at", direction="higher", target=90
    )
    p = datetime(2026, 5, 1, 12)
    recs: list[dict[str, Any]] = [{"delivered_at": p, "promised_at": p}] * 9 + [
        {"delivered_at": datetime(2026, 5, 2), "promised_at": p},
        {"delivered_at": p, "promised_at": None},  # left out
    ]
    r = evaluate(m, aggregate(observe(m, rec) for rec in recs))
    assert (r.sample_size, r.value, r.status) == (10, 90.0, "met")


def test_average() -> None:
    m = metric("average")  # csat, target 4, higher is better
    r = evaluate(m, values([5, 4, 4, 3]))
    assert (r.value, r.status, r.margin, r.sample_size) == (4.0, "met", 0.0, 4)
    r = evaluate(m, aggregate(observe(m, {"csat": v}) for v in [4.7, 3.2, None]))
    assert r.exact == Fraction(79, 20) and r.status == "missed" and r.sample_size == 2  # 7.9 / 2 = 3.95


def test_count() -> None:
    m = metric("count")  # no more than 2, lower is better
    assert evaluate(m, agg_of(count=2)).status == "met"
    r = evaluate(m, agg_of(count=3))
    assert (r.value, r.status, r.margin, r.sample_size) == (3.0, "missed", -1.0, 3)
    # No rows at all: zero incidents, met.
    zero = evaluate(m, None)
    assert (zero.value, zero.status, zero.margin) == (0.0, "met", 2.0)
    # A minimum sample on a count is unusual but honoured.
    assert evaluate(metric("count", min_sample=1), None).status == "insufficient"
    higher = metric("count", direction="higher", target=10)
    assert evaluate(higher, agg_of(count=9)).status == "missed"


def test_manual() -> None:
    m = metric("manual")
    r = evaluate(m, None, D("80"))
    assert (r.value, r.status, r.margin, r.sample_size) == (80.0, "met", 0.0, 1)
    assert evaluate(m, None, D("79.5")).status == "missed"
    assert evaluate(metric("manual", min_sample=5), None, 90).status == "met"  # min sample ignored
    assert evaluate(m).status == "no_data"
    with pytest.raises(ValueError):
        evaluate(m, None, "lots")
    with pytest.raises(ValueError):
        evaluate(metric("count"), agg_of(count=1), D(1))


# ================================================================================================
# Tiers and consequences


@pytest.mark.parametrize(
    ("hits", "count", "tier", "consequence"),
    [
        (0, 20, 0, "credit_percent"),
        (17, 20, 0, "credit_percent"),  # 85
        (18, 20, 1, "credit_percent"),  # 90: on the edge -> the band that starts there
        (187, 200, 1, "credit_percent"),  # 93.5
        (19, 20, 2, "none"),  # 95
        (20, 20, 2, "none"),  # 100: the top tier is closed
    ],
)
def test_share_tier_edges(hits: int, count: int, tier: int, consequence: str) -> None:
    r = evaluate(metric("share_within", tiers=SHARE_TIERS), agg_of(count=count, hits=hits))
    assert (r.tier, r.consequence) == (tier, consequence)


def test_tier_edges_for_non_percent_and_gaps() -> None:
    csat = metric(
        "average",
        tiers=[
            {"from": 0, "to": 4, "consequence": "credit_fixed", "amount": 500},
            {"from": 4, "to": "4.5"},
            {"from": "4.5", "to": 5, "consequence": "bonus_fixed", "amount": 300},
        ],
    )
    assert evaluate(csat, values([5])).tier == 2  # top tier closed at 5
    assert evaluate(csat, values([4, 5])).tier == 2  # 4.5 starts the top band
    assert evaluate(csat, values([4])).tier == 1
    assert evaluate(csat, values([3, 4])).tier == 0  # 3.5
    gappy = metric("share_within", target=95, tiers=[{"from": 50, "to": 100}])
    outside = evaluate(gappy, agg_of(count=10, hits=4))
    assert (outside.status, outside.tier, outside.consequence) == ("missed", None, "none")
    # Lower is better (the count's target is 2): bands are (from, to], the bottom one closed, so the
    # boundary belongs to the better band; 3 is the top of "0–3", 4 is in "3–1000".
    count = metric(
        "count",
        tiers=[{"from": 0, "to": 3}, {"from": 3, "to": 1000, "consequence": "credit_percent", "amount": 5}],
    )
    assert [evaluate(count, agg_of(count=n)).tier for n in (0, 2, 3, 4, 1000)] == [0, 0, 0, 1, 1]
    assert evaluate(count, agg_of(count=1001)).tier is None


def test_a_result_exactly_at_its_target_is_never_in_a_worse_band_than_the_target() -> None:
    # "at most 2 defects; above that a fixed credit": 2 is met and in the no-credit band, 2.5 is not.
    defects = metric(
        "count",
        target=2,
        tiers=[{"from": 0, "to": 2}, {"from": 2, "to": 100, "consequence": "credit_fixed", "amount": 500}],
    )
    at_target = evaluate(defects, agg_of(count=2))
    assert (at_target.status, at_target.tier, credit_for(at_target, defects, FEE).credit) == ("met", 0, 0)
    over = evaluate(defects, agg_of(count=3))
    assert (over.status, over.tier, credit_for(over, defects, FEE).credit) == ("missed", 1, D("500.00"))
    # higher is better keeps [from, to): 95 % is in "95–100"
    share = metric("share_within", target=95, tiers=SHARE_TIERS)
    assert evaluate(share, agg_of(count=20, hits=19)).tier == evaluate(share, agg_of(count=1, hits=1)).tier
    # the target check follows the same rule: 2 lies in "0–2" for lower-is-better
    assert errors_of("count", target=2, tiers=[{"from": 0, "to": 2}]) == {}
    assert errors_of("count", target=0, tiers=[{"from": 0, "to": 2}]) == {}
    assert errors_of("share_within", target=100, tiers=[{"from": 0, "to": 100}]) == {}


FEE = D("10000.00")


def test_credit_for_each_consequence_kind() -> None:
    tiers = [
        {"from": 0, "to": 90, "consequence": "credit_percent", "amount": "7.5"},
        {"from": 90, "to": 95, "consequence": "credit_fixed", "amount": "1234.565"},
        {"from": 95, "to": 99, "consequence": "bonus_percent", "amount": 2},
        {"from": 99, "to": 100, "consequence": "bonus_fixed", "amount": 800},
    ]
    m = metric("share_within", tiers=tiers)

    def cons(hits: int) -> Consequence:
        return credit_for(evaluate(m, agg_of(count=100, hits=hits)), m, FEE)

    assert cons(80) == Consequence("P1 response", "credit_percent", credit=D("750.00"))  # 7.5 % of 10000
    assert cons(92) == Consequence("P1 response", "credit_fixed", credit=D("1234.57"))  # half up
    assert cons(96) == Consequence("P1 response", "bonus_percent", bonus=D("200.00"))
    assert cons(100) == Consequence("P1 response", "bonus_fixed", bonus=D("800.00"))


def test_credit_rounding_quarter_basis_and_nothing_cases() -> None:
    tiers = [{"from": 0, "to": 95, "consequence": "credit_percent", "amount": 5}, {"from": 95, "to": 100}]
    m = metric("share_within", tiers=tiers)
    missed = evaluate(m, agg_of(count=10, hits=5))
    # 333.33 * 5 % = 16.6665 -> 16.67 (ROUND_HALF_UP)
    assert credit_for(missed, m, D("333.33")).credit == D("16.67")
    # quarterly: basis is 3 monthly fees: 10000 * 3 * 5 % = 1500
    q = metric("share_within", tiers=tiers, window="quarter")
    assert credit_for(evaluate(q, agg_of(count=10, hits=5)), q, FEE).credit == D("1500.00")
    # met tier without consequence, insufficient and no data: nothing
    assert credit_for(evaluate(m, agg_of(count=10, hits=10)), m, FEE) == Consequence("P1 response")
    small = metric("share_within", tiers=tiers, min_sample=20)
    assert credit_for(evaluate(small, agg_of(count=10, hits=0)), small, FEE) == Consequence("P1 response")
    assert credit_for(evaluate(m, None), m, FEE) == Consequence("P1 response")


def _credits(*amounts: str) -> list[Consequence]:
    return [Consequence(f"m{i}", "credit_fixed", credit=D(a)) for i, a in enumerate(amounts)]


def test_cap_not_reached_and_no_cap() -> None:
    cs = _credits("500.00", "300.00")
    assert apply_cap(cs, FEE, D(15)) == cs  # 800 <= 1500
    assert apply_cap(cs, FEE, D(8)) == cs  # exactly at the cap (800) is not capped
    assert apply_cap(cs, FEE, None) == cs
    assert apply_cap([], FEE, D(15)) == []


def test_cap_scales_proportionally() -> None:
    # 500 + 300 + 200 = 1000 against a 5 % cap of 10000 = 500: everything halves.
    out = apply_cap(_credits("500.00", "300.00", "200.00"), FEE, D(5))
    assert [c.credit for c in out] == [D("250.00"), D("150.00"), D("100.00")]
    assert all(c.capped for c in out)


def test_cap_residue_goes_to_the_largest() -> None:
    # cap 10 % of 1000 = 100; thirds are 33.33 each (99.99): the cent goes to the first largest.
    out = apply_cap(_credits("100.00", "100.00", "100.00"), D(1000), D(10))
    assert [c.credit for c in out] == [D("33.34"), D("33.33"), D("33.33")]
    # cap 1 % of 200 = 2.00; 3 x 0.666.. rounds up to 0.67 (2.01): the largest gives the cent back.
    out = apply_cap(_credits("1.00", "5.00", "1.00"), D(200), D(1))
    # shares: 2/7 = 0.2857 -> 0.29, 10/7 = 1.4286 -> 1.43, 0.29: sum 2.01, largest (m1) -> 1.42
    assert [c.credit for c in out] == [D("0.29"), D("1.42"), D("0.29")]
    assert sum(c.credit for c in out) == D("2.00")


def test_cap_negative_residue_never_goes_below_zero() -> None:
    # ten credits of 0.01 against a cap of 0.05: each scaled share 0.005 rounds up to 0.01 (0.10 total);
    # the 0.05 excess is taken a cent at a time from the first five.
    out = apply_cap(_credits(*["0.01"] * 10), D(5), D(1))
    assert [c.credit for c in out] == [D("0.00")] * 5 + [D("0.01")] * 5


def test_cap_zero_and_quarter_months_and_bonus() -> None:
    cs = [
        Consequence("a", "credit_fixed", credit=D("900.00")),
        Consequence("b", "bonus_fixed", bonus=D("700.00")),
        Consequence("c", "bonus_fixed", bonus=D("300.00")),
    ]
    assert [c.credit for c in apply_cap(cs, FEE, D(0))] == [D("0.00")] * 3
    # quarter: cap 2 % of 30000 = 600 credit; bonus cap 5 % of 30000 = 1500 not reached
    out = apply_cap(cs, FEE, D(2), D(5), months=3)
    assert [(c.credit, c.bonus, c.capped) for c in out] == [
        (D("600.00"), D("0.00"), True),
        (D("0.00"), D("700.00"), False),
        (D("0.00"), D("300.00"), False),
    ]
    # monthly bonus cap of 5 % = 500: 700/300 -> 350/150; bonuses untouched without a bonus cap
    out = apply_cap(cs, FEE, D(15), D(5))
    assert [c.bonus for c in out] == [D("0.00"), D("350.00"), D("150.00")]
    assert out[0].credit == D("900.00")
    assert apply_cap(cs, FEE, D(15)) == cs
    assert sm.total_consequences(out) == (D("900.00"), D("500.00"))


def test_cap_accepts_float_and_string_percents_exactly() -> None:
    cs = _credits("1000.00", "1000.00")
    # 0.1 as a float must mean 0.1 %, not 0.1000000000000000055...: cap = 10.00
    assert [c.credit for c in apply_cap(cs, FEE, 0.1)] == [D("5.00"), D("5.00")]  # type: ignore[arg-type]
    assert [c.credit for c in apply_cap(cs, FEE, "1.5")] == [D("75.00"), D("75.00")]  # type: ignore[arg-type]


def test_cap_rejects_bad_percent() -> None:
    with pytest.raises(ValueError, match="cannot exceed"):
        apply_cap([], FEE, D(101))
    with pytest.raises(ValueError):
        apply_cap([], FEE, D(10), D(-1))


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(st.decimals(min_value=0, max_value=100000, places=2), min_size=1, max_size=12),
    cap_percent=st.decimals(min_value=0, max_value=100, places=2),
    fee=st.decimals(min_value=0, max_value=1000000, places=2),
)
def test_cap_property_sum_is_exactly_the_cap(
    amounts: list[Decimal], cap_percent: Decimal, fee: Decimal
) -> None:
    cs = [Consequence(str(i), "credit_fixed", credit=a) for i, a in enumerate(amounts)]
    out = apply_cap(cs, fee, cap_percent)
    cap = (fee * cap_percent / 100).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    total, _ = sm.total_consequences(out)
    assert total == min(cap, sum(amounts, D(0)))
    assert all(D(0) <= c.credit <= max(a, D("0.01")) + D("0.01") for c, a in zip(out, amounts, strict=True))
    assert all(c.credit == c.credit.quantize(D("0.01")) for c in out)


def test_preview() -> None:
    d = mdict("share_within", tiers=SHARE_TIERS)
    assert preview(d, 92, FEE, D(15)) == {
        "errors": {},
        "value": 92.0,
        "status": "missed",
        "margin": -3.0,
        "tier": 1,
        "consequence": "credit_percent",
        "credit": "500.00",
        "bonus": "0.00",
        "capped": False,
    }
    capped = preview(d, "80", FEE, D(8))  # 10 % = 1000, capped at 8 % = 800
    assert (capped["credit"], capped["capped"], capped["tier"]) == ("800.00", True, 0)
    met = preview(d, D("99.5"), FEE, None)
    assert (met["status"], met["tier"], met["credit"], met["consequence"]) == ("met", 2, "0.00", "none")
    q = preview({**d, "window": "quarter"}, 80, FEE, D(15))  # 10 % of 30000, cap 15 % of 30000
    assert q["credit"] == "3000.00" and not q["capped"]
    assert preview(d, "abc", FEE, D(150)) == {
        "errors": {"value": MSG["not_number"], "cap_percent": MSG["cap_over_100"]}
    }
    assert preview(mdict("share_within", target=200), 90, FEE) == {"errors": {"target": MSG["over_100"]}}


# ================================================================================================
# Projection


@pytest.mark.parametrize(
    ("count", "f", "value", "warning"),
    [
        (1, 0.5, 2.0, "at_risk"),  # projected 2 = target: margin 0 < band 0.2 (10 % of 2)
        (1, 0.8, 1.25, "ok"),  # margin 0.75
        (0, 0.5, 0.0, "ok"),
        (2, 0.5, 4.0, "at_risk"),  # projected over target, but not yet over it
        (3, 0.5, 6.0, "breached"),  # already more than 2: irrevocable
        (2, 1.0, 2.0, "at_risk"),  # final, met, on the target
        (3, 1.0, 3.0, "breached"),
    ],
)
def test_project_count(count: int, f: float, value: float, warning: str) -> None:
    p = project(metric("count"), agg_of(count=count), f)
    assert (p.value, p.running_value, p.warning) == (value, float(count), warning)


@pytest.mark.parametrize(
    ("hits", "count", "f", "warning"),
    [
        (10, 10, 0.5, "ok"),  # 100 %, margin 5 >= band 0.5 (10 % of 100 - 95)
        (8, 10, 0.5, "breached"),  # expected 20; best case (8 + 10) / 20 = 90 < 95
        (9, 10, 0.5, "at_risk"),  # best case 19 / 20 = 95 still reachable; running 90 is below
        (19, 20, 0.5, "at_risk"),  # running 95: margin 0 < 0.5
        (96, 100, 0.5, "ok"),  # margin 1
        (19, 20, 1.0, "at_risk"),
        (18, 20, 1.0, "breached"),
    ],
)
def test_project_share(hits: int, count: int, f: float, warning: str) -> None:
    p = project(metric("share_within"), agg_of(count=count, hits=hits), f)
    assert p.warning == warning
    assert p.value == p.running_value == hits * 100 / count
    assert p.expected_sample == count / f and p.sample_size == count


def test_project_lower_is_better_rate() -> None:
    m = metric("rate", target=10)  # defect rate at most 10 %
    # 3 of 10 so far, expected 20: even with no more defects 3 / 20 = 15 % > 10 %
    assert project(m, agg_of(count=10, hits=3), 0.5).warning == "breached"
    # 2 of 10: best case 10 % is reachable; running 20 % is on the wrong side
    assert project(m, agg_of(count=10, hits=2), 0.5).warning == "at_risk"
    # 1 of 10: running 10 %, margin 0 < band 1 (10 % of target 10)
    assert project(m, agg_of(count=10, hits=1), 0.5).warning == "at_risk"
    assert project(m, agg_of(count=20, hits=1), 0.5).warning == "ok"  # 5 %, margin 5


def test_project_average_and_duration_never_breach_early() -> None:
    m = metric("average")  # target 4, band 0.4
    assert project(m, values([3, 4]), 0.9).warning == "at_risk"
    assert project(m, values([3, 4]), 1.0).warning == "breached"
    assert project(m, values([4, 5]), 0.5).warning == "ok"  # 4.5, margin 0.5
    assert project(m, values([4, D("4.6")]), 0.5).warning == "at_risk"  # 4.3, margin 0.3
    d = metric("duration")  # mean at most 30 minutes, band 3
    assert project(d, durations([3600]), 0.5).warning == "at_risk"
    assert project(d, durations([600]), 0.5).warning == "ok"


def test_project_nothing_to_project() -> None:
    p = project(metric("share_within"), None, 0.3)
    assert (p.value, p.warning, p.expected_sample) == (None, "ok", None)
    p = project(metric("share_within"), agg_of(count=5, hits=5), 0.0)
    assert (p.value, p.running_value, p.warning) == (None, 100.0, "ok")
    assert project(metric("manual"), None, 0.5).warning == "ok"
    with pytest.raises(ValueError):
        project(metric("count"), None, 1.5)
    with pytest.raises(ValueError):
        project(metric("count"), None, -0.1)


def test_project_warn_margin_override() -> None:
    m = metric("count")
    assert project(m, agg_of(count=1), 0.5, warn_margin=0).warning == "ok"
    assert project(m, agg_of(count=1), 0.8, warn_margin=1).warning == "at_risk"  # margin 0.75 < 1
    with pytest.raises(ValueError):
        project(m, agg_of(count=1), 0.5, warn_margin=-1)


# ================================================================================================
# Periods


def test_period_keys_and_bounds() -> None:
    assert period_key(date(2026, 10, 5), "month") == "2026-10"
    assert period_key(date(2026, 1, 31), "month") == "2026-01"
    assert period_key(date(2026, 10, 5), "quarter") == "2026-Q4"
    assert [period_key(date(2026, m, 1), "quarter") for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2", "2026-Q3", "2026-Q3", "2026-Q4", "2026-Q4"
    ]  # fmt: skip
    assert period_bounds("2026-10") == (date(2026, 10, 1), date(2026, 11, 1))
    assert period_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert period_bounds("2026-Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds("2026-Q1") == (date(2026, 1, 1), date(2026, 4, 1))
    for bad in ("2026-13", "2026-Q5", "2026-1", "26-01", "2026-q1", ""):
        with pytest.raises(ValueError):
            period_bounds(bad)
    with pytest.raises(ValueError):
        period_key(date(2026, 1, 1), "week")
    assert sm.window_months("quarter") == 3 and sm.window_months("month") == 1
    with pytest.raises(ValueError):
        sm.window_months("year")


def test_periods_between() -> None:
    assert periods_between(date(2026, 11, 15), date(2027, 2, 1), "month") == [
        "2026-11", "2026-12", "2027-01", "2027-02"
    ]  # fmt: skip
    assert periods_between(date(2026, 11, 15), date(2027, 2, 1), "quarter") == ["2026-Q4", "2027-Q1"]
    assert periods_between(date(2026, 3, 31), date(2026, 3, 31), "month") == ["2026-03"]
    assert periods_between(date(2026, 4, 1), date(2026, 3, 31), "month") == []


def test_elapsed_fraction() -> None:
    assert sm.elapsed_fraction("2026-04", date(2026, 4, 15)) == 0.5  # 15 of 30 days
    assert sm.elapsed_fraction("2026-04", date(2026, 3, 31)) == 0.0
    assert sm.elapsed_fraction("2026-04", date(2026, 4, 30)) == 1.0
    assert sm.elapsed_fraction("2026-04", date(2026, 6, 1)) == 1.0
    assert sm.elapsed_fraction("2026-Q1", date(2026, 1, 9)) == 9 / 90


def test_sum_dicts_rejects_what_from_dict_rejects() -> None:
    assert Aggregate.sum_dicts([]) == Aggregate()
    assert Aggregate.sum_dicts([{"c": 2, "t": "7/2"}, {"c": 1, "t": "3", "v": [60, 1]}]) == Aggregate(
        count=3, total=Fraction(13, 2), values={60: 1}
    )
    # an earlier format's histogram ("b") is not read (such rows are stale and rebuilt before use)
    assert Aggregate.sum_dicts([{"c": 1, "b": [60, 1]}]) == Aggregate(count=1)
    for bad in ({}, {"c": "x"}, {"c": 1, "v": [1]}, {"c": 1, "t": "1/0"}):
        with pytest.raises(ValueError, match="not a serialised aggregate"):
            Aggregate.sum_dicts([bad])
