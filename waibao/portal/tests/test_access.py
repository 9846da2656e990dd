"""The vendor portal's pages with the personas: a vendor user is taken to its own vendor's pages, a buyer
has no portal (the rules: `waibao/core/tests/access_kit.py`)."""

from __future__ import annotations

import pytest

from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import BUYERS, access_world_built, own, world  # noqa: F401

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

HTML = {
    "portal:profile": own(
        "a vendor user's own vendor page",
        expect={**dict.fromkeys(BUYERS, 404), "vendor_a": 302, "vendor_b": 302},
    ),
}


class TestPortalAccess(kit.AccessTests):
    namespaces = ("portal",)
    html = HTML
