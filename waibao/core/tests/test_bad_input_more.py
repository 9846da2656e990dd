"""More bad input that answers a 4xx with a message, never a 500 — on SQLite and PostgreSQL (issue 11 §2):
numbers too large (or not finite) for where they go, request bodies that cannot be read (multipart without
a boundary, over the size limit, too many fields), dates in page filters that are not dates, and CSV cells
over the csv module's field limit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from waibao.contracts import services as contract_services
from waibao.contracts.models import Contract
from waibao.contracts.tests.factories import draft_contract
from waibao.delivery import services as delivery_services
from waibao.delivery.models import ServiceRecord
from waibao.delivery.tests.factories import make_contract

pytestmark = pytest.mark.django_db

C = "/api/v1/contracts/"


def _error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    return body


def _post(client, url: str, body, method: str = "post"):
    text = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, text, content_type="application/json")


@pytest.fixture
def delivery_contract(vendor_a, manager):
    """An active contract with the usual metrics (a percentage with tiers, an average) and a numeric
    custom field."""
    contract = make_contract(vendor_a, owner=manager)
    Contract.objects.filter(pk=contract.pk).update(custom_fields={"amount": "number"})
    contract.refresh_from_db()
    return contract


# --- 1. numbers -----------------------------------------------------------------------------------

#: JSON texts of a preview value that is not a usable number: too large for a float (1e999, 1e308 × 10, a
#: 400-digit integer), not finite (infinity, NaN as text or as Python's JSON literals), or a thousand
#: places small.
NOT_NUMBERS = [
    "1e999",
    '"1e999"',
    "1e309",
    '"1E+309"',
    "1" + "0" * 400,
    '"inf"',
    '"-Infinity"',
    '"nan"',
    "Infinity",
    "NaN",
    '"1e-999"',
    '"1e999999999"',
]


@pytest.mark.parametrize("who", ["auditor", "vendor_user_a"])
@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_metric_preview_of_a_value_that_is_no_usable_number_is_refused_naming_the_value(
    request, api_client, delivery_contract, who, value
):
    metric = delivery_contract.sla_metrics.get(definition__kind="share_within")
    url = f"{C}{delivery_contract.code}/sla-metrics/{metric.pk}/preview"
    body = _error_shape(_post(api_client(request.getfixturevalue(who)), url, f'{{"value": {value}}}'), 422)
    assert set(body["fields"]) == {"value"}
    assert body["fields"]["value"] in (
        "请输入数字。",
        "数值过大：整数部分最多 15 位。",
        "小数位过多：最多 30 位。",
    )


def test_a_metric_preview_still_answers_an_ordinary_value(api_client, auditor, delivery_contract):
    metric = delivery_contract.sla_metrics.get(definition__kind="share_within")
    url = f"{C}{delivery_contract.code}/sla-metrics/{metric.pk}/preview"
    r = _post(api_client(auditor), url, {"value": "88"})
    assert r.status_code == 200 and r.json()["status"] == "missed"


def test_a_metric_preview_refuses_a_monthly_fee_too_large_for_a_contract(
    api_client, auditor, delivery_contract
):
    metric = delivery_contract.sla_metrics.get(definition__kind="share_within")
    url = f"{C}{delivery_contract.code}/sla-metrics/{metric.pk}/preview"
    body = _error_shape(_post(api_client(auditor), url, {"value": 88, "monthly_fee": "1e30"}), 422)
    assert body["fields"] == {"monthly_fee": "数值过大：整数部分最多 12 位。"}


def test_the_metric_preview_page_says_a_huge_value_is_too_large(as_user, auditor, delivery_contract):
    metric = delivery_contract.sla_metrics.get(definition__kind="share_within")
    url = f"/contracts/{delivery_contract.code}/sla/{metric.pk}/preview/"
    r = as_user(auditor).get(url, {"value": "1e999"})
    assert r.status_code == 200 and "数值过大：整数部分最多 15 位。" in r.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("monthly_fee", "1e20", "数值过大：整数部分最多 12 位。"),
        ("monthly_fee", "1e999", "数值过大：整数部分最多 12 位。"),
        ("total_value", "123456789012345678", "数值过大：整数部分最多 14 位。"),
        ("monthly_fee", "999999999999.999", "数值过大：整数部分最多 12 位。"),  # rounds up to 13 digits
        ("notice_days", 10**12, "天数不能超过 3,650。"),
        ("renewal_lead_days", 2**40, "天数不能超过 3,650。"),
    ],
)
def test_a_contract_value_too_large_for_its_column_is_refused_naming_the_field(
    api_client, manager, vendor_a, field, value, message
):
    client = api_client(manager)
    new = {"vendor_id": vendor_a.pk, "title": "x", "category": "it_services", "start_date": "2026-01-01"}
    new |= {"end_date": "2026-12-31", field: value}
    assert _error_shape(_post(client, C, new), 422)["fields"] == {field: message}
    draft = draft_contract(manager, vendor_a)
    assert _error_shape(_post(client, f"{C}{draft.code}", {field: value}, "patch"), 422)["fields"] == {
        field: message
    }
    draft.refresh_from_db()
    assert draft.monthly_fee == Decimal("100000.00") and Contract.objects.count() == 1


def test_the_contract_form_says_a_monthly_fee_is_too_large(as_user, manager, vendor_a):
    draft = draft_contract(manager, vendor_a)
    form = {
        "title": draft.title, "category": draft.category, "start_date": draft.start_date.isoformat(),
        "end_date": draft.end_date.isoformat(), "renewal_type": draft.renewal_type, "notice_days": 30,
        "renewal_lead_days": 90, "total_value": "0", "monthly_fee": "1e20", "currency": "CNY",
        "credit_cap_percent": "15", "version": draft.version,
    }  # fmt: skip
    r = as_user(manager).post(f"/contracts/{draft.code}/edit/", form)
    assert r.status_code == 200 and "数值过大：整数部分最多 12 位。" in r.content.decode()
    draft.refresh_from_db()
    assert draft.monthly_fee == Decimal("100000.00")


def test_milestone_and_price_figures_too_large_for_their_columns_are_refused_naming_the_field(
    api_client, manager, vendor_a
):
    client = api_client(manager)
    draft = draft_contract(manager, vendor_a)
    r = _post(
        client, f"{C}{draft.code}/milestones", {"name": "m", "due_date": "2026-05-01", "amount": "1e20"}
    )
    assert _error_shape(r, 422)["fields"] == {"amount": "数值过大：整数部分最多 12 位。"}
    r = _post(client, f"{C}{draft.code}/price-adjustments", {"index_name": "CPI", "base_value": "1e999"})
    assert _error_shape(r, 422)["fields"] == {"base_value": "数值过大：整数部分最多 12 位。"}
    clause = contract_services.add_price_clause(
        contract=draft, actor=manager, index_name="CPI", base_value=Decimal("0.0001")
    )
    url = f"{C}{draft.code}/price-adjustments/{clause.pk}/values"
    # Fits the value's column, but is a change of 10^17 % from the base: no proposed fee can be kept.
    body = _error_shape(_post(client, url, {"value": "999999999999"}), 422)
    assert set(body["fields"]) == {"value"} and "变动过大" in body["fields"]["value"]
    assert not clause.values.exists()


@pytest.mark.parametrize(
    ("definition", "field", "message"),
    [
        ({"target": "1e999"}, "target", "数值过大：整数部分最多 10 位。"),
        ({"target": "12345678901"}, "target", "数值过大：整数部分最多 10 位。"),
        ({"target": "inf"}, "target", "请输入数字。"),
        ({"kind": "share_within", "record_kind": "ticket", "target": "90", "threshold_minutes": 10**9},
         "threshold_minutes", "最多 1,000,000 分钟。"),
    ],
)  # fmt: skip
def test_a_metric_figure_too_large_to_keep_is_refused_naming_it(
    api_client, manager, vendor_a, definition, field, message
):
    from waibao.contracts.tests.factories import china

    draft = draft_contract(manager, vendor_a)
    metric = {"name": "满意度", "kind": "manual", **definition}
    r = _post(
        api_client(manager), f"{C}{draft.code}/sla-metrics", {"calendar_id": china().pk, "definition": metric}
    )
    assert _error_shape(r, 422)["fields"] == {field: message}


def test_an_amendment_proposing_a_fee_too_large_is_refused_naming_it(
    api_client, manager, vendor_a, finance_user, admin_user
):
    from waibao.contracts.tests.factories import active_contract

    contract = active_contract(
        manager, vendor_a, {"manager": manager, "finance": finance_user, "admin": admin_user}
    )
    start = contract_services.clock.today().replace(day=1).isoformat()
    r = _post(
        api_client(manager),
        f"{C}{contract.code}/amendments",
        {"title": "调价", "reason": "x", "effective_from": start, "changes": {"monthly_fee": "1E+999"}},
    )
    assert _error_shape(r, 422)["fields"] == {"monthly_fee": "数值过大：整数部分最多 12 位。"}


@pytest.mark.parametrize("value", ["1e999", "-1e999", "9" * 5000, "1e308", "nan"])
def test_a_record_whose_numeric_custom_field_is_no_usable_number_is_a_row_error(
    api_client, vendor_user_a, delivery_contract, value
):
    record = {
        "external_id": "R1",
        "kind": "ticket",
        "opened_at": "2026-10-08 09:00",
        "custom": {"amount": value},
    }
    url = f"/api/v1/delivery/contracts/{delivery_contract.code}/records:batch"
    body = _error_shape(_post(api_client(vendor_user_a), url, {"records": [record]}), 422)
    assert body["fields"] == {"1.custom.amount": "必须是数字。"}
    assert not ServiceRecord.objects.exists()


def test_a_record_with_an_ordinary_custom_number_still_imports(api_client, vendor_user_a, delivery_contract):
    record = {
        "external_id": "R1",
        "kind": "ticket",
        "opened_at": "2026-10-08 09:00",
        "custom": {"amount": "12.5"},
    }
    url = f"/api/v1/delivery/contracts/{delivery_contract.code}/records:batch"
    assert _post(api_client(vendor_user_a), url, {"records": [record]}).status_code == 200
    assert ServiceRecord.objects.get().custom == {"amount": 12.5}


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"characteristics": [{"name": "重量", "kind": "variable", "lsl": "1e999", "severity": "major"}]},
         "characteristics", "规格限须为数字。"),
        ({"characteristics": [{"name": "重量", "kind": "variable", "usl": "-inf", "severity": "major"}]},
         "characteristics", "规格限须为数字。"),
        ({"verify_after_days": 10**12}, "verify_after_days", "天数不能超过 3,650。"),
        ({"capa_step_days": 10**20}, "capa_step_days", "天数不能超过 3,650。"),
    ],
)  # fmt: skip
def test_a_quality_plan_figure_too_large_to_keep_is_refused_naming_it(
    api_client, quality_user, delivery_contract, payload, field, message
):
    plan = {"contract": delivery_contract.code, "name": "抽检", "classes": {"major": "1.5"}, **payload}
    body = _error_shape(_post(api_client(quality_user), "/api/v1/quality/plans", plan), 422)
    assert body["fields"] == {field: message}


def test_a_survey_with_more_responses_than_a_column_holds_is_refused_naming_them(
    api_client, quality_user, delivery_contract
):
    survey = {"contract": delivery_contract.code, "period": "2026-05", "nps": 10, "responses": 10**12}
    body = _error_shape(_post(api_client(quality_user), "/api/v1/quality/satisfaction", survey), 422)
    assert body["fields"] == {"responses": "请输入 0 到 2,147,483,647 之间的整数。"}


# --- 2. multipart without a boundary ----------------------------------------------------------------

MULTIPART = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nabc\r\n--x--\r\n'
NO_BOUNDARY = ["multipart/form-data", "multipart/form-data; boundary=", 'multipart/form-data; boundary=""',
               "multipart/form-data; charset=utf-8", "multipart/form-data; boundary=" + "x" * 300]  # fmt: skip


def _uploads(vendor, contract) -> list[str]:
    return [
        "/api/v1/vendors/imports",
        f"/api/v1/vendors/{vendor.pk}/documents",
        f"/api/v1/vendors/{vendor.pk}/certificates",
        f"{C}{contract.code}/documents",
        f"/api/v1/delivery/contracts/{contract.code}/imports",
        "/api/v1/quality/ncrs/NCR-2026-0001/evidence",
        "/api/v1/quality/deliverables",
        "/api/v1/quality/deliverables/DL-2026-0001/versions",
    ]


@pytest.mark.parametrize("who", ["manager", "vendor_user_a"])
@pytest.mark.parametrize("content_type", NO_BOUNDARY)
def test_an_upload_without_a_multipart_boundary_is_refused_with_400_saying_so(
    request, api_client, vendor_a, delivery_contract, who, content_type
):
    client = api_client(request.getfixturevalue(who))
    for url in _uploads(vendor_a, delivery_contract):
        body = _error_shape(client.generic("POST", url, MULTIPART, content_type=content_type), 400)
        assert body["code"] == "bad_multipart" and "boundary" in body["fields"]["body"], url


@pytest.mark.parametrize("who", ["manager", "vendor_user_a"])
def test_an_upload_page_posted_without_a_multipart_boundary_answers_a_400_page_saying_so(
    request, vendor_a, delivery_contract, who
):
    client = Client()  # with the CSRF check, as a browser meets it
    client.force_login(request.getfixturevalue(who))
    pages = [
        "/vendors/import/",
        f"/vendors/{vendor_a.pk}/documents/new/",
        f"/contracts/{delivery_contract.code}/documents/new/",
        f"/delivery/contracts/{delivery_contract.code}/import/",
    ]
    for url in pages:
        r = client.generic("POST", url, MULTIPART, content_type="multipart/form-data")
        assert r.status_code == 400, url
        assert "boundary" in r.content.decode() and "text/html" in r["Content-Type"]


def test_the_refusal_of_a_broken_upload_is_in_the_language_chosen_on_the_browser(api_client, manager):
    client = api_client(manager)
    client.cookies["django_language"] = "en"
    r = client.generic("POST", "/api/v1/vendors/imports", MULTIPART, content_type="multipart/form-data")
    message = _error_shape(r, 400)["message"]
    assert "boundary" in message and message.isascii()


def test_a_well_formed_upload_still_reaches_the_endpoint(api_client, manager):
    r = api_client(manager).post("/api/v1/vendors/imports", {})  # a real multipart body, without the file
    assert _error_shape(r, 422)["fields"]


# --- 3. bodies over the limit, too many fields --------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "vendor_user_a"])
def test_a_json_body_over_the_limit_is_refused_with_413_naming_the_limit(
    request, api_client, settings, vendor_a, who
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    client = api_client(request.getfixturevalue(who))
    big = json.dumps({"name": "李" * 70_000})
    body = _error_shape(_post(client, f"/api/v1/vendors/{vendor_a.pk}/contacts", big), 413)
    assert body["code"] == "too_large" and body["fields"] == {"body": "请求内容超过了 64 KB 的上限。"}
    assert not vendor_a.contacts.exists()
    assert _post(client, f"/api/v1/vendors/{vendor_a.pk}/contacts", {"name": "李雷"}).status_code == 201


def test_the_body_limit_is_said_in_megabytes_and_comes_from_the_environment_setting(
    api_client, manager, settings
):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 10 * 1024 * 1024  # WAIBAO_MAX_BODY_MB, 10 by default
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    r = _post(api_client(manager), C, json.dumps({"title": "x" * (1024 * 1024)}))
    assert _error_shape(r, 413)["message"] == "请求内容超过了 1 MB 的上限。"


def test_a_form_over_the_limit_answers_a_413_page(as_user, manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    r = as_user(manager).post("/vendors/new/", {"name": "x" * 100_000})
    assert r.status_code == 413 and "64 KB" in r.content.decode()


def test_the_fields_of_a_multipart_form_over_the_limit_are_refused_with_413(api_client, manager, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    f = SimpleUploadedFile("v.csv", b"a,b\n1,2\n", content_type="text/csv")
    r = api_client(manager).post("/api/v1/vendors/imports", {"file": f, "note": "x" * 100_000})
    assert _error_shape(r, 413)["code"] == "too_large"


def test_too_many_fields_in_a_form_query_or_body_are_refused_with_400(api_client, as_user, manager, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    many = "&".join(f"f{i}=1" for i in range(30))
    client = api_client(manager)
    r = client.post("/api/v1/vendors/", many, content_type="application/x-www-form-urlencoded")
    assert _error_shape(r, 400)["fields"] == {"body": "请求含有的字段超过了 20 个的上限。"}
    r = client.get(f"/api/v1/vendors/?{many}")
    assert _error_shape(r, 400)["fields"] == {"query": "请求含有的字段超过了 20 个的上限。"}
    page = as_user(manager).post("/vendors/new/", many, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 400 and "20 个的上限" in page.content.decode()


# --- 4. dates in page filters -----------------------------------------------------------------------

NOT_DATES = ["not-a-date", "2026-02-30", "2026-13-01", "0001-01-01", "99999-01-01", "1e999", "☃", "-4402207"]


@pytest.mark.parametrize("value", NOT_DATES)
@pytest.mark.parametrize("name", ["since", "until"])
def test_the_audit_log_ignores_a_date_filter_that_is_no_date_and_says_so(
    as_user, auditor, manager, name, value
):
    from waibao.core import audit

    audit.record(manager, "test.event", manager, changes={})
    r = as_user(auditor).get("/audit/", {name: value, "verb": "test.event"})
    page = r.content.decode()
    assert r.status_code == 200 and "test.event" in page
    assert "不是有效的日期（格式为 YYYY-MM-DD），已忽略此条件。" in page


def test_the_audit_log_still_filters_by_a_real_date(as_user, auditor, manager):
    from waibao.core import audit

    audit.record(manager, "test.event", manager, changes={})
    assert "test.event" not in as_user(auditor).get("/audit/", {"since": "2999-01-01"}).content.decode()


@pytest.mark.parametrize("who", ["manager", "vendor_user_a"])
@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "not-a-month", "99999999999-1"])
def test_the_calendar_page_shows_this_month_for_a_month_it_cannot_show(request, as_user, who, month):
    from waibao.calendars.models import Calendar
    from waibao.calendars.services import ensure_builtin_calendars

    ensure_builtin_calendars()
    cal = Calendar.objects.first()
    r = as_user(request.getfixturevalue(who)).get(f"/calendars/{cal.pk}/", {"month": month})
    assert r.status_code == 200 and "不是有效的月份（格式为 YYYY-MM），已忽略。" in r.content.decode()


# --- 5. CSV cells over the csv module's limit ---------------------------------------------------------


def test_a_record_import_with_a_cell_over_the_csv_field_limit_names_the_row_and_column(
    delivery_contract, manager, tmp_path
):
    path = tmp_path / "records.csv"
    head = "编号,开始时间,首次响应时间,类别\n"
    ok = "C1,2026-10-08 09:00,2026-10-08 09:20,网络\n"
    path.write_text(
        head + ok + 'C2,2026-10-08 09:00,2026-10-08 09:20,"' + "x" * 200_000 + '"\n' + ok, encoding="utf-8"
    )
    job = delivery_services.import_path(contract=delivery_contract, actor=manager, path=str(path))
    job.refresh_from_db()
    assert job.status == "rejected"
    assert job.message.startswith(
        "第 3 行“类别”列的单元格有 200,000 个字符，超过每个单元格 131,072 个字符的上限。未导入任何数据。"
    )
    assert not ServiceRecord.objects.exists()


def test_a_vendor_list_with_a_cell_over_the_csv_field_limit_names_the_row_and_column(tmp_path):
    from waibao.lib.spreadsheets import SpreadsheetError, read_table

    path = tmp_path / "vendors.csv"
    path.write_text('名称,备注\n甲公司,ok\n乙公司,"' + "z" * 200_000 + '"\n', encoding="utf-8")
    table = read_table(str(path), "vendors.csv")
    with pytest.raises(SpreadsheetError) as caught:
        list(table.rows)
    assert caught.value.code == "cell_too_long"
    assert (
        caught.value.message
        == "第 3 行“备注”列的单元格有 200,000 个字符，超过每个单元格 32,767 个字符的上限。"
    )
