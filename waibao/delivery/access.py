"""The only way a URL id becomes a delivery object (declared once in core.access). Another vendor's object is
a 404, never a 403; a vendor user sees only the import jobs it started itself (buyers' imports may carry
internal notes). A service record's history is the buyer's audit trail: buyers only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from waibao.contracts.access import get_contract, visible_contracts
from waibao.contracts.models import Contract
from waibao.core import access
from waibao.core.access import Rule
from waibao.delivery.models import ImportJob, ManualValue, RecordDispute, ServiceRecord, SlaResult

__all__ = ["get_contract", "visible_contracts"]

RELATED = ("contract", "contract__vendor")


def _own_jobs(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """A vendor user sees only the import jobs it started."""
    return qs.filter(created_by_id=getattr(user, "pk", None))


RULES = access.register(
    {
        ServiceRecord: Rule(vendor="contract__vendor_id", related=RELATED),
        ImportJob: Rule(vendor="contract__vendor_id", related=RELATED, vendor_filter=_own_jobs),
        RecordDispute: Rule(vendor="contract__vendor_id", related=RELATED),
        ManualValue: Rule(vendor="contract__vendor_id", related=RELATED),
        SlaResult: Rule(vendor="contract__vendor_id", related=RELATED),
    }
)


def get_record(
    user: Any,
    pk: object,
    *,
    write: bool = False,
    action: str = "delivery.write",
    contract: Contract | None = None,
) -> ServiceRecord:
    within = {"contract": contract} if contract is not None else None
    return access.get(ServiceRecord, user, pk, write=write, action=action, within=within)


def get_job(user: Any, pk: object, *, write: bool = False, action: str = "delivery.import") -> ImportJob:
    return access.get(ImportJob, user, pk, write=write, action=action)


def get_dispute(
    user: Any, pk: object, *, write: bool = False, action: str = "delivery.resolve"
) -> RecordDispute:
    return access.get(RecordDispute, user, pk, write=write, action=action)


def get_manual_value(
    user: Any, pk: object, *, write: bool = False, action: str = "delivery.manual"
) -> ManualValue:
    return access.get(ManualValue, user, pk, write=write, action=action)


def get_result(user: Any, pk: object) -> SlaResult:
    return access.get(SlaResult, user, pk)


def visible_records(user: Any) -> QuerySet[ServiceRecord]:
    return access.visible(ServiceRecord, user).select_related(*RELATED)


def visible_disputes(user: Any) -> QuerySet[RecordDispute]:
    return access.visible(RecordDispute, user).select_related(*RELATED)
