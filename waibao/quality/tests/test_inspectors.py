"""A plan that names inspectors: only they (and admins) record results and decide its lots."""

import pytest

from waibao.accounts.models import Role
from waibao.quality import services
from waibao.quality.tests.factories import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_inspector(db):
    from conftest import _user

    return _user("quality2", Role.QUALITY)


@pytest.fixture
def assigned(contract_a, quality_user, admin_user, other_inspector):
    plan = make_plan(contract_a, quality_user, inspectors=[other_inspector])
    insp = services.start_inspection(plan=plan, actor=other_inspector, lot_ref="L1", lot_size=500, seed=3)
    return plan, insp


def test_someone_else_gets_403_with_the_names_of_the_inspectors(assigned, quality_user):
    plan, insp = assigned
    for call in (
        lambda: services.record_findings(inspection=insp, actor=quality_user, findings=[(1, "major", "")]),
        lambda: services.complete_inspection(inspection=insp, actor=quality_user),
        lambda: services.start_inspection(plan=plan, actor=quality_user, lot_ref="L2", lot_size=50),
    ):
        with pytest.raises(services.DomainError) as exc:
            call()
        assert exc.value.status == 403 and "Quality2" in exc.value.message


def test_the_assigned_inspector_and_an_admin_may(assigned, other_inspector, admin_user):
    _plan, insp = assigned
    services.record_findings(inspection=insp, actor=other_inspector, findings=[(1, "major", "")])
    done = services.complete_inspection(inspection=insp, actor=admin_user)
    assert done.status == "completed"


def test_api_answers_403_with_a_clear_message(assigned, api_client, quality_user, other_inspector):
    _plan, insp = assigned
    url = f"/api/v1/quality/inspections/{insp.code}"
    r = api_client(quality_user).put(
        f"{url}/findings",
        {"findings": [{"position": 1, "severity": "major"}]},
        content_type="application/json",
    )
    assert r.status_code == 403 and "指定了检验员" in r.json()["message"]
    assert api_client(quality_user).post(f"{url}/complete").status_code == 403
    assert api_client(other_inspector).post(f"{url}/complete").status_code == 200


def test_page_hides_the_form_and_refuses_a_post(assigned, as_user, quality_user, other_inspector):
    _plan, insp = assigned
    url = f"/quality/inspections/{insp.code}/"
    page = as_user(quality_user).get(url).content.decode()
    assert 'id="not-assigned"' in page and 'id="complete-btn"' not in page
    r = as_user(quality_user).post(url, {"f-1-major": "1", "complete": "1"})
    assert r.status_code == 403 and "指定了检验员" in r.content.decode()
    insp.refresh_from_db()
    assert insp.status == "sampled"
    assert 'id="complete-btn"' in as_user(other_inspector).get(url).content.decode()


def test_a_plan_without_inspectors_is_open_to_every_inspecting_role(plan_a, quality_user, admin_user):
    insp = services.start_inspection(plan=plan_a, actor=quality_user, lot_ref="L", lot_size=50)
    assert services.complete_inspection(inspection=insp, actor=admin_user).accepted is True
