"""The vendor portal's home shows what the vendor must do now — only its own."""

from datetime import date

import pytest
import time_machine

from waibao.delivery import services as delivery
from waibao.delivery.tests.factories import make_contract
from waibao.quality import services as quality
from waibao.quality.models import NcrSource
from waibao.quality.tests.factories import pdf

pytestmark = pytest.mark.django_db


def _casework(contract, manager, quality_user, vendor_user, tag):
    """An 8D to fill, a returned deliverable and an answered dispute for one vendor."""
    ncr = quality.open_nonconformance(
        contract=contract, actor=quality_user, source=NcrSource.AUDIT, severity="major", title=f"{tag} 审核发现"
    )
    capa = quality.start_corrective_action(ncr=ncr, actor=quality_user)
    d = quality.submit_deliverable(contract=contract, actor=vendor_user, title=f"{tag} 月报", upload=pdf())
    quality.review_deliverable(deliverable=d, actor=quality_user, decision="return", comment=f"{tag} 缺少附表")
    record = delivery.save_record(
        contract=contract,
        actor=manager,
        values={"external_id": f"{tag}-R1", "kind": "ticket", "priority": "P1", "opened_at": "2026-10-08 10:00"},
    )
    dispute = delivery.raise_dispute(record=record, actor=vendor_user, comment="客户原因")
    delivery.reject_dispute(dispute=dispute, actor=manager, response=f"{tag} 无证据")
    waiting = delivery.save_record(
        contract=contract,
        actor=manager,
        values={"external_id": f"{tag}-R2", "kind": "ticket", "priority": "P1", "opened_at": "2026-10-09 10:00"},
    )
    delivery.raise_dispute(record=waiting, actor=vendor_user, comment="等待客户")
    return capa, d


@pytest.fixture
def casework(manager, quality_user, vendor_a, vendor_b, vendor_user_a, vendor_user_b):
    with time_machine.travel(date(2026, 11, 10)):
        a = make_contract(vendor_a, owner=manager)
        b = make_contract(vendor_b, code="CT-2026-0002", owner=manager)
        return {
            "a": _casework(a, manager, quality_user, vendor_user_a, "甲"),
            "b": _casework(b, manager, quality_user, vendor_user_b, "乙"),
        }


def test_vendor_home_lists_its_8d_steps_returned_deliverables_and_answered_disputes(
    as_user, vendor_user_a, casework
):
    capa, deliverable = casework["a"]
    with time_machine.travel(date(2026, 11, 12)):
        page = as_user(vendor_user_a).get("/").content.decode()
    assert 'id="vendor-todo"' in page
    assert f"/quality/capas/{capa.code}/" in page and "D1" in page and "D7" in page
    due = capa.steps.get(step="D1").due_date.isoformat()
    assert due in page
    assert f"/quality/deliverables/{deliverable.code}/" in page and "甲 缺少附表" in page
    assert "甲-R1" in page and "甲 无证据" in page and "甲-R2" in page


def test_vendor_b_home_shows_none_of_vendor_a_work(as_user, vendor_user_b, casework):
    capa_a, deliverable_a = casework["a"]
    capa_b, _d = casework["b"]
    page = as_user(vendor_user_b).get("/").content.decode()
    assert capa_b.code in page
    for text in (capa_a.code, deliverable_a.code, "甲 缺少附表", "甲-R1", "甲 无证据", "甲 审核发现"):
        assert text not in page


def test_overdue_8d_steps_are_marked(as_user, vendor_user_a, casework):
    with time_machine.travel(date(2027, 3, 1)):
        page = as_user(vendor_user_a).get("/").content.decode()
    assert "已逾期" in page


def test_buyers_do_not_get_the_vendor_todo_panel(as_user, manager, casework):
    assert 'id="vendor-todo"' not in as_user(manager).get("/").content.decode()


def test_vendor_with_nothing_to_do_is_told_so(as_user, vendor_user_a):
    page = as_user(vendor_user_a).get("/").content.decode()
    assert 'id="todo-empty"' in page


def test_vendor_home_query_count_does_not_grow_with_the_work(
    as_user, vendor_user_a, manager, quality_user, casework, django_assert_max_num_queries
):
    client = as_user(vendor_user_a)
    client.get("/")
    with django_assert_max_num_queries(60) as ctx:
        client.get("/")
    before = len(ctx.captured_queries)
    contract = casework["a"][0].ncr.contract
    with time_machine.travel(date(2026, 11, 10)):
        for i in range(3):
            ncr = quality.open_nonconformance(
                contract=contract, actor=quality_user, source=NcrSource.AUDIT, severity="minor", title=f"追加 {i}"
            )
            quality.start_corrective_action(ncr=ncr, actor=quality_user)
    with django_assert_max_num_queries(before) as ctx:
        client.get("/")
