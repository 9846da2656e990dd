"""Registration with the shell: the notification centre in both navigations, unread count on the dashboard."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from waibao.core import registry

    registry.nav_item("buyer", _("通知"), "notifications:list", 90, match="/notifications/")
    registry.nav_item("vendor", _("通知"), "notifications:list", 90, match="/notifications/")
    registry.panel("home", "notifications/_home_panel.html", 1, home_panel)


def home_panel(request: Any, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.notifications import services

    items = list(services.for_user(request.user).filter(read_at__isnull=True)[:5])
    if not items:
        return None
    return {"items": items, "unread": services.unread_count(request.user)}
