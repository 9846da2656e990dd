"""The vendor list's certificate summary is true: an expired certificate is counted as expired, and the
date beside it is the next expiry of the *valid* ones, said so — not a bare "next expiry 2046"."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from waibao.vendors import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_certificates(vendor_a, manager):
    services.add_certificate(
        vendor=vendor_a, actor=manager, type="iso9001", number="OLD", valid_until=date(2020, 1, 31)
    )
    services.add_certificate(
        vendor=vendor_a, actor=manager, type="iso27001", number="NEW", valid_until=date(2046, 6, 30)
    )
    return vendor_a


def test_vendor_list_labels_the_date_as_the_valid_certificates_next_expiry(
    mixed_certificates, manager, as_user
):
    manager.language = "en"
    manager.save(update_fields=["language"])
    page = as_user(manager).get(f"/vendors/?q={mixed_certificates.code}").content.decode()
    assert "1 expired" in page
    assert "Valid certificates: next expiry 2046-06-30" in page


def test_vendor_export_has_the_expired_count_beside_the_next_valid_expiry(
    mixed_certificates, auditor, as_user
):
    auditor.language = "zh-hans"
    auditor.save(update_fields=["language"])
    r = as_user(auditor).get(f"/vendors/export.xlsx?q={mixed_certificates.code}")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    expired = row.get("已过期证书", row.get("Expired certificates"))
    valid = row.get("有效证书下次到期", row.get("Valid certificates: next expiry"))
    assert expired == 1 and str(valid)[:10] == "2046-06-30"
