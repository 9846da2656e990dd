"""Scan every contract's control charts and raise one early warning per new signal at the latest point."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waibao.quality import services


class Command(BaseCommand):
    help = "Statistical early warning: notify contract owners of new SPC signals (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        alerts = services.scan_spc(actor="system")
        self.stdout.write(f"raised {len(alerts)} new SPC warning(s)")
