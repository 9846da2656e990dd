"""Vendor list imports, run in the background so that no web request reads a large file.

    upload ─start_import()─> queued ─run_import() (task)─> running ─> succeeded | rejected | failed
                                  └─cancel_import()─> cancelled    └─cancel: stops at its next step

``start_import`` answers at once what it can without reading the rows: the file's type, its size and
its row count (``WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_MB`` / ``_MAX_ROWS``; an .xlsx file's declared
dimension, a CSV file's lines — and only when those say more, the rows up to one past the limit), and
for an .xlsx file the zip directory's declared sizes (``lib.spreadsheets.Limits``). The task checks
every row (``services.import_vendors``: all or nothing) and stores the vendors, the job's result and
its end in one transaction, so a job that dies leaves nothing half-imported.

The running process holds the job's lease (``core.jobs``): renewed at each progress step and by a
background thread. A job whose process died is failed by whoever notices first — its page, the API, a
new import, a cancel, ``waibao sweep_jobs`` — and the next import may start at once. Messages are
written in the language of whoever uploaded the file (they read them).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from waibao.core import audit, clock, jobs
from waibao.core.errors import DomainError
from waibao.core.files import Upload, missing_message, safe_name
from waibao.core.limits import MB, ImportLimits, check_size, limited_rows, megabytes
from waibao.lib import spreadsheets
from waibao.lib.spreadsheets import SpreadsheetError, read_table
from waibao.vendors import services
from waibao.vendors.models import ImportStatus, VendorImportJob

log = logging.getLogger(__name__)

#: Errors kept on the job (all are counted); the page and the API show these.
KEPT_ERRORS = 500


class Cancelled(Exception):
    pass


class Lost(Exception):
    """The job was taken from this process (failed by someone who found its lease expired)."""


def import_limits() -> ImportLimits:
    """How large a vendor list may be (a list of vendors, not of records: far below record imports)."""
    return ImportLimits(
        max(1, int(settings.WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_MB)) * MB,
        max(1, int(settings.WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_ROWS)),
    )


def limits_in_words() -> dict[str, str]:
    """The limits as the import page states them: ``{"size": "10 MB", "rows": "10,000", "cell": "32,767"}``."""
    limits = import_limits()
    return {
        "size": megabytes(limits.max_bytes),
        "rows": f"{limits.max_rows:,}",
        "cell": f"{spreadsheets.limits().cell_chars:,}",
    }


def _language(job: VendorImportJob) -> str:
    return getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE


def _refused(exc: SpreadsheetError) -> DomainError:
    return DomainError(exc.message, fields={"file": exc.message}, code=exc.code)


def _check_rows(path: str, name: str, limits: ImportLimits) -> int | None:
    """The file's declared data rows, after refusing a file with more rows than the limit (reading at
    most one row past it, and none when the file declares no more)."""
    table = read_table(path, name)
    try:
        declared = table.declared_rows
        if declared is None or declared > limits.max_rows:
            for _row in limited_rows(table.rows, limits):
                pass
    finally:
        table.close()
    return declared if declared is not None and declared <= limits.max_rows else None


def start_import(*, actor: Any, upload: Upload) -> VendorImportJob:
    """Store the upload as a queued job, after the checks that need no reading of its rows."""
    name = safe_name(upload.name or "upload")
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        message = _("只能导入 .csv 或 .xlsx 文件。")
        raise DomainError(message, fields={"file": message}, code="format")
    limits = import_limits()
    check_size(upload.size, limits)
    job = VendorImportJob(
        file_name=name, created_at=clock.now(), created_by=actor if getattr(actor, "pk", None) else None
    )
    job.file.save(name, File(upload.stream), save=False)
    try:
        job.rows_total = _check_rows(job.file.path, name, limits)
    except SpreadsheetError as exc:
        job.file.delete(save=False)
        raise _refused(exc) from exc
    except DomainError:
        job.file.delete(save=False)
        raise
    job.save()
    audit.record(actor, "vendors.import.created", job, changes={"file": [None, name]})
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from waibao.vendors.tasks import run_vendor_import

    run_vendor_import.enqueue(job_id)


# --- running --------------------------------------------------------------------------------------


def run_import(job_id: int) -> VendorImportJob:
    """The task body: check and store the rows of a queued job; the job says how it ended."""
    job = VendorImportJob.objects.select_related("created_by").get(pk=job_id)
    mine = str(jobs.this_process())
    if not (
        job.status == ImportStatus.QUEUED or (job.status == ImportStatus.RUNNING and job.lease_owner == mine)
    ):
        return job
    actor: Any = job.created_by or "system"
    with translation.override(_language(job)):
        reap_dead_imports()
        if VendorImportJob.objects.filter(status=ImportStatus.RUNNING).exclude(pk=job.pk).exists():
            _end_unstarted(
                job,
                actor,
                _("未开始：另一个供应商导入任务正在进行，未导入任何数据。请在其完成后重新导入。"),
            )
            return job
        # Queued, or already held by this process (a worker that claimed it and runs it again).
        claimable = VendorImportJob.objects.filter(pk=job.pk).filter(
            Q(status=ImportStatus.QUEUED, cancel_requested=False)
            | Q(status=ImportStatus.RUNNING, lease_owner=mine)
        )
        if not jobs.claim(claimable, status=ImportStatus.RUNNING, started_at=job.started_at or clock.now()):
            job.refresh_from_db()  # cancelled, or taken by another worker, meanwhile
            return job
        job.refresh_from_db()
        try:
            with jobs.keep_alive(VendorImportJob, job.pk):  # type: ignore[type-var]
                _import(job, actor)
        except Lost:
            log.warning("vendor import #%s was taken from this process; stopped", job.pk)
            job.refresh_from_db()
        except Cancelled:
            _end(job, actor, ImportStatus.CANCELLED, _("已取消，未导入任何数据。"))
        except SpreadsheetError as exc:
            _end(job, actor, ImportStatus.REJECTED, _not_imported(exc.message))
        except DomainError as exc:  # the row limit, a vendor changed meanwhile: each says nothing was stored
            _end(job, actor, ImportStatus.REJECTED, exc.message)
        except OSError:  # the stored file is gone
            _end(job, actor, ImportStatus.FAILED, _not_imported(missing_message()))
        except Exception:
            _end(
                job,
                actor,
                ImportStatus.FAILED,
                _("导入因服务器内部错误中止，未导入任何数据。请联系管理员（服务器日志中有详细信息）。"),
            )
            raise
    return job


def _not_imported(reason: str) -> str:
    return _("%(reason)s 未导入任何数据。") % {"reason": reason}


def _import(job: VendorImportJob, actor: Any) -> None:
    limits = import_limits()
    path = job.file.path
    check_size(os.path.getsize(path), limits)
    table = read_table(path, job.file_name)

    def step(done: int) -> None:
        if not jobs.renew(VendorImportJob, job.pk, rows_done=done):
            raise Lost
        if VendorImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise Cancelled

    def succeeded(report: services.ImportReport) -> None:
        # In the transaction that stores the vendors: both, or neither.
        ended = VendorImportJob.objects.filter(
            pk=job.pk, status=ImportStatus.RUNNING, lease_owner=job.lease_owner, cancel_requested=False
        ).update(
            status=ImportStatus.SUCCEEDED,
            finished_at=clock.now(),
            rows_done=report.rows,
            count_created=len(report.created),
            count_updated=len(report.updated),
            count_unchanged=report.unchanged,
        )
        if not ended:  # cancelled at the last moment, or taken from us: store nothing
            job.refresh_from_db()
            raise Cancelled if job.cancel_requested else Lost
        job.refresh_from_db()
        audit.record(
            actor,
            "vendors.import.completed",
            job,
            changes={
                "rows": [None, report.rows],
                "count_created": [None, len(report.created)],
                "count_updated": [None, len(report.updated)],
            },
        )

    try:
        report = services.import_vendors(
            actor=actor,
            rows=limited_rows(table.rows, limits),
            headers=table.headers,
            progress=step,
            finish=succeeded,
        )
    finally:
        table.close()
    if report.errors:
        errors = sorted(report.errors, key=lambda e: e[0])
        n = report.rejected
        message = _("有错误的行：%(n)s。未导入任何数据，请修正后重新上传。") % {"n": f"{n:,}"}
        if VendorImportJob.objects.filter(
            pk=job.pk, status=ImportStatus.RUNNING, lease_owner=job.lease_owner
        ).update(
            status=ImportStatus.REJECTED,
            finished_at=clock.now(),
            rows_done=report.rows,
            count_rejected=n,
            error_count=len(errors),
            errors=[list(e) for e in errors[:KEPT_ERRORS]],
            message=message,
        ):
            job.refresh_from_db()
            audit.record(actor, "vendors.import.rejected", job, message=message)
        else:
            job.refresh_from_db()


def _end_unstarted(job: VendorImportJob, actor: Any, message: str) -> None:
    """A queued job that will not run: failed with the reason, never left waiting."""
    if VendorImportJob.objects.filter(pk=job.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.FAILED, finished_at=clock.now(), message=message
    ):
        job.refresh_from_db()
        audit.record(actor, "vendors.import.failed", job, message=message)
    else:
        job.refresh_from_db()


def _end(job: VendorImportJob, actor: Any, status: str, message: str) -> None:
    """End a job this process holds (nothing of it was stored)."""
    if VendorImportJob.objects.filter(
        pk=job.pk, status=ImportStatus.RUNNING, lease_owner=job.lease_owner
    ).update(status=status, finished_at=clock.now(), message=message):
        job.refresh_from_db()
        audit.record(actor, f"vendors.import.{status}", job, message=message)
    else:
        job.refresh_from_db()


# --- cancelling, and jobs whose process died ------------------------------------------------------


def cancel_import(*, job: VendorImportJob, actor: Any) -> VendorImportJob:
    """A queued job ends at once; a running one stops at its next step (nothing is stored); a running
    one whose process died is cancelled at once."""
    if job.status == ImportStatus.RUNNING and end_dead_import(job=job, actor=actor, cancel=True):
        return job
    if job.is_done:
        raise DomainError(_("导入任务已结束，无法取消。"), code="invalid_state", status=409)
    message = _("已取消，未导入任何数据。")
    if VendorImportJob.objects.filter(pk=job.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.CANCELLED, cancel_requested=True, finished_at=clock.now(), message=message
    ):
        job.refresh_from_db()
    else:  # running (or claimed meanwhile): it stops at its next step
        VendorImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        job.refresh_from_db()
        if job.is_done and job.status != ImportStatus.CANCELLED:
            raise DomainError(_("导入任务已结束，无法取消。"), code="invalid_state", status=409)
    audit.record(actor, "vendors.import.cancel_requested", job)
    return job


def end_dead_import(*, job: VendorImportJob, actor: Any = "system", cancel: bool = False) -> bool:
    """Fail (``cancel``: cancel) a running job whose process died, with a message saying so; False if
    its process may still be running it. A conditional update: two noticers never both end it."""
    found = job.death() if job.status == ImportStatus.RUNNING else None
    if found is None:
        return False
    with translation.override(_language(job)):
        why = found.text()
        if cancel:
            message = _("已取消。导入进程已意外停止（%(why)s），未导入任何数据。") % {"why": why}
        else:
            message = _("导入进程意外停止（%(why)s），未导入任何数据；可重新导入。") % {"why": why}
    status = ImportStatus.CANCELLED if cancel else ImportStatus.FAILED
    ended = (
        VendorImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING)
        .filter(jobs.still_dead(found))
        .update(status=status, finished_at=clock.now(), message=message, cancel_requested=cancel)
    )
    job.refresh_from_db()
    if ended:
        audit.record(actor, f"vendors.import.{status}", job, message=message)
    return bool(ended)


def reap_dead_imports() -> int:
    """End the running imports whose process died; how many (``waibao sweep_jobs`` calls this)."""
    running = VendorImportJob.objects.filter(status=ImportStatus.RUNNING).select_related("created_by")
    return sum(end_dead_import(job=job) for job in running)


def current(job: VendorImportJob) -> VendorImportJob:
    """The job as it is now: a running job whose process died is ended first (page, API)."""
    if job.status == ImportStatus.RUNNING:
        end_dead_import(job=job)
    return job
