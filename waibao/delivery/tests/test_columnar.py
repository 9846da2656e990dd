"""The columnar import path must give exactly what the row path gives (records, aggregates, results,
counts, errors); it only decides which rows it can take itself."""

from __future__ import annotations

import csv
import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waibao.delivery import columnar, engine, ingest, rows, services
from waibao.delivery.models import DailyAggregate, ImportJob, MonthlyAggregate, ServiceRecord, SlaResult
from waibao.delivery.tests.factories import (
    CSAT,
    DEFECTS,
    ON_TIME,
    P1_COUNT,
    P1_RESPONSE,
    RESOLUTION,
    make_contract,
)

pytestmark = pytest.mark.django_db

ALL_KINDS = [P1_RESPONSE, CSAT, P1_COUNT, RESOLUTION, ON_TIME, DEFECTS]
HEADERS = list(rows.FIELDS)  # external_id, kind, the five timestamps, …, defect, paused

STAMPS = [
    "2026-10-08 11:50",
    "2026-10-08T13:25:00",
    "2026-10-09T01:00:00Z",
    "2026-10-09T09:30:00+08:00",
    "2026-10-09T17:50:10.5",
    "2026-10-10 09:15:00.123456",
    "2026-09-30 17:50:59",
    "2026-10-12",
    "2026-10-12T10:00:00-05:30",
    "2026/10/12 10:00",  # row path only
    "2026-10-12T10:00:00+0800",  # row path only
    "2026-02-30 10:00",  # not a date: an error
    "2026-10-12 24:00",  # an error
    " 2026-10-12 10:00",  # row path only (space)
    "",
]
CELLS = {
    "kind": ["ticket", "delivery", "", "Ticket", "call", " ticket"],
    "priority": ["P1", "p1", "P2", "", "P1 ", "ｐ1", "P3"],
    "category": ["网络", "", "账号", " 硬件", "x" * 101],
    "status": ["closed", "", "open"],
    "csat": ["", "5", "4", "1", " 4", "4.0", "9", "abc"],
    "defect": ["", "yes", "否", "TRUE", "No", "maybe", "1", "0 "],
    "paused": [
        "",
        "",
        "2026-10-08 13:00/2026-10-08 13:10",
        "2026-10-08T05:00:00Z/2026-10-08T05:30:00.25Z",
        "2026-10-09 08:00/2026-10-12 10:00",  # partly outside most records' times
        "2026-10-08 13:10/2026-10-08 13:00",  # ends before it starts: an error
        "2026-10-08 13:00/2026-10-08 13:10;2026-10-08 14:00/2026-10-08 14:10",  # two: row path
        "2026-10-08 13:00 ~ 2026-10-08 13:10",  # row path
        "bad",
    ],
}


GOOD = {"kind": 2, "priority": 3, "category": 3, "status": 3, "csat": 4, "defect": 5, "paused": 5}


def _pick(rng: random.Random, options: list[str], good: int) -> str:
    return rng.choice(options[:good]) if rng.random() < 0.93 else rng.choice(options)


CUSTOM = {"hours": "number", "vip": "boolean", "region": "text", "note": ""}  # note: not declared
CUSTOM_CELLS = {
    "hours": ["", "3", "2.5", "10", "abc", " 4 ", "1e3"],
    "vip": ["", "yes", "否", "TRUE", "maybe"],
    "region": ["", "华东", "华北 ", "1.0", "是"],
    "note": ["", "ok", "7", "no", "x,y"],
}


def _row(rng: random.Random, n: int, custom: bool = False) -> list[str]:
    ext = f"R{n}" if rng.random() < 0.9 else rng.choice([f"R{rng.randint(0, n)}", "", f" R{n}"])
    row = {"external_id": ext}
    for name in ("opened_at", "first_response_at", "resolved_at", "promised_at", "delivered_at"):
        row[name] = _pick(rng, STAMPS, 9) if rng.random() < 0.8 else ""
    if rng.random() < 0.9:  # mostly in time order
        row["first_response_at"] = row["resolved_at"] = row["delivered_at"] = ""
    for name, options in CELLS.items():
        row[name] = _pick(rng, options, GOOD[name])
    extra = [_pick(rng, CUSTOM_CELLS[name], 4) for name in CUSTOM] if custom else []
    return [row[h] for h in HEADERS] + extra


def _write(path, rng: random.Random, count: int, custom: bool = False) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS + ([f"custom.{name}" for name in CUSTOM] if custom else []))
        for n in range(count):
            if n % 23 == 5:
                w.writerow([])  # a blank line: skipped, but counted in the row numbers
            if n % 31 == 7:
                w.writerow(_row(rng, n, custom)[:4])  # a short row
                continue
            w.writerow(_row(rng, n, custom))


