"""One optimistic-locking helper and one acting-user type for every service."""

from __future__ import annotations

import pytest
from django.utils import translation

from waibao.core import actors, locking
from waibao.core.errors import ConflictError
from waibao.vendors.models import Vendor

pytestmark = pytest.mark.django_db


def test_bump_version_writes_and_increments(vendor_a):
    loaded = vendor_a.version
    locking.bump_version(vendor_a, loaded, name="新名称有限公司")
    assert vendor_a.version == loaded + 1
    assert Vendor.objects.get(pk=vendor_a.pk).name == "新名称有限公司"


def test_a_stale_version_is_refused_and_nothing_written(vendor_a):
    loaded = vendor_a.version
    Vendor.objects.filter(pk=vendor_a.pk).update(version=loaded + 1)
    with pytest.raises(ConflictError) as caught:
        locking.bump_version(vendor_a, loaded, name="不应写入")
    assert caught.value.status == 409
    assert "供应商" in caught.value.message
    assert Vendor.objects.get(pk=vendor_a.pk).name != "不应写入"
    with translation.override("en"), pytest.raises(ConflictError) as caught:
        locking.check_version(vendor_a, "x")
    assert "someone else" in caught.value.message


def test_check_version(vendor_a):
    locking.check_version(vendor_a, None)
    locking.check_version(vendor_a, str(vendor_a.version))
    with pytest.raises(ConflictError):
        locking.check_version(vendor_a, vendor_a.version + 1)


def test_actors(manager):
    assert actors.user_of(manager) == manager
    assert actors.user_of(actors.SYSTEM) is None
    assert actors.user_of(None) is None
    assert actors.name_of(actors.CLI) == "cli"
    assert actors.name_of(manager) == manager.get_username()
