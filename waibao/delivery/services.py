"""Every write of the delivery app. Pages, the API, the portal, commands and tasks all come through here.

Records enter only through :func:`waibao.delivery.ingest.run` (file jobs, :func:`import_batch`,
:func:`save_record`, :func:`accept_dispute`), so the rules are the same at every door.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from waibao.accounts import policy
from waibao.contracts.models import Contract, SlaMetric
from waibao.contracts.selectors import in_ranges, metric_in_force
from waibao.core import audit, clock, formats, jobs, limits
from waibao.core.errors import ConflictError, DomainError, require_transition
from waibao.core.texts import Later, join_list
from waibao.delivery import engine, ingest, rows
from waibao.delivery.formatting import plain
from waibao.delivery.models import (
    DISPUTE_TRANSITIONS,
    JOB_TRANSITIONS,
    ColumnMapping,
    DisputeStatus,
    ImportJob,
    ImportPolicy,
    JobSource,
    JobStatus,
    ManualStatus,
    ManualValue,
    RecordDispute,
    ResultStatus,
    ServiceRecord,
    SlaAdjustment,
    SlaResult,
    StagedRecord,
)
from waibao.lib import slamath

MAX_BATCH = 10_000
#: A running job with no lease (started before leases existed) counts as dead after this long silent.
STALE_MINUTES = 30


def grace_days() -> int:
    return int(getattr(settings, "WAIBAO_SLA_GRACE_DAYS", 5))


@dataclass
class Upload:
    name: str
    stream: IO[bytes]
    #: bytes, when the caller knows it (an uploaded file); else measured from the stream
    size: int | None = None


def _stream_size(stream: IO[bytes]) -> int | None:
    """The stream's size without reading it (a file on disk or in memory), or None."""
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        pass
    try:
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end
    except (AttributeError, OSError, ValueError):
        return None


def check_import_size(*, actor: Any, size: int | None) -> None:
    """Refuse a file over the import size limit for ``actor`` (``core.limits``; 413) — asked before the
    file is stored or read, at every door (page, API, command)."""
    limits.check_size(size, limits.import_limits(actor))


# --- column mappings ------------------------------------------------------------------------------


def saved_mapping(contract: Contract) -> dict[str, str]:
    row = ColumnMapping.objects.filter(contract=contract).first()
    return dict(row.mapping) if row else {}


def mapping_problems(contract: Contract, mapping: Mapping[str, str]) -> dict[str, str]:
    """What is wrong with a column mapping for this contract (``rows.mapping_errors`` with the allowed
    kinds, and a kind required when the contract's metrics give no default one)."""
    from waibao.contracts.models import RecordKind

    labels: dict[str, Any] = dict(RecordKind.choices)
    return rows.mapping_errors(
        mapping,
        kinds=labels,
        kind_needed=not ingest.kind_default(contract).kind,
    )


def _normalised(mapping: Mapping[str, str]) -> dict[str, str]:
    from waibao.contracts.models import RecordKind

    labels: dict[str, Any] = dict(RecordKind.choices)
    return rows.normalise_constants(mapping, labels)


def save_mapping(*, contract: Contract, actor: Any, mapping: Mapping[str, str]) -> ColumnMapping:
    errors = mapping_problems(contract, mapping)
    if errors:
        raise DomainError(_("列映射有误。"), fields=errors)
    with transaction.atomic():
        row, _created = ColumnMapping.objects.get_or_create(
            contract=contract, defaults={"updated_at": clock.now()}
        )
        before = dict(row.mapping)
        merged = {**before, **dict(mapping.items())}
        # A constant applies only while the file has no column for its field: the newest choice wins.
        _columns, constants = rows.split_mapping(mapping)
        given = {t for h, t in mapping.items() if t and not h.startswith(rows.CONSTANT)}
        for field_name in rows.CONSTANT_FIELDS:
            if field_name in given or field_name not in constants:
                merged.pop(rows.CONSTANT + field_name, None)
            if field_name in constants:
                merged[rows.CONSTANT + field_name] = constants[field_name]
        row.mapping, row.updated_at, row.updated_by = (
            merged,
            clock.now(),
            actor if getattr(actor, "pk", None) else None,
        )
        row.save(update_fields=["mapping", "updated_at", "updated_by"])
        audit.record(
            actor,
            "delivery.mapping.saved",
            row,
            vendor_id=contract.vendor_id,
            changes={"mapping": [before, merged]},
        )
    return row


# --- import jobs ----------------------------------------------------------------------------------


def _move(job: ImportJob, to: str) -> None:
    require_transition(JOB_TRANSITIONS, job.status, to, JobStatus, code="invalid_state", status=409)
    job.status = to


def _require_no_running(contract: Contract, *, exclude: int | None = None) -> None:
    """Refuse while another import of the contract runs — after failing the ones whose process died."""
    reap_dead_jobs(contract=contract)
    running = ImportJob.objects.filter(contract=contract, status=JobStatus.RUNNING)
    if exclude is not None:
        running = running.exclude(pk=exclude)
    if running.exists():
        raise DomainError(_("该合同已有导入任务在进行中，请等待其完成。"), code="busy", status=409)


def _uploader_language(job: ImportJob) -> str:
    """Messages about a job are written in the language of whoever started it (they read them)."""
    return getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE


# --- jobs whose process died ----------------------------------------------------------------------


