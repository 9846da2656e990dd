"""Tests for waibao.lib.spc: control limits and the Nelson / Western Electric run rules.

Most series are written directly as z-scores with center=0 and sigma=1, so each value
reads as "how many sigmas from the centre line".
"""

from __future__ import annotations

import math

import pytest

from waibao.lib.spc import D2_SPAN_2, PChartPoint, individuals_limits, p_chart_limits, signals

NELSON_KEYS = {"1", "2", "3", "4", "5", "6", "7", "8"}
WE_KEYS = {"1", "2", "3", "4"}


def nelson(values: list[float], **kwargs: float) -> dict[str, list[int]]:
    kwargs.setdefault("center", 0.0)
    kwargs.setdefault("sigma", 1.0)
    result = signals(values, ruleset="nelson", **kwargs)
    found = result["signals"]
    assert isinstance(found, dict) and set(found) == NELSON_KEYS
    return found


def we(values: list[float], **kwargs: float) -> dict[str, list[int]]:
    kwargs.setdefault("center", 0.0)
    kwargs.setdefault("sigma", 1.0)
    result = signals(values, ruleset="western_electric", **kwargs)
    found = result["signals"]
    assert isinstance(found, dict) and set(found) == WE_KEYS
    return found


def only(found: dict[str, list[int]], rule: str, indices: list[int]) -> None:
    """Assert that ``rule`` fired exactly at ``indices`` and no other rule fired."""
    expected: dict[str, list[int]] = {key: [] for key in found}
    expected[rule] = indices
    assert found == expected


# ---------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------
def test_individuals_limits() -> None:
    center, sigma = individuals_limits([1, 2, 3, 4, 5])
    assert center == 3.0
    assert sigma == pytest.approx(1 / 1.128)
    assert D2_SPAN_2 == 1.128


def test_individuals_limits_uses_absolute_moving_ranges() -> None:
    center, sigma = individuals_limits([10.0, 12.0, 9.0, 9.0])
    assert center == 10.0
    assert sigma == pytest.approx((2 + 3 + 0) / 3 / 1.128)


def test_individuals_limits_constant_series_has_zero_sigma() -> None:
    assert individuals_limits([5, 5, 5]) == (5.0, 0.0)


@pytest.mark.parametrize("values", [[], [1.0], [1.0, math.nan], [1.0, math.inf], [1.0, "2"], [True, 1.0]])
def test_individuals_limits_invalid(values: list[object]) -> None:
    with pytest.raises(ValueError):
        individuals_limits(values)  # type: ignore[arg-type]


def test_p_chart_constant_sample_size() -> None:
    points = p_chart_limits([1, 2, 3], [100, 100, 100])
    half = 3 * math.sqrt(0.02 * 0.98 / 100)
    for point, rate in zip(points, [0.01, 0.02, 0.03], strict=True):
        assert point.rate == pytest.approx(rate)
        assert point.center == pytest.approx(0.02)
        assert point.ucl == pytest.approx(0.02 + half)
        assert point.lcl == 0.0  # 0.02 - 0.042 < 0: floored


def test_p_chart_variable_sample_size_gives_per_point_limits() -> None:
    points = p_chart_limits([10, 40], [200, 800])
    p_bar = 50 / 1000
    for point, n in zip(points, [200, 800], strict=True):
        half = 3 * math.sqrt(p_bar * (1 - p_bar) / n)
        assert point == PChartPoint(rate=point.rate, center=p_bar, ucl=p_bar + half, lcl=p_bar - half)
        assert point.lcl > 0
    assert points[1].ucl < points[0].ucl  # larger sample, narrower limits


def test_p_chart_limits_stay_within_0_and_1() -> None:
    (point,) = p_chart_limits([1], [2])
    assert (point.center, point.ucl, point.lcl) == (0.5, 1.0, 0.0)
    zero = p_chart_limits([0, 0], [50, 60])
    assert all((p.center, p.ucl, p.lcl) == (0.0, 0.0, 0.0) for p in zero)


