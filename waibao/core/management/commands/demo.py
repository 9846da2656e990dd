from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from waibao.core import demo
from waibao.core.registry import DEMO


class Command(BaseCommand):
    help = "Load the demo company, users and data. Safe to run again: what exists is left alone."

    def handle(self, *args: Any, **options: Any) -> None:
        ctx: dict[str, Any] = {}
        # Demo notifications are stored in the notification centre, not mailed to anyone.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
            demo.company(ctx)
            for step in DEMO:
                self.stdout.write(f"demo: {step.name}")
                step.run(ctx)
            demo.vendor_users(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000 with:"))
        for username, password, label in demo.logins():
            self.stdout.write(f"  {username:<10} {password}   {label}")
