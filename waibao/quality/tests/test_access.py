"""Who may see and do what: every role, and vendor B who must see nothing of vendor A (404)."""

import pytest

from waibao.quality import services
from waibao.quality.models import NcrSource
from waibao.quality.tests.factories import ContractFactory, make_plan, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(contract_a, plan_a, quality_user, vendor_user_a):
    insp = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="W1", lot_size=500, seed=1)
    ncr = services.open_nonconformance(
        contract=contract_a, actor=quality_user, source=NcrSource.AUDIT, severity="major", title="发现"
    )
    capa = services.start_corrective_action(ncr=ncr, actor=quality_user)
    dlv = services.submit_deliverable(contract=contract_a, actor=vendor_user_a, title="报告", upload=pdf())
    cmp = services.log_complaint(
        actor=quality_user, channel="phone", category="delay", severity="minor", description="慢"
    )
    services.triage_complaint(complaint=cmp, actor=quality_user, contract=contract_a, vendor_caused=True)
    return {
        "plan": plan_a,
        "inspection": insp,
        "ncr": ncr,
        "capa": capa,
        "deliverable": dlv,
        "complaint": cmp,
    }


def urls(w):
    return [
        f"/quality/plans/{w['plan'].pk}/",
        f"/quality/inspections/{w['inspection'].code}/",
        f"/quality/ncrs/{w['ncr'].code}/",
        f"/quality/capas/{w['capa'].code}/",
        f"/quality/deliverables/{w['deliverable'].code}/",
        f"/quality/complaints/{w['complaint'].code}/",
        f"/quality/versions/{w['deliverable'].versions.get().pk}/file/",
        f"/quality/spc/{w['plan'].contract.code}/",
        f"/api/v1/quality/plans/{w['plan'].pk}",
        f"/api/v1/quality/inspections/{w['inspection'].code}",
        f"/api/v1/quality/ncrs/{w['ncr'].code}",
        f"/api/v1/quality/capas/{w['capa'].code}",
        f"/api/v1/quality/deliverables/{w['deliverable'].code}",
        f"/api/v1/quality/complaints/{w['complaint'].code}",
    ]


def test_other_vendor_gets_404_on_every_quality_page_and_endpoint(world, as_user, api_client, vendor_user_b):
    page, api = as_user(vendor_user_b), api_client(vendor_user_b)
    for url in urls(world):
        client = api if url.startswith("/api/") else page
        assert client.get(url).status_code == 404, url


def test_own_vendor_and_every_buyer_role_can_read(world, as_user, personas):
    for name in ("admin", "manager", "quality", "finance", "auditor", "vendor_a"):
        client = as_user(personas[name])
        for url in urls(world):
            if name == "vendor_a" and "/spc/" in url:
                continue
            assert client.get(url).status_code == 200, (name, url)


def test_other_vendor_lists_are_empty(world, api_client, vendor_user_b):
    api = api_client(vendor_user_b)
    for path in ("ncrs?status=", "inspections", "deliverables", "complaints", "plans"):
        assert api.get(f"/api/v1/quality/{path}").json()["count"] == 0, path


def test_other_vendor_cannot_write_to_vendor_as_records(world, api_client, vendor_user_b):
    api = api_client(vendor_user_b)
    capa, ncr = world["capa"], world["ncr"]
    assert (
        api.put(
            f"/api/v1/quality/capas/{capa.code}/steps/D1", {"content": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        api.post(
            f"/api/v1/quality/ncrs/{ncr.code}/containment",
            {"containment": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 201),
        ("quality", 201),
        ("manager", 403),
        ("finance", 403),
        ("auditor", 403),
        ("vendor_a", 403),
    ],
)
def test_only_inspectors_may_start_an_inspection(world, api_client, personas, role, status):
    response = api_client(personas[role]).post(
        "/api/v1/quality/inspections",
        {"plan_id": world["plan"].pk, "lot_ref": "X", "lot_size": 100},
        content_type="application/json",
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 201),
        ("manager", 201),
        ("quality", 201),
        ("finance", 403),
        ("auditor", 403),
        ("vendor_a", 403),
    ],
)
def test_who_may_open_a_nonconformance(world, api_client, personas, role, status):
    response = api_client(personas[role]).post(
        "/api/v1/quality/ncrs",
        {"contract": world["plan"].contract.code, "source": "audit", "severity": "minor", "title": "t"},
        content_type="application/json",
    )
    assert response.status_code == status


