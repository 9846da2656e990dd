"""End of term: ``waibao expire_contracts`` expires fixed-term contracts and renews auto-renew ones."""

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from waibao.contracts import services
from waibao.contracts.models import ContractStatus, RenewalDecision, RenewalType
from waibao.contracts.selectors import sla_terms
from waibao.core.models import AuditEvent
from waibao.notifications.models import Notification

from .factories import TERM_2026, active_contract

# The contracts here run for calendar 2026 and are approved while that term runs (a term that has ended
# cannot be approved to active): the tests give the dates and travel to mid-2026 whatever today is.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_2026")]


def _run(day: str) -> str:
    out = StringIO()
    with time_machine.travel(date.fromisoformat(day)):
        call_command("expire_contracts", stdout=out)
    return out.getvalue()


def test_fixed_term_contract_expires_the_day_after_its_end_date_once(manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers, **TERM_2026)
    assert "expired=0" in _run("2026-12-31")
    c.refresh_from_db()
    assert c.status == ContractStatus.ACTIVE
    assert "expired=1" in _run("2027-01-01")
    assert "expired=0 renewed=0" in _run("2027-01-02")
    c.refresh_from_db()
    assert c.status == ContractStatus.EXPIRED
    event = AuditEvent.objects.get(verb="contracts.contract.expired", object_id=str(c.pk))
    assert event.actor is None and event.actor_name == "system"
    change = c.status_changes.first()
    assert (
        change.to_status == ContractStatus.EXPIRED and change.actor is None and "2026-12-31" in change.reason
    )
    assert Notification.objects.filter(user=manager, key=f"expired:{c.pk}").count() == 1


def test_suspended_fixed_term_contract_also_expires(manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers, **TERM_2026)
    services.change_status(contract=c, actor=manager, to=ContractStatus.SUSPENDED, reason="整改")
    _run("2027-02-01")
    c.refresh_from_db()
    assert c.status == ContractStatus.EXPIRED


def test_auto_renew_contract_rolls_forward_one_term_with_a_new_version_and_one_notice(
    manager, vendor_a, approvers
):
    c = active_contract(manager, vendor_a, approvers, renewal_type=RenewalType.AUTO, **TERM_2026)
    services.record_renewal_decision(contract=c, actor=manager, decision=RenewalDecision.RENEW)
    assert "renewed=1" in _run("2027-01-01")
    assert "renewed=0" in _run("2027-01-05")
    c.refresh_from_db()
    assert c.status == ContractStatus.ACTIVE and c.end_date == date(2027, 12, 31)
    assert c.renewal_decision == ""  # the new term needs its own decision
    v2 = c.versions.get(number=2)
    assert c.current_version == 2 and v2.effective_from == date(2027, 1, 1) and v2.amendment is None
    assert v2.snapshot["end_date"] == "2027-12-31" and v2.note
    assert sla_terms(c, date(2027, 3, 1)).version == 2 and sla_terms(c, date(2026, 3, 1)).version == 1
    event = AuditEvent.objects.get(verb="contracts.contract.renewed", object_id=str(c.pk))
    assert event.actor_name == "system" and event.changes["end_date"] == ["2026-12-31", "2027-12-31"]
    assert Notification.objects.filter(user=manager, kind="contracts.renewed").count() == 1
    page_versions = [v.number for v in c.versions.all()]
    assert page_versions == [1, 2]


def test_auto_renew_catches_up_several_missed_terms(manager, vendor_a, approvers):
    with time_machine.travel(date(2026, 1, 15)):  # approved while its first term runs
        c = active_contract(
            manager, vendor_a, approvers, renewal_type=RenewalType.AUTO,
            start_date=date(2026, 1, 1), end_date=date(2026, 3, 31),
        )  # fmt: skip
    _run("2026-10-15")
    c.refresh_from_db()
    assert c.end_date == date(2026, 12, 31) and c.current_version == 4
    assert Notification.objects.filter(user=manager, kind="contracts.renewed").count() == 1


def test_auto_renew_with_a_do_not_renew_decision_expires(manager, vendor_a, approvers):
    c = active_contract(manager, vendor_a, approvers, renewal_type=RenewalType.AUTO, **TERM_2026)
    services.record_renewal_decision(contract=c, actor=manager, decision=RenewalDecision.NOT_RENEW)
    assert "expired=1 renewed=0" in _run("2027-01-01")
    c.refresh_from_db()
    assert c.status == ContractStatus.EXPIRED and c.end_date == date(2026, 12, 31)


def test_evergreen_and_draft_contracts_are_left_alone(manager, vendor_a, approvers):
    from .factories import draft_contract

    evergreen = active_contract(
        manager, vendor_a, approvers, renewal_type=RenewalType.EVERGREEN, end_date=None
    )
    draft = draft_contract(manager, vendor_a)
    assert "expired=0 renewed=0" in _run("2030-01-01")
    evergreen.refresh_from_db()
    draft.refresh_from_db()
    assert evergreen.status == ContractStatus.ACTIVE and draft.status == ContractStatus.DRAFT


def test_term_in_days_when_the_contract_does_not_span_whole_months(manager, vendor_a, approvers):
    with time_machine.travel(date(2026, 1, 15)):  # approved while its first term runs
        c = active_contract(
            manager, vendor_a, approvers, renewal_type=RenewalType.AUTO,
            start_date=date(2026, 1, 10), end_date=date(2026, 2, 18),
        )  # fmt: skip  # 40 days
    _run("2026-02-19")
    c.refresh_from_db()
    assert c.end_date == date(2026, 3, 30)


def test_expire_contracts_is_a_scheduled_job():
    from waibao.core import registry

    assert any(j.command == "expire_contracts" for j in registry.SCHEDULE)
