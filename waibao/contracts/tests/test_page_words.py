"""The contract page, its versions list and the version diff speak in words and in the one money
format: no raw audit keys (``results: 4``, ``level:``) and no bare ``180000.00 CNY``."""

import pytest

from waibao.contracts.models import ContractVersion
from waibao.contracts.tests.factories import active_contract
from waibao.core import audit

pytestmark = pytest.mark.django_db


def _english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def _second_version(contract, fee):
    first = ContractVersion.objects.filter(contract=contract).order_by("number").last()
    return ContractVersion.objects.create(
        contract=contract,
        number=first.number + 1,
        effective_from=first.effective_from,
        snapshot={**first.snapshot, "monthly_fee": fee, "total_value": "2160000.00"},
        created_at=first.created_at,
    )


def test_contract_timeline_labels_closed_results_and_approval_levels_in_english(
    as_user, manager, vendor_a, approvers
):
    c = active_contract(manager, vendor_a, approvers, metric=False)
    audit.record(
        manager, "delivery.period.closed", c, changes={"period": [None, "2026-05"], "results": [None, 4]}
    )
    page = as_user(_english(manager)).get(f"/contracts/{c.code}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "Results:</span> 4" in timeline and "results:" not in timeline
    assert "Approval level:</span>" in timeline and "level:</span>" not in timeline.replace(
        "Approval level:", ""
    )


def test_versions_list_and_diff_show_money_with_separators_and_currency(
    as_user, manager, vendor_a, approvers
):
    c = active_contract(manager, vendor_a, approvers, metric=False)
    v2 = _second_version(c, "180000.00")
    client = as_user(manager)
    page = client.get(f"/contracts/{c.code}/").content.decode()
    versions = page[page.index('id="versions"') :]
    assert "CNY 180,000.00" in versions and "180000.00 CNY" not in versions
    diff = client.get(f"/contracts/{c.code}/versions/diff/?a={v2.number - 1}&b={v2.number}").content.decode()
    assert "CNY 180,000.00" in diff and "CNY 2,160,000.00" in diff
    assert ">180000.00<" not in diff and "2160000.00" not in diff
