"""The one storage path for service records: validate → stage → merge in one transaction.

Phase 1 (many short transactions): rows are validated — CSV files column-wise (``delivery.columnar``,
which takes the rows whose every cell has a plain form and hands the others on), every other row by
``rows.clean_row`` through :class:`Preparer` (in forked worker processes for .xlsx files of several
chunks — see :func:`_prepared`) — compared with the stored records (new / updated / unchanged), checked
for duplicates inside the file (via the staging table's unique key, so memory does not grow with the
file), and written to :class:`StagedRecord` together with the job's progress (one executemany per chunk
on SQLite, COPY on PostgreSQL). The aggregate differences are summed in memory (metrics × days, not
rows). Rejected rows go to the error file. Cancel is checked between chunks.

Phase 2 (one transaction): records are upserted from the staging table with one INSERT … SELECT …
ON CONFLICT statement (SQLite and PostgreSQL), the aggregate deltas merged, the affected results
recomputed, the staging rows deleted, the job marked succeeded. A crash or cancel before the commit
leaves no record, aggregate or result changed; left-over staging rows are never read as data.

The process running a job holds its lease (``core.jobs``): claimed when the job starts, renewed with
each chunk's progress and by a background thread meanwhile. A job whose process died is failed and its
staging rows removed by whoever notices (``services.end_dead_job``); a process that finds its job taken
from it (:class:`Lost`) stops without touching it. The merge extends the lease inside its own
transaction, so a long merge is never taken for dead by another host, and a merge that dies with its
process leaves the lease as it was.

Limits (``core.limits``): the rows are counted as they stream; the row after the limit stops the import.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import itertools
import json
import logging
import multiprocessing
import os
import tempfile
import time as _time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from django.core.files import File
from django.db import connection, transaction
from django.db.models import Field, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from waibao.contracts.models import Contract, RecordKind
from waibao.contracts.selectors import csat_scale
from waibao.core import audit, clock, jobs
from waibao.core.errors import DomainError
from waibao.core.limits import ImportLimits, limited_rows
from waibao.delivery import engine, rows
from waibao.delivery.models import ImportJob, ImportPolicy, JobStatus, ServiceRecord, StagedRecord
from waibao.lib import spreadsheets
from waibao.lib.spreadsheets import csv_text

if TYPE_CHECKING:  # polars (~35 MB) is loaded only by a process that imports a CSV file
    from waibao.delivery import columnar

CHUNK = 10000
#: CSV files are prepared column-wise (``delivery.columnar``) when this is on; tests compare both ways.
COLUMNAR = True
PREVIEW = 200
STAGE_COLS = (
    "job_id",
    "row",
    "external_id",
    "action",
    "old_fingerprint",
    "kind",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "promised_at",
    "delivered_at",
    "priority",
    "category",
    "status",
    "csat",
    "defect",
    "pauses",
    "custom",
    "day",
    "fingerprint",
)
DATA_COLS = (
    "external_id",
    "kind",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "promised_at",
    "delivered_at",
    "priority",
    "category",
    "status",
    "csat",
    "defect",
    "pauses",
    "custom",
    "day",
    "fingerprint",
)
EXISTING_COLS = ("id", *engine.RECORD_VALUE_FIELDS[1:], "fingerprint")


class Cancelled(Exception):
    pass


class Lost(Exception):
    """The job was taken from this process (failed by someone who found its lease expired)."""


#: How long the merge's own transaction holds the lease: it cannot be renewed while the merge runs,
#: and is rolled back with the transaction if the process dies.
MERGE_LEASE_SECONDS = 6 * 3600

log = logging.getLogger(__name__)


def claim(job: ImportJob) -> bool:
    """Take a queued job (or one this process already holds) for this process: running, leased."""
    now = clock.now()
    mine = str(jobs.this_process())
    qs = ImportJob.objects.filter(pk=job.pk, cancel_requested=False).filter(
        Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, lease_owner=mine)
    )
    if not jobs.claim(qs, status=JobStatus.RUNNING, started_at=now, heartbeat_at=now):
        return False
    job.status, job.started_at, job.heartbeat_at, job.lease_owner = JobStatus.RUNNING, now, now, mine
    return True


def _still_ours(job: ImportJob) -> None:
    """Between chunks: stop on a cancel, or when the job is no longer this process's."""
    row = ImportJob.objects.filter(pk=job.pk).values("status", "cancel_requested", "lease_owner").first()
    if row is None or row["status"] != JobStatus.RUNNING or row["lease_owner"] != job.lease_owner:
        raise Lost
    if row["cancel_requested"]:
        raise Cancelled


def failure(exc: BaseException) -> tuple[str, str]:
    """(status, message) for an import stopped by ``exc``: a broken rule or a file that cannot be read
    is the file's (rejected, the rule named); anything else failed. Never the exception's own text: it is
    a library's, in English."""
    if isinstance(exc, DomainError):
        return JobStatus.REJECTED, exc.message
    unreadable = reading_error(exc)
    if unreadable:
        return JobStatus.REJECTED, _("%(rule)s未导入任何数据。") % {"rule": unreadable}
    if isinstance(exc, MemoryError):
        return JobStatus.FAILED, _("服务器内存不足，导入已停止，未导入任何数据。请拆分文件后分批导入。")
    if isinstance(exc, OSError):
        return JobStatus.FAILED, _("导入的文件已不存在或无法读取，未导入任何数据。请重新上传。")
    from django.db import DatabaseError

    if isinstance(exc, DatabaseError):
        return JobStatus.FAILED, _("数据库出错，导入已停止，未导入任何数据。请稍后重新导入。")
    return JobStatus.FAILED, _(
        "导入时发生意外错误，未导入任何数据。错误已记入服务器日志；请稍后重新导入，或联系管理员。"
    )


