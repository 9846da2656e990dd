"""`waibao evaluate_slas [--contract CODE] [--period 2026-10] [--rebuild] [--open]` — recompute SLA results."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from waibao.contracts.models import IN_FORCE, Contract
from waibao.core import clock
from waibao.delivery import services
from waibao.lib import slamath


class Command(BaseCommand):
    help = "Recompute SLA results from the daily aggregates (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--contract")
        parser.add_argument("--period", action="append", help="2026-10 or 2026-Q4 (repeatable); default: all")
        parser.add_argument(
            "--rebuild", action="store_true", help="first rebuild daily aggregates from the records"
        )
        parser.add_argument("--open", action="store_true", help="only the current month and quarter")

    def handle(self, *args: Any, **opts: Any) -> None:
        qs = Contract.objects.filter(status__in=IN_FORCE)
        if opts["contract"]:
            qs = Contract.objects.filter(code=opts["contract"])
            if not qs.exists():
                raise CommandError(f"no contract {opts['contract']}")
        periods = opts["period"]
        if opts["open"]:
            today = clock.today()
            periods = [slamath.period_key(today, "month"), slamath.period_key(today, "quarter")]
        for period in periods or []:
            try:
                slamath.period_bounds(period)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        total = 0
        for contract in qs.order_by("code"):
            results = services.evaluate(
                contract=contract, actor="cli", periods=periods, rebuild=opts["rebuild"]
            )
            total += len(results)
            self.stdout.write(f"{contract.code}: {len(results)} results")
        self.stdout.write(self.style.SUCCESS(f"{total} results computed"))
