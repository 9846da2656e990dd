"""``waibao send_reminders`` — renewal decisions, milestones due, price-index thresholds. Idempotent."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Send contract reminders (renewal decision due, milestones due, price index thresholds); idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Pretend today is this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        from waibao.contracts.reminders import send_reminders

        today = date.fromisoformat(options["date"]) if options.get("date") else None
        run = send_reminders(today, actor="cli")
        self.stdout.write(
            f"renewals={run.renewals} milestones={run.milestones} price_alerts={run.price_alerts} "
            f"notifications={run.notifications}"
        )
