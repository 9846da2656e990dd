"""Every quality page and endpoint, with the personas: what each reads, vendor B gets 404 for each of
vendor A's objects, lists keep their query count (the rules: `waibao/core/tests/access_kit.py`;
`test_access.py` next to this file checks the roles' writes one by one)."""

from __future__ import annotations

import pytest

from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import access_world_built, buyer, lst, obj, own, world  # noqa: F401

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

#: "quality.write": admin, manager, quality
WRITERS_ONLY = ("finance", "auditor", "vendor_a")
#: "quality.inspect": admin, quality
INSPECTORS_ONLY = ("manager", "finance", "auditor", "vendor_a")
#: the 8D and deliverables are written by the vendor and the quality team; not by finance or the auditor
STEP_WRITERS_ONLY = ("finance", "auditor")


def contract_a(o):
    return {"contract": o["contract"].code}


HTML = {
    "quality:dashboard": lst(expect={"vendor_a": 302}, reason="a vendor user is taken to its NCRs"),
    "quality:tools-sampling": own("a calculator over the numbers typed; reads no records"),
    "quality:tools-spc": own("a calculator over the numbers typed; reads no records"),
    "quality:spc": obj(lambda o: {"code": o["contract"].code}),
    "quality:plan-list": lst(),
    "quality:plan-create": buyer("plans are the buyer's", deny=("finance", "auditor")),
    "quality:plan-detail": obj(lambda o: {"pk": o["plan"].pk}),
    "quality:plan-edit": obj(lambda o: {"pk": o["plan"].pk}, deny=WRITERS_ONLY),
    "quality:stream-action": obj(lambda o: {"pk": o["stream"].pk, "action": "resume"}, methods=("POST",)),
    "quality:inspection-list": lst(),
    "quality:inspection-create": buyer("inspections are the buyer's", deny=("manager", "finance", "auditor")),
    "quality:inspection-detail": obj(lambda o: {"code": o["inspection"].code}),
    "quality:inspection-cancel": obj(lambda o: {"code": o["inspection"].code}, methods=("POST",)),
    "quality:ncr-list": lst(),
    "quality:ncr-create": buyer("nonconformances are opened by the buyer", deny=("finance", "auditor")),
    "quality:ncr-detail": obj(lambda o: {"code": o["ncr"].code}),
    "quality:ncr-action": obj(lambda o: {"code": o["ncr"].code, "action": "containment"}, methods=("POST",)),
    "quality:evidence-download": obj(lambda o: {"pk": o["evidence"].pk}),
    "quality:capa-detail": obj(lambda o: {"code": o["capa"].code}),
    "quality:capa-action": obj(lambda o: {"code": o["capa"].code, "action": "step"}, methods=("POST",)),
    "quality:deliverable-list": lst(),
    "quality:deliverable-create": obj(
        lambda o: {},
        body=contract_a,
        methods=("POST",),
        expect={"vendor_b": 200},
        reason="the form offers only the user's own contracts: another vendor's is refused as no choice",
    ),
    "quality:deliverable-detail": obj(lambda o: {"code": o["deliverable"].code}),
    "quality:deliverable-action": obj(
        lambda o: {"code": o["deliverable"].code, "action": "review"}, methods=("POST",)
    ),
    "quality:version-download": obj(lambda o: {"pk": o["deliverable_version"].pk}),
    "quality:complaint-list": lst(),
    "quality:complaint-create": buyer("complaints are logged by the buyer", deny=("finance", "auditor")),
    "quality:complaint-detail": obj(lambda o: {"code": o["complaint"].code}),
    "quality:complaint-action": obj(
        lambda o: {"code": o["complaint"].code, "action": "close"}, methods=("POST",)
    ),
    "quality:satisfaction": lst(),
    "quality:satisfaction-scale": buyer("the contract's CSAT scale is set by the buyer", methods=("POST",)),
    "quality:sla-breaches": lst(),
    "quality:sla-breach-ncr": obj(lambda o: {"result_id": o["result"].pk}, methods=("POST",)),
}

