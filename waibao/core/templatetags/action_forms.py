"""Template side of ``core.actions``: each hand-written action form reads back its own refusal.

The page's context has ``refused`` (a ``core.actions.Refusal`` or nothing). Every tag names the action
its form posts, so two forms with a field of the same name (close and cancel, both ``reason``) never
show each other's text.

    {% load action_forms %}
    <form method="post" action="…/close/">{% csrf_token %}{% action_errors "close" %}
      <textarea name="reason" class="form-control{% invalid 'close' 'reason' %}">{% kept "close" "reason" %}</textarea>
      {% field_errors "close" "reason" %}
    {% kept "triage" "vendor_caused" "1" as caused %}  … {% if caused == "1" %}checked{% endif %}

A page that repeats a form (one per stream, one per dispute) tells them apart with ``key``:
``{% kept "resume" "why" key=s.pk %}`` (the view passes ``key=stream.pk`` to ``act``).
The form that was refused must call one of these tags, so the refusal knows it was shown.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


def _refusal(context: Any, action: str, key: Any) -> Any:
    refused = context.get("refused")
    if refused is None or not refused.is_for(action, key):
        return None
    refused.shown = True
    return refused


@register.simple_tag(takes_context=True)
def kept(context: Any, action: str, name: str, default: Any = "", key: Any = "") -> Any:
    """What was typed in ``name`` when ``action`` was refused, else ``default`` (the stored value)."""
    refused = _refusal(context, action, key)
    if refused is None:
        return "" if default is None else default
    return refused.value(name)


@register.simple_tag(takes_context=True)
def invalid(context: Any, action: str, name: str, key: Any = "") -> str:
    """`` is-invalid`` for a field the refusal names (append to its class attribute)."""
    refused = _refusal(context, action, key)
    return " is-invalid" if refused is not None and refused.errors.get(name) else ""


@register.simple_tag(takes_context=True)
def field_errors(context: Any, action: str, name: str, key: Any = "") -> SafeString:
    """The refusal's messages for one field, to sit right below it."""
    refused = _refusal(context, action, key)
    found = refused.errors.get(name, []) if refused is not None else []
    return format_html_join("", '<div class="invalid-feedback d-block">{}</div>', ((m,) for m in found))


@register.simple_tag(takes_context=True)
def action_errors(context: Any, action: str, key: Any = "") -> SafeString:
    """The refusal's general message, at the top of the form that was refused."""
    refused = _refusal(context, action, key)
    if refused is None or not refused.messages:
        return SafeString("")
    return format_html(
        '<div class="alert alert-danger py-2 small mb-2" role="alert">{}</div>',
        format_html_join("", "<div>{}</div>", ((m,) for m in refused.messages)),
    )