def test_vendor_fills_its_8d_steps_but_cannot_verify(world, api_client, vendor_user_a):
    api = api_client(vendor_user_a)
    code = world["capa"].code
    ok = api.put(
        f"/api/v1/quality/capas/{code}/steps/D1", {"content": "团队"}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert (
        api.post(
            f"/api/v1/quality/capas/{code}/verify",
            {"effective": True, "note": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_auditor_may_not_review_or_fill_steps(world, api_client, auditor):
    api = api_client(auditor)
    d = world["deliverable"].code
    assert (
        api.post(
            f"/api/v1/quality/deliverables/{d}/review",
            {"decision": "approve"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert (
        api.put(
            f"/api/v1/quality/capas/{world['capa'].code}/steps/D1",
            {"content": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_auditor_post_to_a_page_action_is_forbidden(world, as_user, auditor):
    response = as_user(auditor).post(f"/quality/ncrs/{world['ncr'].code}/close/", {"reason": "x"})
    assert response.status_code == 403


def test_vendor_cannot_see_untriaged_complaints(quality_user, api_client, vendor_user_a, contract_a):
    c = services.log_complaint(
        actor=quality_user,
        channel="phone",
        category="delay",
        severity="minor",
        description="慢",
        contract=contract_a,
    )
    assert api_client(vendor_user_a).get(f"/api/v1/quality/complaints/{c.code}").status_code == 404


@pytest.mark.parametrize("path", ["ncrs?status=", "inspections", "deliverables", "complaints", "plans"])
def test_list_endpoints_do_not_grow_queries_with_rows(
    path, api_client, quality_user, vendor_a, manager, django_assert_max_num_queries
):
    def add(n):
        for _i in range(n):
            contract = ContractFactory(vendor=vendor_a, owner=manager)
            plan = make_plan(contract, quality_user)
            services.start_inspection(plan=plan, actor=quality_user, lot_ref="W", lot_size=50, seed=1)
            ncr = services.open_nonconformance(
                contract=contract, actor=quality_user, source="audit", severity="minor", title="t"
            )
            services.start_corrective_action(ncr=ncr, actor=quality_user)
            services.submit_deliverable(contract=contract, actor=quality_user, title="d", upload=pdf())
            c = services.log_complaint(
                actor=quality_user, channel="phone", category="delay", severity="minor", description="x"
            )
            services.triage_complaint(complaint=c, actor=quality_user, contract=contract, vendor_caused=True)

    api = api_client(quality_user)
    add(2)
    with django_assert_max_num_queries(12):
        assert api.get(f"/api/v1/quality/{path}").status_code == 200
    add(6)
    with django_assert_max_num_queries(12):
        assert api.get(f"/api/v1/quality/{path}").json()["count"] >= 8


@pytest.mark.parametrize(
    "url",
    [
        "/quality/",
        "/quality/ncrs/",
        "/quality/inspections/",
        "/quality/deliverables/",
        "/quality/complaints/",
        "/quality/plans/",
        "/quality/satisfaction/",
        "/",
    ],
)
def test_list_pages_do_not_grow_queries_with_rows(url, as_user, quality_user, vendor_a, manager):
    client = as_user(quality_user)

    def add(n):
        for _i in range(n):
            contract = ContractFactory(vendor=vendor_a, owner=manager)
            plan = make_plan(contract, quality_user)
            insp = services.start_inspection(plan=plan, actor=quality_user, lot_ref="W", lot_size=50, seed=1)
            services.record_findings(
                inspection=insp,
                actor=quality_user,
                findings=[(1, "major", ""), (2, "major", ""), (3, "major", "")],
            )
            services.complete_inspection(inspection=insp, actor=quality_user)
            services.submit_deliverable(contract=contract, actor=quality_user, title="d", upload=pdf())
            services.record_satisfaction(contract=contract, actor=quality_user, period="2026-01", csat=90)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(5)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_quality_panel_appears_on_the_vendor_360_page(world, as_user, quality_user, vendor_a):
    response = as_user(quality_user).get(f"/vendors/{vendor_a.pk}/")
    assert response.status_code == 200
    assert b"quality-vendor-panel" in response.content
    assert world["ncr"].code.encode() in response.content
