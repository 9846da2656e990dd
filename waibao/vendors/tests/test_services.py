import io
from datetime import date, timedelta

import pytest
import time_machine

from waibao.core.errors import ConflictError, DomainError
from waibao.core.models import AuditEvent
from waibao.vendors import services
from waibao.vendors.demo import tiny_pdf
from waibao.vendors.models import Certificate, StatusChange, Vendor, VendorDocument, certificate_state
from waibao.vendors.tests.factories import credit_code_for

pytestmark = pytest.mark.django_db


def make_vendor(actor, **kw):
    values = {"name": "深圳测试科技有限公司", "category": "it_services", "credit_code": credit_code_for(1)}
    values.update(kw)
    return services.create_vendor(actor=actor, **values)


def pdf(name="cert.pdf"):
    data = tiny_pdf("test")
    return services.Upload(name=name, stream=io.BytesIO(data), size=len(data))


def test_create_vendor_gives_next_code_and_audit_entry(manager):
    v = make_vendor(manager, tags=["运维", "7x24"])
    assert v.code == "V-0001"
    assert v.status == "prospect"
    assert sorted(t.name for t in v.tags.all()) == ["7x24", "运维"]
    event = AuditEvent.objects.get(verb="vendors.vendor.created")
    assert event.actor == manager and event.changes["name"] == [None, "深圳测试科技有限公司"]
    assert make_vendor(manager, credit_code=credit_code_for(2)).code == "V-0002"


def test_mainland_vendor_requires_credit_code(manager):
    with pytest.raises(DomainError) as exc:
        make_vendor(manager, credit_code="")
    assert "credit_code" in exc.value.fields


def test_invalid_credit_code_names_the_rule(manager):
    with pytest.raises(DomainError) as exc:
        make_vendor(manager, credit_code="914403007084611361")
    assert "校验码错误" in exc.value.fields["credit_code"] and "T" in exc.value.fields["credit_code"]
    assert not Vendor.objects.exists()


def test_duplicate_credit_code_is_refused(manager):
    first = make_vendor(manager)
    with pytest.raises(DomainError) as exc:
        make_vendor(manager, name="另一家")
    assert first.code in exc.value.fields["credit_code"]


def test_foreign_vendor_gives_registration_number_instead(manager):
    v = make_vendor(
        manager,
        country="IN",
        credit_code="",
        registration_number="U72200KA2009PTC049873",
        name="Bengaluru Code Works",
    )
    assert v.country == "IN" and v.credit_code == ""
    with pytest.raises(DomainError) as exc:
        make_vendor(manager, country="IN", credit_code="", registration_number="", name="No Number Ltd")
    assert "registration_number" in exc.value.fields


def test_lifecycle_follows_the_allowed_moves_and_records_why(manager):
    v = make_vendor(manager)
    services.change_vendor_status(vendor=v, actor=manager, to="onboarding", reason="资质初审通过")
    services.change_vendor_status(vendor=v, actor=manager, to="active")
    services.change_vendor_status(vendor=v, actor=manager, to="suspended", reason="SLA 连续未达标")
    services.change_vendor_status(vendor=v, actor=manager, to="active")
    moves = list(
        StatusChange.objects.filter(vendor=v).order_by("id").values_list("from_status", "to_status", "reason")
    )
    assert moves[1:] == [
        ("prospect", "onboarding", "资质初审通过"),
        ("onboarding", "active", ""),
        ("active", "suspended", "SLA 连续未达标"),
        ("suspended", "active", ""),
    ]
    assert all(sc.actor == manager for sc in StatusChange.objects.filter(vendor=v))


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ([], "active"),
        ([], "exited"),
        (["onboarding"], "suspended"),
        (["onboarding", "active"], "exited"),
        (["onboarding", "active"], "prospect"),
    ],
)
def test_moves_outside_the_lifecycle_are_refused(manager, path, to):
    v = make_vendor(manager)
    for step in path:
        services.change_vendor_status(vendor=v, actor=manager, to=step, reason="x")
    with pytest.raises(DomainError) as exc:
        services.change_vendor_status(vendor=v, actor=manager, to=to, reason="x")
    assert "to" in exc.value.fields


