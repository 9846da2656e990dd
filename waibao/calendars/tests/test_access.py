"""Every calendar page and endpoint, with the personas. Calendars are shared reference data (no vendor's):
every signed-in user reads them, buyers who may change them change them (the rules:
`waibao/core/tests/access_kit.py`)."""

from __future__ import annotations

import pytest

from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import access_world_built, buyer, lst, shared, world  # noqa: F401

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

#: "calendars.write": admin, manager
WRITERS_ONLY = ("quality", "finance", "auditor")


def calendar(o):
    return {"pk": o["custom_calendar"].pk}


def calendar_id(o):
    return {"calendar_id": o["custom_calendar"].pk}


HTML = {
    "calendars:list": lst(),
    "calendars:create": buyer("calendars are kept by buyers", deny=WRITERS_ONLY),
    "calendars:detail": shared(calendar, "a calendar every contract may use"),
    "calendars:edit": buyer("calendars are kept by buyers", calendar, deny=WRITERS_ONLY),
    "calendars:delete": buyer("calendars are kept by buyers", calendar, deny=WRITERS_ONLY, methods=("POST",)),
}

API = {
    "GET calendars/": lst(),
    "POST calendars/": buyer("calendars are kept by buyers"),
    "GET calendars/{calendar_id}": shared(calendar_id, "a calendar every contract may use"),
    "PUT calendars/{calendar_id}": buyer("calendars are kept by buyers", calendar_id),
    "DELETE calendars/{calendar_id}": buyer("calendars are kept by buyers", calendar_id),
    "POST calendars/{calendar_id}/business-time": shared(
        calendar_id, "business time by a shared calendar: a calculation", methods=("POST",)
    ),
    "POST calendars/{calendar_id}/due": shared(
        calendar_id, "a deadline by a shared calendar: a calculation", methods=("POST",)
    ),
}


class TestCalendarAccess(kit.AccessTests):
    namespaces = ("calendars",)
    tags = ("calendars",)
    html = HTML
    api = API
