"""The only way a URL id becomes a delivery object. Another vendor's object is a 404, never a 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from waibao.accounts import policy
from waibao.contracts.access import get_contract, visible_contracts
from waibao.contracts.models import Contract
from waibao.delivery.models import ImportJob, ManualValue, RecordDispute, ServiceRecord, SlaResult

__all__ = ["get_contract", "visible_contracts"]


def _scoped(model: Any, user: Any) -> QuerySet[Any]:
    if not policy.can_read(user):
        return model.objects.none()
    qs = model.objects.select_related("contract", "contract__vendor")
    scope = policy.vendor_scope(user)
    return qs.filter(contract__vendor_id=scope) if scope is not None else qs


def _get(model: Any, user: Any, pk: Any, write: bool, action: str, contract: Contract | None) -> Any:
    qs = _scoped(model, user)
    if contract is not None:
        qs = qs.filter(contract=contract)
    try:
        obj = qs.get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if write:
        policy.require(user, action)
    return obj


def get_record(
    user: Any,
    pk: Any,
    *,
    write: bool = False,
    action: str = "delivery.write",
    contract: Contract | None = None,
) -> ServiceRecord:
    return _get(ServiceRecord, user, pk, write, action, contract)


def get_job(user: Any, pk: Any, *, write: bool = False, action: str = "delivery.import") -> ImportJob:
    job: ImportJob = _get(ImportJob, user, pk, write, action, None)
    # A vendor user sees only the jobs it started (buyers' imports may carry internal notes).
    scope = policy.vendor_scope(user)
    if scope is not None and job.created_by_id != getattr(user, "pk", None):
        raise Http404
    return job


def get_dispute(
    user: Any, pk: Any, *, write: bool = False, action: str = "delivery.resolve"
) -> RecordDispute:
    return _get(RecordDispute, user, pk, write, action, None)


def get_manual_value(
    user: Any, pk: Any, *, write: bool = False, action: str = "delivery.manual"
) -> ManualValue:
    return _get(ManualValue, user, pk, write, action, None)


def get_result(user: Any, pk: Any) -> SlaResult:
    return _get(SlaResult, user, pk, False, "", None)


def visible_records(user: Any) -> QuerySet[ServiceRecord]:
    return _scoped(ServiceRecord, user)


def visible_disputes(user: Any) -> QuerySet[RecordDispute]:
    return _scoped(RecordDispute, user)
