"""The only way a URL id becomes a contract (or one of its parts).

Buyer users see every contract; a vendor user sees only its own vendor's, and anything else answers 404,
so the existence of other vendors' contracts is not revealed.  Within its own contracts, what a vendor
user may read of the buyer's internal side (drafts, approval steps, price-adjustment records, internal
documents) is decided by :mod:`waibao.contracts.visibility`: such a row is a 404 too.  Contracts are
addressed by their reference code (``CT-2026-0001``); a numeric primary key is accepted too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from waibao.accounts import policy
from waibao.contracts import visibility
from waibao.contracts.models import (
    Amendment,
    ApprovalStep,
    Clause,
    Contract,
    ContractDocument,
    ContractVersion,
    PaymentMilestone,
    PriceAdjustmentClause,
    SlaMetric,
)


def visible_contracts(user: Any) -> QuerySet[Contract]:
    if not policy.can_read(user):
        return Contract.objects.none()
    scope = policy.vendor_scope(user)
    qs = Contract.objects.all()
    return qs.filter(vendor_id=scope) if scope is not None else qs


def get_contract(
    user: Any, code_or_pk: Any, *, write: bool = False, action: str = "contracts.write"
) -> Contract:
    qs = visible_contracts(user).select_related("vendor", "owner")
    key = str(code_or_pk).strip()
    contract = qs.filter(code=key).first() if not key.isdigit() else qs.filter(pk=int(key)).first()
    if contract is None:
        raise Http404("contract")
    if write:
        policy.require(user, action)
    return contract


def _child(model: Any, user: Any, pk: Any, write: bool, action: str, contract: Contract | None = None) -> Any:
    qs = model.objects.select_related("contract", "contract__vendor")
    scope = policy.vendor_scope(user)
    if scope is not None:
        qs = qs.filter(contract__vendor_id=scope)
    elif not policy.can_read(user):
        raise Http404
    if contract is not None:
        qs = qs.filter(contract=contract)
    qs = visibility.rows(user, qs)  # the buyer's internal rows are not there for a vendor user: 404
    try:
        obj = qs.get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404
    if write:
        policy.require(user, action)
    return obj


def get_clause(user: Any, pk: Any, *, write: bool = False, contract: Contract | None = None) -> Clause:
    return _child(Clause, user, pk, write, "contracts.write", contract)


def get_milestone(
    user: Any,
    pk: Any,
    *,
    write: bool = False,
    action: str = "contracts.write",
    contract: Contract | None = None,
) -> PaymentMilestone:
    return _child(PaymentMilestone, user, pk, write, action, contract)


def get_metric(user: Any, pk: Any, *, write: bool = False, contract: Contract | None = None) -> SlaMetric:
    return _child(SlaMetric, user, pk, write, "contracts.write", contract)


def get_price_clause(
    user: Any,
    pk: Any,
    *,
    write: bool = False,
    action: str = "contracts.finance",
    contract: Contract | None = None,
) -> PriceAdjustmentClause:
    return _child(PriceAdjustmentClause, user, pk, write, action, contract)


def get_amendment(
    user: Any,
    pk: Any,
    *,
    write: bool = False,
    action: str = "contracts.write",
    contract: Contract | None = None,
) -> Amendment:
    return _child(Amendment, user, pk, write, action, contract)


def get_version(user: Any, contract: Contract, number: Any) -> ContractVersion:
    try:
        return ContractVersion.objects.get(contract=contract, number=int(number))
    except (ContractVersion.DoesNotExist, ValueError, TypeError):
        raise Http404


def get_document(
    user: Any, pk: Any, *, write: bool = False, contract: Contract | None = None
) -> ContractDocument:
    return _child(ContractDocument, user, pk, write, "contracts.write", contract)


def get_step(user: Any, pk: Any, *, contract: Contract | None = None) -> ApprovalStep:
    return _child(ApprovalStep, user, pk, False, "contracts.approve", contract)
