"""The metric editor of a contract past its draft says that metrics change through an amendment, links
to one, and offers no Save that would be refused."""

import pytest

from waibao.contracts.tests.factories import active_contract, draft_contract

pytestmark = pytest.mark.django_db


def test_metric_editor_of_an_active_contract_explains_the_amendment_route_and_offers_no_save(
    as_user, manager, vendor_a, approvers
):
    c = active_contract(manager, vendor_a, approvers)
    metric = c.sla_metrics.first()
    page = as_user(manager).get(f"/contracts/{c.code}/sla/{metric.pk}/").content.decode()
    assert 'id="metric-locked"' in page and "指标只能通过合同变更修改" in page
    assert f'href="/contracts/{c.code}/amendments/new/"' in page
    assert 'id="save-metric"' not in page
    manager.language = "en"
    manager.save(update_fields=["language"])
    page = as_user(manager).get(f"/contracts/{c.code}/sla/{metric.pk}/").content.decode()
    assert "its metrics can only change through an amendment" in page


def test_metric_editor_of_a_draft_contract_offers_save(as_user, manager, vendor_a):
    c = draft_contract(manager, vendor_a)
    page = as_user(manager).get(f"/contracts/{c.code}/sla/new/").content.decode()
    assert 'id="save-metric"' in page and 'id="metric-locked"' not in page