class NulInFile(csv.Error):
    """A NUL character in a CSV file (Python's csv reads it; the databases must not get it)."""

    def __init__(self, row: int) -> None:
        super().__init__(f"NUL in row {row}")
        self.row = row


def reading_error(exc: BaseException) -> str:
    """The rule a file broke, when ``exc`` comes from reading it (csv, openpyxl, zip, XML); "" if not."""
    import zipfile
    from xml.etree.ElementTree import ParseError

    if isinstance(exc, UnicodeDecodeError):
        return _("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码。")
    if isinstance(exc, NulInFile):
        return _("CSV 文件第 %(row)s 行含有空字符（NUL）：不是纯文本文件，或已损坏。") % {
            "row": f"{exc.row:,}"
        }
    if isinstance(exc, csv.Error):
        text = str(exc)
        if "field larger than field limit" in text:
            return _("CSV 文件中有单元格超过 %(n)s 个字符的上限。") % {"n": f"{csv.field_size_limit():,}"}
        if "NUL" in text:
            return _("CSV 文件含有空字符（NUL），不是纯文本文件，或已损坏。")
        return _("CSV 文件格式有误（引号不成对，或换行出现在未加引号的单元格中），无法读取。")
    excel_errors: tuple[type[BaseException], ...] = (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError)
    with contextlib.suppress(ImportError):
        from openpyxl.utils.exceptions import InvalidFileException

        excel_errors += (InvalidFileException,)
    with contextlib.suppress(ImportError):
        from lxml.etree import XMLSyntaxError

        excel_errors += (XMLSyntaxError,)
    if isinstance(exc, excel_errors):
        return _("Excel 文件已损坏或内容不完整，无法读取。请在 Excel 中打开并另存为 .xlsx 后再导入。")
    return ""


@dataclass
class Outcome:
    job: ImportJob
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    periods: set[str] = field(default_factory=set)
    #: ``{"groups": ErrorSink.summary(), "notes": [sentence, ...]}`` (also stored as ``job.summary``)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class KindDefault:
    """The record kind a row without one gets: the one allowed kind the contract's metrics measure, if
    there is exactly one. A metric's kind that is not an allowed kind (free text stored before kinds were
    chosen from a list, e.g. ``case``) is never used — every row would fail on it — and is reported once
    (``ignored``: (metric name, kind))."""

    kind: str
    ignored: list[tuple[str, str]]


def kind_default(contract: Contract) -> KindDefault:
    allowed = set(RecordKind.values)
    measured = list(contract.sla_metrics.exclude(record_kind="").values_list("name", "record_kind"))
    kinds = {k for _n, k in measured if k in allowed}
    return KindDefault(
        kinds.pop() if len(kinds) == 1 else "", [(n, k) for n, k in measured if k not in allowed]
    )


def ignored_kind_note(default: KindDefault) -> str:
    """One sentence about the metrics' kinds that were not used (empty when there are none)."""
    if not default.ignored:
        return ""
    return _(
        "指标的记录类型不在允许的类型中，导入时未用作默认类型：%(m)s。请在合同中为这些指标选择记录类型。"
    ) % {
        "m": rows.join_words([_("%(name)s（%(kind)s）") % {"name": n, "kind": k} for n, k in default.ignored])
    }


def row_context(contract: Contract, default: KindDefault | None = None) -> rows.RowContext:
    from django.conf import settings

    custom = contract.custom_fields if isinstance(contract.custom_fields, dict) else {}
    if default is None:
        default = kind_default(contract)
    return rows.RowContext(
        frozenset(RecordKind.values),
        {k: str(v) for k, v in custom.items()},
        settings.TIME_ZONE,
        default_kind=default.kind,
        kind_labels=dict(RecordKind.choices),
        csat_scale=csat_scale(contract),
    )


#: Row numbers kept per error group (the error file has them all), and how many groups are kept.
GROUP_ROWS = 5
MAX_GROUPS = 50


class ErrorSink:
    """Collects (row, column, rule, original values) into a CSV file, a short preview, and the errors
    grouped by (column, rule) with a count and the first rows — so that 3,786 rows failing for one
    reason are reported once.

    An error is ``(field, rule)`` or ``(field, rule, group rule)`` when the rule's text names something
    particular to the row (another row's number) and the group should not."""

    def __init__(self, headers: list[str]) -> None:
        self.headers = headers
        self.count = 0
        self.rows_rejected = 0
        self.preview: list[list[Any]] = []
        #: (column, rule) → [rows, first row numbers]
        self.groups: dict[tuple[str, str], list[Any]] = {}
        self.ungrouped = 0
        fd, self.path = tempfile.mkstemp(suffix=".csv", prefix="waibao-errors-")
        self.fh = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.fh)
        self.writer.writerow([csv_text(v) for v in (_("行"), _("列"), _("规则"), *headers)])

    def add(
        self,
        rownum: int,
        raw: Mapping[str, Any],
        errors: list[tuple[str, ...]],
        column_of: Callable[[str], str],
    ) -> None:
        self.rows_rejected += 1
        original = [raw.get(h, "") for h in self.headers]
        for error in errors:
            fname, rule = error[0], error[1]
            self.count += 1
            col = column_of(fname)
            # the row's own text goes back to the uploader: formula-looking cells stay text
            self.writer.writerow([csv_text(v) for v in (rownum, col, rule, *original)])
            if len(self.preview) < PREVIEW:
                self.preview.append([rownum, col, rule])
            key = (col, error[2] if len(error) > 2 else rule)
            group = self.groups.get(key)
            if group is None:
                if len(self.groups) >= MAX_GROUPS:
                    self.ungrouped += 1
                    continue
                group = self.groups[key] = [0, []]
            if not group[1] or group[1][-1] != rownum:
                group[0] += 1
                if len(group[1]) < GROUP_ROWS:
                    group[1].append(rownum)

    def summary(self) -> list[dict[str, Any]]:
        """The groups, largest first: ``{"column", "rule", "rows", "first_rows"}``."""
        ordered = sorted(self.groups.items(), key=lambda kv: (-kv[1][0], kv[1][1][:1]))
        out = [
            {"column": col, "rule": rule, "rows": n, "first_rows": first}
            for (col, rule), (n, first) in ordered
        ]
        if self.ungrouped:
            out.append(
                {"column": "", "rule": _("其他错误（见错误文件）"), "rows": self.ungrouped, "first_rows": []}
            )
        return out

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.close()

    def discard(self) -> None:
        self.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def _first_rows(group: Mapping[str, Any]) -> str:
    first = [f"{r:,}" for r in group.get("first_rows") or []]
    return rows.join_words(first) + (" …" if first and group["rows"] > len(first) else "")


