"""/api/v1/delivery/ — the same services as the pages, with the same access rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router
from ninja.files import UploadedFile

from waibao.accounts import policy
from waibao.contracts.models import SlaMetric
from waibao.core.apiutils import ERRORS, ERRORS_409, Choice, Page, paginate
from waibao.core.errors import DomainError
from waibao.delivery import access, ingest, queries, services
from waibao.delivery.formatting import missed_cells, missed_columns
from waibao.delivery.forms import MissedFilterForm
from waibao.delivery.models import ImportJob, JobStatus, ManualValue
from waibao.delivery.schemas import (
    BatchIn,
    CloseOut,
    DisputeDecisionIn,
    DisputeIn,
    DisputeOut,
    JobOut,
    ManualDecisionIn,
    ManualSetOut,
    ManualValueIn,
    ManualValueOut,
    MissedPageOut,
    RecordOut,
    SlaResultOut,
)

router = Router(tags=["delivery"])


@router.get("/contracts/{code}/sla-results", response={200: list[SlaResultOut], **ERRORS})
def sla_results(request: HttpRequest, code: str, period: str = "") -> Any:
    contract = access.get_contract(request.user, code)
    return list(queries.results_for(contract, period or None))


@router.get("/contracts/{code}/records", response={200: Page[RecordOut], **ERRORS})
def list_records(
    request: HttpRequest,
    code: str,
    q: str = "",
    kind: str = "",
    priority: str = "",
    period: str = "",
    page: int = 1,
    page_size: int = 50,
) -> Any:
    contract = access.get_contract(request.user, code)
    params = {"q": q, "kind": kind, "priority": priority, "period": period}
    return paginate(
        request, queries.records_for(request.user, contract, params), page=page, page_size=page_size
    )


@router.get("/contracts/{code}/missed/{metric_id}/{period}", response={200: MissedPageOut, **ERRORS})
def list_missed(
    request: HttpRequest,
    code: str,
    metric_id: int,
    period: str,
    sort: Annotated[str, Choice(list(queries.MISSED_SORTS), blank=True)] = "",
    q: str = "",
    min_over_hours: str = "",
    cursor: str = "",
    page_size: int = queries.MISSED_PAGE_SIZE,
) -> Any:
    """The records that count against one metric in one period (``2026-10``, ``2026-Q4``) — the list
    behind the contract page's "missed records", with the same filters (``q``: part of the record id;
    ``min_over_hours``: at least this late), sort and columns. Paged by cursor from an index: the period
    is never counted; follow ``next`` until it is null."""
    contract = access.get_contract(request.user, code)
    metric = SlaMetric.objects.filter(contract=contract, pk=metric_id).first()
    if metric is None:
        raise Http404
    form = MissedFilterForm({"sort": sort, "q": q, "min_over_hours": min_over_hours})
    errors = {name: " ".join(str(m) for m in messages) for name, messages in form.errors.items()}
    at = int(cursor) if cursor.isdigit() else 0
    if cursor and not cursor.isdigit():
        errors["cursor"] = _("不是本列表给出的翻页位置。")
    try:
        definition = queries.missed_definition(contract, metric, period)
    except ValueError:
        errors["period"] = _("周期格式应为 2026-10 或 2026-Q4。")
    if errors:
        raise DomainError(" ".join(errors.values()), fields=errors)
    size = max(1, min(page_size, settings.WAIBAO_API_MAX_PAGE_SIZE))
    page = queries.missed_page(contract, metric, period, form.filters(), at=at, page_size=size)
    columns = missed_columns(definition)
    return {
        "contract": contract.code,
        "metric_id": metric.pk,
        "metric": metric.name,
        "period": period,
        "rule": page.rule,
        "columns": [{"key": key, "label": str(label)} for key, _page_label, label in columns],
        "items": [
            {
                "id": item.record["id"],
                "external_id": item.record["external_id"],
                "cells": _missed_cells(definition, item, columns),
            }
            for item in page.items
        ],
        "next": None if page.next_at is None else str(page.next_at),
        "partial": page.partial,
    }


def _missed_cells(definition: Any, item: Any, columns: Any) -> list[Any]:
    """The export's cells (hours as numbers, local times) as JSON values: times in ISO 8601 with the
    installation's offset, yes/no fields as booleans."""
    out: list[Any] = []
    for (key, _label, _x), cell in zip(
        columns, missed_cells(definition, item, columns, export=True), strict=True
    ):
        rec = item.record
        raw = rec.get(key) if key in rec else (rec.get("custom") or {}).get(key.removeprefix("custom."))
        if isinstance(raw, bool) or (key == "defect" and raw is None):
            out.append(raw)
        elif isinstance(cell, datetime):
            out.append(timezone.make_aware(cell).isoformat() if timezone.is_naive(cell) else cell.isoformat())
        elif isinstance(cell, bool | int | Decimal | str) or cell is None:
            out.append(cell)
        else:
            out.append(str(cell))
    return out


