"""Inspection lots of service records cover the local calendar days of the installation, not UTC days."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from waibao.delivery import services as delivery_services
from waibao.quality import services
from waibao.quality.tests.factories import make_plan

pytestmark = pytest.mark.django_db


def _record(contract, actor, external_id, local: datetime) -> None:
    delivery_services.save_record(
        contract=contract,
        actor=actor,
        values={"external_id": external_id, "kind": "ticket", "opened_at": local.isoformat()},
    )


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_october_lot_holds_the_local_days_of_october_in_the_installations_time_zone(
    zone, contract_a, quality_user, manager
):
    tz = ZoneInfo(zone)
    with override_settings(TIME_ZONE=zone):
        _record(contract_a, manager, "SEP-30-2330", datetime(2026, 9, 30, 23, 30, tzinfo=tz))
        _record(contract_a, manager, "OCT-01-0030", datetime(2026, 10, 1, 0, 30, tzinfo=tz))
        _record(contract_a, manager, "OCT-31-2330", datetime(2026, 10, 31, 23, 30, tzinfo=tz))
        _record(contract_a, manager, "NOV-01-0030", datetime(2026, 11, 1, 0, 30, tzinfo=tz))
        plan = make_plan(contract_a, quality_user, lot_kind="service_records", classes={"major": "1.5"})
        insp = services.start_inspection(
            plan=plan,
            actor=quality_user,
            lot_ref="2026-10",
            period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31),
            seed=1,
        )
    assert insp.lot_size == 2
    assert sorted(i.ref for i in insp.items.all()) == ["OCT-01-0030", "OCT-31-2330"]
