"""Single sampling by attributes per GB/T 2828.1-2012 (identical to ISO 2859-1:1999).

Pure Python, no Django. What is implemented, with the clause or table it comes from:

* Table 1 -- sample size code letters, by lot size and inspection level
  (special levels S-1..S-4, general levels I, II, III): :func:`code_letter`.
* Table 2-A (normal), Table 2-B (tightened) and Table 2-C (reduced) -- the single
  sampling master tables, kept below as data *with their arrows*, and resolved the
  way the tables' footnotes say: at a down arrow use the first sampling plan below
  it, at an up arrow the first plan above it; the sample size is then the one of
  the row actually used ("plan code letter"), and if that sample size equals or
  exceeds the lot size, 100 % inspection is carried out: :func:`sampling_plan`.
* Clause 9 -- switching rules (9.3.1 normal -> tightened, 9.3.2 tightened -> normal,
  9.3.3 normal -> reduced with the switching score of 9.3.3.2, 9.3.4 reduced ->
  normal) and 9.4 discontinuation of inspection, as a pure state machine:
  :class:`SwitchingState`, :func:`next_state`, :func:`resume`,
  :func:`reinstate_normal`, :func:`simulate`.

Edition notes. The 1999 edition of ISO 2859-1 (and so GB/T 2828.1-2003/-2012) differs
from MIL-STD-105E / ANSI Z1.4 and from ISO 2859-1:1989 in two ways that matter here:
its reduced table 2-C has no "Ac/Re gap" plans (every plan has Re = Ac + 1, so a lot is
either accepted or not; the old "accept but return to normal" zone is gone), and the
switch to reduced inspection uses the switching score (9.3.3.2) instead of "10 lots
and limit numbers". Tables 2-A and 2-B are the same as Z1.4's II-A and II-B.

Sources the table cells were checked against (cell by cell, by script):

* Table 1 and Table 2-A: an R port of the ANSI/ASQ Z1.4 tables (AQLSchemes, file
  R/AAZ14Single.R of github.com/fjgonzalezmgt/AQLSchemesCust) and an independent
  transcription of GB/T 2828.1-2012 (TypeScript, double-blind checked by its authors
  against a scan of the standard for AQL 0.65..6.5 and 15..1000) agree on all 15 x 7
  and 16 x 26 cells.
* Table 2-B: the same two sources agree on 415 of 416 cells. At code letter A, AQL 10
  the Z1.4 port resolves a down arrow to D (n = 8, Ac 1, Re 2), and the MIL-STD-105E
  Table II-B transcription at nibs.org (FMOC/DPW_AC/AC-TABLE.ASC) shows the shaft of that
  arrow in row A and its head in row C; the GB/T transcription has a 0/1 plan at A (n = 2)
  there, but that cell is outside the part its authors checked against the scan (AQL 10
  came from a factory spreadsheet that also had other errors). ISO 2859-1:1999 lists no
  change to the single sampling plans of Table 2-B against the 1989 edition (= 105E), so
  the cell is an arrow: A at AQL 10 on tightened inspection uses the plan of row D. Row S
  (n = 3150) has a plan only under AQL 0.025 (1/2); its other cells are blank.
* Table 2-C (1999 edition, no Ac/Re gaps -- note the acceptance numbers 6 and 8 that do
  not occur in 2-A): the GB/T transcription, double-blind checked against the scan for
  AQL 0.65..6.5 and 15..1000; every cell where MIL-STD-105E Table II-C has a plan with
  Re = Ac + 1 (all but its 251 "gap" cells, which the 1999 edition replaced) agrees with
  it. Structural rules checked by the tests: every arrow leads, through cells of the same
  arrow only, to a plan; Ac never decreases along a row or down a column.

AQL values 0.010..10 may be "percent nonconforming" or "nonconformities per 100 items";
values 15..1000 are nonconformities per 100 items only (5.2). This module does not check
the number of nonconformities against the sample size, since with nonconformities per
100 items it may exceed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum

__all__ = [
    "AQLS",
    "CODE_LETTERS",
    "LEVELS",
    "REASON_CODES",
    "SamplingError",
    "SamplingPlan",
    "Stage",
    "SwitchingState",
    "code_letter",
    "initial_state",
    "next_state",
    "normalize_aql",
    "normalize_level",
    "plan_for_code_letter",
    "reason_code",
    "reinstate_normal",
    "resume",
    "sampling_plan",
    "simulate",
]


class SamplingError(ValueError):
    """Invalid input to, or an impossible request of, the sampling procedures."""


class Stage(StrEnum):
    """Severity of inspection (clause 9)."""

    NORMAL = "normal"
    TIGHTENED = "tightened"
    REDUCED = "reduced"


LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")

#: The 26 preferred AQLs of Tables 2-A/2-B/2-C, as printed in the column heads.
AQLS: tuple[str, ...] = (
    "0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65",
    "1.0", "1.5", "2.5", "4.0", "6.5", "10", "15", "25", "40", "65",
    "100", "150", "250", "400", "650", "1000",
)

#: Code letters of Table 1 (I and O are not used by the standard).
CODE_LETTERS = "ABCDEFGHJKLMNPQR"
# Table 2-B has one more row, S (n=3150), reachable only through an arrow.
_ALL_ROWS = CODE_LETTERS + "S"

# ---------------------------------------------------------------------------------------
# Table 1 -- sample size code letters. Each row: upper bound of the lot-size class, then
# the letters for S-1, S-2, S-3, S-4, I, II, III. The last class is "500 001 and over".
# ---------------------------------------------------------------------------------------
_TABLE_1: tuple[tuple[int | None, str], ...] = (
    (8, "AAAAAAB"),
    (15, "AAAAABC"),
    (25, "AABBBCD"),
    (50, "ABBCCDE"),
    (90, "BBCCCEF"),
    (150, "BBCDDFG"),
    (280, "BCDEEGH"),
    (500, "BCDEFHJ"),
    (1200, "CCEFGJK"),
    (3200, "CDEGHKL"),
    (10000, "CDFGJLM"),
    (35000, "CDFHKMN"),
    (150000, "DEGJLNP"),
    (500000, "DEGJMPQ"),
    (None, "DEHKNQR"),
)

# ---------------------------------------------------------------------------------------
# Master tables 2-A, 2-B, 2-C. One string per code letter with 26 cells, one per AQL in
# AQLS order. A number is the acceptance number Ac (the rejection number is always
# Re = Ac + 1 in the 1999 single sampling tables); "v" is the standard's down arrow, "^"
# its up arrow, "-" a blank cell (no plan). Kept with their arrows, as printed, so that
# the data can be compared with the printed table cell by cell.
# ---------------------------------------------------------------------------------------
_SAMPLE_SIZE: dict[Stage, dict[str, int]] = {
    Stage.NORMAL: dict(zip(CODE_LETTERS, (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800,
                                          1250, 2000), strict=True)),
    Stage.TIGHTENED: dict(zip(_ALL_ROWS, (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800,
                                          1250, 2000, 3150), strict=True)),
    # Table 2-C: A, B and C share n=2, so the letter-to-n map differs from 2-A (K is 50).
    Stage.REDUCED: dict(zip(CODE_LETTERS, (2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315,
                                           500, 800), strict=True)),
}

_MASTER: dict[Stage, dict[str, str]] = {
    # Table 2-A -- single sampling plans for normal inspection.
    Stage.NORMAL: {
        # Columns in AQLS order: 0.010 0.015 0.025 0.040 0.065 0.10 0.15 0.25 0.40 0.65 1.0 1.5 2.5 4.0
        # 6.5 10 | 15 25 40 65 100 150 250 400 650 1000 (the last ten: nonconformities per 100 items).
        "A": "v v v v v v v v v v v v v v 0 v v 1 2 3 5 7 10 14 21 30",
        "B": "v v v v v v v v v v v v v 0 ^ v 1 2 3 5 7 10 14 21 30 44",
        "C": "v v v v v v v v v v v v 0 ^ v 1 2 3 5 7 10 14 21 30 44 ^",
        "D": "v v v v v v v v v v v 0 ^ v 1 2 3 5 7 10 14 21 30 44 ^ ^",
        "E": "v v v v v v v v v v 0 ^ v 1 2 3 5 7 10 14 21 30 44 ^ ^ ^",
        "F": "v v v v v v v v v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^",
        "G": "v v v v v v v v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^",
        "H": "v v v v v v v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^",
        "J": "v v v v v v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "K": "v v v v v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "L": "v v v v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "M": "v v v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "N": "v v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "P": "v 0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "Q": "0 ^ v 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "R": "^ ^ 1 2 3 5 7 10 14 21 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
    },
    # Table 2-B -- single sampling plans for tightened inspection (extra row S).
    Stage.TIGHTENED: {
        "A": "v v v v v v v v v v v v v v v v v v 1 2 3 5 8 12 18 27",
        "B": "v v v v v v v v v v v v v v 0 v v 1 2 3 5 8 12 18 27 41",
        "C": "v v v v v v v v v v v v v 0 v v 1 2 3 5 8 12 18 27 41 ^",
        "D": "v v v v v v v v v v v v 0 v v 1 2 3 5 8 12 18 27 41 ^ ^",
        "E": "v v v v v v v v v v v 0 v v 1 2 3 5 8 12 18 27 41 ^ ^ ^",
        "F": "v v v v v v v v v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^",
        "G": "v v v v v v v v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^",
        "H": "v v v v v v v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^",
        "J": "v v v v v v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "K": "v v v v v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "L": "v v v v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "M": "v v v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "N": "v v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "P": "v v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "Q": "v 0 v v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "R": "0 ^ v 1 2 3 5 8 12 18 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "S": "- - 1 - - - - - - - - - - - - - - - - - - - - - - -",
    },
    # Table 2-C -- single sampling plans for reduced inspection (1999 edition: Re = Ac + 1).
    Stage.REDUCED: {
        "A": "v v v v v v v v v v v v v v 0 v v 1 2 3 5 7 10 14 21 30",
        "B": "v v v v v v v v v v v v v 0 ^ v v 1 2 3 5 7 10 14 21 30",
        "C": "v v v v v v v v v v v v 0 ^ v v 1 2 3 5 6 8 10 14 21 ^",
        "D": "v v v v v v v v v v v 0 ^ v v 1 2 3 5 6 8 10 14 21 ^ ^",
        "E": "v v v v v v v v v v 0 ^ v v 1 2 3 5 6 8 10 14 21 ^ ^ ^",
        "F": "v v v v v v v v v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^",
        "G": "v v v v v v v v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^",
        "H": "v v v v v v v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^",
        "J": "v v v v v v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "K": "v v v v v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "L": "v v v v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "M": "v v v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "N": "v v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "P": "v 0 ^ v v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "Q": "0 ^ ^ v 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
        "R": "^ ^ ^ 1 2 3 5 6 8 10 ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^ ^",
    },
}

_DOWN, _UP, _BLANK = "v", "^", "-"


def _parse_tables() -> dict[Stage, dict[str, tuple[str, ...]]]:
    parsed: dict[Stage, dict[str, tuple[str, ...]]] = {}
    for stage, rows in _MASTER.items():
        parsed[stage] = {}
        for letter, row in rows.items():
            cells = tuple(row.split())
            # Fail at import time rather than give a wrong plan from a mistyped row.
            if len(cells) != len(AQLS):
                raise AssertionError(f"table {stage} row {letter} has {len(cells)} cells")
            parsed[stage][letter] = cells
    return parsed


_CELLS = _parse_tables()
_AQL_INDEX: dict[Decimal, int] = {Decimal(a).normalize(): i for i, a in enumerate(AQLS)}

AqlLike = str | int | float | Decimal


# ---------------------------------------------------------------------------------------
# Input normalisation
# ---------------------------------------------------------------------------------------
def normalize_aql(aql: AqlLike) -> str:
    """Return the canonical AQL string of :data:`AQLS` ("1.5", 1.5, Decimal("1.50") -> "1.5").

    Numerically equal spellings are accepted ("0.01" and "0.010" are both AQL 0.010); any
    value that is not one of the 26 preferred AQLs raises :class:`SamplingError`.
    """
    if isinstance(aql, bool) or not isinstance(aql, str | int | float | Decimal):
        raise SamplingError(f"AQL must be a number or numeric string, got {aql!r}")
    try:
        # str() first so that a float like 0.1 is read as the decimal 0.1 it prints as.
        value = Decimal(str(aql).strip())
    except InvalidOperation:
        raise SamplingError(f"AQL {aql!r} is not a number") from None
    if not value.is_finite() or value.normalize() not in _AQL_INDEX:
        raise SamplingError(
            f"AQL {aql!r} is not one of the preferred AQLs of GB/T 2828.1 Table 2-A: {', '.join(AQLS)}"
        )
    return AQLS[_AQL_INDEX[value.normalize()]]


def normalize_level(level: str) -> str:
    """Return the canonical inspection level ("ii" -> "II", " s-1 " -> "S-1")."""
    if not isinstance(level, str):
        raise SamplingError(f"inspection level must be a string, got {level!r}")
    canonical = level.strip().upper()
    if canonical not in LEVELS:
        raise SamplingError(f"unknown inspection level {level!r}; expected one of {', '.join(LEVELS)}")
    return canonical


def _check_lot_size(lot_size: int) -> None:
    if isinstance(lot_size, bool) or not isinstance(lot_size, int):
        raise SamplingError(f"lot size must be an integer, got {lot_size!r}")
    if lot_size < 2:
        # Table 1 starts at 2; a "lot" of one item is simply inspected.
        raise SamplingError(f"lot size must be at least 2 (GB/T 2828.1 Table 1), got {lot_size}")


def _stage(stage: Stage | str) -> Stage:
    try:
        return Stage(stage)
    except ValueError:
        raise SamplingError(
            f"unknown inspection stage {stage!r}; expected one of {', '.join(s.value for s in Stage)}"
        ) from None


def _check_code_letter(letter: str) -> str:
    if not isinstance(letter, str) or len(letter.strip()) != 1 or letter.strip().upper() not in CODE_LETTERS:
        raise SamplingError(f"unknown sample size code letter {letter!r}; expected one of {CODE_LETTERS}")
    return letter.strip().upper()


# ---------------------------------------------------------------------------------------
# Table 1 and Tables 2-A/2-B/2-C
# ---------------------------------------------------------------------------------------
def code_letter(lot_size: int, level: str) -> str:
    """Sample size code letter of GB/T 2828.1 Table 1 for ``lot_size`` (>= 2) and ``level``."""
    _check_lot_size(lot_size)
    column = LEVELS.index(normalize_level(level))
    for upper, letters in _TABLE_1:
        if upper is None or lot_size <= upper:
            return letters[column]
    raise AssertionError("unreachable: the last class of Table 1 is open-ended")


@dataclass(frozen=True)
class SamplingPlan:
    """A single sampling plan read from Table 2-A, 2-B or 2-C.

    ``code_letter`` is the letter from Table 1; ``plan_code_letter`` the letter of the
    row actually used after following the arrows (it gives ``sample_size``). When the
    sample size would equal or exceed the lot size the whole lot is inspected:
    ``inspect_all`` is true and ``sample_size`` is the lot size, while ``accept`` and
    ``reject`` stay those of the plan read from the table (the standard only says to
    inspect 100 %; keeping the plan's Ac/Re keeps the lot decision and the switching
    rules on the same criterion as the other lots of the stream).
    """

    code_letter: str
    plan_code_letter: str
    sample_size: int
    accept: int
    reject: int
    inspect_all: bool
    stage: Stage = Stage.NORMAL
    aql: str | None = None

    def is_accepted(self, nonconforming: int) -> bool:
        """Lot decision for the number of nonconforming items (or nonconformities) found."""
        _check_count(nonconforming)
        return nonconforming <= self.accept


def _check_count(nonconforming: int) -> None:
    if isinstance(nonconforming, bool) or not isinstance(nonconforming, int) or nonconforming < 0:
        raise SamplingError(f"number of nonconforming items must be an integer >= 0, got {nonconforming!r}")


def _resolve(stage: Stage, letter: str, column: int) -> tuple[str, int]:
    """Follow the arrows of a master table from (letter, column) to a plan: (row, Ac)."""
    rows = _ALL_ROWS if stage is Stage.TIGHTENED else CODE_LETTERS
    index = rows.index(letter)
    cell = _CELLS[stage][letter][column]
    if cell in (_DOWN, _UP):
        # "Use the first sampling plan below (above) the arrow": an arrow is printed over
        # several rows, so walk through the cells of the same arrow to the first plan; the
        # sample size is then the one of that row. Running into the opposite arrow, a blank
        # cell or the edge of the table would mean mistyped table data.
        step = 1 if cell == _DOWN else -1
        index += step
        while 0 <= index < len(rows) and _CELLS[stage][rows[index]][column] == cell:
            index += step
        if not 0 <= index < len(rows) or not _CELLS[stage][rows[index]][column].isdigit():
            raise AssertionError(f"arrow at {stage} {letter}/{AQLS[column]} leads to no plan")
        cell = _CELLS[stage][rows[index]][column]
    if cell == _BLANK:
        raise SamplingError(f"Table {stage} has no plan for code letter {letter} at AQL {AQLS[column]}")
    return rows[index], int(cell)


def plan_for_code_letter(
    letter: str, aql: AqlLike, stage: Stage | str = Stage.NORMAL, lot_size: int | None = None
) -> SamplingPlan:
    """Plan for a Table 1 code letter (A..R) and AQL in the master table of ``stage``.

    With ``lot_size`` the 100 % inspection rule is applied; without it the table's
    sample size is returned as is.
    """
    letter = _check_code_letter(letter)
    aql_text = normalize_aql(aql)
    stage = _stage(stage)
    row, accept = _resolve(stage, letter, AQLS.index(aql_text))
    sample_size = _SAMPLE_SIZE[stage][row]
    inspect_all = False
    if lot_size is not None:
        _check_lot_size(lot_size)
        if sample_size >= lot_size:
            sample_size, inspect_all = lot_size, True
    return SamplingPlan(
        code_letter=letter,
        plan_code_letter=row,
        sample_size=sample_size,
        accept=accept,
        reject=accept + 1,
        inspect_all=inspect_all,
        stage=stage,
        aql=aql_text,
    )


def sampling_plan(lot_size: int, level: str, aql: AqlLike, stage: Stage | str = Stage.NORMAL) -> SamplingPlan:
    """Single sampling plan for a lot (Table 1, then Table 2-A/2-B/2-C by ``stage``)."""
    return plan_for_code_letter(code_letter(lot_size, level), aql, stage, lot_size=lot_size)


def _tighter_normal_accept(plan: SamplingPlan) -> int:
    """Ac of Table 2-A one AQL step tighter, in the row of the plan actually used.

    Used by the switching score (9.3.3.2 a) 1)): the lot "would have been accepted if the
    AQL had been one step tighter" is judged on the same sample, so the tighter plan must
    have the same sample size -- i.e. the same row of Table 2-A. For every plan with
    Ac >= 2 the cell to its left in that row is a plan (never an arrow), which the tests
    check for the whole table.
    """
    if plan.aql is None:
        raise SamplingError("the plan has no AQL; build it with sampling_plan() or plan_for_code_letter()")
    column = AQLS.index(normalize_aql(plan.aql))
    if column == 0:
        raise SamplingError("AQL 0.010 is the tightest AQL; there is no AQL one step tighter")
    cell = _CELLS[Stage.NORMAL][plan.plan_code_letter][column - 1]
    if not cell.isdigit():
        raise SamplingError(
            f"Table 2-A has no plan at {plan.plan_code_letter}/{AQLS[column - 1]} to compare with"
        )
    return int(cell)


# ---------------------------------------------------------------------------------------
# Clause 9 -- switching rules
# ---------------------------------------------------------------------------------------
#: Machine codes that start every reason string ("<code>: <human readable text>").
REASON_CODES = frozenset(
    {
        "normal_to_tightened",
        "tightened_to_normal",
        "normal_to_reduced",
        "reduced_to_normal",
        "discontinued",
        "resumed_tightened",
        "stay_normal",
        "stay_tightened",
        "stay_reduced",
        "resubmitted_ignored",
    }
)

_SCORE_FOR_REDUCED = 30  # 9.3.3 a)
_WINDOW = 5  # 9.3.1: "two out of five or fewer consecutive lots"
_TIGHTENED_TO_NORMAL = 5  # 9.3.2
_DISCONTINUE_AFTER = 5  # 9.4


def reason_code(reason: str) -> str:
    """Machine code of a reason string, e.g. ``"normal_to_tightened"``."""
    return reason.split(":", 1)[0]


@dataclass(frozen=True)
class SwitchingState:
    """State of one inspection stream (one class of nonconformity of one product).

    * ``switching_score`` -- 9.3.3.2; counted on normal inspection only. It starts at 0
      when normal inspection starts, is kept (frozen) while on reduced inspection, and
      restarts from 0 whenever normal inspection is (re)instated.
    * ``recent_normal`` -- outcomes (True = accepted) of the last five lots on original
      normal inspection since normal inspection started, oldest first (9.3.1).
    * ``tightened_consecutive_accepted`` -- lots accepted in a row on tightened (9.3.2).
    * ``tightened_not_accepted`` -- lots not accepted on original tightened inspection
      since tightened inspection began (9.4): a cumulative count, not a run -- accepted
      lots in between do not reset it; only leaving tightened inspection (or resuming
      after discontinuation) starts it again. The fifth discontinues inspection.
    * ``discontinued`` -- 9.4: acceptance inspection is discontinued; :func:`next_state`
      refuses further lots until :func:`resume`.
    """

    stage: Stage = Stage.NORMAL
    switching_score: int = 0
    recent_normal: tuple[bool, ...] = ()
    tightened_consecutive_accepted: int = 0
    tightened_not_accepted: int = 0
    discontinued: bool = False

    @property
    def normal_not_accepted_in_last_5(self) -> int:
        """Non-accepted lots among the last five (or fewer) on original normal inspection."""
        return sum(1 for accepted in self.recent_normal if not accepted)


def initial_state(stage: Stage | str = Stage.NORMAL) -> SwitchingState:
    """Fresh stream; inspection starts on normal unless otherwise designated (9.1)."""
    return SwitchingState(stage=_stage(stage))


def _enter(stage: Stage, *, score: int = 0) -> SwitchingState:
    return SwitchingState(stage=stage, switching_score=score)


def next_state(
    state: SwitchingState,
    *,
    plan: SamplingPlan,
    accepted: bool | None = None,
    nonconforming: int | None = None,
    steady_production: bool,
    reduced_approved: bool,
    original_inspection: bool = True,
) -> tuple[SwitchingState, str]:
    """Apply one inspected lot to ``state``; return the new state and the reason.

    ``plan`` is the plan the lot was inspected with (its stage must be the stream's
    stage). Give ``nonconforming`` (the count found in the sample), ``accepted``, or both
    (they must agree). Resubmitted lots (``original_inspection=False``) leave the state
    unchanged: clause 9 counts lots "on original inspection" only.

    Switching score when only ``accepted`` is known (no count): for a plan with Ac >= 2
    the "one step tighter" test cannot be evaluated, so an accepted lot is taken as
    passing it (+3). This can overstate the score; callers that record counts should
    pass ``nonconforming`` so that the standard's rule is applied exactly.

    The reason is ``"<code>: <text>"`` with a code from :data:`REASON_CODES`.
    """
    if state.discontinued:
        raise SamplingError(
            "inspection is discontinued (GB/T 2828.1 9.4): 5 lots were not accepted on tightened "
            "inspection; call resume() once the supplier's corrective action is accepted"
        )
    if plan.stage is not state.stage:
        raise SamplingError(
            f"plan is for {plan.stage} inspection but the stream is on {state.stage} inspection"
        )
    if nonconforming is not None:
        _check_count(nonconforming)
        decided = nonconforming <= plan.accept
        if accepted is not None and accepted is not decided:
            raise SamplingError(
                f"accepted={accepted} contradicts {nonconforming} nonconforming with Ac={plan.accept}"
            )
        accepted = decided
    if not isinstance(accepted, bool):
        raise SamplingError("give the lot result: nonconforming=<count> and/or accepted=<bool>")
    if not original_inspection:
        return state, "resubmitted_ignored: resubmitted lot does not count for switching (9.3)"

    outcome = "accepted" if accepted else "not accepted"
    if state.stage is Stage.NORMAL:
        return _on_normal(state, plan, accepted, nonconforming, steady_production, reduced_approved)
    if state.stage is Stage.TIGHTENED:
        if accepted:
            run = state.tightened_consecutive_accepted + 1
            if run >= _TIGHTENED_TO_NORMAL:
                return _enter(Stage.NORMAL), (
                    "tightened_to_normal: 5 consecutive lots accepted on original tightened "
                    "inspection (9.3.2)"
                )
            return replace(state, tightened_consecutive_accepted=run), (
                f"stay_tightened: lot accepted; {run} consecutive accepted of the 5 needed "
                "to return to normal"
            )
        failed = state.tightened_not_accepted + 1
        if failed >= _DISCONTINUE_AFTER:
            return replace(state, tightened_consecutive_accepted=0, tightened_not_accepted=failed,
                           discontinued=True), (
                "discontinued: 5 lots in all not accepted on original tightened inspection since it "
                "began (9.4 counts them cumulatively, accepted lots in between do not reset the count); "
                "acceptance inspection is discontinued until the supplier improves quality"
            )
        return replace(state, tightened_consecutive_accepted=0, tightened_not_accepted=failed), (
            f"stay_tightened: lot not accepted; {failed} not accepted since tightened inspection began, "
            "the 5th discontinues inspection (9.4)"
        )
    # Reduced inspection (9.3.4).
    if not accepted:
        return _enter(Stage.NORMAL), "reduced_to_normal: lot not accepted on reduced inspection (9.3.4 a)"
    if not steady_production:
        return _enter(Stage.NORMAL), "reduced_to_normal: production irregular or delayed (9.3.4 b)"
    return state, f"stay_reduced: lot {outcome}"


def _on_normal(
    state: SwitchingState,
    plan: SamplingPlan,
    accepted: bool,
    nonconforming: int | None,
    steady_production: bool,
    reduced_approved: bool,
) -> tuple[SwitchingState, str]:
    recent = (*state.recent_normal, accepted)[-_WINDOW:]
    # 9.3.3.2 a): single sampling switching score.
    if plan.accept >= 2:
        if not accepted:
            score, note = 0, "score reset (lot not accepted)"
        elif nonconforming is None:
            score = state.switching_score + 3
            note = "score +3 (Ac >= 2; count unknown, tighter AQL assumed met)"
        elif nonconforming <= _tighter_normal_accept(plan):
            score, note = state.switching_score + 3, "score +3 (Ac >= 2, accepted at one step tighter AQL)"
        else:
            score, note = 0, "score reset (Ac >= 2, not acceptable at one step tighter AQL)"
    elif accepted:
        score, note = state.switching_score + 2, "score +2 (Ac 0 or 1, lot accepted)"
    else:
        score, note = 0, "score reset (lot not accepted)"

    failures = sum(1 for ok in recent if not ok)
    if failures >= 2:
        return _enter(Stage.TIGHTENED), (
            f"normal_to_tightened: {failures} of the last {len(recent)} lots not accepted on original "
            "normal inspection (9.3.1)"
        )
    if score >= _SCORE_FOR_REDUCED and steady_production and reduced_approved:
        return _enter(Stage.REDUCED, score=score), (
            f"normal_to_reduced: switching score {score} >= 30, production steady and reduced inspection "
            "approved by the responsible authority (9.3.3)"
        )
    outcome = "accepted" if accepted else "not accepted"
    return replace(state, switching_score=score, recent_normal=recent), (
        f"stay_normal: lot {outcome}; {note}; switching score {score}"
    )


def resume(state: SwitchingState) -> tuple[SwitchingState, str]:
    """Resume a discontinued stream on tightened inspection (9.4, last paragraph)."""
    if not state.discontinued:
        raise SamplingError("inspection is not discontinued; nothing to resume")
    return _enter(Stage.TIGHTENED), (
        "resumed_tightened: supplier's corrective action accepted; inspection resumes on tightened (9.4)"
    )


def reinstate_normal(state: SwitchingState, why: str) -> tuple[SwitchingState, str]:
    """Return from reduced to normal because "other conditions warrant" it (9.3.4 c)."""
    if state.stage is not Stage.REDUCED or state.discontinued:
        raise SamplingError(
            f"only a stream on reduced inspection can be reinstated to normal (it is {state.stage})"
        )
    if not why.strip():
        raise SamplingError("give the condition that warrants the return to normal inspection")
    return _enter(Stage.NORMAL), f"reduced_to_normal: {why.strip()} (9.3.4 c)"


_LOT_KEYS = frozenset({"nonconforming", "accepted", "original", "steady_production", "reduced_approved"})


def simulate(
    start_stage: Stage | str,
    code_letter: str,
    aql: AqlLike,
    steady_production: bool,
    reduced_approved: bool,
    lots: Sequence[Mapping[str, object]],
) -> list[dict[str, object]]:
    """Run a sequence of lots through the switching rules.

    Each lot is ``{"nonconforming": int}`` or ``{"accepted": bool}`` (or both), and may
    add ``"original": False`` for a resubmitted lot and per-lot overrides of
    ``"steady_production"`` / ``"reduced_approved"``. The plan of each lot comes from the
    code letter, the AQL and the current stage (no lot size, so no 100 % rule).

    Each result is ``{"accepted", "stage_after", "switching_score", "reason"}``;
    ``reason`` is the reason string when the stage changed or inspection was
    discontinued, else None. A lot after discontinuation raises :class:`SamplingError`.
    """
    letter = _check_code_letter(code_letter)
    aql_text = normalize_aql(aql)
    state = initial_state(start_stage)
    results: list[dict[str, object]] = []
    for number, lot in enumerate(lots):
        unknown = set(lot) - _LOT_KEYS
        if unknown:
            raise SamplingError(f"lot {number}: unknown keys {sorted(unknown)}; allowed: {sorted(_LOT_KEYS)}")
        count = lot.get("nonconforming")
        accepted = lot.get("accepted")
        original = lot.get("original", True)
        steady = lot.get("steady_production", steady_production)
        approved = lot.get("reduced_approved", reduced_approved)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise SamplingError(f"lot {number}: nonconforming must be an integer, got {count!r}")
        for name, value in (("accepted", accepted), ("original", original), ("steady_production", steady),
                            ("reduced_approved", approved)):
            if value is not None and not isinstance(value, bool):
                raise SamplingError(f"lot {number}: {name} must be a boolean, got {value!r}")
        plan = plan_for_code_letter(letter, aql_text, state.stage)
        before = state
        try:
            state, reason = next_state(
                state,
                plan=plan,
                accepted=accepted if isinstance(accepted, bool) else None,
                nonconforming=count if isinstance(count, int) else None,
                steady_production=bool(steady),
                reduced_approved=bool(approved),
                original_inspection=bool(original),
            )
        except SamplingError as exc:
            raise SamplingError(f"lot {number}: {exc}") from exc
        lot_accepted = plan.is_accepted(count) if isinstance(count, int) else bool(accepted)
        changed = state.stage is not before.stage or state.discontinued
        results.append(
            {
                "accepted": lot_accepted,
                "stage_after": state.stage.value,
                "switching_score": state.switching_score,
                "reason": reason if changed else None,
            }
        )
    return results