def group_line(group: Mapping[str, Any]) -> str:
    """One error group as a sentence: ``3,786 行 · 类型：记录类型“case”不在允许的类型中（第 2、3、4 … 行）``."""
    text = ngettext("%(n)s 行", "%(n)s 行", group["rows"]) % {"n": f"{group['rows']:,}"}
    if group.get("column"):
        text += " · " + str(group["column"])
    text += _("：") + str(group["rule"])
    if group.get("first_rows"):
        text += _("（第 %(rows)s 行）") % {"rows": _first_rows(group)}
    return text


def display_groups(job: ImportJob) -> list[dict[str, str]]:
    """The job's error groups for a table: count, column, rule, first rows — all as text."""
    return [
        {
            "count": f"{g['rows']:,}",
            "column": str(g.get("column") or ""),
            "rule": str(g["rule"]),
            "first": _first_rows(g),
        }
        for g in (job.summary or {}).get("groups", [])
    ]


#: Staging data columns of a row that carries no values (rejected, unchanged).
EMPTY_DATA: tuple[Any, ...] = ("", None, None, None, None, None, "", "", "", None, None, "[]", "{}", None, "")


def data_params(v: dict[str, Any], sqlite: bool) -> tuple[Any, ...]:
    """A cleaned row → the staging INSERT's data columns (``DATA_COLS`` after external_id). SQLite stores
    naive UTC text (what Django's SQLite backend writes); PostgreSQL takes aware datetimes and dates."""
    stamps: list[Any]
    if sqlite:
        # parse_instant() gives UTC; the same text Django's SQLite backend would write.
        stamps = [
            None if t is None else t.replace(tzinfo=None).isoformat(" ")
            for t in (
                v["opened_at"],
                v["first_response_at"],
                v["resolved_at"],
                v["promised_at"],
                v["delivered_at"],
            )
        ]
        day: Any = v["day"].isoformat()
    else:
        stamps = [
            v["opened_at"],
            v["first_response_at"],
            v["resolved_at"],
            v["promised_at"],
            v["delivered_at"],
        ]
        day = v["day"]
    p, c = v["pauses"], v["custom"]
    return (
        v["kind"], *stamps, v["priority"], v["category"], v["status"], v["csat"], v["defect"],
        json.dumps(p) if p else "[]", json.dumps(c, ensure_ascii=False) if c else "{}", day, v["fingerprint"],
    )  # fmt: skip


def _stage(batch: list[tuple[Any, ...]]) -> None:
    """Insert staged rows (parameter tuples: ``STAGE_COLS``) in one executemany, or one
    COPY on PostgreSQL."""
    if not batch:
        return
    table = StagedRecord._meta.db_table
    if connection.vendor == "postgresql":
        _copy_rows(table, STAGE_COLS, batch)
        return
    # Table and column names come from our own model, never from input.
    sql = f"INSERT INTO {table} ({', '.join(STAGE_COLS)}) VALUES ({', '.join(['%s'] * len(STAGE_COLS))})"  # noqa: S608
    with connection.cursor() as cur:
        cur.executemany(sql, batch)


