"""The vendor's country is picked from a list of names and shown as a name in the reader's language, never as the
ISO code the database keeps (CN, IN)."""

import pytest

from waibao.vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def test_vendor_page_names_a_foreign_vendors_country_in_the_readers_language(as_user, manager):
    vendor = VendorFactory(country="IN", credit_code="", registration_number="U72200KA2001PTC029999")
    client = as_user(manager)
    html = client.get(f"/vendors/{vendor.pk}/").content.decode()
    assert "印度" in html and ">IN " not in html
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    assert "India" in client.get(f"/vendors/{vendor.pk}/").content.decode()


def test_vendor_form_offers_countries_by_name_with_china_first(as_user, manager):
    html = as_user(manager).get("/vendors/new/").content.decode()
    assert '<select name="country"' in html
    first = html.index('<select name="country"')
    assert html.index('value="CN"', first) < html.index('value="IN"', first)
    assert ">中国<" in html and ">印度<" in html
