import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from waibao.core.registry import SCHEDULE


class Command(BaseCommand):
    help = "Run the scheduled jobs (reminders, checks) in a loop. Each job is an idempotent command."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and stop")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        last: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for job in SCHEDULE:
                key = " ".join((job.command, *job.args))
                if once or now - last.get(key, -1e12) >= job.minutes * 60:
                    last[key] = now
                    close_old_connections()
                    try:
                        call_command(job.command, *job.args)
                    except Exception as exc:  # one failing job must not stop the others
                        self.stderr.write(f"scheduled job {key} failed: {exc}")
            if once:
                return
            time.sleep(30)