def job_death(job: ImportJob) -> jobs.Death | None:
    """Why a running job's process is taken for dead (``core.jobs``), or None. A job from before leases
    (no owner) is dead after ``STALE_MINUTES`` without progress."""
    if job.status != JobStatus.RUNNING:
        return None
    if job.lease_owner:
        return job.death()
    last = job.heartbeat_at or job.started_at or job.created_at
    silent = clock.now() - last if last else None
    if silent is not None and silent > timedelta(minutes=STALE_MINUTES):
        return jobs.Death("silent", "", "", 0, int(silent.total_seconds()))
    return None


def end_dead_job(
    *, job: ImportJob, actor: Any = "system", cancel: bool = False, found: jobs.Death | None = None
) -> bool:
    """Fail (``cancel``: cancel) a running job whose process died: its staging rows are removed, the
    message tells the uploader what happened and that they may import again. False if the job is alive
    (or already ended). Safe against a second noticer and a late renewal (a conditional update)."""
    found = found or job_death(job)
    if found is None:
        return False
    with translation.override(_uploader_language(job)):
        why = found.text()
        if cancel:
            message = _("已取消。导入进程已意外停止（%(why)s），已清理，未导入任何数据。") % {"why": why}
        else:
            message = _("导入进程意外停止（%(why)s），已清理，未导入任何数据；可重新导入。") % {"why": why}
    status = JobStatus.CANCELLED if cancel else JobStatus.FAILED
    guard = jobs.still_dead(found) if found.owner else Q(lease_owner="", heartbeat_at=job.heartbeat_at)
    now = clock.now()
    with transaction.atomic():
        ended = (
            ImportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING)
            .filter(guard)
            .update(
                status=status,
                finished_at=now,
                message=message,
                cancel_requested=cancel or job.cancel_requested,
            )
        )
        if ended:
            StagedRecord.objects.filter(job_id=job.pk).delete()
            job.status, job.finished_at, job.message = status, now, message
            audit.record(
                actor, f"delivery.import.{status}", job, vendor_id=job.contract.vendor_id, message=message
            )
    if not ended:
        job.refresh_from_db()
    return bool(ended)


def reap_dead_jobs(*, contract: Contract | None = None) -> int:
    """End the running jobs (of ``contract``, or all) whose process died; how many. Called before a new
    import of the contract starts, by the pages and API that show jobs, and by ``waibao sweep_jobs``."""
    running = ImportJob.objects.filter(status=JobStatus.RUNNING).select_related("contract", "created_by")
    if contract is not None:
        running = running.filter(contract=contract)
    return sum(end_dead_job(job=job) for job in running)


def reap_if_dead(job: ImportJob) -> ImportJob:
    """The job as it is now: a running job whose process died is ended first (pages, API)."""
    if job.status == JobStatus.RUNNING:
        end_dead_job(job=job)
    return job


def create_file_job(
    *,
    contract: Contract,
    actor: Any,
    upload: Upload,
    policy: str = ImportPolicy.ALL_OR_NOTHING,
    source: str = JobSource.FILE,
    enqueue: bool = True,
    mapping: Mapping[str, str] | None = None,
) -> ImportJob:
    """Store the uploaded file as a job. Columns are recognised (standard names, the contract's saved
    mapping, then ``mapping``: header → field and ``"=<field>"`` → one value for the whole file); if some
    are unknown, or the mapping is incomplete, the job waits in ``mapping`` for :func:`set_job_mapping`."""
    if policy not in ImportPolicy.values:
        raise DomainError(_("导入策略无效。"), fields={"policy": _("导入策略无效。")})
    name = os.path.basename(upload.name or "upload")
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise DomainError(
            _("只能导入 .csv 或 .xlsx 文件。"), fields={"file": _("只能导入 .csv 或 .xlsx 文件。")}
        )
    check_import_size(
        actor=actor, size=upload.size if upload.size is not None else _stream_size(upload.stream)
    )
    _require_no_running(contract)
    job = ImportJob(
        contract=contract,
        source=source,
        file_name=name,
        policy=policy,
        created_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    job.file.save(name, File(upload.stream), save=False)
    try:
        headers = ingest.peek_headers(job.file.path, name)
    except DomainError:
        job.file.delete(save=False)
        raise
    recognised, unknown = rows.recognise(headers, saved_mapping(contract))
    if mapping:
        recognised.update(_normalised(mapping))
        unknown = [h for h in unknown if h not in mapping]
    job.mapping = recognised
    status_mapping = unknown or mapping_problems(contract, recognised)
    job.status = JobStatus.MAPPING if status_mapping else JobStatus.QUEUED
    job.save()
    audit.record(
        actor,
        "delivery.import.created",
        job,
        vendor_id=contract.vendor_id,
        changes={"file": [None, name], "policy": [None, policy]},
    )
    if job.status == JobStatus.QUEUED and enqueue:
        enqueue_job(job)
    return job


def job_headers(job: ImportJob) -> list[str]:
    return ingest.peek_headers(job.file.path, job.file_name)


def set_job_mapping(
    *, job: ImportJob, actor: Any, mapping: Mapping[str, str], remember: bool = True, enqueue: bool = True
) -> ImportJob:
    if job.status != JobStatus.MAPPING:
        raise DomainError(_("导入任务当前状态不允许此操作。"), code="invalid_state", status=409)
    clean = _normalised({h: (t or "") for h, t in mapping.items()})
    errors = mapping_problems(job.contract, clean)
    if errors:
        raise DomainError(_("列映射有误。"), fields=errors)
    if remember:
        save_mapping(contract=job.contract, actor=actor, mapping=clean)
    _move(job, JobStatus.QUEUED)
    job.mapping = clean
    job.save(update_fields=["mapping", "status"])
    audit.record(
        actor,
        "delivery.import.mapped",
        job,
        vendor_id=job.contract.vendor_id,
        changes={"mapping": [None, clean]},
    )
    if enqueue:
        enqueue_job(job)
    return job


def enqueue_job(job: ImportJob) -> None:
    from waibao.delivery.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))


