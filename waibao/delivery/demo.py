"""Demo service records (`waibao demo`): real NYC Council constituent-service cases for the customer-service
contract, generated tickets / deliveries / work items for the others; then results for every period.

The NYC data (a sample shipped in ``waibao/delivery/data/``, from ``nyc_council_constituent_services.csv.gz``, NYC Open Data via the MIT
licensed R package *nycomplaints*) has dates only: cases opened in 2023 are moved to the same month-day
of 2026 and given deterministic times of day (a hash of the case key), so business-hour SLAs have
something to measure. Everything goes through the same import path as a user's file.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import random
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from waibao.contracts.models import Contract
from waibao.core import clock
from waibao.core.errors import DomainError
from waibao.delivery import services
from waibao.delivery.models import ServiceRecord

# A sample of the real data ships with the package (see data/README.md); WAIBAO_NYC_DATA may point at the full file.
NYC = Path(os.environ.get("WAIBAO_NYC_DATA") or Path(__file__).parent / "data" / "nyc_council_sample_2023.csv.gz")
TZ = ZoneInfo("Asia/Shanghai")
HEADERS = ["external_id", "kind", "opened_at", "first_response_at", "resolved_at", "promised_at", "delivered_at",
           "priority", "category", "status", "csat", "defect", "paused", "custom.borough"]  # fmt: skip


def _h(key: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.blake2b((salt + key).encode(), digest_size=4).digest(), "big")


def _fmt(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def nyc_rows(until: date, every: int = 10) -> list[list[str]]:
    """A deterministic sample of the real cases, moved from 2023 to 2026, with synthetic times of day."""
    out: list[list[str]] = []
    if not NYC.exists():
        return out
    with gzip.open(NYC, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            opened = row["opendate"]
            if not opened.startswith("2023-") or _h(row["unique_key"]) % every:
                continue
            day = date(2026, int(opened[5:7]), int(opened[8:10]))
            if day > until:
                continue
            key = row["unique_key"]
            start = datetime(
                day.year, day.month, day.day, 8 + _h(key, "h") % 11, _h(key, "m") % 60, tzinfo=TZ
            )
            # Most answered within the half hour, a tail much later (the vendor misses now and then).
            r = _h(key, "r") % 100
            minutes = 3 + r % 25 if r < 88 else 35 + _h(key, "late") % 300
            first = start + timedelta(minutes=minutes)
            resolved = None
            if row["closedate"]:
                closed = date.fromisoformat(row["closedate"])
                lag = (closed - date.fromisoformat(opened)).days
                resolved = max(
                    start + timedelta(minutes=minutes + 30),
                    start + timedelta(days=lag, hours=_h(key, "c") % 6),
                )
            csat = str(5 - (_h(key, "s") % 100 > 70) - (_h(key, "s") % 100 > 90) - (_h(key, "s") % 100 > 97))
            pause = ""
            if _h(key, "p") % 20 == 0:  # waiting on the constituent for an hour
                pause = f"{_fmt(start + timedelta(minutes=1))}/{_fmt(start + timedelta(minutes=61))}"
            out.append(
                [
                    key,
                    "ticket",
                    _fmt(start),
                    _fmt(first),
                    _fmt(resolved),
                    "",
                    "",
                    "",
                    row["complaint_type"],
                    "closed" if resolved else "open",
                    csat,
                    "",
                    pause,
                    row["borough"],
                ]
            )
    return out


def it_tickets(until: date) -> list[list[str]]:
    rng = random.Random(2026)
    out = []
    day = date(2026, 1, 1)
    n = 0
    while day <= until:
        for prio, per_day in (("P1", 0.5), ("P2", 2.0)):
            count = int(per_day) + (rng.random() < per_day % 1)
            for _i in range(count):
                n += 1
                start = datetime(
                    day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=TZ
                )
                slow = (
                    day.month in (7, 8) and rng.random() < 0.25
                )  # a bad summer: staff turnover at the vendor
                resp = rng.randint(2, 14) if prio == "P1" and not slow else rng.randint(5, 45)
                res = rng.randint(40, 230) if not slow else rng.randint(120, 600)
                if prio == "P2":
                    res *= 2
                out.append(
                    [
                        f"INC-{n:05d}",
                        "ticket",
                        _fmt(start),
                        _fmt(start + timedelta(minutes=resp)),
                        _fmt(start + timedelta(minutes=res)),
                        "",
                        "",
                        prio,
                        rng.choice(["网络", "服务器", "存储", "数据库"]),
                        "closed",
                        "",
                        "",
                        "",
                        "",
                    ]
                )
        day += timedelta(days=1)
    return out


def deliveries(until: date) -> list[list[str]]:
    rng = random.Random(98)
    out = []
    day = date(2026, 1, 1)
    n = 0
    while day <= until:
        for _i in range(6):
            n += 1
            start = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randrange(60), tzinfo=TZ)
            promised = start + timedelta(hours=24)
            late = rng.random() < (0.05 if day.month in (1, 2) else 0.015)  # Spring Festival peak
            delivered = (
                promised + timedelta(hours=rng.randint(1, 20))
                if late
                else promised - timedelta(hours=rng.randint(1, 12))
            )
            out.append(
                [
                    f"DN-{n:06d}",
                    "delivery",
                    _fmt(start),
                    "",
                    "",
                    _fmt(promised),
                    _fmt(delivered),
                    "",
                    rng.choice(["上海仓", "苏州仓", "杭州仓"]),
                    "delivered",
                    "",
                    "yes" if rng.random() < 0.004 else "no",
                    "",
                    "",
                ]
            )
        day += timedelta(days=1)
    return out


def work_items(until: date) -> list[list[str]]:
    rng = random.Random(7)
    out = []
    for n in range(1, 61):
        day = date(2026, 2, 1) + timedelta(days=rng.randrange(250))
        if day > until:
            continue
        start = datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ)
        out.append(
            [
                f"BUG-{n:04d}",
                "work_item",
                _fmt(start),
                "",
                _fmt(start + timedelta(days=rng.randint(1, 9))),
                "",
                "",
                "P1" if rng.random() < 0.08 else "P3",
                "缺陷",
                "closed",
                "",
                "",
                "",
                "",
            ]
        )
    return out


def _import(contract: Contract, rows: list[list[str]], actor: Any, name: str) -> None:
    if not rows:
        return
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, name)
    try:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADERS)
            w.writerows(rows)
        services.import_path(contract=contract, actor=actor, path=path, policy="valid_rows", source="cli")
    finally:
        os.unlink(path)
        os.rmdir(folder)


def load(ctx: dict[str, Any]) -> None:
    actor = ctx["actor"]
    until = clock.today() - timedelta(days=1)
    plan: list[tuple[str, Callable[[date], list[list[str]]], str]] = [
        ("V-0001", it_tickets, "incidents-2026.csv"),
        ("V-0002", nyc_rows, "nyc-constituent-cases-2026.csv"),
        ("V-0003", deliveries, "deliveries-2026.csv"),
        ("V-0004", work_items, "work-items-2026.csv"),
    ]
    for vendor_code, make, name in plan:
        contract = Contract.objects.filter(vendor__code=vendor_code).order_by("pk").first()
        if contract is None or ServiceRecord.objects.filter(contract=contract).exists():
            continue
        _import(contract, make(until), actor, name)
        services.evaluate(contract=contract, actor=actor)
        last_month = (clock.today().replace(day=1) - timedelta(days=1)).replace(day=1)
        for month in range(1, last_month.month):
            if date(last_month.year, month + 1, 1) + timedelta(days=services.grace_days()) <= clock.today():
                try:
                    services.close_period(
                        contract=contract, period=f"{last_month.year}-{month:02d}", actor=actor
                    )
                except DomainError:  # a period with nothing to close is fine in the demo
                    continue
