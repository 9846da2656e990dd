"""Schema-driven fuzzing of the whole REST API (issue 11 §2).

Every operation of the OpenAPI document is called with input generated from its own schema (schemathesis
over hypothesis) — input that fits the schema and input that breaks it — as a vendor user, as a manager
and without credentials, against the demo data (two vendors with contracts, SLA metrics, records and
results, quality plans, inspections, an NCR with its 8D, deliverables, complaints). Path parameters are
mostly ids and codes of existing objects (the vendor user's own and the other vendor's), so requests
reach the code behind the lookup. Every answer must

- not be a 5xx,
- have a status the operation documents,
- have the documented content type, and
- have a body that validates against the documented schema.

Bounded for CI: ``EXAMPLES`` generated requests per operation and persona (``WAIBAO_FUZZ_EXAMPLES`` to
change it), no shrinking. Seeded: each operation's generator is seeded from ``WAIBAO_FUZZ_SEED`` (default
below), the persona and the operation, so the same code sends the same requests on every run; a failure
names the seed and the operation and prints the request as a curl command. Run with another seed (or more
examples) to explore further:

    WAIBAO_FUZZ_SEED=7 WAIBAO_FUZZ_EXAMPLES=50 .venv/bin/pytest waibao/core/tests/test_api_fuzz.py
"""

from __future__ import annotations

import io
import itertools
import os
import re
import zlib
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

