"""The what-if endpoints: GB/T 2828.1 worked examples, switching sequences and SPC on hand-made series."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client, quality_user):
    return api_client(quality_user)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Z1.4 = ISO 2859-1 Table 2-A textbook example: N=1000, level II, AQL 1.5 → J, n=80, Ac 3 Re 4.
        ("lot_size=1000&level=II&aql=1.5&stage=normal", ("J", "J", 80, 3, 4, False)),
        # Montgomery: N=2000, level II, AQL 0.65 → K; normal 125 (2/3), tightened 125 (1/2), reduced 50 (1/2).
        ("lot_size=2000&level=II&aql=0.65&stage=normal", ("K", "K", 125, 2, 3, False)),
        ("lot_size=2000&level=II&aql=0.65&stage=tightened", ("K", "K", 125, 1, 2, False)),
        ("lot_size=2000&level=II&aql=0.65&stage=reduced", ("K", "K", 50, 1, 2, False)),
        # An arrow: J at AQL 0.10 points down to the first plan below it (K, n=125, Ac 0).
        ("lot_size=1000&level=II&aql=0.10&stage=normal", ("J", "K", 125, 0, 1, False)),
        # Sample size reaching the lot size means 100 % inspection.
        ("lot_size=10&level=II&aql=0.65&stage=normal", ("B", "F", 10, 0, 1, True)),
        # Code letter boundaries of Table 1 on both sides (level II: 500 → H, 501 → J).
        ("lot_size=500&level=II&aql=1.0&stage=normal", ("H", "H", 50, 1, 2, False)),
        ("lot_size=501&level=II&aql=1.0&stage=normal", ("J", "J", 80, 2, 3, False)),
    ],
)
def test_sampling_plan_endpoint_follows_the_standards_worked_examples(api, query, expected):
    response = api.get(f"/api/v1/quality/sampling-plan?{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    got = (
        body["code_letter"],
        body["plan_code_letter"],
        body["sample_size"],
        body["accept"],
        body["reject"],
        body["inspect_all"],
    )
    assert got == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lot_size=1&level=II&aql=1.5", "lot_size"),
        ("lot_size=100&level=IV&aql=1.5", "level"),
        ("lot_size=100&level=II&aql=1.2", "aql"),
        ("lot_size=100&level=II&aql=1.5&stage=strict", "stage"),
    ],
)
def test_sampling_plan_names_the_bad_field(api, query, field):
    response = api.get(f"/api/v1/quality/sampling-plan?{query}")
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_sampling_plan_requires_authentication(client):
    assert client.get("/api/v1/quality/sampling-plan?lot_size=1000&level=II&aql=1.5").status_code == 401


def test_switching_simulation_tightens_after_two_rejections_and_returns_after_five_acceptances(api):
    lots = [{"nonconforming": 0}, {"nonconforming": 4}, {"nonconforming": 5}] + [{"accepted": True}] * 5
    response = api.post(
        "/api/v1/quality/switching/simulate",
        {
            "start_stage": "normal",
            "code_letter": "J",
            "aql": "1.5",
            "steady_production": True,
            "reduced_approved": False,
            "lots": lots,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    stages = [r["stage_after"] for r in response.json()]
    assert stages == [
        "normal",
        "normal",
        "tightened",
        "tightened",
        "tightened",
        "tightened",
        "tightened",
        "normal",
    ]
    assert response.json()[2]["reason"].startswith("normal_to_tightened")
    assert response.json()[0]["switching_score"] == 3  # Ac 3 ≥ 2 and 0 ≤ Ac at AQL 1.0 (2): +3


def test_switching_simulation_reaches_reduced_at_score_30_only_when_approved(api):
    payload = {
        "start_stage": "normal",
        "code_letter": "J",
        "aql": "1.5",
        "steady_production": True,
        "lots": [{"nonconforming": 0}] * 10,
    }
    not_approved = api.post(
        "/api/v1/quality/switching/simulate",
        {**payload, "reduced_approved": False},
        content_type="application/json",
    ).json()
    approved = api.post(
        "/api/v1/quality/switching/simulate",
        {**payload, "reduced_approved": True},
        content_type="application/json",
    ).json()
    assert not_approved[-1]["stage_after"] == "normal" and not_approved[-1]["switching_score"] == 30
    assert approved[-1]["stage_after"] == "reduced"


def test_switching_simulation_discontinues_after_five_rejections_on_tightened(api):
    response = api.post(
        "/api/v1/quality/switching/simulate",
        {
            "start_stage": "tightened",
            "code_letter": "J",
            "aql": "1.5",
            "steady_production": True,
            "reduced_approved": False,
            "lots": [{"accepted": False}] * 5,
        },
        content_type="application/json",
    )
    assert response.json()[-1]["reason"].startswith("discontinued")


def test_switching_simulation_rejects_a_lot_without_a_result(api):
    response = api.post(
        "/api/v1/quality/switching/simulate",
        {"start_stage": "normal", "code_letter": "J", "aql": "1.5", "lots": [{"nonconforming": 0}, {}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "lots.1" in response.json()["fields"]


def test_spc_endpoint_flags_a_point_beyond_three_sigma_with_given_limits(api):
    response = api.post(
        "/api/v1/quality/spc/signals",
        {"values": [0, 1, -1, 0, 3.5, 0], "center": 0, "sigma": 1, "ruleset": "nelson"},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 200
    assert body["signals"]["1"] == [4]
    assert set(body["signals"]) == {str(i) for i in range(1, 9)}


def test_spc_endpoint_estimates_centre_and_sigma_from_the_moving_range(api):
    response = api.post(
        "/api/v1/quality/spc/signals",
        {"values": [1, 3, 1, 3], "center": None, "sigma": None},
        content_type="application/json",
    )
    body = response.json()
    assert body["center"] == pytest.approx(2.0)
    assert body["sigma"] == pytest.approx(2 / 1.128)


def test_spc_endpoint_run_of_nine_on_one_side_fires_at_the_ninth_and_again_at_the_tenth(api):
    values = [1] * 10 + [-1] * 5
    body = api.post(
        "/api/v1/quality/spc/signals",
        {"values": values, "center": 0, "sigma": 1},
        content_type="application/json",
    ).json()
    assert body["signals"]["2"] == [8, 9]


def test_spc_endpoint_western_electric_has_four_rules_and_a_point_on_the_centre_breaks_the_run(api):
    values = [1] * 7 + [0] + [1] * 7
    body = api.post(
        "/api/v1/quality/spc/signals",
        {"values": values, "center": 0, "sigma": 1, "ruleset": "western_electric"},
        content_type="application/json",
    ).json()
    assert set(body["signals"]) == {"1", "2", "3", "4"}
    assert body["signals"]["4"] == []


def test_spc_endpoint_rejects_an_unknown_ruleset(api):
    response = api.post(
        "/api/v1/quality/spc/signals",
        {"values": [1, 2, 3], "ruleset": "mine"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "ruleset" in response.json()["fields"]
