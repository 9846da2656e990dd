"""SLA maths: metric definitions, mergeable aggregates, tiers, caps and projection.

Pure Python, no Django and no database: the contracts app stores what this module produces.

The model
---------
A contract has SLA *metrics* (:class:`MetricDef`). A metric measures records of one ``record_kind``
(ticket, order, delivery, ...) that pass its ``filter``, over a ``window`` (month or quarter), and
compares the period's value with a ``target`` in a ``direction`` (``higher`` or ``lower`` is better).
Metric kinds and the unit of their value:

``share_within``  percent (0–100) of records whose business time from ``start_field`` to ``end_field``
                  is at most ``threshold_minutes``. A record lacking either timestamp (or whose business
                  time the caller could not compute) counts in the sample as *not* within.
``duration``      ``statistic`` of business time between two timestamps, in business minutes: ``mean``,
                  ``median`` or a percentile ``p<P>`` (``p90``, ``p95``, any P in (0, 100], e.g. ``p99.5``).
                  Records lacking a timestamp are left out of the sample. Percentiles are exact, by the
                  ``percentile_method`` (see :func:`percentile_value`): ``nearest_rank`` (the default) or
                  ``linear``.
``rate``          percent of records where the boolean ``flag`` holds, or where ``start_field`` is not
                  after ``end_field`` (e.g. delivered_at <= promised_at). Records with no flag value, or
                  no ``end_field`` (no promise), are left out; a record lacking ``start_field`` (not yet
                  delivered) counts as a miss.
``average``       mean of a numeric ``field`` (csat by default); records without a value are left out.
``count``         number of matching records; the sample size is the count itself.
``manual``        one value entered per period.

Per (metric, day) the caller keeps an :class:`Aggregate`: counts, the exact sum of values and, for a
percentile metric only, the exact business seconds of every record as a value → count map. Aggregates
merge associatively and exactly (integers and fractions only), so a period's aggregate is the merge of its
days in any order, and a percentile of a period is exactly the percentile of its records' values. :func:`observe` turns one
record into an :class:`Observation`; :func:`evaluate` turns a period aggregate into a :class:`Result`.

Values are computed as exact fractions and compared with the Decimal target exactly, so 19 of 20 is
exactly 95 % and meets a 95 target. ``met`` means value >= target (higher is better) or
value <= target (lower is better); ``margin`` is positive when better than target.

Consequence tiers are bands of the value, and a value on the boundary of two bands belongs to the
*better* one, so a result exactly at its target never falls in the band below it: for higher-is-better
metrics bands are ``[from, to)`` and the tier with the highest ``to`` is closed, ``[from, to]`` (100 % or
a csat of 5 falls in the top band); for lower-is-better ones they are ``(from, to]`` and the tier with
the lowest ``from`` is closed (0 defects falls in the bottom band, a median of exactly 480 minutes in the
band ending at 480). A tier maps to a service credit or a
bonus, as a percent of the fee or a fixed amount. The fee basis is the monthly fee for monthly metrics
and three times the monthly fee for quarterly ones. :func:`apply_cap` limits a period's total credit
(and optionally bonus) to a percent of the fee by proportional scaling. Money is Decimal, rounded
ROUND_HALF_UP to 0.01.

:func:`project` estimates the end-of-period value of an open period and warns ``at_risk`` or
``breached``. Periods are keyed ``"2026-10"`` (month) or ``"2026-Q4"`` (quarter).
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Final, NamedTuple

# --------------------------------------------------------------------------------------------------
# Vocabulary

KINDS: Final = ("share_within", "duration", "rate", "average", "count", "manual")
WINDOWS: Final = ("month", "quarter")
DIRECTIONS: Final = ("higher", "lower")
STATISTICS: Final = ("mean", "median", "p90", "p95")  # the named ones; any "p<P>" with 0 < P <= 100 too
PERCENTILE_METHODS: Final = ("nearest_rank", "linear")
DEFAULT_PERCENTILE_METHOD: Final = "nearest_rank"
#: Changes whenever what an Aggregate holds changes (aggregates stored with another format are stale).
AGGREGATE_FORMAT: Final = 2
FILTER_OPS: Final = ("eq", "ne", "in")
CONSEQUENCES: Final = ("none", "credit_percent", "credit_fixed", "bonus_percent", "bonus_fixed")
STATUSES: Final = ("met", "missed", "insufficient", "no_data")
WARNINGS: Final = ("ok", "at_risk", "breached")
CUSTOM_FIELD_TYPES: Final = ("number", "boolean", "text")

#: Record fields every record kind has, with their type.
STANDARD_FIELDS: Final[Mapping[str, str]] = {
    "external_id": "text",
    "kind": "text",
    "opened_at": "timestamp",
    "first_response_at": "timestamp",
    "resolved_at": "timestamp",
    "promised_at": "timestamp",
    "delivered_at": "timestamp",
    "priority": "text",
    "category": "text",
    "status": "text",
    "csat": "number",
    "defect": "boolean",
}
TIMESTAMP_FIELDS: Final = tuple(name for name, kind in STANDARD_FIELDS.items() if kind == "timestamp")

#: Kinds whose value is a percent, so target and tier bounds must not exceed 100.
PERCENT_KINDS: Final = frozenset({"share_within", "rate"})
_TIMED_KINDS: Final = frozenset({"share_within", "duration"})
_PERCENTILE_KEY: Final = re.compile(r"^p(100|[0-9]{1,2}(?:\.[0-9]{1,3})?)$")
_PERCENT_CONSEQUENCES: Final = frozenset({"credit_percent", "bonus_percent"})
_CREDIT_CONSEQUENCES: Final = frozenset({"credit_percent", "credit_fixed"})

DEFAULT_START_FIELD: Final = "opened_at"
DEFAULT_END_FIELD: Final = "first_response_at"
DEFAULT_AVERAGE_FIELD: Final = "csat"

#: Default at-risk band, as a share of the headroom (see :func:`project`).
DEFAULT_WARN_FRACTION: Final = Fraction(1, 10)

CENT: Final = Decimal("0.01")
ZERO_MONEY: Final = Decimal("0.00")
_HUNDRED: Final = Decimal(100)

#: Numbers have at most this many digits before the decimal point and this many places after it. No
#: metric measures anything beyond them, and a number beyond them would overflow a float or take the exact
#: fraction arithmetic to billions of digits (``1e999999999``). Figures of a metric's definition (targets,
#: tier bounds, amounts) stay below 10^:data:`MAX_TERM_DIGITS`, which is what a period result keeps.
MAX_DIGITS: Final = 15
MAX_PLACES: Final = 30
MAX_TERM_DIGITS: Final = 10
#: The longest threshold a metric may name, in minutes (about two years).
MAX_THRESHOLD_MINUTES: Final = 1_000_000


# --------------------------------------------------------------------------------------------------
# Messages: one literal per rule, so each can be wrapped for translation in one place.

_MESSAGES: Final[Mapping[str, str]] = {
    "not_mapping": "Expected an object with the metric's settings.",
    "unknown_setting": "Unknown setting.",
    "required": "This field is required.",
    "not_text": "Enter a text value.",
    "not_number": "Enter a number.",
    "too_large": f"The number is too large: at most {MAX_DIGITS} digits before the decimal point.",
    "too_large_term": f"The number is too large: at most {MAX_TERM_DIGITS} digits before the decimal point.",
    "too_precise": f"Too many decimal places: at most {MAX_PLACES}.",
    "threshold_too_long": f"At most {MAX_THRESHOLD_MINUTES:,} minutes.",
    "not_integer": "Enter a whole number.",
    "negative": "Must not be negative.",
    "over_100": "A percentage cannot exceed 100.",
    "weight": "Weight must be greater than zero.",
    "choice": "Not one of the allowed values: {choices}.",
    "unknown_field": "Unknown field.",
    "filter_shape": "Each condition needs a field, an operator and a value.",
    "filter_timestamp": "Cannot filter on a timestamp field.",
    "filter_in": "The 'in' operator needs a non-empty list of values.",
    "filter_value": "The value does not match the field's type.",
    "not_timestamp": "Must be a timestamp field.",
    "same_timestamps": "Start and end must be different fields.",
    "not_boolean_field": "Must be a yes/no field.",
    "not_numeric_field": "Must be a numeric field.",
    "rate_source": "Give a yes/no flag or a pair of timestamps.",
    "rate_both": "Give either a flag or a pair of timestamps, not both.",
    "unused": "Not used by this kind of metric.",
    "not_list": "Enter a list.",
    "tier_order": "'To' must be greater than 'from'.",
    "tier_overlap": "Overlaps tier {other}.",
    "target_outside_tiers": "The target is outside every tier.",
    "cap_over_100": "A cap cannot exceed 100% of the fee.",
}


def _message(rule: str, **params: object) -> str:
    return _MESSAGES[rule].format(**params)


class InvalidMetric(ValueError):
    """A metric definition failed validation; ``errors`` maps field paths to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in errors.items()))
        self.errors = dict(errors)