def _state(contract):
    fields = [
        f.attname
        for f in ServiceRecord._meta.concrete_fields
        if f.attname not in ("id", "created_at", "updated_at", "last_job_id")
    ]
    return (
        sorted(ServiceRecord.objects.filter(contract=contract).values_list(*fields)),
        sorted(
            (a.metric_id, a.day, str(sorted(a.data.items())), a.def_hash)
            for a in DailyAggregate.objects.filter(contract=contract)
        ),
        sorted(
            (m.metric_id, m.month, str(sorted(m.data.items())), m.days)
            for m in MonthlyAggregate.objects.filter(contract=contract)
        ),
        sorted(
            SlaResult.objects.filter(contract=contract).values_list("metric_id", "period", "value", "credit")
        ),
    )


def _import(contract, manager, path, columnar_path: bool, policy: str = "valid_rows") -> ImportJob:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest, "COLUMNAR", columnar_path)
        job = services.import_path(contract=contract, actor=manager, path=str(path), policy=policy)
    job.refresh_from_db()
    return job


def _summary(job: ImportJob):
    error_file = job.error_file.read().decode("utf-8-sig") if job.error_file else ""
    return (
        job.status,
        job.count_new,
        job.count_updated,
        job.count_unchanged,
        job.count_rejected,
        job.error_count,
        job.errors_preview,
        error_file,
    )


@pytest.mark.parametrize(("seed", "custom"), [(1, False), (2, True)])
def test_the_columnar_path_imports_exactly_what_the_row_path_imports(
    vendor_a, manager, travel, tmp_path, monkeypatch, seed, custom
):
    monkeypatch.setattr(ingest, "CHUNK", 37)  # duplicates and updates across chunks
    contract = make_contract(vendor_a, owner=manager, metrics=ALL_KINDS)
    contract.custom_fields = {k: v for k, v in CUSTOM.items() if v}
    contract.save(update_fields=["custom_fields"])
    rng = random.Random(seed)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    _write(first, rng, 300, custom)
    _write(second, rng, 300, custom)  # overlapping ids: updated, unchanged and new rows
    fast_rows = []
    real = columnar.ColumnarPlan.prepare

    def spy(self, frame):
        out = real(self, frame)
        fast_rows.append(out.frame.height)
        return out

    monkeypatch.setattr(columnar.ColumnarPlan, "prepare", spy)
    outcomes = []
    for columnar_path in (False, True):
        for model in (SlaResult, DailyAggregate, MonthlyAggregate, ServiceRecord):
            model.objects.filter(contract=contract).delete()
        jobs = [_import(contract, manager, p, columnar_path) for p in (first, second, second)]
        outcomes.append(([_summary(j) for j in jobs], _state(contract)))
    (row_jobs, row_state), (col_jobs, col_state) = outcomes
    assert row_jobs[0][1] > 100 and row_jobs[1][2] > 10 and row_jobs[2][3] > 100  # new, updated, unchanged
    assert row_jobs[0][4] > 10  # rejected rows too
    assert sum(fast_rows) > 300  # about half the rows went the columnar way (the rest have odd cells)
    assert col_jobs == row_jobs
    assert col_state == row_state


def test_all_or_nothing_rejects_the_same_way(vendor_a, manager, travel, tmp_path):
    contract = make_contract(vendor_a, owner=manager, metrics=ALL_KINDS)
    path = tmp_path / "f.csv"
    _write(path, random.Random(3), 120)
    row = _summary(_import(contract, manager, path, False, policy="all_or_nothing"))
    col = _summary(_import(contract, manager, path, True, policy="all_or_nothing"))
    assert col == row and row[0] == "rejected"
    assert not ServiceRecord.objects.exists()


def test_most_plain_rows_take_the_columnar_path(vendor_a, manager, travel):
    contract = make_contract(vendor_a, owner=manager, metrics=ALL_KINDS)
    _preparer, plan = _plan(contract)
    chunk = [(2, ["A1", "ticket", "2026-10-08 11:50", "2026-10-08 13:25", "", "", "", "p1", "网络", "", "5", "", ""]),
             (3, ["A2", "ticket", "2026/10/08 11:50", "", "", "", "", "P1", "", "", "", "", ""])]  # fmt: skip
    fast = plan.prepare(plan.frame(chunk))
    assert fast.slow == [1]
    assert fast.frame["external_id"].to_list() == ["A1"] and fast.frame["priority"].to_list() == ["P1"]


