"""Messages state only what happened: a new nonconformance says whether, and how many of, the vendor's
users were notified — not "vendor notified" when the vendor has no user."""

import pytest

from waibao.quality.models import Nonconformance
from waibao.quality.tests.factories import make_sla_result

pytestmark = pytest.mark.django_db


def _ncr_form(contract):
    return {"contract": contract.code, "source": "audit", "severity": "major", "title": "现场抽查发现漏记"}


def _message(response):
    return " ".join(str(m) for m in response.wsgi_request._messages)


def test_opening_an_ncr_for_a_vendor_without_users_says_nobody_was_notified(
    contract_b, as_user, quality_user
):
    from waibao.accounts.models import User

    User.objects.filter(vendor_id=contract_b.vendor_id).update(is_active=False)
    r = as_user(quality_user).post("/quality/ncrs/new/", _ncr_form(contract_b), follow=True)
    ncr = Nonconformance.objects.get()
    text = _message(r)
    assert ncr.code in text and "未通知任何人" in text and "已通知供应商" not in text
    assert ncr.vendor_notified_at is None


def test_opening_an_ncr_says_how_many_vendor_users_were_notified(
    contract_a, as_user, quality_user, vendor_user_a
):
    r = as_user(quality_user).post("/quality/ncrs/new/", _ncr_form(contract_a), follow=True)
    assert "已通知供应商的 1 位用户" in _message(r)


def test_an_ncr_from_an_sla_breach_says_who_was_notified(contract_b, as_user, quality_user):
    from waibao.accounts.models import User

    User.objects.filter(vendor_id=contract_b.vendor_id).update(is_active=False)
    result = make_sla_result(contract_b, period="2026-02", closed=True)
    r = as_user(quality_user).post(f"/quality/sla/{result.pk}/ncr/", follow=True)
    assert "未通知任何人" in _message(r) and "并通知供应商" not in _message(r)
