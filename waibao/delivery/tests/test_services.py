from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from waibao.core.errors import DomainError
from waibao.delivery import engine, services
from waibao.delivery.models import (
    DailyAggregate,
    ImportJob,
    ServiceRecord,
    SlaAdjustment,
    SlaResult,
    StagedRecord,
)

pytestmark = pytest.mark.django_db


def results(contract, period):
    return {
        r.metric.name: r
        for r in SlaResult.objects.filter(contract=contract, period=period).select_related("metric")
    }


def aggregates(contract):
    return sorted(
        (a.metric_id, a.day, str(sorted(a.data.items())))
        for a in DailyAggregate.objects.filter(contract=contract)
    )


def test_hand_worked_month_with_holidays_pauses_time_zones_tiers_and_cap(contract, manager, tickets):
    job = services.import_batch(contract=contract, actor=manager, records=tickets)
    assert job.status == "succeeded" and job.count_new == 6
    oct_ = results(contract, "2026-10")
    p1 = oct_["P1 响应及时率"]
    assert p1.sample_size == 4 and p1.value == 75.0 and p1.status == "missed" and p1.tier == 0
    csat = oct_["客户满意度"]
    assert csat.value == 4.0 and csat.sample_size == 5 and csat.status == "missed"
    # 5% + 10% of 100,000 = 15,000 exceeds the 12% cap: scaled to 4,000 + 8,000
    assert (p1.credit, csat.credit) == (Decimal("4000.00"), Decimal("8000.00")) and p1.capped and csat.capped
    count = oct_["P1 事件数"]
    assert count.value == 4 and count.status == "missed" and count.credit == 0
    sep = results(contract, "2026-09")["P1 响应及时率"]
    assert sep.value == 100.0 and sep.sample_size == 1 and sep.status == "insufficient" and sep.credit == 0


