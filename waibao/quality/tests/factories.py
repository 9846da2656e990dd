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
