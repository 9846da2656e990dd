"""`waibao import_records --contract CT-2026-0001 FILE` — the same path as the web import, with a progress bar."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from waibao.contracts.models import Contract
from waibao.core.errors import DomainError
from waibao.delivery import ingest, rows, services


class Command(BaseCommand):
    help = "Import service records from a .csv/.xlsx file into a contract (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--contract", required=True, help="contract code, e.g. CT-2026-0001")
        parser.add_argument(
            "--valid-rows", action="store_true", help="import the valid rows even if some are bad"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="map a column (repeatable); saved for the contract",
        )
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="one value of kind, priority, category or status for every row (repeatable), e.g. kind=ticket",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        contract = Contract.objects.filter(code=opts["contract"]).first()
        if contract is None:
            raise CommandError(f"no contract {opts['contract']}")
        columns = [m.split("=", 1) for m in opts["map"]]
        constants = [m.split("=", 1) for m in opts["set"]]
        if any(len(p) != 2 for p in columns + constants):
            raise CommandError("--map takes HEADER=FIELD and --set FIELD=VALUE")
        mapping = {p[0]: p[1] for p in columns}
        mapping.update({rows.CONSTANT + f.strip(): v.strip() for f, v in constants})
        total = None
        try:
            # the size limit before a byte is read (the same rule as the page and the API)
            services.check_import_size(actor="cli", size=os.path.getsize(opts["file"]))
            src = ingest.open_source(opts["file"], opts["file"])
            total = src.total
            if src.close is not None:
                src.close()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"cannot read {opts['file']}: {exc.strerror}") from exc
        bar = tqdm(
            total=total, unit="rows", disable=not self.stdout.isatty() and opts.get("verbosity", 1) < 2
        )
        try:
            job = services.import_path(
                contract=contract,
                actor="cli",
                path=opts["file"],
                policy="valid_rows" if opts["valid_rows"] else "all_or_nothing",
                mapping=mapping or None,
                progress=bar.update,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bar.close()
        job.refresh_from_db()
        self.stdout.write(
            f"job #{job.pk} {job.status}: new {job.count_new}, updated {job.count_updated}, "
            f"unchanged {job.count_unchanged}, rejected {job.count_rejected} ({job.rows_per_second:.0f} rows/s)"
        )
        summary = job.summary or {}
        for note in summary.get("notes", []):
            self.stdout.write(f"  {note}")
        # Errors once per rule, with a count and the first rows; every row is in the error file.
        for group in summary.get("groups", []):
            self.stdout.write(f"  {ingest.group_line(group)}")
        if job.error_file:
            self.stdout.write(f"error file: {job.error_file.path}")
        if job.status != "succeeded":
            raise CommandError(job.message or job.status)
