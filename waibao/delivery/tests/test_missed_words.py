"""The missed-records page states the credit in the one money format and gives its sort select room for
its longest choice."""

import re

import pytest

from waibao.delivery import services
from waibao.delivery.models import SlaResult

pytestmark = pytest.mark.django_db


def test_missed_page_states_the_credit_as_cny_with_separators_and_a_wide_sort_select(
    contract, manager, tickets, as_user
):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    services.evaluate(contract=contract, actor=manager, periods=["2026-10"])
    metric = contract.sla_metrics.get(name="P1 响应及时率")
    SlaResult.objects.filter(metric=metric, period="2026-10").update(credit="1800")
    html = (
        as_user(manager)
        .get(f"/delivery/contracts/{contract.code}/missed/{metric.pk}/2026-10/")
        .content.decode()
    )
    assert "抵扣 CNY 1,800.00" in html and "1800 CNY" not in html
    # wide enough for its longest choice (a class: the Content-Security-Policy forbids style attributes)
    assert re.search(r'class="col-auto minw-\d+rem" id="missed-sort"', html)
