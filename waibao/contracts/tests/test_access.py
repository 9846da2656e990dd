"""Every contract page and endpoint, with the personas: what each reads, vendor B gets 404 for each of
vendor A's objects, lists keep their query count (the rules: `waibao/core/tests/access_kit.py`)."""

from __future__ import annotations

import pytest

from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import access_world_built, buyer, lst, obj, world  # noqa: F401

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

#: "contracts.write": admin and manager
WRITERS_ONLY = ("quality", "finance", "auditor", "vendor_a")
#: "contracts.finance": admin, manager, finance
FINANCE_ONLY = ("quality", "auditor", "vendor_a")
#: "settings.manage": admin
ADMIN_ONLY = ("manager", "quality", "finance", "auditor")
#: the buyer's internal side of a contract (drafts, price adjustments, internal documents) is not there for
#: the vendor's own users either (contracts.visibility): 404
INTERNAL = {"vendor_a": 404}


def code(o):
    return {"code": o["contract"].code}


def child(kind):
    return lambda o: {"code": o["contract"].code, "pk": o[kind].pk}


def template(o):
    return {"pk": o["clause_template"].pk}


def template_action(o):
    return {"pk": o["clause_template"].pk, "action": "retire"}


def template_id(o):
    return {"template_id": o["clause_template"].pk}


HTML = {
    "contracts:list": lst(),
    "contracts:create": buyer("a contract is drafted by a buyer", deny=WRITERS_ONLY),
    "contracts:settings": buyer("the clause library and approval chain", deny=ADMIN_ONLY),
    "contracts:template-edit": buyer("the clause library", template, deny=ADMIN_ONLY),
    "contracts:template-action": buyer(
        "the clause library", template_action, deny=ADMIN_ONLY, methods=("POST",)
    ),
    "contracts:vendor": obj(
        lambda o: {"vendor_pk": o["vendor"].pk},
        expect=dict.fromkeys(("admin", "manager", "quality", "finance", "auditor", "vendor_a"), 302),
        reason="opens the contract list filtered by the vendor",
    ),
    "contracts:detail": obj(code),
    "contracts:edit": obj(code, deny=WRITERS_ONLY),
    "contracts:submit": obj(code, methods=("POST",)),
    "contracts:decide": obj(code, methods=("POST",)),
    "contracts:status": obj(code, methods=("POST",)),
    "contracts:renewal": obj(code, methods=("POST",)),
    "contracts:clause-new": obj(code, deny=WRITERS_ONLY),
    "contracts:clauses-add-missing": obj(code, methods=("POST",)),
    "contracts:clause-edit": obj(child("clause"), deny=WRITERS_ONLY),
    "contracts:clause-delete": obj(child("clause"), methods=("POST",)),
    "contracts:metric-new": obj(code, deny=WRITERS_ONLY),
    "contracts:metric-edit": obj(child("metric"), deny=WRITERS_ONLY),
    "contracts:metric-delete": obj(child("metric"), methods=("POST",)),
    "contracts:metric-preview": obj(child("metric"), query="value=90"),
    "contracts:milestone-new": obj(code, deny=WRITERS_ONLY),
    "contracts:milestone-action": obj(child("milestone"), methods=("POST",)),
    "contracts:milestone-edit": obj(child("milestone"), deny=WRITERS_ONLY),
    "contracts:milestone-delete": obj(child("milestone"), methods=("POST",)),
    "contracts:price-new": obj(code, deny=FINANCE_ONLY),
    "contracts:price-edit": obj(child("price_clause"), deny=FINANCE_ONLY, expect=INTERNAL),
    "contracts:index-value": obj(child("price_clause"), deny=FINANCE_ONLY, expect=INTERNAL),
    "contracts:amendment-new": obj(code, deny=WRITERS_ONLY),
    "contracts:amendment": obj(child("amendment"), expect=INTERNAL),  # a draft
    "contracts:amendment-submit": obj(child("amendment"), methods=("POST",)),
    "contracts:diff": obj(code, query="a=1&b=1"),
    "contracts:document-new": obj(code, deny=WRITERS_ONLY),
    "contracts:document-download": obj(child("contract_document")),
    "contracts:document-delete": obj(child("contract_document"), methods=("POST",)),
}