@router.get("/records/{record_id}", response={200: RecordOut, **ERRORS})
def get_record(request: HttpRequest, record_id: int) -> Any:
    return access.get_record(request.user, record_id)


@router.post("/contracts/{code}/records:batch", response={200: JobOut, **ERRORS_409})
def records_batch(request: HttpRequest, code: str, payload: BatchIn) -> Any:
    """Create or update up to 10,000 records. All-or-nothing by default: any bad row → 422, nothing stored."""
    contract = access.get_contract(request.user, code, write=True, action="delivery.import")
    records = [r.dict(exclude_unset=True) for r in payload.records]
    job = services.import_batch(contract=contract, actor=request.user, records=records, policy=payload.policy)
    if job.status == JobStatus.REJECTED:
        # The message says each reason once (count and first rows); ``fields`` lists the first rows.
        groups = [ingest.group_line(g) for g in (job.summary or {}).get("groups", [])[:10]]
        raise DomainError(
            " ".join([job.message, *groups]), fields={f"{r}.{c}": m for r, c, m in job.errors_preview}
        )
    return job


@router.get("/contracts/{code}/imports", response={200: Page[JobOut], **ERRORS})
def list_imports(request: HttpRequest, code: str, page: int = 1, page_size: int = 50) -> Any:
    contract = access.get_contract(request.user, code)
    services.reap_dead_jobs(contract=contract)  # a job whose process died reads as failed, not running
    qs = ImportJob.objects.filter(contract=contract).select_related("contract")
    if policy.vendor_scope(request.user) is not None:
        qs = qs.filter(created_by_id=request.user.pk)
    return paginate(request, qs, page=page, page_size=page_size)


@router.post("/contracts/{code}/imports", response={202: JobOut, **ERRORS_409})
def create_import(
    request: HttpRequest, code: str, file: File[UploadedFile], import_policy: Form[str] = "all_or_nothing"
) -> Any:
    """Upload a .csv/.xlsx file; it is imported in the background (poll GET /imports/{id})."""
    contract = access.get_contract(request.user, code, write=True, action="delivery.import")
    job = services.create_file_job(
        contract=contract,
        actor=request.user,
        upload=services.Upload(file.name or "upload", file.file, file.size),  # type: ignore[arg-type]
        policy=import_policy,
    )
    return 202, job


@router.get("/imports/{job_id}", response={200: JobOut, **ERRORS})
def get_import(request: HttpRequest, job_id: int) -> Any:
    return services.reap_if_dead(access.get_job(request.user, job_id))


@router.post("/imports/{job_id}/cancel", response={200: JobOut, **ERRORS_409})
def cancel_import(request: HttpRequest, job_id: int) -> Any:
    job = access.get_job(request.user, job_id, write=True)
    return services.cancel_import(job=job, actor=request.user)


