"""Satisfaction results feed the contract's manual CSAT/NPS SLA metrics through delivery's service.

The first tests stand a recorder in for delivery's `set_manual_value` to pin down the call quality makes;
the last one goes through the real delivery service to the SLA result.
"""

from decimal import Decimal

import pytest

from waibao.quality import services
from waibao.quality.tests.factories import make_sla_result

pytestmark = pytest.mark.django_db


def _metric(contract, name, kind="manual", window="month"):
    result = make_sla_result(contract, name=name, kind=kind, status="no_data", value=None)
    metric = result.metric
    metric.definition = {**metric.definition, "window": window}
    metric.save(update_fields=["definition"])
    return metric


@pytest.fixture
def calls(monkeypatch):
    from waibao.delivery import services as delivery_services

    seen = []
    monkeypatch.setattr(delivery_services, "set_manual_value", lambda **kw: seen.append(kw), raising=False)
    return seen


def test_recognises_manual_csat_and_nps_metrics_by_name(contract_a):
    assert services.satisfaction_measure(_metric(contract_a, "客户满意度（CSAT）")) == "csat"
    assert services.satisfaction_measure(_metric(contract_a, "净推荐值 NPS")) == "nps"
    assert services.satisfaction_measure(_metric(contract_a, "Customer satisfaction")) == "csat"
    assert services.satisfaction_measure(_metric(contract_a, "满意度（记录均值）", kind="average")) is None
    assert services.satisfaction_measure(_metric(contract_a, "培训完成率")) is None


def test_recording_satisfaction_sets_the_matching_metrics_values(contract_a, contract_b, quality_user, calls):
    csat = _metric(contract_a, "客户满意度 CSAT")
    nps = _metric(contract_a, "NPS")
    _metric(contract_a, "季度满意度", window="quarter")  # a month's survey is not a quarter's value
    _metric(contract_b, "客户满意度 CSAT")  # another contract's metric is not touched
    services.record_satisfaction(
        contract=contract_a, actor=quality_user, period="2026-03", csat="91.5", nps="32", responses=400
    )
    fed = {c["metric"].pk: c for c in calls}
    assert set(fed) == {csat.pk, nps.pk}
    assert fed[csat.pk]["value"] == Decimal("91.5") and fed[nps.pk]["value"] == Decimal("32")
    assert fed[csat.pk]["period"] == "2026-03" and fed[csat.pk]["actor"] == quality_user


def test_import_feeds_each_row(contract_a, quality_user, calls):
    _metric(contract_a, "客户满意度 CSAT")
    report = services.import_satisfaction(
        actor=quality_user,
        rows=[
            (2, {"合同": contract_a.code, "期间": "2026-01", "CSAT": "88"}),
            (3, {"合同": contract_a.code, "期间": "2026-02", "CSAT": "90"}),
        ],
        headers=["合同", "期间", "CSAT"],
        contracts=[contract_a],
    )
    assert report.ok and [c["period"] for c in calls] == ["2026-01", "2026-02"]


def test_satisfaction_reaches_the_sla_result_through_delivery(contract_a, quality_user):
    from waibao.delivery.models import SlaResult

    metric = _metric(contract_a, "客户满意度 CSAT")
    services.record_satisfaction(contract=contract_a, actor=quality_user, period="2026-03", csat="90", responses=120)
    result = SlaResult.objects.get(metric=metric, period="2026-03")
    assert result.value == pytest.approx(90)
