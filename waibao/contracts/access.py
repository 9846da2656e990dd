"""The only way a URL id becomes a contract (or one of its parts): the contracts' rows in `core.access`.

Buyer users see every contract; a vendor user sees only its own vendor's, and anything else answers 404,
so the existence of other vendors' contracts is not revealed.  Within its own contracts, what a vendor
user may read of the buyer's internal side (drafts, approval steps, price-adjustment records, internal
documents) is decided by :mod:`waibao.contracts.visibility` (each rule's ``vendor_filter``): such a row is
a 404 too.  Contracts are addressed by their reference code (``CT-2026-0001``); a numeric primary key is
accepted too.  A contract's history is for buyers only (the rules' default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404

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
from waibao.core import access
from waibao.core.access import Rule

#: a part of a contract: reaches its vendor through the contract, loaded with it
_PART = ("contract", "contract__vendor")


def _part(model: type[Model]) -> Rule:
    return Rule(vendor="contract__vendor_id", related=_PART, vendor_filter=visibility.vendor_filter(model))


SCOPES: Mapping[type[Model], Rule] = access.register(
    {
        Contract: Rule(vendor="vendor_id", code="code", related=("vendor", "owner")),
        Clause: _part(Clause),
        PaymentMilestone: _part(PaymentMilestone),
        SlaMetric: _part(SlaMetric),
        PriceAdjustmentClause: _part(PriceAdjustmentClause),
        Amendment: _part(Amendment),
        ContractDocument: _part(ContractDocument),
        ApprovalStep: _part(ApprovalStep),
        ContractVersion: _part(ContractVersion),
    }
)


def _within(contract: Contract | None) -> dict[str, Any] | None:
    return {"contract": contract} if contract is not None else None


def visible_contracts(user: Any) -> QuerySet[Contract]:
    return access.visible(Contract, user)


def get_contract(
    user: Any, code_or_pk: Any, *, write: bool = False, action: str = "contracts.write"
) -> Contract:
    return access.get(Contract, user, code_or_pk, write=write, action=action)


def get_clause(user: Any, pk: Any, *, write: bool = False, contract: Contract | None = None) -> Clause:
    return access.get(Clause, user, pk, write=write, action="contracts.write", within=_within(contract))


def get_milestone(
    user: Any,
    pk: Any,
    *,
    write: bool = False,
    action: str = "contracts.write",
    contract: Contract | None = None,
) -> PaymentMilestone:
    return access.get(PaymentMilestone, user, pk, write=write, action=action, within=_within(contract))


def get_metric(user: Any, pk: Any, *, write: bool = False, contract: Contract | None = None) -> SlaMetric:
    return access.get(SlaMetric, user, pk, write=write, action="contracts.write", within=_within(contract))


def get_price_clause(
    user: Any,
    pk: Any,
    *,
    write: bool = False,
    action: str = "contracts.finance",
    contract: Contract | None = None,
) -> PriceAdjustmentClause:
    return access.get(PriceAdjustmentClause, user, pk, write=write, action=action, within=_within(contract))


def get_amendment(
    user: Any,
    pk: Any,
    *,
    write: bool = False,
    action: str = "contracts.write",
    contract: Contract | None = None,
) -> Amendment:
    return access.get(Amendment, user, pk, write=write, action=action, within=_within(contract))


def get_version(user: Any, contract: Contract, number: Any) -> ContractVersion:
    """The contract's version by its number (not its id), among the versions the user may see."""
    n = access.pk_of(number)
    version = (
        access.visible(ContractVersion, user).filter(contract=contract, number=n).first()
        if n is not None
        else None
    )
    if version is None:
        raise Http404(ContractVersion._meta.model_name)
    return version


def get_document(
    user: Any, pk: Any, *, write: bool = False, contract: Contract | None = None
) -> ContractDocument:
    return access.get(
        ContractDocument, user, pk, write=write, action="contracts.write", within=_within(contract)
    )


def get_step(user: Any, pk: Any, *, contract: Contract | None = None) -> ApprovalStep:
    return access.get(ApprovalStep, user, pk, within=_within(contract))
