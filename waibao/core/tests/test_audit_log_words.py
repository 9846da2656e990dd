"""The audit log speaks the reader's language: actions and object types in words, the object by its
name, times to the minute, and a plan's check items with their field labels — no verb codes or
``model #id``."""

import re

import pytest

from waibao.quality.tests.factories import ContractFactory, make_plan

pytestmark = pytest.mark.django_db


def _english(user, as_user):
    user.language = "en"
    user.save(update_fields=["language"])
    return as_user(user)


def test_audit_log_shows_actions_objects_and_plan_items_in_words_not_codes(
    vendor_a, manager, quality_user, auditor, as_user
):
    contract = ContractFactory(vendor=vendor_a, owner=manager)
    make_plan(
        contract,
        quality_user,
        characteristics=[{"name": "Greeting", "kind": "attribute", "severity": "minor"}],
    )
    body = _english(auditor, as_user).get("/audit/").content.decode()
    assert "quality.plan.created" not in body
    assert not re.search(r"quality\.\w+ #\d+", body)
    assert "Quality plan · " in body
    assert not re.search(r"\d\d:\d\d:\d\d", body)  # times to the minute (the one format)
    assert "classes:" not in body and "Defect class:" in body
    assert "kind:" not in body and "lsl:" not in body
    assert "Type: Attribute" in body and "Name: Greeting" in body
    assert re.search(r"<option value=\"quality.qualityplan\" *>Quality plan</option>", body)
