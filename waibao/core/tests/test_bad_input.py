"""Bad input answers a 4xx in the API's error shape (or a 400 page), never a 500 — on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from waibao.vendors import services as vendor_services

pytestmark = pytest.mark.django_db

HUGE = "9223372036854775807"

API_LISTS = [
    "/api/v1/vendors/",
    "/api/v1/vendors/certificates/expiring",
    "/api/v1/contracts/",
    "/api/v1/audit/events",
    "/api/v1/notifications/",
    "/api/v1/calendars/",
]


def _error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    return body


@pytest.mark.parametrize("url", API_LISTS)
@pytest.mark.parametrize("page", [HUGE, "1000001", "0", "-1"])
def test_an_api_list_refuses_a_page_number_out_of_range_naming_the_page(api_client, auditor, url, page):
    body = _error_shape(api_client(auditor).get(url, {"page": page}), 422)
    assert "page" in body["fields"]


def test_an_api_list_still_answers_a_page_past_the_last_with_no_items(api_client, manager):
    r = api_client(manager).get("/api/v1/vendors/", {"page": "999"})
    assert r.status_code == 200
    assert r.json()["items"] == []


@pytest.mark.parametrize("url", ["/vendors/", "/contracts/", "/notifications/", "/audit/"])
@pytest.mark.parametrize("page", [HUGE, "0", "-1", "1e999"])
def test_an_html_list_answers_a_huge_or_negative_page_number_without_error(as_user, auditor, url, page):
    r = as_user(auditor).get(url, {"page": page})
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/vendors/certificates/expiring", {"days": "-4402207"}, "days"),
        ("/api/v1/vendors/certificates/expiring", {"days": "99999999999"}, "days"),
        ("/api/v1/contracts/", {"ending_within": "99999999999"}, "ending_within"),
        ("/api/v1/contracts/", {"ending_within": "-4402207"}, "ending_within"),
    ],
)
def test_an_out_of_range_number_in_a_query_is_refused_naming_the_field(
    api_client, manager, url, params, field
):
    body = _error_shape(api_client(manager).get(url, params), 422)
    assert field in body["fields"]


def test_the_contract_list_page_ignores_an_ending_within_too_large_to_be_a_date(as_user, manager):
    assert as_user(manager).get("/contracts/", {"ending_within": "99999999999"}).status_code == 200


def test_the_contract_list_filters_by_a_vendor_id_too_large_for_the_database_without_error(
    api_client, manager
):
    r = api_client(manager).get("/api/v1/contracts/", {"vendor": "99999999999999999999"})
    assert r.status_code == 200
    assert r.json()["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/vendors/?q=a%00b",
        "/api/v1/vendors/?a%00=1",
        "/api/v1/vendors/%00",
        "/api/v1/contracts/?status=%00",
    ],
)
def test_a_nul_in_an_api_query_or_path_is_refused_with_400(api_client, manager, url):
    _error_shape(api_client(manager).get(url), 400)


def test_a_nul_in_a_page_query_is_refused_with_a_400_page(as_user, manager):
    r = as_user(manager).get("/vendors/?q=a%00b")
    assert r.status_code == 400
    assert "text/html" in r["Content-Type"]


def test_a_nul_in_a_json_body_is_refused_with_400_and_nothing_is_stored(api_client, vendor_user_a, vendor_a):
    client = api_client(vendor_user_a)
    url = f"/api/v1/vendors/{vendor_a.pk}/contacts"
    for text in (
        '{"name": "Li\\u0000Lei"}',
        '{"name": "LiLei", "role": ["x\\u0000"]}',
        '{"na\\u0000me": "x"}',
    ):
        _error_shape(client.post(url, text, content_type="application/json"), 400)
    _error_shape(client.post(url, b'{"name": "Li\x00Lei"}', content_type="application/json"), 400)
    assert not vendor_a.contacts.exists()


def test_a_nul_in_a_form_post_is_refused_with_400(as_user, manager):
    r = as_user(manager).post("/vendors/new/", {"name": "甲\x00乙"})
    assert r.status_code == 400


def test_an_ordinary_json_body_still_passes(api_client, vendor_user_a, vendor_a):
    r = api_client(vendor_user_a).post(
        f"/api/v1/vendors/{vendor_a.pk}/contacts",
        json.dumps({"name": "李雷"}),
        content_type="application/json",
    )
    assert r.status_code == 201


def test_null_for_a_required_contact_field_in_a_patch_is_refused_naming_the_field(
    api_client, vendor_user_a, vendor_a
):
    contact = vendor_services.add_contact(
        vendor=vendor_a, actor=vendor_user_a, name="李雷", email="li@example.com"
    )
    client = api_client(vendor_user_a)
    for field in ("email", "name", "phone", "is_primary"):
        r = client.patch(
            f"/api/v1/vendors/contacts/{contact.pk}", {field: None}, content_type="application/json"
        )
        body = _error_shape(r, 422)
        assert field in body["fields"]
    contact.refresh_from_db()
    assert contact.email == "li@example.com"


def test_null_for_a_required_vendor_field_in_a_patch_is_refused_naming_the_field(
    api_client, manager, vendor_a
):
    r = api_client(manager).patch(
        f"/api/v1/vendors/{vendor_a.pk}", {"name": None}, content_type="application/json"
    )
    assert "name" in _error_shape(r, 422)["fields"]


TOO_BIG = "99999999999999999999"


def test_the_audit_log_page_filters_by_a_vendor_id_too_large_for_the_database_without_error(as_user, auditor):
    assert as_user(auditor).get("/audit/", {"vendor": TOO_BIG}).status_code == 200


def test_the_clause_page_ignores_a_library_id_too_large_for_the_database(as_user, manager, vendor_a):
    from waibao.contracts.tests.factories import draft_contract

    contract = draft_contract(manager, vendor_a)
    client = as_user(manager)
    assert client.get(f"/contracts/{contract.code}/clauses/new/", {"template": TOO_BIG}).status_code == 200
    r = client.post(f"/contracts/{contract.code}/clauses/new/", {"load": "1", "template": TOO_BIG})
    assert r.status_code == 200
