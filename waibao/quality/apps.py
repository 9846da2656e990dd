from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class QualityConfig(AppConfig):
    name = "waibao.quality"
    label = "quality"
    verbose_name = _("质量控制")

    def ready(self) -> None:
        from waibao.accounts import policy
        from waibao.core import registry

        registry.nav_item("buyer", _("质量"), "quality:dashboard", 40, match="/quality/")
        registry.nav_item("vendor", pgettext_lazy("menu", "不合格"), "quality:ncr-list", 40, match="/quality/ncrs/")
        registry.nav_item(
            "vendor", _("交付物"), "quality:deliverable-list", 41, match="/quality/deliverables/"
        )
        registry.nav_item(
            "vendor",
            _("客户投诉"),
            "quality:complaint-list",
            42,
            match="/quality/complaints/",
            visible=policy.is_vendor_user,
        )
        registry.panel("home", "quality/_home_panel.html", 40, home_panel)
        registry.panel("vendor", "quality/_vendor_panel.html", 40, vendor_panel)
        registry.demo_step(40, "quality", _demo)
        registry.scheduled("quality_escalate", 60)
        registry.scheduled("quality_spc_scan", 24 * 60)
        registry.scheduled("quality_sla_ncrs", 60)


def home_panel(request: Any, **kwargs: Any) -> dict[str, Any] | None:
    from waibao.accounts import policy
    from waibao.quality import queries
    from waibao.quality.models import DeliverableStatus

    user = request.user
    ncrs = queries.ncrs(user, status="active")
    ctx = {
        "ncr_count": ncrs.count(),
        "ncrs": list(ncrs[:6]),
        "overdue": queries.overdue_steps(user).count(),
        "reviews": queries.deliverables(user, status=DeliverableStatus.IN_REVIEW).count(),
        "returned": queries.deliverables(user, status=DeliverableStatus.RETURNED).count(),
        "vendor": policy.is_vendor_user(user),
    }
    return ctx


def vendor_panel(request: Any, vendor: Any = None, **kwargs: Any) -> dict[str, Any] | None:
    from django.db.models import Count, Q

    from waibao.quality import queries
    from waibao.quality.models import ComplaintStatus, InspectionStatus

    if vendor is None:
        return None
    user = request.user
    ncrs = queries.ncrs(user, vendor=vendor.pk)
    counts = (
        queries.scoped_inspections_for_vendor(user, vendor.pk)
        .filter(status=InspectionStatus.COMPLETED)
        .aggregate(total=Count("id"), rejected=Count("id", filter=Q(accepted=False)))
    )
    return {
        "vendor": vendor,
        "open": ncrs.filter(status__in=queries.OPEN_NCR).count(),
        "total": ncrs.count(),
        "recent": list(ncrs[:5]),
        "lots": counts,
        "complaints": queries.complaints(user)
        .filter(vendor=vendor)
        .exclude(status=ComplaintStatus.NEW)
        .count(),
        "satisfaction": list(
            queries.satisfaction(user).filter(contract__vendor=vendor).order_by("-period")[:3]
        ),
    }


def _demo(ctx: Any) -> None:
    from waibao.quality.demo import load

    load(ctx)
