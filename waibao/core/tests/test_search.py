"""The top bar's search finds vendors, contracts, nonconformances and records — only what the user may see."""

import pytest

from waibao.delivery import services as delivery
from waibao.delivery.tests.factories import make_contract
from waibao.quality import services as quality
from waibao.quality.models import NcrSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(manager, quality_user, vendor_a, vendor_b):
    out = {}
    for tag, vendor, code in (("A", vendor_a, "CT-2026-0101"), ("B", vendor_b, "CT-2026-0102")):
        contract = make_contract(vendor, code=code, owner=manager)
        ncr = quality.open_nonconformance(
            contract=contract, actor=quality_user, source=NcrSource.AUDIT, severity="minor", title=f"共同问题 {tag}"
        )
        record = delivery.save_record(
            contract=contract,
            actor=manager,
            values={"external_id": f"CASE-77{tag}", "kind": "ticket", "opened_at": "2026-10-08 10:00"},
        )
        shared = delivery.save_record(
            contract=contract,
            actor=manager,
            values={"external_id": "SHARED-1", "kind": "ticket", "opened_at": "2026-10-08 11:00"},
        )
        out[tag] = {"contract": contract, "ncr": ncr, "record": record, "shared": shared, "vendor": vendor}
    return out


def _get(client, q):
    r = client.get("/search/", {"q": q})
    assert r.status_code == 200
    return r.content.decode()


def test_buyer_finds_each_kind_grouped_with_links(as_user, manager, world):
    client = as_user(manager)
    a = world["A"]
    page = _get(client, a["contract"].code)
    assert 'id="search-contracts"' in page and f'/contracts/{a["contract"].code}/' in page
    page = _get(client, a["ncr"].code)
    assert 'id="search-ncrs"' in page and f'/quality/ncrs/{a["ncr"].code}/' in page
    page = _get(client, "CASE-77A")
    assert 'id="search-records"' in page and f'/delivery/records/{a["record"].pk}/' in page
    page = _get(client, a["vendor"].name[:3])
    assert 'id="search-vendors"' in page and f'/vendors/{a["vendor"].pk}/' in page
    page = _get(client, "CASE-77")  # a record id's beginning finds both vendors' records
    assert "CASE-77A" in page and "CASE-77B" in page


def test_vendor_b_cannot_find_vendor_a_contract_ncr_or_record(as_user, vendor_user_b, world):
    client = as_user(vendor_user_b)
    a, b = world["A"], world["B"]
    for q in (a["contract"].code, a["ncr"].code, "CASE-77A", a["vendor"].name, a["vendor"].code):
        page = _get(client, q)
        assert 'id="search-empty"' in page, q
    page = _get(client, "共同问题")
    assert b["ncr"].code in page and a["ncr"].code not in page
    page = _get(client, "SHARED-1")
    assert f'/delivery/records/{b["shared"].pk}/' in page and f'/delivery/records/{a["shared"].pk}/' not in page
    page = _get(client, "CT-2026-01")
    assert b["contract"].code in page and a["contract"].code not in page


def test_top_bar_has_the_search_box(as_user, manager, vendor_user_a):
    for user in (manager, vendor_user_a):
        page = as_user(user).get("/").content.decode()
        assert 'id="top-search"' in page and 'action="/search/"' in page


def test_empty_query_shows_the_form_only(as_user, manager):
    page = _get(as_user(manager), "   ")
    assert 'id="search-page-form"' in page and 'id="search-empty"' not in page


def test_search_needs_login(client):
    assert client.get("/search/", {"q": "x"}).status_code == 302


def test_search_query_count_is_fixed(as_user, manager, world, django_assert_max_num_queries):
    client = as_user(manager)
    _get(client, "CT-2026")  # warm the per-process caches
    with django_assert_max_num_queries(12):
        _get(client, "CT-2026")


def test_search_and_issue_10_pages_are_english_complete(admin_user, client, vendor_a, vendor_user_a, world):
    from waibao.accounts import services as accounts
    from waibao.core.tests.test_i18n import chinese_left

    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)
    for url in ("/search/?q=zzz-nothing", f"/accounts/vendors/{vendor_a.pk}/users/"):
        r = client.get(url)
        assert r.status_code == 200 and chinese_left(r.content.decode()) - {vendor_a.name} == set(), url
    page = client.get("/search/?q=CT-2026-0101").content.decode()
    data = {world["A"]["vendor"].name, "共同问题", "IT", "运维服务"}
    assert not {t for t in chinese_left(page) if not any(t in d or d in t for d in data)}
    sent = accounts.invite_vendor_user(actor=admin_user, vendor=vendor_a, email="n@example.com", language="en")
    client.logout()
    client.cookies["django_language"] = "en"
    link = accounts.invitation_link(sent.invitation)
    page = client.get(link).content.decode()
    assert not {t for t in chinese_left(page) if t not in vendor_a.name}
    vendor_user_a.language = "en"
    vendor_user_a.save(update_fields=["language"])
    client.force_login(vendor_user_a)
    page = client.get("/").content.decode()
    assert 'id="vendor-todo"' in page and "To do" in page
