"""One scale per contract's CSAT, checked wherever a value enters (a 4.1 is not a percentage)."""

import io
from decimal import Decimal

import pytest

from waibao.core.errors import DomainError
from waibao.quality import services
from waibao.quality.models import SatisfactionResult

pytestmark = pytest.mark.django_db


def test_a_score_of_4_1_into_a_percentage_csat_is_refused_naming_the_scale(contract_a, quality_user):
    with pytest.raises(DomainError) as err:
        services.record_satisfaction(contract=contract_a, actor=quality_user, period="2026-03", csat="4.1")
    assert "0–100 %" in err.value.fields["csat"]
    assert not SatisfactionResult.objects.exists()


def test_a_score_of_4_1_on_a_one_to_five_scale_is_accepted(contract_a, quality_user):
    services.set_csat_scale(contract=contract_a, actor=quality_user, scale="score5")
    result = services.record_satisfaction(
        contract=contract_a, actor=quality_user, period="2026-03", csat="4.1"
    )
    assert result.csat == Decimal("4.1") and result.csat_scale == "score5"
    with pytest.raises(DomainError) as err:
        services.record_satisfaction(contract=contract_a, actor=quality_user, period="2026-04", csat="82")
    assert "1–5" in err.value.fields["csat"]


def test_a_percentage_is_still_accepted_on_the_percentage_scale(contract_a, quality_user):
    result = services.record_satisfaction(
        contract=contract_a, actor=quality_user, period="2026-03", csat="82.5"
    )
    assert result.csat == Decimal("82.5") and result.csat_scale == "percent"


def test_the_import_refuses_a_score_on_a_percentage_contract_with_the_scale_in_the_message(
    as_user, quality_user, contract_a
):
    csv = f"合同编号,期间,CSAT,样本数\n{contract_a.code},2026-03,4.1,120\n".encode()
    upload = io.BytesIO(csv)
    upload.name = "csat.csv"
    response = as_user(quality_user).post("/quality/satisfaction/", {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200 and "0–100 %" in page and "4.1" in page
    assert not SatisfactionResult.objects.exists()


def test_the_api_takes_the_scale_and_checks_values_against_it(
    api_client, quality_user, vendor_user_b, contract_a
):
    client = api_client(quality_user)
    r = client.post(
        "/api/v1/quality/satisfaction",
        {"contract": contract_a.code, "period": "2026-03", "csat": 4.1},
        content_type="application/json",
    )
    assert r.status_code == 422 and "0–100 %" in r.json()["fields"]["csat"]
    assert (
        api_client(vendor_user_b)
        .put(
            "/api/v1/quality/satisfaction/scale",
            {"contract": contract_a.code, "csat_scale": "score5"},
            content_type="application/json",
        )
        .status_code
        == 404
    )
    r = client.put(
        "/api/v1/quality/satisfaction/scale",
        {"contract": contract_a.code, "csat_scale": "score5"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json() == {"contract": contract_a.code, "csat_scale": "score5"}
    r = client.post(
        "/api/v1/quality/satisfaction",
        {"contract": contract_a.code, "period": "2026-03", "csat": 4.1},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["csat_scale"] == "score5"


def test_the_scale_is_chosen_on_the_satisfaction_page(as_user, quality_user, contract_a):
    client = as_user(quality_user)
    r = client.post("/quality/satisfaction/scale/", {"contract": contract_a.code, "csat_scale": "score10"})
    assert r.status_code == 302 and services.csat_scale_of(contract_a) == "score10"
    assert "0–10 分" in client.get("/quality/satisfaction/").content.decode()
