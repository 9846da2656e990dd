"""Manual KPI values (issue 3): entered by the buyer, or proposed by the vendor and confirmed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from waibao.core.errors import DomainError
from waibao.core.models import AuditEvent
from waibao.delivery import services
from waibao.delivery.models import ManualValue, SlaAdjustment, SlaResult
from waibao.delivery.tests.factories import CSAT, P1_RESPONSE, make_contract

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
QUARTERLY = {"name": "培训完成率", "kind": "manual", "target": "95", "window": "quarter"}


@pytest.fixture
def manual_contract(vendor_a, manager, travel):
    # The survey metric takes the quality app's percentages: the contract's one CSAT scale is 0–100 %.
    return make_contract(
        vendor_a, owner=manager, metrics=[P1_RESPONSE, CSAT, SURVEY, QUARTERLY], csat_scale="percent"
    )


@pytest.fixture
def survey(manual_contract):
    return manual_contract.sla_metrics.get(name=SURVEY["name"])


@pytest.fixture
def quarterly(manual_contract):
    return manual_contract.sla_metrics.get(name=QUARTERLY["name"])


def result(metric, period):
    return SlaResult.objects.get(metric=metric, period=period)


def test_a_buyer_value_is_confirmed_at_once_and_evaluated_with_tiers(survey, manager):
    r = services.set_manual_value(metric=survey, period="2026-10", value=Decimal("87.5"), actor=manager)
    assert (r.period, r.value, r.sample_size, r.status, r.credit) == (
        "2026-10",
        87.5,
        1,
        "missed",
        Decimal("3000.00"),
    )
    mv = ManualValue.objects.get(metric=survey, period="2026-10")
    assert (mv.status, mv.confirmed_value, mv.entered_by) == ("confirmed", Decimal("87.5"), manager)
    assert AuditEvent.objects.filter(verb="delivery.manual.set").count() == 1


def test_setting_again_updates_the_same_value_and_the_result(survey, manager):
    services.set_manual_value(metric=survey, period="2026-10", value=Decimal("80"), actor=manager)
    r = services.set_manual_value(metric=survey, period="2026-10", value="92", actor=manager, note="复核")
    assert ManualValue.objects.filter(metric=survey).count() == 1
    assert (r.value, r.status, r.credit) == (92.0, "met", Decimal("0.00"))
    assert result(survey, "2026-10").status == "met"


def test_a_quarterly_manual_metric_takes_quarter_keys(quarterly, manager):
    r = services.set_manual_value(metric=quarterly, period="2026-Q3", value=96, actor=manager)
    assert (r.period, r.status) == ("2026-Q3", "met")
    with pytest.raises(DomainError) as exc:
        services.set_manual_value(metric=quarterly, period="2026-09", value=96, actor=manager)
    assert "2026-Q4" in exc.value.message and "period" in exc.value.fields


@pytest.mark.parametrize(
    ("period", "value", "field"),
    [
        ("2026-13", "90", "period"),
        ("2026-12", "90", "period"),
        ("2025-12", "90", "period"),
        ("2026-10", "abc", "value"),
    ],
)
def test_bad_periods_and_values_are_refused(survey, manager, period, value, field):
    with pytest.raises(DomainError) as exc:
        services.set_manual_value(metric=survey, period=period, value=value, actor=manager)
    assert field in exc.value.fields
    assert not ManualValue.objects.exists()


def test_a_metric_computed_from_records_takes_no_manual_value(manual_contract, manager):
    metric = manual_contract.sla_metrics.get(name=CSAT["name"])
    with pytest.raises(DomainError) as exc:
        services.set_manual_value(metric=metric, period="2026-10", value=4, actor=manager)
    assert "metric" in exc.value.fields


def test_a_vendor_proposal_counts_only_once_confirmed(survey, manager, vendor_user_a, quality_user):
    services.set_manual_value(metric=survey, period="2026-10", value=95, actor=manager)
    mv = services.propose_manual_value(
        metric=survey, period="2026-10", value=Decimal("85"), actor=vendor_user_a
    )
    assert mv.status == "proposed" and mv.confirmed_value == Decimal("95")
    assert result(survey, "2026-10").value == 95.0  # the confirmed value still counts
    services.confirm_manual_value(manual=mv, actor=quality_user, response="核对调查报告")
    mv.refresh_from_db()
    assert (mv.status, mv.confirmed_value, mv.decided_by) == ("confirmed", Decimal("85"), quality_user)
    assert (result(survey, "2026-10").value, result(survey, "2026-10").status) == (85.0, "missed")
    with pytest.raises(DomainError):
        services.confirm_manual_value(manual=mv, actor=quality_user)


def test_a_rejected_proposal_leaves_the_confirmed_value(survey, manager, vendor_user_a):
    services.set_manual_value(metric=survey, period="2026-09", value=91, actor=manager)
    mv = services.propose_manual_value(metric=survey, period="2026-09", value=99, actor=vendor_user_a)
    with pytest.raises(DomainError):
        services.reject_manual_value(manual=mv, actor=manager, response=" ")
    services.reject_manual_value(manual=mv, actor=manager, response="与调查报告不符")
    mv.refresh_from_db()
    assert (mv.status, mv.confirmed_value, mv.response) == ("rejected", Decimal("91"), "与调查报告不符")
    assert result(survey, "2026-09").value == 91.0


def test_a_proposal_alone_gives_no_data(survey, vendor_user_a, manager):
    services.propose_manual_value(metric=survey, period="2026-10", value=99, actor=vendor_user_a)
    services.evaluate(contract=survey.contract, actor=manager, periods=["2026-10"])
    assert result(survey, "2026-10").status == "no_data"


def test_a_change_to_a_closed_period_becomes_an_adjustment(survey, manager, finance_user):
    services.set_manual_value(metric=survey, period="2026-10", value=95, actor=manager)
    services.close_period(contract=survey.contract, period="2026-10", actor=finance_user)
    r = services.set_manual_value(metric=survey, period="2026-10", value=80, actor=manager, note="迟到的调查")
    assert r.closed and r.value == 95.0 and r.credit == Decimal("0.00")
    adj = SlaAdjustment.objects.get(result=r)
    assert (adj.value_before, adj.value_after, adj.credit_after) == (95.0, 80.0, Decimal("3000.00"))


def test_manual_credits_share_the_period_cap_with_the_other_metrics(vendor_a, manager, travel):
    heavy = {**SURVEY, "tiers": [{"from": "0", "to": "90", "consequence": "credit_percent", "amount": "20"}]}
    c = make_contract(vendor_a, owner=manager, metrics=[heavy], cap="12")
    r = services.set_manual_value(metric=c.sla_metrics.get(), period="2026-10", value=50, actor=manager)
    assert r.credit == Decimal("12000.00") and r.capped


def test_satisfaction_results_from_quality_feed_the_manual_metric(survey, quality_user):
    from waibao.quality import services as quality

    quality.record_satisfaction(
        contract=survey.contract, actor=quality_user, period="2026-10", csat="88.5", nps="30", responses=200
    )
    mv = ManualValue.objects.get(metric=survey, period="2026-10")
    assert (mv.status, mv.confirmed_value) == ("confirmed", Decimal("88.5"))
    assert result(survey, "2026-10").status == "missed"


# --- pages ----------------------------------------------------------------------------------------


def test_the_contract_page_offers_entry_and_pending_proposals(survey, manager, vendor_user_a, as_user):
    services.propose_manual_value(
        metric=survey, period="2026-10", value=85, actor=vendor_user_a, note="月度调查"
    )
    html = as_user(manager).get(f"/delivery/contracts/{survey.contract.code}/").content.decode()
    assert f'action="/delivery/contracts/{survey.contract.code}/manual/{survey.pk}/"' in html
    assert "/decide/" in html and "月度调查" in html and "保存并确认" in html
    vendor_html = as_user(vendor_user_a).get(f"/delivery/contracts/{survey.contract.code}/").content.decode()
    assert "提交待确认" in vendor_html and "/decide/" not in vendor_html


@pytest.mark.parametrize(
    ("who", "status", "expected"),
    [
        ("manager", 302, "confirmed"),
        ("quality", 302, "confirmed"),
        ("vendor_a", 302, "proposed"),
        ("auditor", 403, None),
        ("finance", 403, None),
        ("vendor_b", 404, None),
    ],
)
def test_entering_a_value_on_the_page_by_role(survey, personas, as_user, who, status, expected):
    r = as_user(personas[who]).post(
        f"/delivery/contracts/{survey.contract.code}/manual/{survey.pk}/",
        {"period": "2026-10", "value": "91"},
    )
    assert r.status_code == status
    mv = ManualValue.objects.filter(metric=survey).first()
    assert (mv.status if mv else None) == expected


def test_a_refused_value_on_the_page_says_why(survey, manager, as_user):
    c = as_user(manager)
    r = c.post(
        f"/delivery/contracts/{survey.contract.code}/manual/{survey.pk}/",
        {"period": "2026-12", "value": "91"},
        follow=True,
    )
    assert "尚未开始" in r.content.decode() and not ManualValue.objects.exists()


def _field_block(html, field_id):
    """The markup from a field's widget to what follows it (the next label or button): widget + errors."""
    start = html.rindex("<", 0, html.index(f'id="{field_id}"'))
    return html[start : min(html.find(tag, start) % len(html) for tag in ("<label", "<button", "</form>"))]


