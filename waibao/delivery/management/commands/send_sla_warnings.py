"""`waibao send_sla_warnings` — early warnings to contract owners (idempotent; scheduled hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waibao.delivery import services


class Command(BaseCommand):
    help = "Notify contract owners of open-period SLA metrics at risk or breached (each once)."

    def handle(self, *args: Any, **opts: Any) -> None:
        sent = services.send_sla_warnings()
        self.stdout.write(f"{sent} warnings sent")