def _plan(contract):
    cache = engine.TermsCache(contract).preload()
    preparer = ingest.Preparer(None, ingest.row_context(contract), cache, True)
    return preparer, columnar.ColumnarPlan(HEADERS, None, preparer.ctx, cache, True)


FORMS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%SZ"] * 3 + [
    "%Y/%m/%d %H:%M"  # row path
]


@st.composite
def stamps(draw):
    """Five timestamp cells in several spellings, mostly in time order (opened ≤ response ≤ resolved,
    promised and delivered after opened), now and then blank or odd."""
    from datetime import datetime, timedelta

    at = datetime(2026, 9, 25, 6) + timedelta(minutes=draw(st.integers(0, 30 * 24 * 60)))
    out = []
    for k in range(5):
        if k in (1, 2):
            at += timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        moment = at + (timedelta(minutes=draw(st.integers(0, 5 * 24 * 60))) if k > 2 else timedelta())
        moment += timedelta(microseconds=draw(st.sampled_from([0, 0, 250000, 123456])))
        form = draw(st.sampled_from(FORMS))
        text = (moment - timedelta(hours=8) if form.endswith("Z") else moment).strftime(form)
        out.append(draw(st.sampled_from([text] * 8 + ["", draw(st.sampled_from(STAMPS))])))
    return out


@st.composite
def pauses(draw):
    from datetime import datetime, timedelta

    start = datetime(2026, 9, 25, 6) + timedelta(minutes=draw(st.integers(0, 31 * 24 * 60)))
    end = start + timedelta(minutes=draw(st.integers(-10, 3 * 24 * 60)))
    made = f"{start:%Y-%m-%d %H:%M}/{end:%Y-%m-%dT%H:%M:%S}"
    return draw(st.sampled_from(["", "", made, made, made, *CELLS["paused"]]))


ROWS = st.lists(
    st.tuples(
        st.sampled_from(["ticket"] * 4 + ["delivery"] * 2 + [""]),
        stamps(),
        st.sampled_from(["P1"] * 6 + CELLS["priority"]),
        st.sampled_from(["网络", "", "a b"]),
        st.sampled_from(["", "5", "4"] * 3 + CELLS["csat"]),
        st.sampled_from(["", "yes", "否"] * 3 + CELLS["defect"]),
        pauses(),
    ),
    min_size=3,
    max_size=25,
)


def test_each_row_the_columnar_path_takes_is_prepared_as_the_row_path_prepares_it(vendor_a, manager, travel):
    contract = make_contract(vendor_a, owner=manager, metrics=ALL_KINDS)
    preparer, plan = _plan(contract)
    timed = {r.metric_id for r in plan.cache.runners_for_day(date(2026, 10, 1)) if r.timed}
    seen: list[int] = []

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(cells=ROWS)
    def check(cells):
        chunk = []
        for n, (kind, (o, f, r, p, d), prio, cat, csat, defect, paused) in enumerate(cells):
            chunk.append((n + 2, [f"E{n}", kind, o, f, r, p, d, prio, cat, "", csat, defect, paused]))
        fast = plan.prepare(plan.frame(chunk))
        row_deltas, col_deltas = engine.Deltas(), engine.Deltas()
        frame = fast.frame
        for k, i in enumerate(frame["_i"].to_list()):
            n, cells_ = chunk[i]
            [(ext, errors, day, fp, observed, data)] = preparer.rows(
                [(n, dict(zip(HEADERS, cells_, strict=True)))]
            )
            assert errors == [] and ext == frame["external_id"][k]
            got = frame.row(k, named=True)
            assert got["_day"] == day and got["fingerprint"] == fp
            assert tuple(got[c] for c in ingest.DATA_COLS[1:]) == data
            row_deltas.add_observed(observed, day, +1)
        plan.observations(frame, col_deltas)
        assert {k: a.aggregate() for k, a in col_deltas.by_key.items()} == {
            k: a.aggregate() for k, a in row_deltas.by_key.items()
        }
        assert col_deltas.hashes == row_deltas.hashes
        assert set(fast.slow) | set(frame["_i"].to_list()) == set(range(len(chunk)))
        seen.append(sum(int(a.total) for (m, _d), a in row_deltas.by_key.items() if m in timed))

    check()
    assert sum(1 for total in seen if total) > 5  # the examples measured business time, not only zeros


