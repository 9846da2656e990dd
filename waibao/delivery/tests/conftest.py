from __future__ import annotations

import pytest
import time_machine

from waibao.delivery.tests.factories import make_contract


@pytest.fixture
def travel():
    with time_machine.travel("2026-11-10 10:00 +08:00", tick=False) as t:
        yield t


@pytest.fixture
def contract(vendor_a, manager, travel):
    return make_contract(vendor_a, owner=manager)


@pytest.fixture
def contract_b(vendor_b, manager, travel):
    return make_contract(vendor_b, code="CT-2026-0002", owner=manager)


TICKETS = [
    # hand-worked, China mainland calendar (09:00-12:00, 13:00-18:00; 2026-10-01..07 holidays)
    {
        "external_id": "T1",
        "kind": "ticket",
        "priority": "P1",
        "opened_at": "2026-10-08 11:50",
        "first_response_at": "2026-10-08 13:25",
        "csat": "5",
    },  # 10+25=35 min: miss
    {
        "external_id": "T2",
        "kind": "ticket",
        "priority": "P1",
        "opened_at": "2026-10-08 11:50",
        "first_response_at": "2026-10-08 13:25",
        "paused": "2026-10-08 13:00/2026-10-08 13:10",
        "csat": "4",
    },  # 25: hit
    {
        "external_id": "T3",
        "kind": "ticket",
        "priority": "P1",
        "opened_at": "2026-10-09T01:00:00Z",
        "first_response_at": "2026-10-09T01:30:00Z",
        "csat": "4",
    },  # 09:00→09:30 +08: exactly 30, hit
    {
        "external_id": "T4",
        "kind": "ticket",
        "priority": "P1",
        "opened_at": "2026-10-09 17:50",
        "first_response_at": "2026-10-10 09:15",
        "csat": "4",
    },  # Sat 10-10 is a make-up workday 调休: 25, hit
    {
        "external_id": "T5",
        "kind": "ticket",
        "priority": "P1",
        "opened_at": "2026-09-30 17:50",
        "first_response_at": "2026-10-08 09:15",
    },  # over National Day: 25, hit (September)
    {
        "external_id": "T6",
        "kind": "ticket",
        "priority": "P2",
        "opened_at": "2026-10-10 10:00",
        "first_response_at": "2026-10-12 10:00",
        "csat": "3",
    },
]


@pytest.fixture
def tickets():
    return [dict(t) for t in TICKETS]
