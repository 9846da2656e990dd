"""Open one nonconformance per missed SLA result of a closed period. Idempotent: a result that already
has its NCR (opened here or by hand from the SLA breaches page) is skipped."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waibao.quality import services


class Command(BaseCommand):
    help = "Open a nonconformance for each missed SLA result of a closed period (safe to run repeatedly)."

    def handle(self, *args: Any, **options: Any) -> None:
        opened = services.open_ncrs_for_closed_breaches(actor="system")
        self.stdout.write(f"opened {len(opened)} nonconformance(s) for SLA breaches")
