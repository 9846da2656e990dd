"""Recording what happened: `audit.record(actor, "vendors.vendor.created", vendor, changes=...)`.

Every service that changes a domain record calls `record` inside its transaction, so a rolled-back
action leaves no audit entry and a committed one always has its entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from waibao.core import clock
from waibao.core.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "name") and hasattr(value, "path"):  # FieldFile
        return value.name or ""
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, in JSON-able form, for a before/after diff."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def created(obj: models.Model, fields: Iterable[str]) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in snapshot(obj, fields).items() if v not in (None, "", [])}


def record(
    actor: Any,
    verb: str,
    obj: models.Model,
    *,
    changes: dict[str, Any] | None = None,
    message: str = "",
    vendor_id: int | None = None,
) -> AuditEvent:
    if vendor_id is None:
        vendor_id = _vendor_id_of(obj)
    user = actor if getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=user,
        actor_name=(actor.get_username() if user else str(actor or "system"))[:150],
        verb=verb,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        vendor_id=vendor_id,
        changes=_plain(changes or {}),
        message=message,
    )


def _vendor_id_of(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "vendors.vendor":
        return int(obj.pk) if obj.pk else None
    vid = getattr(obj, "vendor_id", None)
    if vid is None:
        contract = getattr(obj, "contract", None)
        vid = getattr(contract, "vendor_id", None) if contract is not None else None
    return int(vid) if vid is not None else None


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )
