import pytest


@pytest.fixture
def approvers(manager, finance_user, admin_user):
    return {"manager": manager, "finance": finance_user, "admin": admin_user}
