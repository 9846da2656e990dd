"""Registration with the shell: unread notifications on the dashboard (the top-bar bell is _bell.html)."""

from __future__ import annotations

from typing import Any


def register() -> None:
    from waibao.core import registry

    # The notification centre is reached from the bell in the top bar (notifications/_bell.html).
    registry.panel("home", "notifications/_home_panel.html", 1, home_panel)


def home_panel(request: Any, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.notifications import services

    items = list(services.for_user(request.user).filter(read_at__isnull=True)[:5])
    if not items:
        return None
    return {"items": items, "unread": services.unread_count(request.user)}
