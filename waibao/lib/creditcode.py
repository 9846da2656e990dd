"""Unified social credit code 统一社会信用代码, GB 32100-2015.

18 characters from a 31-character alphabet (digits and capital letters without I, O, S, V, Z):
  1   registration authority code 登记管理部门码 (1-9, A-G, N, Y)
  2   organisation category code 机构类别码
  3-8 administrative division code 登记管理机关行政区划码 (digits, GB/T 2260)
  9-17 organisation code 主体标识码 (GB 11714)
  18  check character: C18 = 31 - (Σ Ci·Wi mod 31), Wi = 3^(i-1) mod 31; 31 → "0".
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
AUTHORITY_CODES = set("123456789ABCDEFGNY")


class CreditCodeError(ValueError):
    """Raised with a message that says which rule the code breaks."""


def check_character(body: str) -> str:
    """The 18th character for the first 17."""
    total = sum(VALUES[ch] * w for ch, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def validate(code: str) -> str:
    """Return the normalised code, or raise CreditCodeError naming the rule that fails."""
    value = normalize(code)
    if len(value) != 18:
        raise CreditCodeError(f"length must be 18 characters, got {len(value)}")
    bad = sorted({ch for ch in value if ch not in VALUES})
    if bad:
        raise CreditCodeError(
            "characters not allowed: " + ", ".join(bad) + " (letters I, O, S, V, Z are never used)"
        )
    if value[0] not in AUTHORITY_CODES:
        raise CreditCodeError(f"first character {value[0]} is not a registration authority code")
    if not value[2:8].isdigit():
        raise CreditCodeError("characters 3–8 must be digits (administrative division code)")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise CreditCodeError(f"check character should be {expected}, not {value[17]}")
    return value


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except CreditCodeError:
        return False
    return True
