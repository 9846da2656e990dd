"""Measured characteristics: a value outside the specification limits is a nonconforming item."""

import pytest

from waibao.quality import services
from waibao.quality.models import Measurement
from waibao.quality.tests.factories import make_plan

pytestmark = pytest.mark.django_db

CHARS = [
    {"name": "字段完整"},
    {"name": "处理时长", "kind": "variable", "usl": 30, "unit": "分钟", "severity": "minor"},
    {"name": "金额偏差", "kind": "variable", "lsl": -1, "usl": 1, "severity": "major"},
]


@pytest.fixture
def lot(contract_a, quality_user):
    # N=500, level II → H (n=50); major AQL 1.5 Ac=2, minor AQL 4.0 Ac=5.
    plan = make_plan(contract_a, quality_user, characteristics=CHARS)
    return services.start_inspection(plan=plan, actor=quality_user, lot_ref="M1", lot_size=500, seed=11)


def test_out_of_limit_values_count_for_the_characteristics_class(lot, quality_user):
    services.record_measurements(
        inspection=lot,
        actor=quality_user,
        measurements=[
            (1, "金额偏差", "1.5"),
            (2, "金额偏差", -2),
            (3, "金额偏差", 3),
            (4, "金额偏差", 0.2),
            (5, "处理时长", 31),
            (6, "处理时长", "30"),
        ],
    )
    rows = {(m.item.position, m.characteristic): m for m in Measurement.objects.select_related("item")}
    assert rows[(4, "金额偏差")].conforming and rows[(6, "处理时长")].conforming  # limits are inclusive
    assert not rows[(1, "金额偏差")].conforming and rows[(1, "金额偏差")].usl == 1
    # An item with a manual finding and an out-of-limit value in the same class counts once.
    services.record_findings(inspection=lot, actor=quality_user, findings=[(1, "major", "缺字段")])
    done = services.complete_inspection(inspection=lot, actor=quality_user)
    major = done.class_results.get(severity="major")
    minor = done.class_results.get(severity="minor")
    assert (major.nonconforming, major.accepted) == (3, False)  # items 1, 2, 3 > Ac 2
    assert (minor.nonconforming, minor.accepted) == (1, True)
    assert done.accepted is False and done.nonconformances.count() == 1


def test_bad_measurements_are_refused_whole(lot, quality_user):
    with pytest.raises(services.DomainError) as exc:
        services.record_measurements(
            inspection=lot,
            actor=quality_user,
            measurements=[
                (1, "金额偏差", "0.1"),
                (2, "字段完整", 1),
                (999, "金额偏差", 1),
                (3, "处理时长", "abc"),
            ],
        )
    assert "measurements" in exc.value.fields
    assert not Measurement.objects.exists()


def test_a_blank_value_removes_a_measurement(lot, quality_user):
    services.record_measurements(inspection=lot, actor=quality_user, measurements=[(1, "金额偏差", 5)])
    services.record_measurements(inspection=lot, actor=quality_user, measurements=[(1, "金额偏差", "")])
    assert not Measurement.objects.exists()


def test_page_records_values_and_marks_the_class(lot, as_user, quality_user):
    client = as_user(quality_user)
    url = f"/quality/inspections/{lot.code}/"
    page = client.get(url).content.decode()
    assert "处理时长" in page and 'name="m-1-0"' in page
    # Columns: 0 = 处理时长 (minor), 1 = 金额偏差 (major).
    r = client.post(url, {"m-1-1": "9", "m-2-0": "12", "save": "1"})
    assert r.status_code == 302
    assert Measurement.objects.get(characteristic="金额偏差").conforming is False
    page = client.get(url).content.decode()
    assert "is-invalid" in page and "⚠" in page
    r = client.post(url, {"m-1-1": "", "m-2-0": "12", "complete": "1"})
    lot.refresh_from_db()
    assert lot.status == "completed" and lot.accepted is True
    assert Measurement.objects.count() == 1


def test_api_records_and_returns_measurements(lot, api_client, personas, quality_user):
    url = f"/api/v1/quality/inspections/{lot.code}/measurements"
    body = {"measurements": [{"position": 2, "characteristic": "处理时长", "value": 45}]}
    r = api_client(quality_user).put(url, body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["measurements"] == [
        {
            "position": 2,
            "characteristic": "处理时长",
            "value": 45.0,
            "lsl": None,
            "usl": 30.0,
            "unit": "分钟",
            "severity": "minor",
            "conforming": False,
        }
    ]
    bad = api_client(quality_user).put(
        url,
        {"measurements": [{"position": 2, "characteristic": "颜色", "value": 1}]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "measurements" in bad.json()["fields"]
    for name, status in (("vendor_b", 404), ("vendor_a", 403), ("auditor", 403), ("manager", 403)):
        assert (
            api_client(personas[name]).put(url, body, content_type="application/json").status_code == status
        )


def test_limits_are_kept_on_the_measurement_when_the_plan_changes(lot, quality_user):
    services.record_measurements(inspection=lot, actor=quality_user, measurements=[(1, "处理时长", 40)])
    services.update_plan(
        plan=lot.plan,
        actor=quality_user,
        characteristics=[{"name": "处理时长", "kind": "variable", "usl": 60, "severity": "minor"}],
    )
    m = Measurement.objects.get()
    assert m.usl == 30 and m.conforming is False