#: Generated requests per operation for a signed-in persona (half fit the schema, half break it).
EXAMPLES = int(os.environ.get("WAIBAO_FUZZ_EXAMPLES", "8"))
#: Without credentials every operation answers 401 before it looks at its input: two requests each suffice.
ANONYMOUS_EXAMPLES = 2
SEED = int(os.environ.get("WAIBAO_FUZZ_SEED", "11"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Reads first, deletions last, so the deletions do not leave the other operations nothing to work on.
METHOD_ORDER = {"GET": 0, "DELETE": 2}


class WsgiApp:
    """Django's WSGI handler as the server sees it, inside the test's transaction: like Django's test
    client, a request does not close the database connection when it starts and ends (the test's
    transaction lives on it)."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture
def wsgi_app(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis's WSGI host
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False  # an exception is a 500 answer, as in production
    return WsgiApp()


def existing_values() -> dict[tuple[str, str, str], list[Any]]:
    """Ids and codes of existing objects for each path parameter, keyed by (area, segment before it,
    parameter)."""
    from waibao.accounts.models import ApiToken, Invitation
    from waibao.calendars.models import Calendar
    from waibao.contracts import models as cm
    from waibao.delivery import models as dm
    from waibao.notifications.models import Notification
    from waibao.quality import models as qm
    from waibao.vendors import models as vm

    def some(qs: Any, field: str = "pk", n: int = 4) -> list[Any]:
        return list(qs.order_by("pk").values_list(field, flat=True)[:n])

    periods = sorted(set(dm.SlaResult.objects.values_list("period", flat=True)))[-3:]
    # Both demo vendors' objects: the vendor user's own and the other vendor's (which must be a 404).
    vendors = some(vm.Vendor.objects.filter(code__in=["V-0001", "V-0002"]))
    theirs = {"vendor__code__in": ["V-0001", "V-0002"]}
    contracts = some(cm.Contract.objects, "code")
    metrics = some(cm.SlaMetric.objects)
    return {
        ("accounts", "invitations", "invitation_id"): some(Invitation.objects),
        ("accounts", "tokens", "token_id"): some(ApiToken.objects),
        ("accounts", "vendors", "vendor_id"): vendors,
        ("calendars", "calendars", "calendar_id"): some(Calendar.objects),
        ("contracts", "contracts", "code"): contracts,
        ("contracts", "amendments", "amendment_id"): some(cm.Amendment.objects),
        ("contracts", "clause-library", "template_id"): some(cm.ClauseTemplate.objects),
        ("contracts", "clauses", "clause_id"): some(cm.Clause.objects),
        ("contracts", "documents", "document_id"): some(cm.ContractDocument.objects),
        ("contracts", "milestones", "milestone_id"): some(cm.PaymentMilestone.objects),
        ("contracts", "price-adjustments", "clause_id"): some(cm.PriceAdjustmentClause.objects),
        ("contracts", "sla-metrics", "metric_id"): metrics,
        ("delivery", "contracts", "code"): contracts,
        ("delivery", "missed", "metric_id"): metrics,
        ("delivery", "{metric_id}", "period"): periods,
        ("delivery", "periods", "period"): periods,
        ("delivery", "disputes", "dispute_id"): some(dm.RecordDispute.objects),
        ("delivery", "imports", "job_id"): some(dm.ImportJob.objects),
        ("delivery", "manual-values", "manual_id"): some(dm.ManualValue.objects),
        ("delivery", "records", "record_id"): some(dm.ServiceRecord.objects),
        ("notifications", "notifications", "notification_id"): some(Notification.objects),
        ("quality", "capas", "code"): some(qm.CorrectiveAction.objects, "code"),
        ("quality", "complaints", "code"): some(qm.Complaint.objects, "code"),
        ("quality", "deliverables", "code"): some(qm.Deliverable.objects, "code"),
        ("quality", "deliverable-versions", "version_id"): some(qm.DeliverableVersion.objects),
        ("quality", "inspections", "code"): some(qm.Inspection.objects, "code"),
        ("quality", "ncrs", "code"): some(qm.Nonconformance.objects, "code"),
        ("quality", "from-sla", "result_id"): some(dm.SlaResult.objects),
        ("quality", "plans", "plan_id"): some(qm.QualityPlan.objects),
        ("quality", "streams", "stream_id"): some(qm.InspectionStream.objects),
        ("quality", "steps", "step"): ["D1", "D4", "D8"],
        ("vendors", "vendors", "vendor_id"): vendors,
        ("vendors", "certificates", "certificate_id"): some(vm.Certificate.objects.filter(**theirs), n=8),
        ("vendors", "contacts", "contact_id"): some(vm.VendorContact.objects.filter(**theirs), n=8),
        ("vendors", "documents", "document_id"): some(vm.VendorDocument.objects.filter(**theirs), n=8),
        ("vendors", "imports", "job_id"): some(vm.VendorImportJob.objects),
    }


def path_keys(path: str) -> dict[str, tuple[str, str, str]]:
    """{parameter: (area, segment before it, parameter)} for a path such as /api/v1/contracts/{code}."""
    segments = path.removeprefix("/api/v1/").split("/")
    keys = {}
    for before, segment in itertools.pairwise(segments):
        if m := re.fullmatch(r"\{(\w+)\}", segment):
            keys[m.group(1)] = (segments[0], before, m.group(1))
    return keys


def fuzz(schema: Any, app: Any, persona: str, headers: dict[str, str], examples: int) -> list[str]:
    """Calls every operation ``examples`` times; returns one report per failing operation."""
    real = existing_values()
    # A generated path value equal to a fixed segment of another route (a contract code "clause-library")
    # addresses that route, not this operation: it is replaced by an existing value.
    literals = {s for path in schema.raw_schema["paths"] for s in path.split("/") if s and "{" not in s}
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: METHOD_ORDER.get(op.method.upper(), 1))
    failures = [fuzz_operation(op, app, persona, headers, examples, real, literals) for op in operations]
    return [f for f in failures if f]


def fuzz_operation(
    operation: Any, app: Any, persona: str, headers: dict[str, str], examples: int, real: dict, literals: set
) -> str:
    """Calls one operation ``examples`` times; returns the report of its first failure, or ""."""
    keys = path_keys(operation.path)
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @seed(zlib.crc32(f"{SEED}:{persona}:{operation.label}".encode()))
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def call(case: Any, data: Any) -> None:
        for name, key in keys.items():
            choices = real.get(key) or []
            generated = str(case.path_parameters.get(name, ""))
            if choices and (generated in literals or data.draw(st.integers(0, 4), label=name) > 0):
                case.path_parameters[name] = data.draw(st.sampled_from(choices), label=name)
        case.call_and_validate(headers=headers, checks=CHECKS, app=app)

    try:
        call()
    except (Exception, FailureGroup) as exc:
        return f"[{persona}, seed {SEED}] {operation.label}: {summary(exc)}"
    return ""


def summary(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, FailureGroup):
        titles = "; ".join(
            f"{f.title}: {f.message.splitlines()[0] if f.message else ''}".strip() for f in exc.exceptions
        )
        curl = re.search(r"Reproduce with:\s+(curl .*)", text)
        return f"{titles}\n    {curl.group(1)[:1000] if curl else ''}"
    return f"{type(exc).__name__}: {text[:2000]}"


@pytest.fixture
def api_schema(wsgi_app, manager):
    """The OpenAPI document as the API serves it, calling the app in-process."""
    from django.test import Client

    client = Client()
    client.force_login(manager)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(response.json())
    schema.app = wsgi_app
    return schema


@pytest.fixture
def demo_schema(api_schema):
    """The same, with the demo data loaded, and what the demo does not make: an invitation, a contract
    document and a record dispute."""
    from waibao.accounts import services as accounts
    from waibao.accounts.models import User
    from waibao.contracts import services as contracts
    from waibao.contracts.models import Contract
    from waibao.core.files import Upload
    from waibao.delivery import services as delivery
    from waibao.delivery.models import ServiceRecord

    call_command("demo", stdout=io.StringIO())
    manager, vendor_user = User.objects.get(username="manager"), User.objects.get(username="vendor_a")
    accounts.invite_vendor_user(actor=manager, vendor=vendor_user.vendor, email="new.user@example.com")
    contract = Contract.objects.filter(vendor=vendor_user.vendor).order_by("code").first()
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    contracts.upload_document(
        contract=contract,
        actor=manager,
        upload=Upload(name="signed.pdf", stream=io.BytesIO(pdf), size=len(pdf)),
    )
    record = ServiceRecord.objects.filter(contract__vendor=vendor_user.vendor).order_by("pk").first()
    delivery.raise_dispute(record=record, actor=vendor_user, comment="响应时间记录有误")
    return api_schema


def bearer(username: str) -> dict[str, str]:
    from waibao.accounts import services
    from waibao.accounts.models import User

    user = User.objects.get(username=username)
    _token, raw = services.create_api_token(user=user, actor=user, name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.parametrize("persona", ["vendor_a", "manager"])
def test_every_operation_answers_within_its_documented_contract(demo_schema, wsgi_app, persona):
    failures = fuzz(demo_schema, wsgi_app, persona, bearer(persona), EXAMPLES)
    assert not failures, "\n\n".join(failures)


def test_every_operation_refuses_a_caller_without_credentials_within_its_contract(api_schema, wsgi_app):
    failures = fuzz(api_schema, wsgi_app, "anonymous", {}, ANONYMOUS_EXAMPLES)
    assert not failures, "\n\n".join(failures)


def test_the_fuzzer_covers_every_operation(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    documented = sum(len(ops) for ops in api_schema.raw_schema["paths"].values())
    assert len(operations) == documented > 100
    # Each path parameter has its existing objects listed, so the fuzzer reaches past the lookup.
    unknown = {
        f"{op.label}: {name}"
        for op in operations
        for name, key in path_keys(op.path).items()
        if key not in existing_values()
    }
    assert unknown == set(), "add these path parameters to existing_values()"
