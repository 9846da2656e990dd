"""The one scoping primitive: vendor users see their own vendor's rows, 404 for others', 403 for a write the
role may not do, ids too large for the database are simply not found."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from waibao.core import access
from waibao.vendors.models import Vendor, VendorContact

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(monkeypatch):
    monkeypatch.setitem(access._RULES, Vendor, access.Rule(vendor="pk", code="code"))
    monkeypatch.setitem(
        access._RULES,
        VendorContact,
        access.Rule(
            vendor="vendor_id",
            related=("vendor",),
            vendor_filter=lambda qs, user: qs.exclude(name="内部"),
        ),
    )


def test_vendor_user_sees_only_its_own(rules, vendor_a, vendor_b, vendor_user_a, manager, auditor):
    assert list(access.visible(Vendor, vendor_user_a)) == [vendor_a]
    assert set(access.visible(Vendor, manager)) == {vendor_a, vendor_b}
    assert access.get(Vendor, vendor_user_a, vendor_a.pk) == vendor_a
    assert access.get(Vendor, vendor_user_a, vendor_a.code) == vendor_a
    with pytest.raises(Http404):
        access.get(Vendor, vendor_user_a, vendor_b.pk)
    with pytest.raises(Http404):
        access.get(Vendor, vendor_user_a, vendor_b.code)
    assert access.get(Vendor, auditor, vendor_b.pk) == vendor_b
    with pytest.raises(PermissionDenied):
        access.get(Vendor, auditor, vendor_b.pk, write=True, action="vendors.write")
    assert access.get(Vendor, manager, vendor_b.pk, write=True, action="vendors.write") == vendor_b


def test_bad_keys_are_not_found(rules, vendor_a, manager):
    for key in ("9223372036854775808", "99999999999999999999999", "-1", "0", "1.5", "١٢", "", "x" * 500):
        with pytest.raises(Http404):
            access.get(Vendor, manager, key)


def test_anonymous_sees_nothing(rules, vendor_a):
    from django.contrib.auth.models import AnonymousUser

    assert not access.visible(Vendor, AnonymousUser()).exists()
    with pytest.raises(Http404):
        access.get(Vendor, AnonymousUser(), vendor_a.pk)


def test_vendor_filter_and_within(rules, vendor_a, vendor_b, vendor_user_a, manager):
    mine = VendorContact.objects.create(vendor=vendor_a, name="张三")
    internal = VendorContact.objects.create(vendor=vendor_a, name="内部")
    other = VendorContact.objects.create(vendor=vendor_b, name="李四")
    assert set(access.visible(VendorContact, vendor_user_a)) == {mine}
    assert set(access.visible(VendorContact, manager)) == {mine, internal, other}
    with pytest.raises(Http404):
        access.get(VendorContact, vendor_user_a, internal.pk)
    with pytest.raises(Http404):
        access.get(VendorContact, manager, other.pk, within={"vendor": vendor_a})
    assert access.get(VendorContact, manager, mine.pk, within={"vendor": vendor_a}) == mine


def test_history_is_for_buyers_unless_declared(rules, vendor_a, vendor_user_a, manager, monkeypatch):
    assert access.may_see_history(manager, Vendor)
    assert not access.may_see_history(vendor_user_a, Vendor)
    assert list(access.history(vendor_user_a, vendor_a)) == []
    monkeypatch.setitem(access._RULES, Vendor, access.Rule(vendor="pk", history="all"))
    assert access.may_see_history(vendor_user_a, Vendor)


def test_a_model_without_a_rule_is_an_error(manager):
    from waibao.core.models import AuditEvent

    with pytest.raises(LookupError, match="access rule"):
        access.visible(AuditEvent, manager)


def test_conflicting_rules_are_refused(rules):
    with pytest.raises(ValueError):
        access.register({Vendor: access.Rule(vendor="id")})
