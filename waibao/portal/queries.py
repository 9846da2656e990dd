"""What a vendor user must do now: the vendor portal's home. Reads only, through each app's scoped queries,
so a vendor sees only its own 8D steps, disputes and deliverables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Min, Prefetch, Q

from waibao.accounts import policy
from waibao.core import clock

#: Answered disputes stay on the home page this long after the buyer's decision.
ANSWERED_DAYS = 30


@dataclass
class CapaTodo:
    capa: Any
    open_steps: list[Any]  # the vendor's unfinished steps (D1–D7), earliest due first
    next_due: date
    overdue: bool


@dataclass
class DeliverableTodo:
    deliverable: Any
    returned_at: datetime | None
    comment: str


@dataclass
class VendorTodo:
    capas: list[CapaTodo] = field(default_factory=list)
    deliverables: list[DeliverableTodo] = field(default_factory=list)
    answered: list[Any] = field(default_factory=list)  # disputes the buyer decided recently
    waiting: list[Any] = field(default_factory=list)  # the vendor's disputes the buyer has not decided

    @property
    def count(self) -> int:
        return len(self.capas) + len(self.deliverables)


def vendor_todo(user: Any, *, limit: int = 20) -> VendorTodo | None:
    """None for buyer users. Each list is the vendor's own, capped at ``limit``."""
    if policy.vendor_scope(user) is None:
        return None
    from waibao.delivery.access import visible_disputes
    from waibao.delivery.models import DisputeStatus
    from waibao.quality.access import scoped
    from waibao.quality.models import (
        VENDOR_STEPS,
        CapaStatus,
        CapaStep,
        CorrectiveAction,
        Deliverable,
        DeliverableStatus,
        ReviewDecision,
        ReviewDecisionKind,
    )

    today = clock.today()
    todo = VendorTodo()
    open_steps = CapaStep.objects.filter(step__in=VENDOR_STEPS, done_at__isnull=True).order_by("due_date", "step")
    capas = (
        scoped(CorrectiveAction, user)
        .filter(status=CapaStatus.OPEN)
        .annotate(
            next_due=Min(
                "steps__due_date", filter=Q(steps__step__in=VENDOR_STEPS, steps__done_at__isnull=True)
            )
        )
        .select_related("ncr", "ncr__contract")
        .prefetch_related(Prefetch("steps", queryset=open_steps, to_attr="open_steps"))
        .order_by("next_due", "pk")[:limit]
    )
    for capa in capas:
        next_due = capa.next_due or today  # every step filled but not submitted: due now
        todo.capas.append(CapaTodo(capa, capa.open_steps, next_due, next_due < today))
    returned = (
        scoped(Deliverable, user)
        .filter(status=DeliverableStatus.RETURNED)
        .select_related("contract")
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=ReviewDecision.objects.filter(decision=ReviewDecisionKind.RETURN).order_by("-at", "-id"),
                to_attr="returns",
            )
        )
        .order_by("-updated_at", "-id")[:limit]
    )
    for d in returned:
        last = d.returns[0] if d.returns else None
        todo.deliverables.append(DeliverableTodo(d, last.at if last else None, last.comment if last else ""))
    disputes = visible_disputes(user).select_related("record", "decided_by")
    since = clock.now() - timedelta(days=ANSWERED_DAYS)
    todo.answered = list(
        disputes.exclude(status=DisputeStatus.OPEN).filter(decided_at__gte=since).order_by("-decided_at")[:limit]
    )
    todo.waiting = list(disputes.filter(status=DisputeStatus.OPEN).order_by("raised_at")[:limit])
    return todo
