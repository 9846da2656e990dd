"""`waibao sweep_jobs` — fail background jobs whose process died (every app's sweeper, see core.jobs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waibao.core import jobs


class Command(BaseCommand):
    help = "Fail background jobs whose process is gone or whose lease expired, and clean up after them."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in jobs.sweep_all().items():
            if count:
                self.stdout.write(f"{name}: {count}" if count > 0 else f"{name}: sweep failed (see log)")
