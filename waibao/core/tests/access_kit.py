"""The access tests' kernel: every route of the project, a rule for each, and the checks the rules imply.

Each app's `tests/test_access.py` declares two tables — its HTML routes by URL name (``"vendors:detail"``)
and its API operations by method and path (``"GET vendors/{vendor_id}"``) — saying what each route is:

- ``obj(fill)``: addresses one of vendor A's objects; `fill(o)` gives the URL's arguments from vendor A's
  objects `o` (``lambda o: {"pk": o["vendor"].pk}``). Vendor B gets 404 for it with every method (never
  403: the object's existence is not revealed) and nothing changes; vendor A and each buyer role read it
  (200) unless the rule lists them in `deny` (403) or `expect` (any other answer, with a reason in the table).
- ``lst(fill=None)``: a list (page or endpoint). Its queries do not grow with the number of rows, and vendor
  B's answer names none of vendor A's objects; with `fill` it lists children of one of vendor A's objects,
  so vendor B also gets 404 for it.
- ``buyer(reason)``: a page or endpoint for buyers only, addressing nothing of a vendor's: both vendor users
  get 403 (or 404).
- ``shared(fill, reason)``: one of the shared reference data (a calendar): every signed-in user reads it.
- ``own(reason)``: the signed-in user's own things (profile, notifications): everyone reads their own.
- ``public(reason)`` / ``exempt(reason)``: open to anyone (login) / nothing to check (logout), with why.

The tables are checked against Django's URL resolver and the API's OpenAPI document, so a route added
without a rule fails its app's `test_every_route_has_a_rule`.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from waibao.api import api
from waibao.core.models import AuditEvent
from waibao.core.tests import access_world
from waibao.core.tests.access_world import BUYERS, PERSONAS, World

Objects = dict[str, Any]
Fill = Callable[[Objects], dict[str, Any]]

LIST, OBJECT, SHARED, BUYER, OWN, PUBLIC, EXEMPT = (
    "list",
    "object",
    "shared",
    "buyer",
    "own",
    "public",
    "exempt",
)
API_PREFIX = "/api/v1/"
#: The moment the access tests live in (the world's records are of October 2026).
NOW = "2026-11-10 10:00 +08:00"


@dataclass(frozen=True)
class Rule:
    kind: str
    fill: Fill | None = None
    reason: str = ""
    deny: frozenset[str] = frozenset()
    expect: Mapping[str, int] = field(default_factory=dict)
    query: str = ""
    #: API writes: the JSON body (from vendor A's objects) when the one made from the schema will not do
    body: Fill | None = None
    #: HTML routes: which methods the page answers (a POST-only action is not read with GET)
    methods: tuple[str, ...] = ("GET", "POST")

    def status_for(self, persona: str) -> int:
        """The answer `persona` gets when reading the route (GET)."""
        if persona in self.expect:
            return self.expect[persona]
        if persona == "vendor_b":
            if self.fill is not None and self.kind in (OBJECT, LIST):
                return 404
            # Addressing nothing of vendor A's, vendor B is answered as vendor A is.
            persona = "vendor_a"
            if persona in self.expect:
                return self.expect[persona]
        if persona in self.deny:
            return 403
        if self.kind == BUYER and persona == "vendor_a":
            return 403
        return 200


def obj(
    fill: Fill,
    *,
    deny: tuple[str, ...] = (),
    expect: Mapping[str, int] | None = None,
    query: str = "",
    body: Fill | None = None,
    methods: tuple[str, ...] = ("GET", "POST"),
    reason: str = "",
) -> Rule:
    return Rule(OBJECT, fill, reason, frozenset(deny), dict(expect or {}), query, body, methods)


def lst(
    fill: Fill | None = None,
    *,
    deny: tuple[str, ...] = (),
    expect: Mapping[str, int] | None = None,
    query: str = "",
    reason: str = "",
) -> Rule:
    return Rule(LIST, fill, reason, frozenset(deny), dict(expect or {}), query)


def buyer(
    reason: str,
    fill: Fill | None = None,
    *,
    deny: tuple[str, ...] = (),
    expect: Mapping[str, int] | None = None,
    methods: tuple[str, ...] = ("GET", "POST"),
    query: str = "",
) -> Rule:
    return Rule(BUYER, fill, reason, frozenset(deny), dict(expect or {}), query, None, methods)


def shared(
    fill: Fill,
    reason: str,
    *,
    methods: tuple[str, ...] = ("GET",),
    query: str = "",
) -> Rule:
    return Rule(SHARED, fill, reason, query=query, methods=methods)


def own(
    reason: str,
    *,
    expect: Mapping[str, int] | None = None,
    methods: tuple[str, ...] = ("GET",),
    query: str = "",
) -> Rule:
    return Rule(OWN, None, reason, expect=dict(expect or {}), query=query, methods=methods)


def public(reason: str, fill: Fill | None = None) -> Rule:
    return Rule(PUBLIC, fill, reason, methods=("GET",))


def exempt(reason: str) -> Rule:
    return Rule(EXEMPT, None, reason, methods=())


VENDOR_A = ("vendor_a",)
#: a visitor who has not signed in
ANONYMOUS = "anonymous"
NOT_AUDITOR = ("auditor",)


# --- the routes the project has ------------------------------------------------------------------------


@dataclass(frozen=True)
class HtmlRoute:
    key: str  # "namespace:name"
    pattern: str  # "vendors/<int:pk>/"


@functools.cache
def html_routes() -> dict[str, HtmlRoute]:
    """Every route by its URL name but the API's operations (those are read from its OpenAPI document, with
    their methods; an operation left out of the document is listed here, so it needs a rule too)."""
    out: dict[str, HtmlRoute] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern):
                pattern = prefix + str(p.pattern)
                if "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", pattern) in operations:
                    continue  # an API operation: its rule is in the API table
                key = f"{namespace}:{p.name}" if namespace else str(p.name)
                out[key] = HtmlRoute(key, pattern)

    operations = set(api_schema()["paths"])
    walk(get_resolver().url_patterns, "", "")
    return out


@dataclass(frozen=True)
class ApiRoute:
    key: str  # "GET vendors/{vendor_id}"
    method: str
    path: str  # "vendors/{vendor_id}"
    tag: str
    operation: Mapping[str, Any]


@functools.cache
def api_schema() -> dict[str, Any]:
    return api.get_openapi_schema()


@functools.cache
def api_routes() -> dict[str, ApiRoute]:
    out: dict[str, ApiRoute] = {}
    for path, ops in api_schema()["paths"].items():
        rel = path.removeprefix(API_PREFIX)
        for method, op in ops.items():
            key = f"{method.upper()} {rel}"
            out[key] = ApiRoute(key, method.upper(), rel, (op.get("tags") or [""])[0], op)
    return out


def undeclared(
    namespaces: tuple[str, ...],
    tags: tuple[str, ...],
    html: Mapping[str, Rule],
    api_table: Mapping[str, Rule],
) -> dict[str, list[str]]:
    """Routes of these namespaces and API tags without a rule, and rules for routes that do not exist."""
    pages = {k for k in html_routes() if k.split(":")[0] in namespaces or (":" not in k and "" in namespaces)}
    ops = {k for k, r in api_routes().items() if r.tag in tags}
    return {
        "pages without a rule": sorted(pages - set(html)),
        "page rules for no route": sorted(set(html) - pages),
        "API operations without a rule": sorted(ops - set(api_table)),
        "API rules for no operation": sorted(set(api_table) - ops),
    }


# --- building URLs ---------------------------------------------------------------------------------


def objects(world: World, which: str = "a") -> Objects:
    return {**world.shared, **(world.a if which == "a" else world.b)}


def html_url(route: HtmlRoute, kwargs: Mapping[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(2)
        if name not in kwargs:
            raise KeyError(f"{route.key}: the rule's fill gives no {name!r}")
        return str(kwargs[name])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route.pattern)


def api_url(route: ApiRoute, kwargs: Mapping[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in kwargs:
            raise KeyError(f"{route.key}: the rule's fill gives no {name!r}")
        return str(kwargs[name])

    return API_PREFIX + re.sub(r"\{(\w+)\}", sub, route.path)


def with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


# --- clients ---------------------------------------------------------------------------------------


def page_client(world: World, persona: str) -> Client:
    """A browser signed in as `persona`. Made once per world and handed out with only its session cookie
    (signing in, and a new client's middleware — WhiteNoise reads every static file — would otherwise be
    most of these tests' time)."""
    clients = world.shared.setdefault("page_clients", {})
    if persona not in clients:
        client = Client()
        if persona != ANONYMOUS:
            client.force_login(world.user(persona))
        clients[persona] = (client, SimpleCookie(client.cookies))
    client, cookies = clients[persona]
    client.cookies = SimpleCookie(cookies)
    return client  # type: ignore[no-any-return]


def api_client(world: World, persona: str) -> Client:
    """A client that sends `persona`'s bearer token (made once per world, no cookies kept)."""
    clients = world.shared.setdefault("api_clients", {})
    if persona not in clients:
        clients[persona] = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens[persona]}")
    client: Client = clients[persona]
    client.cookies = SimpleCookie()
    return client


