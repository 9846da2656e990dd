"""Every SLA period boundary is in the installation's time zone (settings.TIME_ZONE): the day a record
counts in, its daily aggregate, the month and quarter of its results, and "today" for open periods."""

from __future__ import annotations

import csv
from datetime import date

import pytest
import time_machine
from django.test import override_settings

from waibao.core import clock
from waibao.delivery import ingest, services
from waibao.delivery.models import DailyAggregate, ServiceRecord, SlaResult
from waibao.delivery.tests.factories import make_contract

pytestmark = pytest.mark.django_db

COUNT = {
    "name": "工单数",
    "kind": "count",
    "record_kind": "ticket",
    "target": "100",
    "direction": "lower",
}
QUARTERLY = {**COUNT, "name": "季度工单数", "window": "quarter"}
MEDIAN = {
    "name": "解决时长中位数",
    "kind": "duration",
    "record_kind": "ticket",
    "start_field": "opened_at",
    "end_field": "resolved_at",
    "statistic": "median",
    "target": "60",
    "direction": "lower",
}

# Local wall times (no offset: read in the installation's time zone), and one instant given in UTC:
# 2026-10-31 16:30 UTC is 1 November 00:30 in Beijing but 31 October 12:30 in New York.
RECORDS = [
    {"external_id": "LATE-OCT", "kind": "ticket", "opened_at": "2026-10-31 23:30", "resolved_at": "2026-11-01 00:10"},
    {"external_id": "EARLY-NOV", "kind": "ticket", "opened_at": "2026-11-01 00:30", "resolved_at": "2026-11-01 00:50"},
    {"external_id": "UTC", "kind": "ticket", "opened_at": "2026-10-31T16:30:00Z", "resolved_at": "2026-10-31T17:00:00Z"},
]  # fmt: skip
EXPECTED = {
    # zone: (day of each record, tickets in October, tickets in November)
    "Asia/Shanghai": ({"LATE-OCT": date(2026, 10, 31), "EARLY-NOV": date(2026, 11, 1), "UTC": date(2026, 11, 1)}, 1, 2),
    "America/New_York": ({"LATE-OCT": date(2026, 10, 31), "EARLY-NOV": date(2026, 11, 1), "UTC": date(2026, 10, 31)}, 2, 1),
}  # fmt: skip


def _write_csv(path):
    headers = ["external_id", "kind", "opened_at", "resolved_at"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in RECORDS:
            w.writerow([r[h] for h in headers])


@pytest.mark.parametrize("door", ["batch", "csv_rows", "csv_columnar"])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_a_record_opened_just_after_local_midnight_on_1_november_counts_in_november(
    vendor_a, manager, tmp_path, monkeypatch, zone, door
):
    days, in_october, in_november = EXPECTED[zone]
    with override_settings(TIME_ZONE=zone), time_machine.travel("2026-11-20 12:00 +00:00", tick=False):
        contract = make_contract(vendor_a, owner=manager, metrics=[COUNT, QUARTERLY, MEDIAN], cal="24x7")
        if door == "batch":
            job = services.import_batch(contract=contract, actor=manager, records=[dict(r) for r in RECORDS])
        else:
            monkeypatch.setattr(ingest, "COLUMNAR", door == "csv_columnar")
            path = tmp_path / "records.csv"
            _write_csv(path)
            job = services.import_path(contract=contract, actor=manager, path=str(path))
        assert job.status == "succeeded", job.errors_preview
        assert dict(ServiceRecord.objects.filter(contract=contract).values_list("external_id", "day")) == days
        # daily aggregates are keyed by the same local days
        count_id = contract.sla_metrics.get(name="工单数").pk
        per_day = {a.day: a.data["c"] for a in DailyAggregate.objects.filter(metric_id=count_id)}
        assert per_day == {d: list(days.values()).count(d) for d in set(days.values())}
        # results of the months and quarter, by import and by a full evaluation
        for _ in range(2):
            counts = dict(
                SlaResult.objects.filter(metric_id=count_id, period__in=["2026-10", "2026-11"]).values_list(
                    "period", "value"
                )
            )
            assert counts == {"2026-10": in_october, "2026-11": in_november}
            quarterly = contract.sla_metrics.get(name="季度工单数")
            assert SlaResult.objects.get(metric=quarterly, period="2026-Q4").value == 3
            services.evaluate(contract=contract, actor=manager, periods=["2026-10", "2026-11"])


@pytest.mark.parametrize(
    ("zone", "today", "open_month"),
    [("Asia/Shanghai", date(2026, 11, 1), "2026-11"), ("America/New_York", date(2026, 10, 31), "2026-10")],
)
def test_today_and_the_open_period_follow_the_installations_time_zone(
    vendor_a, manager, zone, today, open_month
):
    # 2026-11-01 02:00 UTC: already 1 November 10:00 in Beijing, still 31 October 22:00 in New York.
    with override_settings(TIME_ZONE=zone), time_machine.travel("2026-11-01 02:00 +00:00", tick=False):
        assert clock.today() == today
        contract = make_contract(vendor_a, owner=manager, metrics=[COUNT], cal="24x7")
        services.import_batch(
            contract=contract,
            actor=manager,
            records=[{"external_id": "A", "kind": "ticket", "opened_at": "2026-10-31 09:00"}],
        )
        results = services.evaluate(contract=contract, actor=manager)
        months = sorted(r.period for r in results if "Q" not in r.period)
        assert months[-1] == open_month
        october = next(r for r in results if r.period == "2026-10")
        # October is still open (projected) in New York, over (no projection) in Beijing
        assert (october.projected_value is not None) == (open_month == "2026-10")
