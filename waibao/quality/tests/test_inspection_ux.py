"""The inspection sheet: the plan's check items on it, links to the sampled records, judging in bulk, and
a missing quality plan explained."""

from datetime import date

import pytest

from waibao.delivery import services as delivery_services
from waibao.quality import services
from waibao.quality.models import Finding
from waibao.quality.tests.factories import make_plan

pytestmark = pytest.mark.django_db

CHECKS = [
    {"name": "客户信息完整"},
    {"name": "录音合规", "severity": "minor"},
    {"name": "处理时长", "kind": "variable", "usl": 30, "unit": "分钟"},
]


def _inspection(contract, actor, **plan_kw):
    plan = make_plan(contract, actor, characteristics=CHECKS, **plan_kw)
    return services.start_inspection(plan=plan, actor=actor, lot_ref="2026-W10", lot_size=1000, seed=7)


def test_the_plans_check_items_appear_on_the_inspection_form_and_record_failures(
    as_user, quality_user, contract_a
):
    insp = _inspection(contract_a, quality_user)
    client = as_user(quality_user)
    url = f"/quality/inspections/{insp.code}/"
    page = client.get(url).content.decode()
    assert "客户信息完整" in page and "录音合规" in page
    assert 'name="c-1-0"' in page and 'name="c-1-1"' in page
    client.post(url, {"c-1-0": "1", "c-2-1": "1", "n-1": "缺客户电话", "save": "1"})
    findings = {(f.item.position, f.severity): f for f in Finding.objects.select_related("item")}
    assert findings[(1, "major")].checks == ["客户信息完整"] and findings[(1, "major")].note == "缺客户电话"
    assert findings[(2, "minor")].checks == ["录音合规"]
    page = client.get(url).content.decode()
    assert 'name="c-1-0" value="1" checked' in page and 'name="f-1-major" value="1" checked' not in page


def test_a_check_item_of_another_class_is_refused(quality_user, contract_a):
    insp = _inspection(contract_a, quality_user)
    with pytest.raises(services.DomainError):
        services.record_findings(
            inspection=insp, actor=quality_user, findings=[(1, "major", "", ["录音合规"])]
        )


def test_each_sampled_record_links_to_its_service_record(as_user, quality_user, manager, contract_a):
    for i in range(20):
        delivery_services.save_record(
            contract=contract_a,
            actor=manager,
            values={
                "external_id": f"TK-{i:03d}",
                "kind": "ticket",
                "opened_at": f"2026-03-{i + 1:02d}T10:00:00+08:00",
            },
        )
    plan = make_plan(contract_a, quality_user, lot_kind="service_records", classes={"major": "1.5"})
    insp = services.start_inspection(
        plan=plan,
        actor=quality_user,
        lot_ref="2026-03",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        seed=3,
    )
    item = insp.items.first()
    record = contract_a.service_records.get(external_id=item.ref)
    page = as_user(quality_user).get(f"/quality/inspections/{insp.code}/").content.decode()
    assert f'href="/delivery/records/{record.pk}/" class="sample-record">{item.ref}</a>' in page
    assert page.count('class="sample-record"') == insp.items.count()


def test_new_inspection_for_a_contract_without_a_plan_explains_and_links_to_create_one(
    as_user, quality_user, contract_a
):
    response = as_user(quality_user).get(f"/quality/inspections/new/?contract={contract_a.code}")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="missing-plan"' in page and f"合同 {contract_a.code} 还没有启用的质量计划" in page
    assert f'href="/quality/plans/new/?contract={contract_a.code}"' in page


def test_new_inspection_for_a_contract_offers_only_that_contracts_plans(
    as_user, quality_user, contract_a, contract_b
):
    mine = make_plan(contract_a, quality_user, name="A 计划")
    make_plan(contract_b, quality_user, name="B 计划")
    page = as_user(quality_user).get(f"/quality/inspections/new/?contract={contract_a.code}").content.decode()
    assert f'value="{mine.pk}"' in page and "B 计划" not in page


def test_all_conform_judges_the_sheet_in_one_step_then_the_exceptions_are_marked(
    as_user, quality_user, contract_a
):
    insp = _inspection(contract_a, quality_user)
    client = as_user(quality_user)
    url = f"/quality/inspections/{insp.code}/"
    client.post(url, {"f-3-major": "1", "save": "1"})  # an earlier mark, taken back by "all conform"
    response = client.post(url, {"all_conform": "1"}, follow=True)
    assert "80 个样本合格，0 个样本有不合格" in response.content.decode()
    assert not Finding.objects.exists()
    client.post(url, {"f-5-major": "1", "n-5": "漏填", "save": "1"})
    assert list(Finding.objects.values_list("item__position", "severity")) == [(5, "major")]


def test_all_conform_through_the_api_with_exceptions(api_client, quality_user, vendor_user_b, contract_a):
    insp = _inspection(contract_a, quality_user)
    body = {"exceptions": [{"position": 2, "severity": "major", "checks": ["客户信息完整"]}]}
    r = api_client(vendor_user_b).post(
        f"/api/v1/quality/inspections/{insp.code}/all-conform", body, content_type="application/json"
    )
    assert r.status_code == 404
    r = api_client(quality_user).post(
        f"/api/v1/quality/inspections/{insp.code}/all-conform", body, content_type="application/json"
    )
    assert r.status_code == 200
    assert r.json()["findings"] == [
        {"position": 2, "severity": "major", "note": "", "checks": ["客户信息完整"]}
    ]


def test_a_refused_save_shows_the_sheet_again_with_everything_entered(as_user, quality_user, contract_a):
    insp = _inspection(contract_a, quality_user)
    client = as_user(quality_user)
    url = f"/quality/inspections/{insp.code}/"
    response = client.post(
        url, {"f-4-major": "1", "c-6-0": "1", "n-4": "地址错误", "m-1-0": "十二", "m-2-0": "25", "save": "1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="十二"' in page and 'value="25"' in page and 'value="地址错误"' in page
    assert 'name="f-4-major" value="1" checked' in page and 'name="c-6-0" value="1" checked' in page
    assert "须为数字" in page
    assert not Finding.objects.exists()
