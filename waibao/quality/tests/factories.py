from __future__ import annotations

import io
from datetime import date
from typing import Any

import factory

from waibao.contracts.models import Contract, PaymentMilestone
from waibao.vendors.services import Upload

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf(name: str = "report.pdf") -> Upload:
    return Upload(name=name, stream=io.BytesIO(PDF), size=len(PDF))


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    code = factory.Sequence(lambda n: f"CT-2026-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"客服外包合同{n}")
    category = "customer_service"
    status = "active"
    start_date = date(2026, 1, 1)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMilestone

    name = "验收款"
    trigger = "acceptance"


def make_plan(contract: Any, actor: Any, **kw: Any) -> Any:
    from waibao.quality import services

    values: dict[str, Any] = {
        "name": "月度抽检",
        "lot_kind": "documents",
        "level": "II",
        "classes": {"major": "1.5", "minor": "4.0"},
    }
    values.update(kw)
    return services.create_plan(contract=contract, actor=actor, **values)


def make_sla_result(
    contract: Any,
    *,
    name: str = "P1 响应及时率",
    period: str = "2026-03",
    value: float | None = 88.0,
    target: str = "95",
    status: str = "missed",
    closed: bool = False,
    sample_size: int = 0,
    kind: str = "share_within",
    metric: Any = None,
) -> Any:
    """An SLA result of the delivery app as its engine would store it (the metric is created if needed)."""
    from decimal import Decimal

    from waibao.calendars.models import Calendar
    from waibao.calendars.services import ensure_builtin_calendars
    from waibao.contracts.models import SlaMetric
    from waibao.core import clock
    from waibao.delivery.models import SlaResult
    from waibao.lib import slamath

    if metric is None:
        metric = SlaMetric.objects.filter(contract=contract, name=name).first()
    if metric is None:
        ensure_builtin_calendars()
        metric = SlaMetric.objects.create(
            contract=contract,
            name=name,
            record_kind="ticket",
            definition={"name": name, "kind": kind, "target": target, "direction": "higher"},
            calendar=Calendar.objects.order_by("pk")[0],
        )
    start = slamath.period_bounds(period)[0]
    return SlaResult.objects.create(
        contract=contract,
        metric=metric,
        period=period,
        period_start=start,
        value=value,
        sample_size=sample_size,
        target=Decimal(target),
        status=status,
        closed=closed,
        computed_at=clock.now(),
    )
