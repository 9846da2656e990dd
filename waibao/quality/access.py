"""The only way a URL id becomes a quality object.

Buyer users see everything; a vendor user sees only what belongs to its own vendor's contracts (and
complaints triaged to it), and anything else answers 404 so other vendors' records stay invisible.
Writes then ask the role policy (403 for a role that may read but not act, e.g. the auditor).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from waibao.accounts import policy
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

CONTRACT_PATH: dict[type, str] = {
    QualityPlan: "contract__vendor_id",
    InspectionStream: "contract__vendor_id",
    Inspection: "contract__vendor_id",
    Deliverable: "contract__vendor_id",
    DeliverableVersion: "deliverable__contract__vendor_id",
    Nonconformance: "vendor_id",
    Evidence: "ncr__vendor_id",
    CorrectiveAction: "ncr__vendor_id",
    CapaStep: "capa__ncr__vendor_id",
    SatisfactionResult: "contract__vendor_id",
}


def scoped(model: Any, user: Any) -> QuerySet[Any]:
    """Every row of `model` the user may read (vendor users: only their own vendor's)."""
    if not policy.can_read(user):
        return model.objects.none()
    qs = model.objects.all()
    scope = policy.vendor_scope(user)
    if scope is None:
        return qs
    if model is Complaint:
        return qs.filter(vendor_id=scope).exclude(status=ComplaintStatus.NEW)
    return qs.filter(**{CONTRACT_PATH[model]: scope})


def _get(model: Any, user: Any, pk: Any, write: bool, action: str, *, related: tuple[str, ...] = ()) -> Any:
    qs = scoped(model, user)
    if related:
        qs = qs.select_related(*related)
    try:
        obj = qs.get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404
    if write:
        policy.require(user, action)
    return obj


def _by_code(model: Any, user: Any, code: Any, write: bool, action: str, related: tuple[str, ...]) -> Any:
    key = str(code).strip()
    if key.isdigit():
        return _get(model, user, key, write, action, related=related)
    obj = scoped(model, user).select_related(*related).filter(code=key).first()
    if obj is None:
        raise Http404
    if write:
        policy.require(user, action)
    return obj


def get_plan(user: Any, pk: Any, *, write: bool = False, action: str = "quality.write") -> QualityPlan:
    return _get(QualityPlan, user, pk, write, action, related=("contract", "contract__vendor"))


def get_stream(
    user: Any, pk: Any, *, write: bool = False, action: str = "quality.inspect"
) -> InspectionStream:
    return _get(InspectionStream, user, pk, write, action, related=("plan", "defect_class", "contract"))


def get_inspection(
    user: Any, code_or_pk: Any, *, write: bool = False, action: str = "quality.inspect"
) -> Inspection:
    return _by_code(
        Inspection, user, code_or_pk, write, action, ("contract", "contract__vendor", "plan", "inspector")
    )


def get_deliverable(
    user: Any, code_or_pk: Any, *, write: bool = False, action: str = "quality.review"
) -> Deliverable:
    return _by_code(
        Deliverable, user, code_or_pk, write, action, ("contract", "contract__vendor", "milestone")
    )


def get_version(user: Any, pk: Any) -> DeliverableVersion:
    return _get(DeliverableVersion, user, pk, False, "", related=("deliverable",))


def get_ncr(
    user: Any, code_or_pk: Any, *, write: bool = False, action: str = "quality.write"
) -> Nonconformance:
    return _by_code(
        Nonconformance, user, code_or_pk, write, action, ("contract", "vendor", "inspection", "raised_by")
    )


def get_evidence(user: Any, pk: Any) -> Evidence:
    return _get(Evidence, user, pk, False, "", related=("ncr",))


def get_capa(
    user: Any, code_or_pk: Any, *, write: bool = False, action: str = "quality.write"
) -> CorrectiveAction:
    return _by_code(
        CorrectiveAction, user, code_or_pk, write, action, ("ncr", "ncr__contract", "ncr__vendor")
    )


def get_complaint(
    user: Any, code_or_pk: Any, *, write: bool = False, action: str = "quality.write"
) -> Complaint:
    return _by_code(Complaint, user, code_or_pk, write, action, ("contract", "vendor", "ncr"))


def require_step_writer(user: Any) -> None:
    """8D steps D1–D7 are written by the vendor's users, or by the buyer's quality staff on their behalf."""
    if not (policy.can(user, "quality.vendor_respond") or policy.can(user, "quality.write")):
        policy.require(user, "quality.vendor_respond")