def c_child(name, kind):
    return lambda o: {"code": o["contract"].code, name: o[kind].pk}


API = {
    "GET contracts/": lst(),
    "POST contracts/": buyer("a contract is drafted by a buyer"),
    "GET contracts/clause-library": lst(),
    "POST contracts/clause-library": buyer("the clause library"),
    "PATCH contracts/clause-library/{template_id}": buyer("the clause library", template_id),
    "POST contracts/clause-library/{template_id}/retire": buyer("the clause library", template_id),
    "POST contracts/clause-library/{template_id}/restore": buyer("the clause library", template_id),
    "GET contracts/approvals/pending": lst(),
    "GET contracts/{code}": obj(code),
    "PATCH contracts/{code}": obj(code),
    "POST contracts/{code}/status": obj(code),
    "POST contracts/{code}/renewal-decision": obj(code),
    "GET contracts/{code}/clauses": lst(code),
    "POST contracts/{code}/clauses": obj(code),
    "PATCH contracts/{code}/clauses/{clause_id}": obj(c_child("clause_id", "clause")),
    "DELETE contracts/{code}/clauses/{clause_id}": obj(c_child("clause_id", "clause")),
    "POST contracts/{code}/missing-clauses": obj(code),
    "POST contracts/{code}/submit": obj(code),
    "GET contracts/{code}/approvals": lst(code),
    "POST contracts/{code}/approvals": obj(code),
    "GET contracts/{code}/sla-metrics": lst(code),
    "POST contracts/{code}/sla-metrics": obj(code),
    "PUT contracts/{code}/sla-metrics/{metric_id}": obj(c_child("metric_id", "metric")),
    "DELETE contracts/{code}/sla-metrics/{metric_id}": obj(c_child("metric_id", "metric")),
    "POST contracts/{code}/sla-metrics/{metric_id}/preview": obj(c_child("metric_id", "metric")),
    "GET contracts/{code}/milestones": lst(code),
    "POST contracts/{code}/milestones": obj(code),
    "PATCH contracts/{code}/milestones/{milestone_id}": obj(c_child("milestone_id", "milestone")),
    "DELETE contracts/{code}/milestones/{milestone_id}": obj(c_child("milestone_id", "milestone")),
    "POST contracts/{code}/milestones/{milestone_id}": obj(c_child("milestone_id", "milestone")),
    "GET contracts/{code}/price-adjustments": lst(code),
    "POST contracts/{code}/price-adjustments": obj(code),
    "PATCH contracts/{code}/price-adjustments/{clause_id}": obj(c_child("clause_id", "price_clause")),
    "GET contracts/{code}/price-adjustments/{clause_id}/values": lst(
        c_child("clause_id", "price_clause"), expect=INTERNAL
    ),
    "POST contracts/{code}/price-adjustments/{clause_id}/values": obj(c_child("clause_id", "price_clause")),
    "GET contracts/{code}/amendments": lst(code),
    "POST contracts/{code}/amendments": obj(code),
    "POST contracts/{code}/amendments/{amendment_id}/submit": obj(c_child("amendment_id", "amendment")),
    "GET contracts/{code}/versions": lst(code),
    "GET contracts/{code}/versions/diff": obj(code, query="a=1&b=1"),
    "GET contracts/{code}/documents": lst(code),
    "POST contracts/{code}/documents": obj(code),
    "GET contracts/{code}/documents/{document_id}/download": obj(c_child("document_id", "contract_document")),
}


class TestContractAccess(kit.AccessTests):
    namespaces = ("contracts",)
    tags = ("contracts",)
    html = HTML
    api = API