# --- request bodies made from the OpenAPI document ---------------------------------------------------


def _resolve(schema: Mapping[str, Any], doc: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], doc)
    return schema


def example(schema: Mapping[str, Any], doc: Mapping[str, Any]) -> Any:
    """A plausible value for a JSON schema: the body a well-meaning client would send."""
    schema = _resolve(schema, doc)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if _resolve(s, doc).get("type") != "null"]
        return example(options[0], doc) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    fmt = schema.get("format", "")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(v, doc) for k, v in props.items() if k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if fmt == "date":
        return "2026-11-01"
    if fmt == "date-time":
        return "2026-11-01T10:00:00+08:00"
    if fmt == "binary":
        return b"%PDF-1.4\n%%EOF\n"
    return "x"


def request_body(route: ApiRoute, doc: Mapping[str, Any]) -> tuple[str, Any]:
    """(content type, body) for a write operation, from its declared request body."""
    content = (route.operation.get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        return "application/json", example(content["application/json"]["schema"], doc)
    if "multipart/form-data" in content:
        schema = _resolve(content["multipart/form-data"]["schema"], doc)
        form: dict[str, Any] = {}
        for name, prop in schema.get("properties", {}).items():
            value = example(prop, doc)
            if isinstance(value, bytes):
                form[name] = _file(name)
            elif isinstance(value, dict):
                form[name] = json.dumps(value)
            else:
                form[name] = value
        return "multipart/form-data", form
    return "application/json", None


def _file(name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"{name}.pdf", access_world.PDF, content_type="application/pdf")


def send(client: Client, method: str, url: str, content_type: str, body: Any) -> Any:
    if method == "GET":
        return client.get(url)
    if content_type == "multipart/form-data":
        return client.generic(method, url, **_multipart(body)) if method != "POST" else client.post(url, body)
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data, content_type="application/json")


