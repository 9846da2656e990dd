"""A quality action the service refuses shows its page again: what was typed stays in the box, the message
beside the field and the general message at the top of the form (plain POST and HTMX alike)."""

from datetime import timedelta
from html import escape
from typing import Any

import pytest

from waibao.core import clock
from waibao.quality import services
from waibao.quality.models import CapaStatus, NcrSource, NcrStatus
from waibao.quality.tests.factories import pdf

pytestmark = pytest.mark.django_db

STEPS: dict[str, dict[str, Any]] = {
    f"D{i}": {"content": text}
    for i, text in enumerate(["小组", "问题", "围堵", "未培训", "增加考核", "全员考核", "纳入入职流程"], 1)
}
STEPS["D4"] = {"content": "未培训", "whys": ["未培训", "没有培训计划"], "categories": ["people"]}


def _ncr(contract, actor, severity="major"):
    return services.open_nonconformance(
        contract=contract, actor=actor, source=NcrSource.AUDIT, severity=severity, title="现场审核发现"
    )


def _submitted_capa(contract, quality_user, vendor_user):
    capa = services.start_corrective_action(ncr=_ncr(contract, quality_user), actor=quality_user)
    return services.submit_capa(capa=capa, actor=vendor_user, steps=STEPS)


def _page(response):
    assert response.status_code == 200, response.get("Location")
    return response.content.decode()


def test_refused_ncr_close_shows_the_page_with_the_typed_reason_and_why(as_user, contract_a, quality_user):
    ncr = _ncr(contract_a, quality_user, severity="critical")
    reason = "已电话确认客户，围堵完成，无需 8D"
    page = _page(as_user(quality_user).post(f"/quality/ncrs/{ncr.code}/close/", {"reason": reason}))
    assert f">{reason}</textarea>" in page
    assert "致命不合格必须经过纠正措施（8D）才能关闭。" in page  # at the top of the form
    assert "须先发起 8D。" in page and "is-invalid" in page  # beside the reason box
    ncr.refresh_from_db()
    assert ncr.status == NcrStatus.OPEN
    # The cancel form on the same page has a "reason" too: it stays empty.
    assert page.count(reason) == 1


def test_refused_ncr_close_over_htmx_answers_with_the_page_and_the_typed_reason(
    as_user, contract_a, quality_user
):
    ncr = _ncr(contract_a, quality_user, severity="critical")
    response = as_user(quality_user).post(
        f"/quality/ncrs/{ncr.code}/close/", {"reason": "误报，已核实"}, HTTP_HX_REQUEST="true"
    )
    page = _page(response)
    assert "误报，已核实" in page and "须先发起 8D。" in page


def test_refused_8d_acceptance_keeps_the_typed_date(as_user, contract_a, quality_user, vendor_user_a):
    capa = _submitted_capa(contract_a, quality_user, vendor_user_a)
    past = (clock.today() - timedelta(days=3)).isoformat()
    page = _page(as_user(quality_user).post(f"/quality/capas/{capa.code}/accept/", {"verify_after": past}))
    assert f'value="{past}"' in page and "验证日期不能早于今天。" in page
    capa.refresh_from_db()
    assert capa.status == CapaStatus.SUBMITTED


def test_8d_acceptance_with_a_date_that_is_not_a_date_is_refused_not_a_server_error(
    as_user, contract_a, quality_user, vendor_user_a
):
    capa = _submitted_capa(contract_a, quality_user, vendor_user_a)
    page = _page(
        as_user(quality_user).post(f"/quality/capas/{capa.code}/accept/", {"verify_after": "2026-13-45"})
    )
    assert 'value="2026-13-45"' in page and "请输入有效的日期。" in page


def test_refused_8d_verification_keeps_the_typed_note(as_user, contract_a, quality_user, vendor_user_a):
    capa = _submitted_capa(contract_a, quality_user, vendor_user_a)
    due = clock.today() + timedelta(days=10)
    services.accept_capa_plan(capa=capa, actor=quality_user, verify_after=due)
    note = "后续 3 批均接收，客户无新投诉"
    page = _page(
        as_user(quality_user).post(f"/quality/capas/{capa.code}/verify/", {"note": note, "effective": "1"})
    )
    assert f">{note}</textarea>" in page
    assert escape(f"须在 {due.isoformat()} 之后验证效果。") in page and "尚未到验证日期。" in page
    capa.refresh_from_db()
    assert capa.status == CapaStatus.VERIFYING


