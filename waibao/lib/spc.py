"""Control chart limits and run rules (Shewhart charts, GB/T 17989.2 / ISO 7870-2).

Pure Python, no Django.

* :func:`individuals_limits` -- individuals (X) chart: centre = mean, sigma estimated
  from the average moving range of span 2 divided by d2 = 1.128.
* :func:`p_chart_limits` -- p chart for proportions with a variable sample size:
  p-bar = sum(counts) / sum(sizes), limits p-bar +/- 3 sqrt(p-bar (1 - p-bar) / n_i) per
  point, the lower limit floored at 0 and the upper capped at 1 (a proportion cannot
  leave [0, 1]).
* :func:`signals` -- Nelson's eight tests (L. S. Nelson, J. Quality Technology 16(4),
  1984; the same eight tests as GB/T 17989.2 / ISO 7870-2 Annex B) or the four Western
  Electric rules (Statistical Quality Control Handbook, 1956).

Conventions (the tests pin each of them):

* z = (x - centre) / sigma. "Beyond k sigma" is strict: |z| > k. "Within 1 sigma"
  (Nelson 7) is strict too: |z| < 1. A point exactly on a zone boundary is neither.
* Side: a point is above (x > centre) or below (x < centre); a point exactly on the
  centre line is on neither side and breaks every same-side run.
* Trends and alternation compare consecutive values; two equal consecutive values break
  the run ("steadily increasing" / "alternating" need a strict change at every step).
  "6 in a row increasing" means 6 points, i.e. 5 increases; "14 alternating" means 14
  points, i.e. 13 changes of alternating sign.
* Run tests (Nelson 2, 3, 4, 7, 8; Western Electric 4) report the index of the point
  that completes the run, and fire again at every further point while the run goes on.
* k-of-m tests (Nelson 5, 6; Western Electric 2, 3) report index i when point i is
  itself beyond the zone on one side and, among the m points ending at i, at least k are
  beyond the same zone on that same side. So the reported point is always one of the k,
  every index is reported at most once per test, and a point inside the zone never
  fires even if it ends a window that qualifies. At the start of the series the window
  is just the points so far (two of the first two beyond 2 sigma fire at index 1).
* sigma == 0 (e.g. a constant series) does not raise: zones are undefined, so the tests
  that use sigma (Nelson 1, 5, 6, 7, 8; Western Electric 1, 2, 3) report nothing, while
  the tests that use only the centre line and the order of values (Nelson 2, 3, 4;
  Western Electric 4) still run.
* Indices are 0-based. The result always has every key of the ruleset ("1".."8" or
  "1".."4"), empty lists included.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "D2_SPAN_2",
    "PChartPoint",
    "individuals_limits",
    "p_chart_limits",
    "signals",
]

#: d2 for subgroups (moving ranges) of size 2.
D2_SPAN_2 = 1.128

Ruleset = Literal["nelson", "western_electric"]


def _values(values: Sequence[float], name: str = "values") -> list[float]:
    out: list[float] = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"{name}[{i}] must be a number, got {v!r}")
        if not math.isfinite(v):
            raise ValueError(f"{name}[{i}] must be finite, got {v!r}")
        out.append(float(v))
    return out


def individuals_limits(values: Sequence[float]) -> tuple[float, float]:
    """Centre line and sigma of an individuals chart: (mean, mean moving range / 1.128)."""
    xs = _values(values)
    if len(xs) < 2:
        raise ValueError("an individuals chart needs at least 2 values (one moving range)")
    centre = math.fsum(xs) / len(xs)
    moving_ranges = [abs(b - a) for a, b in itertools.pairwise(xs)]
    return centre, math.fsum(moving_ranges) / len(moving_ranges) / D2_SPAN_2


@dataclass(frozen=True)
class PChartPoint:
    """One point of a p chart: its proportion and the limits for its sample size."""

    rate: float
    center: float
    ucl: float
    lcl: float


def p_chart_limits(counts: Sequence[int], sizes: Sequence[int]) -> list[PChartPoint]:
    """p chart with per-point 3-sigma limits for variable sample sizes."""
    if len(counts) != len(sizes):
        raise ValueError(f"counts and sizes differ in length ({len(counts)} != {len(sizes)})")
    if not counts:
        raise ValueError("a p chart needs at least one sample")
    for i, (c, n) in enumerate(zip(counts, sizes, strict=True)):
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"sizes[{i}] must be a positive integer, got {n!r}")
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= n:
            raise ValueError(f"counts[{i}] must be an integer between 0 and sizes[{i}]={n}, got {c!r}")
    p_bar = sum(counts) / sum(sizes)
    points: list[PChartPoint] = []
    for c, n in zip(counts, sizes, strict=True):
        half_width = 3.0 * math.sqrt(p_bar * (1.0 - p_bar) / n)
        ucl = min(1.0, p_bar + half_width)
        lcl = max(0.0, p_bar - half_width)
        points.append(PChartPoint(rate=c / n, center=p_bar, ucl=ucl, lcl=lcl))
    return points


# ---------------------------------------------------------------------------------------
# Run rules
# ---------------------------------------------------------------------------------------
def _sign(d: float) -> int:
    return (d > 0) - (d < 0)


def _beyond_zone(z: list[float], k: float) -> list[int]:
    """+1 / -1 where the point is beyond k sigma above / below, else 0 (strict)."""
    return [1 if v > k else -1 if v < -k else 0 for v in z]


def _run_test(flags: list[bool], length: int) -> list[int]:
    """Indices where at least ``length`` consecutive flags end (fires at each further point)."""
    hits: list[int] = []
    run = 0
    for i, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run >= length:
            hits.append(i)
    return hits


def _same_side_run(sides: list[int], length: int) -> list[int]:
    hits: list[int] = []
    run = 0
    for i, side in enumerate(sides):
        if side == 0:
            run = 0
        elif i > 0 and side == sides[i - 1]:
            run += 1
        else:
            run = 1
        if run >= length:
            hits.append(i)
    return hits


def _trend(xs: list[float], points: int) -> list[int]:
    hits: list[int] = []
    run = 0  # number of consecutive strict steps in the same direction ending at i
    for i in range(1, len(xs)):
        step = _sign(xs[i] - xs[i - 1])
        if step == 0:
            run = 0
        elif i >= 2 and step == _sign(xs[i - 1] - xs[i - 2]):
            run += 1
        else:
            run = 1
        if run + 1 >= points:
            hits.append(i)
    return hits


def _alternating(xs: list[float], points: int) -> list[int]:
    hits: list[int] = []
    run = 0  # number of consecutive steps, each of opposite sign to the previous, ending at i
    for i in range(1, len(xs)):
        step = _sign(xs[i] - xs[i - 1])
        if step == 0:
            run = 0
        elif i >= 2 and step == -_sign(xs[i - 1] - xs[i - 2]):
            run += 1
        else:
            run = 1
        if run + 1 >= points:
            hits.append(i)
    return hits


def _k_of_m(zone: list[int], k: int, m: int) -> list[int]:
    hits: list[int] = []
    for i, side in enumerate(zone):
        if side == 0:
            continue  # the point completing the pattern must itself be beyond the zone
        window = zone[max(0, i - m + 1) : i + 1]
        if sum(1 for s in window if s == side) >= k:
            hits.append(i)
    return hits


def signals(
    values: Sequence[float],
    *,
    center: float | None = None,
    sigma: float | None = None,
    ruleset: Ruleset = "nelson",
) -> dict[str, object]:
    """Evaluate the run rules on ``values``.

    ``center`` and ``sigma`` default to :func:`individuals_limits` of the values (each
    independently, so a known centre can be combined with an estimated sigma). Returns
    ``{"center": float, "sigma": float, "signals": {"1": [indices], ...}}``.
    """
    xs = _values(values)
    if ruleset not in ("nelson", "western_electric"):
        raise ValueError(f"unknown ruleset {ruleset!r}; expected 'nelson' or 'western_electric'")
    if center is None or sigma is None:
        est_center, est_sigma = individuals_limits(xs)
        center = est_center if center is None else center
        sigma = est_sigma if sigma is None else sigma
    centre_value, sigma_value = _values([center], "center")[0], _values([sigma], "sigma")[0]
    if sigma_value < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma_value}")

    sides = [_sign(x - centre_value) for x in xs]
    has_zones = sigma_value > 0
    z = [(x - centre_value) / sigma_value for x in xs] if has_zones else []

    def zoned(test: Callable[[], list[int]]) -> list[int]:
        return test() if has_zones else []

    result: dict[str, list[int]]
    if ruleset == "nelson":
        result = {
            "1": zoned(lambda: [i for i, v in enumerate(z) if abs(v) > 3]),
            "2": _same_side_run(sides, 9),
            "3": _trend(xs, 6),
            "4": _alternating(xs, 14),
            "5": zoned(lambda: _k_of_m(_beyond_zone(z, 2), 2, 3)),
            "6": zoned(lambda: _k_of_m(_beyond_zone(z, 1), 4, 5)),
            "7": zoned(lambda: _run_test([abs(v) < 1 for v in z], 15)),
            "8": zoned(lambda: _run_test([abs(v) > 1 for v in z], 8)),
        }
    else:
        result = {
            "1": zoned(lambda: [i for i, v in enumerate(z) if abs(v) > 3]),
            "2": zoned(lambda: _k_of_m(_beyond_zone(z, 2), 2, 3)),
            "3": zoned(lambda: _k_of_m(_beyond_zone(z, 1), 4, 5)),
            "4": _same_side_run(sides, 8),
        }
    return {"center": centre_value, "sigma": sigma_value, "signals": result}
