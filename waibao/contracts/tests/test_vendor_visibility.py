"""What a vendor user sees of its own contract (issue 11, contracts.visibility): submitted amendments yes;
drafts, returned amendments, approval steps and their comments, the price-adjustment records, internal
documents and the renewal planning no — on the contract page, the amendment and version pages, document
downloads, search and the API. Every buyer role sees all of it; vendor B sees nothing of vendor A's."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from waibao.contracts import services
from waibao.contracts.tests.factories import METRIC, china, draft_contract, with_required_clauses
from waibao.core.files import Upload
from waibao.core.search import search

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_2026")]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

#: Texts that only buyers may read, by where they come from.
HIDDEN = {
    "draft amendment": "草稿变更：压缩响应时间",
    "returned amendment": "被退回的变更：调整付款周期",
    "withdrawn draft": "未提交即撤销的变更",
    "contract return comment": "退回意见：供应商报价偏高，需要再谈",
    "amendment return comment": "内部意见：付款周期不能放宽",
    "approval comment": "财务内部意见：预算紧张，下次续约压价",
    "price clause": "上海 CPI 指数",
    "price notes": "内部谈判底线：涨幅不超过 3%",
    "internal document": "内部评估备忘录",
}
#: Texts the vendor reads.
SHOWN = {
    "submitted amendment": "审批中的变更：增加夜间值守",
    "approved amendment": "已批准的变更：月费调整",
    "withdrawn after submission": "提交后撤销的变更",
    "signed copy": "双方签署的合同文本",
}


def _pdf(name):
    return Upload(name=name, stream=io.BytesIO(PDF), size=len(PDF))


def _approve(contract, approvers, amendment=None, comments=None):
    comments = comments or {}
    while (step := services.current_step(contract, amendment)) is not None:
        contract = services.approve_step(
            contract=contract, actor=approvers[step.role], comment=comments.get(step.role, "同意"),
            amendment=amendment,
        )  # fmt: skip
    return contract


def _amendment(contract, manager, title, changes=None):
    return services.propose_amendment(
        contract=contract, actor=manager, title=title, reason="业务需要", effective_from=date(2026, 7, 1),
        changes=changes or {"notice_days": 45},
    )  # fmt: skip


@pytest.fixture
def world(manager, finance_user, admin_user, vendor_a):
    """Vendor A's contract with every kind of thing a vendor may or may not read."""
    approvers = {"manager": manager, "finance": finance_user, "admin": admin_user}
    c = with_required_clauses(draft_contract(manager, vendor_a), manager)
    services.add_metric(contract=c, actor=manager, definition=dict(METRIC), calendar=china())
    services.submit_for_approval(contract=c, actor=manager)
    services.return_step(contract=c, actor=manager, comment=HIDDEN["contract return comment"])
    services.submit_for_approval(contract=c, actor=manager)
    c = _approve(c, approvers, comments={"finance": HIDDEN["approval comment"]})
    assert c.status == "active"
    clause = services.add_price_clause(
        contract=c, actor=finance_user, index_name=HIDDEN["price clause"], base_value=Decimal("100"),
        notes=HIDDEN["price notes"],
    )  # fmt: skip
    services.record_index_value(
        clause=clause, actor=finance_user, value=Decimal("110"), on_date=date(2026, 6, 1)
    )
    services.record_renewal_decision(contract=c, actor=manager, decision="renegotiate", note="")
    # Amendments in every state.
    approved = _amendment(c, manager, SHOWN["approved amendment"], {"monthly_fee": "110000.00"})
    services.submit_amendment(amendment=approved, actor=manager)
    _approve(c, approvers, approved, comments={"finance": HIDDEN["approval comment"]})
    _amendment(c, manager, HIDDEN["draft amendment"])
    returned = _amendment(c, manager, HIDDEN["returned amendment"])
    services.submit_amendment(amendment=returned, actor=manager)
    services.return_step(
        contract=c, actor=manager, comment=HIDDEN["amendment return comment"], amendment=returned
    )
    pending = _amendment(c, manager, SHOWN["submitted amendment"])
    services.submit_amendment(amendment=pending, actor=manager)
    services.cancel_amendment(amendment=_amendment(c, manager, HIDDEN["withdrawn draft"]), actor=manager)
    withdrawn = _amendment(c, manager, SHOWN["withdrawn after submission"])
    services.submit_amendment(amendment=withdrawn, actor=manager)
    services.cancel_amendment(amendment=withdrawn, actor=manager)
    signed = services.upload_document(
        contract=c, actor=manager, upload=_pdf("signed.pdf"), title=SHOWN["signed copy"]
    )
    memo = services.upload_document(
        contract=c, actor=manager, upload=_pdf("memo.pdf"), title=HIDDEN["internal document"],
        is_signed_copy=False, internal=True,
    )  # fmt: skip
    c.refresh_from_db()
    return {
        "contract": c, "approved": approved, "pending": pending, "withdrawn": withdrawn, "returned": returned,
        "draft": c.amendments.get(title=HIDDEN["draft amendment"]), "clause": clause, "signed": signed,
        "memo": memo,
    }  # fmt: skip


BUYERS = ["admin", "manager", "quality", "finance", "auditor"]


def _contract_page(client, world):
    r = client.get(f"/contracts/{world['contract'].code}/")
    assert r.status_code == 200
    return r.content.decode()


@pytest.mark.parametrize("who", BUYERS)
def test_every_buyer_role_reads_the_internal_side_of_the_contract_page(world, personas, as_user, who):
    html = _contract_page(as_user(personas[who]), world)
    for what, text in {**HIDDEN, **SHOWN}.items():
        if what in ("draft amendment", "returned amendment", "withdrawn draft", "amendment return comment"):
            continue  # on the amendments list / the amendment's page (below)
        assert text in html, what
    for what in ("draft amendment", "returned amendment", "withdrawn draft"):
        assert HIDDEN[what] in html, what


def test_the_vendor_reads_its_contract_page_without_the_buyers_internal_side(world, vendor_user_a, as_user):
    html = _contract_page(as_user(vendor_user_a), world)
    for what, text in SHOWN.items():
        assert text in html, what
    for what, text in HIDDEN.items():
        assert text not in html, what
    assert 'id="approval"' not in html and 'id="price"' not in html
    assert "重新谈判" not in html  # the renewal decision
    assert world["contract"].code in html and "IT 运维外包服务合同" in html


def test_the_vendor_timeline_shows_moves_into_force_not_the_approval_rounds(world, vendor_user_a, as_user):
    html = _contract_page(as_user(vendor_user_a), world)
    assert "审批通过，合同生效" in html
    assert HIDDEN["contract return comment"] not in html and "提交审批" not in html


@pytest.mark.parametrize("which", ["draft", "returned"])
def test_the_vendor_gets_404_for_an_amendment_it_may_not_read(world, vendor_user_a, manager, as_user, which):
    url = f"/contracts/{world['contract'].code}/amendments/{world[which].pk}/"
    assert as_user(vendor_user_a).get(url).status_code == 404
    assert as_user(manager).get(url).status_code == 200


def test_the_vendor_reads_a_submitted_amendment_without_its_approval_level(
    world, vendor_user_a, manager, as_user
):
    url = f"/contracts/{world['contract'].code}/amendments/{world['pending'].pk}/"
    vendor_html = as_user(vendor_user_a).get(url).content.decode()
    assert SHOWN["submitted amendment"] in vendor_html and "审批中" in vendor_html  # its status
    assert "外包经理" not in vendor_html  # the level it waits for
    assert "待 外包经理 审批" in as_user(manager).get(url).content.decode()


def test_version_and_amendment_diffs_leave_out_the_price_records_for_the_vendor(
    world, vendor_user_a, manager, as_user
):
    code = world["contract"].code
    for url in (
        f"/contracts/{code}/versions/diff/?a=1&b=2",
        f"/contracts/{code}/amendments/{world['approved'].pk}/",
    ):
        buyer = as_user(manager).get(url).content.decode()
        vendor = as_user(vendor_user_a).get(url).content.decode()
        assert HIDDEN["price clause"] in buyer, url
        assert HIDDEN["price clause"] not in vendor and "CNY 110,000.00" in vendor, url


