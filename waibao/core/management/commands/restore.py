"""`waibao restore ARCHIVE` — check a backup, then load it into this (empty) installation."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from waibao.core import backup


class Command(BaseCommand):
    # An operator's tool: it must work even when a configuration check would fail.
    requires_system_checks: list[str] = []

    help = (
        "Restore a backup written by `waibao backup` into an empty installation (a new database and an empty "
        "media folder). Every file is checked against the manifest before anything is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="a .tar.gz written by `waibao backup`")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check the archive against its manifest; change nothing",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        archive = Path(opts["archive"])
        try:
            if opts["check"]:
                with tempfile.TemporaryDirectory(prefix=".waibao-check-") as work:
                    manifest = backup.unpack_verified(archive, Path(work))
                files = manifest["files"]
                self.stdout.write(
                    f"{archive} is complete: every member matches the manifest. Made {manifest['created_at']} "
                    f"by Waibao {manifest.get('waibao_version')}: {manifest['database']['engine']} database with "
                    f"{len(manifest['tables'])} tables and {sum(manifest['tables'].values())} rows, "
                    f"{len(files)} uploaded files ({backup.human_size(sum(f['size'] for f in files))})."
                )
                return
            result = backup.restore_backup(archive)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored the backup made {result.created_at}: {len(result.tables)} tables with "
            f"{sum(result.tables.values())} rows (every count matches the manifest) and {result.files} uploaded "
            f"files ({backup.human_size(result.file_bytes)})."
        )
        if result.migrate_needed:
            self.stdout.write(
                "The backup is from an earlier version: run `waibao migrate` before starting Waibao."
            )
