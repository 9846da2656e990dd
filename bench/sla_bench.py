"""SLA benchmark (not a test): import N service records and evaluate 12 months of SLA results.

    .venv/bin/python bench/sla_bench.py                 # 1,000,000 records, SQLite in a temp file
    .venv/bin/python bench/sla_bench.py --n 200000
    .venv/bin/python bench/sla_bench.py --n 10000000    # on request
    DATABASE_URL=postgres://… .venv/bin/python bench/sla_bench.py

Prints, in one run on the same database:
- import rows/s through the real path (validation, staging, merge, daily aggregates, results) and its ratio
  to a bare bulk insert of the same files into a bare table (executemany on SQLite, COPY on PostgreSQL);
- peak memory of the import (peak RSS growth, and the tracemalloc peak of a 20,000-row sample import);
- time to evaluate all SLA results for 12 months and its ratio to one plain GROUP BY over the raw records.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADERS = [
    "external_id",
    "kind",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "priority",
    "category",
    "csat",
    "paused",
]
METRICS: list[dict[str, Any]] = [
    {"name": "P1 30 分钟响应率", "kind": "share_within", "record_kind": "ticket", "filter": [["priority", "eq", "P1"]],
     "threshold_minutes": 30, "target": "95",
     "tiers": [{"from": "0", "to": "95", "consequence": "credit_percent", "amount": "5"},
               {"from": "95", "to": "100", "consequence": "none"}]},
    {"name": "解决时长中位数", "kind": "duration", "record_kind": "ticket", "start_field": "opened_at",
     "end_field": "resolved_at", "statistic": "median", "target": "480", "direction": "lower"},
    {"name": "满意度", "kind": "average", "record_kind": "ticket", "field": "csat", "target": "4.5",
     "tiers": [{"from": "0", "to": "4.5", "consequence": "credit_percent", "amount": "3"},
               {"from": "4.5", "to": "5", "consequence": "none"}]},
]  # fmt: skip


def setup_django(db_path: str) -> None:
    # Production settings (DEBUG off: no query log, no debug cursor), files under the temporary folder.
    import secrets

    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("WAIBAO_VAR_DIR", str(Path(db_path).parent))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db_path}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waibao.settings")
    os.environ.setdefault("WAIBAO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def write_file(path: Path, n: int, prefix: str, seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    span = 365 * 86400
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        for i in range(n):
            t = start + rng.random() * span
            opened = datetime.fromtimestamp(t, UTC)
            resp = opened + timedelta(minutes=rng.randint(1, 45))
            res = resp + timedelta(minutes=rng.randint(10, 2000))
            paused = ""
            if i % 17 == 0:
                paused = f"{(resp + timedelta(minutes=5)).isoformat()}/{(resp + timedelta(minutes=65)).isoformat()}"
            w.writerow(
                [
                    f"{prefix}-{i:08d}",
                    "ticket",
                    opened.isoformat(),
                    resp.isoformat(),
                    res.isoformat(),
                    rng.choice(("P1", "P2", "P3", "P3")),
                    rng.choice(("网络", "账号", "硬件", "软件")),
                    rng.choice(("5", "5", "4", "4", "3", "2", "")),
                    paused,
                ]
            )


def bare_insert(files: list[Path]) -> float:
    """The baseline: the same files into a bare table (text columns, no key, no index), one transaction
    per file — executemany of the parsed CSV rows on SQLite, COPY of the file on PostgreSQL. The table is
    left for :func:`floor_insert` and dropped there."""
    from django.db import connection

    vendor = connection.vendor
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        cur.execute("CREATE TABLE bench_bare (" + ", ".join(f"{h} TEXT" for h in HEADERS) + ")")
    connection.ensure_connection()
    t0 = time.perf_counter()
    for f in files:
        if vendor == "postgresql":
            raw = connection.connection
            with raw.cursor() as cur, f.open("rb") as fh:  # type: ignore[union-attr]
                if hasattr(cur, "copy"):  # psycopg 3
                    with cur.copy(f"COPY bench_bare ({', '.join(HEADERS)}) FROM STDIN WITH CSV HEADER") as cp:
                        while block := fh.read(1 << 20):
                            cp.write(block)
                else:  # psycopg2
                    cur.copy_expert(f"COPY bench_bare ({', '.join(HEADERS)}) FROM STDIN WITH CSV HEADER", fh)
            raw.commit()  # type: ignore[union-attr]
        else:
            sql = f"INSERT INTO bench_bare VALUES ({', '.join(['?'] * len(HEADERS))})"
            raw = connection.connection
            # Django keeps the sqlite3 connection in autocommit mode: without BEGIN every row would be
            # its own transaction (the first version of this script measured that, ~4x too slow).
            raw.execute("BEGIN")  # type: ignore[union-attr]
            with f.open(encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                raw.executemany(sql, reader)  # type: ignore[union-attr]
            raw.execute("COMMIT")  # type: ignore[union-attr]
    return time.perf_counter() - t0


def floor_insert(contract_id: int) -> tuple[float, int]:
    """What storing the rows costs the database alone: one INSERT … SELECT from the bare table into the
    real records table (its columns, key, indexes and checks), no validation, no Python per row. Timed,
    then deleted again (not timed). Returns (seconds, rows)."""
    from django.db import connection, transaction

    pg = connection.vendor == "postgresql"
    ts = "::timestamptz" if pg else ""
    day = "substr(opened_at, 1, 10)::date" if pg else "substr(opened_at, 1, 10)"
    csat = "NULLIF(csat, '')::smallint" if pg else "NULLIF(csat, '')"
    js = "::jsonb" if pg else ""
    now = "now()" if pg else "datetime('now')"
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO delivery_servicerecord (contract_id, external_id, kind, opened_at, first_response_at, "
            "resolved_at, priority, category, status, csat, pauses, custom, day, fingerprint, created_at, "
            "updated_at, version) "
            f"SELECT %s, external_id, kind, opened_at{ts}, first_response_at{ts}, resolved_at{ts}, priority, "
            f"category, '', {csat}, '[]'{js}, '{{}}'{js}, {day}, '', {now}, {now}, 1 FROM bench_bare",
            [contract_id],
        )
        rows = cur.rowcount
    elapsed = time.perf_counter() - t0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM delivery_servicerecord WHERE contract_id = %s", [contract_id])
        cur.execute("DROP TABLE bench_bare")
    return elapsed, rows


def driver_insert(files: list[Path], contract_id: int) -> float:
    """SQLite only: the same files straight into the records table with Python's ``executemany`` (the
    way any import through the sqlite3 driver must store rows), one transaction per file, no validation:
    the most a validating import could reach. Timed, then deleted again (not timed)."""
    from django.db import connection, transaction

    raw = connection.connection
    sql = (
        "INSERT INTO delivery_servicerecord (contract_id, external_id, kind, opened_at, first_response_at, "
        "resolved_at, priority, category, status, csat, pauses, custom, day, fingerprint, created_at, "
        "updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', NULLIF(?, ''), '[]', '{}', substr(?, 1, 10), "
        "'', datetime('now'), datetime('now'), 1)"
    )
    t0 = time.perf_counter()
    for f in files:
        raw.execute("BEGIN")  # type: ignore[union-attr]
        with f.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            raw.executemany(  # type: ignore[union-attr]
                sql,
                ((contract_id, e, k, o, r1, r2, p, c, s, o) for e, k, o, r1, r2, p, c, s, _paused in reader),
            )
        raw.execute("COMMIT")  # type: ignore[union-attr]
    elapsed = time.perf_counter() - t0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM delivery_servicerecord WHERE contract_id = %s", [contract_id])
    return elapsed


def make_contracts(count: int, prefix: str = "BENCH") -> list:
    from waibao.calendars.models import Calendar
    from waibao.calendars.services import ensure_builtin_calendars
    from waibao.contracts.models import Contract, SlaMetric
    from waibao.vendors.models import Vendor

    ensure_builtin_calendars()
    cals = [Calendar.objects.get(preset="china-mainland"), Calendar.objects.get(preset="24x7")]
    out = []
    for i in range(count):
        v = Vendor.objects.create(
            code=f"BV-{prefix}-{i:04d}",
            name=f"基准供应商{prefix}{i}",
            category="it_services",
            status="active",
        )
        c = Contract.objects.create(
            code=f"CT-{prefix}-{i:04d}",
            vendor=v,
            title="bench",
            category="it_services",
            start_date=date(2025, 1, 1),
            status="active",
            monthly_fee=Decimal(100000),
        )
        for j, m in enumerate(METRICS):
            SlaMetric.objects.create(
                contract=c,
                name=m["name"],
                record_kind="ticket",
                definition=m,
                calendar=cals[(i + j) % 2],
                position=j,
            )
        out.append(c)
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def group_by_scan() -> float:
    from django.db import connection

    month = "strftime('%%Y-%%m', day)" if connection.vendor == "sqlite" else "to_char(day, 'YYYY-MM')"
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT contract_id, {month}, priority, COUNT(*), AVG(csat) FROM delivery_servicerecord "
            f"GROUP BY 1, 2, 3"
        )
        cur.fetchall()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="records in total (default 1,000,000)")
    ap.add_argument("--contracts", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="keep the temporary database and files")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="waibao-bench-"))
    setup_django(str(tmp / "bench.sqlite3"))
    from django.db import connection

    from waibao.delivery import services
    from waibao.delivery.models import SlaResult

    print(
        f"database: {connection.vendor}  records: {args.n:,}  contracts: {args.contracts}  metrics/contract: {len(METRICS)}"
    )
    contracts = make_contracts(args.contracts)
    per = args.n // args.contracts
    files = []
    t0 = time.perf_counter()
    for i, c in enumerate(contracts):
        f = tmp / f"records-{i:04d}.csv"
        write_file(f, per + (args.n - per * args.contracts if i == 0 else 0), c.code, seed=i)
        files.append(f)
    print(
        f"generated {args.n:,} rows in {sum(f.stat().st_size for f in files) / 1e6:.0f} MB of CSV "
        f"({time.perf_counter() - t0:.1f} s)"
    )

    bare = bare_insert(files)
    print(
        f"bare bulk insert ({'COPY' if connection.vendor == 'postgresql' else 'executemany'}, one transaction "
        f"per file, text columns, no index): {bare:.2f} s = {args.n / bare:,.0f} rows/s"
    )
    floor, floor_rows = floor_insert(make_contracts(1, prefix="FLOOR")[0].pk)
    assert floor_rows == args.n, floor_rows
    print(
        f"floor — the same rows into the records table with one INSERT … SELECT, no validation: {floor:.2f} s = "
        f"{args.n / floor:,.0f} rows/s → ratio to bare insert {bare / floor:.2f}×"
    )

    if connection.vendor == "sqlite":
        driver = driver_insert(files, make_contracts(1, prefix="DRIVER")[0].pk)
        print(
            f"through the driver — the same rows into the records table with executemany, no validation: "
            f"{driver:.2f} s = {args.n / driver:,.0f} rows/s → ratio to bare insert {bare / driver:.2f}×"
        )

    # Memory of the import path on two sample sizes, with tracemalloc (Python allocations): flat in N
    # means the larger file peaks no higher than the smaller one.
    # They go into a contract of their own whose records are deleted afterwards, so that neither the
    # import nor the evaluation and the GROUP BY below see them.
    traced = {}
    scratch = make_contracts(1, prefix="SAMPLE")[0]
    for size in (50_000, 150_000):
        sample = tmp / f"sample-{size}.csv"
        write_file(sample, size, f"SAMPLE{size}", seed=999)
        tracemalloc.start()
        services.import_path(contract=scratch, actor="bench", path=str(sample))
        traced[size] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    from waibao.delivery.models import DailyAggregate, MonthlyAggregate, ServiceRecord

    for model in (ServiceRecord, DailyAggregate, MonthlyAggregate, SlaResult):
        model.objects.filter(contract=scratch).delete()

    base_rss = rss_mb()
    t0 = time.perf_counter()
    for c, f in zip(contracts, files, strict=True):
        job = services.import_path(contract=c, actor="bench", path=str(f))
        assert job.status == "succeeded", (job.status, job.message, job.errors_preview[:3])
    imp = time.perf_counter() - t0
    peak_rss = rss_mb()
    print(
        f"import (validate + stage + merge + aggregates + results): {imp:.2f} s = {args.n / imp:,.0f} rows/s  "
        f"→ ratio to bare insert {bare / imp:.2f}×, to the floor {floor / imp:.2f}×"
    )
    print(
        f"import memory: peak RSS {peak_rss:.0f} MB (+{peak_rss - base_rss:.0f} MB over {base_rss:.0f} MB before "
        f"the import); tracemalloc peak of a 50,000-row import {traced[50_000] / 1e6:.1f} MB, "
        f"of a 150,000-row import {traced[150_000] / 1e6:.1f} MB"
    )

    again = time.perf_counter()
    job = services.import_path(contract=contracts[-1], actor="bench", path=str(files[-1]))
    print(
        f"re-import of one unchanged file ({per:,} rows): {time.perf_counter() - again:.2f} s, "
        f"unchanged {job.count_unchanged:,}, new {job.count_new}, updated {job.count_updated}"
    )

    periods = [f"2025-{m:02d}" for m in range(1, 13)] + [f"2025-Q{q}" for q in range(1, 5)]
    t0 = time.perf_counter()
    for c in contracts:
        services.evaluate(contract=c, actor="bench", periods=periods)
    ev = time.perf_counter() - t0
    n_results = SlaResult.objects.count()
    scan = min(group_by_scan() for _ in range(3))
    print(
        f"evaluate 12 months ({n_results:,} results, {len(contracts)} contracts × {len(METRICS)} metrics): "
        f"{ev:.2f} s; one plain GROUP BY over the raw records: {scan:.2f} s → evaluation/scan {ev / scan:.2f}×"
    )
    if not args.keep:
        import shutil

        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")


if __name__ == "__main__":
    main()
