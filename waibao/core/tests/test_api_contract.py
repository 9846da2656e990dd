"""What every API answer and the OpenAPI document promise clients: exact plain numbers for decimals,
enumerated fields declared as enums, and the document readable with an API token."""

import json
from decimal import Decimal

import pytest
from ninja import Schema
from ninja.schema import NinjaGenerateJsonSchema

pytestmark = pytest.mark.django_db

#: Fields whose values come from the customer's data or free text, not from a list of ours.
FREE_TEXT = {
    ("RecordIn", "kind"), ("RecordIn", "status"), ("RecordIn", "category"),
    ("RecordOut", "kind"), ("RecordOut", "status"), ("RecordOut", "category"),
    ("ContactIn", "role"), ("ContactOut", "role"), ("ContactPatch", "role"),
    ("NotificationOut", "kind"), ("SatisfactionIn", "source"), ("SatisfactionOut", "source"),
    ("MetricOut", "record_kind"), ("SimulateIn", "aql"), ("PlanQuery", "aql"),
}
ENUM_NAMES = {
    "status", "category", "kind", "consequence", "severity", "stage", "lot_kind", "source", "decision",
    "role", "type", "state", "channel", "trigger", "index_kind", "formula", "renewal_type", "renewal_decision",
    "level", "preset", "policy", "clause_type", "step", "from_status", "to_status", "from_stage", "to_stage",
    "stage_after", "start_stage", "aql", "size", "cert_state", "action",
}


def _render(data):
    from waibao.core.apiutils import ApiRenderer

    return ApiRenderer().render(None, data, response_status=200)


def test_decimals_are_written_as_plain_json_numbers_with_their_exact_digits():
    text = _render({
        "target": Decimal("9E+1"),
        "money": Decimal("12345678901234.56"),
        "tiny": Decimal("-1E-4"),
        "rows": [Decimal("0.50"), {"x": Decimal("100.0000")}],
        "looks_like": "12.5",
    })
    assert "E" not in text.replace('"looks_like"', "")
    assert json.loads(text) == json.loads(
        '{"target": 90, "money": 12345678901234.56, "tiny": -0.0001, "rows": [0.50, {"x": 100.0000}],'
        ' "looks_like": "12.5"}'
    )
    assert '"money": 12345678901234.56' in text and '"looks_like": "12.5"' in text


def test_a_text_value_that_imitates_the_internal_mark_stays_text():
    text = _render({"note": "\x00abc:12\x00", "n": Decimal("1")})
    assert json.loads(text) == {"note": "\x00abc:12\x00", "n": 1}


def _api_schemas():
    seen, todo = [], list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("waibao.") and not cls.__pydantic_generic_metadata__.get("origin"):
            seen.append(cls)
    return seen


def test_every_decimal_an_answer_can_hold_is_documented_as_a_number():
    found = []

    class Spy(NinjaGenerateJsonSchema):
        def decimal_schema(self, schema):
            found.append(self._name)
            return super().decimal_schema(schema)

    import waibao.api  # noqa: F401  (every router, so every schema, is loaded)

    for cls in _api_schemas():
        Spy._name = cls.__name__
        cls.model_json_schema(mode="serialization", schema_generator=Spy)
    assert found == []


def test_every_enumerated_field_is_an_enum_in_the_openapi_document(client, manager):
    client.force_login(manager)
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    missing = []
    for name, schema in schemas.items():
        for prop, spec in schema.get("properties", {}).items():
            if prop not in ENUM_NAMES or (name, prop) in FREE_TEXT:
                continue
            options = [spec, *spec.get("anyOf", []), *spec.get("allOf", [])]
            if not any(o.get("type") == "string" or "enum" in o for o in options):
                continue  # a number (a CMMI level, a file size)
            if not any("enum" in o for o in options):
                missing.append(f"{name}.{prop}")
    assert missing == [], missing


def test_contract_status_is_listed_with_its_values(client, manager):
    client.force_login(manager)
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ContractOut"]
    assert schema["properties"]["status"]["enum"] == [
        "draft", "in_approval", "active", "suspended", "expired", "terminated"
    ]


def test_openapi_document_is_readable_with_a_bearer_token(client, api_client, manager):
    r = api_client(manager).get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.json()["info"]["title"] == "Waibao API"
    assert client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION="Bearer wb_not-a-token").status_code == 401
    assert client.get("/api/v1/openapi.json").status_code == 302  # a browser is sent to sign in
