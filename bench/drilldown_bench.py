"""Drill-down benchmark (not a test): the missed-records pages against the contract page, on one big contract.

    .venv/bin/python bench/drilldown_bench.py               # 1,000,000 records on one contract (~85,000 a month)
    .venv/bin/python bench/drilldown_bench.py --n 2000000
    DATABASE_URL=postgres://… .venv/bin/python bench/drilldown_bench.py

Generates the records with ``sla_bench``'s generator (one year, 2025, three metrics), imports them through the
real import into one contract, then times full page requests (Django test client, logged-in manager, production
settings) for one month: the contract delivery page, and for each metric the first missed-records page, the
fourth page (following the "next" links), a page sorted by record id (descending), a page filtered by how
late, and the CSV export of the whole list. Prints each time and its ratio to the contract page's time
(best of three runs each).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sla_bench  # the generator, contracts and settings of the SLA benchmark


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="records on the one contract (default 1,000,000)")
    ap.add_argument("--month", default="2025-06")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="waibao-drilldown-"))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("WAIBAO_SECURE_PROXY", "0")
    sla_bench.setup_django(str(tmp / "bench.sqlite3"))
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.utils.functional import empty

    # Pages render without collected static files (no manifest in a temporary folder).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    staticfiles_storage._wrapped = empty
    from django.db import connection
    from django.test import Client

    from waibao.accounts.models import User
    from waibao.delivery import services

    contract = sla_bench.make_contracts(1, prefix="DRILL")[0]
    f = tmp / "records.csv"
    t0 = time.perf_counter()
    sla_bench.write_file(f, args.n, contract.code, seed=1)
    job = services.import_path(contract=contract, actor="bench", path=str(f))
    assert job.status == "succeeded", (job.status, job.message)
    services.evaluate(contract=contract, actor="bench", periods=[f"2025-{m:02d}" for m in range(1, 13)])
    print(
        f"database: {connection.vendor}  records: {args.n:,} on one contract  "
        f"(generated and imported in {time.perf_counter() - t0:.0f} s)"
    )

    user = User(username="bench-manager", role="manager", full_name="Bench")
    user.set_password("x")
    user.save()
    client = Client()
    client.force_login(user)

    def get(url: str) -> str:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        return r.content.decode() if not r.streaming else ""

    contract_url = f"/delivery/contracts/{contract.code}/?period={args.month}"
    page = best(lambda: get(contract_url))
    in_month = contract.service_records.filter(day__gte=f"{args.month}-01", day__lt="2025-07-01").count()
    print(f"contract page ({args.month}, {in_month:,} records that month): {page * 1000:.0f} ms")

    for metric in contract.sla_metrics.order_by("position"):
        base = f"/delivery/contracts/{contract.code}/missed/{metric.pk}/{args.month}/"

        url4, deep = base, 1
        for _ in range(3):  # follow "next" up to three times
            m = re.search(r'href="(\?[^"]*)" id="missed-next"', get(url4))
            if not m:
                break
            url4, deep = base + m.group(1).replace("&amp;", "&"), deep + 1

        cases = [
            ("first page", lambda base=base: get(base)),
            (f"page {deep} (reached by following 'next')", lambda url4=url4: get(url4)),
            ("sorted by record id, descending", lambda base=base: get(base + "?sort=-external_id")),
            ("filtered: at least 4 hours late", lambda base=base: get(base + "?min_over_hours=4")),
            ("CSV export of the whole list", lambda base=base: get(base + "export.csv")),
        ]
        print(f"  {metric.name}:")
        for label, fn in cases:
            if "late" in label and '"min_over_hours"' not in get(base):
                continue  # the metric has no limit to be late against
            t = best(fn)
            print(f"    {label}: {t * 1000:.0f} ms = {t / page:.2f}× the contract page")

    if not args.keep:
        import shutil

        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")


if __name__ == "__main__":
    main()
