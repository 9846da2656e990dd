"""Registration with the shell: navigation, dashboard and vendor panels, demo data, scheduled reminders."""

from __future__ import annotations

from typing import Any

from django.utils.translation import pgettext_lazy


def register() -> None:
    from waibao.core import registry

    registry.nav_item("buyer", pgettext_lazy("menu", "合同"), "contracts:list", 20, match="/contracts/")
    registry.nav_item("vendor", pgettext_lazy("menu", "我的合同"), "contracts:list", 20, match="/contracts/")
    registry.panel("home", "contracts/_home_panel.html", 20, home_panel)
    registry.panel("vendor", "contracts/_vendor_panel.html", 20, vendor_panel)
    registry.demo_step(20, "contracts", _demo)
    registry.scheduled("send_reminders", 60)
    registry.scheduled("expire_contracts", 60)


def home_panel(request: Any, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.accounts import policy
    from waibao.contracts import queries

    if not policy.is_buyer(request.user):
        return None
    return {
        "ending": list(queries.ending_soon(request.user, 90)[:8]),
        "awaiting": list(queries.awaiting_approval(request.user)[:8]),
    }


def vendor_panel(request: Any, vendor: Any = None, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.contracts.access import visible_contracts

    if vendor is None:
        return None
    contracts = list(visible_contracts(request.user).filter(vendor=vendor).order_by("-start_date")[:20])
    return {"contracts": contracts, "vendor": vendor}


def _demo(ctx: Any) -> None:
    from waibao.contracts.demo import load

    load(ctx)