# --------------------------------------------------------------------------------------------------
# Value coercion


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _in_range(value: Decimal, digits: int = MAX_DIGITS) -> bool:
    return not value or (value.adjusted() < digits and value.as_tuple().exponent >= -MAX_PLACES)  # type: ignore[operator]


def _to_decimal(value: object) -> Decimal | None:
    """Decimal for a number or numeric string within :data:`MAX_DIGITS` / :data:`MAX_PLACES`; None for
    anything else (bools, NaN, infinities, ``1e999``)."""
    result = _finite_decimal(value)
    return result if result is not None and _in_range(result) else None


def _not_number(value: object, digits: int = MAX_DIGITS) -> str:
    """The message for a value that is not a usable number: not one at all, or out of range."""
    result = _finite_decimal(value)
    if result is None:
        return _message("not_number")
    if result and result.as_tuple().exponent < -MAX_PLACES:  # type: ignore[operator]
        return _message("too_precise")
    return _message("too_large" if digits == MAX_DIGITS else "too_large_term")


def _finite_decimal(value: object) -> Decimal | None:
    """Decimal for a number or numeric string; None for anything else (bools, NaN, infinities)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest round-tripping form, so 4.7 stays 4.7 and not 4.70000000000000017...
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() else None


def _to_fraction(value: object) -> Fraction | None:
    if isinstance(value, Fraction):
        return value
    dec = _to_decimal(value)
    return None if dec is None else Fraction(dec)


_TRUE_WORDS: Final = frozenset({"true", "t", "yes", "y", "1"})
_FALSE_WORDS: Final = frozenset({"false", "f", "no", "n", "0"})


def _to_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def _to_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec_str(value: Decimal) -> str:
    return str(value)


def percentile_of(statistic: object) -> Fraction | None:
    """The percent P of a percentile statistic (``median`` = 50, ``p90`` = 90, ``p99.5`` = 99.5, any P in
    (0, 100]); None for ``mean`` or anything that is not a percentile."""
    if statistic == "median":
        return Fraction(50)
    if isinstance(statistic, str) and (m := _PERCENTILE_KEY.match(statistic)):
        percent = Fraction(m[1])
        return percent if 0 < percent <= 100 else None
    return None


def window_months(window: str) -> int:
    """Months in a window: the fee basis of a quarterly metric is three monthly fees."""
    if window == "month":
        return 1
    if window == "quarter":
        return 3
    raise ValueError(f"unknown window {window!r}")


# --------------------------------------------------------------------------------------------------
# Definitions


class Condition(NamedTuple):
    """One filter condition; ``value`` is a tuple for the ``in`` operator."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Tier:
    """A band ``[lower, upper)`` of the metric's value and what it triggers.

    ``amount`` is a percent of the fee for ``*_percent`` consequences, money for ``*_fixed`` ones.
    """

    lower: Decimal
    upper: Decimal
    consequence: str = "none"
    amount: Decimal = Decimal(0)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Tier:
        """Build from ``{"from", "to", "consequence", "amount"}``; check first with :func:`validate_tiers`."""
        lower, upper = _to_decimal(d.get("from")), _to_decimal(d.get("to"))
        if lower is None or upper is None:
            raise ValueError("a tier needs numeric 'from' and 'to'")
        amount = _to_decimal(d.get("amount")) if not _is_blank(d.get("amount")) else Decimal(0)
        if amount is None:
            raise ValueError("a tier's amount must be a number")
        return cls(lower, upper, str(d.get("consequence") or "none"), amount)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": _dec_str(self.lower),
            "to": _dec_str(self.upper),
            "consequence": self.consequence,
            "amount": _dec_str(self.amount),
        }


def _tier_index(tiers: Sequence[Tier], value: Fraction, direction: str = "higher") -> int | None:
    """Index of the tier holding ``value``. Higher is better: ``lower <= value < upper``, the top tier
    closed; lower is better: ``lower < value <= upper``, the bottom tier closed (a boundary value
    belongs to the better band)."""
    if not tiers:
        return None
    if direction == "lower":
        bottom = min(range(len(tiers)), key=lambda i: tiers[i].lower)
        for i, tier in enumerate(tiers):
            lower, upper = Fraction(tier.lower), Fraction(tier.upper)
            if lower < value <= upper or (i == bottom and value == lower):
                return i
        return None
    top = max(range(len(tiers)), key=lambda i: tiers[i].upper)
    for i, tier in enumerate(tiers):
        lower, upper = Fraction(tier.lower), Fraction(tier.upper)
        if lower <= value < upper or (i == top and value == upper):
            return i
    return None


