"""Missed SLA results of the delivery app as a source of nonconformances: page, API and the command."""

import pytest
from django.core.management import call_command

from waibao.quality.models import NcrSource, Nonconformance
from waibao.quality.tests.factories import make_sla_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def breaches(contract_a, contract_b):
    return {
        "closed": make_sla_result(contract_a, period="2026-02", closed=True),
        "open": make_sla_result(contract_a, period="2026-03", closed=False),
        "met": make_sla_result(contract_a, period="2026-01", status="met", value=97.0, closed=True),
        "other": make_sla_result(contract_b, period="2026-02", closed=True),
    }


def test_command_opens_one_ncr_per_missed_result_of_a_closed_period(breaches, vendor_user_a):
    call_command("quality_sla_ncrs")
    call_command("quality_sla_ncrs")
    ncrs = Nonconformance.objects.filter(source=NcrSource.SLA)
    assert sorted(n.source_ref for n in ncrs) == sorted(f"SLA-{breaches[k].pk}" for k in ("closed", "other"))
    ncr = ncrs.get(source_ref=f"SLA-{breaches['closed'].pk}")
    assert "P1 响应及时率" in ncr.title and "2026-02" in ncr.title and ncr.vendor_notified_at is not None


def test_command_skips_a_result_already_opened_by_hand(breaches, as_user, quality_user):
    r = as_user(quality_user).post(f"/quality/sla/{breaches['closed'].pk}/ncr/")
    assert r.status_code == 302
    call_command("quality_sla_ncrs")
    assert Nonconformance.objects.filter(source_ref=f"SLA-{breaches['closed'].pk}").count() == 1


def test_page_lists_breaches_with_a_button_then_the_ncr(breaches, as_user, quality_user):
    client = as_user(quality_user)
    page = client.get("/quality/sla/").content.decode()
    assert f'action="/quality/sla/{breaches["open"].pk}/ncr/"' in page
    assert f'sla-{breaches["met"].pk}"' not in page  # met results are not breaches
    r = client.post(f"/quality/sla/{breaches['open'].pk}/ncr/")
    ncr = Nonconformance.objects.get(source_ref=f"SLA-{breaches['open'].pk}")
    assert r.status_code == 302 and r["Location"].endswith(f"/quality/ncrs/{ncr.code}/")
    again = client.post(f"/quality/sla/{breaches['open'].pk}/ncr/")
    assert again["Location"].endswith(f"/quality/ncrs/{ncr.code}/")
    assert Nonconformance.objects.filter(source=NcrSource.SLA).count() == 1
    page = client.get(f"/quality/sla/?contract={breaches['open'].contract.code}").content.decode()
    assert ncr.code in page and str(breaches["other"].contract.code) not in page


def test_access(breaches, as_user, api_client, personas):
    own, other = breaches["open"], breaches["other"]
    # The other vendor's user: the page lists nothing of vendor A, and A's result is a 404.
    page = as_user(personas["vendor_b"]).get("/quality/sla/").content.decode()
    assert f'sla-{own.pk}"' not in page and f'sla-{other.pk}"' in page
    assert as_user(personas["vendor_b"]).get(f"/quality/sla/?contract={own.contract.code}").status_code == 404
    assert as_user(personas["vendor_b"]).post(f"/quality/sla/{own.pk}/ncr/").status_code == 404
    assert api_client(personas["vendor_b"]).post(f"/api/v1/quality/ncrs/from-sla/{own.pk}").status_code == 404
    body = api_client(personas["vendor_b"]).get("/api/v1/quality/sla-breaches").json()
    assert [i["id"] for i in body["items"]] == [other.pk]
    # The own vendor sees its breaches but cannot open NCRs; nor can read-only buyer roles.
    vendor_page = as_user(personas["vendor_a"]).get("/quality/sla/").content.decode()
    assert f'sla-{own.pk}"' in vendor_page and '/ncr/"' not in vendor_page
    for name in ("vendor_a", "auditor", "finance"):
        assert as_user(personas[name]).post(f"/quality/sla/{own.pk}/ncr/").status_code == 403, name
        assert api_client(personas[name]).post(f"/api/v1/quality/ncrs/from-sla/{own.pk}").status_code == 403
    assert not Nonconformance.objects.exists()
    r = api_client(personas["manager"]).post(f"/api/v1/quality/ncrs/from-sla/{own.pk}")
    assert r.status_code == 201
    listed = api_client(personas["quality"]).get(f"/api/v1/quality/sla-breaches?contract={own.contract.code}")
    assert {i["id"]: i["ncr"] for i in listed.json()["items"]}[own.pk] == r.json()["code"]


def test_a_met_result_cannot_become_an_ncr(breaches, api_client, quality_user):
    r = api_client(quality_user).post(f"/api/v1/quality/ncrs/from-sla/{breaches['met'].pk}")
    assert r.status_code == 422


def test_page_and_api_queries_do_not_grow_with_rows(
    contract_a, as_user, api_client, quality_user, django_assert_max_num_queries
):
    make_sla_result(contract_a, period="2026-01", closed=True)
    client, api = as_user(quality_user), api_client(quality_user)
    client.get("/quality/sla/")
    with django_assert_max_num_queries(20) as few:
        client.get("/quality/sla/")
    for i in range(2, 12):
        make_sla_result(contract_a, period=f"2025-{i:02d}", name=f"M{i}", closed=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/quality/sla/").status_code == 200
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/quality/sla-breaches").json()["count"] == 11
