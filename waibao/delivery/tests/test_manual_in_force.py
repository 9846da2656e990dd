"""Manual KPI values only for periods in which the metric was in force (issue 11): a metric an amendment
added later, or removed, or a period outside the contract's term is refused — in the service, so the
page, the vendor's page and the API say the same — with a message that names the period and the dates
the metric is in force. A period is measured by the contract version in force on its first day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from waibao.contracts import selectors
from waibao.contracts import services as contract_services
from waibao.contracts.tests.factories import active_contract, china
from waibao.core.errors import DomainError
from waibao.delivery import queries, services
from waibao.delivery.models import ManualValue, SlaResult

pytestmark = pytest.mark.django_db

SURVEY = {
    "name": "客户满意度 CSAT（调查）",
    "kind": "manual",
    "target": "90",
    "tiers": [
        {"from": "0", "to": "90", "consequence": "credit_percent", "amount": "3"},
        {"from": "90", "to": "100", "consequence": "none"},
    ],
}


@pytest.fixture
def clock_at():
    """The contract is made in June 2026; the values are entered in November 2026."""
    with time_machine.travel("2026-06-15 10:00 +08:00", tick=False) as traveller:
        yield traveller


@pytest.fixture
def approvers(manager, finance_user, admin_user):
    return {"manager": manager, "finance": finance_user, "admin": admin_user}


def _metric_rows(contract):
    return [
        {"id": m.pk, "calendar_id": m.calendar_id, "definition": m.definition}
        for m in contract.sla_metrics.filter(retired=False).order_by("position", "id")
    ]


def _amend(contract, manager, approvers, effective_from, metrics):
    a = contract_services.propose_amendment(
        contract=contract, actor=manager, title="调整 SLA 指标", reason="客户要求",
        effective_from=effective_from, changes={"sla_metrics": metrics},
    )  # fmt: skip
    contract_services.submit_amendment(amendment=a, actor=manager)
    while (step := contract_services.current_step(contract, a)) is not None:
        contract_services.approve_step(
            contract=contract, actor=approvers[step.role], comment="同意", amendment=a
        )
    a.refresh_from_db()
    assert a.status == "approved"
    contract.refresh_from_db()
    return contract


@pytest.fixture
def added_in_july(manager, vendor_a, approvers, clock_at):
    """A contract for 2026–2027 whose survey metric an amendment adds from 1 July 2026."""
    c = active_contract(
        manager, vendor_a, approvers, start_date=date(2026, 1, 1), end_date=date(2027, 12, 31)
    )
    rows = [*_metric_rows(c), {"calendar_id": china().pk, "definition": dict(SURVEY)}]
    c = _amend(c, manager, approvers, date(2026, 7, 1), rows)
    clock_at.move_to("2026-11-10 10:00 +08:00")
    return c


@pytest.fixture
def removed_in_september(manager, vendor_a, approvers, clock_at):
    """A contract that has the survey metric from the start; an amendment removes it from 1 September."""
    c = active_contract(
        manager, vendor_a, approvers, start_date=date(2026, 1, 1), end_date=date(2027, 12, 31)
    )
    c = _amend(c, manager, approvers, date(2026, 2, 1),
               [*_metric_rows(c), {"calendar_id": china().pk, "definition": dict(SURVEY)}])  # fmt: skip
    survey = c.sla_metrics.get(name=SURVEY["name"])
    c = _amend(c, manager, approvers, date(2026, 9, 1), [r for r in _metric_rows(c) if r["id"] != survey.pk])
    clock_at.move_to("2026-11-10 10:00 +08:00")
    return c


def _survey(contract):
    return contract.sla_metrics.get(name=SURVEY["name"])


def test_a_vendor_cannot_propose_a_value_before_an_amendment_added_the_metric(added_in_july, vendor_user_a):
    survey = _survey(added_in_july)
    with pytest.raises(DomainError) as exc:
        services.propose_manual_value(
            metric=survey, period="2026-05", value=Decimal("85"), actor=vendor_user_a
        )
    message = exc.value.message
    assert "2026-05" in message and SURVEY["name"] in message and "2026-07-01 至 2027-12-31" in message
    assert exc.value.fields["period"] == message
    assert not ManualValue.objects.exists()
    mv = services.propose_manual_value(
        metric=survey, period="2026-08", value=Decimal("85"), actor=vendor_user_a
    )
    assert mv.status == "proposed"


def test_a_buyer_is_refused_the_same_way(added_in_july, manager):
    survey = _survey(added_in_july)
    with pytest.raises(DomainError) as exc:
        services.set_manual_value(metric=survey, period="2026-06", value=95, actor=manager)
    assert "2026-07-01 至 2027-12-31" in exc.value.message
    assert not ManualValue.objects.exists() and not SlaResult.objects.filter(metric=survey).exists()


def test_a_removed_metric_takes_values_only_for_periods_while_it_was_in_force(
    removed_in_september, vendor_user_a, manager
):
    survey = _survey(removed_in_september)
    assert survey.retired
    with pytest.raises(DomainError) as exc:
        services.propose_manual_value(
            metric=survey, period="2026-10", value=Decimal("85"), actor=vendor_user_a
        )
    assert "2026-10" in exc.value.message and "2026-02-01 至 2026-08-31" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.propose_manual_value(
            metric=survey, period="2026-01", value=Decimal("85"), actor=vendor_user_a
        )
    assert "2026-01" in exc.value.message and "2026-02-01 至 2026-08-31" in exc.value.message
    # A survey for August, while the metric was in force, still counts (it arrives after the removal).
    assert services.propose_manual_value(metric=survey, period="2026-08", value=85, actor=vendor_user_a)
    r = services.set_manual_value(metric=survey, period="2026-08", value=Decimal("88"), actor=manager)
    assert (r.period, r.value, r.status) == ("2026-08", 88.0, "missed")


def test_a_period_outside_the_term_names_the_term(added_in_july, vendor_user_a):
    with pytest.raises(DomainError) as exc:
        services.propose_manual_value(
            metric=_survey(added_in_july), period="2025-12", value=Decimal("85"), actor=vendor_user_a
        )
    assert "2025-12" in exc.value.message and "2026-01-01 至 2027-12-31" in exc.value.message


def test_the_api_and_the_vendors_page_refuse_with_the_same_message(
    added_in_july, vendor_user_a, api_client, as_user
):
    survey = _survey(added_in_july)
    r = api_client(vendor_user_a).post(
        f"/api/v1/delivery/contracts/{added_in_july.code}/manual-values",
        {"metric_id": survey.pk, "period": "2026-05", "value": "85"},
        content_type="application/json",
    )
    assert r.status_code == 422, r.content
    body = r.json()
    assert "2026-07-01 至 2027-12-31" in body["message"] and body["fields"]["period"] == body["message"]
    page = as_user(vendor_user_a).post(
        f"/delivery/contracts/{added_in_july.code}/manual/{survey.pk}/", {"period": "2026-05", "value": "85"}
    )
    assert page.status_code == 200 and "2026-07-01 至 2027-12-31" in page.content.decode()
    assert not ManualValue.objects.exists()


def test_the_page_offers_only_periods_in_which_the_metric_is_in_force(added_in_july, vendor_user_a, as_user):
    survey = _survey(added_in_july)
    assert queries.metric_manual_periods(added_in_july, survey, date(2026, 11, 10)) == [
        "2026-11", "2026-10", "2026-09", "2026-08", "2026-07",
    ]  # fmt: skip
    html = as_user(vendor_user_a).get(f"/delivery/contracts/{added_in_july.code}/").content.decode()
    assert 'value="2026-07"' in html and 'value="2026-06"' not in html


def test_in_force_ranges_follow_the_version_a_period_starts_under(added_in_july, manager, approvers):
    survey = _survey(added_in_july)
    assert selectors.metric_in_force(added_in_july, survey.pk) == [(date(2026, 7, 1), date(2027, 12, 31))]
    # A version from mid-month: that month is measured by the version in force on its first day.
    rows = [r for r in _metric_rows(added_in_july) if r["id"] != survey.pk]
    c = _amend(added_in_july, manager, approvers, date(2026, 10, 15), rows)
    assert selectors.metric_in_force(c, survey.pk) == [(date(2026, 7, 1), date(2026, 10, 14))]
    for on in (date(2026, 7, 1), date(2026, 10, 1)):
        assert any(m.metric_id == survey.pk for m in selectors.sla_terms(c, on).metrics)
        assert selectors.in_ranges(selectors.metric_in_force(c, survey.pk), on)
    for on in (date(2026, 6, 30), date(2026, 11, 1)):
        assert not any(m.metric_id == survey.pk for m in selectors.sla_terms(c, on).metrics)
        assert not selectors.in_ranges(selectors.metric_in_force(c, survey.pk), on)


def test_a_period_before_an_open_ended_contract_names_its_start(vendor_a, manager, vendor_user_a):
    from waibao.delivery.tests.factories import make_contract

    with time_machine.travel("2026-11-10 10:00 +08:00", tick=False):
        c = make_contract(vendor_a, owner=manager, metrics=[SURVEY])
        with pytest.raises(DomainError) as exc:
            services.propose_manual_value(metric=_survey(c), period="2025-12", value=85, actor=vendor_user_a)
        assert "2025-12" in exc.value.message and "2026-01-01 起" in exc.value.message
        assert services.propose_manual_value(
            metric=_survey(c), period="2026-10", value=85, actor=vendor_user_a
        )


def test_the_refusal_reads_in_english(added_in_july, vendor_user_a):
    from django.utils import translation

    with translation.override("en"), pytest.raises(DomainError) as exc:
        services.propose_manual_value(
            metric=_survey(added_in_july), period="2026-05", value=85, actor=vendor_user_a
        )
    assert str(exc.value.message) == (
        f"Metric “{SURVEY['name']}” does not apply in period 2026-05: it is in force 2026-07-01 to 2027-12-31 "
        "(each period is measured by the contract version in force on its first day)."
    )