@dataclass(frozen=True)
class MetricDef:
    """A validated SLA metric definition. Build it with :meth:`from_dict`, which validates."""

    name: str
    kind: str
    target: Decimal
    record_kind: str | None = None
    filter: tuple[Condition, ...] = ()
    window: str = "month"
    direction: str = "higher"
    min_sample: int = 0
    weight: Decimal = Decimal(1)
    calendar: str | None = None
    start_field: str | None = None
    end_field: str | None = None
    threshold_minutes: int | None = None
    statistic: str | None = None
    flag: str | None = None
    field: str | None = None
    tiers: tuple[Tier, ...] = ()
    percentile_method: str | None = None

    @property
    def is_percent(self) -> bool:
        return self.kind in PERCENT_KINDS

    @property
    def percentile(self) -> Fraction | None:
        """P of a percentile duration metric (50 for the median); None for every other metric."""
        return percentile_of(self.statistic) if self.kind == "duration" else None

    @property
    def keeps_values(self) -> bool:
        """Whether the aggregates keep each record's exact value (only a percentile needs them)."""
        return self.percentile is not None

    @property
    def method(self) -> str:
        """The percentile definition used (``nearest_rank`` unless the metric says ``linear``)."""
        return self.percentile_method or DEFAULT_PERCENTILE_METHOD

    @property
    def months(self) -> int:
        return window_months(self.window)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], custom_fields: Mapping[str, str] | None = None) -> MetricDef:
        """Validate ``d`` (see :func:`validate_metric`) and build; raises :class:`InvalidMetric`."""
        errors = validate_metric(d, custom_fields)
        if errors:
            raise InvalidMetric(errors)
        kind = str(d["kind"])

        def text(key: str, default: str | None = None) -> str | None:
            value = d.get(key)
            return default if _is_blank(value) else str(value).strip()

        timed = kind in _TIMED_KINDS
        min_sample = _to_decimal(d.get("min_sample")) if not _is_blank(d.get("min_sample")) else None
        weight = _to_decimal(d.get("weight")) if not _is_blank(d.get("weight")) else None
        threshold = _to_decimal(d.get("threshold_minutes"))
        target = _to_decimal(d.get("target"))
        assert target is not None  # validated above
        return cls(
            name=str(d["name"]).strip(),
            kind=kind,
            target=target,
            record_kind=text("record_kind"),
            filter=tuple(
                Condition(str(f), str(op), v) for _path, f, op, v in _filter_entries(d.get("filter")) or ()
            ),
            window=text("window", "month") or "month",
            direction=text("direction", "higher") or "higher",
            min_sample=int(min_sample) if min_sample is not None else 0,
            weight=weight if weight is not None else Decimal(1),
            calendar=text("calendar"),
            start_field=text("start_field", DEFAULT_START_FIELD if timed else None),
            end_field=text("end_field", DEFAULT_END_FIELD if timed else None),
            threshold_minutes=int(threshold) if threshold is not None and kind == "share_within" else None,
            statistic=text("statistic"),
            flag=text("flag"),
            field=text("field", DEFAULT_AVERAGE_FIELD if kind == "average" else None),
            tiers=tuple(Tier.from_dict(t) for t in d.get("tiers") or ()),
            percentile_method=text("percentile_method"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (Decimals as strings); ``from_dict(to_dict())`` gives an equal metric."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.record_kind is not None:
            out["record_kind"] = self.record_kind
        if self.filter:
            out["filter"] = [[c.field, c.op, list(c.value) if c.op == "in" else c.value] for c in self.filter]
        out.update(
            window=self.window,
            direction=self.direction,
            target=_dec_str(self.target),
            min_sample=self.min_sample,
            weight=_dec_str(self.weight),
        )
        optional: dict[str, Any] = {
            "calendar": self.calendar,
            "start_field": self.start_field,
            "end_field": self.end_field,
            "threshold_minutes": self.threshold_minutes,
            "statistic": self.statistic,
            "flag": self.flag,
            "field": self.field,
            "percentile_method": self.percentile_method,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        out["tiers"] = [t.to_dict() for t in self.tiers]
        return out


# --------------------------------------------------------------------------------------------------
# Validation

_METRIC_KEYS: Final = frozenset(
    {
        "name", "record_kind", "kind", "filter", "window", "direction", "target", "min_sample", "weight",
        "calendar", "start_field", "end_field", "threshold_minutes", "statistic", "flag", "field", "tiers",
        "percentile_method",
    }
)  # fmt: skip
_KIND_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "share_within": frozenset({"start_field", "end_field", "threshold_minutes"}),
    "duration": frozenset({"start_field", "end_field", "statistic", "percentile_method"}),
    "rate": frozenset({"flag", "start_field", "end_field"}),
    "average": frozenset({"field"}),
    "count": frozenset(),
    "manual": frozenset(),
}
_KIND_SPECIFIC_KEYS: Final = frozenset().union(*_KIND_KEYS.values())
_TIER_KEYS: Final = frozenset({"from", "to", "consequence", "amount"})


def _field_types(custom_fields: Mapping[str, str] | None) -> dict[str, str]:
    types: dict[str, str] = {}
    for name, kind in (custom_fields or {}).items():
        if kind not in CUSTOM_FIELD_TYPES:
            raise ValueError(f"custom field {name!r} has unknown type {kind!r}")
        types[name] = kind
    types.update(STANDARD_FIELDS)  # a custom field cannot redefine a standard one
    return types


def _number(
    raw: object, path: str, errors: dict[str, str], *, required: bool, percent: bool = False
) -> Decimal | None:
    """Parse a non-negative number (at most 100 when ``percent``), recording the first rule broken."""
    if _is_blank(raw):
        if required:
            errors[path] = _message("required")
        return None
    value = _to_decimal(raw)
    if value is None or not _in_range(value, MAX_TERM_DIGITS):
        errors[path] = _not_number(raw, MAX_TERM_DIGITS)
    elif value < 0:
        errors[path] = _message("negative")
    elif percent and value > _HUNDRED:
        errors[path] = _message("over_100")
    else:
        return value
    return None


def _integer(raw: object, path: str, errors: dict[str, str], *, required: bool) -> int | None:
    value = _number(raw, path, errors, required=required)
    if value is None:
        return None
    if value != value.to_integral_value():
        errors[path] = _message("not_integer")
        return None
    return int(value)


def _text(raw: object, path: str, errors: dict[str, str], *, required: bool) -> str | None:
    if _is_blank(raw):
        if required:
            errors[path] = _message("required")
        return None
    if not isinstance(raw, str):
        errors[path] = _message("not_text")
        return None
    return raw.strip()


def _choice(
    raw: object, path: str, choices: Sequence[str], errors: dict[str, str], *, required: bool
) -> str | None:
    if _is_blank(raw):
        if required:
            errors[path] = _message("required")
        return None
    if raw not in choices:
        errors[path] = _message("choice", choices=", ".join(choices))
        return None
    return str(raw)


def _filter_entries(raw: object) -> list[tuple[str, object, object, object]] | None:
    """Normalise a filter to ``(path, field, op, value)``; None when it is neither a dict nor a list.

    A dict maps field to value (a list value means ``in``) and its error paths are ``filter.<field>``;
    a list holds ``[field, op, value]`` triples (or dicts with those keys), paths ``filter.<index>``.
    Malformed list items come back with op ``None`` so the validator can report their shape.
    """
    if _is_blank(raw):
        return []
    if isinstance(raw, Mapping):
        return [
            (f"filter.{name}", name, "in", tuple(value))
            if isinstance(value, list | tuple)
            else (f"filter.{name}", name, "eq", value)
            for name, value in raw.items()
        ]
    if isinstance(raw, list | tuple):
        entries: list[tuple[str, object, object, object]] = []
        for i, item in enumerate(raw):
            if isinstance(item, list | tuple) and len(item) == 3:
                name, op, value = item
            elif isinstance(item, Mapping) and {"field", "op", "value"} <= set(item):
                name, op, value = item["field"], item["op"], item["value"]
            else:
                entries.append((f"filter.{i}", None, None, None))
                continue
            if op == "in" and isinstance(value, list | tuple):
                value = tuple(value)
            entries.append((f"filter.{i}", name, op, value))
        return entries
    return None


def _value_fits(value: object, field_type: str) -> bool:
    if value is None:
        return True  # matches records where the field is empty
    if field_type == "boolean":
        return isinstance(value, bool)
    if field_type == "number":
        return _to_decimal(value) is not None
    return isinstance(value, str | int) and not isinstance(value, bool)


def _validate_filter(raw: object, types: Mapping[str, str], errors: dict[str, str]) -> None:
    entries = _filter_entries(raw)
    if entries is None:
        errors["filter"] = _message("not_list")
        return
    dict_form = isinstance(raw, Mapping)
    for base, name, op, value in entries:

        def path(part: str, base: str = base) -> str:
            return base if dict_form else f"{base}.{part}"

        if op is None:
            errors[base] = _message("filter_shape")
            continue
        if not isinstance(name, str) or name not in types:
            errors[path("field")] = _message("unknown_field")
            continue
        if types[name] == "timestamp":
            errors[path("field")] = _message("filter_timestamp")
            continue
        if op not in FILTER_OPS:
            errors[path("op")] = _message("choice", choices=", ".join(FILTER_OPS))
            continue
        if op == "in":
            if not isinstance(value, list | tuple) or not value:
                errors[path("value")] = _message("filter_in")
            elif not all(_value_fits(v, types[name]) for v in value):
                errors[path("value")] = _message("filter_value")
        elif isinstance(value, list | tuple) or not _value_fits(value, types[name]):
            errors[path("value")] = _message("filter_value")


def _timestamp_field(
    raw: object, path: str, types: Mapping[str, str], errors: dict[str, str], default: str | None
) -> str | None:
    if _is_blank(raw):
        return default
    if not isinstance(raw, str) or raw not in types:
        errors[path] = _message("unknown_field")
        return None
    if types[raw] != "timestamp":
        errors[path] = _message("not_timestamp")
        return None
    return raw


def _typed_field(
    raw: object, path: str, types: Mapping[str, str], wanted: str, rule: str, errors: dict[str, str]
) -> None:
    if not isinstance(raw, str) or raw not in types:
        errors[path] = _message("unknown_field")
    elif types[raw] != wanted:
        errors[path] = _message(rule)


def validate_tiers(
    tiers: object,
    *,
    percent: bool = False,
    target: object = None,
    prefix: str = "tiers",
    direction: str = "higher",
) -> dict[str, str]:
    """Check a list of tier dicts; returns ``{field path: message}``, empty when valid.

    Rules: ``from`` and ``to`` are non-negative numbers (at most 100 when ``percent``) with
    ``from < to``; tiers do not overlap; ``consequence`` is one of :data:`CONSEQUENCES`; ``amount`` is
    required for a consequence, non-negative, at most 100 for a percent consequence, and absent or zero
    for ``none``. When ``target`` is given and all tiers are valid, it must fall in one of them
    (reported under ``"target"``).
    """
    errors: dict[str, str] = {}
    if _is_blank(tiers):
        return errors
    if not isinstance(tiers, list | tuple):
        return {prefix: _message("not_list")}
    bands: list[tuple[int, Decimal, Decimal]] = []
    for i, tier in enumerate(tiers):
        base = f"{prefix}.{i}"
        if not isinstance(tier, Mapping):
            errors[base] = _message("not_mapping")
            continue
        for key in tier:
            if key not in _TIER_KEYS:
                errors[f"{base}.{key}"] = _message("unknown_setting")
        lower = _number(tier.get("from"), f"{base}.from", errors, required=True, percent=percent)
        upper = _number(tier.get("to"), f"{base}.to", errors, required=True, percent=percent)
        if lower is not None and upper is not None:
            if lower >= upper:
                errors[f"{base}.to"] = _message("tier_order")
            else:
                bands.append((i, lower, upper))
        consequence = tier.get("consequence")
        consequence = "none" if _is_blank(consequence) else consequence
        if consequence not in CONSEQUENCES:
            errors[f"{base}.consequence"] = _message("choice", choices=", ".join(CONSEQUENCES))
        elif consequence == "none":
            amount = _to_decimal(tier.get("amount"))
            if not _is_blank(tier.get("amount")) and amount != 0:
                errors[f"{base}.amount"] = _message("unused")
        else:
            _number(
                tier.get("amount"),
                f"{base}.amount",
                errors,
                required=True,
                percent=consequence in _PERCENT_CONSEQUENCES,
            )
    # Overlaps: sweep bands by start, comparing with the band reaching furthest so far.
    bands.sort(key=lambda band: (band[1], band[2], band[0]))
    reach: tuple[int, Decimal, Decimal] | None = None
    for band in bands:
        if reach is not None and band[1] < reach[2]:
            later, earlier = (band, reach) if band[0] > reach[0] else (reach, band)
            errors.setdefault(f"{prefix}.{later[0]}.from", _message("tier_overlap", other=earlier[0]))
        if reach is None or band[2] > reach[2]:
            reach = band
    if not errors and target is not None and tiers:
        value = _to_decimal(target)
        parsed = [Tier.from_dict(t) for t in tiers]
        if value is not None and _tier_index(parsed, Fraction(value), direction) is None:
            errors["target"] = _message("target_outside_tiers")
    return errors


def validate_metric(d: Mapping[str, Any], custom_fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """Check a metric definition dict; returns ``{field path: message}``, empty when valid.

    ``custom_fields`` maps the contract's custom field names to ``"number"``, ``"boolean"`` or
    ``"text"``; together with :data:`STANDARD_FIELDS` they are the names a definition may use.
    Paths are top-level keys (``"target"``), ``"filter.<index>.field|op|value"`` (list form) or
    ``"filter.<field>"`` (dict form), and ``"tiers.<index>.from|to|consequence|amount"``.
    """
    if not isinstance(d, Mapping):
        return {"": _message("not_mapping")}
    errors: dict[str, str] = {}
    types = _field_types(custom_fields)
    for key in d:
        if key not in _METRIC_KEYS:
            errors[str(key)] = _message("unknown_setting")

    _text(d.get("name"), "name", errors, required=True)
    kind = _choice(d.get("kind"), "kind", KINDS, errors, required=True)
    _text(d.get("record_kind"), "record_kind", errors, required=kind != "manual")
    _choice(d.get("window"), "window", WINDOWS, errors, required=False)
    direction = _choice(d.get("direction"), "direction", DIRECTIONS, errors, required=False) or "higher"
    percent = kind in PERCENT_KINDS
    target = _number(d.get("target"), "target", errors, required=True, percent=percent)
    _integer(d.get("min_sample"), "min_sample", errors, required=False)
    if not _is_blank(d.get("weight")):
        weight = _to_decimal(d.get("weight"))
        if weight is None or not _in_range(weight, MAX_TERM_DIGITS):
            errors["weight"] = _not_number(d.get("weight"), MAX_TERM_DIGITS)
        elif weight <= 0:
            errors["weight"] = _message("weight")
    _text(d.get("calendar"), "calendar", errors, required=False)

    if kind == "manual":
        if not _is_blank(d.get("filter")) and d.get("filter") not in ([], {}):
            errors["filter"] = _message("unused")
    else:
        _validate_filter(d.get("filter"), types, errors)

    if kind is not None:
        for key in sorted(_KIND_SPECIFIC_KEYS - _KIND_KEYS[kind]):
            if not _is_blank(d.get(key)):
                errors[key] = _message("unused")
        _validate_kind_settings(kind, d, types, errors)

    tier_errors = validate_tiers(
        d.get("tiers"), percent=percent, target=target if kind is not None else None, direction=direction
    )
    errors.update({k: v for k, v in tier_errors.items() if k not in errors})
    return errors


def _validate_kind_settings(
    kind: str, d: Mapping[str, Any], types: Mapping[str, str], errors: dict[str, str]
) -> None:
    if kind in _TIMED_KINDS or kind == "rate":
        timed = kind in _TIMED_KINDS
        start = _timestamp_field(
            d.get("start_field"), "start_field", types, errors, DEFAULT_START_FIELD if timed else None
        )
        end = _timestamp_field(
            d.get("end_field"), "end_field", types, errors, DEFAULT_END_FIELD if timed else None
        )
        if start is not None and start == end:
            errors["end_field"] = _message("same_timestamps")
    if kind == "share_within":
        minutes = _integer(d.get("threshold_minutes"), "threshold_minutes", errors, required=True)
        if minutes is not None and minutes > MAX_THRESHOLD_MINUTES:
            errors["threshold_minutes"] = _message("threshold_too_long")
    elif kind == "duration":
        statistic = d.get("statistic")
        if _is_blank(statistic):
            errors["statistic"] = _message("required")
        elif statistic != "mean" and percentile_of(statistic) is None:
            errors["statistic"] = _message("choice", choices=", ".join(STATISTICS) + ", p1–p100")
        method = _choice(
            d.get("percentile_method"), "percentile_method", PERCENTILE_METHODS, errors, required=False
        )
        if method is not None and statistic == "mean":
            errors["percentile_method"] = _message("unused")
    elif kind == "rate":
        has_flag = not _is_blank(d.get("flag"))
        has_start, has_end = not _is_blank(d.get("start_field")), not _is_blank(d.get("end_field"))
        if has_flag and (has_start or has_end):
            errors["flag"] = _message("rate_both")
        elif has_flag:
            _typed_field(d.get("flag"), "flag", types, "boolean", "not_boolean_field", errors)
        elif not has_start and not has_end:
            errors["flag"] = _message("rate_source")
        elif not has_start:
            errors.setdefault("start_field", _message("required"))
        elif not has_end:
            errors.setdefault("end_field", _message("required"))
    elif kind == "average" and not _is_blank(d.get("field")):
        _typed_field(d.get("field"), "field", types, "number", "not_numeric_field", errors)


def validate_cap(credit_cap_percent: object, bonus_cap_percent: object = None) -> dict[str, str]:
    """Check a contract's per-period caps (percent of the fee); both optional."""
    errors: dict[str, str] = {}
    for path, raw in (("credit_cap_percent", credit_cap_percent), ("bonus_cap_percent", bonus_cap_percent)):
        value = _number(raw, path, errors, required=False)
        if value is not None and value > _HUNDRED:
            errors[path] = _message("cap_over_100")
    return errors


# --------------------------------------------------------------------------------------------------
# Percentiles
#
# Exact, from the value → count map the aggregates keep for percentile metrics (see Aggregate.values).
# Two definitions, over the n values of the period sorted ascending, x_1 <= ... <= x_n:
#
# nearest rank (the default)  the value at rank r = ceil(P/100 * n), at least 1: the smallest value with at
#                             least P % of the values at or below it. Always one of the records' values; the
#                             median of an even count is the lower middle value.
# linear                      h = (n - 1) * P/100 + 1, x_floor(h) + (h - floor(h)) * (x_floor(h)+1 - x_floor(h))
#                             (Excel PERCENTILE.INC, numpy's default, Hyndman & Fan type 7): the median of an
#                             even count is the mean of the two middle values.


def _rank(n: int, percent: int | Fraction) -> int:
    """Nearest rank (1-based) of the P-th percentile of n values."""
    return max(1, math.ceil(Fraction(percent) * n / 100))


def nearest_rank(values: Sequence[int | Fraction], percent: int | Fraction) -> int | Fraction | None:
    """Exact nearest-rank percentile of a list of values (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[_rank(len(ordered), percent) - 1]


def percentile_value(
    counts: Mapping[int, int], percent: int | Fraction, method: str = DEFAULT_PERCENTILE_METHOD
) -> Fraction | None:
    """The exact P-th percentile of the values in a value → count map, by ``method`` (``nearest_rank`` or
    ``linear``, see above); None when the map holds no value. Entries with a zero count are ignored."""
    n = sum(counts.values())
    if n <= 0:
        return None
    p = Fraction(percent)
    if not 0 < p <= 100:
        raise ValueError("percent must be in (0, 100]")
    if method == "nearest_rank":
        ranks = [_rank(n, p)]
        weight = Fraction(0)
    elif method == "linear":
        h = (n - 1) * p / 100  # 0-based position
        low = math.floor(h)
        weight = h - low
        ranks = [low + 1, min(low + 2, n)]
    else:
        raise ValueError(f"unknown percentile method {method!r}")
    keys = sorted(counts)
    # cumulative counts; a zero count never reaches a rank first, so it is never chosen
    reached = list(itertools.accumulate(map(counts.__getitem__, keys)))
    found = [keys[bisect.bisect_left(reached, rank)] for rank in ranks]
    lower = Fraction(found[0])
    if len(found) == 1:
        return lower
    return lower + weight * (found[1] - lower)


# --------------------------------------------------------------------------------------------------
# Observations and aggregates


@dataclass(frozen=True)
class Observation:
    """What one record contributes: a hit (within time / flag true / on time), a value, or missing data.

    ``value`` is the measured number (business seconds for timed kinds, the field for ``average``), added
    to the exact total; ``seconds`` is set for percentile metrics only, and is kept in the aggregate's
    exact value map.
    """

    hit: bool = False
    missing: bool = False
    value: Fraction | None = None
    seconds: int | None = None


@dataclass
class Aggregate:
    """Mergeable summary of one metric's observations (typically one day's).

    ``count`` records observed, of which ``hits`` met the condition and ``missing`` lacked data;
    ``total`` is the exact sum of the ``count - missing`` values; ``values`` maps each exact number of
    business seconds to the number of records that took it (percentile metrics only: nothing else needs
    it). Everything is integer or Fraction, so merging is exact and order-independent, and a percentile
    of merged aggregates is exactly the percentile of all their records.
    """

    count: int = 0
    hits: int = 0
    missing: int = 0
    total: Fraction = field(default_factory=Fraction)
    values: dict[int, int] = field(default_factory=dict)

    @property
    def valued(self) -> int:
        """Records that carried a value."""
        return self.count - self.missing

    def add(self, obs: Observation) -> Aggregate:
        """Add one observation in place (returns self, for chaining)."""
        self.count += 1
        self.hits += obs.hit
        self.missing += obs.missing
        if obs.value is not None:
            self.total += obs.value
        if obs.seconds is not None:
            self.values[obs.seconds] = self.values.get(obs.seconds, 0) + 1
        return self

    def merge(self, other: Aggregate) -> Aggregate:
        """A new aggregate summarising both; neither operand changes."""
        values = dict(self.values)
        for key, n in other.values.items():
            values[key] = values.get(key, 0) + n
        return Aggregate(
            count=self.count + other.count,
            hits=self.hits + other.hits,
            missing=self.missing + other.missing,
            total=self.total + other.total,
            values=values,
        )

    @classmethod
    def merge_all(cls, aggregates: Iterable[Aggregate | None]) -> Aggregate:
        result = cls()
        for agg in aggregates:
            if agg is not None:
                result = result.merge(agg)
        return result

    def quantile(self, percent: int | Fraction, method: str = DEFAULT_PERCENTILE_METHOD) -> Fraction | None:
        """The exact percentile of the kept values, in seconds (see :func:`percentile_value`)."""
        return percentile_value(self.values, percent, method)

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-able form: short keys, zeros left out, values flattened to [value, n, ...] in
        ascending order of value."""
        out: dict[str, Any] = {"c": self.count}
        if self.hits:
            out["h"] = self.hits
        if self.missing:
            out["m"] = self.missing
        if self.total:
            out["t"] = str(self.total)
        if self.values:
            out["v"] = [x for key in sorted(self.values) for x in (key, self.values[key])]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Aggregate:
        """Read :meth:`to_dict`'s form. A histogram left by an earlier format (``b``) is not read: such
        rows are stale (their definition hash predates :data:`AGGREGATE_FORMAT`) and are rebuilt."""
        try:
            flat = list(data.get("v", []))
            if len(flat) % 2:
                raise ValueError("odd value list")
            agg = cls(
                count=int(data["c"]),
                hits=int(data.get("h", 0)),
                missing=int(data.get("m", 0)),
                total=Fraction(str(data.get("t", "0"))),
                values={int(k): int(n) for k, n in zip(flat[::2], flat[1::2], strict=True)},
            )
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"not a serialised aggregate: {exc}") from exc
        if min(agg.hits, agg.missing, *agg.values.values(), 0) < 0 or max(agg.hits, agg.missing) > agg.count:
            raise ValueError("not a serialised aggregate: inconsistent counts")
        return agg

    @classmethod
    def sum_dicts(cls, datas: Iterable[Mapping[str, Any]]) -> Aggregate:
        """The merge of many serialised aggregates (:meth:`to_dict` form), without building each one.

        The same result as ``merge_all(from_dict(d) for d in datas)``, several times faster: integer
        totals stay integers and value lists are added straight into one dict.
        """
        count = hits = missing = itotal = 0
        ftotal = Fraction(0)
        values: dict[int, int] = {}
        try:
            for d in datas:
                count += int(d["c"])
                hits += int(d.get("h", 0))
                missing += int(d.get("m", 0))
                t = d.get("t")
                if t is not None:
                    if "/" in str(t):
                        ftotal += Fraction(str(t))
                    else:
                        itotal += int(t)
                flat = d.get("v")
                if flat:
                    if len(flat) % 2:
                        raise ValueError("odd value list")
                    if not values:  # the first (often the only) list: built in one step
                        values = dict(zip(flat[::2], flat[1::2], strict=True))
                        continue
                    get = values.get
                    for key, n in zip(flat[::2], flat[1::2], strict=True):
                        values[key] = get(key, 0) + n
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"not a serialised aggregate: {exc}") from exc
        return cls(
            count=count,
            hits=hits,
            missing=missing,
            total=ftotal + itotal,
            values={k: n for k, n in values.items() if n} if 0 in values.values() else values,
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Aggregate:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a serialised aggregate: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError("not a serialised aggregate")
        return cls.from_dict(data)


def matches(metric: MetricDef, record: Mapping[str, Any]) -> bool:
    """Whether a record is measured by the metric: its ``kind`` (when present) and the filter.

    ``eq``/``ne`` compare with ``==``, so a record lacking the field satisfies ``ne``. Custom fields
    are expected flattened into the record mapping.
    """
    kind = record.get("kind")
    if kind is not None and metric.record_kind is not None and kind != metric.record_kind:
        return False
    for cond in metric.filter:
        actual = record.get(cond.field)
        if cond.op == "eq":
            ok = actual == cond.value
        elif cond.op == "ne":
            ok = actual != cond.value
        else:
            ok = actual in cond.value
        if not ok:
            return False
    return True


def observe(
    metric: MetricDef, record: Mapping[str, Any], business_seconds: int | None = None
) -> Observation | None:
    """What ``record`` contributes to ``metric``; None when it does not match (or the metric is manual).

    ``business_seconds`` is the business time from ``start_field`` to ``end_field``, computed by the
    caller with the metric's calendar; it is needed for ``share_within`` and ``duration`` only. A
    negative duration (end before start, bad data) is taken as zero. "Within N minutes" is inclusive.
    """
    if metric.kind == "manual" or not matches(metric, record):
        return None
    if metric.kind == "count":
        return Observation()
    if metric.kind in _TIMED_KINDS:
        assert metric.start_field is not None and metric.end_field is not None
        lacking = _is_blank(record.get(metric.start_field)) or _is_blank(record.get(metric.end_field))
        if business_seconds is None or lacking:
            return Observation(missing=True)
        seconds = max(0, int(business_seconds))
        hit = metric.kind == "share_within" and seconds <= (metric.threshold_minutes or 0) * 60
        return Observation(hit=hit, value=Fraction(seconds), seconds=seconds if metric.keeps_values else None)
    if metric.kind == "rate":
        if metric.flag is not None:
            flag = _to_bool(record.get(metric.flag))
            return Observation(missing=True) if flag is None else Observation(hit=flag)
        assert metric.start_field is not None and metric.end_field is not None
        deadline = _to_datetime(record.get(metric.end_field))
        if deadline is None:
            return Observation(missing=True)
        actual = _to_datetime(record.get(metric.start_field))
        # Not happened yet (e.g. not delivered) counts as a miss, like a missing response time.
        return Observation(hit=actual is not None and actual <= deadline)
    # average
    value = _to_fraction(record.get(metric.field or DEFAULT_AVERAGE_FIELD))
    return Observation(missing=True) if value is None else Observation(value=value)


def aggregate(observations: Iterable[Observation | None]) -> Aggregate:
    """Aggregate observations (None entries, from non-matching records, are skipped)."""
    agg = Aggregate()
    for obs in observations:
        if obs is not None:
            agg.add(obs)
    return agg


# --------------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class Result:
    """A period's outcome for one metric.

    ``value``: percent for share_within/rate, business minutes for duration, mean for average, number
    for count, the entered value for manual; ``exact`` is the same as a Fraction. ``margin`` is positive
    when better than target. ``tier`` indexes ``metric.tiers`` and is set only for met/missed;
    ``consequence``/``amount`` are that tier's (``"none"``/0 otherwise).
    """

    metric: str
    value: float | None
    exact: Fraction | None
    sample_size: int
    target: Decimal
    status: str
    margin: float | None
    tier: int | None
    consequence: str = "none"
    amount: Decimal = Decimal(0)


def sample_size(metric: MetricDef, agg: Aggregate) -> int:
    """Records in the sample: all for share_within (missing = not within) and count, else valued ones."""
    if metric.kind in ("share_within", "count"):
        return agg.count
    return agg.valued


def _exact_value(metric: MetricDef, agg: Aggregate) -> Fraction | None:
    kind = metric.kind
    if kind == "count":
        return Fraction(agg.count)
    n = sample_size(metric, agg)
    if n == 0:
        return None
    if kind in PERCENT_KINDS:
        return Fraction(100 * agg.hits, n)
    if kind == "average":
        return agg.total / n
    if kind == "duration":
        percent = metric.percentile
        if percent is not None:
            seconds = agg.quantile(percent, metric.method)
            return None if seconds is None else seconds / 60
        return agg.total / n / 60
    raise ValueError(f"kind {kind!r} has no aggregate value")


def _margin(metric: MetricDef, value: Fraction) -> Fraction:
    target = Fraction(metric.target)
    return value - target if metric.direction == "higher" else target - value


def _result(metric: MetricDef, exact: Fraction | None, sample: int, *, check_sample: bool) -> Result:
    if exact is None:
        return Result(metric.name, None, None, sample, metric.target, "no_data", None, None)
    margin = _margin(metric, exact)
    if check_sample and sample < metric.min_sample:
        status = "insufficient"
    else:
        status = "met" if margin >= 0 else "missed"
    tier = _tier_index(metric.tiers, exact, metric.direction) if status in ("met", "missed") else None
    consequence, amount = "none", Decimal(0)
    if tier is not None:
        consequence, amount = metric.tiers[tier].consequence, metric.tiers[tier].amount
    return Result(
        metric.name,
        float(exact),
        exact,
        sample,
        metric.target,
        status,
        float(margin),
        tier,
        consequence,
        amount,
    )


def evaluate(metric: MetricDef, agg: Aggregate | None = None, manual_value: object = None) -> Result:
    """Evaluate a closed period.

    ``agg`` is the merge of the period's daily aggregates; None means no rows, i.e. no matching records
    (a count of zero; no_data for the other kinds). ``manual_value`` is for manual metrics only.
    Status: ``no_data`` when there is no value, ``insufficient`` when the sample is below
    ``min_sample`` (value and margin still reported, no tier), else ``met`` or ``missed``.
    """
    if metric.kind == "manual":
        exact = _to_fraction(manual_value)
        if manual_value is not None and exact is None:
            raise ValueError("manual value must be a number")
        return _result(metric, exact, 0 if exact is None else 1, check_sample=False)
    if manual_value is not None:
        raise ValueError("only manual metrics take a manual value")
    agg = agg or Aggregate()
    return _result(metric, _exact_value(metric, agg), sample_size(metric, agg), check_sample=True)


# --------------------------------------------------------------------------------------------------
# Consequences and caps


@dataclass(frozen=True)
class Consequence:
    """Money owed for one metric in one period: ``credit`` by the vendor, ``bonus`` to the vendor."""

    metric: str
    kind: str = "none"
    credit: Decimal = ZERO_MONEY
    bonus: Decimal = ZERO_MONEY
    capped: bool = False


def credit_for(result: Result, metric: MetricDef, monthly_fee: Decimal) -> Consequence:
    """The consequence of ``result``'s tier. Percent amounts apply to the window's fee basis
    (monthly fee, times 3 for a quarterly metric); insufficient / no-data results trigger nothing."""
    if result.tier is None or result.status not in ("met", "missed"):
        return Consequence(metric.name)
    tier = metric.tiers[result.tier]
    if tier.consequence == "none":
        return Consequence(metric.name)
    if tier.consequence in _PERCENT_CONSEQUENCES:
        amount = _money(monthly_fee * metric.months * tier.amount / _HUNDRED)
    else:
        amount = _money(tier.amount)
    if tier.consequence in _CREDIT_CONSEQUENCES:
        return Consequence(metric.name, tier.consequence, credit=amount)
    return Consequence(metric.name, tier.consequence, bonus=amount)


def _scale_to_cap(amounts: Sequence[Decimal], cap: Decimal) -> list[Decimal]:
    """Scale amounts proportionally so they sum to exactly ``cap`` (when they exceed it).

    Each share is rounded half-up to the cent; the rounding residue goes to the largest amount (the
    first one on ties). A negative residue that would push it below zero spills to the next largest.
    """
    total = sum(amounts, Decimal(0))
    if total <= cap:
        return list(amounts)
    scaled = [_money(a * cap / total) for a in amounts]
    residue = cap - sum(scaled, Decimal(0))
    for i in sorted(range(len(amounts)), key=lambda i: (-amounts[i], i)):
        if residue == 0:
            break
        adjusted = max(scaled[i] + residue, ZERO_MONEY)
        residue -= adjusted - scaled[i]
        scaled[i] = adjusted
    return scaled


def apply_cap(
    consequences: Sequence[Consequence],
    monthly_fee: Decimal,
    credit_cap_percent: Decimal | None,
    bonus_cap_percent: Decimal | None = None,
    *,
    months: int = 1,
) -> list[Consequence]:
    """Limit a period's total credit (and bonus, when a bonus cap is given) to a percent of the fee.

    The cap is ``monthly_fee * months * cap% / 100`` rounded to the cent (``months=3`` for a quarter).
    Above it, every amount is scaled by cap / total (see :func:`_scale_to_cap`), so the capped amounts
    sum to the cap exactly. Credits and bonuses are capped separately, never netted. ``None`` = no cap.
    """
    errors = validate_cap(credit_cap_percent, bonus_cap_percent)
    if errors:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in errors.items()))
    credits = [c.credit for c in consequences]
    bonuses = [c.bonus for c in consequences]
    basis = monthly_fee * months
    credit_cap, bonus_cap = _to_decimal(credit_cap_percent), _to_decimal(bonus_cap_percent)
    if credit_cap is not None:
        credits = _scale_to_cap(credits, _money(basis * credit_cap / _HUNDRED))
    if bonus_cap is not None:
        bonuses = _scale_to_cap(bonuses, _money(basis * bonus_cap / _HUNDRED))
    return [
        replace(c, credit=cr, bonus=bo, capped=c.capped or cr != c.credit or bo != c.bonus)
        for c, cr, bo in zip(consequences, credits, bonuses, strict=True)
    ]


