"""The shared pages (home, search, audit log, health, API documents) with the personas; and that every app
with routes has its access table (the rules: `waibao/core/tests/access_kit.py`)."""

from __future__ import annotations

import importlib

import pytest
from django.db.models import Model

from waibao.accounts.models import ApiToken, Invitation
from waibao.core import access
from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import access_world_built, lst, own, public, world  # noqa: F401
from waibao.notifications.models import Notification

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

#: "audit.read": admin and auditor
AUDITORS_ONLY = ("manager", "quality", "finance", "vendor_a")

HTML = {
    "health": public("the load balancer's health check"),
    "core:home": lst(),
    "core:audit-log": lst(deny=AUDITORS_ONLY),
    "core:search": lst(query="q=运维"),
    "api:openapi-json": own("the API's description (no data)"),
    "api:openapi-view": own("the API's documentation page (no data)"),
    "api:api-root": own("the API's root: no index", expect=dict.fromkeys(kit.PERSONAS, 404)),
}

API = {
    "GET audit/events": lst(deny=AUDITORS_ONLY),
}


class TestCoreAccess(kit.AccessTests):
    namespaces = ("core", "api", "")
    tags = ("audit",)
    html = HTML
    api = API


#: the module holding each URL namespace's and API tag's table
TABLES = {
    "": "waibao.core.tests.test_access",
    "api": "waibao.core.tests.test_access",
    "core": "waibao.core.tests.test_access",
    "audit": "waibao.core.tests.test_access",
    "accounts": "waibao.accounts.tests.test_access",
    "vendors": "waibao.vendors.tests.test_access",
    "calendars": "waibao.calendars.tests.test_access",
    "notifications": "waibao.notifications.tests.test_access",
    "contracts": "waibao.contracts.tests.test_access",
    "delivery": "waibao.delivery.tests.test_access",
    "quality": "waibao.quality.tests.test_access_routes",
    "portal": "waibao.portal.tests.test_access",
}


def test_every_url_namespace_and_api_tag_has_an_access_table():
    """A new app's routes fail here until the app has its `tests/test_access.py` table."""
    namespaces = {key.split(":")[0] if ":" in key else "" for key in kit.html_routes()}
    tags = {route.tag for route in kit.api_routes().values()}
    missing = sorted((namespaces | tags) - set(TABLES))
    assert not missing, f"no access table for {missing}: add tests/test_access.py to the app and list it here"
    for module in set(TABLES.values()):
        importlib.import_module(module)  # each table checks its own routes (test_every_route_has_a_rule)


class Recording(dict):
    """Vendor A's objects, noting which ones a rule's fill reads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


# Rows that belong to one user, not to a vendor: their routes look them up by owner (the signed-in user's own
# API tokens and notifications; invitations by the invitee's secret link or by buyers who may invite).
OWNED_BY_A_USER = {ApiToken, Invitation, Notification}


def test_every_model_a_route_addresses_has_an_access_rule(world):  # noqa: F811 (the fixture)
    """What a URL id can name is looked up through core.access (a model's path to its vendor declared
    once): every model an object route addresses has its rule there."""
    if not access.registered():
        pytest.skip("no app declares its models with core.access.register yet (issue 12 migrates them)")
    objects = Recording(kit.objects(world))
    for module in set(TABLES.values()):
        tables = importlib.import_module(module)
        for rule in [*getattr(tables, "HTML", {}).values(), *getattr(tables, "API", {}).values()]:
            if rule.fill is not None and rule.kind in (kit.OBJECT, kit.LIST, kit.SHARED):
                rule.fill(objects)
    models = {type(objects[k]) for k in objects.read if isinstance(dict.get(objects, k), Model)}
    missing = sorted(m.__name__ for m in models - set(access.registered()) - OWNED_BY_A_USER)
    assert not missing, f"models addressed by a route without a core.access rule: {missing}"
