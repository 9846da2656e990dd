"""Registration with the shell: navigation, panels, demo step and scheduled jobs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from waibao.core import registry

    registry.nav_item("buyer", _("交付监控"), "delivery:portfolio", 30, match="/delivery/")
    registry.nav_item("vendor", _("SLA"), "delivery:portfolio", 30, match="/delivery/")
    registry.panel("home", "delivery/_home_panel.html", 30, home_panel)
    registry.panel("vendor", "delivery/_vendor_panel.html", 30, vendor_panel)
    registry.demo_step(30, "delivery", _demo)
    registry.scheduled("evaluate_slas", 60, "--open")
    registry.scheduled("send_sla_warnings", 60)
    from waibao.core import jobs

    jobs.sweeper("delivery.imports")(_reap_dead_imports)


def _reap_dead_imports() -> int:
    from waibao.delivery import services

    return services.reap_dead_jobs()


def home_panel(request: Any, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.delivery import queries

    rows = queries.portfolio(request.user)
    if not rows:
        return None
    counts = {"red": 0, "amber": 0, "green": 0, "grey": 0}
    for row in rows:
        for cell in row.cells:
            counts[cell.rag] += 1
    attention = [r for r in rows if r.worst in ("red", "amber")][:6]
    return {"counts": counts, "attention": attention, "period": rows[0].period}


def vendor_panel(request: Any, vendor: Any = None, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.delivery import queries

    if vendor is None:
        return None
    rows = queries.portfolio(request.user, vendor_id=vendor.pk)
    return {"rows": rows} if rows else None


def _demo(ctx: Any) -> None:
    from waibao.delivery.demo import load

    load(ctx)
