"""``{% load notifications %}{% unread_count user as n %}`` — the unread count for the top-bar bell."""

from __future__ import annotations

from typing import Any

from django import template

from waibao.notifications import services

register = template.Library()


@register.simple_tag
def unread_count(user: Any) -> int:
    """One indexed COUNT query; 0 (and no query) for anonymous users."""
    return services.unread_count(user)
