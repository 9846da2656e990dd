"""``waibao expire_contracts`` — end-of-term handling: fixed-term contracts expire, auto-renew ones roll
forward one term, evergreen ones are left alone. Idempotent; run it daily (or hourly)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Expire fixed-term contracts past their end date and renew auto-renew ones; idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Pretend today is this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        from waibao.contracts.services import handle_end_of_term

        today = date.fromisoformat(options["date"]) if options.get("date") else None
        run = handle_end_of_term(today=today, actor="system")
        self.stdout.write(
            f"expired={len(run.expired)} renewed={len(run.renewed)} failed={len(run.failed)}"
            + (f" ({', '.join(run.failed)})" if run.failed else "")
        )
