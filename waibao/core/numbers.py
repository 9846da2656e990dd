"""Numbers people send fit the column they go to: one check that every service asks.

A ``DecimalField(max_digits=14, decimal_places=2)`` holds values below 10^12: PostgreSQL refuses a larger
one ("numeric field overflow", a 500) while SQLite keeps whatever it is given. An integer column holds the
range Django documents for its type (``PositiveIntegerField`` 0 … 2,147,483,647), which PostgreSQL
enforces and SQLite does not. :func:`column_errors` names each value that does not fit, with a message in
the user's language, so that a service refuses it (a 422 or a form error naming the field) on both
databases alike, before the database sees it.

:func:`finite_float` reads a number kept as a float (in a ``FloatField`` or in JSON, where infinity and NaN
cannot be written).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext as _

#: The largest magnitude a float read from people may have: no measurement is larger, and a larger one
#: overflows what is computed from it (a sum of squares, a mean).
FLOAT_LIMIT = 1e15


def decimal_error(value: Decimal, field: models.DecimalField) -> str | None:  # type: ignore[type-arg]
    """Why ``value`` cannot be stored in ``field``, or None. Places beyond the field's are rounded as the
    database rounds them, so only the digits before the decimal point are counted."""
    if not value.is_finite():
        return _("请输入数字。")
    whole = (field.max_digits or 0) - (field.decimal_places or 0)
    limit = Decimal(10) ** whole
    if abs(value) < limit:
        try:
            rounded = value.quantize(Decimal(1).scaleb(-(field.decimal_places or 0)), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            rounded = value
        if abs(rounded) < limit:
            return None
    return _("数值过大：整数部分最多 %(n)s 位。") % {"n": whole}


def integer_error(value: int, field: models.Field[Any, Any]) -> str | None:
    """Why the whole number ``value`` cannot be stored in the integer ``field``, or None (the range is
    Django's for the field's type, the same on every database)."""
    low, high = BaseDatabaseOperations.integer_field_ranges.get(field.get_internal_type(), (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        return _("请输入 %(low)s 到 %(high)s 之间的整数。") % {"low": f"{low:,}", "high": f"{high:,}"}
    return None


def column_errors(model: type[models.Model], data: Mapping[str, Any]) -> dict[str, str]:
    """``{field name: message}`` for the values of ``data`` that ``model``'s columns cannot hold (decimals
    and integers; other values and names that are not fields are left to the caller)."""
    errors: dict[str, str] = {}
    for name, value in data.items():
        if value is None or isinstance(value, bool):
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        message = None
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal | int):
            message = decimal_error(Decimal(value), field)
        elif isinstance(field, models.IntegerField | models.BigIntegerField) and isinstance(value, int):
            message = integer_error(value, field)
        if message:
            errors[name] = message
    return errors


def finite_float(raw: Any) -> float | None:
    """``raw`` (a number or numeric text) as a float no larger than :data:`FLOAT_LIMIT` in size, or None
    when it is not one (text, infinity, NaN, ``1e999``, booleans)."""
    if isinstance(raw, bool):
        return None
    try:
        value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) and abs(value) <= FLOAT_LIMIT else None
