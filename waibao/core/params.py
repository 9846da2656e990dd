"""Values a page reads from its query string (list filters, the month shown): parsed in one place.

A value that is not a date, or a date no page can show (year 1 or 9999: the weeks around them fall
outside what Python's dates hold), never reaches the database or the date arithmetic: the filter is
ignored and the page says so (a warning in the message area), the other filters still apply.
"""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

#: The dates a filter may name (a month either side stays within Python's dates).
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(9998, 12, 31)

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def _shown(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:40] + "…"


def _ignored(request: HttpRequest, message: str) -> None:
    messages.warning(request, message, fail_silently=True)


def date_param(request: HttpRequest, name: str) -> date | None:
    """``?name=YYYY-MM-DD`` as a date; None when absent, or (with a warning) when it is not a date."""
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    try:
        value: date | None = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not MIN_DATE <= value <= MAX_DATE:
        _ignored(
            request, _("“%(v)s”不是有效的日期（格式为 YYYY-MM-DD），已忽略此条件。") % {"v": _shown(raw)}
        )
        return None
    return value


def month_param(request: HttpRequest, name: str) -> date | None:
    """``?name=YYYY-MM`` as the month's first day; None when absent, or (with a warning) when it is not a
    month."""
    raw = (request.GET.get(name) or "").strip()
    if not raw:
        return None
    match = _MONTH.fullmatch(raw)
    value = None
    if match:
        try:
            value = date(int(match[1]), int(match[2]), 1)
        except ValueError:
            value = None
    if value is None or not MIN_DATE <= value <= MAX_DATE:
        _ignored(request, _("“%(v)s”不是有效的月份（格式为 YYYY-MM），已忽略。") % {"v": _shown(raw)})
        return None
    return value