@pytest.mark.parametrize(
    ("counts", "sizes", "message"),
    [
        ([1, 2], [10], "length"),
        ([], [], "at least one"),
        ([1], [0], "positive"),
        ([1], [True], "positive"),
        ([1], [2.0], "positive"),
        ([3], [2], "between"),
        ([-1], [2], "between"),
        ([1.0], [2], "between"),
    ],
)
def test_p_chart_invalid(counts: list[object], sizes: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        p_chart_limits(counts, sizes)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# signals(): centre and sigma
# ---------------------------------------------------------------------------------------
def test_center_and_sigma_default_to_individuals_limits() -> None:
    result = signals([1.0, 2.0, 3.0, 4.0, 5.0])
    assert result["center"] == 3.0
    assert result["sigma"] == pytest.approx(1 / 1.128)


def test_center_given_sigma_estimated() -> None:
    result = signals([1.0, 2.0, 3.0], center=0.0)
    assert result["center"] == 0.0
    assert result["sigma"] == pytest.approx(1 / 1.128)


def test_sigma_given_center_estimated() -> None:
    result = signals([1.0, 3.0], sigma=2.0)
    assert (result["center"], result["sigma"]) == (2.0, 2.0)


def test_signals_validation() -> None:
    with pytest.raises(ValueError, match="ruleset"):
        signals([1.0, 2.0], ruleset="westgard")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sigma"):
        signals([1.0, 2.0], center=0.0, sigma=-1.0)
    with pytest.raises(ValueError, match="finite"):
        signals([1.0, math.nan], center=0.0, sigma=1.0)
    with pytest.raises(ValueError, match="at least 2"):
        signals([1.0])
    with pytest.raises(ValueError, match="finite"):
        signals([1.0, 2.0], center=math.inf, sigma=1.0)


def test_empty_series_with_given_limits() -> None:
    only(nelson([]), "1", [])
    only(we([]), "1", [])


# ---------------------------------------------------------------------------------------
# Test 1 (both rulesets): beyond 3 sigma, strictly
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("run", [nelson, we])
def test_rule_1_beyond_three_sigma_is_strict(run) -> None:  # type: ignore[no-untyped-def]
    # Spaced out so that no 2-of-3 or 4-of-5 window forms.
    only(run([3.0, 0.0, 0.0, 3.01, 0.0, 0.0, -3.5, 0.0, 0.0, 2.99, 0.0, 0.0, -3.0]), "1", [3, 6])


def test_rule_1_uses_center_and_sigma() -> None:
    assert nelson([10.0, 16.1, 3.9, 16.0], center=10.0, sigma=2.0)["1"] == [1, 2]


# ---------------------------------------------------------------------------------------
# Nelson 2 / Western Electric 4: a run on one side of the centre line
# ---------------------------------------------------------------------------------------
def test_nelson_2_nine_in_a_row_same_side() -> None:
    only(nelson([1.0] * 8), "2", [])
    only(nelson([1.0] * 9), "2", [8])
    only(nelson([1.0] * 11), "2", [8, 9, 10])  # fires again at every further point
    only(nelson([-0.5] * 9), "2", [8])


def test_nelson_2_point_on_centre_line_breaks_the_run() -> None:
    only(nelson([1.0] * 4 + [0.0] + [1.0] * 8), "2", [])
    only(nelson([1.0] * 4 + [0.0] + [1.0] * 9), "2", [13])


def test_nelson_2_change_of_side_restarts_the_run() -> None:
    only(nelson([1.0] * 5 + [-1.0] + [1.0] * 8), "2", [])
    only(nelson([1.0] * 8 + [-1.0] * 9), "2", [16])


def test_western_electric_4_eight_in_a_row_same_side() -> None:
    only(we([1.0] * 7), "4", [])
    only(we([1.0] * 8), "4", [7])
    only(we([-1.0] * 10), "4", [7, 8, 9])
    only(we([1.0] * 3 + [0.0] + [1.0] * 7), "4", [])
    only(we([1.0] * 3 + [0.0] + [1.0] * 8), "4", [11])


# ---------------------------------------------------------------------------------------
# Nelson 3: six points in a row steadily increasing or decreasing
# ---------------------------------------------------------------------------------------
def test_nelson_3_trend() -> None:
    rising = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    only(nelson(rising[:5]), "3", [])
    only(nelson(rising[:6]), "3", [5])
    only(nelson(rising), "3", [5, 6, 7])
    only(nelson(list(reversed(rising[:6]))), "3", [5])


def test_nelson_3_trend_may_cross_the_centre_line() -> None:
    only(nelson([-0.5, -0.3, -0.1, 0.1, 0.3, 0.5]), "3", [5])


def test_nelson_3_equal_values_break_the_trend() -> None:
    only(nelson([0.1, 0.2, 0.3, 0.3, 0.4, 0.5, 0.6]), "3", [])
    # Centred so that no 9-in-a-row on one side forms.
    only(nelson([-0.35, -0.25, -0.15, -0.15, -0.05, 0.05, 0.15, 0.25, 0.35]), "3", [8])


def test_nelson_3_reversal_restarts_the_trend() -> None:
    # Up 5 steps would fire; the peak is shared by the following downward run.
    values = [0.0, 0.1, 0.2, 0.3, 0.4, 0.3, 0.2, 0.1, 0.0, -0.1]
    only(nelson(values), "3", [9])


# ---------------------------------------------------------------------------------------
# Nelson 4: fourteen points in a row alternating up and down
# ---------------------------------------------------------------------------------------
def _zigzag(n: int) -> list[float]:
    return [0.5 if i % 2 == 0 else -0.5 for i in range(n)]


def test_nelson_4_alternating() -> None:
    only(nelson(_zigzag(13)), "4", [])
    only(nelson(_zigzag(14)), "4", [13])
    found = nelson(_zigzag(16))
    assert found["4"] == [13, 14, 15]
    assert found["7"] == [14, 15]  # 15 points within 1 sigma as well


def test_nelson_4_equal_values_break_the_alternation() -> None:
    values = _zigzag(14)
    values[7] = values[6]  # steps 6->7 and 7->8 are now both zero
    only(nelson(values), "4", [])
    # The alternation restarts at point 8, so 14 alternating points end at index 21.
    longer = _zigzag(22)
    longer[7] = longer[6]
    assert nelson(longer[:21])["4"] == []
    assert nelson(longer)["4"] == [21]


# ---------------------------------------------------------------------------------------
# Nelson 5 / Western Electric 2: two out of three beyond 2 sigma, same side
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("run", "rule"), [(nelson, "5"), (we, "2")])
def test_two_of_three_beyond_two_sigma(run, rule: str) -> None:  # type: ignore[no-untyped-def]
    only(run([2.5, 0.0, 2.5]), rule, [2])
    only(run([2.5, 2.5]), rule, [1])  # the window is clipped at the start of the series
    only(run([2.5, 0.0, 0.0, 2.5]), rule, [])  # one point short: 2 beyond in 4
    only(run([-2.5, 0.0, -2.5]), rule, [2])
    only(run([2.5, -2.5, 2.5]), rule, [2])  # the middle one is on the other side
    only(run([2.5, -2.5, 0.0, -2.5]), rule, [3])


