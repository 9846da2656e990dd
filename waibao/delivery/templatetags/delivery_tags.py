from __future__ import annotations

from typing import Any

from django import template

from waibao.delivery import formatting
from waibao.delivery.formatting import plain

register = template.Library()


@register.filter
def plain_number(value: Any, places: Any = None) -> str:
    """``{{ d|plain_number }}`` → "90" for Decimal("90.0000"); ``{{ v|plain_number:2 }}`` rounds to 2 places."""
    return plain(value, int(places) if places not in (None, "") else None)


@register.filter
def widget_with_errors(field: Any) -> str:
    """``{{ form.x|widget_with_errors }}``: the widget, marked invalid (Bootstrap ``is-invalid``,
    ``aria-invalid``, described by its error, focused) when the field has errors."""
    attrs: dict[str, Any] = {}
    if field.errors:
        css = field.field.widget.attrs.get("class", "")
        attrs = {
            "class": f"{css} is-invalid".strip(),
            "aria-invalid": "true",
            "aria-describedby": f"{field.auto_id}-error",
            "autofocus": True,
        }
    return str(field.as_widget(attrs=attrs))


def _definition_and_day(arg: Any) -> tuple[Any, int | None]:
    """A filter's argument: a metric (or a missed-records page), whose calendar says how long a business
    day is, or a bare definition (a day of 8 business hours)."""
    if isinstance(arg, dict) or arg is None:
        return arg, None
    return getattr(arg, "definition", None), formatting.day_minutes(arg)


@register.filter
def metric_value(value: Any, metric: Any) -> str:
    """``{{ result.value|metric_value:metric }}`` → "95.5%", "4 个工作日", "4.5", "—"."""
    definition, per_day = _definition_and_day(metric)
    return formatting.metric_value(definition, value, per_day)


@register.filter
def metric_target(metric: Any) -> str:
    """``{{ metric|metric_target }}`` → "≥ 95%", "≤ 5 个工作日"."""
    definition, per_day = _definition_and_day(metric)
    return formatting.metric_target(definition, per_day)


@register.filter
def hours(seconds: Any) -> str:
    """``{{ seconds|hours }}`` → "0.58 小时"."""
    return formatting.hours(seconds)


@register.filter
def record_field(name: Any) -> str:
    """``{{ "resolved_at"|record_field }}`` → "解决时间": a record field as the reader calls it."""
    return formatting.field_label(str(name or ""))