def test_blacklisting_needs_a_reason_and_works_from_any_state(manager):
    v = make_vendor(manager)
    with pytest.raises(DomainError) as exc:
        services.change_vendor_status(vendor=v, actor=manager, to="blacklisted", reason="  ")
    assert "reason" in exc.value.fields
    services.change_vendor_status(vendor=v, actor=manager, to="blacklisted", reason="虚假资质")
    v.refresh_from_db()
    assert v.status == "blacklisted" and v.allowed_moves() == []


def test_stale_edit_is_detected_not_overwritten(manager):
    v = make_vendor(manager)
    stale_version = v.version
    services.update_vendor(vendor=v, actor=manager, expected_version=stale_version, city="深圳")
    with pytest.raises(ConflictError):
        services.update_vendor(vendor=v, actor=manager, expected_version=stale_version, city="广州")
    v.refresh_from_db()
    assert v.city == "深圳"


def test_update_records_before_and_after(manager):
    v = make_vendor(manager)
    services.update_vendor(vendor=v, actor=manager, city="深圳", tags=["新标签"])
    event = AuditEvent.objects.get(verb="vendors.vendor.updated")
    assert event.changes["city"] == ["", "深圳"] and event.changes["tags"] == [[], ["新标签"]]


def test_only_one_primary_contact(manager):
    v = make_vendor(manager)
    a = services.add_contact(vendor=v, actor=manager, name="张三")
    b = services.add_contact(vendor=v, actor=manager, name="李四", is_primary=True)
    a.refresh_from_db()
    assert b.is_primary and not a.is_primary
    services.delete_contact(contact=b, actor=manager)
    a.refresh_from_db()
    assert a.is_primary


def test_contact_email_is_checked(manager):
    v = make_vendor(manager)
    with pytest.raises(DomainError) as exc:
        services.add_contact(vendor=v, actor=manager, name="张三", email="not-an-email")
    assert "email" in exc.value.fields


@pytest.mark.parametrize(
    ("until", "state"),
    [
        (date(2026, 11, 20), "expired"),
        (date(2026, 11, 21), "expiring"),
        (date(2027, 1, 20), "expiring"),
        (date(2027, 1, 21), "valid"),
    ],
)
def test_certificate_state_boundaries(until, state):
    assert certificate_state(until, date(2026, 11, 21), 60) == state


def test_certificate_state_follows_the_clock(manager):
    v = make_vendor(manager)
    cert = services.add_certificate(
        vendor=v, actor=manager, type="iso9001", number="Q-1", valid_until=date(2027, 3, 1)
    )
    with time_machine.travel(date(2026, 11, 1)):
        from waibao.vendors.queries import certificate_state as state_now

        assert state_now(cert) == "valid"
    with time_machine.travel(date(2027, 2, 1)):
        assert state_now(cert) == "expiring"
    with time_machine.travel(date(2027, 3, 2)):
        assert state_now(cert) == "expired"


def test_cmmi_needs_a_level_and_others_must_not_have_one(manager):
    v = make_vendor(manager)
    with pytest.raises(DomainError) as exc:
        services.add_certificate(
            vendor=v, actor=manager, type="cmmi_svc", number="C-1", valid_until=date(2028, 1, 1)
        )
    assert "level" in exc.value.fields
    services.add_certificate(
        vendor=v, actor=manager, type="cmmi_svc", level=3, number="C-1", valid_until=date(2028, 1, 1)
    )
    with pytest.raises(DomainError):
        services.add_certificate(
            vendor=v, actor=manager, type="iso9001", level=3, number="Q-1", valid_until=date(2028, 1, 1)
        )


def test_certificate_dates_must_be_in_order(manager):
    v = make_vendor(manager)
    with pytest.raises(DomainError) as exc:
        services.add_certificate(
            vendor=v,
            actor=manager,
            type="iso9001",
            number="Q",
            valid_from=date(2027, 1, 1),
            valid_until=date(2026, 1, 1),
        )
    assert "valid_until" in exc.value.fields


def test_uploaded_file_type_is_checked_by_content_not_name(manager):
    v = make_vendor(manager)
    doc = services.upload_document(vendor=v, actor=manager, upload=pdf("合同.docx"), type="contract")
    assert doc.file_type == "pdf"  # named .docx, but it is a PDF
    fake = b"MZ\x90\x00" + b"\x00" * 200  # an executable renamed to .pdf
    with pytest.raises(DomainError) as exc:
        services.upload_document(
            vendor=v,
            actor=manager,
            upload=services.Upload("invoice.pdf", io.BytesIO(fake), len(fake)),
            type="contract",
        )
    assert "file" in exc.value.fields
    assert VendorDocument.objects.count() == 1


