"""Editing a quality plan: field errors, what happens to the inspection streams, page and API access."""

import pytest

from waibao.core.models import AuditEvent
from waibao.quality import services
from waibao.quality.models import ClassResult, InspectionStream, QualityPlan, StreamSwitch

pytestmark = pytest.mark.django_db


def _decide(plan, actor, lot_ref, bad=0):
    insp = services.start_inspection(plan=plan, actor=actor, lot_ref=lot_ref, lot_size=500, seed=7)
    services.record_findings(
        inspection=insp, actor=actor, findings=[(p, "major", "") for p in range(1, bad + 1)]
    )
    return services.complete_inspection(inspection=insp, actor=actor)


def test_bad_aql_and_level_are_named_per_field(plan_a, quality_user):
    with pytest.raises(services.DomainError) as exc:
        services.update_plan(
            plan=plan_a, actor=quality_user, level="IX", classes={"major": "1.7", "minor": "4.0"}
        )
    assert set(exc.value.fields) == {"level", "aql_major"}
    plan_a.refresh_from_db()
    assert plan_a.level == "II" and plan_a.defect_classes.get(severity="major").aql == "1.5"


def test_changing_an_aql_keeps_the_stage_and_history_and_restarts_the_switching_score(plan_a, quality_user):
    for i in range(3):
        _decide(plan_a, quality_user, f"L{i}")
    stream = InspectionStream.objects.get(plan=plan_a, defect_class__severity="major")
    assert stream.switching_score > 0
    switches_before = list(StreamSwitch.objects.filter(stream=stream).values_list("pk", flat=True))
    old_results = list(ClassResult.objects.filter(stream=stream).values_list("aql", "sample_size"))
    open_lot = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="OPEN", lot_size=500)

    services.update_plan(plan=plan_a, actor=quality_user, classes={"major": "0.65", "minor": "4.0"})

    stream.refresh_from_db()
    assert stream.stage == "normal" and stream.switching_score == 0
    assert stream.defect_class.aql == "0.65"
    # History is appended, never rewritten: the old rows and the old lots' plans are untouched.
    assert set(switches_before) <= set(
        StreamSwitch.objects.filter(stream=stream).values_list("pk", flat=True)
    )
    note = StreamSwitch.objects.filter(stream=stream).first()
    assert note.reason_code == "plan_changed" and "1.5 → 0.65" in note.reason
    assert (
        list(
            ClassResult.objects.filter(stream=stream)
            .exclude(inspection=open_lot)
            .values_list("aql", "sample_size")
        )
        == old_results
    )
    # The lot drawn before the change is decided with the plan it was drawn with.
    assert open_lot.class_results.get(severity="major").aql == "1.5"
    services.complete_inspection(inspection=open_lot, actor=quality_user)
    assert open_lot.class_results.get(severity="major").accepted is True
    # New lots use the new AQL.
    new = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="NEW", lot_size=500)
    assert new.class_results.get(severity="major").aql == "0.65"
    assert AuditEvent.objects.filter(verb="quality.plan.updated").exists()


def test_an_inspected_class_cannot_be_removed_but_a_new_one_starts_on_normal(plan_a, quality_user):
    _decide(plan_a, quality_user, "L1")
    with pytest.raises(services.DomainError) as exc:
        services.update_plan(plan=plan_a, actor=quality_user, classes={"major": "", "minor": "4.0"})
    assert "aql_major" in exc.value.fields
    services.update_plan(plan=plan_a, actor=quality_user, classes={"critical": "0.065"})
    critical = InspectionStream.objects.get(plan=plan_a, defect_class__severity="critical")
    assert critical.stage == "normal" and plan_a.defect_classes.count() == 3


def test_a_stale_version_is_refused(plan_a, quality_user):
    services.update_plan(plan=plan_a, actor=quality_user, name="A")
    with pytest.raises(services.DomainError) as exc:
        services.update_plan(plan=plan_a, actor=quality_user, name="B", expected_version=1)
    assert exc.value.status == 409


def test_edit_page_saves_and_shows_field_errors(as_user, quality_user, plan_a):
    client = as_user(quality_user)
    page = client.get(f"/quality/plans/{plan_a.pk}/edit/")
    assert page.status_code == 200 and "月度抽检" in page.content.decode()
    form = {
        "name": "月度抽检（新）",
        "active": "on",
        "lot_kind": "documents",
        "level": "III",
        "aql_critical": "",
        "aql_major": "1.0",
        "aql_minor": "4.0",
        "characteristics": "字段完整\n处理时长||30|分钟|轻微",
        "review_levels": "初审, 终审",
        "inspectors": [str(quality_user.pk)],
        "steady_production": "on",
        "verify_after_days": "30",
        "capa_step_days": "7",
        "version": str(plan_a.version),
    }
    bad = client.post(f"/quality/plans/{plan_a.pk}/edit/", {**form, "aql_major": "", "aql_minor": ""})
    assert bad.status_code == 200 and "至少设置一个缺陷类别的 AQL" in bad.content.decode()
    ok = client.post(f"/quality/plans/{plan_a.pk}/edit/", form)
    assert ok.status_code == 302
    plan = QualityPlan.objects.get(pk=plan_a.pk)
    assert plan.name == "月度抽检（新）" and plan.level == "III"
    assert plan.characteristics[1]["severity"] == "minor"
    assert list(plan.inspectors.all()) == [quality_user]
    stale = client.post(f"/quality/plans/{plan_a.pk}/edit/", {**form, "name": "X"})
    assert stale.status_code == 200 and "已被他人修改" in stale.content.decode()


def test_edit_page_access(as_user, personas, plan_a):
    url = f"/quality/plans/{plan_a.pk}/edit/"
    assert as_user(personas["vendor_b"]).get(url).status_code == 404
    for name in ("vendor_a", "auditor", "finance"):
        assert as_user(personas[name]).get(url).status_code == 403, name
    for name in ("admin", "manager", "quality"):
        assert as_user(personas[name]).get(url).status_code == 200, name


def test_api_put_and_patch(api_client, personas, plan_a, quality_user):
    url = f"/api/v1/quality/plans/{plan_a.pk}"
    api = api_client(quality_user)
    r = api.patch(url, {"level": "I", "inspectors": ["quality1"]}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["level"] == "I" and body["inspectors"] == ["quality1"] and body["name"] == "月度抽检"
    bad = api.patch(url, {"classes": {"major": "2.2"}, "level": "X"}, content_type="application/json")
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"aql_major", "level"}
    put = api.put(
        url,
        {"name": "整体替换", "level": "II", "lot_kind": "shipment", "classes": {"minor": "2.5"}},
        content_type="application/json",
    )
    # major was never inspected, so leaving it out of a PUT removes it
    assert put.status_code == 200, put.content
    assert [c["severity"] for c in put.json()["defect_classes"]] == ["minor"]
    conflict = api.patch(url, {"name": "Z", "version": 1}, content_type="application/json")
    assert conflict.status_code == 409
    unknown = api.patch(url, {"inspectors": ["nobody"]}, content_type="application/json")
    assert unknown.status_code == 422 and "inspectors" in unknown.json()["fields"]
    for name, status in (("vendor_b", 404), ("vendor_a", 403), ("auditor", 403), ("manager", 200)):
        r = api_client(personas[name]).patch(url, {"name": "N"}, content_type="application/json")
        assert r.status_code == status, name


def test_inspectors_must_be_able_to_inspect(plan_a, quality_user, manager):
    with pytest.raises(services.DomainError) as exc:
        services.update_plan(plan=plan_a, actor=quality_user, inspectors=[manager])
    assert "inspectors" in exc.value.fields