@router.post("/contracts/{code}/periods/{period}/close", response={200: CloseOut, **ERRORS})
def close_period(request: HttpRequest, code: str, period: str) -> Any:
    contract = access.get_contract(request.user, code, write=True, action="delivery.close_period")
    return {
        "period": period,
        "closed": services.close_period(contract=contract, period=period, actor=request.user),
    }


@router.get("/disputes", response={200: Page[DisputeOut], **ERRORS})
def list_disputes(request: HttpRequest, status: str = "", page: int = 1, page_size: int = 50) -> Any:
    qs = queries.open_disputes(request.user)
    if status:
        qs = qs.filter(status=status)
    return paginate(request, qs, page=page, page_size=page_size)


@router.post("/records/{record_id}/disputes", response={201: DisputeOut, **ERRORS_409})
def raise_dispute(request: HttpRequest, record_id: int, payload: DisputeIn) -> Any:
    record = access.get_record(request.user, record_id, write=True, action="delivery.dispute")
    return 201, services.raise_dispute(
        record=record, actor=request.user, comment=payload.comment, proposed=payload.proposed
    )


@router.post("/disputes/{dispute_id}/accept", response={200: DisputeOut, **ERRORS_409})
def accept_dispute(request: HttpRequest, dispute_id: int, payload: DisputeDecisionIn) -> Any:
    dispute = access.get_dispute(request.user, dispute_id, write=True)
    return services.accept_dispute(dispute=dispute, actor=request.user, response=payload.response)


@router.post("/disputes/{dispute_id}/reject", response={200: DisputeOut, **ERRORS_409})
def reject_dispute(request: HttpRequest, dispute_id: int, payload: DisputeDecisionIn) -> Any:
    dispute = access.get_dispute(request.user, dispute_id, write=True)
    return services.reject_dispute(dispute=dispute, actor=request.user, response=payload.response)


@router.get("/contracts/{code}/manual-values", response={200: Page[ManualValueOut], **ERRORS})
def list_manual_values(
    request: HttpRequest, code: str, period: str = "", status: str = "", page: int = 1, page_size: int = 50
) -> Any:
    contract = access.get_contract(request.user, code)
    qs = (
        ManualValue.objects.filter(contract=contract)
        .select_related("metric")
        .order_by("-period", "metric_id")
    )
    if period:
        qs = qs.filter(period=period)
    if status:
        qs = qs.filter(status=status)
    return paginate(request, qs, page=page, page_size=page_size)


@router.post("/contracts/{code}/manual-values", response={200: ManualSetOut, **ERRORS_409})
def enter_manual_value(request: HttpRequest, code: str, payload: ManualValueIn) -> Any:
    """Buyers (admin, manager, quality) set the value, confirmed at once, and get the recomputed result;
    vendor users propose one, which counts once a buyer confirms it."""
    contract = access.get_contract(request.user, code)
    metric = contract.sla_metrics.filter(pk=payload.metric_id).first()
    if metric is None:
        raise DomainError(_("该合同没有这个指标。"), fields={"metric_id": _("该合同没有这个指标。")})
    entry = services.enter_manual_value(
        metric=metric, period=payload.period, value=payload.value, actor=request.user, note=payload.note
    )
    return {"manual": entry.manual, "result": entry.result}


@router.post("/manual-values/{manual_id}/confirm", response={200: ManualValueOut, **ERRORS_409})
def confirm_manual_value(request: HttpRequest, manual_id: int, payload: ManualDecisionIn) -> Any:
    manual = access.get_manual_value(request.user, manual_id, write=True)
    return services.confirm_manual_value(manual=manual, actor=request.user, response=payload.response)


@router.post("/manual-values/{manual_id}/reject", response={200: ManualValueOut, **ERRORS_409})
def reject_manual_value(request: HttpRequest, manual_id: int, payload: ManualDecisionIn) -> Any:
    manual = access.get_manual_value(request.user, manual_id, write=True)
    return services.reject_manual_value(manual=manual, actor=request.user, response=payload.response)
