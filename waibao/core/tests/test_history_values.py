"""History and audit values are shown in the reader's language: choice labels, yes/no, dates in the one
format, every verb in words — never a stored code such as ``onboarding``, ``True`` or ``step_filled``."""

import re

import pytest
from django.utils import translation

from waibao.core import audit
from waibao.core.models import AuditEvent
from waibao.core.templatetags.waibao import ACTION_LABELS, audit_changes, audit_verb
from waibao.vendors import services

pytestmark = pytest.mark.django_db


def _english(user, as_user):
    user.language = "en"
    user.save(update_fields=["language"])
    return as_user(user)


def _history(html):
    return html[html.index('class="timeline') :]


def test_vendor_history_shows_status_labels_and_yes_no_in_english(vendor_a, manager, as_user):
    services.change_vendor_status(vendor=vendor_a, actor=manager, to="suspended", reason="资料过期")
    services.add_contact(vendor=vendor_a, actor=manager, name="王五", phone="13800000000", is_primary=True)
    page = _history(_english(manager, as_user).get(f"/vendors/{vendor_a.pk}/").content.decode())
    assert "Suspended" in page and "Yes" in page
    assert not re.search(r">\s*(suspended|active|True|False)\s*<", page)
    assert "suspended</" not in page and "True" not in page


def test_history_values_in_chinese_use_labels_too(vendor_a, manager):
    services.change_vendor_status(vendor=vendor_a, actor=manager, to="suspended", reason="资料过期")
    event = AuditEvent.objects.filter(verb="vendors.vendor.status_changed").get()
    with translation.override("zh-hans"):
        (label, old, new), *_ = audit_changes(event)
        assert (str(label), str(old), str(new)) == ("状态", "合作中", "暂停")


def test_dates_in_history_use_the_one_display_format(vendor_a, manager):
    services.add_certificate(
        vendor=vendor_a, actor=manager, type="iso9001", number="Q-1", valid_until="2027-03-31"
    )
    event = AuditEvent.objects.filter(verb="vendors.certificate.created").get()
    shown = {str(label): new for label, _old, new in audit_changes(event)}
    assert "2027-03-31" in shown.values()


def test_every_audit_verb_the_code_records_has_words(settings):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    verbs = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        verbs |= set(
            re.findall(r'audit\.record\(\s*[^,]+,\s*f?"([a-z_]+\.[a-z_]+\.[a-z_]+)"', path.read_text())
        )
    assert len(verbs) > 50
    missing = sorted(v for v in verbs if v.rsplit(".", 1)[-1] not in ACTION_LABELS)
    assert missing == [], missing


def test_an_unknown_verb_is_not_shown_as_a_code(vendor_a):
    event = audit.record("system", "vendors.vendor.something_new", vendor_a)
    assert "something" not in audit_verb(event)