def test_the_vendor_cannot_download_an_internal_document(world, vendor_user_a, manager, as_user):
    code = world["contract"].code
    memo = f"/contracts/{code}/documents/{world['memo'].pk}/"
    signed = f"/contracts/{code}/documents/{world['signed'].pk}/"
    assert as_user(vendor_user_a).get(memo).status_code == 404
    assert as_user(vendor_user_a).get(signed).status_code == 200
    assert as_user(manager).get(memo).status_code == 200


def test_the_vendor_gets_404_on_the_price_records_pages(world, vendor_user_a, as_user):
    code, pk = world["contract"].code, world["clause"].pk
    client = as_user(vendor_user_a)
    assert client.get(f"/contracts/{code}/price/{pk}/edit/").status_code == 404
    assert client.get(f"/contracts/{code}/price/{pk}/values/").status_code == 404


def test_vendor_b_sees_nothing_of_vendor_as_contract(world, vendor_user_b, as_user):
    client = as_user(vendor_user_b)
    code = world["contract"].code
    for url in (
        f"/contracts/{code}/",
        f"/contracts/{code}/amendments/{world['pending'].pk}/",
        f"/contracts/{code}/versions/diff/",
        f"/contracts/{code}/documents/{world['signed'].pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert search(vendor_user_b, code).total == 0


def test_search_finds_the_vendors_contract_and_nothing_internal(world, vendor_user_a, as_user):
    found = search(vendor_user_a, world["contract"].code)
    assert [c.code for c in found.contracts] == [world["contract"].code]
    html = as_user(vendor_user_a).get("/search/", {"q": world["contract"].code}).content.decode()
    for what, text in HIDDEN.items():
        assert text not in html, what
    for text in HIDDEN.values():
        assert search(vendor_user_a, text).total == 0


def test_a_signed_copy_cannot_be_internal(world, manager):
    from waibao.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        services.upload_document(
            contract=world["contract"],
            actor=manager,
            upload=_pdf("x.pdf"),
            is_signed_copy=True,
            internal=True,
        )
    assert "internal" in exc.value.fields


def test_the_upload_form_marks_a_document_internal(world, manager, vendor_user_a, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    code = world["contract"].code
    r = as_user(manager).post(
        f"/contracts/{code}/documents/new/",
        {"title": "谈判纪要", "internal": "on", "file": SimpleUploadedFile("n.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 302
    doc = world["contract"].documents.get(title="谈判纪要")
    assert doc.internal and not doc.is_signed_copy
    assert "谈判纪要" not in _contract_page(as_user(vendor_user_a), world)


# --- the API ----------------------------------------------------------------------------------------


def _api(api_client, user, world, path=""):
    r = api_client(user).get(f"/api/v1/contracts/{world['contract'].code}{path}")
    return r


def test_the_api_gives_the_vendor_submitted_amendments_only(world, personas, api_client):
    numbers = {w: world[w].number for w in ("approved", "pending", "withdrawn")}
    r = _api(api_client, personas["vendor_a"], world, "/amendments")
    assert r.status_code == 200
    assert sorted(a["number"] for a in r.json()) == sorted(numbers.values())
    assert HIDDEN["draft amendment"] not in r.content.decode()
    for who in BUYERS:
        assert len(_api(api_client, personas[who], world, "/amendments").json()) == 6, who


def test_the_api_gives_the_vendor_no_approval_steps_nor_price_records(world, personas, api_client):
    vendor = personas["vendor_a"]
    assert _api(api_client, vendor, world, "/approvals").json() == []
    assert _api(api_client, vendor, world, "/price-adjustments").json() == []
    assert (
        _api(api_client, vendor, world, f"/price-adjustments/{world['clause'].pk}/values").status_code == 404
    )
    manager = personas["manager"]
    comments = [s["comment"] for s in _api(api_client, manager, world, "/approvals").json()]
    assert HIDDEN["approval comment"] in comments and HIDDEN["contract return comment"] in comments
    assert _api(api_client, manager, world, "/price-adjustments").json()[0]["notes"] == HIDDEN["price notes"]
    assert (
        len(_api(api_client, manager, world, f"/price-adjustments/{world['clause'].pk}/values").json()) == 1
    )


def test_the_api_gives_the_vendor_no_renewal_planning(world, personas, api_client):
    mine = _api(api_client, personas["vendor_a"], world).json()
    assert (mine["renewal_decision"], mine["renewal_lead_days"]) == (None, None)
    assert mine["monthly_fee"] == 110000 and mine["code"] == world["contract"].code
    listed = api_client(personas["vendor_a"]).get("/api/v1/contracts/").json()["items"]
    assert [(c["renewal_decision"], c["renewal_lead_days"]) for c in listed] == [(None, None)]
    theirs = _api(api_client, personas["auditor"], world).json()
    assert (theirs["renewal_decision"], theirs["renewal_lead_days"]) == ("renegotiate", 90)


def test_the_api_versions_and_diff_leave_out_the_price_records_for_the_vendor(world, personas, api_client):
    vendor, manager = personas["vendor_a"], personas["manager"]
    versions = _api(api_client, vendor, world, "/versions").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert all("price_adjustments" not in v["snapshot"] for v in versions)
    assert "price_adjustments" in _api(api_client, manager, world, "/versions").json()[1]["snapshot"]
    vendor_rows = _api(api_client, vendor, world, "/versions/diff?a=1&b=2").json()
    buyer_rows = _api(api_client, manager, world, "/versions/diff?a=1&b=2").json()
    assert any(r["item"] == HIDDEN["price clause"] for r in buyer_rows)
    assert not any(r["item"] == HIDDEN["price clause"] for r in vendor_rows)
    assert any(r["item"] == "月服务费" for r in vendor_rows)


def test_the_api_gives_the_vendor_no_internal_documents(world, personas, api_client):
    vendor, manager = personas["vendor_a"], personas["manager"]
    assert [d["title"] for d in _api(api_client, vendor, world, "/documents").json()] == [
        SHOWN["signed copy"]
    ]
    assert _api(api_client, vendor, world, f"/documents/{world['memo'].pk}/download").status_code == 404
    assert _api(api_client, vendor, world, f"/documents/{world['signed'].pk}/download").status_code == 200
    docs = {d["title"]: d["internal"] for d in _api(api_client, manager, world, "/documents").json()}
    assert docs == {SHOWN["signed copy"]: False, HIDDEN["internal document"]: True}
    assert _api(api_client, manager, world, f"/documents/{world['memo'].pk}/download").status_code == 200


def test_the_api_uploads_an_internal_document(world, personas, api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/api/v1/contracts/{world['contract'].code}/documents"
    r = api_client(personas["manager"]).post(
        url, {"file": SimpleUploadedFile("n.pdf", PDF, "application/pdf"), "is_signed_copy": "false",
              "internal": "true", "title": "谈判纪要"},
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["internal"] is True
    refused = api_client(personas["manager"]).post(
        url, {"file": SimpleUploadedFile("s.pdf", PDF, "application/pdf"), "internal": "true"}
    )
    assert refused.status_code == 422 and "internal" in refused.json()["fields"]
    titles = [d["title"] for d in api_client(personas["vendor_a"]).get(url).json()]
    assert "谈判纪要" not in titles


def test_the_api_shows_vendor_b_nothing_of_vendor_as_contract(world, personas, api_client):
    vendor_b = personas["vendor_b"]
    for path in ("", "/amendments", "/approvals", "/price-adjustments", "/versions", "/documents",
                 f"/documents/{world['signed'].pk}/download", "/versions/diff?a=1&b=2"):  # fmt: skip
        assert _api(api_client, vendor_b, world, path).status_code == 404, path
    assert api_client(vendor_b).get("/api/v1/contracts/").json()["count"] == 0
