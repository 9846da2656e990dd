"""The OpenAPI document tells the truth: each schema name means one shape, and each operation lists the
error statuses it can answer.

django-ninja files every schema under its class name in ``components``; two classes of the same name
(a contract's approval step and a CAPA's 8D step were both ``StepOut``) silently became one, so the
endpoints of the other were documented with the wrong shape."""

from __future__ import annotations

import typing
from collections import defaultdict
from typing import Any

import pytest
from ninja import Schema
from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema
from pydantic import BaseModel

from waibao.api import api

pytestmark = pytest.mark.django_db


def _operations() -> list[tuple[str, Any]]:
    found = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                found.append((prefix.rstrip("/") + path, operation))
    return found


def _models_in(annotation: Any, seen: set[type]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, seen)


def _documented_models() -> set[type]:
    seen: set[type] = set()
    for _path, operation in _operations():
        for model in [*operation.response_models.values(), *operation.models]:
            if isinstance(model, type):
                _models_in(model, seen)
    return seen


def _component_name(model: type) -> str:
    return model.__name__.replace("[", "_").replace("]", "_").replace(", ", "__")


def _schema_subclasses() -> set[type]:
    found: set[type] = set()
    todo = [Schema]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return {m for m in found if m.__module__.startswith("waibao.")}


def test_no_two_api_schemas_share_a_name():
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in _schema_subclasses() | _documented_models():
        if model.__module__.startswith("waibao.") and "[" not in model.__name__:
            by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert shared == {}


def test_every_component_is_the_shape_of_the_schema_the_operations_use(client, manager):
    client.force_login(manager)
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    wrong = []
    for path, operation in _operations():
        used = [(m, "serialization") for m in operation.response_models.values() if isinstance(m, type)]
        used += [(m, "validation") for m in operation.models if not hasattr(m, "__ninja_flatten_map__")]
        for model, mode in used:
            schema = model.model_json_schema(
                ref_template=REF_TEMPLATE, by_alias=True, schema_generator=NinjaGenerateJsonSchema, mode=mode
            )
            for name, shape in schema.get("$defs", {}).items():
                if components.get(name) != shape:
                    wrong.append(f"{sorted(operation.methods)} {path}: {name} ({mode})")
    assert wrong == []


def test_every_operation_declares_the_errors_it_can_answer(client, manager):
    """400 (NUL, unparsable body), 401, 403, 404 and 422 everywhere; 413 where a body is taken; 409 on
    every write that can find its record moved on (all but computations and idempotent marks)."""
    client.force_login(manager)
    doc = client.get("/api/v1/openapi.json").json()
    never_conflicts = {
        ("post", "/api/v1/calendars/{calendar_id}/business-time"),
        ("post", "/api/v1/calendars/{calendar_id}/due"),
        ("post", "/api/v1/contracts/{code}/sla-metrics/{metric_id}/preview"),
        ("post", "/api/v1/notifications/{notification_id}/read"),
        ("post", "/api/v1/notifications/read-all"),
        ("post", "/api/v1/quality/switching/simulate"),
        ("post", "/api/v1/quality/spc/signals"),
    }
    missing = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            expected = {"400", "401", "403", "404", "422"}
            if "requestBody" in op:
                expected.add("413")
            if method != "get" and (method, path) not in never_conflicts:
                expected.add("409")
            declared = op["responses"]
            lacking = expected - set(declared)
            if lacking:
                missing.append(f"{method.upper()} {path}: {sorted(lacking)}")
            for status in expected & set(declared):
                schema = declared[status]["content"]["application/json"]["schema"]
                if schema != {"$ref": "#/components/schemas/ErrorOut"} or not declared[status]["description"]:
                    missing.append(f"{method.upper()} {path}: {status} not in the error shape")
    assert missing == []


def test_an_approval_decision_and_a_dispute_decision_are_documented_apart(client, manager):
    client.force_login(manager)
    doc = client.get("/api/v1/openapi.json").json()

    def body(path: str) -> dict[str, Any]:
        ref = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]

    def item(path: str) -> dict[str, Any]:
        schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        ref = schema.get("items", schema)["$ref"]
        return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]

    assert "decision" in body("/api/v1/contracts/{code}/approvals")
    assert "response" in body("/api/v1/delivery/disputes/{dispute_id}/accept")
    assert "round" in item("/api/v1/contracts/{code}/approvals")
    assert "vendor_id" in item("/api/v1/vendors/{vendor_id}/documents")
    assert "is_signed_copy" in item("/api/v1/contracts/{code}/documents")
    assert "snapshot" in item("/api/v1/contracts/{code}/versions")
