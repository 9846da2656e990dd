"""`waibao backup [--output FILE] [--keep N]` — one archive of the database and the uploaded files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from waibao.core import backup


class Command(BaseCommand):
    # An operator's tool: it must work even when a configuration check would fail.
    requires_system_checks: list[str] = []

    help = (
        "Write one archive (.tar.gz) with the database and every uploaded file, and a manifest of checksums "
        "and row counts. Safe while Waibao runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="where to write the archive (default: WAIBAO_BACKUP_DIR/waibao-<UTC time>.tar.gz)",
        )
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help="afterwards, delete all but the newest N archives named waibao-*.tar.gz in that folder",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        keep = opts.get("keep")
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        output = Path(opts["output"]) if opts.get("output") else None
        try:
            result = backup.create_backup(output, keep=keep)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(result.tables.values())
        self.stdout.write(
            f"Backup written: {result.path} ({backup.human_size(result.size)}): {result.engine} database with "
            f"{len(result.tables)} tables and {rows} rows, {result.files} uploaded files ({backup.human_size(result.file_bytes)})."
        )
        for path in result.pruned:
            self.stdout.write(f"Deleted old backup {path}")