def _multipart(body: Mapping[str, Any]) -> dict[str, Any]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, dict(body)), "content_type": MULTIPART_CONTENT}


# --- what changed ----------------------------------------------------------------------------------


def footprint() -> tuple[int, int]:
    """The audit trail's length and last id: every meaningful change leaves an event."""
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return AuditEvent.objects.count(), last


# --- the world, once per test module -----------------------------------------------------------------


@pytest.fixture(scope="module")
def access_world_built(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The world, built once for a test module inside a transaction that is rolled back at its end (each
    test runs in a savepoint within it, as usual)."""
    media = tmp_path_factory.mktemp("access-media")
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=True),
        override_settings(
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}},
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = access_world.build()
            world.shared["media_root"] = media
            for persona in (*PERSONAS, ANONYMOUS):
                page_client(world, persona)
                if persona != ANONYMOUS:
                    api_client(world, persona)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(access_world_built: World, settings: Any, db: Any) -> World:
    # The root conftest gives each test a fresh MEDIA_ROOT; the world's files live in the module's.
    settings.MEDIA_ROOT = access_world_built.shared["media_root"]
    return access_world_built


# --- the checks ------------------------------------------------------------------------------------


def _text(response: Any) -> str:
    """The response as text: JSON with its characters unescaped, a spreadsheet's cells one per line."""
    if "spreadsheetml" in response.get("Content-Type", ""):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            return body
    return body


def html_get_statuses(world: World, key: str, rule: Rule) -> dict[str, tuple[int, int]]:
    """persona → (expected, actual) for reading an HTML route."""
    route = html_routes()[key]
    out = {}
    for persona in PERSONAS:
        kwargs = rule.fill(objects(world)) if rule.fill else {}
        url = with_query(html_url(route, kwargs), rule.query)
        out[persona] = (rule.status_for(persona), page_client(world, persona).get(url).status_code)
    return out


def check_html_reads(world: World, key: str, rule: Rule) -> None:
    if "GET" not in rule.methods:
        pytest.skip("the page answers POST only")
    statuses = html_get_statuses(world, key, rule)
    wrong = {p: s for p, s in statuses.items() if s[0] != s[1]}
    assert not wrong, f"{key}: persona → (expected, got) {wrong}"


def check_api_reads(world: World, key: str, rule: Rule) -> None:
    route = api_routes()[key]
    wrong = {}
    for persona in PERSONAS:
        kwargs = rule.fill(objects(world)) if rule.fill else {}
        url = with_query(api_url(route, kwargs), rule.query)
        got = api_client(world, persona).get(url).status_code
        if got != rule.status_for(persona):
            wrong[persona] = (rule.status_for(persona), got)
    assert not wrong, f"{key}: persona → (expected, got) {wrong}"


def check_html_other_vendor(world: World, key: str, rule: Rule) -> None:
    """Vendor B asks for vendor A's object with every method the page answers: 404, and nothing changes."""
    assert rule.fill is not None
    o = objects(world)
    url = with_query(html_url(html_routes()[key], rule.fill(o)), rule.query)
    form = rule.body(o) if rule.body else {}
    client = page_client(world, "vendor_b")
    before = footprint()
    got = {}
    for method in rule.methods:
        response = client.get(url) if method == "GET" else client.post(url, form)
        got[method] = response.status_code
    expected = rule.status_for("vendor_b")
    assert all(s == expected for s in got.values()), f"{key}: vendor B got {got} for vendor A's object"
    assert footprint() == before, f"{key}: vendor B's request changed something"


def check_api_other_vendor(world: World, key: str, rule: Rule) -> None:
    assert rule.fill is not None
    route = api_routes()[key]
    o = objects(world)
    url = with_query(api_url(route, rule.fill(o)), rule.query)
    content_type, body = request_body(route, api_schema())
    if rule.body is not None:
        body = {**(body or {}), **rule.body(o)}
    before = footprint()
    response = send(api_client(world, "vendor_b"), route.method, url, content_type, body)
    assert response.status_code == 404, (
        f"{key}: vendor B got {response.status_code} for vendor A's object: {response.content[:300]!r}"
    )
    assert footprint() == before, f"{key}: vendor B's request changed something"


def check_list_hides_vendor_a(world: World, client: Client, url: str, key: str) -> None:
    response = client.get(url)
    if response.status_code in (302, 403, 404):  # sent elsewhere, or refused: shows nothing
        return
    assert response.status_code == 200, f"{key}: {response.status_code}"
    text = _text(response)
    seen = [m for m in world.markers if m in text]
    assert not seen, f"{key}: vendor B's list shows vendor A's {seen}"


def count_queries(client: Client, url: str) -> tuple[int, int]:
    client.get(url)  # warm caches that fill once per process
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response.status_code, len(ctx.captured_queries)


def readers(rule: Rule) -> list[str]:
    """Who the query count is measured for: a buyer, and vendor A where it may read the list."""
    return [p for p in ("admin", "vendor_a") if rule.status_for(p) == 200]


def _page_url(world_objects: Objects, key: str, rule: Rule) -> str:
    kwargs = rule.fill(world_objects) if rule.fill else {}
    return with_query(html_url(html_routes()[key], kwargs), rule.query)


def _api_url(world_objects: Objects, key: str, rule: Rule) -> str:
    kwargs = rule.fill(world_objects) if rule.fill else {}
    return with_query(api_url(api_routes()[key], kwargs), rule.query)


# --- the tests every app's table runs ------------------------------------------------------------------


def generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise an `AccessTests` subclass's tests with the routes of its tables (assign this to the
    test module's `pytest_generate_tests`)."""
    cls = metafunc.cls
    if cls is None or not issubclass(cls, AccessTests):
        return
    html: Mapping[str, Rule] = cls.html
    api_table: Mapping[str, Rule] = cls.api
    params = {
        "page_of_vendor_a": [k for k, r in html.items() if r.fill is not None and r.kind in (OBJECT, LIST)],
        "endpoint_of_vendor_a": [
            k for k, r in api_table.items() if r.fill is not None and r.kind in (OBJECT, LIST)
        ],
        "page": [k for k, r in html.items() if r.kind not in (EXEMPT, PUBLIC) and "GET" in r.methods],
        "endpoint": [
            k for k, r in api_table.items() if r.kind not in (EXEMPT, PUBLIC) and k.startswith("GET ")
        ],
        "list_page": [k for k, r in html.items() if r.kind == LIST and r.fill is None],
        "list_endpoint": [k for k, r in api_table.items() if r.kind == LIST and r.fill is None],
        "buyer_write": [k for k, r in api_table.items() if r.kind == BUYER and not k.startswith("GET ")],
        "public_page": [k for k, r in html.items() if r.kind == PUBLIC],
        "buyer_page": [k for k, r in html.items() if r.kind == BUYER and "POST" in r.methods],
    }
    for name, keys in params.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, keys, ids=keys)


