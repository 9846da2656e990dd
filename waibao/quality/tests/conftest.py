import pytest

from waibao.quality.tests.factories import ContractFactory, make_plan


@pytest.fixture
def contract_a(vendor_a, manager):
    return ContractFactory(vendor=vendor_a, owner=manager)


@pytest.fixture
def contract_b(vendor_b, manager):
    return ContractFactory(vendor=vendor_b, owner=manager)


@pytest.fixture
def plan_a(contract_a, quality_user):
    return make_plan(contract_a, quality_user)
