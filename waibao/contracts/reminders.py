"""Reminders 提醒: renewal decisions due, payment milestones due, price-index thresholds crossed.

``send_reminders(today)`` is idempotent: every notification carries a key, so running it every hour
tells each person about each event once (and e-mails once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import F
from django.utils.translation import gettext_lazy as _lazy

from waibao.contracts import services
from waibao.contracts.models import (
    IN_FORCE,
    Contract,
    IndexValue,
    MilestoneStatus,
    PaymentMilestone,
    RenewalType,
)
from waibao.core import clock, formats
from waibao.core.texts import Later
from waibao.notifications.services import notify


@dataclass
class ReminderRun:
    renewals: int = 0
    milestones: int = 0
    price_alerts: int = 0
    notifications: int = 0


def renewal_due_contracts(today: date) -> list[Contract]:
    """In-force contracts past ``end − notice − lead`` with no renewal decision recorded."""
    qs = (
        Contract.objects.filter(status__in=IN_FORCE, renewal_decision="", end_date__isnull=False)
        .exclude(renewal_type=RenewalType.EVERGREEN)
        .select_related("owner", "vendor")
    )
    qs = qs.filter(end_date__lte=today + timedelta(days=3650))  # coarse DB cut; exact check below
    return [c for c in qs if (d := services.renewal_reminder_date(c)) is not None and d <= today]


def send_reminders(today: date | None = None, actor: Any = "system") -> ReminderRun:
    today = today or clock.today()
    run = ReminderRun()
    for c in renewal_due_contracts(today):
        run.renewals += 1
        days_left = (c.end_date - today).days if c.end_date else 0
        run.notifications += notify(
            users=services.contract_watchers(c),
            kind="contracts.renewal",
            title=Later(
                _lazy("%(code)s 需要续约决定：%(days)s 天后到期（通知期 %(notice)s 天）"),
                {"code": c.code, "days": days_left, "notice": c.notice_days},
            ),
            body=Later(
                _lazy("合同“%(title)s”（%(vendor)s）将于 %(end)s 到期，尚未记录续约决定。"),
                {"title": c.title, "vendor": c.vendor.name, "end": c.end_date},
            ),
            url=f"/contracts/{c.code}/",
            key=f"renewal:{c.pk}:{c.end_date}",
        )
    due = PaymentMilestone.objects.filter(
        contract__status__in=IN_FORCE,
        status__in=[MilestoneStatus.PLANNED, MilestoneStatus.DUE],
        due_date__isnull=False,
        due_date__lte=today,
    ).select_related("contract", "contract__owner", "contract__vendor")
    for ms in due:
        if ms.status == MilestoneStatus.PLANNED:
            ms = services.mark_milestone_due(milestone=ms, actor=actor)
        run.milestones += 1
        amount = ms.amount_due()
        run.notifications += notify(
            users=services.contract_watchers(ms.contract, finance=True),
            kind="contracts.milestone",
            title=Later(
                _lazy("%(code)s 付款节点到期：%(name)s"), {"code": ms.contract.code, "name": ms.name}
            ),
            body=Later(
                _lazy("到期日 %(d)s，金额 %(a)s。验收标准：%(c)s"),
                {
                    "d": ms.due_date,
                    "a": formats.money(amount, ms.contract.currency),
                    "c": ms.acceptance_criteria or "—",
                },
            ),
            url=f"/contracts/{ms.contract.code}/#milestones",
            key=f"milestone-due:{ms.pk}",
        )
    crossed = IndexValue.objects.filter(crossed=True, clause__contract__status__in=IN_FORCE).select_related(
        "clause", "clause__contract", "clause__contract__owner"
    )
    # Only the latest value per clause matters; older crossings were reported when they were entered.
    latest: dict[int, IndexValue] = {}
    for iv in crossed.order_by("clause_id", F("on_date").desc(), "-id"):
        latest.setdefault(iv.clause_id, iv)
    for iv in latest.values():
        run.price_alerts += 1
        run.notifications += services.notify_price_threshold(iv)
    return run