@pytest.mark.parametrize(("run", "rule"), [(nelson, "5"), (we, "2")])
def test_two_of_three_reports_only_beyond_points_once(run, rule: str) -> None:  # type: ignore[no-untyped-def]
    # Point 2 completes a qualifying window but is not beyond 2 sigma: no report there.
    only(run([2.5, 2.5, 0.0]), rule, [1])
    only(run([2.5, 2.5, 2.5]), rule, [1, 2])


@pytest.mark.parametrize(("run", "rule"), [(nelson, "5"), (we, "2")])
def test_two_of_three_boundary_is_strict(run, rule: str) -> None:  # type: ignore[no-untyped-def]
    only(run([2.0, 2.5, 2.0]), rule, [])
    only(run([2.0001, 2.5]), rule, [1])


# ---------------------------------------------------------------------------------------
# Nelson 6 / Western Electric 3: four out of five beyond 1 sigma, same side
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("run", "rule"), [(nelson, "6"), (we, "3")])
def test_four_of_five_beyond_one_sigma(run, rule: str) -> None:  # type: ignore[no-untyped-def]
    only(run([1.5, 1.5, 0.0, 1.5, 1.5]), rule, [4])
    only(run([1.5, 1.5, 1.5, 1.5]), rule, [3])  # clipped window at the start
    only(run([1.5, 1.5, 1.5]), rule, [])
    only(run([1.5, 1.5, 0.0, 1.5, 0.0, 1.5]), rule, [])  # never 4 in any 5
    only(run([1.5, 1.5, -1.5, 1.5, 1.5]), rule, [4])
    only(run([-1.5, -1.5, 0.0, -1.5, -1.5]), rule, [4])


