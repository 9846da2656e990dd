"""The 8D is one form: the vendor saves all of D1–D7 as a draft, submits in one go, and never loses text."""

import pytest

from waibao.quality import services
from waibao.quality.models import CapaStatus, NcrSource

pytestmark = pytest.mark.django_db

TEXTS = {
    "D1": "组长：质量经理王芳；成员：班组长、培训专员",
    "D2": "第 3 周抽检 4 个严重缺陷，客户信息缺失",
    "D3": "本批全部记录复核，问题记录退回重做",
    "D4": "新员工未经字段完整性培训",
    "D5": "增加上岗前字段完整性考核",
    "D6": "6 月 1 日起全员考核，未通过者不上岗",
    "D7": "培训纳入入职流程，每月抽查",
}


def _capa(contract, actor):
    ncr = services.open_nonconformance(
        contract=contract, actor=actor, source=NcrSource.AUDIT, severity="major", title="现场审核发现"
    )
    return services.start_corrective_action(ncr=ncr, actor=actor)


def _post(**overrides):
    data = dict(TEXTS)
    data.update({"D4_why1": "未培训", "D4_why2": "没有培训计划", "D4_categories": ["people", "method"]})
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_vendor_submits_all_seven_steps_filled_in_one_go(as_user, contract_a, quality_user, vendor_user_a):
    capa = _capa(contract_a, quality_user)
    response = as_user(vendor_user_a).post(f"/quality/capas/{capa.code}/", _post(action="submit"))
    assert response.status_code == 302
    capa.refresh_from_db()
    assert capa.status == CapaStatus.SUBMITTED
    rows = {s.step: s for s in capa.steps.all()}
    assert all(rows[k].content == v and rows[k].done_at for k, v in TEXTS.items())
    assert rows["D4"].data == {"whys": ["未培训", "没有培训计划"], "categories": ["people", "method"]}


def test_saving_the_draft_keeps_every_step_typed_complete_or_not(
    as_user, contract_a, quality_user, vendor_user_a
):
    capa = _capa(contract_a, quality_user)
    client = as_user(vendor_user_a)
    client.post(f"/quality/capas/{capa.code}/", _post(action="draft", D7="", D4_categories=None))
    rows = {s.step: s for s in capa.steps.all()}
    assert rows["D1"].content == TEXTS["D1"] and rows["D6"].content == TEXTS["D6"]
    assert rows["D4"].content == TEXTS["D4"] and rows["D4"].data["whys"] == ["未培训", "没有培训计划"]
    assert rows["D4"].done_at is None and rows["D7"].done_at is None  # incomplete steps are not "done"
    assert rows["D1"].done_at is not None
    # Saving again with one step changed leaves the others as they are.
    client.post(
        f"/quality/capas/{capa.code}/", _post(action="draft", D7="补充：每月抽查", D4_categories=None)
    )
    rows = {s.step: s for s in capa.steps.all()}
    assert rows["D7"].content == "补充：每月抽查" and rows["D2"].content == TEXTS["D2"]
    page = client.get(f"/quality/capas/{capa.code}/").content.decode()
    assert all(text in page for text in [TEXTS["D1"], TEXTS["D5"], "没有培训计划", "补充：每月抽查"])


def test_a_refused_submission_shows_the_form_again_with_all_the_text_and_the_gap_marked(
    as_user, contract_a, quality_user, vendor_user_a
):
    capa = _capa(contract_a, quality_user)
    response = as_user(vendor_user_a).post(
        f"/quality/capas/{capa.code}/", _post(action="submit", D3="", D4_categories=None)
    )
    assert response.status_code == 200
    page = response.content.decode()
    for step, text in TEXTS.items():
        if step != "D3":
            assert text in page, step
    assert "未培训" in page and "没有培训计划" in page
    assert "请填写 D3 临时围堵措施 的内容" in page and "请选择原因类别" in page
    assert 'name="D3" id="id_D3" rows="3" class="form-control form-control-sm mb-1 is-invalid"' in page
    capa.refresh_from_db()
    assert capa.status == CapaStatus.OPEN
    assert capa.steps.get(step="D6").content == TEXTS["D6"]  # the draft was kept