API = {
    "GET quality/sampling-plan": own("a calculator", query="lot_size=500&level=II&aql=1.5"),
    "POST quality/switching/simulate": own("a calculator", methods=("POST",)),
    "POST quality/spc/signals": own("a calculator", methods=("POST",)),
    "GET quality/plans": lst(),
    "POST quality/plans": buyer("plans are the buyer's"),
    "GET quality/plans/{plan_id}": obj(lambda o: {"plan_id": o["plan"].pk}),
    "PUT quality/plans/{plan_id}": obj(lambda o: {"plan_id": o["plan"].pk}),
    "PATCH quality/plans/{plan_id}": obj(lambda o: {"plan_id": o["plan"].pk}),
    "GET quality/plans/{plan_id}/streams": lst(lambda o: {"plan_id": o["plan"].pk}),
    "GET quality/streams/{stream_id}/switches": lst(lambda o: {"stream_id": o["stream"].pk}),
    "POST quality/streams/{stream_id}/resume": obj(lambda o: {"stream_id": o["stream"].pk}),
    "GET quality/inspections": lst(),
    "POST quality/inspections": buyer("inspections are the buyer's"),
    "GET quality/inspections/{code}": obj(lambda o: {"code": o["inspection"].code}),
    "PUT quality/inspections/{code}/findings": obj(lambda o: {"code": o["inspection"].code}),
    "POST quality/inspections/{code}/all-conform": obj(lambda o: {"code": o["inspection"].code}),
    "PUT quality/inspections/{code}/measurements": obj(lambda o: {"code": o["inspection"].code}),
    "POST quality/inspections/{code}/complete": obj(lambda o: {"code": o["inspection"].code}),
    "GET quality/ncrs": lst(),
    "POST quality/ncrs": buyer("nonconformances are opened by the buyer"),
    "GET quality/sla-breaches": lst(),
    "POST quality/ncrs/from-sla/{result_id}": obj(lambda o: {"result_id": o["result"].pk}),
    "GET quality/ncrs/{code}": obj(lambda o: {"code": o["ncr"].code}),
    "POST quality/ncrs/{code}/containment": obj(lambda o: {"code": o["ncr"].code}),
    "POST quality/ncrs/{code}/evidence": obj(lambda o: {"code": o["ncr"].code}),
    "POST quality/ncrs/{code}/close": obj(lambda o: {"code": o["ncr"].code}),
    "POST quality/ncrs/{code}/capa": obj(lambda o: {"code": o["ncr"].code}),
    "GET quality/capas/{code}": obj(lambda o: {"code": o["capa"].code}),
    "PUT quality/capas/{code}/steps/{step}": obj(lambda o: {"code": o["capa"].code, "step": "D1"}),
    "PUT quality/capas/{code}/steps": obj(lambda o: {"code": o["capa"].code}),
    "POST quality/capas/{code}/submit": obj(lambda o: {"code": o["capa"].code}),
    "POST quality/capas/{code}/return": obj(lambda o: {"code": o["capa"].code}),
    "POST quality/capas/{code}/accept": obj(lambda o: {"code": o["capa"].code}),
    "POST quality/capas/{code}/verify": obj(lambda o: {"code": o["capa"].code}),
    "GET quality/deliverables": lst(),
    "POST quality/deliverables": obj(
        lambda o: {}, body=contract_a, reason="the body names the contract: another vendor's is not found"
    ),
    "GET quality/deliverables/{code}": obj(lambda o: {"code": o["deliverable"].code}),
    "POST quality/deliverables/{code}/versions": obj(lambda o: {"code": o["deliverable"].code}),
    "POST quality/deliverables/{code}/review": obj(lambda o: {"code": o["deliverable"].code}),
    "GET quality/deliverable-versions/{version_id}/file": obj(
        lambda o: {"version_id": o["deliverable_version"].pk}
    ),
    "GET quality/complaints": lst(),
    "POST quality/complaints": buyer("complaints are logged by the buyer"),
    "GET quality/complaints/{code}": obj(lambda o: {"code": o["complaint"].code}),
    "POST quality/complaints/{code}/triage": obj(lambda o: {"code": o["complaint"].code}),
    "POST quality/complaints/{code}/convert": obj(lambda o: {"code": o["complaint"].code}),
    "GET quality/satisfaction": lst(),
    "POST quality/satisfaction": buyer("satisfaction results are recorded by the buyer"),
    "PUT quality/satisfaction/scale": buyer("the contract's CSAT scale is set by the buyer"),
}


class TestQualityAccess(kit.AccessTests):
    namespaces = ("quality",)
    tags = ("quality",)
    html = HTML
    api = API


def test_a_nonconformance_with_evidence_shows_its_history(world):  # noqa: F811 (the fixture)
    """The history names the evidence added (it was a 500: the audit key is a reverse relation's name)."""
    response = kit.page_client(world, "quality").get(f"/quality/ncrs/{world.a['ncr'].code}/")
    assert response.status_code == 200
    assert "证据" in response.content.decode()
