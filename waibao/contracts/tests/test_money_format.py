"""One money format (currency code, thousands separators, two decimals) and one date format on every page."""

from datetime import date
from decimal import Decimal

import pytest

from waibao.contracts import services
from waibao.contracts.tests.factories import draft_contract

pytestmark = pytest.mark.django_db


def _english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_a_fee_of_12345_reads_cny_12_345_00_on_the_contract_page_and_list_in_both_languages(
    as_user, manager, vendor_a
):
    c = draft_contract(manager, vendor_a, monthly_fee=Decimal("12345"), total_value=Decimal("148140"))
    for client in (as_user(manager), as_user(_english(manager))):
        page = client.get(f"/contracts/{c.code}/").content.decode()
        assert "CNY 12,345.00" in page and "CNY 148,140.00" in page
        assert "CNY 12,345.00" in client.get("/contracts/").content.decode()


def test_milestone_amounts_and_dates_use_the_one_format(as_user, manager, vendor_a):
    c = draft_contract(manager, vendor_a, monthly_fee=Decimal("12345"))
    services.add_milestone(
        contract=c,
        actor=manager,
        name="首付款",
        amount=Decimal("2500.5"),
        trigger="date",
        due_date=date(2026, 3, 31),
    )
    page = as_user(manager).get(f"/contracts/{c.code}/").content.decode()
    assert "CNY 2,500.50" in page and "2026-03-31" in page


def test_an_open_ended_contract_says_so_instead_of_a_date(as_user, manager, vendor_a):
    c = draft_contract(
        manager, vendor_a, start_date=date(2026, 1, 1), end_date=None, renewal_type="evergreen"
    )
    page = as_user(_english(manager)).get(f"/contracts/{c.code}/").content.decode()
    assert "2026-01-01 — Evergreen" in page


def test_a_milestone_reminder_states_the_amount_in_the_one_format_in_the_readers_language(
    as_user, manager, finance_user, vendor_a, approvers
):
    from waibao.contracts.reminders import send_reminders
    from waibao.contracts.tests.factories import active_contract
    from waibao.core import clock

    c = active_contract(manager, vendor_a, approvers, metric=False)
    services.add_milestone(
        contract=c, actor=manager, name="首付款", amount=Decimal("2500.5"), due_date=clock.today()
    )
    send_reminders(today=clock.today())
    page = as_user(_english(finance_user)).get("/notifications/").content.decode()
    assert "amount CNY 2,500.50." in page
