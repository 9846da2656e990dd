"""The OpenAPI document is a contract: any change to it must be deliberate.

After an intended API change, refresh the snapshot with `make openapi` and commit docs/openapi.json.
"""

import json
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
pytestmark = pytest.mark.django_db


def test_openapi_document_matches_the_committed_snapshot(client, manager):
    client.force_login(manager)
    schema = client.get("/api/v1/openapi.json").json()
    if os.environ.get("WAIBAO_UPDATE_OPENAPI") == "1":
        SNAPSHOT.write_text(json.dumps(schema, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert schema == committed, "the API changed: run `make openapi` and commit docs/openapi.json if intended"


def test_every_operation_declares_the_error_responses(client, manager):
    client.force_login(manager)
    schema = client.get("/api/v1/openapi.json").json()
    missing = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            declared = set(op.get("responses", {}))
            if not {"401", "403", "404"} <= declared:
                missing.append(f"{method.upper()} {path}")
    assert missing == []