def test_upload_size_limit_is_configurable(manager, settings):
    settings.WAIBAO_MAX_UPLOAD_MB = 1
    v = make_vendor(manager)
    big = tiny_pdf("x") + b"0" * (1024 * 1024)
    with pytest.raises(DomainError) as exc:
        services.upload_document(
            vendor=v,
            actor=manager,
            upload=services.Upload("big.pdf", io.BytesIO(big), len(big)),
            type="other",
        )
    assert "1 MB" in exc.value.fields["file"]


def test_stored_file_name_never_comes_from_the_user(manager):
    v = make_vendor(manager)
    doc = services.upload_document(vendor=v, actor=manager, upload=pdf("../../etc/passwd.pdf"), type="other")
    assert ".." not in doc.file.name and doc.file.name.startswith(f"vendors/{v.pk}/")
    assert doc.file_name == "passwd.pdf"


def rows(*dicts):
    return [(i + 2, d) for i, d in enumerate(dicts)]


def test_import_is_all_or_nothing_with_row_and_column_errors(manager):
    good = {"名称": "好供应商", "类别": "IT 服务", "统一社会信用代码": credit_code_for(5)}
    bad_code = {"名称": "坏供应商", "类别": "物流", "统一社会信用代码": "91440300708461136X"}
    bad_cat = {"名称": "无类别", "类别": "卖花", "统一社会信用代码": credit_code_for(6)}
    report = services.import_vendors(
        actor=manager, rows=rows(good, bad_code, bad_cat), headers=["名称", "类别", "统一社会信用代码"]
    )
    assert not report.ok
    assert (3, "统一社会信用代码") in [(r, c) for r, c, _m in report.errors]
    assert (4, "类别") in [(r, c) for r, c, _m in report.errors]
    assert not Vendor.objects.exists()


def test_import_refuses_duplicates_inside_the_file(manager):
    a = {"name": "A", "category": "it_services", "credit_code": credit_code_for(7)}
    b = {"name": "B", "category": "it_services", "credit_code": credit_code_for(7)}
    report = services.import_vendors(
        actor=manager, rows=rows(a, b), headers=["name", "category", "credit_code"]
    )
    assert [(r, c) for r, c, _m in report.errors] == [(3, "credit_code")]


def test_import_of_valid_rows_creates_vendors_with_primary_contact(manager):
    a = {
        "name": "A 公司",
        "category": "客户服务",
        "credit_code": credit_code_for(8),
        "contact_name": "王五",
        "contact_phone": "13800000000",
        "tags": "呼叫中心，夜班",
    }
    b = {"name": "Offshore Ltd", "category": "software", "country": "IN", "registration_number": "U123"}
    report = services.import_vendors(
        actor=manager, rows=rows(a, b), headers=[*a, "country", "registration_number"]
    )
    assert report.ok and len(report.created) == 2
    va = Vendor.objects.get(name="A 公司")
    assert va.category == "customer_service" and va.contacts.get().is_primary
    assert sorted(t.name for t in va.tags.all()) == ["呼叫中心", "夜班"]


def test_import_gbk_csv(manager):
    from waibao.lib.spreadsheets import read_table

    text = f"名称,类别,统一社会信用代码\n杭州测试有限公司,物流,{credit_code_for(9)}\n"
    table = read_table(io.BytesIO(text.encode("gbk")), "vendors.csv")
    report = services.import_vendors(actor=manager, rows=table.rows, headers=table.headers)
    assert report.ok and Vendor.objects.get().name == "杭州测试有限公司"


def test_audit_log_is_append_only(manager):
    v = make_vendor(manager)
    event = AuditEvent.objects.first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(object_id=str(v.pk)).update(message="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


def test_deleting_a_certificate_is_audited(manager):
    v = make_vendor(manager)
    cert = services.add_certificate(
        vendor=v,
        actor=manager,
        type="iso9001",
        number="Q-9",
        valid_until=date.today() + timedelta(days=10),
        upload=pdf(),
    )
    services.delete_certificate(certificate=cert, actor=manager)
    assert not Certificate.objects.exists()
    assert AuditEvent.objects.filter(verb="vendors.certificate.deleted", vendor_id=v.pk).exists()
