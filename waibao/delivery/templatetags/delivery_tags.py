from __future__ import annotations

from typing import Any

from django import template

from waibao.delivery.formatting import plain

register = template.Library()


@register.filter
def plain_number(value: Any, places: Any = None) -> str:
    """``{{ d|plain_number }}`` → "90" for Decimal("90.0000"); ``{{ v|plain_number:2 }}`` rounds to 2 places."""
    return plain(value, int(places) if places not in (None, "") else None)
