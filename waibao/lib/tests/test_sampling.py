"""Tests for waibao.lib.sampling (GB/T 2828.1-2012 = ISO 2859-1:1999, single sampling)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from waibao.lib import sampling as s
from waibao.lib.sampling import (
    AQLS,
    CODE_LETTERS,
    LEVELS,
    REASON_CODES,
    SamplingError,
    SamplingPlan,
    Stage,
    SwitchingState,
    code_letter,
    initial_state,
    next_state,
    normalize_aql,
    plan_for_code_letter,
    reason_code,
    reinstate_normal,
    resume,
    sampling_plan,
    simulate,
)

# ---------------------------------------------------------------------------------------
# Table 1, transcribed again here (independently of the module) as lot-size classes.
# ---------------------------------------------------------------------------------------
TABLE_1 = [
    # (lowest lot size of the class, highest, letters for S-1 S-2 S-3 S-4 I II III)
    (2, 8, "A A A A A A B"),
    (9, 15, "A A A A A B C"),
    (16, 25, "A A B B B C D"),
    (26, 50, "A B B C C D E"),
    (51, 90, "B B C C C E F"),
    (91, 150, "B B C D D F G"),
    (151, 280, "B C D E E G H"),
    (281, 500, "B C D E F H J"),
    (501, 1200, "C C E F G J K"),
    (1201, 3200, "C D E G H K L"),
    (3201, 10000, "C D F G J L M"),
    (10001, 35000, "C D F H K M N"),
    (35001, 150000, "D E G J L N P"),
    (150001, 500000, "D E G J M P Q"),
    (500001, 10**12, "D E H K N Q R"),
]


def _table_1_cases() -> list[tuple[int, str, str]]:
    cases = []
    for low, high, letters in TABLE_1:
        for level, letter in zip(LEVELS, letters.split(), strict=True):
            # Both ends of every class: each boundary is tested on both of its sides.
            cases.append((low, level, letter))
            cases.append((high, level, letter))
    return cases


@pytest.mark.parametrize(("lot_size", "level", "expected"), _table_1_cases())
def test_table_1_every_boundary_both_sides(lot_size: int, level: str, expected: str) -> None:
    assert code_letter(lot_size, level) == expected


def test_table_1_classes_are_contiguous() -> None:
    for (_, high, _), (low, _, _) in itertools.pairwise(TABLE_1):
        assert low == high + 1


@pytest.mark.parametrize(
    ("lot_size", "level", "expected"),
    [(1000, "II", "J"), (2000, "II", "K"), (50, "II", "D"), (10, "II", "B"), (100_000, "S-3", "G")],
)
def test_table_1_examples(lot_size: int, level: str, expected: str) -> None:
    assert code_letter(lot_size, level) == expected


def test_level_is_case_and_space_insensitive() -> None:
    assert code_letter(1000, " ii ") == "J"
    assert code_letter(1000, "s-4") == "F"


@pytest.mark.parametrize("lot_size", [1, 0, -5, 2.5, True, "100", None])
def test_invalid_lot_size(lot_size: object) -> None:
    with pytest.raises(SamplingError, match="lot size"):
        code_letter(lot_size, "II")  # type: ignore[arg-type]


@pytest.mark.parametrize("level", ["IV", "", "S-5", "G-2", None, 2])
def test_invalid_level(level: object) -> None:
    with pytest.raises(SamplingError, match="inspection level"):
        code_letter(100, level)  # type: ignore[arg-type]


def test_sampling_error_is_a_value_error() -> None:
    assert issubclass(SamplingError, ValueError)


# ---------------------------------------------------------------------------------------
# AQL input
# ---------------------------------------------------------------------------------------
def test_aqls_are_the_26_preferred_values() -> None:
    assert len(AQLS) == 26
    assert AQLS[0] == "0.010" and AQLS[-1] == "1000"
    assert [Decimal(a) for a in AQLS] == sorted(Decimal(a) for a in AQLS)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1.5", "1.5"),
        (1.5, "1.5"),
        (Decimal("1.50"), "1.5"),
        ("0.010", "0.010"),
        ("0.01", "0.010"),
        (0.01, "0.010"),
        (0.1, "0.10"),
        ("0.1", "0.10"),
        (1, "1.0"),
        (10, "10"),
        ("10.0", "10"),
        (" 4.0 ", "4.0"),
        (1000, "1000"),
        ("1e3", "1000"),
    ],
)
def test_normalize_aql(given: object, expected: str) -> None:
    assert normalize_aql(given) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["0.02", 0.3, 2, "abc", "", True, float("nan"), float("inf"), None, [1.5]])
def test_invalid_aql(given: object) -> None:
    with pytest.raises(SamplingError, match="AQL"):
        normalize_aql(given)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Worked examples
# ---------------------------------------------------------------------------------------
def test_z14_example_lot_1000_level_ii_aql_1_5() -> None:
    # The usual ANSI/ASQ Z1.4 (= ISO 2859-1 Table 2-A) example.
    plan = sampling_plan(1000, "II", "1.5", Stage.NORMAL)
    assert plan == SamplingPlan("J", "J", 80, 3, 4, False, Stage.NORMAL, "1.5")


def test_montgomery_example_lot_2000_aql_0_65() -> None:
    # Montgomery, Introduction to Statistical Quality Control, MIL-STD-105E example:
    # N = 2000, level II -> K; normal n=125 c=2, tightened n=125 c=1, reduced n=50 c=1.
    normal = sampling_plan(2000, "II", 0.65, "normal")
    tightened = sampling_plan(2000, "II", 0.65, "tightened")
    reduced = sampling_plan(2000, "II", 0.65, "reduced")
    assert (normal.code_letter, normal.sample_size, normal.accept, normal.reject) == ("K", 125, 2, 3)
    assert (tightened.sample_size, tightened.accept, tightened.reject) == (125, 1, 2)
    # 105E's reduced plan is Ac=1, Re=3 (a gap); the 1999 edition has Re = Ac + 1.
    assert (reduced.plan_code_letter, reduced.sample_size, reduced.accept, reduced.reject) == ("K", 50, 1, 2)


@pytest.mark.parametrize(
    ("stage", "expected"),
    [("normal", ("K", 125, 5, 6)), ("tightened", ("K", 125, 3, 4)), ("reduced", ("K", 50, 3, 4))],
)
def test_lot_2000_level_ii_aql_1_5_all_stages(stage: str, expected: tuple[str, int, int, int]) -> None:
    plan = sampling_plan(2000, "II", "1.5", stage)
    assert (plan.plan_code_letter, plan.sample_size, plan.accept, plan.reject) == expected


def test_lot_1000_level_ii_aql_1_5_tightened_and_reduced() -> None:
    assert sampling_plan(1000, "II", "1.5", "tightened").accept == 2
    reduced = sampling_plan(1000, "II", "1.5", "reduced")
    assert (reduced.sample_size, reduced.accept, reduced.reject) == (32, 2, 3)


# ---------------------------------------------------------------------------------------
# Whole-table checks. The normal and tightened fixtures below were transcribed from an
# ANSI/ASQ Z1.4 implementation (AQLSchemes, arrows already resolved) -- a source
# independent of the module's data; Tables 2-A and 2-B of GB/T 2828.1-2012 = ISO
# 2859-1:1999 are those of Z1.4 / MIL-STD-105E. Each token is "<row letter used><Ac>",
# columns in AQLS order.
# ---------------------------------------------------------------------------------------
Z14_NORMAL = {
    "A": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 B0 A0 C1 B1 A1 A2 A3 A5 A7 A10 A14 A21 A30",
    "B": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 B0 A0 C1 B1 B2 B3 B5 B7 B10 B14 B21 B30 B44",
    "C": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 B0 D1 C1 C2 C3 C5 C7 C10 C14 C21 C30 C44 B44",
    "D": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 E1 D1 D2 D3 D5 D7 D10 D14 D21 D30 D44 C44 B44",
    "E": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 F1 E1 E2 E3 E5 E7 E10 E14 E21 E30 E44 D44 C44 B44",
    "F": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 G1 F1 F2 F3 F5 F7 F10 F14 F21 E21 E30 E44 D44 C44 B44",
    "G": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 H1 G1 G2 G3 G5 G7 G10 G14 G21 F21 E21 E30 E44 D44 C44 B44",
    "H": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 J1 H1 H2 H3 H5 H7 H10 H14 H21 G21 F21 E21 E30 E44 D44 C44 B44",
    "J": "Q0 P0 N0 M0 L0 K0 J0 H0 K1 J1 J2 J3 J5 J7 J10 J14 J21 H21 G21 F21 E21 E30 E44 D44 C44 B44",
    "K": "Q0 P0 N0 M0 L0 K0 J0 L1 K1 K2 K3 K5 K7 K10 K14 K21 J21 H21 G21 F21 E21 E30 E44 D44 C44 B44",
    "L": "Q0 P0 N0 M0 L0 K0 M1 L1 L2 L3 L5 L7 L10 L14 L21 K21 J21 H21 G21 F21 E21 E30 E44 D44 C44 B44",
    "M": "Q0 P0 N0 M0 L0 N1 M1 M2 M3 M5 M7 M10 M14 M21 L21 K21 J21 H21 G21 F21 E21 E30 E44 D44 C44 B44",
    "N": "Q0 P0 N0 M0 P1 N1 N2 N3 N5 N7 N10 N14 N21 M21 L21 K21 J21 H21 G21 F21 E21 E30 E44 D44 C44 B44",
    "P": "Q0 P0 N0 Q1 P1 P2 P3 P5 P7 P10 P14 P21 N21 M21 L21 K21 J21 H21 G21 F21 E21 E30 E44 D44 C44 B44",
    "Q": "Q0 P0 R1 Q1 Q2 Q3 Q5 Q7 Q10 Q14 Q21 P21 N21 M21 L21 K21 J21 H21 G21 F21 E21 E30 E44 D44 C44 B44",
    "R": "Q0 P0 R1 R2 R3 R5 R7 R10 R14 R21 Q21 P21 N21 M21 L21 K21 J21 H21 G21 F21 E21 E30 E44 D44 C44 B44",
}
Z14_TIGHTENED = {
    "A": "R0 Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 B0 D1 C1 B1 A1 A2 A3 A5 A8 A12 A18 A27",
    "B": "R0 Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 B0 D1 C1 B1 B2 B3 B5 B8 B12 B18 B27 B41",
    "C": "R0 Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 E1 D1 C1 C2 C3 C5 C8 C12 C18 C27 C41 B41",
    "D": "R0 Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 F1 E1 D1 D2 D3 D5 D8 D12 D18 D27 D41 C41 B41",
    "E": "R0 Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 G1 F1 E1 E2 E3 E5 E8 E12 E18 E27 E41 D41 C41 B41",
    "F": "R0 Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 H1 G1 F1 F2 F3 F5 F8 F12 F18 E18 E27 E41 D41 C41 B41",
    "G": "R0 Q0 P0 N0 M0 L0 K0 J0 H0 G0 J1 H1 G1 G2 G3 G5 G8 G12 G18 F18 E18 E27 E41 D41 C41 B41",
    "H": "R0 Q0 P0 N0 M0 L0 K0 J0 H0 K1 J1 H1 H2 H3 H5 H8 H12 H18 G18 F18 E18 E27 E41 D41 C41 B41",
    "J": "R0 Q0 P0 N0 M0 L0 K0 J0 L1 K1 J1 J2 J3 J5 J8 J12 J18 H18 G18 F18 E18 E27 E41 D41 C41 B41",
    "K": "R0 Q0 P0 N0 M0 L0 K0 M1 L1 K1 K2 K3 K5 K8 K12 K18 J18 H18 G18 F18 E18 E27 E41 D41 C41 B41",
    "L": "R0 Q0 P0 N0 M0 L0 N1 M1 L1 L2 L3 L5 L8 L12 L18 K18 J18 H18 G18 F18 E18 E27 E41 D41 C41 B41",
    "M": "R0 Q0 P0 N0 M0 P1 N1 M1 M2 M3 M5 M8 M12 M18 L18 K18 J18 H18 G18 F18 E18 E27 E41 D41 C41 B41",
    "N": "R0 Q0 P0 N0 Q1 P1 N1 N2 N3 N5 N8 N12 N18 M18 L18 K18 J18 H18 G18 F18 E18 E27 E41 D41 C41 B41",
    "P": "R0 Q0 P0 R1 Q1 P1 P2 P3 P5 P8 P12 P18 N18 M18 L18 K18 J18 H18 G18 F18 E18 E27 E41 D41 C41 B41",
    "Q": "R0 Q0 S1 R1 Q1 Q2 Q3 Q5 Q8 Q12 Q18 P18 N18 M18 L18 K18 J18 H18 G18 F18 E18 E27 E41 D41 C41 B41",
    "R": "R0 Q0 S1 R1 R2 R3 R5 R8 R12 R18 Q18 P18 N18 M18 L18 K18 J18 H18 G18 F18 E18 E27 E41 D41 C41 B41",
}
# Table 2-C, 1999 edition (no Ac/Re gaps), resolved, from the GB/T 2828.1 transcription.
REDUCED = {
    "A": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 B0 A0 D1 C1 A1 A2 A3 A5 A7 A10 A14 A21 A30",
    "B": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 B0 A0 D1 C1 B1 B2 B3 B5 B7 B10 B14 B21 B30",
    "C": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 B0 E1 D1 C1 C2 C3 C5 C6 C8 C10 C14 C21 B30",
    "D": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 C0 F1 E1 D1 D2 D3 D5 D6 D8 D10 D14 D21 C21 B30",
    "E": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 D0 G1 F1 E1 E2 E3 E5 E6 E8 E10 E14 E21 D21 C21 B30",
    "F": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 E0 H1 G1 F1 F2 F3 F5 F6 F8 F10 E10 E14 E21 D21 C21 B30",
    "G": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 F0 J1 H1 G1 G2 G3 G5 G6 G8 G10 F10 E10 E14 E21 D21 C21 B30",
    "H": "Q0 P0 N0 M0 L0 K0 J0 H0 G0 K1 J1 H1 H2 H3 H5 H6 H8 H10 G10 F10 E10 E14 E21 D21 C21 B30",
    "J": "Q0 P0 N0 M0 L0 K0 J0 H0 L1 K1 J1 J2 J3 J5 J6 J8 J10 H10 G10 F10 E10 E14 E21 D21 C21 B30",
    "K": "Q0 P0 N0 M0 L0 K0 J0 M1 L1 K1 K2 K3 K5 K6 K8 K10 J10 H10 G10 F10 E10 E14 E21 D21 C21 B30",
    "L": "Q0 P0 N0 M0 L0 K0 N1 M1 L1 L2 L3 L5 L6 L8 L10 K10 J10 H10 G10 F10 E10 E14 E21 D21 C21 B30",
    "M": "Q0 P0 N0 M0 L0 P1 N1 M1 M2 M3 M5 M6 M8 M10 L10 K10 J10 H10 G10 F10 E10 E14 E21 D21 C21 B30",
    "N": "Q0 P0 N0 M0 Q1 P1 N1 N2 N3 N5 N6 N8 N10 M10 L10 K10 J10 H10 G10 F10 E10 E14 E21 D21 C21 B30",
    "P": "Q0 P0 N0 R1 Q1 P1 P2 P3 P5 P6 P8 P10 N10 M10 L10 K10 J10 H10 G10 F10 E10 E14 E21 D21 C21 B30",
    "Q": "Q0 P0 N0 R1 Q1 Q2 Q3 Q5 Q6 Q8 Q10 P10 N10 M10 L10 K10 J10 H10 G10 F10 E10 E14 E21 D21 C21 B30",
    "R": "Q0 P0 N0 R1 R2 R3 R5 R6 R8 R10 Q10 P10 N10 M10 L10 K10 J10 H10 G10 F10 E10 E14 E21 D21 C21 B30",
}
_SIZES_2A_2B = [2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000, 3150]
_SIZES_2C = [2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800]
N_NORMAL = dict(zip("ABCDEFGHJKLMNPQRS", _SIZES_2A_2B, strict=True))
N_REDUCED = dict(zip(CODE_LETTERS, _SIZES_2C, strict=True))


def _fixture_cases() -> list[tuple[str, str, str, str]]:
    cases = []
    for stage, table in (("normal", Z14_NORMAL), ("tightened", Z14_TIGHTENED), ("reduced", REDUCED)):
        for letter, row in table.items():
            for aql, token in zip(AQLS, row.split(), strict=True):
                cases.append((stage, letter, aql, token))
    return cases


@pytest.mark.parametrize(("stage", "letter", "aql", "token"), _fixture_cases())
def test_every_cell_of_tables_2a_2b_2c(stage: str, letter: str, aql: str, token: str) -> None:
    plan = plan_for_code_letter(letter, aql, stage)
    row, accept = token[0], int(token[1:])
    sizes = N_REDUCED if stage == "reduced" else N_NORMAL
    assert (plan.plan_code_letter, plan.sample_size, plan.accept, plan.reject) == (
        row,
        sizes[row],
        accept,
        accept + 1,
    )
    assert plan.code_letter == letter and plan.stage == Stage(stage) and plan.aql == aql
    assert plan.inspect_all is False


def test_fixtures_cover_whole_tables() -> None:
    assert len(_fixture_cases()) == 3 * 16 * 26


def test_tightened_letter_a_at_aql_10_uses_the_plan_below_the_arrow_in_row_d() -> None:
    # Table 2-B: A/10 is a down arrow (not a 0/1 plan at n=2); B/10 and C/10 are the same
    # arrow; the first plan below it is D's 1/2, and the sample size is D's, n = 8.
    plan = plan_for_code_letter("A", "10", "tightened")
    assert (plan.plan_code_letter, plan.sample_size, plan.accept, plan.reject) == ("D", 8, 1, 2)
    assert [s._CELLS[Stage.TIGHTENED][row][AQLS.index("10")] for row in "ABCD"] == ["v", "v", "v", "1"]
    # Through Table 1: a lot of 8 at level II is letter A; 8 >= 8, so the whole lot is inspected
    # with the plan of row D (Ac 1, Re 2).
    lot = sampling_plan(8, "II", "10", "tightened")
    assert (lot.code_letter, lot.plan_code_letter, lot.sample_size, lot.inspect_all) == ("A", "D", 8, True)
    assert (lot.accept, lot.reject) == (1, 2)
    # Row A of Table 2-B has no plan before AQL 40: every AQL up to 25 leads to another row.
    rows = [plan_for_code_letter("A", a, "tightened").plan_code_letter for a in ("6.5", "10", "15", "25", "40")]
    assert rows == ["B", "D", "C", "B", "A"]


@pytest.mark.parametrize("stage", list(Stage))
def test_rows_are_monotone_and_every_arrow_resolves(stage: Stage) -> None:
    for letter in CODE_LETTERS:
        accepts = [plan_for_code_letter(letter, aql, stage).accept for aql in AQLS]
        # A looser AQL never has a smaller acceptance number for the same code letter.
        assert accepts == sorted(accepts), (stage, letter)
    for aql in AQLS:
        plans = [plan_for_code_letter(letter, aql, stage) for letter in CODE_LETTERS]
        # A larger lot (later code letter) never gets a smaller sample or acceptance number.
        assert [p.sample_size for p in plans] == sorted(p.sample_size for p in plans), (stage, aql)
        assert [p.accept for p in plans] == sorted(p.accept for p in plans), (stage, aql)


@pytest.mark.parametrize("stage", list(Stage))
def test_printed_cells_are_arrows_blanks_or_numbers(stage: Stage) -> None:
    for letter, cells in s._CELLS[stage].items():
        assert len(cells) == 26
        for cell in cells:
            assert cell in ("v", "^", "-") or cell.isdigit(), (stage, letter, cell)
        # Only row S of Table 2-B has blank cells.
        assert ("-" in cells) == (stage is Stage.TIGHTENED and letter == "S")


def test_reduced_table_has_no_gap_plans_and_uses_the_1999_numbers() -> None:
    accepts = {int(c) for row in s._CELLS[Stage.REDUCED].values() for c in row if c.isdigit()}
    assert accepts == {0, 1, 2, 3, 5, 6, 7, 8, 10, 14, 21, 30}
    for letter in CODE_LETTERS:
        for aql in AQLS:
            plan = plan_for_code_letter(letter, aql, "reduced")
            assert plan.reject == plan.accept + 1


def test_tightened_row_s_only_under_0_025() -> None:
    cells = s._CELLS[Stage.TIGHTENED]["S"]
    assert [aql for aql, c in zip(AQLS, cells, strict=True) if c != "-"] == ["0.025"]
    assert cells[AQLS.index("0.025")] == "1"


def test_every_normal_plan_with_ac_2_or_more_has_a_plan_one_aql_tighter_in_its_row() -> None:
    # The switching score (9.3.3.2) relies on this.
    for letter, cells in s._CELLS[Stage.NORMAL].items():
        for column, cell in enumerate(cells):
            if cell.isdigit() and int(cell) >= 2:
                assert cells[column - 1].isdigit(), (letter, AQLS[column])
                assert int(cells[column - 1]) < int(cell)


# ---------------------------------------------------------------------------------------
# Arrows, case by case, in every table
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stage", "letter", "aql", "row", "n", "ac"),
    [
        # Table 2-A
        ("normal", "B", "0.10", "K", 125, 0),  # down arrow over many rows
        ("normal", "B", "6.5", "A", 2, 0),  # up arrow
        ("normal", "C", "6.5", "D", 8, 1),  # down arrow to the 1/2 plan
        ("normal", "A", "10", "C", 5, 1),  # down arrow in the first row (no plan above)
        ("normal", "A", "15", "B", 3, 1),
        ("normal", "C", "1000", "B", 3, 44),  # up arrow, top-right corner
        ("normal", "F", "150", "E", 13, 30),
        ("normal", "R", "0.010", "Q", 1250, 0),
        ("normal", "R", "0.015", "P", 800, 0),  # up arrow over another up arrow
        ("normal", "R", "1.0", "Q", 1250, 21),
        ("normal", "Q", "0.025", "R", 2000, 1),
        # Table 2-B
        ("tightened", "A", "6.5", "B", 3, 0),
        ("tightened", "C", "6.5", "E", 13, 1),  # two down arrows in a row
        ("tightened", "Q", "0.025", "S", 3150, 1),  # into the extra row S
        ("tightened", "R", "0.025", "S", 3150, 1),
        ("tightened", "R", "0.015", "Q", 1250, 0),  # up: row S is blank under 0.015
        ("tightened", "P", "0.040", "R", 2000, 1),
        ("tightened", "F", "150", "E", 13, 27),
        ("tightened", "C", "1000", "B", 3, 41),
        # Table 2-C
        ("reduced", "B", "6.5", "A", 2, 0),
        ("reduced", "D", "6.5", "E", 5, 1),
        ("reduced", "A", "10", "D", 3, 1),  # three down arrows
        ("reduced", "Q", "0.025", "N", 200, 0),  # up over P
        ("reduced", "R", "0.025", "N", 200, 0),
        ("reduced", "C", "1000", "B", 2, 30),
        ("reduced", "F", "100", "E", 5, 10),
        ("reduced", "J", "6.5", "J", 32, 6),  # a 1999-edition plan (6/7)
        ("reduced", "K", "6.5", "K", 50, 8),  # a 1999-edition plan (8/9)
    ],
)
def test_arrows(stage: str, letter: str, aql: str, row: str, n: int, ac: int) -> None:
    plan = plan_for_code_letter(letter, aql, stage)
    assert (plan.plan_code_letter, plan.sample_size, plan.accept, plan.reject) == (row, n, ac, ac + 1)


def _arrow_cells() -> list[tuple[Stage, str, int]]:
    cells: list[tuple[Stage, str, int]] = []
    for stage in Stage:
        for letter, row in s._CELLS[stage].items():
            cells.extend((stage, letter, column) for column, cell in enumerate(row) if cell in ("v", "^"))
    return cells


def test_every_arrow_cell_of_every_table_is_walked() -> None:
    counts = {stage: sum(1 for st, _, _ in _arrow_cells() if st is stage) for stage in Stage}
    # Every cell of rows A..R is an arrow or a plan: 2-A 416 - 152 plans, 2-B 416 - 136 plans
    # (row S has no arrows: one plan, the rest blank), 2-C 416 - 137 plans.
    assert counts == {Stage.NORMAL: 264, Stage.TIGHTENED: 280, Stage.REDUCED: 279}


@pytest.mark.parametrize(("stage", "letter", "column"), _arrow_cells())
def test_an_arrow_uses_the_first_plan_in_its_direction_with_that_rows_sample_size(
    stage: Stage, letter: str, column: int
) -> None:
    # The rule printed under Tables 2-A/2-B/2-C: at a down (up) arrow use the first sampling
    # plan below (above) it; the sample size is the one of the row where the plan is found.
    rows = "ABCDEFGHJKLMNPQRS" if stage is Stage.TIGHTENED else CODE_LETTERS
    printed = s._CELLS[stage]
    arrow = printed[letter][column]
    step = 1 if arrow == "v" else -1
    index = rows.index(letter) + step
    # The arrow runs over cells of the same arrow only: never into the opposite arrow, a blank
    # cell or off the table.
    while printed[rows[index]][column] == arrow:
        index += step
        assert 0 <= index < len(rows), (stage, letter, AQLS[column])
    found = rows[index]
    assert printed[found][column].isdigit(), (stage, letter, AQLS[column], printed[found][column])
    assert (index > rows.index(letter)) == (arrow == "v")
    expected_ac = int(printed[found][column])
    sizes = N_REDUCED if stage is Stage.REDUCED else N_NORMAL
    plan = plan_for_code_letter(letter, AQLS[column], stage)
    assert (plan.plan_code_letter, plan.sample_size, plan.accept, plan.reject) == (
        found,
        sizes[found],
        expected_ac,
        expected_ac + 1,
    )


@pytest.mark.parametrize(
    ("stage", "letter", "aql", "row", "n", "ac"),
    [
        # Table 2-B (= MIL-STD-105E / Z1.4 Table II-B), small code letters at large AQLs.
        ("tightened", "A", "10", "D", 8, 1),
        ("tightened", "B", "10", "D", 8, 1),
        ("tightened", "C", "10", "D", 8, 1),
        ("tightened", "A", "15", "C", 5, 1),
        ("tightened", "A", "25", "B", 3, 1),
        ("tightened", "A", "40", "A", 2, 1),
        ("tightened", "A", "6.5", "B", 3, 0),
        ("tightened", "E", "4.0", "F", 20, 1),
        ("tightened", "K", "0.65", "K", 125, 1),
        # Table 2-C, 1999 edition (cells of the GB/T 2828.1-2012 transcription checked against
        # the scan of the standard: AQL 0.65..6.5 and 15..1000).
        ("reduced", "A", "6.5", "A", 2, 0),
        ("reduced", "A", "15", "C", 2, 1),
        ("reduced", "C", "4.0", "B", 2, 0),
        ("reduced", "C", "6.5", "E", 5, 1),
        ("reduced", "D", "4.0", "F", 8, 1),
        ("reduced", "K", "1.0", "K", 50, 2),
        ("reduced", "M", "6.5", "L", 80, 10),
        ("reduced", "R", "15", "J", 32, 10),
        ("reduced", "F", "150", "E", 5, 14),
    ],
)
def test_printed_plans_for_small_letters_and_large_aqls(
    stage: str, letter: str, aql: str, row: str, n: int, ac: int
) -> None:
    plan = plan_for_code_letter(letter, aql, stage)
    assert (plan.plan_code_letter, plan.sample_size, plan.accept, plan.reject) == (row, n, ac, ac + 1)


def test_an_arrow_into_the_opposite_arrow_is_refused_as_bad_table_data(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {**s._CELLS[Stage.TIGHTENED], "B": ("^",) * 26}
    monkeypatch.setitem(s._CELLS, Stage.TIGHTENED, broken)
    with pytest.raises(AssertionError, match="leads to no plan"):
        s._resolve(Stage.TIGHTENED, "A", AQLS.index("0.010"))


def test_plan_code_letter_differs_only_after_an_arrow() -> None:
    plan = sampling_plan(10, "II", "6.5")
    assert plan.code_letter == "B" and plan.plan_code_letter == "A" and plan.sample_size == 2


def test_plan_for_code_letter_rejects_s_and_unknown_letters() -> None:
    for bad in ("S", "I", "O", "Z", "", "AB", 3):
        with pytest.raises(SamplingError, match="code letter"):
            plan_for_code_letter(bad, "1.0")  # type: ignore[arg-type]


def test_unknown_stage() -> None:
    with pytest.raises(SamplingError, match="stage"):
        sampling_plan(100, "II", "1.0", "skip-lot")


def test_blank_cell_of_row_s_is_reported() -> None:
    with pytest.raises(SamplingError, match="no plan"):
        s._resolve(Stage.TIGHTENED, "S", 0)


# ---------------------------------------------------------------------------------------
# 100 % inspection
# ---------------------------------------------------------------------------------------
def test_sample_larger_than_lot_means_100_percent_inspection() -> None:
    plan = sampling_plan(10, "II", "0.10")
    assert plan == SamplingPlan("B", "K", 10, 0, 1, True, Stage.NORMAL, "0.10")


def test_sample_equal_to_lot_means_100_percent_inspection() -> None:
    plan = sampling_plan(2, "II", "6.5")
    assert (plan.sample_size, plan.inspect_all) == (2, True)


def test_sample_one_below_lot_is_a_sample() -> None:
    plan = sampling_plan(3, "II", "6.5")
    assert (plan.sample_size, plan.inspect_all) == (2, False)


def test_100_percent_inspection_keeps_the_plan_ac_re() -> None:
    plan = sampling_plan(15, "II", "1.0")  # B -> down to E, n=13 < 15
    assert (plan.plan_code_letter, plan.sample_size, plan.inspect_all) == ("E", 13, False)
    plan = sampling_plan(12, "II", "1.0")  # B -> E, n=13 >= 12
    assert (plan.sample_size, plan.accept, plan.reject, plan.inspect_all) == (12, 0, 1, True)


@pytest.mark.parametrize(
    ("lot_size", "stage", "row"),
    [(1500, "tightened", "R"), (100, "reduced", "Q"), (3000, "tightened", None)],
)
def test_100_percent_inspection_on_other_stages(lot_size: int, stage: str, row: str | None) -> None:
    plan = sampling_plan(lot_size, "II", "0.010", stage)
    if row is None:
        assert plan.inspect_all is False and plan.sample_size == 2000
    else:
        assert plan.plan_code_letter == row and plan.inspect_all and plan.sample_size == lot_size


def test_is_accepted() -> None:
    plan = sampling_plan(1000, "II", "1.5")
    assert plan.is_accepted(3) and not plan.is_accepted(4)
    with pytest.raises(SamplingError, match="nonconforming"):
        plan.is_accepted(-1)


# ---------------------------------------------------------------------------------------
# Switching rules (clause 9)
# ---------------------------------------------------------------------------------------
def _normal(letter: str = "J", aql: str = "1.5") -> SamplingPlan:
    return plan_for_code_letter(letter, aql, "normal")


def _step(state: SwitchingState, plan: SamplingPlan, **kwargs: object) -> tuple[SwitchingState, str]:
    kwargs.setdefault("steady_production", True)
    kwargs.setdefault("reduced_approved", False)
    return next_state(state, plan=plan, **kwargs)  # type: ignore[arg-type]


def _lots(*outcomes: str) -> list[dict[str, object]]:
    # "A" accepted, "R" not accepted, "a"/"r" resubmitted (not original) lots.
    table: dict[str, dict[str, object]] = {
        "A": {"accepted": True},
        "R": {"accepted": False},
        "a": {"accepted": True, "original": False},
        "r": {"accepted": False, "original": False},
    }
    return [dict(table[o]) for o in outcomes]


def _stages(results: list[dict[str, object]]) -> list[object]:
    return [r["stage_after"] for r in results]


def test_initial_state() -> None:
    state = initial_state()
    assert state == SwitchingState(Stage.NORMAL, 0, (), 0, 0, False)
    assert state.normal_not_accepted_in_last_5 == 0
    assert initial_state("tightened").stage is Stage.TIGHTENED


def test_normal_to_tightened_on_two_consecutive_failures() -> None:
    results = simulate("normal", "J", "1.5", True, False, _lots("R", "R"))
    assert _stages(results) == ["normal", "tightened"]
    assert results[0]["reason"] is None
    assert str(results[1]["reason"]).startswith("normal_to_tightened: 2 of the last 2 lots")


def test_normal_to_tightened_two_of_five() -> None:
    results = simulate("normal", "J", "1.5", True, False, _lots("R", "A", "A", "A", "R"))
    assert _stages(results) == ["normal"] * 4 + ["tightened"]
    assert str(results[4]["reason"]).startswith("normal_to_tightened: 2 of the last 5 lots")


def test_two_failures_six_lots_apart_do_not_tighten() -> None:
    results = simulate("normal", "J", "1.5", True, False, _lots("R", "A", "A", "A", "A", "R", "A"))
    assert set(_stages(results)) == {"normal"}


def test_window_counts_only_original_inspection() -> None:
    # A resubmitted lot that fails again is ignored (9.3.1 "on original inspection").
    results = simulate("normal", "J", "1.5", True, False, _lots("R", "r", "r", "A", "R"))
    assert _stages(results) == ["normal", "normal", "normal", "normal", "tightened"]
    state, reason = _step(initial_state(), _normal(), accepted=False, original_inspection=False)
    assert state == initial_state() and reason_code(reason) == "resubmitted_ignored"


def test_tightened_to_normal_after_five_consecutive_acceptances() -> None:
    results = simulate("tightened", "J", "1.5", True, False, _lots("A", "A", "A", "A", "A"))
    assert _stages(results) == ["tightened"] * 4 + ["normal"]
    assert str(results[4]["reason"]).startswith("tightened_to_normal")
    assert results[4]["switching_score"] == 0


def test_tightened_run_of_acceptances_restarts_after_a_failure() -> None:
    lots = _lots("A", "A", "A", "A", "R", "A", "A", "A", "A", "A")
    results = simulate("tightened", "J", "1.5", True, False, lots)
    assert _stages(results) == ["tightened"] * 9 + ["normal"]


def test_tightened_resubmitted_lots_do_not_count() -> None:
    results = simulate("tightened", "J", "1.5", True, False, _lots("A", "A", "a", "A", "A", "a", "A"))
    assert _stages(results) == ["tightened"] * 6 + ["normal"]


def test_discontinuation_after_five_not_accepted_on_tightened() -> None:
    lots = _lots("R", "A", "R", "A", "R", "A", "R", "A")
    results = simulate("tightened", "J", "1.5", True, False, lots)
    assert set(_stages(results)) == {"tightened"}
    assert all(r["reason"] is None for r in results)
    results = simulate("tightened", "J", "1.5", True, False, [*lots, {"accepted": False}])
    assert str(results[-1]["reason"]).startswith("discontinued:")
    with pytest.raises(SamplingError, match="lot 9: inspection is discontinued"):
        simulate("tightened", "J", "1.5", True, False, [*lots, {"accepted": False}, {"accepted": True}])


@pytest.mark.parametrize(
    "pattern",
    [
        "RARARARAR",  # accepted lots between every rejection
        "RAAAARAAAARAAAARAAAAR",  # runs of 4 accepted lots: never the 5 that return to normal
        "RRAAARAAAARR",
    ],
)
def test_the_fifth_not_accepted_lot_since_tightened_began_discontinues_whenever_it_comes(pattern: str) -> None:
    # 9.4 counts the not accepted lots cumulatively; accepted lots in between reset nothing.
    assert "AAAAA" not in pattern and pattern.count("R") == 5
    plan = plan_for_code_letter("J", "1.5", "tightened")  # n=80, Ac 2
    state = initial_state("tightened")
    for number, outcome in enumerate(pattern, start=1):
        rejected_so_far = pattern[:number].count("R")
        state, reason = _step(state, plan, nonconforming=3 if outcome == "R" else 0)
        assert state.stage is Stage.TIGHTENED
        assert state.tightened_not_accepted == rejected_so_far
        assert state.discontinued is (number == len(pattern)), (pattern, number)
    assert reason_code(reason) == "discontinued" and "cumulatively" in reason


def test_discontinued_state_refuses_lots_until_resumed() -> None:
    state = initial_state("tightened")
    plan = plan_for_code_letter("J", "1.5", "tightened")
    for _ in range(4):
        state, reason = _step(state, plan, nonconforming=9)
        assert reason_code(reason) == "stay_tightened" and not state.discontinued
    state, reason = _step(state, plan, nonconforming=9)
    assert state.discontinued and state.tightened_not_accepted == 5 and reason_code(reason) == "discontinued"
    with pytest.raises(SamplingError, match="discontinued"):
        _step(state, plan, nonconforming=0)
    resumed, reason = resume(state)
    assert resumed == SwitchingState(stage=Stage.TIGHTENED) and reason_code(reason) == "resumed_tightened"
    with pytest.raises(SamplingError, match="not discontinued"):
        resume(resumed)


def test_tightened_failures_are_forgotten_when_normal_is_reinstated() -> None:
    lots = _lots("R", "R", "R", "R", "A", "A", "A", "A", "A", "R", "R")
    results = simulate("tightened", "J", "1.5", True, False, lots)
    # 4 failures, back to normal, then 2 failures: tightened again (not discontinued).
    assert _stages(results)[-3:] == ["normal", "normal", "tightened"]


def test_score_ac_2_or_more_uses_one_step_tighter_aql() -> None:
    plan = _normal("J", "1.5")  # n=80, Ac=3; one step tighter (AQL 1.0) in row J: Ac=2
    assert plan.accept == 3
    state, reason = _step(initial_state(), plan, nonconforming=2)
    assert state.switching_score == 3 and "+3" in reason
    state, reason = _step(state, plan, nonconforming=1)
    assert state.switching_score == 6
    state, reason = _step(state, plan, nonconforming=3)  # accepted, but not at AQL 1.0
    assert state.switching_score == 0 and state.stage is Stage.NORMAL and "reset" in reason
    state, _ = _step(state, plan, nonconforming=0)
    state, reason = _step(state, plan, nonconforming=4)  # not accepted
    assert state.switching_score == 0 and state.normal_not_accepted_in_last_5 == 1


def test_score_ac_0_or_1_adds_two_when_accepted() -> None:
    plan = _normal("J", "0.40")  # J -> down to K: n=125, Ac=1
    assert (plan.plan_code_letter, plan.accept) == ("K", 1)
    state, _ = _step(initial_state(), plan, nonconforming=1)
    assert state.switching_score == 2
    state, _ = _step(state, plan, nonconforming=0)
    assert state.switching_score == 4
    state, _ = _step(state, plan, nonconforming=2)
    assert state.switching_score == 0
    plan0 = _normal("J", "0.15")
    assert plan0.accept == 0
    state, _ = _step(initial_state(), plan0, nonconforming=0)
    assert state.switching_score == 2


def test_score_tighter_aql_uses_the_row_actually_used() -> None:
    # C at AQL 1000 goes up to B (n=3, Ac=44); one step tighter (650) in row B is Ac=30.
    plan = _normal("C", "1000")
    assert (plan.plan_code_letter, plan.accept) == ("B", 44)
    assert _step(initial_state(), plan, nonconforming=30)[0].switching_score == 3
    assert _step(initial_state(), plan, nonconforming=31)[0].switching_score == 0


def test_score_with_accepted_only_counts_as_passing_the_tighter_test() -> None:
    state, reason = _step(initial_state(), _normal("J", "1.5"), accepted=True)
    assert state.switching_score == 3 and "count unknown" in reason
    state, _ = _step(initial_state(), _normal("J", "0.15"), accepted=True)
    assert state.switching_score == 2


def test_normal_to_reduced_at_score_30_with_ac_2_or_more() -> None:
    lots = [{"nonconforming": 0}] * 10
    results = simulate("normal", "J", "1.5", True, True, lots)
    assert [r["switching_score"] for r in results] == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert _stages(results) == ["normal"] * 9 + ["reduced"]
    assert str(results[9]["reason"]).startswith("normal_to_reduced: switching score 30 >= 30")


def test_normal_to_reduced_at_score_30_with_ac_below_2() -> None:
    results = simulate("normal", "J", "0.15", True, True, [{"nonconforming": 0}] * 15)
    assert results[13]["switching_score"] == 28 and results[13]["stage_after"] == "normal"
    assert results[14]["switching_score"] == 30 and results[14]["stage_after"] == "reduced"


def test_no_reduced_without_approval_or_steady_production() -> None:
    lots = [{"nonconforming": 0}] * 12
    assert set(_stages(simulate("normal", "J", "1.5", True, False, lots))) == {"normal"}
    assert set(_stages(simulate("normal", "J", "1.5", False, True, lots))) == {"normal"}
    # Approval given later: the next accepted lot switches (score already >= 30).
    later = [*lots, {"nonconforming": 0, "reduced_approved": True}]
    results = simulate("normal", "J", "1.5", True, False, later)
    assert results[-2]["switching_score"] == 36 and results[-1]["stage_after"] == "reduced"


def test_a_reset_delays_reduced_inspection() -> None:
    lots = [{"nonconforming": 0}] * 9 + [{"nonconforming": 3}] + [{"nonconforming": 0}] * 10
    results = simulate("normal", "J", "1.5", True, True, lots)
    assert results[9]["switching_score"] == 0
    assert _stages(results).index("reduced") == 19


def test_reduced_to_normal_when_a_lot_is_not_accepted() -> None:
    plan = plan_for_code_letter("J", "1.5", "reduced")  # n=32, Ac=2, Re=3
    state = SwitchingState(stage=Stage.REDUCED, switching_score=30)
    same, reason = _step(state, plan, nonconforming=2)
    assert same == state and reason_code(reason) == "stay_reduced"
    back, reason = _step(state, plan, nonconforming=3)
    assert back == SwitchingState(stage=Stage.NORMAL)
    assert reason.startswith("reduced_to_normal: lot not accepted")


def test_reduced_to_normal_when_production_is_irregular() -> None:
    plan = plan_for_code_letter("J", "1.5", "reduced")
    state = SwitchingState(stage=Stage.REDUCED, switching_score=30)
    back, reason = _step(state, plan, nonconforming=0, steady_production=False)
    assert back.stage is Stage.NORMAL and "irregular" in reason and "9.3.4 b" in reason


def test_reduced_to_normal_for_other_conditions() -> None:
    state = SwitchingState(stage=Stage.REDUCED, switching_score=33)
    back, reason = reinstate_normal(state, "customer complaint")
    assert back == SwitchingState() and reason == "reduced_to_normal: customer complaint (9.3.4 c)"
    with pytest.raises(SamplingError, match="reduced"):
        reinstate_normal(initial_state(), "x")
    with pytest.raises(SamplingError, match="condition"):
        reinstate_normal(state, "  ")


def test_full_cycle_through_every_stage() -> None:
    lots = (
        [{"nonconforming": 0}] * 10  # normal, score 30 -> reduced
        + [{"nonconforming": 0}, {"nonconforming": 3}]  # reduced: Ac=2 for J/1.5 reduced -> normal
        + [{"nonconforming": 4}, {"nonconforming": 4}]  # normal: two failures -> tightened
        + [{"nonconforming": 0}] * 5  # tightened: five accepted -> normal
    )
    results = simulate("normal", "J", "1.5", True, True, lots)
    codes = [reason_code(str(r["reason"])) for r in results if r["reason"] is not None]
    assert codes == ["normal_to_reduced", "reduced_to_normal", "normal_to_tightened", "tightened_to_normal"]
    assert {k: results[-1][k] for k in ("accepted", "stage_after", "switching_score")} == {
        "accepted": True,
        "stage_after": "normal",
        "switching_score": 0,
    }
    # The reduced lot with 3 nonconforming was judged on the reduced plan (Ac=2).
    assert results[11]["accepted"] is False


def test_simulate_result_shape() -> None:
    results = simulate(Stage.NORMAL, "J", 1.5, True, False, [{"nonconforming": 1}, {"accepted": False}])
    assert results == [
        {"accepted": True, "stage_after": "normal", "switching_score": 3, "reason": None},
        {"accepted": False, "stage_after": "normal", "switching_score": 0, "reason": None},
    ]


def test_simulate_validation() -> None:
    with pytest.raises(SamplingError, match="unknown keys"):
        simulate("normal", "J", "1.5", True, False, [{"nonconfirming": 1}])
    with pytest.raises(SamplingError, match="lot 0: give the lot result"):
        simulate("normal", "J", "1.5", True, False, [{}])
    with pytest.raises(SamplingError, match="must be an integer"):
        simulate("normal", "J", "1.5", True, False, [{"nonconforming": 1.0}])
    with pytest.raises(SamplingError, match="must be a boolean"):
        simulate("normal", "J", "1.5", True, False, [{"accepted": 1}])
    with pytest.raises(SamplingError, match="contradicts"):
        simulate("normal", "J", "1.5", True, False, [{"nonconforming": 9, "accepted": True}])
    with pytest.raises(SamplingError, match="code letter"):
        simulate("normal", "S", "1.5", True, False, [])


def test_next_state_validation() -> None:
    with pytest.raises(SamplingError, match="plan is for tightened"):
        _step(initial_state(), plan_for_code_letter("J", "1.5", "tightened"), accepted=True)
    with pytest.raises(SamplingError, match="give the lot result"):
        _step(initial_state(), _normal())
    with pytest.raises(SamplingError, match="nonconforming"):
        _step(initial_state(), _normal(), nonconforming=-1)
    with pytest.raises(SamplingError, match="nonconforming"):
        _step(initial_state(), _normal(), nonconforming=True)
    # A hand-made plan without its AQL cannot answer the "one step tighter" question.
    bare = SamplingPlan("J", "J", 80, 3, 4, False)
    with pytest.raises(SamplingError, match="no AQL"):
        _step(initial_state(), bare, nonconforming=0)
    assert _step(initial_state(), bare, accepted=True)[0].switching_score == 3


def test_every_reason_starts_with_a_known_code() -> None:
    lots = [{"nonconforming": 0}] * 10 + [{"nonconforming": 3}] + _lots("R", "R", "R", "R", "R", "R", "R")
    state = initial_state()
    seen = set()
    for lot in lots:
        plan = plan_for_code_letter("J", "1.5", state.stage)
        state, reason = _step(state, plan, reduced_approved=True, **lot)
        assert reason_code(reason) in REASON_CODES and ": " in reason
        seen.add(reason_code(reason))
    assert state.discontinued
    assert {"normal_to_reduced", "reduced_to_normal", "normal_to_tightened", "discontinued"} <= seen