def run_job(job_id: int, *, progress: Any = None) -> ImportJob:
    """The task body: stream the job's file through the storage path."""
    job = ImportJob.objects.select_related("contract").get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return job
    if job.cancel_requested:
        job.status, job.finished_at, job.message = (
            JobStatus.CANCELLED,
            clock.now(),
            _("已取消，未导入任何数据。"),
        )
        job.save(update_fields=["status", "finished_at", "message"])
        return job
    actor = job.created_by or "system"
    # The error file and messages are written in the language of whoever uploaded the file (the worker
    # process itself has no user).
    with translation.override(_uploader_language(job)):
        try:
            _require_no_running(job.contract, exclude=job.pk)
        except DomainError:  # another import started first: this one never starts, and says why
            _fail_unstarted(job, actor, _("未开始：该合同已有另一个导入任务在进行中。请在它完成后重新导入。"))
            return job
        if not ingest.claim(job):  # cancelled or taken meanwhile
            job.refresh_from_db()
            return job
        try:
            check_import_size(actor=actor, size=os.path.getsize(job.file.path))
            src = ingest.open_source(job.file.path, job.file_name)
        except Exception as exc:  # the stored file is gone, too large or unreadable: the job says so
            status, message = ingest.failure(exc)
            _end_claimed(job, actor, status, message)
            if status == JobStatus.FAILED and not isinstance(exc, OSError):
                raise
            return job
        if src.total is not None:
            ImportJob.objects.filter(pk=job.pk).update(rows_total=src.total)
            job.rows_total = src.total
        ingest.run(
            job,
            src.rows,
            headers=src.headers,
            mapping=job.mapping,
            actor=actor,
            progress=progress,
            table=src.table,
            limits=limits.import_limits(actor),
        )
    return job


def _fail_unstarted(job: ImportJob, actor: Any, message: str) -> None:
    """A queued job that will not run: failed with the reason, never left waiting."""
    if ImportJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.FAILED, finished_at=clock.now(), message=message
    ):
        job.status, job.message = JobStatus.FAILED, message
        audit.record(actor, "delivery.import.failed", job, vendor_id=job.contract.vendor_id, message=message)
    else:
        job.refresh_from_db()


def _end_claimed(job: ImportJob, actor: Any, status: str, message: str) -> None:
    """A job this process claimed that stopped before its first row."""
    if ImportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING, lease_owner=job.lease_owner).update(
        status=status, finished_at=clock.now(), message=message
    ):
        job.status, job.message = status, message
        audit.record(
            actor, f"delivery.import.{status}", job, vendor_id=job.contract.vendor_id, message=message
        )
    else:
        job.refresh_from_db()


def import_path(
    *,
    contract: Contract,
    actor: Any,
    path: str,
    policy: str = ImportPolicy.ALL_OR_NOTHING,
    mapping: Mapping[str, str] | None = None,
    progress: Any = None,
    source: str = JobSource.CLI,
) -> ImportJob:
    """Import a file from disk synchronously (command line); unknown columns need ``mapping`` (header →
    field, ``"=<field>"`` → one value for the whole file), which is then saved for the contract."""
    check_import_size(actor=actor, size=os.path.getsize(path))
    with open(path, "rb") as fh:
        job = create_file_job(
            contract=contract,
            actor=actor,
            upload=Upload(os.path.basename(path), fh),
            policy=policy,
            source=source,
            enqueue=False,
            mapping=mapping,
        )
    if job.status == JobStatus.MAPPING:
        problems = mapping_problems(contract, job.mapping)
        _known, unknown = rows.recognise(job_headers(job), {**saved_mapping(contract), **(mapping or {})})
        # Columns the given mapping leaves out are ignored; without a mapping they must be mapped first.
        unknown = [h for h in unknown if h not in job.mapping] if mapping is None else []
        if unknown or problems:
            job.status = JobStatus.CANCELLED
            job.save(update_fields=["status"])
            parts = [_("无法识别的列：%(c)s。") % {"c": rows.join_words(unknown)}] if unknown else []
            parts += list(dict.fromkeys(str(m) for m in problems.values()))
            raise DomainError(" ".join([*parts, _("请先保存列映射。")]), fields=problems)
        set_job_mapping(job=job, actor=actor, mapping=job.mapping, enqueue=False)
    elif mapping:
        save_mapping(contract=contract, actor=actor, mapping=job.mapping)
    return run_job(job.pk, progress=progress)


