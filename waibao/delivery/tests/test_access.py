"""Every delivery page and endpoint, with the personas: what each reads, vendor B gets 404 for each of
vendor A's objects, lists keep their query count (the rules: `waibao/core/tests/access_kit.py`)."""

from __future__ import annotations

import pytest

from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import access_world_built, lst, obj, world  # noqa: F401

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

#: "delivery.write": admin and manager
WRITERS_ONLY = ("quality", "finance", "auditor", "vendor_a")
#: "delivery.import": admin, manager and the vendor
IMPORTERS_ONLY = ("quality", "finance", "auditor")
PERIOD = "2026-10"


def code(o):
    return {"code": o["contract"].code}


def missed(o):
    return {"code": o["contract"].code, "metric_id": o["metric"].pk, "period": PERIOD}


HTML = {
    "delivery:portfolio": lst(),
    "delivery:portfolio-export": lst(),
    "delivery:disputes": lst(),
    "delivery:dispute-decide": obj(lambda o: {"pk": o["dispute"].pk}, methods=("POST",)),
    "delivery:contract": obj(code),
    "delivery:results-export": obj(code),
    "delivery:close-period": obj(code, methods=("POST",)),
    "delivery:records": lst(code),
    "delivery:record-new": obj(code, deny=WRITERS_ONLY),
    "delivery:missed": lst(missed),
    "delivery:missed-export": lst(lambda o: {**missed(o), "fmt": "csv"}),
    "delivery:manual-enter": obj(
        lambda o: {"code": o["contract"].code, "metric_id": o["manual_metric"].pk}, methods=("POST",)
    ),
    "delivery:manual-decide": obj(lambda o: {"pk": o["manual"].pk}, methods=("POST",)),
    "delivery:import": obj(code, deny=IMPORTERS_ONLY),
    "delivery:import-template": obj(code),
    "delivery:import-template-xlsx": obj(code),
    "delivery:record": obj(lambda o: {"pk": o["record"].pk}),
    "delivery:record-edit": obj(lambda o: {"pk": o["record"].pk}, deny=WRITERS_ONLY),
    "delivery:dispute-raise": obj(lambda o: {"pk": o["record"].pk}, methods=("POST",)),
    "delivery:job": obj(lambda o: {"pk": o["job"].pk}),
    "delivery:job-mapping": obj(lambda o: {"pk": o["file_job"].pk}, deny=IMPORTERS_ONLY),
    "delivery:job-cancel": obj(lambda o: {"pk": o["file_job"].pk}, methods=("POST",)),
    "delivery:job-errors": obj(lambda o: {"pk": o["job"].pk}),
}

API = {
    "GET delivery/contracts/{code}/sla-results": lst(code),
    "GET delivery/contracts/{code}/records": lst(code),
    "GET delivery/contracts/{code}/missed/{metric_id}/{period}": lst(missed),
    "GET delivery/records/{record_id}": obj(lambda o: {"record_id": o["record"].pk}),
    "POST delivery/contracts/{code}/records:batch": obj(code),
    "GET delivery/contracts/{code}/imports": lst(code),
    "POST delivery/contracts/{code}/imports": obj(code),
    "GET delivery/imports/{job_id}": obj(lambda o: {"job_id": o["job"].pk}),
    "POST delivery/imports/{job_id}/cancel": obj(lambda o: {"job_id": o["file_job"].pk}),
    "POST delivery/contracts/{code}/periods/{period}/close": obj(lambda o: {**code(o), "period": PERIOD}),
    "GET delivery/disputes": lst(),
    "POST delivery/records/{record_id}/disputes": obj(lambda o: {"record_id": o["record"].pk}),
    "POST delivery/disputes/{dispute_id}/accept": obj(lambda o: {"dispute_id": o["dispute"].pk}),
    "POST delivery/disputes/{dispute_id}/reject": obj(lambda o: {"dispute_id": o["dispute"].pk}),
    "GET delivery/contracts/{code}/manual-values": lst(code),
    "POST delivery/contracts/{code}/manual-values": obj(code),
    "POST delivery/manual-values/{manual_id}/confirm": obj(lambda o: {"manual_id": o["manual"].pk}),
    "POST delivery/manual-values/{manual_id}/reject": obj(lambda o: {"manual_id": o["manual"].pk}),
}


class TestDeliveryAccess(kit.AccessTests):
    namespaces = ("delivery",)
    tags = ("delivery",)
    html = HTML
    api = API
