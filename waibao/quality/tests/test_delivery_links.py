"""Links to the delivery app: lots of service records sampled from the period, and SLA breaches as NCRs."""

from datetime import date

import pytest

from waibao.delivery import services as delivery_services
from waibao.quality import services
from waibao.quality.models import NcrSource
from waibao.quality.tests.factories import make_plan

pytestmark = pytest.mark.django_db


def test_service_record_lot_samples_the_contracts_records_of_the_period(
    contract_a, contract_b, quality_user, manager
):
    for i in range(40):
        delivery_services.save_record(
            contract=contract_a,
            actor=manager,
            values={
                "external_id": f"TK-{i:03d}",
                "kind": "ticket",
                "opened_at": f"2026-03-{1 + i % 20:02d}T10:00:00+08:00",
            },
        )
    delivery_services.save_record(
        contract=contract_a,
        actor=manager,
        values={"external_id": "TK-APRIL", "kind": "ticket", "opened_at": "2026-04-02T10:00:00+08:00"},
    )
    delivery_services.save_record(
        contract=contract_b,
        actor=manager,
        values={"external_id": "OTHER", "kind": "ticket", "opened_at": "2026-03-05T10:00:00+08:00"},
    )
    plan = make_plan(contract_a, quality_user, lot_kind="service_records", classes={"major": "1.5"})
    insp = services.start_inspection(
        plan=plan,
        actor=quality_user,
        lot_ref="2026-03",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        seed=5,
    )
    assert insp.lot_size == 40
    refs = [i.ref for i in insp.items.all()]
    # N=40, level II → D (n=8) at AQL 1.5 is an arrow to a plan with n=13 (E).
    assert len(refs) == insp.class_results.get().sample_size
    assert all(r.startswith("TK-0") for r in refs)
    again = services.start_inspection(
        plan=plan,
        actor=quality_user,
        lot_ref="again",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        seed=5,
    )
    assert [i.ref for i in again.items.all()] == refs


def test_a_missed_sla_result_opens_one_nonconformance(contract_a, quality_user):
    from decimal import Decimal

    from waibao.calendars.services import ensure_builtin_calendars
    from waibao.contracts.models import SlaMetric
    from waibao.delivery.models import SlaResult

    ensure_builtin_calendars()
    from waibao.calendars.models import Calendar

    metric = SlaMetric.objects.create(
        contract=contract_a,
        name="P1 响应",
        record_kind="ticket",
        definition={},
        calendar=Calendar.objects.first(),
    )
    result = SlaResult.objects.create(
        contract=contract_a,
        metric=metric,
        period="2026-03",
        period_start=date(2026, 3, 1),
        value=88.0,
        target=Decimal("95"),
        status="missed",
        computed_at=services.clock.now(),
    )
    ncr = services.open_ncr_for_sla_breach(result=result, actor=quality_user)
    assert ncr.source == NcrSource.SLA and "P1 响应" in ncr.title
    assert services.open_ncr_for_sla_breach(result=result, actor=quality_user) == ncr
