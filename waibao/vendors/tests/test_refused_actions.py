"""A refused vendor status change shows the vendor page again with the choice and the reason kept."""

import pytest

pytestmark = pytest.mark.django_db


def test_refused_status_change_keeps_the_typed_reason_and_says_why_beside_the_choice(
    as_user, manager, vendor_a
):
    reason = "合同到期，双方协商不再续约"
    r = as_user(manager).post(f"/vendors/{vendor_a.pk}/status/", {"to": "exited", "reason": reason})
    assert r.status_code == 200
    page = r.content.decode()
    assert f">{reason}</textarea>" in page
    assert "不能从“合作中”变更为“已退出”" in page  # at the top of the form
    assert 'class="form-select is-invalid"' in page and "不允许的状态变更。" in page  # beside the choice
    vendor_a.refresh_from_db()
    assert vendor_a.status == "active"


def test_suspending_without_a_reason_keeps_the_choice_and_asks_for_the_reason(as_user, manager, vendor_a):
    r = as_user(manager).post(f"/vendors/{vendor_a.pk}/status/", {"to": "suspended", "reason": " "})
    assert r.status_code == 200
    page = r.content.decode()
    assert '<option value="suspended" selected>' in page and "必须填写原因。" in page


def test_other_vendor_user_cannot_change_vendor_as_status(as_user, vendor_user_b, vendor_a):
    r = as_user(vendor_user_b).post(f"/vendors/{vendor_a.pk}/status/", {"to": "suspended", "reason": "x"})
    assert r.status_code in (403, 404)
    vendor_a.refresh_from_db()
    assert vendor_a.status == "active"