def test_a_refused_period_comes_back_next_to_that_metrics_field_keeping_the_input(
    survey, quarterly, manager, as_user
):
    r = as_user(manager).post(
        f"/delivery/contracts/{survey.contract.code}/manual/{survey.pk}/",
        {"period": "2026-12", "value": "91.5", "note": "十二月调查"},
    )
    assert r.status_code == 200  # re-rendered, not redirected
    html = r.content.decode()
    period = _field_block(html, f"manual-{survey.pk}-period")
    assert "尚未开始" in period and "is-invalid" in period
    assert '<option value="2026-12" selected>' in period
    assert 'value="91.5"' in html and 'value="十二月调查"' in html
    assert "尚未开始" not in _field_block(html, f"manual-{quarterly.pk}-period")  # the other metric's form
    assert 'class="alert alert-danger' not in html.split('id="main"')[1].split("<h1")[0]  # no flash on top
    assert not ManualValue.objects.exists()


def test_a_value_that_is_not_a_number_is_shown_at_the_value_field(survey, vendor_user_a, as_user):
    r = as_user(vendor_user_a).post(
        f"/delivery/contracts/{survey.contract.code}/manual/{survey.pk}/",
        {"period": "2026-10", "value": "九十", "note": "月度调查"},
    )
    html = r.content.decode()
    value = _field_block(html, f"manual-{survey.pk}-value")
    assert "is-invalid" in value and 'value="九十"' in value and "invalid-feedback" in value
    assert "is-invalid" not in _field_block(html, f"manual-{survey.pk}-period")
    assert 'value="月度调查"' in html and not ManualValue.objects.exists()


