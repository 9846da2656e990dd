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


@register.filter
def metric_value(value: Any, definition: Any) -> str:
    """``{{ result.value|metric_value:metric.definition }}`` → "95.5%", "8.25 小时", "4.5", "—"."""
    return formatting.metric_value(definition, value)


@register.filter
def metric_target(definition: Any) -> str:
    """``{{ metric.definition|metric_target }}`` → "≥ 95%", "≤ 8 小时"."""
    return formatting.metric_target(definition)


@register.filter
def hours(seconds: Any) -> str:
    """``{{ seconds|hours }}`` → "0.58 小时"."""
    return formatting.hours(seconds)
