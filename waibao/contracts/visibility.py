"""What a vendor user sees of its own contracts: one policy, asked by every door.

A vendor user already sees only its own vendor's contracts (``access.py``). Within those, the buyer's
internal side stays internal; this module decides which rows and which fields that is, and the contract
pages, the API, the amendment and version pages and ``access.get_*`` all ask here — no page or endpoint
decides it by itself. Buyer users (every buyer role, the auditor included) see everything.

=========================  ==================================================================================
What                       A vendor user sees
=========================  ==================================================================================
contract terms             yes: title, scope, term, fees, caps, status, owner, termination date and reason
renewal planning           no: the buyer's renewal decision, when it was made, its reminder lead time
clauses, SLA metrics,      yes: the terms the vendor is bound by (the price-adjustment *clause text* is a
payment milestones         clause like any other)
price-adjustment records   no: the buyer's finance model of the clause (base, thresholds, shares, notes),
                           index readings and the fees it would propose — a fee change reaches the vendor
                           as a submitted amendment
amendments                 submitted ones (in approval, approved), and those withdrawn after being
                           submitted (so a proposal the vendor saw does not silently vanish); never drafts,
                           returned ones (back with their author) or ones withdrawn before submission
approval steps             no: levels, approvers, dates and comments; the outcome shows as the contract's or
                           the amendment's status
status timeline            moves into force and out of it (active, suspended, expired, terminated) with
                           their reasons; not the draft ⇄ in-approval moves, whose reason is a return comment
versions and their diff    yes, without the price-adjustment records
documents                  yes, except those marked internal (404 on download)
history (audit trail)      no (``core.access.history``: buyers only)
=========================  ==================================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from waibao.accounts import policy
from waibao.contracts.models import (
    Amendment,
    AmendmentStatus,
    ApprovalStep,
    ContractDocument,
    ContractStatus,
    IndexValue,
    PriceAdjustmentClause,
    StatusChange,
)

M = TypeVar("M", bound=Model)

#: Amendments a vendor user sees: submitted and not back with their author.
VENDOR_AMENDMENT_STATUSES = frozenset({AmendmentStatus.IN_APPROVAL, AmendmentStatus.APPROVED})

#: Status moves a vendor user sees: into force and out of it.
VENDOR_STATUS_MOVES = frozenset(
    {ContractStatus.ACTIVE, ContractStatus.SUSPENDED, ContractStatus.EXPIRED, ContractStatus.TERMINATED}
)

#: Contract fields that are the buyer's own planning: not shown to vendor users (``None`` in the API).
INTERNAL_CONTRACT_FIELDS = frozenset({"renewal_decision", "renewal_decided_at", "renewal_lead_days"})

#: Snapshot keys (versions, amendments' diffs) that hold internal records.
INTERNAL_SNAPSHOT_KEYS = frozenset({"price_adjustments"})


def _amendments(qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.filter(
        Q(status__in=VENDOR_AMENDMENT_STATUSES) | Q(status=AmendmentStatus.CANCELLED, approval_round__gt=0)
    )


#: For each model, the rows of its own contracts a vendor user sees (models not listed: every row).
VENDOR_ROWS: dict[type[Model], Callable[[QuerySet[Any]], QuerySet[Any]]] = {
    Amendment: _amendments,
    ApprovalStep: lambda qs: qs.none(),
    PriceAdjustmentClause: lambda qs: qs.none(),
    IndexValue: lambda qs: qs.none(),
    ContractDocument: lambda qs: qs.filter(internal=False),
    StatusChange: lambda qs: qs.filter(to_status__in=VENDOR_STATUS_MOVES),
}


def sees_internal(user: Any) -> bool:
    """Whether the user reads the buyer's internal side of contracts (every buyer role does)."""
    return policy.vendor_scope(user) is None


def rows(user: Any, qs: QuerySet[M]) -> QuerySet[M]:
    """``qs`` (rows of contracts the user may see) narrowed to what the user may read of them."""
    narrow = VENDOR_ROWS.get(qs.model)
    if narrow is None or sees_internal(user):
        return qs
    return narrow(qs)


def vendor_filter(model: type[Model]) -> Callable[[QuerySet[Any], Any], QuerySet[Any]] | None:
    """The same narrowing in the shape ``core.access.Rule(vendor_filter=...)`` takes."""
    narrow = VENDOR_ROWS.get(model)
    return None if narrow is None else (lambda qs, _user: narrow(qs))


def field(user: Any, obj: Any, name: str) -> Any:
    """A contract field's value for the user: ``None`` for an internal field a vendor user may not read."""
    if name in INTERNAL_CONTRACT_FIELDS and not sees_internal(user):
        return None
    return getattr(obj, name)


def snapshot(user: Any, snap: dict[str, Any]) -> dict[str, Any]:
    """A version snapshot (full terms as JSON) without the records a vendor user may not read."""
    if sees_internal(user):
        return snap
    return {k: v for k, v in snap.items() if k not in INTERNAL_SNAPSHOT_KEYS}


def version_diff(user: Any, a: dict[str, Any], b: dict[str, Any], *, words: bool = True) -> list[Any]:
    """What changed between two snapshots, as far as the user may read them."""
    from waibao.contracts.services import diff_snapshots

    return diff_snapshots(snapshot(user, a), snapshot(user, b), words=words)


def amendment_diff(user: Any, amendment: Amendment) -> list[Any]:
    """What an amendment changes, as far as the user may read it."""
    from waibao.contracts.services import amendment_snapshots

    return version_diff(user, *amendment_snapshots(amendment))
