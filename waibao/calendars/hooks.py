"""Registration with the shell: navigation and the dashboard's "no holiday data" warning."""

from __future__ import annotations

from typing import Any

from django.utils.translation import pgettext_lazy


def register() -> None:
    from waibao.core import registry

    registry.nav_item("buyer", pgettext_lazy("menu", "工作日历"), "calendars:list", 80, match="/calendars/")
    registry.panel("home", "calendars/_home_panel.html", 5, home_panel)


def home_panel(request: Any, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.accounts import policy
    from waibao.calendars.views import calendars_without_holiday_data
    from waibao.core import clock

    if not policy.is_buyer(request.user):
        return None
    missing = calendars_without_holiday_data(clock.today())
    return {"missing": missing} if missing else None