class AccessTests:
    """The access tests of one app; subclass it with the app's tables (see the module docstring)."""

    namespaces: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    html: Mapping[str, Rule] = {}
    api: Mapping[str, Rule] = {}

    def test_every_route_has_a_rule(self) -> None:
        problems = undeclared(self.namespaces, self.tags, self.html, self.api)
        assert not any(problems.values()), {k: v for k, v in problems.items() if v}

    def test_other_vendor_gets_404_for_vendor_as_page(self, world: World, page_of_vendor_a: str) -> None:
        check_html_other_vendor(world, page_of_vendor_a, self.html[page_of_vendor_a])

    def test_other_vendor_gets_404_for_vendor_as_endpoint(
        self, world: World, endpoint_of_vendor_a: str
    ) -> None:
        check_api_other_vendor(world, endpoint_of_vendor_a, self.api[endpoint_of_vendor_a])

    def test_each_persona_reads_the_page_as_the_policy_says(self, world: World, page: str) -> None:
        check_html_reads(world, page, self.html[page])

    def test_each_persona_reads_the_endpoint_as_the_policy_says(self, world: World, endpoint: str) -> None:
        check_api_reads(world, endpoint, self.api[endpoint])

    def test_other_vendors_list_page_shows_nothing_of_vendor_a(self, world: World, list_page: str) -> None:
        url = _page_url(objects(world), list_page, self.html[list_page])
        check_list_hides_vendor_a(world, page_client(world, "vendor_b"), url, list_page)

    def test_other_vendors_list_endpoint_shows_nothing_of_vendor_a(
        self, world: World, list_endpoint: str
    ) -> None:
        url = _api_url(objects(world), list_endpoint, self.api[list_endpoint])
        check_list_hides_vendor_a(world, api_client(world, "vendor_b"), url, list_endpoint)

    def test_vendor_users_may_not_use_a_buyers_endpoint(self, world: World, buyer_write: str) -> None:
        check_api_buyer_write(world, buyer_write, self.api[buyer_write])

    def test_vendor_users_may_not_post_to_a_buyers_page(self, world: World, buyer_page: str) -> None:
        rule = self.html[buyer_page]
        url = _page_url(objects(world), buyer_page, rule)
        before = footprint()
        got = {p: page_client(world, p).post(url, {}).status_code for p in ("vendor_a", "vendor_b")}
        assert all(s in (403, 404) for s in got.values()), f"{buyer_page}: vendor users got {got}"
        assert footprint() == before, f"{buyer_page}: a vendor user's request changed something"

    def test_anyone_may_open_a_public_page(self, world: World, public_page: str) -> None:
        url = _page_url(objects(world), public_page, self.html[public_page])
        assert page_client(world, ANONYMOUS).get(url).status_code < 500

    def test_lists_make_as_many_queries_for_many_rows_as_for_one(self, world: World) -> None:
        lists = [(k, r, False) for k, r in self.html.items() if r.kind == LIST]
        lists += [(k, r, True) for k, r in self.api.items() if r.kind == LIST]
        if not lists:
            pytest.skip("the app has no lists")
        clients = {
            (p, is_api): (api_client(world, p) if is_api else page_client(world, p))
            for p in ("admin", "vendor_a")
            for is_api in (False, True)
        }

        def url(o: Objects, key: str, rule: Rule, is_api: bool) -> str:
            return (
                _api_url(
                    o,
                    key,
                    rule,
                )
                if is_api
                else _page_url(o, key, rule)
            )

        small = objects(world)
        before = {
            (key, p): count_queries(clients[p, is_api], url(small, key, rule, is_api))
            for key, rule, is_api in lists
            for p in readers(rule)
        }
        grown = access_world.grow(world)
        after = {
            (key, p): count_queries(clients[p, is_api], url(grown if rule.fill else small, key, rule, is_api))
            for key, rule, is_api in lists
            for p in readers(rule)
        }
        answers = {k: v[0] for k, v in (before | after).items() if v[0] != 200}
        assert not answers, f"lists that did not answer 200: {answers}"
        grew = {k: (before[k][1], after[k][1]) for k in before if before[k][1] != after[k][1]}
        assert not grew, f"queries (one row → many rows) of lists whose count grew: {grew}"


def check_api_buyer_write(world: World, key: str, rule: Rule) -> None:
    """A vendor user may not use a buyers' write endpoint: 403 (or 404), and nothing changes."""
    route = api_routes()[key]
    content_type, body = request_body(route, api_schema())
    url = api_url(route, rule.fill(objects(world)) if rule.fill else {})
    before = footprint()
    got = {}
    for persona in ("vendor_a", "vendor_b"):
        got[persona] = send(api_client(world, persona), route.method, url, content_type, body).status_code
    # 404 when the body names something the user cannot see (a refusal either way)
    assert all(s in (403, 404) for s in got.values()), f"{key}: vendor users got {got}"
    assert footprint() == before, f"{key}: a vendor user's request changed something"


__all__ = [
    "BUYERS",
    "EXEMPT",
    "LIST",
    "NOT_AUDITOR",
    "OBJECT",
    "OWN",
    "PERSONAS",
    "PUBLIC",
    "VENDOR_A",
    "buyer",
    "exempt",
    "lst",
    "obj",
    "own",
    "public",
]
