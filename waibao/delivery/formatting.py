"""Numbers for people: Decimals without exponent notation or trailing zeros ("90", not "9E+1" or "90.0000")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any


def plain(value: Any, places: int | None = None) -> str:
    """``value`` (Decimal, int, float or numeric text) as plain positional text; "" for None/blank.

    ``places`` rounds (half up) to at most that many decimals first. Trailing zeros are dropped and
    exponents never appear: Decimal("90.0000") → "90", Decimal("9E+1") → "90", 0.125 (places=2) → "0.13".
    Text that is not a number comes back unchanged.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    number = number.normalize()
    if number == 0:
        number = Decimal(0)
    return format(number, "f")
