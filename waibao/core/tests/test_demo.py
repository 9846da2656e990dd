"""`waibao demo` — what `make run` loads — works on an empty database and is safe to run again."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.label.startswith(("accounts.", "vendors.", "contracts.", "delivery.", "quality."))}


def test_demo_loads_every_module_and_a_second_run_changes_nothing(settings):
    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    for username in ("admin", "manager", "quality", "finance", "auditor", "vendor_a", "vendor_b"):
        assert username in text  # the logins are printed
    first = row_counts()
    assert first["vendors.Vendor"] == 30
    assert first["accounts.User"] == 7
    assert first["contracts.Contract"] >= 4
    assert first["delivery.ServiceRecord"] > 1000
    assert first["quality.Inspection"] > 0
    call_command("demo", stdout=io.StringIO())
    assert row_counts() == first
