"""Approval levels read in the reader's language: the built-in levels by their label, a level an
administrator named as named."""

import pytest

from waibao.contracts import services
from waibao.contracts.models import ApprovalStep
from waibao.contracts.tests.factories import draft_contract, with_required_clauses

pytestmark = pytest.mark.django_db


def _english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def _submitted(manager, vendor):
    return services.submit_for_approval(
        contract=with_required_clauses(draft_contract(manager, vendor), manager), actor=manager
    )


def test_built_in_approval_levels_read_in_english_for_an_english_reader(as_user, manager, vendor_a):
    c = _submitted(manager, vendor_a)
    assert ApprovalStep.objects.filter(contract=c, level_key="manager").exists()
    page = as_user(_english(manager)).get(f"/contracts/{c.code}/").content.decode()
    assert "Outsourcing manager" in page and "Finance" in page and "System administrator" in page
    assert "外包经理" not in page and "系统管理员" not in page
    home = as_user(manager).get("/").content.decode()
    assert "Outsourcing manager" in home and "外包经理" not in home
    chinese = as_user(_chinese(manager)).get(f"/contracts/{c.code}/").content.decode()
    assert "外包经理" in chinese and "Outsourcing manager" not in chinese


def _chinese(user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    return user


def test_the_approval_request_notification_names_the_level_in_the_readers_language(
    as_user, manager, vendor_a
):
    _submitted(manager, vendor_a)
    page = as_user(_english(manager)).get("/notifications/").content.decode()
    assert "(Outsourcing manager)" in page and "外包经理" not in page


def test_the_api_names_built_in_levels_in_the_callers_language(as_user, manager, vendor_a):
    c = _submitted(manager, vendor_a)
    steps = as_user(_english(manager)).get(f"/api/v1/contracts/{c.code}/approvals").json()
    names = [s["level_name"] for s in steps]
    assert names[:3] == ["Outsourcing manager", "Finance", "System administrator"]


def test_a_level_an_administrator_named_stays_as_named(as_user, admin_user, manager, vendor_a):
    services.set_approval_chain(
        actor=admin_user, levels=[("manager", "部门经理复核"), ("admin", "系统管理员")]
    )
    c = _submitted(manager, vendor_a)
    steps = list(ApprovalStep.objects.filter(contract=c).order_by("position"))
    assert [(s.level_name, s.level_key) for s in steps] == [("部门经理复核", ""), ("系统管理员", "admin")]
    page = as_user(_english(manager)).get(f"/contracts/{c.code}/").content.decode()
    assert "部门经理复核" in page and "System administrator" in page


def test_the_settings_page_shows_built_in_level_names_in_english_and_saving_keeps_them_built_in(
    as_user, admin_user, manager, vendor_a
):
    client = as_user(_english(admin_user))
    page = client.get("/contracts/settings/").content.decode()
    assert "manager,Outsourcing manager" in page and "外包经理" not in page
    services.set_approval_chain(actor=admin_user, levels=[("manager", "Outsourcing manager")])
    c = _submitted(manager, vendor_a)
    step = ApprovalStep.objects.get(contract=c)
    assert step.level_key == "manager"
    assert "外包经理" in as_user(manager).get(f"/contracts/{c.code}/").content.decode()
