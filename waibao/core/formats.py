"""The one way amounts and dates are shown, in both languages.

* Money: the currency code, then the amount with thousands separators and two decimals, rounded half up:
  ``CNY 12,345.00`` (``CNY -1,234.50`` when negative). The code, not a symbol: ¥ is also the yen.
* A day: ``2026-10-31``; a moment: ``2026-10-31 14:05`` in the installation's time zone.

Templates use the filters ``money``, ``day`` and ``moment`` (``{% load waibao %}``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

EMPTY = "—"
DAY = "%Y-%m-%d"
MOMENT = "%Y-%m-%d %H:%M"


def money(amount: Any, currency: str = "CNY") -> str:
    if amount is None or amount == "":
        return EMPTY
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(amount)
    return f"{(currency or 'CNY').upper()} {value:,.2f}"


def day(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime(DAY)
    if isinstance(value, date):
        return value.strftime(DAY)
    return str(value)


def moment(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime(MOMENT)
    if isinstance(value, date):
        return value.strftime(DAY)
    return str(value)


def country(code: Any) -> str:
    """A country's name in the reader's language (``CN`` → 中国 / China); an unknown code as it is."""
    if not code:
        return EMPTY
    from django_countries import countries

    return str(countries.name(str(code).upper()) or code)


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166 country, named in the reader's language, China first (most vendors are Chinese)."""
    from django_countries import countries

    named = [(code, str(name)) for code, name in countries]
    return [c for c in named if c[0] == "CN"] + [c for c in named if c[0] != "CN"]