def cancel_import(*, job: ImportJob, actor: Any) -> ImportJob:
    """Cancel a job: one not started ends at once; a running one stops at its next chunk (nothing is
    stored); a running one whose process died is cancelled and cleaned up at once."""
    if job.is_done:
        raise DomainError(_("导入任务已结束，无法取消。"), code="invalid_state", status=409)
    if job.status == JobStatus.RUNNING and end_dead_job(job=job, actor=actor, cancel=True):
        return job
    now = clock.now()
    # Conditional: a worker may claim the queued job meanwhile, and then it is cancelled as a running one.
    if job.status in (JobStatus.MAPPING, JobStatus.QUEUED) and ImportJob.objects.filter(
        pk=job.pk, status=job.status
    ).update(
        status=JobStatus.CANCELLED,
        cancel_requested=True,
        finished_at=now,
        message=_("已取消，未导入任何数据。"),
    ):
        _move(job, JobStatus.CANCELLED)
        job.cancel_requested, job.finished_at, job.message = True, now, _("已取消，未导入任何数据。")
    else:
        job.refresh_from_db()
        if job.is_done:
            raise DomainError(_("导入任务已结束，无法取消。"), code="invalid_state", status=409)
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        job.cancel_requested = True
    audit.record(actor, "delivery.import.cancel_requested", job, vendor_id=job.contract.vendor_id)
    return job


