"""The pages: forms work without JavaScript and call the same services."""

import pytest

from waibao.quality.models import Inspection, Nonconformance, QualityPlan

pytestmark = pytest.mark.django_db


def test_plan_form_creates_a_plan_with_its_streams(as_user, quality_user, contract_a):
    response = as_user(quality_user).post(
        "/quality/plans/new/",
        {
            "contract": contract_a.code,
            "name": "周抽检",
            "lot_kind": "documents",
            "level": "II",
            "aql_critical": "",
            "aql_major": "1.5",
            "aql_minor": "4.0",
            "characteristics": "字段完整\n处理时长||30|分钟",
            "review_levels": "初审, 终审",
            "steady_production": "on",
            "verify_after_days": "30",
            "capa_step_days": "7",
        },
    )
    plan = QualityPlan.objects.get()
    assert response.status_code == 302
    assert plan.streams.count() == 2 and plan.review_levels == ["初审", "终审"]
    assert plan.characteristics[1] == {
        "name": "处理时长",
        "kind": "variable",
        "lsl": None,
        "usl": 30.0,
        "unit": "分钟",
        "severity": "major",  # no class given: major, the plan has it
    }


def test_plan_form_names_a_bad_aql(as_user, quality_user, contract_a):
    response = as_user(quality_user).post(
        "/quality/plans/new/",
        {
            "contract": contract_a.code,
            "name": "x",
            "lot_kind": "documents",
            "level": "II",
            "aql_major": "",
            "aql_minor": "",
            "aql_critical": "",
            "verify_after_days": "30",
            "capa_step_days": "7",
        },
    )
    assert response.status_code == 200
    assert "至少设置一个缺陷类别的 AQL" in response.content.decode()


def test_inspection_from_sample_to_nonconformance_through_the_pages(as_user, quality_user, plan_a):
    client = as_user(quality_user)
    response = client.post(
        "/quality/inspections/new/",
        {"plan": plan_a.pk, "lot_ref": "2026-W10", "lot_size": "1000", "original": "on", "seed": "99"},
    )
    insp = Inspection.objects.get()
    assert response.status_code == 302 and insp.seed == 99
    page = client.get(f"/quality/inspections/{insp.code}/").content.decode()
    assert 'name="f-1-major"' in page and '<code id="seed">99</code>' in page
    data = {f"f-{i}-major": "1" for i in range(1, 5)} | {"n-1": "漏填", "complete": "1"}
    client.post(f"/quality/inspections/{insp.code}/", data)
    insp.refresh_from_db()
    assert insp.accepted is False
    ncr = Nonconformance.objects.get()
    assert ncr.inspection == insp
    assert ncr.code in client.get(f"/quality/inspections/{insp.code}/").content.decode()


def test_sampling_tool_page_shows_all_three_stages_and_a_simulation(as_user, auditor):
    page = (
        as_user(auditor)
        .get(
            "/quality/tools/sampling/",
            {
                "lot_size": "1000",
                "level": "II",
                "aql": "1.5",
                "sim-start_stage": "normal",
                "sim-code_letter": "J",
                "sim-aql": "1.5",
                "sim-steady_production": "on",
                "sim-lots": "0 4 5 A A",
            },
        )
        .content.decode()
    )
    assert 'id="plan-result"' in page and 'id="simulate-result"' in page
    assert "normal_to_tightened" in page


def test_sampling_tool_reports_a_bad_lot_token(as_user, auditor):
    page = (
        as_user(auditor)
        .get(
            "/quality/tools/sampling/",
            {"sim-start_stage": "normal", "sim-code_letter": "J", "sim-aql": "1.5", "sim-lots": "0 x"},
        )
        .content.decode()
    )
    assert "第 2 项" in page


def test_spc_tool_marks_signals(as_user, auditor):
    page = (
        as_user(auditor)
        .get(
            "/quality/tools/spc/",
            {"values": "0 1 -1 0 9 0 1 -1", "center": "0", "sigma": "1", "ruleset": "nelson"},
        )
        .content.decode()
    )
    assert 'data-chart="spc-option"' in page and "#dc3545" in page


def test_vendor_user_sees_own_ncrs_in_the_portal_nav(as_user, vendor_user_a):
    page = as_user(vendor_user_a).get("/").content.decode()
    assert "/quality/ncrs/" in page and "/quality/deliverables/" in page


def test_pages_render_in_english(as_user, quality_user, plan_a):
    client = as_user(quality_user)
    client.post("/accounts/language/", {"language": "en", "next": "/quality/"})
    assert client.get("/quality/").status_code == 200


def test_ncr_list_defaults_to_open_and_in_corrective_action(as_user, quality_user, contract_a):
    from waibao.quality import services

    a = services.open_nonconformance(
        contract=contract_a, actor=quality_user, source="audit", severity="minor", title="甲"
    )
    b = services.open_nonconformance(
        contract=contract_a, actor=quality_user, source="audit", severity="major", title="乙"
    )
    c = services.open_nonconformance(
        contract=contract_a, actor=quality_user, source="audit", severity="minor", title="丙"
    )
    services.start_corrective_action(ncr=b, actor=quality_user)
    services.close_nonconformance(ncr=c, actor=quality_user, reason="已围堵")
    page = as_user(quality_user).get("/quality/ncrs/").content.decode()
    assert a.code in page and b.code in page and c.code not in page
    assert '<option value="active" selected>' in page
