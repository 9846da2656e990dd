from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from waibao.accounts import services
from waibao.accounts.models import User


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="a label for the token")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        _token, raw = services.create_api_token(user=user, actor="cli", name=name)
        self.stdout.write(raw)