def test_refused_deliverable_review_keeps_the_typed_comment(as_user, contract_a, quality_user, vendor_user_a):
    d = services.submit_deliverable(contract=contract_a, actor=vendor_user_a, title="月报", upload=pdf())
    services.review_deliverable(deliverable=d, actor=quality_user, decision="approve", comment="一级通过")
    comment = "二级也由我通过：数据与合同一致"
    page = _page(
        as_user(quality_user).post(
            f"/quality/deliverables/{d.code}/review/",
            {"decision": "approve", "comment": comment, "open_ncr": "1"},
        )
    )
    assert f">{comment}</textarea>" in page
    assert "同一人不能审核同一版本的两个级别。" in page and "请由下一级审核人审核。" in page
    assert 'name="open_ncr" value="1" checked' in page


def test_refused_complaint_triage_keeps_the_note_and_the_choice(as_user, contract_a, quality_user):
    c = services.log_complaint(
        actor=quality_user, channel="phone", category="delay", severity="minor", description="回电慢"
    )
    note = "客户第二次来电，请供应商 24 小时内回电"
    page = _page(
        as_user(quality_user).post(
            f"/quality/complaints/{c.code}/triage/", {"contract": "", "vendor_caused": "0", "note": note}
        )
    )
    assert f">{note}</textarea>" in page and "请选择责任合同。" in page
    assert 'name="vendor_caused" value="0" checked' in page


def test_refused_complaint_close_keeps_the_typed_result(as_user, contract_a, quality_user):
    c = services.log_complaint(
        actor=quality_user, channel="phone", category="delay", severity="minor", description="回电慢"
    )
    page = _page(as_user(quality_user).post(f"/quality/complaints/{c.code}/close/", {"note": "   "}))
    assert "关闭须填写处理结果。" in page and "必须填写。" in page


def test_refused_inspection_cancel_keeps_the_sheet_and_says_why(as_user, plan_a, quality_user):
    insp = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="W1", lot_size=500, seed=1)
    page = _page(as_user(quality_user).post(f"/quality/inspections/{insp.code}/cancel/", {"reason": " "}))
    assert "取消须填写原因。" in page and 'id="findings-form"' in page


def test_a_refused_action_whose_form_is_gone_says_why_at_the_top_of_the_page(
    as_user, contract_a, quality_user
):
    capa = services.start_corrective_action(ncr=_ncr(contract_a, quality_user), actor=quality_user)
    # The 8D is still with the vendor: there is no return form on the page to keep the text in.
    page = _page(as_user(quality_user).post(f"/quality/capas/{capa.code}/return/", {"reason": "补充 D4"}))
    assert "只有已提交的 8D 可以退回。" in page and 'role="alert"' in page


def test_the_vendors_containment_answer_is_saved_and_goes_back_to_the_ncr(
    as_user, contract_a, quality_user, vendor_user_a
):
    ncr = _ncr(contract_a, quality_user)
    text = "已暂停涉事坐席接线，当日记录全部复核"
    client = as_user(vendor_user_a)
    assert client.post(f"/quality/ncrs/{ncr.code}/containment/", {"containment": text}).status_code == 302
    ncr.refresh_from_db()
    assert ncr.containment == text


def test_other_vendor_cannot_post_an_action_on_vendor_as_ncr(
    as_user, contract_a, quality_user, vendor_user_b
):
    ncr = _ncr(contract_a, quality_user)
    response = as_user(vendor_user_b).post(f"/quality/ncrs/{ncr.code}/containment/", {"containment": "x"})
    assert response.status_code == 404
    ncr.refresh_from_db()
    assert ncr.containment == ""


def test_a_new_version_without_a_file_keeps_the_vendors_note(
    as_user, contract_a, quality_user, vendor_user_a
):
    d = services.submit_deliverable(contract=contract_a, actor=vendor_user_a, title="月报", upload=pdf())
    services.review_deliverable(deliverable=d, actor=quality_user, decision="return", comment="缺附表")
    note = "已补附表 3 和附表 4"
    page = _page(as_user(vendor_user_a).post(f"/quality/deliverables/{d.code}/version/", {"note": note}))
    assert note in page and "invalid-feedback" in page


def test_language_switch_on_a_refused_action_page_returns_to_the_page_not_the_post_only_address(
    as_user, contract_a, quality_user
):
    ncr = _ncr(contract_a, quality_user, severity="critical")
    detail = f"/quality/ncrs/{ncr.code}/"
    page = _page(
        as_user(quality_user).post(
            f"/quality/ncrs/{ncr.code}/close/", {"reason": "误报"}, HTTP_REFERER=f"http://testserver{detail}"
        )
    )
    assert f'name="next" value="{detail}"' in page
    assert f'name="next" value="/quality/ncrs/{ncr.code}/close/"' not in page