def total_consequences(consequences: Iterable[Consequence]) -> tuple[Decimal, Decimal]:
    """(total credit, total bonus)."""
    credit, bonus = ZERO_MONEY, ZERO_MONEY
    for c in consequences:
        credit += c.credit
        bonus += c.bonus
    return credit, bonus


def preview(
    metric_dict: Mapping[str, Any],
    value: object,
    monthly_fee: Decimal,
    cap_percent: Decimal | None = None,
    *,
    custom_fields: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What a period result of ``value`` would give, for the contract page (JSON-able).

    The sample is assumed sufficient. The single metric's credit is capped at ``cap_percent`` of its
    window's fee basis. Invalid input returns only ``{"errors": {...}}``.
    """
    errors = validate_metric(metric_dict, custom_fields)
    exact = _to_fraction(value)
    if exact is None:
        errors["value"] = _not_number(value)
    if cap_errors := validate_cap(cap_percent):
        errors["cap_percent"] = cap_errors["credit_cap_percent"]
    if errors:
        return {"errors": errors}
    metric = MetricDef.from_dict(metric_dict, custom_fields)
    result = _result(metric, exact, 1, check_sample=False)
    raw = credit_for(result, metric, monthly_fee)
    capped = apply_cap([raw], monthly_fee, cap_percent, None, months=metric.months)[0]
    return {
        "errors": {},
        "value": result.value,
        "status": result.status,
        "margin": result.margin,
        "tier": result.tier,
        "consequence": raw.kind,
        "credit": str(capped.credit),
        "bonus": str(capped.bonus),
        "capped": capped.capped,
    }


# --------------------------------------------------------------------------------------------------
# Projection


@dataclass(frozen=True)
class Projection:
    """Estimated end-of-period outcome of an open period.

    ``value`` is the projected value, ``running_value`` the value so far, ``expected_sample`` the
    sample expected by the end (sample so far / elapsed fraction), ``margin`` the projected margin.
    """

    value: float | None
    running_value: float | None
    sample_size: int
    expected_sample: float | None
    margin: float | None
    warning: str


def _warn_band(metric: MetricDef, warn_margin: object) -> Fraction:
    if warn_margin is not None:
        band = _to_fraction(warn_margin)
        if band is None or band < 0:
            raise ValueError("warn_margin must be a non-negative number")
        return band
    target = Fraction(metric.target)
    if metric.is_percent:
        headroom = 100 - target if metric.direction == "higher" else target
    else:
        headroom = abs(target)
    return DEFAULT_WARN_FRACTION * headroom


def project(
    metric: MetricDef, agg_so_far: Aggregate | None, elapsed_fraction: float, *, warn_margin: object = None
) -> Projection:
    """Project an open period from its aggregate so far and the elapsed share of the period (0–1).

    Projected value: the running value, except ``count`` which is extrapolated linearly
    (count / elapsed_fraction). Warning:

    * ``breached`` — the target can no longer be met: the period is over (elapsed 1) and missed; a
      lower-is-better count already above target; or a percent metric where even if every remaining
      expected record (expected = sample / elapsed − sample) went the good way the target is out of reach.
    * ``at_risk`` — the projected margin is negative, or below the band: ``warn_margin`` (metric units)
      or by default 10 % of the headroom (100 − target for higher-is-better percents, the target for
      lower-is-better percents, |target| otherwise). E.g. target 95 %: at risk below 95.5 %.
    * ``ok`` — otherwise, and whenever there is nothing to project yet (no data, elapsed 0, manual).
    """
    if not 0 <= elapsed_fraction <= 1:
        raise ValueError("elapsed_fraction must be between 0 and 1")
    agg = agg_so_far or Aggregate()
    if metric.kind == "manual":
        return Projection(None, None, 0, None, None, "ok")
    sample = sample_size(metric, agg)
    running = _exact_value(metric, agg)
    running_value = None if running is None else float(running)
    if elapsed_fraction == 0 or running is None:
        return Projection(None, running_value, sample, None, None, "ok")
    f = Fraction(elapsed_fraction)
    expected = sample / f
    projected = Fraction(agg.count) / f if metric.kind == "count" else running
    margin = _margin(metric, projected)
    target = Fraction(metric.target)
    higher = metric.direction == "higher"
    if f == 1:
        breached = margin < 0
    elif metric.kind == "count":
        breached = not higher and agg.count > target
    elif metric.is_percent:
        remaining = expected - sample
        best = (agg.hits + remaining if higher else agg.hits) * 100 / expected
        breached = best < target if higher else best > target
    else:
        breached = False
    if breached:
        warning = "breached"
    elif margin < 0 or margin < _warn_band(metric, warn_margin):
        warning = "at_risk"
    else:
        warning = "ok"
    return Projection(float(projected), running_value, sample, float(expected), float(margin), warning)


# --------------------------------------------------------------------------------------------------
# Periods

_MONTH_KEY: Final = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER_KEY: Final = re.compile(r"^(\d{4})-Q([1-4])$")


def period_key(d: date, window: str) -> str:
    """``"2026-10"`` for a month, ``"2026-Q4"`` for a quarter."""
    if window == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if window == "quarter":
        return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"
    raise ValueError(f"unknown window {window!r}")


def _add_months(year: int, month: int, months: int) -> date:
    index = year * 12 + (month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(key: str) -> tuple[date, date]:
    """First day and the day after the last day (exclusive end) of a period key."""
    if m := _MONTH_KEY.match(key):
        year, month = int(m[1]), int(m[2])
        return date(year, month, 1), _add_months(year, month, 1)
    if m := _QUARTER_KEY.match(key):
        year, month = int(m[1]), (int(m[2]) - 1) * 3 + 1
        return date(year, month, 1), _add_months(year, month, 3)
    raise ValueError(f"not a period key: {key!r}")


def periods_between(start: date, end: date, window: str) -> list[str]:
    """Keys from the period holding ``start`` to the one holding ``end``, both included; [] if end < start."""
    keys: list[str] = []
    if end < start:
        return keys
    current = period_bounds(period_key(start, window))[0]
    while current <= end:
        key = period_key(current, window)
        keys.append(key)
        current = period_bounds(key)[1]
    return keys


def elapsed_fraction(key: str, today: date) -> float:
    """Calendar share of a period elapsed by the end of ``today``, in [0, 1].

    A simple default for :func:`project`; callers with business calendars may pass a business-time
    fraction instead.
    """
    start, end = period_bounds(key)
    days = (end - start).days
    done = 0 if today < start else min((today - start).days + 1, days)
    return done / days
