"""English says a list by its plural and one object by its singular: breadcrumbs, menus and card titles
that head lists ("Contracts", "Vendor users", "Versions"), audit subjects for one object
("Nonconformance · Opened"). Chinese has no plural and stays as it was."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation

from waibao.core.templatetags.waibao import audit_verb

pytestmark = pytest.mark.django_db

#: Models whose English name was plural in the audit log ("Certificates · Uploaded").
SINGULAR = {
    "accounts.invitation": "User invitation",
    "vendors.tag": "Tag",
    "vendors.vendorcontact": "Contact",
    "vendors.certificate": "Certificate",
    "vendors.vendordocument": "Document",
    "notifications.notification": "Notification",
    "contracts.clause": "Contract clause",
    "contracts.paymentmilestone": "Payment milestone",
    "contracts.slametric": "SLA metric",
    "delivery.servicerecord": "Service record",
    "delivery.recorddispute": "Record dispute",
    "delivery.monthlyaggregate": "Monthly aggregate",
    "quality.deliverable": "Deliverable",
    "quality.nonconformance": "Nonconformance",
    "quality.complaint": "Complaint",
}


def _english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


@pytest.mark.parametrize(("object_type", "name"), SINGULAR.items())
def test_audit_subject_names_one_object_in_the_singular_in_english(object_type, name):
    event = SimpleNamespace(object_type=object_type, verb=f"{object_type}.created")
    with translation.override("en"):
        assert audit_verb(event).split(" · ")[0] == name
    with translation.override("zh-hans"):
        assert "·" in audit_verb(event) and not audit_verb(event).isascii()


def test_ncr_page_in_english_lists_nonconformances_and_names_this_one_in_the_singular(
    client, quality_user, vendor_a, manager
):
    from waibao.quality import services
    from waibao.quality.tests.factories import ContractFactory

    contract = ContractFactory(vendor=vendor_a, owner=manager)
    ncr = services.open_nonconformance(
        contract=contract, actor=quality_user, source="audit", severity="minor", title="Missing reply"
    )
    html = _english(client, quality_user).get(f"/quality/ncrs/{ncr.code}/").content.decode()
    assert ">Nonconformances</a></li>" in html  # the breadcrumb: the list
    assert "Nonconformance · " in html and "Nonconformances · " not in html  # the history: this one
    assert 'class="h5">Evidence files</h2>' in html
    html = client.get("/quality/inspections/").content.decode()
    assert '<h1 class="h3 mb-0">Inspections</h1>' in html


def test_contract_page_in_english_says_contracts_versions_files_and_price_adjustments(
    client, manager, vendor_a
):
    from waibao.quality.tests.factories import ContractFactory

    contract = ContractFactory(vendor=vendor_a, owner=manager)
    html = _english(client, manager).get(f"/contracts/{contract.code}/").content.decode()
    assert ">Contracts</a></li>" in html and ">Contract</a></li>" not in html
    for heading in ("Versions", "Files", "Price adjustments"):
        assert f'class="h5">{heading}</h2>' in html, heading
        assert f">{heading}</a></li>" in html, heading  # the section tab


def test_vendor_page_in_english_heads_its_lists_in_the_plural(client, manager, vendor_a):
    html = _english(client, manager).get(f"/vendors/{vendor_a.pk}/").content.decode()
    assert 'class="h5">Vendor users</h2>' in html and 'class="h5">Contracts</h2>' in html
    assert 'class="h5">Vendor user</h2>' not in html and 'class="h5">Contract</h2>' not in html


def test_chinese_breadcrumbs_and_headings_are_unchanged(as_user, manager, vendor_a):
    from waibao.quality.tests.factories import ContractFactory

    contract = ContractFactory(vendor=vendor_a, owner=manager)
    c = as_user(manager)
    html = c.get(f"/contracts/{contract.code}/").content.decode()
    assert ">合同</a></li>" in html and 'class="h5">版本</h2>' in html
    html = c.get(f"/vendors/{vendor_a.pk}/").content.decode()
    assert 'class="h5">供应商用户</h2>' in html and 'class="h5">合同</h2>' in html
