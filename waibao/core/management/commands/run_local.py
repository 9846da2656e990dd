"""`make run`: the web server plus the background worker and the scheduler, for one machine."""

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from waibao.core import demo


class Command(BaseCommand):
    help = "Serve Waibao locally with its background worker and scheduled jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: Any, addr: str, **options: Any) -> None:
        exe = [sys.executable, "-m", "waibao.manage"]
        env = dict(os.environ)
        children = [
            subprocess.Popen([*exe, "db_worker", "--interval", "1"], env=env),
            subprocess.Popen([*exe, "run_scheduler"], env=env),
        ]
        self.stdout.write(self.style.SUCCESS(f"\nWaibao is starting on http://{addr}/  (Ctrl+C to stop)"))
        self.stdout.write("Demo logins (username / password / role):")
        for username, password, label in demo.logins():
            self.stdout.write(f"  {username:<10} {password}   {label}")
        if settings.EMAIL_FILE_PATH and not settings.EMAIL_HOST:
            self.stdout.write(f"E-mail is not sent: each message is written to a file in {settings.EMAIL_FILE_PATH}/")
        self.stdout.write("")
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            for child in children:
                child.terminate()
