"""Control charts on the SLA metric series of the delivery app, and the early warning on them."""

import pytest

from waibao.notifications.models import Notification
from waibao.quality import charts, services
from waibao.quality.tests.factories import make_sla_result

pytestmark = pytest.mark.django_db

MONTHS = [f"2025-{m:02d}" for m in range(4, 13)]


def test_a_percentage_metric_with_sample_sizes_is_a_p_chart_of_the_share_that_missed(contract_a):
    # 2000 tickets a month, 98 % on time, then 96 %: still above the 95 % target, but out of control.
    for period, value in zip(MONTHS, [98, 98.1, 97.9, 98, 98.2, 97.8, 98, 98.1, 96], strict=True):
        make_sla_result(contract_a, period=period, value=value, status="met", sample_size=2000, closed=True)
    series = next(s for s in charts.contract_series(contract_a) if s.key.startswith("sla-"))
    assert series.kind == "p" and series.labels == MONTHS
    assert series.counts[0] == 40 and series.counts[-1] == 80 and series.sizes[-1] == 2000
    result = series.signals()
    assert 8 in result["signals"]["1"]  # beyond 3 sigma at the last month


def test_scan_warns_the_owner_once_before_the_sla_is_missed(contract_a, manager):
    for period, value in zip(MONTHS, [98, 98.1, 97.9, 98, 98.2, 97.8, 98, 98.1, 96], strict=True):
        make_sla_result(contract_a, period=period, value=value, status="met", sample_size=2000)
    first = services.scan_spc()
    assert [a.series for a in first] == [f"sla-{first[0].series.split('-')[1]}"] and first[
        0
    ].point == "2025-12"
    assert services.scan_spc() == []
    note = Notification.objects.get(user=manager, kind="quality.spc.signal")
    assert "P1 响应及时率" in note.title


def test_other_metrics_are_individuals_charts(contract_a):
    # A duration metric (minutes): six rising points is Nelson rule 3.
    values = [30, 31, 29, 30, 31, 32, 33, 34, 35, 36]
    for i, v in enumerate(values):
        make_sla_result(
            contract_a,
            name="平均处理时长",
            kind="duration",
            period=f"2025-{i + 3:02d}",
            value=v,
            target="40",
            status="met",
            sample_size=500,
        )
    series = next(s for s in charts.contract_series(contract_a) if s.key.startswith("sla-"))
    assert series.kind == "individuals" and series.values == [float(v) for v in values]
    assert 9 in series.signals()["signals"]["3"]


def test_results_without_a_value_are_left_out(contract_a):
    make_sla_result(contract_a, period="2026-01", value=None, status="no_data")
    make_sla_result(contract_a, period="2026-02", value=97.0, status="met")
    series = [s for s in charts.contract_series(contract_a) if s.key.startswith("sla-")]
    assert [s.labels for s in series] == [["2026-02"]]


def test_contract_chart_page_shows_the_sla_series(contract_a, as_user, quality_user, vendor_user_b):
    for period, value in zip(MONTHS, [98, 98.1, 97.9, 98, 98.2, 97.8, 98, 98.1, 96], strict=True):
        make_sla_result(contract_a, period=period, value=value, status="met", sample_size=2000)
    page = as_user(quality_user).get(f"/quality/spc/{contract_a.code}/").content.decode()
    assert "SLA · P1 响应及时率" in page and "2025-12" in page
    assert as_user(vendor_user_b).get(f"/quality/spc/{contract_a.code}/").status_code == 404