def test_a_refused_submission_through_the_api_names_each_incomplete_step(
    api_client, contract_a, quality_user, vendor_user_a
):
    capa = _capa(contract_a, quality_user)
    client = api_client(vendor_user_a)
    steps = {k: {"content": v} for k, v in TEXTS.items()}
    steps["D4"] |= {"whys": ["未培训"], "categories": []}
    steps["D2"] = {"content": " "}
    r = client.post(
        f"/api/v1/quality/capas/{capa.code}/submit", {"steps": steps}, content_type="application/json"
    )
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"D2", "D4_categories"}
    assert capa.steps.get(step="D5").content == TEXTS["D5"]
    steps["D2"] = {"content": TEXTS["D2"]}
    steps["D4"]["categories"] = ["people"]
    r = client.put(
        f"/api/v1/quality/capas/{capa.code}/steps", {"steps": steps}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "open"
    r = client.post(f"/api/v1/quality/capas/{capa.code}/submit", content_type="application/json")  # no body
    assert r.status_code == 200 and r.json()["status"] == "submitted"


def test_submit_service_saves_and_submits_all_seven_steps_at_once(contract_a, quality_user, vendor_user_a):
    capa = _capa(contract_a, quality_user)
    steps = {k: {"content": v} for k, v in TEXTS.items()}
    steps["D4"] |= {"whys": ["未培训"], "categories": ["people"]}
    services.submit_capa(capa=capa, actor=vendor_user_a, steps=steps)
    capa.refresh_from_db()
    assert capa.status == CapaStatus.SUBMITTED


def test_an_unknown_cause_category_is_refused_and_nothing_is_saved(contract_a, quality_user, vendor_user_a):
    capa = _capa(contract_a, quality_user)
    with pytest.raises(services.DomainError) as err:
        services.save_capa_steps(
            capa=capa, actor=vendor_user_a, steps={"D1": {"content": "x"}, "D4": {"categories": ["luck"]}}
        )
    assert "D4_categories" in err.value.fields
    assert capa.steps.get(step="D1").content == ""


def test_submitted_8d_shows_root_cause_categories_as_words_in_the_readers_language(
    as_user, contract_a, quality_user, vendor_user_a
):
    capa = _capa(contract_a, quality_user)
    as_user(vendor_user_a).post(f"/quality/capas/{capa.code}/", _post(action="submit"))
    client = as_user(quality_user)
    page = client.get(f"/quality/capas/{capa.code}/").content.decode()
    d4 = page.split('id="step-D4"')[1].split('id="step-D5"')[0]
    assert "原因类别：人、法" in d4 and "people" not in d4
    quality_user.language = "en"
    quality_user.save(update_fields=["language"])
    page = client.get(f"/quality/capas/{capa.code}/").content.decode()
    d4 = page.split('id="step-D4"')[1].split('id="step-D5"')[0]
    assert "Root-cause categories: People, Method" in d4


def test_vendor_b_cannot_read_or_fill_vendor_as_8d(
    as_user, api_client, contract_a, quality_user, vendor_user_b
):
    capa = _capa(contract_a, quality_user)
    assert as_user(vendor_user_b).get(f"/quality/capas/{capa.code}/").status_code == 404
    assert (
        as_user(vendor_user_b).post(f"/quality/capas/{capa.code}/", _post(action="draft")).status_code == 404
    )
    r = api_client(vendor_user_b).put(
        f"/api/v1/quality/capas/{capa.code}/steps",
        {"steps": {"D1": {"content": "x"}}},
        content_type="application/json",
    )
    assert r.status_code == 404
    assert capa.steps.get(step="D1").content == ""
