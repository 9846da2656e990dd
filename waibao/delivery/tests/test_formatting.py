"""Numbers shown to people are plain: "90", never "9E+1" or "90.0000"."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.template import Context, Template

from waibao.delivery import services
from waibao.delivery.formatting import plain
from waibao.delivery.tests.factories import P1_RESPONSE, make_contract

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Decimal("90.0000"), None, "90"),
        (Decimal("9E+1"), None, "90"),
        (Decimal("4.5000"), None, "4.5"),
        (Decimal("1E+3"), None, "1000"),
        (Decimal("0E-4"), None, "0"),
        (Decimal("-0.00"), None, "0"),
        (75.0, 2, "75"),
        (87.456, 2, "87.46"),
        (0.125, 2, "0.13"),
        ("95", None, "95"),
        (None, None, ""),
        ("n/a", None, "n/a"),
    ],
)
def test_plain_numbers(value, places, shown):
    assert plain(value, places) == shown


def test_the_template_filter_is_plain():
    t = Template("{% load delivery_tags %}{{ a|plain_number }}|{{ b|plain_number:1 }}")
    assert t.render(Context({"a": Decimal("9E+1"), "b": 3.14159})) == "90|3.1"


def test_the_breach_notification_shows_the_target_plainly(
    vendor_a, manager, tickets, travel, django_capture_on_commit_callbacks
):
    from waibao.notifications.models import Notification

    # Decimal("90.0000").normalize() is Decimal("9E+1"): the target that used to read "目标 9E+1"
    contract = make_contract(vendor_a, owner=manager, metrics=[{**P1_RESPONSE, "target": "90", "tiers": []}])
    with (
        time_machine.travel("2026-10-12 12:00 +08:00", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.import_batch(contract=contract, actor=manager, records=tickets)
    body = Notification.objects.get(user=manager, kind="delivery.sla_warning").body
    assert "目标 90，" in body and "E+" not in body


def test_the_missed_records_page_shows_the_target_plainly(contract, manager, tickets, as_user):
    services.import_batch(contract=contract, actor=manager, records=tickets)
    metric = contract.sla_metrics.get(name="P1 响应及时率")
    html = (
        as_user(manager)
        .get(f"/delivery/contracts/{contract.code}/missed/{metric.pk}/2026-10/")
        .content.decode()
    )
    assert "目标 ≥ 95%）" in html and "95.0000" not in html
