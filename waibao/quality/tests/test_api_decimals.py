"""Decimals in quality answers are plain JSON numbers (a target of 90 was answered as "9E+1")."""

import pytest

from waibao.quality.tests.factories import make_sla_result

pytestmark = pytest.mark.django_db


def test_sla_breach_target_is_answered_as_a_plain_number(contract_a, api_client, quality_user):
    make_sla_result(contract_a, period="2026-02", target="90", closed=True)
    r = api_client(quality_user).get("/api/v1/quality/sla-breaches")
    assert '"target": 90' in r.content.decode()
    assert r.json()["items"][0]["target"] == 90