def test_a_note_that_is_too_long_is_shown_at_the_note_field(survey, manager, as_user):
    r = as_user(manager).post(
        f"/delivery/contracts/{survey.contract.code}/manual/{survey.pk}/",
        {"period": "2026-10", "value": "91", "note": "长" * 501},
    )
    note = _field_block(r.content.decode(), f"manual-{survey.pk}-note")
    assert "is-invalid" in note and "500" in note
    assert not ManualValue.objects.exists()


def test_a_saved_value_redirects_back_to_its_metric_with_a_message(survey, manager, as_user):
    c = as_user(manager)
    r = c.post(
        f"/delivery/contracts/{survey.contract.code}/manual/{survey.pk}/",
        {"period": "2026-10", "value": "91"},
    )
    assert r.status_code == 302 and r["Location"].endswith(f"#metric-{survey.pk}")
    assert "值已确认" in c.get(r["Location"]).content.decode()


def test_with_htmx_a_saved_value_answers_with_the_page_and_a_notice_in_the_card(
    survey, vendor_user_a, as_user
):
    r = as_user(vendor_user_a).post(
        f"/delivery/contracts/{survey.contract.code}/manual/{survey.pk}/",
        {"period": "2026-10", "value": "91"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    card = r.content.decode().split(f'id="metric-{survey.pk}"')[1]
    assert "待采购方确认" in card.split('id="manual-form-')[0]
    assert ManualValue.objects.get().status == "proposed"


def test_a_rejection_without_a_reason_is_shown_at_that_proposals_opinion_field(
    survey, manager, vendor_user_a, as_user
):
    mv = services.propose_manual_value(metric=survey, period="2026-10", value=85, actor=vendor_user_a)
    other = services.propose_manual_value(metric=survey, period="2026-09", value=86, actor=vendor_user_a)
    r = as_user(manager).post(f"/delivery/manual/{mv.pk}/decide/", {"decision": "reject", "response": " "})
    assert r.status_code == 200
    html = r.content.decode()
    assert "驳回时请说明理由" in _field_block(html, f"decide-{mv.pk}-response")
    assert "驳回时请说明理由" not in _field_block(html, f"decide-{other.pk}-response")
    mv.refresh_from_db()
    assert mv.status == "proposed"


@pytest.mark.parametrize(
    ("who", "status"), [("auditor", 403), ("vendor_a", 403), ("vendor_b", 404), ("manager", 302)]
)
def test_deciding_a_proposal_on_the_page_by_role(survey, personas, as_user, who, status):
    mv = services.propose_manual_value(metric=survey, period="2026-10", value=85, actor=personas["vendor_a"])
    r = as_user(personas[who]).post(f"/delivery/manual/{mv.pk}/decide/", {"decision": "confirm"})
    assert r.status_code == status
    mv.refresh_from_db()
    assert mv.status == ("confirmed" if status == 302 else "proposed")


# --- API ------------------------------------------------------------------------------------------


def test_the_api_sets_a_value_and_answers_with_the_result(survey, manager, api_client):
    r = api_client(manager).post(
        f"/api/v1/delivery/contracts/{survey.contract.code}/manual-values",
        {"metric_id": survey.pk, "period": "2026-10", "value": "92.5"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["manual"]["status"] == "confirmed" and body["result"]["status"] == "met"
    assert body["result"]["value"] == 92.5


def test_the_api_flow_of_a_vendor_proposal(survey, personas, api_client):
    url = f"/api/v1/delivery/contracts/{survey.contract.code}/manual-values"
    r = api_client(personas["vendor_a"]).post(
        url, {"metric_id": survey.pk, "period": "2026-10", "value": "85"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["result"] is None
    pk = r.json()["manual"]["id"]
    assert api_client(personas["vendor_b"]).get(url).status_code == 404
    for who, code in [("vendor_b", 404), ("vendor_a", 403), ("auditor", 403), ("finance", 403)]:
        resp = api_client(personas[who]).post(
            f"/api/v1/delivery/manual-values/{pk}/confirm", {}, content_type="application/json"
        )
        assert resp.status_code == code, who
    assert api_client(personas["auditor"]).get(url).json()["count"] == 1
    r = api_client(personas["manager"]).post(
        f"/api/v1/delivery/manual-values/{pk}/reject", {"response": "不符"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("finance", 403), ("vendor_b", 404)])
def test_the_api_refuses_writes_to_others(survey, personas, api_client, who, status):
    r = api_client(personas[who]).post(
        f"/api/v1/delivery/contracts/{survey.contract.code}/manual-values",
        {"metric_id": survey.pk, "period": "2026-10", "value": "85"},
        content_type="application/json",
    )
    assert r.status_code == status
    assert not ManualValue.objects.exists()


def test_listing_manual_values_does_not_grow_queries(
    survey, quarterly, manager, api_client, django_assert_max_num_queries
):
    for p in ("2026-07", "2026-08", "2026-09", "2026-10"):
        services.set_manual_value(metric=survey, period=p, value=90, actor=manager)
    services.set_manual_value(metric=quarterly, period="2026-Q3", value=90, actor=manager)
    c = api_client(manager)
    with django_assert_max_num_queries(8):
        r = c.get(f"/api/v1/delivery/contracts/{survey.contract.code}/manual-values")
    assert r.json()["count"] == 5


# --- buyer sets, vendor proposes: decided in the service, whichever door is used ---------------------


def test_the_service_lets_a_buyer_set_and_makes_a_vendor_users_value_a_proposal(
    survey, manager, vendor_user_a
):
    from waibao.delivery.services import enter_manual_value

    set_entry = enter_manual_value(metric=survey, period="2026-10", value="95", actor=manager)
    assert set_entry.result is not None and set_entry.manual.status == "confirmed"
    proposal = enter_manual_value(metric=survey, period="2026-10", value="80", actor=vendor_user_a)
    assert proposal.result is None and proposal.manual.status == "proposed"
    assert result(survey, "2026-10").value == 95.0  # the proposal does not count yet


def test_a_vendor_user_cannot_set_a_value_through_the_service(survey, vendor_user_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_manual_value(metric=survey, period="2026-10", value=99, actor=vendor_user_a)
    assert not ManualValue.objects.exists()


def test_a_role_that_may_neither_set_nor_propose_is_refused(survey, finance_user, auditor, vendor_user_b):
    from django.core.exceptions import PermissionDenied

    from waibao.delivery.services import enter_manual_value

    for user in (finance_user, auditor):
        with pytest.raises(PermissionDenied):
            enter_manual_value(metric=survey, period="2026-10", value=99, actor=user)
    with pytest.raises(PermissionDenied):  # another vendor's user cannot propose on vendor A's contract
        services.propose_manual_value(metric=survey, period="2026-10", value=99, actor=vendor_user_b)
    assert not ManualValue.objects.exists()
