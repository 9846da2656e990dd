"""A buyer's quality reviewer reads the vendor's 8D steps and gets its own actions; the D1–D7 form (and
its "submit to the buyer") is the vendor's. Filling on the vendor's behalf, which the service allows the
buyer's quality staff, is a deliberate choice on the page."""

import pytest

from waibao.quality import services
from waibao.quality.models import NcrSource

pytestmark = pytest.mark.django_db


def _capa(contract, actor):
    ncr = services.open_nonconformance(
        contract=contract, actor=actor, source=NcrSource.AUDIT, severity="major", title="现场审核发现"
    )
    return services.start_corrective_action(ncr=ncr, actor=actor)


def test_quality_reviewer_sees_the_8d_steps_read_only_without_the_vendors_submit_button(
    as_user, contract_a, quality_user
):
    capa = _capa(contract_a, quality_user)
    page = as_user(quality_user).get(f"/quality/capas/{capa.code}/").content.decode()
    assert 'id="capa-form"' not in page and '<textarea name="D1"' not in page
    assert "提交 D1–D7 给采购方" not in page and 'id="capa-submit"' not in page
    assert "等待供应商填写 D1–D7。" in page and 'id="capa-fill-for-vendor"' in page


def test_quality_reviewer_fills_for_the_vendor_only_after_choosing_to(as_user, contract_a, quality_user):
    capa = _capa(contract_a, quality_user)
    client = as_user(quality_user)
    page = client.get(f"/quality/capas/{capa.code}/?fill=1").content.decode()
    assert 'id="capa-form"' in page and "代供应商提交 D1–D7" in page and "提交 D1–D7 给采购方" not in page
    client.post(f"/quality/capas/{capa.code}/", {"action": "draft", "D1": "组长：王芳"})
    assert capa.steps.get(step="D1").content == "组长：王芳"


def test_the_vendor_still_gets_the_form_and_submits_to_the_buyer(
    as_user, contract_a, quality_user, vendor_user_a
):
    capa = _capa(contract_a, quality_user)
    page = as_user(vendor_user_a).get(f"/quality/capas/{capa.code}/").content.decode()
    assert 'id="capa-form"' in page and "提交 D1–D7 给采购方" in page and "capa-fill-for-vendor" not in page
