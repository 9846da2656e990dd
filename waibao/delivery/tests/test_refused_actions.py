"""A refused dispute (raised by the vendor, decided by the buyer) shows the record page again with
everything typed and the message beside the field — not a redirect that loses it."""

from __future__ import annotations

import pytest

from waibao.delivery import services
from waibao.delivery.models import RecordDispute, ServiceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(contract, manager, tickets):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    return ServiceRecord.objects.get(external_id="T1")


def _page(response):
    assert response.status_code == 200, response.get("Location")
    return response.content.decode()


def test_a_dispute_with_a_wrong_proposal_comes_back_with_the_comment_and_the_proposal(
    record, vendor_user_a, as_user
):
    comment = "客户在 13:00 前已电话确认，首次响应时间应为 12:20"
    page = _page(
        as_user(vendor_user_a).post(
            f"/delivery/records/{record.pk}/dispute/",
            {"comment": comment, "first_response_at": "昨天下午"},
        )
    )
    assert f"{comment}</textarea>" in page and 'value="昨天下午"' in page
    assert "建议更正有误。" in page  # at the top of the form
    assert 'aria-invalid="true" aria-describedby="id_first_response_at_error"' in page  # beside the field
    assert not RecordDispute.objects.exists()


def test_a_second_open_dispute_is_refused_and_keeps_what_was_typed(record, vendor_user_a, as_user):
    client = as_user(vendor_user_a)
    client.post(f"/delivery/records/{record.pk}/dispute/", {"comment": "第一条异议"})
    page = _page(client.post(f"/delivery/records/{record.pk}/dispute/", {"comment": "补充：录音可证明"}))
    assert "补充：录音可证明</textarea>" in page and "该记录已有待处理的异议。" in page
    assert RecordDispute.objects.count() == 1


def test_a_refused_rejection_keeps_the_decision_and_asks_for_the_reason(
    record, vendor_user_a, quality_user, as_user
):
    as_user(vendor_user_a).post(f"/delivery/records/{record.pk}/dispute/", {"comment": "等待客户确认"})
    d = RecordDispute.objects.get()
    page = _page(
        as_user(quality_user).post(
            f"/delivery/disputes/{d.pk}/decide/",
            {"decision": "reject", "response": " ", "next": f"/delivery/records/{record.pk}/"},
        )
    )
    assert "驳回时请说明理由。" in page and 'aria-describedby="id_response_error"' in page
    assert '<option value="reject" selected>' in page
    # Sent again from the page that came back, the decision still returns to the record.
    assert f'name="next" value="/delivery/records/{record.pk}/"' in page
    d.refresh_from_db()
    assert d.status == "open"


def test_other_vendor_cannot_dispute_vendor_as_record(record, vendor_user_b, as_user):
    r = as_user(vendor_user_b).post(f"/delivery/records/{record.pk}/dispute/", {"comment": "x"})
    assert r.status_code == 404 and not RecordDispute.objects.exists()
