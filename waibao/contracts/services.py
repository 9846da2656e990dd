"""Every write to contracts: create, clauses, approval, lifecycle, milestones, amendments, SLA metrics."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from waibao.contracts.models import MILESTONE_TRANSITIONS, MilestoneStatus, PaymentMilestone
from waibao.core import audit, clock
from waibao.core.errors import DomainError


def accept_milestone(*, milestone: PaymentMilestone, actor: Any, note: str = "") -> PaymentMilestone:
    """Record acceptance of a milestone's deliverable (planned/due → accepted)."""
    with transaction.atomic():
        locked = PaymentMilestone.objects.select_for_update().select_related("contract").get(pk=milestone.pk)
        if MilestoneStatus.ACCEPTED not in MILESTONE_TRANSITIONS[locked.status]:
            raise DomainError(
                _("付款节点“%(name)s”当前状态为%(status)s，不能验收。")
                % {"name": locked.name, "status": locked.get_status_display()},
                fields={"status": _("只有计划中或已到期的节点可以验收。")},
            )
        before = locked.status
        locked.status = MilestoneStatus.ACCEPTED
        locked.accepted_at = clock.now()
        locked.accepted_by = actor if getattr(actor, "pk", None) else None
        locked.acceptance_note = note
        locked.version += 1
        locked.save(
            update_fields=["status", "accepted_at", "accepted_by", "acceptance_note", "version", "updated_at"]
        )
        audit.record(
            actor,
            "contracts.milestone.accepted",
            locked,
            changes={"status": [before, locked.status]},
            message=note,
        )
    return locked