def test_cumulative_column_wise_matches_the_calendar_index(vendor_a, manager, travel):
    import polars as pl

    contract = make_contract(vendor_a, owner=manager, metrics=[P1_RESPONSE])
    _preparer, plan = _plan(contract)
    runner = plan.cache.runners_for_day(date(2026, 10, 1))[0]
    cal = runner.calendar
    base = 1_760_000_000
    stamps = [base + random.randint(-(10**7), 10**7) for _ in range(2000)] + [0, 86400 * 365 * 30]
    got = plan._cumulative(cal, pl.Series(stamps, dtype=pl.Int64)).to_list()
    assert got == [cal.index.cumulative(t) for t in stamps]


def test_the_migration_recomputes_stored_fingerprints(vendor_a, manager, travel, tickets):
    import importlib

    from django.apps import apps

    contract = make_contract(vendor_a, owner=manager)
    services.import_batch(contract=contract, actor=manager, records=tickets)
    ServiceRecord.objects.update(fingerprint="0123456789abcdef")  # as the earlier definition left them
    migration = importlib.import_module("waibao.delivery.migrations.0004_fingerprint_text")
    migration.recompute(apps, None)
    job = services.import_batch(contract=contract, actor=manager, records=tickets)
    assert (job.count_new, job.count_updated, job.count_unchanged) == (0, 0, 6)


SPACES = ["", "", " ", "\t", "\u3000", "\xa0", "\x1c", "\x1f", "\u2003", "\u200b", "\n"]
ANY_CELL = st.one_of(
    st.text(max_size=40),
    st.sampled_from(STAMPS + CELLS["csat"] + CELLS["defect"] + CELLS["priority"] + CELLS["paused"]),
    st.builds(lambda a, b: a + b, st.sampled_from(STAMPS), st.text(max_size=3)),
    st.builds(  # a plain value wrapped in white space of every kind Python or polars might strip
        lambda a, core, b: a + core + b,
        st.sampled_from(SPACES),
        st.sampled_from(["网络", "x", "P1", "ticket", "4", "否", "yes", "2", "2026-10-08 11:50", STAMPS[3]]),
        st.sampled_from(SPACES),
    ),
)


def test_any_text_in_any_cell_is_either_taken_exactly_or_left_to_the_row_path(vendor_a, manager, travel):
    """Arbitrary text (control characters, odd white space, quotes, half dates) never breaks the columnar
    path, and whatever it takes it takes exactly as the row path would."""
    contract = make_contract(vendor_a, owner=manager, metrics=ALL_KINDS)
    contract.custom_fields = {"hours": "number", "vip": "boolean"}
    contract.save(update_fields=["custom_fields"])
    headers = [*HEADERS, "custom.hours", "custom.vip", "custom.free"]
    cache = engine.TermsCache(contract).preload()
    mapping = {h: h for h in headers}
    preparer = ingest.Preparer(mapping, ingest.row_context(contract), cache, True)
    plan = columnar.ColumnarPlan(headers, mapping, preparer.ctx, cache, True)

    @st.composite
    def row(draw):
        """A plain, valid row; then up to two of its cells replaced by any text at all."""
        o, f, r, p, d = draw(stamps())
        cells = {
            "kind": draw(st.sampled_from(["ticket", "delivery"])),
            **dict(zip(rows.TIMESTAMPS, (o, f, r, p, d), strict=True)),
            "priority": draw(st.sampled_from(["P1", "p2", ""])),
            "csat": draw(st.sampled_from(["", "4"])),
            "defect": draw(st.sampled_from(["", "否"])),
            "paused": draw(pauses()),
            "custom.hours": draw(st.sampled_from(["", "2", "2.5"])),
            "custom.vip": draw(st.sampled_from(["", "yes"])),
        }
        out = [cells.get(h, "") for h in headers]
        for index in draw(st.lists(st.integers(0, len(headers) - 1), max_size=2)):
            out[index] = draw(ANY_CELL)
        return out

    seen: list[int] = []

    @settings(max_examples=200, deadline=None, derandomize=True)
    @given(cells=st.lists(row(), min_size=1, max_size=8))
    def check(cells):
        chunk = [(n + 2, [f"E{n}", *row[1:]]) for n, row in enumerate(cells)]
        fast = plan.prepare(plan.frame(chunk))
        for k, i in enumerate(fast.frame["_i"].to_list()):
            n, row = chunk[i]
            [(_ext, errors, day, fp, _observed, data)] = preparer.rows(
                [(n, dict(zip(headers, row, strict=True)))]
            )
            got = fast.frame.row(k, named=True)
            assert errors == [] and got["fingerprint"] == fp and got["_day"] == day
            assert tuple(got[c] for c in ingest.DATA_COLS[1:]) == data
        seen.append(fast.frame.height)

    check()
    assert sum(seen) > 50  # many rows were taken by the columnar path, not only handed on
