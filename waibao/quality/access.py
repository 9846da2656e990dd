"""The only way a URL id becomes a quality object (declared once in core.access).

Buyer users see everything; a vendor user sees only what belongs to its own vendor's contracts (and
complaints triaged to it: one still NEW is the buyer's to triage), and anything else answers 404 so other
vendors' records stay invisible. Writes then ask the role policy (403 for a role that may read but not act,
e.g. the auditor). Nonconformances, 8D reports and deliverables are worked on together with the vendor, so
their history is shown to the vendor's users too; the rest is the buyer's (history for buyers only).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from waibao.accounts import policy
from waibao.core import access
from waibao.core.access import Rule
from waibao.quality.models import (
    CapaStep,
    Complaint,
    ComplaintStatus,
    CorrectiveAction,
    Deliverable,
    DeliverableVersion,
    Evidence,
    Inspection,
    InspectionStream,
    Nonconformance,
    QualityPlan,
    SatisfactionResult,
)

M = TypeVar("M", bound=Model)


def _triaged(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """A complaint still NEW is the buyer's to triage: not yet there for the vendor."""
    return qs.exclude(status=ComplaintStatus.NEW)


RULES = access.register(
    {
        QualityPlan: Rule(vendor="contract__vendor_id", related=("contract", "contract__vendor")),
        InspectionStream: Rule(vendor="contract__vendor_id", related=("plan", "defect_class", "contract")),
        Inspection: Rule(
            vendor="contract__vendor_id",
            code="code",
            related=("contract", "contract__vendor", "plan", "inspector"),
        ),
        Deliverable: Rule(
            vendor="contract__vendor_id",
            code="code",
            related=("contract", "contract__vendor", "milestone"),
            history="all",
        ),
        DeliverableVersion: Rule(vendor="deliverable__contract__vendor_id", related=("deliverable",)),
        Nonconformance: Rule(
            vendor="vendor_id",
            code="code",
            related=("contract", "vendor", "inspection", "raised_by"),
            history="all",
        ),
        Evidence: Rule(vendor="ncr__vendor_id", related=("ncr",)),
        CorrectiveAction: Rule(
            vendor="ncr__vendor_id",
            code="code",
            related=("ncr", "ncr__contract", "ncr__vendor"),
            history="all",
        ),
        CapaStep: Rule(vendor="capa__ncr__vendor_id"),
        SatisfactionResult: Rule(vendor="contract__vendor_id"),
        Complaint: Rule(
            vendor="vendor_id", code="code", related=("contract", "vendor", "ncr"), vendor_filter=_triaged
        ),
    }
)


def scoped(model: type[M], user: Any) -> QuerySet[M]:
    """Every row of `model` the user may read (vendor users: only their own vendor's)."""
    return access.visible(model, user)


def get_plan(user: Any, pk: object, *, write: bool = False, action: str = "quality.write") -> QualityPlan:
    return access.get(QualityPlan, user, pk, write=write, action=action)


def get_stream(
    user: Any, pk: object, *, write: bool = False, action: str = "quality.inspect"
) -> InspectionStream:
    return access.get(InspectionStream, user, pk, write=write, action=action)


def get_inspection(
    user: Any, code_or_pk: object, *, write: bool = False, action: str = "quality.inspect"
) -> Inspection:
    return access.get(Inspection, user, code_or_pk, write=write, action=action)


def get_deliverable(
    user: Any, code_or_pk: object, *, write: bool = False, action: str = "quality.review"
) -> Deliverable:
    return access.get(Deliverable, user, code_or_pk, write=write, action=action)


def get_version(user: Any, pk: object) -> DeliverableVersion:
    return access.get(DeliverableVersion, user, pk)


def get_ncr(
    user: Any, code_or_pk: object, *, write: bool = False, action: str = "quality.write"
) -> Nonconformance:
    return access.get(Nonconformance, user, code_or_pk, write=write, action=action)


def get_evidence(user: Any, pk: object) -> Evidence:
    return access.get(Evidence, user, pk)


def get_capa(
    user: Any, code_or_pk: object, *, write: bool = False, action: str = "quality.write"
) -> CorrectiveAction:
    return access.get(CorrectiveAction, user, code_or_pk, write=write, action=action)


def get_complaint(
    user: Any, code_or_pk: object, *, write: bool = False, action: str = "quality.write"
) -> Complaint:
    return access.get(Complaint, user, code_or_pk, write=write, action=action)


def require_step_writer(user: Any) -> None:
    """8D steps D1–D7 are written by the vendor's users, or by the buyer's quality staff on their behalf."""
    if not (policy.can(user, "quality.vendor_respond") or policy.can(user, "quality.write")):
        access.require(user, "quality.vendor_respond")
