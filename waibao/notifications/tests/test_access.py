"""Notifications with the personas: each user reads and marks its own; another's is a 404; the list keeps
its query count (the rules: `waibao/core/tests/access_kit.py`)."""

from __future__ import annotations

import pytest

from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import access_world_built, lst, obj, own, world  # noqa: F401

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

HTML = {
    "notifications:list": lst(),
    "notifications:read-all": own("marks the asking user's own notifications", methods=("POST",)),
    "notifications:read": obj(lambda o: {"pk": o["notification"].pk}, methods=("POST",)),
}

API = {
    "GET notifications/": lst(),
    "POST notifications/{notification_id}/read": obj(lambda o: {"notification_id": o["notification"].pk}),
    "POST notifications/read-all": own("marks the asking user's own notifications", methods=("POST",)),
}


class TestNotificationAccess(kit.AccessTests):
    namespaces = ("notifications",)
    tags = ("notifications",)
    html = HTML
    api = API
