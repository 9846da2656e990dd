from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VendorsConfig(AppConfig):
    name = "waibao.vendors"
    label = "vendors"
    verbose_name = _("供应商档案")

    def ready(self) -> None:
        from waibao.core import registry

        registry.nav_item("buyer", _("工作台"), "core:home", 0)
        registry.nav_item("buyer", pgettext_lazy("menu", "供应商"), "vendors:list", 10, match="/vendors/")
        registry.nav_item("vendor", _("工作台"), "core:home", 0)
        registry.panel("home", "vendors/_home_panel.html", 10, home_panel)
        registry.demo_step(10, "vendors", _demo)
        from waibao.core import jobs

        jobs.sweeper("vendors.imports")(_reap_dead_imports)


def _reap_dead_imports() -> int:
    from waibao.vendors import imports

    return imports.reap_dead_imports()


def home_panel(request: Any, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.accounts import policy
    from waibao.core import clock
    from waibao.vendors import queries
    from waibao.vendors.models import VendorStatus

    if not policy.is_buyer(request.user):
        return None
    counts = queries.status_counts(request.user)
    certs = list(queries.expiring_certificates(request.user))
    today = clock.today()
    return {
        "counts": [(s.value, s.label, counts.get(s.value, 0)) for s in VendorStatus],
        "certs": certs[:8],
        "expired": sum(1 for c in certs if c.valid_until and c.valid_until < today),
        "expiring": sum(1 for c in certs if c.valid_until and c.valid_until >= today),
        "warn_days": queries.warn_days(),
        "today": today,
    }


def _demo(ctx: Any) -> None:
    from waibao.vendors.demo import load

    load(ctx)