@pytest.mark.parametrize(("run", "rule"), [(nelson, "6"), (we, "3")])
def test_four_of_five_details(run, rule: str) -> None:  # type: ignore[no-untyped-def]
    only(run([1.0, 1.5, 1.5, 1.5]), rule, [])  # exactly 1 sigma is not beyond
    only(run([1.5, 1.5, 1.5, 1.5, 0.0]), rule, [3])  # the in-zone point never reports
    only(run([1.5] * 6), rule, [3, 4, 5])


# ---------------------------------------------------------------------------------------
# Nelson 7: fifteen points in a row within 1 sigma (either side)
# ---------------------------------------------------------------------------------------
def _hugging(n: int) -> list[float]:
    # Pairs of equal values so that no trend, alternation or long one-sided run forms.
    return [[0.5, 0.5, -0.5, -0.5][i % 4] for i in range(n)]


def test_nelson_7_within_one_sigma() -> None:
    only(nelson(_hugging(14)), "7", [])
    only(nelson(_hugging(15)), "7", [14])
    only(nelson(_hugging(17)), "7", [14, 15, 16])


def test_nelson_7_boundary_is_strict_and_centre_counts_as_within() -> None:
    values = _hugging(15)
    values[5] = 1.0  # exactly 1 sigma is not within
    only(nelson(values), "7", [])
    only(nelson([0.0] * 15), "7", [14])  # on the centre line: within, and on neither side


# ---------------------------------------------------------------------------------------
# Nelson 8: eight points in a row beyond 1 sigma, either side, none within
# ---------------------------------------------------------------------------------------
def test_nelson_8_beyond_one_sigma_either_side() -> None:
    only(nelson([1.5 if i % 2 == 0 else -1.5 for i in range(7)]), "8", [])
    only(nelson([1.5 if i % 2 == 0 else -1.5 for i in range(8)]), "8", [7])
    only(nelson([1.5 if i % 2 == 0 else -1.5 for i in range(9)]), "8", [7, 8])


def test_nelson_8_a_point_within_or_on_the_boundary_breaks_the_run() -> None:
    values = [1.5 if i % 2 == 0 else -1.5 for i in range(8)]
    values[4] = 1.0
    only(nelson(values), "8", [])


# ---------------------------------------------------------------------------------------
# sigma == 0 and combined series
# ---------------------------------------------------------------------------------------
def test_constant_series_gives_zero_sigma_and_no_signals() -> None:
    result = signals([5.0] * 20)
    assert (result["center"], result["sigma"]) == (5.0, 0.0)
    assert result["signals"] == {key: [] for key in NELSON_KEYS}
    result = signals([5.0] * 20, ruleset="western_electric")
    assert result["signals"] == {key: [] for key in WE_KEYS}


def test_zero_sigma_skips_zone_tests_but_keeps_run_tests() -> None:
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    found = nelson(values, sigma=0.0)
    assert found == {"1": [], "2": [8], "3": [5, 6, 7, 8], "4": [], "5": [], "6": [], "7": [], "8": []}
    assert we(values, sigma=0.0) == {"1": [], "2": [], "3": [], "4": [7, 8]}


def test_several_rules_on_one_series() -> None:
    values = [0.5, -0.5, 0.2, 2.5, 2.6, 0.1, 1.5, 1.2, 1.8, 1.1, 3.5, -0.2]
    assert nelson(values) == {
        "1": [10],
        "2": [10],
        "3": [],
        "4": [],
        "5": [4],
        "6": [7, 8, 9, 10],
        "7": [],
        "8": [],
    }
    assert we(values) == {"1": [10], "2": [4], "3": [7, 8, 9, 10], "4": [9, 10]}


def test_result_is_plain_data() -> None:
    result = signals([1.0, 2.1, 2.2], center=1.0, sigma=0.5)
    assert result == {
        "center": 1.0,
        "sigma": 0.5,
        "signals": {"1": [], "2": [], "3": [], "4": [], "5": [2], "6": [], "7": [], "8": []},
    }
