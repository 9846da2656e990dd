from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from waibao.calendars.models import Calendar
from waibao.calendars.services import ensure_builtin_calendars
from waibao.contracts.models import Contract, ContractVersion, SlaMetric
from waibao.contracts.selectors import sla_terms
from waibao.contracts.snapshots import contract_snapshot
from waibao.lib import businesstime
from waibao.notifications.services import notify

METRIC = {
    "name": "P1 响应",
    "kind": "share_within",
    "record_kind": "ticket",
    "filter": [["priority", "eq", "P1"]],
    "target": "95",
    "threshold_minutes": 30,
    "tiers": [
        {"from": "0", "to": "90", "consequence": "credit_percent", "amount": "5"},
        {"from": "90", "to": "95", "consequence": "credit_percent", "amount": "2"},
        {"from": "95", "to": "100", "consequence": "none"},
    ],
}


@pytest.mark.django_db
def test_builtin_calendars_are_created_once_and_china_uses_the_state_council_schedule():
    ensure_builtin_calendars()
    ensure_builtin_calendars()
    china = Calendar.objects.get(preset="china-mainland")
    assert Calendar.objects.filter(preset="24x7").count() == 1
    bc = china.business_calendar()
    assert date(2026, 10, 1) in bc.holidays
    assert bc is china.business_calendar()


@pytest.mark.django_db
def test_sla_terms_follow_the_version_in_force(vendor_a):
    ensure_builtin_calendars()
    cal = Calendar.objects.get(preset="china-mainland")
    c = Contract.objects.create(
        code="CT-2026-0001", vendor=vendor_a, title="t", category="it_services", start_date=date(2026, 1, 1),
        monthly_fee=Decimal("100000.00"),
    )  # fmt: skip
    SlaMetric.objects.create(
        contract=c, name="P1 响应", record_kind="ticket", definition=METRIC, calendar=cal
    )
    v1 = contract_snapshot(c)
    v2 = {**v1, "monthly_fee": "120000.00", "sla_metrics": []}
    ContractVersion.objects.create(
        contract=c, number=1, effective_from=date(2026, 1, 1), snapshot=v1, created_at="2026-01-01T00:00Z"
    )
    ContractVersion.objects.create(
        contract=c, number=2, effective_from=date(2026, 7, 1), snapshot=v2, created_at="2026-06-01T00:00Z"
    )
    t1 = sla_terms(c, date(2026, 3, 15))
    assert t1.version == 1 and t1.monthly_fee == Decimal("100000.00")
    assert t1.metrics[0].definition.threshold_minutes == 30
    assert isinstance(t1.metrics[0].calendar, businesstime.BusinessCalendar)
    t2 = sla_terms(c, date(2026, 7, 1))
    assert t2.version == 2 and t2.metrics == []


@pytest.mark.django_db
def test_notify_is_idempotent_per_key_and_mails_once(
    manager, finance_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(users=[manager, finance_user], kind="x", title="到期提醒", key="k1") == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(users=[manager, finance_user], kind="x", title="到期提醒", key="k1") == 0
    assert len(mail.outbox) == 2
