from datetime import date

import pytest
import time_machine


@pytest.fixture
def approvers(manager, finance_user, admin_user):
    return {"manager": manager, "finance": finance_user, "admin": admin_user}


@pytest.fixture
def in_2026():
    """Today is 15 June 2026 (the clock keeps ticking): for tests written about particular 2026 dates
    (amendments effective in July 2026, milestones due in 2026, reminders for a term ending 2026-12-31), so
    that they mean the same whatever year they run in."""
    with time_machine.travel(date(2026, 6, 15), tick=True) as traveller:
        yield traveller