def _copy_rows(table: str, cols: tuple[str, ...], batch: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the rows in (psycopg 3 adapts each value as for a normal query)."""
    connection.ensure_connection()
    with connection.cursor() as cur:
        raw = cur.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:  # our own names
            for row in batch:
                copy.write_row(row)


LOOKUP = 5000


def _existing(contract: Contract, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Stored records of these external ids (only the columns the comparison and deltas need), read
    with raw SQL in large batches but converted exactly as the ORM would."""
    table = ServiceRecord._meta.db_table
    readers = []
    for name in EXISTING_COLS:
        f = cast("Field[Any, Any]", ServiceRecord._meta.get_field(name))
        col = f.get_col(table)
        readers.append(
            (f.attname, col, connection.ops.get_db_converters(col) + f.get_db_converters(connection))  # type: ignore[attr-defined]
        )
    found: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cur:
        for i in range(0, len(ids), LOOKUP):
            part = ids[i : i + LOOKUP]
            cur.execute(
                f"SELECT {', '.join(c.target.column for _n, c, _v in readers)} FROM {table} "  # noqa: S608
                f"WHERE contract_id = %s AND external_id IN ({', '.join(['%s'] * len(part))})",
                [contract.pk, *part],
            )
            for row in cur.fetchall():
                values = {}
                for (name, col, convs), raw in zip(readers, row, strict=True):
                    for conv in convs:
                        raw = conv(raw, col, connection)
                    values[name] = raw
                found[values["external_id"]] = values
    return found


def _staged_before(job: ImportJob, ids: list[str]) -> dict[str, int]:
    """External ids of this chunk already staged by earlier chunks of the job (duplicates in the file)."""
    table = StagedRecord._meta.db_table
    found: dict[str, int] = {}
    with connection.cursor() as cur:
        for i in range(0, len(ids), LOOKUP):
            part = ids[i : i + LOOKUP]
            cur.execute(
                f"SELECT external_id, row FROM {table} WHERE job_id = %s "  # noqa: S608 - our own names
                f"AND external_id IN ({', '.join(['%s'] * len(part))})",
                [job.pk, *part],
            )
            found.update(cur.fetchall())
    return found


def _chunks(
    items: Iterable[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


#: One prepared row: (external id, errors, day, fingerprint, observations, staging data columns).
Prepared = tuple[
    str, list[tuple[str, str]], date | None, str, list[tuple[int, str, engine.Obs]], tuple[Any, ...]
]


@dataclass
class Preparer:
    """Everything the per-row work needs, none of it touching the database: column mapping, row context,
    the contract's compiled terms (preloaded) and the database flavour of the staging values."""

    mapping: Mapping[str, str] | None
    ctx: rows.RowContext
    cache: engine.TermsCache
    sqlite: bool

    def rows(self, chunk: list[tuple[int, dict[str, Any]]]) -> list[Prepared]:
        """Validate, fingerprint and observe each row (the pure part of the import, any process)."""
        out: list[Prepared] = []
        tz = self.ctx.tz
        for _rownum, raw in chunk:
            fields = rows.apply_mapping(raw, self.mapping) if self.mapping is not None else raw
            values, errors = rows.clean_row(fields, self.ctx)
            if errors:
                out.append((values["external_id"], errors, None, "", [], EMPTY_DATA))
                continue
            day = values["day"] = rows.record_day(values, tz)
            fp = values["fingerprint"] = rows.fingerprint(values)
            observed = engine.observe_all(self.cache.runners_for_day(day), values)
            out.append((values["external_id"], errors, day, fp, observed, data_params(values, self.sqlite)))
        return out


_WORKER_PREPARER: Preparer | None = None


def _prepare_in_worker(chunk: list[tuple[int, dict[str, Any]]]) -> list[Prepared]:
    assert _WORKER_PREPARER is not None
    return _WORKER_PREPARER.rows(chunk)


def import_workers() -> int:
    from django.conf import settings

    return max(1, int(getattr(settings, "WAIBAO_IMPORT_WORKERS", 1)))


def _prepared(
    source_rows: Iterable[tuple[int, dict[str, Any]]], preparer: Preparer, workers: int
) -> Iterator[tuple[list[tuple[int, dict[str, Any]]], list[Prepared]]]:
    """Chunks of rows with their prepared rows, in file order.

    With more than one worker and more than one chunk, the pure per-row work runs in forked worker
    processes (at most ``workers + 1`` chunks in flight, so memory stays flat); the caller does what
    needs the database. The workers inherit the preparer (compiled terms included) and never touch the
    database; they are stopped when the caller stops iterating, whatever the reason.
    """
    global _WORKER_PREPARER
    chunks = _chunks(source_rows, CHUNK)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            yield chunk, preparer.rows(chunk)
        return
    first = next(chunks, None)
    second = next(chunks, None)
    if first is None or second is None:  # one chunk: not worth starting processes
        if first is not None:
            yield first, preparer.rows(first)
        return
    _WORKER_PREPARER = preparer
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        pending: deque[tuple[list[tuple[int, dict[str, Any]]], Any]] = deque()
        for chunk in itertools.chain([first, second], chunks):
            pending.append((chunk, pool.apply_async(_prepare_in_worker, (chunk,))))
            if len(pending) > workers:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()
    finally:
        pool.terminate()
        pool.join()
        _WORKER_PREPARER = None


@dataclass
class Chunk:
    """One chunk of input, prepared: ``rows[i]`` is (row number, original values or None), ``slow[i]``
    the row path's result for the rows prepared one at a time, ``fast`` the columnar path's frame for
    the others (``columnar.FastChunk.frame``, its ``_i`` column being the position ``i``)."""

    rows: list[tuple[int, Any]]
    slow: dict[int, Prepared]
    fast: Any = None  # a polars DataFrame or None

    def original(self, i: int, headers: list[str]) -> dict[str, Any]:
        raw = self.rows[i][1]
        return raw if isinstance(raw, dict) else dict(zip(headers, raw, strict=False))


def _row_chunks(
    source_rows: Iterable[tuple[int, dict[str, Any]]], preparer: Preparer, workers: int
) -> Iterator[Chunk]:
    prepared_chunks = _prepared(source_rows, preparer, workers)
    with contextlib.closing(prepared_chunks):  # type: ignore[type-var]  # a generator has close()
        for chunk, prepared in prepared_chunks:
            yield Chunk(list(chunk), dict(enumerate(prepared)))


def _table_chunks(
    table: Iterable[tuple[int, list[str]]],
    plan: columnar.ColumnarPlan,
    preparer: Preparer,
    headers: list[str],
) -> Iterator[Chunk]:
    """CSV rows as lists of cells, prepared column-wise; the rows the columnar path leaves go row by row."""
    batch: list[tuple[int, list[str]]] = []
    for item in itertools.chain(table, [None]):
        if item is not None:
            batch.append(item)
            if len(batch) < CHUNK:
                continue
        if not batch:
            break
        fast = plan.prepare(plan.frame(batch))
        slow_rows = [(batch[i][0], dict(zip(headers, batch[i][1], strict=False))) for i in fast.slow]
        prepared = preparer.rows(slow_rows)
        yield Chunk(list(batch), dict(zip(fast.slow, prepared, strict=True)), fast.frame)
        batch = []


def run(
    job: ImportJob,
    source_rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    headers: list[str],
    mapping: Mapping[str, str] | None,
    actor: Any,
    progress: Callable[[int], None] | None = None,
    fail_at_merge: bool = False,
    workers: int | None = None,
    table: Iterable[tuple[int, list[str]]] | None = None,
    limits: ImportLimits | None = None,
) -> Outcome:
    """Run one import job over ``(row number, {header or field: value})`` rows. See the module doc.

    ``mapping`` None means the rows are already keyed by field name (API, manual entry). ``workers``
    overrides ``WAIBAO_IMPORT_WORKERS`` (1 = everything in this process). ``table`` is the same rows as
    ``(row number, [cells in header order])`` (CSV files): with it, chunks are prepared column-wise
    (``delivery.columnar``) unless ``COLUMNAR`` is off or the contract's metrics need the row path.
    ``limits`` stops the import at the row after ``limits.max_rows`` (rejected, nothing stored).
    Returns the finished job (status succeeded / rejected / cancelled / failed) and, for small jobs, the
    errors. A file that cannot be read, or breaks a limit, rejects the job with the rule named; other
    exceptions mark the job failed (a message in the uploader's language, never the exception's text),
    clean the staging rows and are re-raised. The job must be queued (or held by this process).
    """
    contract = job.contract
    cache = engine.TermsCache(contract).preload()
    sqlite = connection.vendor == "sqlite"
    default = kind_default(contract)
    preparer = Preparer(mapping, row_context(contract, default), cache, sqlite)
    plan = None
    if table is not None and COLUMNAR:
        from waibao.delivery import columnar

        plan = columnar.ColumnarPlan(headers, mapping, preparer.ctx, cache, sqlite)
    deltas = engine.Deltas()
    sink = ErrorSink(headers)
    columns, constants = rows.split_mapping(mapping or {})
    reverse = {v: k for k, v in columns.items() if v}

    def column_of(fname: str) -> str:
        """The file's column of a field; a field no column gives is named as people call it."""
        name = "paused" if fname == "pauses" else fname
        if name in reverse:
            return reverse[name]
        if mapping is None:  # rows keyed by field name (the batch API): the name the client sent
            return fname
        if name in constants:
            return rows.field_label(name) + _("（固定值）")
        return rows.field_label(name)

    notes = []
    if default.ignored and (mapping is None or ("kind" not in reverse and "kind" not in constants)):
        notes.append(ignored_kind_note(default))

    if limits is not None:
        source_rows = limited_rows(source_rows, limits)
        if table is not None:
            table = limited_rows(table, limits)
    started = _time.monotonic()
    if not claim(job):
        sink.discard()
        raise DomainError(_("导入任务当前状态不允许此操作。"), code="invalid_state", status=409)
    done = new = updated = same = 0
    outcome = Outcome(job)
    job_id = job.pk
    # With no stored record at the start there is nothing to compare with; a record someone adds meanwhile
    # is found by the merge's conflict check, which then rebuilds the days concerned.
    had_records = ServiceRecord.objects.filter(contract=contract).exists()
    staged_any = False
    gc_was_on = gc.isenabled()
    # The import allocates millions of short-lived objects but makes no reference cycles worth chasing;
    # the cyclic collector's full passes over a large process cost more than the import's own work.
    gc.disable()
    try:
        if plan is not None and table is not None and plan.usable:
            chunks: Iterator[Chunk] = _table_chunks(table, plan, preparer, headers)
        else:
            chunks = _row_chunks(source_rows, preparer, workers or import_workers())
        with contextlib.closing(chunks), jobs.keep_alive(ImportJob, job.pk):  # type: ignore[type-var]
            for chunk in chunks:
                _still_ours(job)
                size = len(chunk.rows)
                ext_of: list[str] = [""] * size
                positions: list[int] = []
                if chunk.fast is not None:
                    positions = chunk.fast["_i"].to_list()
                    for i, ext in zip(positions, chunk.fast["external_id"].to_list(), strict=True):
                        ext_of[i] = ext
                for i, prepared in chunk.slow.items():
                    ext_of[i] = prepared[0]
                ids = [e for e in ext_of if e]
                before = _staged_before(job, ids) if staged_any else {}
                existing = _existing(contract, ids) if had_records else {}
                fast_fp: dict[int, str] = {}
                if existing and positions:
                    fast_fp = dict(zip(positions, chunk.fast["fingerprint"].to_list(), strict=True))
                in_chunk: dict[str, int] = {}
                batch: list[tuple[Any, ...]] = []
                fast_actions: dict[int, tuple[str, str]] = {}
                for i in range(size):
                    rownum = chunk.rows[i][0]
                    ext = ext_of[i]
                    p = chunk.slow.get(i)
                    errors: list[tuple[str, ...]] = list(p[1]) if p is not None else []
                    if ext:
                        first = before.get(ext) or in_chunk.get(ext)
                        if first is not None:
                            errors.append((
                                "external_id",
                                _("与第 %(r)s 行的记录编号重复。") % {"r": first},
                                _("记录编号与前面的行重复。"),
                            ))  # fmt: skip
                            # the duplicate is not staged: the first occurrence keeps the key
                        else:
                            in_chunk[ext] = rownum
                    if errors:
                        sink.add(rownum, chunk.original(i, headers), errors, column_of)
                        if ext and in_chunk.get(ext) == rownum:
                            batch.append((job_id, rownum, ext, "r", "", *EMPTY_DATA))
                        continue
                    old = existing.get(ext)
                    if p is None:  # a fast row: its data and observations are added column-wise below
                        if old is None:
                            new += 1
                            fast_actions[i] = ("n", "")
                        elif old["fingerprint"] == fast_fp[i]:
                            same += 1
                            batch.append((job_id, rownum, ext, "s", old["fingerprint"], *EMPTY_DATA))
                        else:
                            updated += 1
                            deltas.add(cache.runners_for_day(old["day"]), old, old["day"], -1)
                            fast_actions[i] = ("u", old["fingerprint"])
                        continue
                    _ext, _found, day, fp, observed, data = p
                    assert day is not None
                    if old is None:
                        new += 1
                        deltas.add_observed(observed, day, +1)
                        batch.append((job_id, rownum, ext, "n", "", *data))
                    elif old["fingerprint"] == fp:
                        same += 1
                        batch.append((job_id, rownum, ext, "s", old["fingerprint"], *EMPTY_DATA))
                    else:
                        updated += 1
                        deltas.add(cache.runners_for_day(old["day"]), old, old["day"], -1)
                        deltas.add_observed(observed, day, +1)
                        batch.append((job_id, rownum, ext, "u", old["fingerprint"], *data))
                counted = None
                if fast_actions:
                    assert plan is not None
                    counted = _fast_staged(chunk, fast_actions, job_id)
                    plan.observations(counted, deltas)
                done += size
                elapsed = max(_time.monotonic() - started, 1e-6)
                with transaction.atomic():
                    if connection.vendor == "postgresql":
                        # Staging rows and progress need not survive a crash (the job then fails and
                        # stores nothing): no waiting for the disk at each chunk's commit.
                        with connection.cursor() as cur:
                            cur.execute("SET LOCAL synchronous_commit TO OFF")
                    _stage(batch)
                    if counted is not None:
                        _stage_frame(counted)
                    if not jobs.renew(
                        ImportJob,
                        job.pk,
                        rows_done=done,
                        rows_per_second=done / elapsed,
                        count_new=new,
                        count_updated=updated,
                        count_unchanged=same,
                        count_rejected=sink.rows_rejected,
                        error_count=sink.count,
                        heartbeat_at=clock.now(),
                    ):
                        raise Lost
                staged_any = staged_any or bool(batch) or counted is not None
                job.rows_done, job.count_new, job.count_updated, job.count_unchanged = (
                    done,
                    new,
                    updated,
                    same,
                )
                job.count_rejected, job.error_count = sink.rows_rejected, sink.count
                if progress:
                    progress(size)
        sink.close()
        job.rows_done, job.count_new, job.count_updated, job.count_unchanged = done, new, updated, same
        job.count_rejected, job.error_count, job.errors_preview = sink.rows_rejected, sink.count, sink.preview
        outcome.errors = [(r, c, m) for r, c, m in sink.preview]
        groups = sink.summary()
        if done == 0:
            sink.count += 1
            job.error_count = sink.count
            job.errors_preview = [[1, "", _("文件中没有数据行。")]]
            outcome.errors = [(1, "", _("文件中没有数据行。"))]
            groups = [{"column": "", "rule": _("文件中没有数据行。"), "rows": 0, "first_rows": []}]
        job.summary = outcome.summary = {"groups": groups, "notes": notes}
        if job.rows_total is None:  # a workbook that does not state its size: now it is known
            job.rows_total = done
        if sink.count and job.policy == ImportPolicy.ALL_OR_NOTHING:
            job.count_new = job.count_updated = job.count_unchanged = 0  # nothing was stored
            _finish(
                job,
                JobStatus.REJECTED,
                sink,
                actor,
                _("发现 %(n)s 处错误，未导入任何数据。") % {"n": sink.count},
            )
            return outcome
        outcome.periods = _merge(job, deltas, actor, fail_at_merge=fail_at_merge)
        _finish(job, JobStatus.SUCCEEDED, sink, actor, "")
        return outcome
    except Cancelled:
        _finish(job, JobStatus.CANCELLED, sink, actor, _("已取消，未导入任何数据。"))
        return outcome
    except Lost:
        # Someone took this job for dead and failed it (and removed its staging rows): leave it so.
        StagedRecord.objects.filter(job_id=job.pk).delete()
        job.refresh_from_db()
        return outcome
    except Exception as exc:
        status, message = failure(exc)
        if status == JobStatus.FAILED:
            log.exception("import job #%s failed", job.pk)
        job.count_new = job.count_updated = job.count_unchanged = 0
        _finish(job, status, sink, actor, message)
        if status == JobStatus.FAILED:
            raise
        return outcome
    except BaseException:  # KeyboardInterrupt, SystemExit: the process is going away
        _finish(job, JobStatus.FAILED, sink, actor, _("导入进程被停止，未导入任何数据；可重新导入。"))
        raise
    finally:
        if gc_was_on:
            gc.enable()
        sink.close()
        if os.path.exists(sink.path):
            os.unlink(sink.path)


def _fast_staged(chunk: Chunk, actions: dict[int, tuple[str, str]], job_id: int) -> Any:
    """The fast rows to stage (new or updated), in staging column order plus ``_day`` and the
    microsecond timestamps the observations read."""
    import polars as pl

    keys = pl.DataFrame(
        {
            "_i": list(actions),
            "action": [a for a, _o in actions.values()],
            "old_fingerprint": [o for _a, o in actions.values()],
        },
        schema={"_i": pl.Int64, "action": pl.Utf8, "old_fingerprint": pl.Utf8},
    )
    rownums = pl.Series("row", [chunk.rows[i][0] for i in actions], dtype=pl.Int64)
    return chunk.fast.join(keys, on="_i", how="inner", maintain_order="right").with_columns(
        rownums, pl.lit(job_id, dtype=pl.Int64).alias("job_id")
    )


def _stage_frame(frame: Any) -> None:
    """Stage the columnar rows: one COPY of CSV text on PostgreSQL (no Python value per cell), else as
    :func:`_stage`."""
    if frame.height == 0:
        return
    data = frame.select(list(STAGE_COLS))
    if connection.vendor != "postgresql":
        _stage(data.rows())
        return
    connection.ensure_connection()
    with connection.cursor() as cur:
        table = StagedRecord._meta.db_table
        with cur.cursor.copy(f"COPY {table} ({', '.join(STAGE_COLS)}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(data.write_csv(include_header=False, quote_style="necessary"))


def _merge(job: ImportJob, deltas: engine.Deltas, actor: Any, *, fail_at_merge: bool = False) -> set[str]:
    from waibao.delivery import services

    contract = job.contract
    rec = ServiceRecord._meta.db_table
    stg = StagedRecord._meta.db_table
    ops = connection.ops
    now = ops.adapt_datetimefield_value(clock.now())
    with transaction.atomic():
        _still_ours(job)
        # Hold the lease for the whole merge, inside the merge's transaction: no other host takes a
        # long merge for dead, and if this process dies the extension is rolled back with the merge.
        if not jobs.renew(ImportJob, job.pk, seconds=MERGE_LEASE_SECONDS):
            raise Lost
        with connection.cursor() as cur:
            # Someone changed these records after we compared them: apply no deltas, rebuild those days.
            # (Table and column names below come from our own models, never from input.)
            cur.execute(
                f"SELECT COUNT(*) FROM {stg} s LEFT JOIN {rec} r "  # noqa: S608
                f"ON r.contract_id = %s AND r.external_id = s.external_id "
                f"WHERE s.job_id = %s AND s.action IN ('n', 'u', 's') AND "
                f"((s.action = 'n' AND r.id IS NOT NULL) OR "
                f"(s.action != 'n' AND (r.id IS NULL OR r.fingerprint != s.old_fingerprint)))",
                [contract.pk, job.pk],
            )
            conflicts = cur.fetchone()[0]
            if conflicts:
                cur.execute(
                    f"SELECT DISTINCT r.day FROM {stg} s JOIN {rec} r ON r.contract_id = %s AND "  # noqa: S608
                    f"r.external_id = s.external_id WHERE s.job_id = %s",
                    [contract.pk, job.pk],
                )
                old_days = {date.fromisoformat(d) if isinstance(d, str) else d for (d,) in cur.fetchall()}
            cols = ", ".join(DATA_COLS)
            sets = ", ".join(f"{c} = excluded.{c}" for c in DATA_COLS if c != "external_id")
            cur.execute(
                f"INSERT INTO {rec} (contract_id, {cols}, created_at, updated_at, version, last_job_id) "  # noqa: S608
                f"SELECT %s, {cols}, %s, %s, 1, job_id FROM {stg} WHERE job_id = %s AND action IN ('n', 'u') "
                f"ON CONFLICT (contract_id, external_id) DO UPDATE SET {sets}, "
                f"updated_at = excluded.updated_at, "
                f"version = {rec}.version + 1, last_job_id = excluded.last_job_id",
                [contract.pk, now, now, job.pk],
            )
        if fail_at_merge:
            raise RuntimeError("simulated crash in the middle of the merge")
        if conflicts:
            days = deltas.days | old_days
            engine.rebuild_aggregates(contract, days)
        else:
            rebuild = engine.apply_deltas(contract, deltas)
            days = deltas.days
            if rebuild:
                engine.rebuild_aggregates(contract, rebuild)
        periods = engine.periods_for_days(days)
        StagedRecord.objects.filter(job=job).delete()
        if periods:
            services.recompute_results(
                contract=contract, periods=periods, actor=actor, reason=_("导入任务 #%(id)s") % {"id": job.pk}
            )
        # Succeeded with the records: a process that dies after this commit leaves a finished job.
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.SUCCEEDED, finished_at=clock.now(), message=""
        )
        audit.record(
            actor,
            "delivery.import.merged",
            job,
            vendor_id=contract.vendor_id,
            changes={
                "new": [None, job.count_new],
                "updated": [None, job.count_updated],
                "unchanged": [None, job.count_unchanged],
                "rejected": [None, job.count_rejected],
            },
        )
    return periods


#: The fields :func:`_finish` writes.
FINISH_FIELDS = (
    "status",
    "finished_at",
    "message",
    "error_file",
    "rows_done",
    "count_new",
    "count_updated",
    "count_unchanged",
    "count_rejected",
    "error_count",
    "errors_preview",
    "summary",
    "rows_total",
)


def _finish(job: ImportJob, status: str, sink: ErrorSink, actor: Any, message: str) -> None:
    """Write the job's end — unless it is no longer this process's (failed meanwhile by someone who
    found it dead): then it stays as they left it."""
    sink.close()
    StagedRecord.objects.filter(job=job).delete()
    # A success was already written by the merge's transaction; any other end follows "running".
    before = (
        [JobStatus.RUNNING, JobStatus.SUCCEEDED] if status == JobStatus.SUCCEEDED else [JobStatus.RUNNING]
    )
    ours = ImportJob.objects.filter(pk=job.pk, lease_owner=job.lease_owner, status__in=before)
    if not ours.exists():
        job.refresh_from_db()
        return
    job.status = status
    job.finished_at = clock.now()
    job.message = message
    if sink.count and os.path.exists(sink.path):
        with open(sink.path, "rb") as fh:
            job.error_file.save(f"errors-{job.pk}.csv", File(fh), save=False)
    values = {name: getattr(job, name) for name in FINISH_FIELDS}
    if not ours.update(**values):
        job.refresh_from_db()
        return
    audit.record(actor, f"delivery.import.{status}", job, vendor_id=job.contract.vendor_id, message=message)


# --- reading files --------------------------------------------------------------------------------


def detect_encoding(head: bytes) -> str:
    cut = head.rfind(b"\n")
    sample = head if cut < 0 or len(head) < 1_000_000 else head[: cut + 1]
    for enc in ("utf-8-sig", "gb18030"):
        try:
            sample.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise rows_error(_("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码。"))


def rows_error(message: str) -> Exception:
    from waibao.core.errors import DomainError

    return DomainError(message, fields={"file": message})


@dataclass
class Source:
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    total: int | None
    #: CSV only: the same rows as lists of cells (blank rows skipped likewise), for the columnar path.
    table: Iterator[tuple[int, list[str]]] | None = None
    #: Closes the file (for a caller that stops before the rows end, as :func:`peek_headers`).
    close: Callable[[], None] | None = None


#: The first bytes of an .xlsx file (a zip archive) and of a legacy .xls file (an OLE compound file).
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def file_format(path: str, filename: str) -> str:
    """``"xlsx"`` or ``"csv"``, decided by the file's content; the name only decides what a file that is
    neither was meant to be (a stored upload has no extension, so the name is never trusted alone)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    name = filename.lower()
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        raise rows_error(_("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入。"))
    if name.endswith(".xlsx"):
        raise rows_error(_("无法读取 Excel 文件。"))
    if not name.endswith((".csv", ".txt")):
        raise rows_error(_("只能导入 .csv 或 .xlsx 文件。"))
    return "csv"


def open_source(path: str, filename: str) -> Source:
    """Stream rows of a CSV (UTF-8 or GBK/GB18030) or .xlsx file, memory flat in the file size.

    ``filename`` is the name the user gave the file; ``path`` may have no extension at all (stored
    uploads), so the format is read from the content (:func:`file_format`)."""
    if file_format(path, filename) == "xlsx":
        # The one .xlsx reader: zip bombs and oversized text tables refused by their declared sizes before
        # anything is unpacked, rows streamed, each cell held to the cell limit (lib.spreadsheets.Limits).
        try:
            sheet = spreadsheets.read_xlsx(path)
        except spreadsheets.SpreadsheetError as exc:
            raise rows_error(exc.message) from exc

        def xrows() -> Iterator[tuple[int, dict[str, Any]]]:
            try:
                yield from sheet.rows
            except spreadsheets.SpreadsheetError as exc:  # a cell over the limit, a damaged part
                raise rows_error(exc.message) from exc

        return Source(sheet.headers, xrows(), sheet.declared_rows, close=sheet.close)
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        lines = head.count(b"\n")
        while block := fh.read(1 << 22):
            lines += block.count(b"\n")
    encoding = detect_encoding(head)
    fh2 = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the generator
    lines_read = spreadsheets.RecordLines(fh2)  # a cell over the field limit is named by row and column
    reader = csv.reader(lines_read)
    try:
        headers = [h.strip() for h in next(reader, [])]
        if any("\x00" in h for h in headers):
            raise NulInFile(1)
    except (csv.Error, UnicodeDecodeError) as exc:
        fh2.close()
        if spreadsheets.over_field_limit(exc):
            raise rows_error(_cell_too_long(lines_read, 1, None)) from exc
        raise rows_error(reading_error(exc)) from exc
    if not headers:
        fh2.close()
        raise rows_error(_("文件是空的。"))

    def trows() -> Iterator[tuple[int, list[str]]]:
        n = 1  # the row a reading error is in is the one after the last row read
        next_record = lines_read.lines.clear  # the reader returned a record: the next lines are the next's
        try:
            for n, row in enumerate(reader, start=2):
                next_record()
                joined = "".join(row)
                if not joined.strip():  # blank cells only (as any(cell.strip()), in one call)
                    continue
                if "\x00" in joined:  # csv reads NUL; PostgreSQL refuses it and SQLite would store it
                    raise NulInFile(n)
                yield n, row
        except UnicodeDecodeError as exc:
            raise rows_error(_("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码。")) from exc
        except csv.Error as exc:
            if not spreadsheets.over_field_limit(exc):
                raise
            raise rows_error(_cell_too_long(lines_read, n + 1, headers)) from exc
        finally:
            fh2.close()

    def crows() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, row in trows():
            yield n, dict(zip(headers, row, strict=False))

    total = max(0, lines - 1 if head.endswith(b"\n") or lines else 0) or None
    return Source(headers, crows(), total, trows(), close=fh2.close)


def peek_headers(path: str, filename: str) -> list[str]:
    src = open_source(path, filename)
    if src.close is not None:
        src.close()
    return src.headers


def sample_values(path: str, filename: str, *, n: int = 3, scan: int = 500) -> dict[str, list[str]]:
    """The first ``n`` different non-empty values of each column (from at most ``scan`` rows), as text."""
    src = open_source(path, filename)
    found: dict[str, list[str]] = {h: [] for h in src.headers if h}
    try:
        for count, (_rownum, row) in enumerate(_readable(src.rows)):
            if count >= scan or all(len(v) >= n for v in found.values()):
                break
            for header, value in row.items():
                seen = found.get(header)
                if seen is None or len(seen) >= n or value is None:
                    continue
                if isinstance(value, datetime):
                    text = value.isoformat(" ")
                elif isinstance(value, date):
                    text = value.isoformat()
                else:
                    text = str(value).strip()
                if text and text not in seen:
                    seen.append(text[:60])
    finally:
        if src.close is not None:
            src.close()
    return found


def _cell_too_long(record: spreadsheets.RecordLines, row: int, headers: list[str] | None) -> str:
    """The refusal of a file whose cell broke the csv module's field limit, naming its row and column."""
    found = record.oversized_cell()
    column = spreadsheets.column_name(headers, found[0]) if found else None
    limit = csv.field_size_limit()
    rule = spreadsheets.cell_too_long(row, column, found[1] if found else None, limit).message
    return _("%(rule)s未导入任何数据。") % {"rule": rule}


def _readable(items: Iterable[Any]) -> Iterator[Any]:
    """The items; a reading error of the file's (csv, Excel) as the rule it broke (``DomainError``)."""
    try:
        yield from items
    except DomainError:
        raise
    except Exception as exc:
        message = reading_error(exc)
        if not message:
            raise
        raise rows_error(message) from exc


def as_stream_rows(
    items: Iterable[Mapping[str, Any]], first_row: int = 1
) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, item in enumerate(items, start=first_row):
        yield i, dict(item)
