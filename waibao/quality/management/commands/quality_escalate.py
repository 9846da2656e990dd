"""Escalate overdue 8D steps to the contract owner. Idempotent: each overdue step is escalated once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waibao.quality import services


class Command(BaseCommand):
    help = "Escalate overdue corrective-action (8D) steps to the contract owner (safe to run repeatedly)."

    def handle(self, *args: Any, **options: Any) -> None:
        steps = services.escalate_overdue(actor="system")
        self.stdout.write(f"escalated {len(steps)} overdue step(s)")