def import_batch(
    *,
    contract: Contract,
    actor: Any,
    records: list[dict[str, Any]],
    policy: str = ImportPolicy.ALL_OR_NOTHING,
) -> ImportJob:
    """The batch API: up to 10,000 records per call, synchronously, through the same path."""
    if len(records) > MAX_BATCH:
        raise DomainError(
            _("每次最多 %(n)s 条记录。") % {"n": MAX_BATCH}, fields={"records": _("超过上限。")}
        )
    if policy not in ImportPolicy.values:
        raise DomainError(_("导入策略无效。"), fields={"policy": _("导入策略无效。")})
    _require_no_running(contract)
    job = ImportJob.objects.create(
        contract=contract,
        source=JobSource.API,
        policy=policy,
        status=JobStatus.QUEUED,
        rows_total=len(records),
        created_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    ingest.run(job, ingest.as_stream_rows(records), headers=list(rows.FIELDS), mapping=None, actor=actor)
    job.refresh_from_db()
    return job


def save_record(
    *,
    contract: Contract,
    actor: Any,
    values: Mapping[str, Any],
    record: ServiceRecord | None = None,
    expected_version: int | None = None,
    source: str = JobSource.MANUAL,
) -> ServiceRecord:
    """Manual entry or edit of one record (same validation and storage path as imports)."""
    data = dict(values)
    if record is not None:
        if expected_version is not None and record.version != expected_version:
            raise ConflictError(_("该记录已被其他人修改，请刷新后重试。"))
        data["external_id"] = record.external_id
    elif ServiceRecord.objects.filter(
        contract=contract, external_id=str(data.get("external_id") or "").strip()
    ).exists():
        raise DomainError(_("记录编号已存在。"), fields={"external_id": _("记录编号已存在。")})
    job = ImportJob.objects.create(
        contract=contract,
        source=source,
        policy=ImportPolicy.ALL_OR_NOTHING,
        status=JobStatus.QUEUED,
        rows_total=1,
        created_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    before = audit.snapshot(record, rows.RECORD_FIELDS) if record is not None else None
    outcome = ingest.run(job, [(1, data)], headers=list(rows.FIELDS), mapping=None, actor=actor)
    if job.status == JobStatus.REJECTED:
        raise DomainError(
            _("记录有误，请检查标出的字段。"),
            fields={("paused" if c == "pauses" else c): m for _r, c, m in outcome.errors},
        )
    saved = ServiceRecord.objects.get(
        contract=contract,
        external_id=data["external_id"].strip()
        if isinstance(data["external_id"], str)
        else data["external_id"],
    )
    after = audit.snapshot(saved, rows.RECORD_FIELDS)
    audit.record(
        actor,
        "delivery.record.created" if record is None else "delivery.record.updated",
        saved,
        vendor_id=contract.vendor_id,
        changes=audit.created(saved, rows.RECORD_FIELDS) if before is None else audit.diff(before, after),
    )
    return saved


def record_values(record: ServiceRecord) -> dict[str, Any]:
    """A record as the raw ``{field: value}`` row that would reproduce it."""
    out: dict[str, Any] = {f: getattr(record, f) for f in rows.FIELDS if f != "paused"}
    out["paused"] = [list(p) for p in record.pauses or []]
    out["custom"] = dict(record.custom or {})
    return out


# --- results --------------------------------------------------------------------------------------

RESULT_FIELDS = [
    "value",
    "sample_size",
    "target",
    "status",
    "margin",
    "tier",
    "consequence",
    "credit",
    "bonus",
    "capped",
    "currency",
    "contract_version",
    "projected_value",
    "warning",
    "computed_at",
    "period_start",
]


def recompute_results(
    *, contract: Contract, periods: Iterable[str], actor: Any, reason: str = ""
) -> list[SlaResult]:
    """Recompute the results of the given periods from the daily aggregates.

    Open results are rewritten; a closed result stays as it was and, when the new computation differs
    from the last settled state, an :class:`SlaAdjustment` records the change.
    """
    today = clock.today()
    now = clock.now()
    evaluated = engine.evaluate_periods(contract, periods, today)
    if not evaluated:
        return []
    existing = {
        (r.metric_id, r.period): r
        for r in SlaResult.objects.filter(contract=contract, period__in={e.period for e in evaluated})
    }
    last_adj: dict[int, SlaAdjustment] = {}
    closed_ids = [r.pk for r in existing.values() if r.closed]
    for adj in SlaAdjustment.objects.filter(result_id__in=closed_ids).order_by("at", "id"):
        last_adj[adj.result_id] = adj
    out, to_create, to_update, adjustments, warned = [], [], [], [], []
    for e in evaluated:
        res = e.result
        values = {
            "value": res.value,
            "sample_size": res.sample_size,
            "target": res.target,
            "status": res.status,
            "margin": res.margin,
            "tier": res.tier,
            "consequence": e.consequence.kind,
            "credit": e.consequence.credit,
            "bonus": e.consequence.bonus,
            "capped": e.consequence.capped,
            "currency": e.currency,
            "contract_version": e.version,
            "projected_value": e.projection.value if e.projection else None,
            "warning": e.projection.warning
            if e.projection
            else ("breached" if res.status == "missed" else "ok"),
            "computed_at": now,
            "period_start": e.period_start,
        }
        row = existing.get((e.metric_id, e.period))
        if row is None:
            row = SlaResult(contract=contract, metric_id=e.metric_id, period=e.period, **values)
            to_create.append(row)
        elif row.closed:
            prev = last_adj.get(row.pk)
            state = (
                (prev.value_after, prev.status_after, prev.sample_after, prev.credit_after, prev.bonus_after)
                if prev
                else (row.value, row.status, row.sample_size, row.credit, row.bonus)
            )
            new_state = (res.value, res.status, res.sample_size, e.consequence.credit, e.consequence.bonus)
            if _differs(state, new_state):
                adjustments.append(
                    SlaAdjustment(
                        result=row,
                        at=now,
                        reason=reason,
                        value_before=state[0],
                        value_after=res.value,
                        status_before=state[1],
                        status_after=res.status,
                        sample_before=state[2],
                        sample_after=res.sample_size,
                        credit_before=state[3],
                        credit_after=e.consequence.credit,
                        bonus_before=state[4],
                        bonus_after=e.consequence.bonus,
                    )
                )
        else:
            changed = any(getattr(row, k) != v for k, v in values.items() if k != "computed_at")
            for k, v in values.items():
                setattr(row, k, v)
            if changed:
                to_update.append(row)
        if e.projection is not None and e.projection.warning != "ok":
            warned.append(row)
        out.append(row)
    SlaResult.objects.bulk_create(to_create)
    _update_results(to_update)
    SlaAdjustment.objects.bulk_create(adjustments)
    for adj in adjustments:
        audit.record(
            actor,
            "delivery.result.adjusted",
            adj.result,
            vendor_id=contract.vendor_id,
            message=reason,
            changes={
                "value": [adj.value_before, adj.value_after],
                "credit": [adj.credit_before, adj.credit_after],
            },
        )
    if warned:
        transaction.on_commit(lambda: send_sla_warnings(contract=contract))
    return out


def _update_results(results: list[SlaResult]) -> None:
    """One executemany UPDATE (bulk_update's CASE expressions are slow for many rows)."""
    if not results:
        return
    from django.db import connection
    from django.db.models import Field

    fields: list[Field[Any, Any]] = [SlaResult._meta.get_field(name) for name in RESULT_FIELDS]  # type: ignore[misc]
    table = SlaResult._meta.db_table
    sets = ", ".join(f"{f.column} = %s" for f in fields)
    params = [
        [f.get_db_prep_save(getattr(r, f.attname), connection) for f in fields] + [r.pk] for r in results
    ]
    with connection.cursor() as cur:
        cur.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", params)  # noqa: S608 - our own columns


def _differs(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    va, vb = a[0], b[0]
    if (va is None) != (vb is None):
        return True
    if va is not None and vb is not None and abs(float(va) - float(vb)) > 1e-9:
        return True
    return tuple(a[1:]) != tuple(b[1:])


def evaluate(
    *, contract: Contract, actor: Any, periods: Iterable[str] | None = None, rebuild: bool = False
) -> list[SlaResult]:
    """Recompute results (all periods of the contract up to today by default); ``rebuild`` first
    recomputes the daily aggregates from the raw records."""
    with transaction.atomic():
        if rebuild:
            engine.rebuild_aggregates(contract)
        keys = set(periods) if periods else engine.contract_periods(contract, clock.today())
        expanded: set[str] = set()
        for key in keys:
            expanded.add(key)
            if "Q" not in key:  # a month also belongs to its quarter
                expanded.add(slamath.period_key(slamath.period_bounds(key)[0], "quarter"))
        return recompute_results(contract=contract, periods=expanded, actor=actor, reason=_("重新计算"))


def close_period(*, contract: Contract, period: str, actor: Any) -> int:
    """Close every result of a period once its grace period is over. Returns how many were closed."""
    try:
        _start, end = slamath.period_bounds(period)
    except ValueError:
        raise DomainError(
            _("周期格式应为 2026-10 或 2026-Q4。"), fields={"period": _("格式无效。")}
        ) from None
    opens = end + timedelta(days=grace_days())
    if clock.today() < opens:
        raise DomainError(
            _("宽限期未过：%(d)s 起才能关账。") % {"d": opens.isoformat()},
            fields={"period": _("宽限期未过。")},
        )
    with transaction.atomic():
        evaluate(contract=contract, actor=actor, periods=[period])
        results = list(
            SlaResult.objects.select_for_update().filter(contract=contract, period=period, closed=False)
        )
        if not results and not SlaResult.objects.filter(contract=contract, period=period).exists():
            raise DomainError(_("该周期没有可关账的结果。"), fields={"period": _("没有结果。")})
        now = clock.now()
        for r in results:
            r.closed, r.closed_at, r.closed_by = True, now, actor if getattr(actor, "pk", None) else None
        SlaResult.objects.bulk_update(results, ["closed", "closed_at", "closed_by"])
        audit.record(
            actor,
            "delivery.period.closed",
            contract,
            changes={"period": [None, period], "results": [None, len(results)]},
        )
    return len(results)


def send_sla_warnings(*, contract: Contract | None = None) -> int:
    """Early warning: tell the contract owner about open-period metrics at risk or breached (idempotent)."""
    from waibao.notifications.services import notify

    qs = SlaResult.objects.filter(closed=False, warning__in=["at_risk", "breached"]).select_related(
        "contract", "metric", "contract__owner"
    )
    if contract is not None:
        qs = qs.filter(contract=contract)
    today = clock.today()
    sent = 0
    for r in qs:
        if r.contract.owner is None:
            continue
        start, end = slamath.period_bounds(r.period)
        if not start <= today < end + timedelta(days=1):
            continue
        sent += notify(
            users=[r.contract.owner],
            kind="delivery.sla_warning",
            title=Later(
                _lazy("%(c)s · %(m)s %(p)s %(w)s"),
                {
                    "c": r.contract.code,
                    "m": r.metric.name,
                    "p": r.period,
                    "w": _lazy("已违约") if r.warning == "breached" else _lazy("有违约风险"),
                },
            ),
            body=Later(
                _lazy("当前值 %(v)s，目标 %(t)s，预测期末 %(f)s。"),
                {"v": _fmt(r.value), "t": plain(r.target), "f": _fmt(r.projected_value)},
            ),
            url=reverse("delivery:contract", args=[r.contract.code]),
            key=f"delivery:sla:{r.metric_id}:{r.period}:{r.warning}",
        )
    return sent


def _fmt(v: float | None) -> str:
    return "—" if v is None else plain(v, 2)


# --- manual KPI values ----------------------------------------------------------------------------
#
# A manual metric (kind "manual") has one value per period, entered by the buyer (confirmed at once) or
# proposed by the vendor and then confirmed or rejected by the buyer. Only the confirmed value counts.
# A change to a period that is already closed does not rewrite its result: like a late record, it adds
# an SlaAdjustment (settled with the next invoice), so surveys that arrive after the close still count.

MANUAL_LIMIT = Decimal("1E10")


def _manual_value_of(value: Any) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        number = Decimal("NaN")
    if not number.is_finite() or abs(number) >= MANUAL_LIMIT:
        raise DomainError(_("指标值必须是数字。"), fields={"value": _("必须是数字。")})
    return number.quantize(Decimal("0.0001"))


def _check_manual(metric: SlaMetric, period: str) -> Contract:
    """The metric must be a manual metric and the period one of its windows, started, in the contract, and
    one in which the metric was in force (a metric added or removed by an amendment counts only in the
    periods whose first day falls under a contract version that has it: the version results use)."""
    definition = metric.definition or {}
    if definition.get("kind") != "manual":
        raise DomainError(
            _("“%(m)s”不是人工填报的指标，其结果由服务记录计算。") % {"m": metric.name},
            fields={"metric": _("不是人工指标。")},
        )
    window = str(definition.get("window") or "month")
    period = (period or "").strip()
    try:
        start, end = slamath.period_bounds(period)
        valid = slamath.period_key(start, window) == period
    except ValueError:
        valid = False
    if not valid:
        example = "2026-10" if window == "month" else "2026-Q4"
        msg = _("周期格式应为 %(e)s（该指标按%(w)s考核）。") % {
            "e": example,
            "w": _("月") if window == "month" else _("季度"),
        }
        raise DomainError(msg, fields={"period": msg})
    contract = metric.contract
    if start > clock.today():
        msg = _("周期 %(p)s 尚未开始。") % {"p": period}
        raise DomainError(msg, fields={"period": msg})
    if end <= contract.start_date or (contract.end_date is not None and start > contract.end_date):
        msg = _("周期 %(p)s 不在合同期内（合同期：%(t)s）。") % {
            "p": period,
            "t": _date_range(contract.start_date, contract.end_date),
        }
        raise DomainError(msg, fields={"period": msg})
    ranges = metric_in_force(contract, metric.pk)
    on = max(start, contract.start_date)  # the day whose contract version measures the period
    if not in_ranges(ranges, on):
        if ranges:
            msg = _(
                "指标“%(m)s”在周期 %(p)s 不在考核范围内：该指标的生效期为 %(d)s（周期按其第一天生效的合同版本考核）。"
            ) % {
                "m": metric.name,
                "p": period,
                "d": join_list(_date_range(first, last) for first, last in ranges),
            }
        else:
            msg = _("指标“%(m)s”在周期 %(p)s 不在考核范围内：该指标不在任何生效的合同版本中。") % {
                "m": metric.name,
                "p": period,
            }
        raise DomainError(msg, fields={"period": msg}, code="metric_not_in_force")
    return contract


def _date_range(first: date, last: date | None) -> str:
    """``2026-01-01 至 2026-08-31``, or ``2026-07-01 起`` for a range without an end."""
    if last is None:
        return _("%(a)s 起") % {"a": formats.day(first)}
    return _("%(a)s 至 %(b)s") % {"a": formats.day(first), "b": formats.day(last)}


def _manual_result(contract: Contract, metric: SlaMetric, period: str, actor: Any, reason: str) -> SlaResult:
    results = recompute_results(contract=contract, periods={period}, actor=actor, reason=reason)
    found = next((r for r in results if r.metric_id == metric.pk), None)
    if found is None:  # not in the terms of the version in force (e.g. added by a later version)
        msg = _("合同在 %(p)s 生效的版本中没有该指标。") % {"p": period}
        raise DomainError(msg, fields={"period": msg})
    return found


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


MANUAL_FIELDS = ["value", "status", "confirmed_value", "note"]


def set_manual_value(
    *, metric: SlaMetric, period: str, value: Decimal, actor: Any, note: str = ""
) -> SlaResult:
    """The buyer enters (or corrects) a manual metric's value for a period: confirmed at once.

    Upserts the (metric, period) value and recomputes that period's results. If the period is closed,
    the closed result is kept and an :class:`SlaAdjustment` records the change (as for late records).
    Raises DomainError if the metric is not manual, or the period is malformed, not started yet or
    outside the contract. Returns the period's :class:`SlaResult` for the metric. A user who is not a
    buyer allowed to enter values (a vendor user: see :func:`enter_manual_value`) is refused.
    """
    if getattr(actor, "pk", None) and manual_entry_mode(actor) != "set":
        raise PermissionDenied("delivery.manual")
    number = _manual_value_of(value)
    contract = _check_manual(metric, period)
    period = period.strip()
    now = clock.now()
    with transaction.atomic():
        row = ManualValue.objects.select_for_update().filter(metric=metric, period=period).first()
        before = audit.snapshot(row, MANUAL_FIELDS) if row else None
        if row is None:
            row = ManualValue(contract=contract, metric=metric, period=period, entered_at=now)
        row.value, row.confirmed_value, row.status = number, number, ManualStatus.CONFIRMED
        row.note = (note or "").strip()
        row.entered_by, row.entered_at = _user_or_none(actor), now
        row.decided_by, row.decided_at, row.response = _user_or_none(actor), now, ""
        row.save()
        audit.record(
            actor,
            "delivery.manual.set",
            row,
            vendor_id=contract.vendor_id,
            changes=audit.created(row, MANUAL_FIELDS)
            if before is None
            else audit.diff(before, audit.snapshot(row, MANUAL_FIELDS)),
            message=row.note,
        )
        return _manual_result(
            contract, metric, period, actor, _("人工指标 %(m)s %(p)s") % {"m": metric.name, "p": period}
        )


def propose_manual_value(
    *, metric: SlaMetric, period: str, value: Decimal, actor: Any, note: str = ""
) -> ManualValue:
    """A vendor user proposes a manual metric's value for its own contract; it counts only once the
    buyer confirms it. Anyone else is refused (buyers set values with :func:`set_manual_value`)."""
    if manual_entry_mode(actor) != "propose" or policy.vendor_scope(actor) != metric.contract.vendor_id:
        raise PermissionDenied("delivery.manual_propose")
    number = _manual_value_of(value)
    contract = _check_manual(metric, period)
    period = period.strip()
    now = clock.now()
    with transaction.atomic():
        row = ManualValue.objects.select_for_update().filter(metric=metric, period=period).first()
        before = audit.snapshot(row, MANUAL_FIELDS) if row else None
        if row is None:
            row = ManualValue(contract=contract, metric=metric, period=period, entered_at=now)
        row.value, row.status, row.note = number, ManualStatus.PROPOSED, (note or "").strip()
        row.entered_by, row.entered_at = _user_or_none(actor), now
        row.decided_by, row.decided_at, row.response = None, None, ""
        row.save()
        audit.record(
            actor,
            "delivery.manual.proposed",
            row,
            vendor_id=contract.vendor_id,
            changes=audit.created(row, MANUAL_FIELDS)
            if before is None
            else audit.diff(before, audit.snapshot(row, MANUAL_FIELDS)),
            message=row.note,
        )
    return row


def manual_entry_mode(actor: Any) -> str | None:
    """Buyer sets, vendor proposes: ``"set"`` for a buyer role that enters values (they count at once),
    ``"propose"`` for a vendor user (the value counts once a buyer confirms it), None for anyone else."""
    if policy.can(actor, "delivery.manual"):
        return "set"
    if policy.can(actor, "delivery.manual_propose"):
        return "propose"
    return None


@dataclass(frozen=True)
class ManualEntry:
    manual: ManualValue
    result: SlaResult | None  # the recomputed result when the value counts at once; None for a proposal


def enter_manual_value(
    *, metric: SlaMetric, period: str, value: Any, actor: Any, note: str = ""
) -> ManualEntry:
    """A manual metric's value from whoever enters it, through any door (page, API, portal): the actor's
    role decides whether it is set or proposed (:func:`manual_entry_mode`). Raises PermissionDenied for
    a role that may do neither, DomainError for a value or period the rules refuse."""
    mode = manual_entry_mode(actor)
    if mode == "set":
        result = set_manual_value(metric=metric, period=period, value=value, actor=actor, note=note)
        manual = ManualValue.objects.select_related("metric").get(metric=metric, period=result.period)
        return ManualEntry(manual, result)
    if mode == "propose":
        return ManualEntry(
            propose_manual_value(metric=metric, period=period, value=value, actor=actor, note=note), None
        )
    raise PermissionDenied("delivery.manual")


def _pending(manual: ManualValue) -> ManualValue:
    row = ManualValue.objects.select_for_update().select_related("metric", "contract").get(pk=manual.pk)
    if row.status != ManualStatus.PROPOSED:
        raise DomainError(_("该指标值不是待确认状态。"), code="invalid_state", status=409)
    return row


def confirm_manual_value(*, manual: ManualValue, actor: Any, response: str = "") -> ManualValue:
    """The buyer confirms a proposed value: it becomes the period's value and results are recomputed
    (an adjustment if the period is closed)."""
    with transaction.atomic():
        row = _pending(manual)
        before = audit.snapshot(row, MANUAL_FIELDS)
        row.status, row.confirmed_value = ManualStatus.CONFIRMED, row.value
        row.decided_by, row.decided_at, row.response = (
            _user_or_none(actor),
            clock.now(),
            (response or "").strip(),
        )
        row.save(update_fields=["status", "confirmed_value", "decided_by", "decided_at", "response"])
        audit.record(
            actor,
            "delivery.manual.confirmed",
            row,
            vendor_id=row.contract.vendor_id,
            changes=audit.diff(before, audit.snapshot(row, MANUAL_FIELDS)),
            message=row.response,
        )
        _manual_result(
            row.contract,
            row.metric,
            row.period,
            actor,
            _("人工指标 %(m)s %(p)s") % {"m": row.metric.name, "p": row.period},
        )
    return row


def reject_manual_value(*, manual: ManualValue, actor: Any, response: str) -> ManualValue:
    """The buyer rejects a proposed value (with a reason); a value confirmed before stays in force."""
    response = (response or "").strip()
    if not response:
        raise DomainError(_("驳回时请说明理由。"), fields={"response": _("必填。")})
    with transaction.atomic():
        row = _pending(manual)
        row.status = ManualStatus.REJECTED
        row.decided_by, row.decided_at, row.response = _user_or_none(actor), clock.now(), response
        row.save(update_fields=["status", "decided_by", "decided_at", "response"])
        audit.record(
            actor,
            "delivery.manual.rejected",
            row,
            vendor_id=row.contract.vendor_id,
            changes={"status": [ManualStatus.PROPOSED, ManualStatus.REJECTED]},
            message=response,
        )
    return row


# --- disputes -------------------------------------------------------------------------------------


def raise_dispute(
    *, record: ServiceRecord, actor: Any, comment: str, proposed: Mapping[str, Any] | None = None
) -> RecordDispute:
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("请说明异议理由。"), fields={"comment": _("必填。")})
    proposed = {k: v for k, v in (proposed or {}).items() if v not in (None, "")}
    if proposed:
        merged = {**record_values(record), **proposed}
        _values, errors = rows.clean_row(merged, ingest.row_context(record.contract))
        if errors:
            raise DomainError(_("建议更正有误。"), fields=dict(errors))
    if RecordDispute.objects.filter(record=record, status=DisputeStatus.OPEN).exists():
        raise DomainError(_("该记录已有待处理的异议。"), code="conflict", status=409)
    with transaction.atomic():
        d = RecordDispute.objects.create(
            record=record,
            contract=record.contract,
            comment=comment,
            proposed=_jsonable(proposed),
            raised_by=actor if getattr(actor, "pk", None) else None,
            raised_at=clock.now(),
        )
        audit.record(
            actor,
            "delivery.dispute.raised",
            d,
            vendor_id=record.contract.vendor_id,
            changes={"comment": [None, comment], "proposed": [None, d.proposed]},
        )
    return d


def _jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    from datetime import datetime

    return {
        k: (v.isoformat() if isinstance(v, datetime | date) else str(v) if isinstance(v, Decimal) else v)
        for k, v in d.items()
    }


def _decide(dispute: RecordDispute, to: str) -> None:
    if to not in DISPUTE_TRANSITIONS[dispute.status]:
        raise DomainError(_("该异议已处理。"), code="invalid_state", status=409)


def accept_dispute(
    *, dispute: RecordDispute, actor: Any, response: str = "", corrections: Mapping[str, Any] | None = None
) -> RecordDispute:
    """Accept: apply the proposed (or the buyer's) corrections to the record; results follow."""
    _decide(dispute, DisputeStatus.ACCEPTED)
    with transaction.atomic():
        changes = {
            **dispute.proposed,
            **{k: v for k, v in (corrections or {}).items() if v not in (None, "")},
        }
        if changes:
            record = dispute.record
            save_record(
                contract=dispute.contract,
                actor=actor,
                values={**record_values(record), **changes},
                record=record,
                source=JobSource.DISPUTE,
            )
        dispute.status, dispute.decided_by, dispute.decided_at = DisputeStatus.ACCEPTED, actor, clock.now()
        dispute.response = response
        dispute.save(update_fields=["status", "decided_by", "decided_at", "response"])
        audit.record(
            actor,
            "delivery.dispute.accepted",
            dispute,
            vendor_id=dispute.contract.vendor_id,
            changes={"status": ["open", "accepted"]},
            message=response,
        )
    return dispute


def reject_dispute(*, dispute: RecordDispute, actor: Any, response: str) -> RecordDispute:
    _decide(dispute, DisputeStatus.REJECTED)
    if not (response or "").strip():
        raise DomainError(_("驳回时请说明理由。"), fields={"response": _("必填。")})
    with transaction.atomic():
        dispute.status, dispute.decided_by, dispute.decided_at = DisputeStatus.REJECTED, actor, clock.now()
        dispute.response = response.strip()
        dispute.save(update_fields=["status", "decided_by", "decided_at", "response"])
        audit.record(
            actor,
            "delivery.dispute.rejected",
            dispute,
            vendor_id=dispute.contract.vendor_id,
            changes={"status": ["open", "rejected"]},
            message=dispute.response,
        )
    return dispute


def copy_to_temp(stream: IO[bytes], suffix: str) -> str:
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(stream, out)
    return path


__all__ = ["ResultStatus"]