def test_reimporting_the_same_rows_changes_nothing(contract, manager, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    before = aggregates(contract)
    versions = sorted(ServiceRecord.objects.values_list("external_id", "version"))
    job = services.import_batch(contract=contract, actor=manager, records=tickets)
    assert (job.count_new, job.count_updated, job.count_unchanged) == (0, 0, 6)
    assert aggregates(contract) == before
    assert sorted(ServiceRecord.objects.values_list("external_id", "version")) == versions


def test_a_known_external_id_updates_the_record_and_only_its_days_aggregates(contract, manager, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    tickets[0]["first_response_at"] = "2026-10-08 12:00"
    job = services.import_batch(contract=contract, actor=manager, records=tickets)
    assert (job.count_new, job.count_updated, job.count_unchanged) == (0, 1, 5)
    assert results(contract, "2026-10")["P1 响应及时率"].value == 100.0
    incremental = aggregates(contract)
    engine.rebuild_aggregates(contract)
    assert aggregates(contract) == incremental


def test_one_bad_row_imports_nothing_by_default(contract, manager, tickets):
    tickets[2]["first_response_at"] = "2026-10-09T00:30:00Z"  # before opened_at
    tickets[3]["csat"] = "7"
    job = services.import_batch(contract=contract, actor=manager, records=tickets)
    assert job.status == "rejected" and job.count_rejected == 2
    assert [e[:2] for e in job.errors_preview] == [[3, "first_response_at"], [4, "csat"]]
    assert not ServiceRecord.objects.exists() and not DailyAggregate.objects.exists()
    assert not StagedRecord.objects.exists()
    assert job.error_file and b"csat" in job.error_file.read()


def test_valid_rows_policy_imports_the_rest_and_keeps_rejected_rows_in_the_error_file(
    contract, manager, tickets
):
    tickets.append(dict(tickets[0]))  # duplicate external id inside the batch
    tickets[1]["kind"] = "spaceship"
    job = services.import_batch(contract=contract, actor=manager, records=tickets, policy="valid_rows")
    assert job.status == "succeeded" and (job.count_new, job.count_rejected) == (5, 2)
    assert set(ServiceRecord.objects.values_list("external_id", flat=True)) == {"T1", "T3", "T4", "T5", "T6"}
    content = job.error_file.read().decode("utf-8-sig")
    assert "spaceship" in content and "与第 1 行的记录编号重复" in content


def test_a_crash_in_the_middle_of_the_merge_leaves_nothing_behind(contract, manager, tickets):
    from waibao.delivery import ingest
    from waibao.delivery.models import JobSource

    services.import_batch(contract=contract, actor=manager, records=tickets[:2])
    before = (
        list(ServiceRecord.objects.order_by("id").values()),
        aggregates(contract),
        list(SlaResult.objects.order_by("id").values("value", "credit")),
    )
    job = ImportJob.objects.create(contract=contract, source=JobSource.API, created_at=contract.created_at)
    with pytest.raises(RuntimeError):
        ingest.run(
            job, ingest.as_stream_rows(tickets), headers=[], mapping=None, actor=manager, fail_at_merge=True
        )
    job.refresh_from_db()
    assert job.status == "failed"
    after = (
        list(ServiceRecord.objects.order_by("id").values()),
        aggregates(contract),
        list(SlaResult.objects.order_by("id").values("value", "credit")),
    )
    assert after == before and not StagedRecord.objects.exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cancelled_import_leaves_nothing_behind(contract, manager, tickets, monkeypatch, workers):
    from waibao.delivery import ingest
    from waibao.delivery.models import JobSource

    monkeypatch.setattr(ingest, "CHUNK", 2)
    job = ImportJob.objects.create(contract=contract, source=JobSource.API, created_at=contract.created_at)

    def rows_then_cancel():
        for i, t in enumerate(tickets, start=1):
            if i == 4:
                services.cancel_import(job=ImportJob.objects.get(pk=job.pk), actor=manager)
            yield i, t

    ingest.run(job, rows_then_cancel(), headers=[], mapping=None, actor=manager, workers=workers)
    job.refresh_from_db()
    # in one process the cancel is seen after the first chunk; worker processes read ahead
    assert job.status == "cancelled" and job.rows_done == (2 if workers == 1 else 0)
    assert (
        not ServiceRecord.objects.exists()
        and not StagedRecord.objects.exists()
        and not DailyAggregate.objects.exists()
    )


def test_a_worker_that_died_is_swept_and_its_staging_rows_removed(contract, manager, tickets):
    from datetime import timedelta

    from waibao.core import clock
    from waibao.delivery import ingest

    job = ImportJob.objects.create(
        contract=contract,
        status="running",
        created_at=clock.now(),
        heartbeat_at=clock.now() - timedelta(hours=1),
    )
    ingest._stage([(job.pk, 1, "T1", "n", "", *ingest.EMPTY_DATA)])
    assert services.reap_dead_jobs() == 1  # a job from before leases: silent for over 30 minutes
    job.refresh_from_db()
    assert job.status == "failed" and not StagedRecord.objects.exists() and not ServiceRecord.objects.exists()


def test_closed_period_gets_adjustments_instead_of_rewrites(contract, manager, finance_user, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    assert services.close_period(contract=contract, period="2026-10", actor=finance_user) == 3
    tickets[0]["first_response_at"] = "2026-10-08 12:00"
    services.import_batch(contract=contract, actor=manager, records=tickets)
    oct_ = results(contract, "2026-10")
    assert oct_["P1 响应及时率"].value == 75.0 and oct_["P1 响应及时率"].credit == Decimal("4000.00")
    adj = {a.result.metric.name: a for a in SlaAdjustment.objects.select_related("result__metric")}
    assert adj["P1 响应及时率"].value_after == 100.0 and adj["P1 响应及时率"].credit_after == Decimal("0.00")
    assert adj["客户满意度"].credit_before == Decimal("8000.00") and adj[
        "客户满意度"
    ].credit_after == Decimal("10000.00")
    services.import_batch(contract=contract, actor=manager, records=tickets)  # nothing new: no second entry
    assert SlaAdjustment.objects.count() == 2


def test_a_period_cannot_be_closed_before_its_grace_period(contract, finance_user, manager, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    with time_machine.travel("2026-11-03 10:00 +08:00", tick=False), pytest.raises(DomainError):
        services.close_period(contract=contract, period="2026-10", actor=finance_user)


def test_gbk_csv_with_chinese_headers_imports(contract, manager, tmp_path):
    text = (
        "工单号,类型,优先级,创建时间,首次响应时间,满意度\n"
        "A1,ticket,P1,2026-10-08 09:00,2026-10-08 09:20,5\n"
        "A2,ticket,P1,2026/10/08 10:00,2026/10/08 10:50,是\n"
    )
    path = tmp_path / "records.csv"
    path.write_bytes(text.encode("gbk"))
    job = services.import_path(contract=contract, actor=manager, path=str(path), policy="valid_rows")
    assert job.status == "succeeded" and job.count_new == 1 and job.count_rejected == 1
    assert job.errors_preview == [[3, "满意度", "合同的满意度量表为 1–5 分：须为 1 到 5 的整数。"]]
    assert ServiceRecord.objects.get().first_response_at.isoformat() == "2026-10-08T01:20:00+00:00"


def test_unknown_columns_wait_for_a_mapping_that_is_saved_for_the_contract(
    contract, manager, tmp_path, django_capture_on_commit_callbacks
):
    from waibao.delivery.models import ColumnMapping

    path = tmp_path / "r.csv"
    path.write_text("Ticket No,Opened,Answered\nX1,2026-10-08 09:00,2026-10-08 09:10\n", encoding="utf-8")
    with open(path, "rb") as fh:
        job = services.create_file_job(contract=contract, actor=manager, upload=services.Upload("r.csv", fh))
    assert job.status == "mapping"
    with django_capture_on_commit_callbacks(execute=True):
        services.set_job_mapping(
            job=job,
            actor=manager,
            mapping={"Ticket No": "external_id", "Opened": "opened_at", "Answered": "first_response_at"},
        )
    job.refresh_from_db()
    assert job.status == "succeeded" and ServiceRecord.objects.get().external_id == "X1"
    assert ColumnMapping.objects.get(contract=contract).mapping["Answered"] == "first_response_at"
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        again = services.create_file_job(
            contract=contract, actor=manager, upload=services.Upload("r.csv", fh)
        )
    again.refresh_from_db()
    assert again.status == "succeeded" and again.count_unchanged == 1


def test_manual_entry_validates_like_an_import(contract, manager):
    with pytest.raises(DomainError) as exc:
        services.save_record(
            contract=contract,
            actor=manager,
            values={
                "external_id": "M1",
                "kind": "ticket",
                "opened_at": "2026-10-08 10:00",
                "resolved_at": "2026-10-08 09:00",
            },
        )
    assert "resolved_at" in exc.value.fields
    rec = services.save_record(
        contract=contract,
        actor=manager,
        values={
            "external_id": "M1",
            "kind": "ticket",
            "priority": "p1",
            "opened_at": "2026-10-08 10:00",
            "first_response_at": "2026-10-08 10:05",
        },
    )
    assert rec.priority == "P1" and results(contract, "2026-10")["P1 事件数"].value == 1


def test_dispute_accepted_corrects_the_record_and_recomputes(contract, manager, vendor_user_a, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    t1 = ServiceRecord.objects.get(external_id="T1")
    d = services.raise_dispute(
        record=t1,
        actor=vendor_user_a,
        comment="13:00-13:10 等待客户确认",
        proposed={"paused": "2026-10-08 13:00/2026-10-08 13:10"},
    )
    services.accept_dispute(dispute=d, actor=manager, response="属实")
    t1.refresh_from_db()
    assert d.status == "accepted" and len(t1.pauses) == 1 and t1.version == 2
    assert results(contract, "2026-10")["P1 响应及时率"].value == 100.0


def test_dispute_rejected_leaves_the_record(contract, manager, vendor_user_a, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    t1 = ServiceRecord.objects.get(external_id="T1")
    d = services.raise_dispute(record=t1, actor=vendor_user_a, comment="客户原因")
    with pytest.raises(DomainError):
        services.reject_dispute(dispute=d, actor=manager, response="")
    services.reject_dispute(dispute=d, actor=manager, response="无证据")
    with pytest.raises(DomainError):
        services.accept_dispute(dispute=d, actor=manager)
    t1.refresh_from_db()
    assert t1.version == 1 and results(contract, "2026-10")["P1 响应及时率"].value == 75.0


def test_early_warning_notifies_the_owner_once(
    contract, manager, tickets, django_capture_on_commit_callbacks
):
    from waibao.notifications.models import Notification

    with time_machine.travel("2026-10-12 12:00 +08:00", tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            services.import_batch(contract=contract, actor=manager, records=tickets)
        assert services.send_sla_warnings() == 0  # sent once, after the import committed
    n = Notification.objects.filter(user=manager, kind="delivery.sla_warning")
    assert n.count() >= 1 and all("CT-2026-0001" in x.title for x in n)


def test_new_contract_version_rebuilds_aggregates_with_its_definition(contract, manager, tickets):
    from datetime import date

    from waibao.contracts.models import ContractVersion
    from waibao.contracts.snapshots import contract_snapshot

    services.import_batch(contract=contract, actor=manager, records=tickets)
    v1 = contract_snapshot(contract)
    v2 = {**v1, "sla_metrics": [dict(m) for m in v1["sla_metrics"]]}
    v2["sla_metrics"][0] = {
        **v2["sla_metrics"][0],
        "definition": {**v2["sla_metrics"][0]["definition"], "threshold_minutes": 40},
    }
    ContractVersion.objects.create(
        contract=contract,
        number=1,
        effective_from=date(2026, 1, 1),
        snapshot=v1,
        created_at="2026-01-01T00:00Z",
    )
    ContractVersion.objects.create(
        contract=contract,
        number=2,
        effective_from=date(2026, 10, 1),
        snapshot=v2,
        created_at="2026-09-20T00:00Z",
    )
    services.evaluate(contract=contract, actor="cli", periods=["2026-10", "2026-09"])
    oct_ = results(contract, "2026-10")["P1 响应及时率"]
    assert oct_.value == 100.0 and oct_.contract_version == 2
    assert results(contract, "2026-09")["P1 响应及时率"].contract_version == 1


def test_the_fast_observation_path_aggregates_exactly_like_slamath(contract, tickets):
    """engine.Deltas (tuples, no Fractions) gives the same daily aggregates as slamath.observe/aggregate."""
    from datetime import date

    from waibao.delivery import engine, ingest, rows
    from waibao.lib import slamath

    ctx = ingest.row_context(contract)
    extra = [
        {
            "external_id": "X1",
            "kind": "ticket",
            "priority": "P1",
            "opened_at": "2026-10-08 09:00",
        },  # no response
        {
            "external_id": "X2",
            "kind": "ticket",
            "priority": "P2",
            "opened_at": "2026-10-08 09:00",
            "csat": "2",
        },
    ]
    runners = engine.TermsCache(contract).runners_for_day(date(2026, 10, 8))
    deltas = engine.Deltas()
    by_hand: dict[tuple[int, date], slamath.Aggregate] = {}
    for raw in [*tickets, *extra]:
        values, errors = rows.clean_row(raw, ctx)
        assert not errors
        day = rows.record_day(values, ctx.tz)
        deltas.add(runners, values, day, +1)
        rec, pauses = engine.flat(values), engine.pauses_of(values.get("pauses"))
        for r in runners:  # the reference path: Runner.observe → slamath.observe
            obs = r.observe(rec, pauses)
            if obs is not None:
                by_hand.setdefault((r.metric_id, day), slamath.Aggregate()).add(obs)
    fast = {k: engine.tidy(a).to_dict() for k, a in deltas.aggregates()}
    assert fast == {k: engine.tidy(a).to_dict() for k, a in by_hand.items()}


def monthly(contract):
    from waibao.delivery.models import MonthlyAggregate

    return sorted(
        (m.metric_id, m.month, m.days, m.def_hash, str(sorted(m.data.items())))
        for m in MonthlyAggregate.objects.filter(contract=contract)
    )


def test_monthly_roll_ups_are_the_merge_of_their_days_and_follow_every_change(contract, manager, tickets):
    from collections import defaultdict

    from waibao.delivery.models import MonthlyAggregate
    from waibao.lib import slamath

    def expected():
        by_month = defaultdict(list)
        for a in DailyAggregate.objects.filter(contract=contract):
            by_month[(a.metric_id, a.day.replace(day=1))].append(a.data)
        return {
            k: slamath.Aggregate.merge_all(slamath.Aggregate.from_dict(d) for d in v)
            for k, v in by_month.items()
        }

    def stored():
        return {
            (m.metric_id, m.month): slamath.Aggregate.from_dict(m.data)
            for m in MonthlyAggregate.objects.filter(contract=contract)
            if m.days
        }

    services.import_batch(contract=contract, actor=manager, records=tickets)
    assert stored() == expected() and stored()
    # every metric of the contract has a row for each month touched, empty where it has no data
    months = {m.month for m in MonthlyAggregate.objects.filter(contract=contract)}
    assert (
        MonthlyAggregate.objects.filter(contract=contract).count()
        == len(months) * contract.sla_metrics.count()
    )
    changed = [dict(t) for t in tickets]
    changed[0]["opened_at"] = "2026-08-03 09:00"  # moves a record into another month
    services.import_batch(contract=contract, actor=manager, records=changed)
    assert stored() == expected()
    engine.rebuild_aggregates(contract)
    assert stored() == expected()


def test_evaluation_from_roll_ups_equals_evaluation_from_days(contract, manager, tickets):
    from waibao.delivery.models import MonthlyAggregate

    services.import_batch(contract=contract, actor=manager, records=tickets)
    periods = ["2026-09", "2026-10", "2026-Q3", "2026-Q4"]

    def snapshot():
        return sorted(
            (
                e.metric_id,
                e.period,
                e.result.value,
                e.result.sample_size,
                e.result.status,
                e.consequence.credit,
            )
            for e in engine.evaluate_periods(contract, periods, engine.now_utc().date())
        )

    from_months = snapshot()
    assert from_months
    MonthlyAggregate.objects.filter(contract=contract).delete()  # e.g. rows written before the roll-ups
    assert snapshot() == from_months  # read from the daily rows instead
    # a roll-up computed with another definition is not used: its month is read from the days
    engine.refresh_months(contract, None)
    MonthlyAggregate.objects.filter(contract=contract).exclude(days=0).update(def_hash="*", data={"c": 999})
    assert snapshot() == from_months


def test_the_migration_rolls_up_aggregates_already_stored(contract, manager, tickets):
    import importlib

    from django.apps import apps

    from waibao.delivery.models import MonthlyAggregate

    services.import_batch(contract=contract, actor=manager, records=tickets)
    before = monthly(contract)
    MonthlyAggregate.objects.all().delete()
    migration = importlib.import_module("waibao.delivery.migrations.0003_monthly_aggregates")
    migration.roll_up(apps, None)
    assert monthly(contract) == before


def _state(contract):
    fields = ("external_id", "kind", "opened_at", "first_response_at", "resolved_at", "csat", "day", "fingerprint")
    return (
        sorted(ServiceRecord.objects.filter(contract=contract).values_list(*fields)),
        aggregates(contract),
        monthly(contract),
        sorted(SlaResult.objects.filter(contract=contract).values_list("metric_id", "period", "value", "credit")),
    )


def _mixed_import(contract, manager, tickets, workers):
    """Rows over several chunks: new, updated, unchanged, a bad row and a duplicate in a later chunk."""
    from waibao.delivery import ingest
    from waibao.delivery.models import JobSource

    services.import_batch(contract=contract, actor=manager, records=tickets[:3])
    rows_in = [dict(t) for t in tickets]
    rows_in[1]["first_response_at"] = "2026-10-08 12:00"  # updated
    rows_in.append({**tickets[4], "csat": "9"})  # duplicate external id, and bad
    rows_in.append({**tickets[5], "external_id": "T7"})
    job = ImportJob.objects.create(
        contract=contract, source=JobSource.API, created_at=contract.created_at, policy="valid_rows"
    )
    ingest.run(job, ingest.as_stream_rows(rows_in), headers=[], mapping=None, actor=manager, workers=workers)
    job.refresh_from_db()
    return job


def test_worker_processes_import_exactly_what_one_process_imports(contract, manager, tickets, monkeypatch):
    from waibao.delivery import ingest
    from waibao.delivery.models import MonthlyAggregate

    monkeypatch.setattr(ingest, "CHUNK", 2)
    one = _mixed_import(contract, manager, tickets, workers=1)
    expected = _state(contract)
    summary = (one.status, one.count_new, one.count_updated, one.count_unchanged, one.count_rejected)
    assert summary == ("succeeded", 4, 1, 2, 1)
    for model in (SlaResult, DailyAggregate, MonthlyAggregate, ServiceRecord):
        model.objects.filter(contract=contract).delete()
    two = _mixed_import(contract, manager, tickets, workers=2)
    assert (two.status, two.count_new, two.count_updated, two.count_unchanged, two.count_rejected) == summary
    assert two.errors_preview == one.errors_preview
    assert _state(contract) == expected


def test_a_worker_process_that_fails_fails_the_job_and_leaves_nothing(contract, manager, tickets, monkeypatch):
    from waibao.delivery import ingest, rows
    from waibao.delivery.models import JobSource

    monkeypatch.setattr(ingest, "CHUNK", 2)
    real = rows.clean_row

    def breaks_on_t5(raw, ctx):
        if raw.get("external_id") == "T5":
            raise ZeroDivisionError("boom")
        return real(raw, ctx)

    monkeypatch.setattr(rows, "clean_row", breaks_on_t5)  # inherited by the forked workers
    job = ImportJob.objects.create(contract=contract, source=JobSource.API, created_at=contract.created_at)
    with pytest.raises(ZeroDivisionError):
        ingest.run(job, ingest.as_stream_rows(tickets), headers=[], mapping=None, actor=manager, workers=2)
    job.refresh_from_db()
    # the uploader reads what happened in words, never the exception's class or text
    assert job.status == "failed" and job.message.startswith("导入时发生意外错误，未导入任何数据")
    assert "ZeroDivisionError" not in job.message and "boom" not in job.message
    assert not ServiceRecord.objects.exists() and not StagedRecord.objects.exists()
