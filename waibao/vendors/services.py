"""Every write to the vendor archive. Views, the API, the portal and commands all come through here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from waibao.core import audit, clock
from waibao.core.errors import ConflictError, DomainError, require_transition
from waibao.core.files import Upload, store
from waibao.core.texts import join_clauses, join_list
from waibao.lib import creditcode
from waibao.vendors.models import (
    CMMI_TYPES,
    REASON_REQUIRED,
    TRANSITIONS,
    Category,
    Certificate,
    CertificateType,
    DocumentType,
    Size,
    StatusChange,
    Tag,
    Vendor,
    VendorContact,
    VendorDocument,
    VendorStatus,
)

VENDOR_FIELDS = [
    "name",
    "name_en",
    "credit_code",
    "registration_number",
    "country",
    "region",
    "city",
    "category",
    "size",
    "website",
    "notes",
]
CONTACT_FIELDS = ["name", "role", "phone", "email", "is_primary"]
CERT_FIELDS = ["type", "level", "number", "issuer", "scope", "valid_from", "valid_until", "file_name"]


# --- validation shared by forms, API and import ------------------------------------------------


def clean_vendor_values(values: dict[str, Any], *, instance: Vendor | None = None) -> dict[str, Any]:
    """Normalise and check vendor fields; raise DomainError with every failing field at once."""
    errors: dict[str, str] = {}
    data = {k: v for k, v in values.items() if k in VENDOR_FIELDS}
    for key in (
        "name",
        "name_en",
        "credit_code",
        "registration_number",
        "region",
        "city",
        "website",
        "notes",
    ):
        if key in data:
            data[key] = (data[key] or "").strip()
    if "country" in data:
        data["country"] = (data["country"] or "").strip().upper()
    merged = {f: getattr(instance, f) for f in VENDOR_FIELDS} if instance else {}
    merged.update(data)

    if not merged.get("name"):
        errors["name"] = _("名称不能为空。")
    country = merged.get("country") or "CN"
    if not re.fullmatch(r"[A-Z]{2}", country):
        errors["country"] = _("国家/地区须为两位字母代码，如 CN、IN。")
    # The choices by name in the reader's language (never the stored codes).
    if not merged.get("category"):
        errors["category"] = _("类别不能为空，可选：%(c)s。") % {"c": join_list(Category.labels)}
    elif merged["category"] not in Category.values:
        errors["category"] = _("类别“%(v)s”无效，可选：%(c)s。") % {
            "v": merged["category"],
            "c": join_list(Category.labels),
        }
    if merged.get("size") and merged["size"] not in Size.values:
        errors["size"] = _("规模“%(v)s”无效，可选：%(c)s。") % {
            "v": merged["size"],
            "c": join_list(Size.labels),
        }
    code = merged.get("credit_code") or ""
    if country == "CN":
        if not code:
            errors["credit_code"] = _("中国大陆注册的供应商必须填写统一社会信用代码。")
        else:
            try:
                data["credit_code"] = creditcode.validate(code)
            except creditcode.CreditCodeError as exc:
                errors["credit_code"] = _("统一社会信用代码无效：%(rule)s。") % {
                    "rule": _credit_rule(str(exc))
                }
            else:
                dup = Vendor.objects.filter(credit_code=data["credit_code"])
                if instance is not None:
                    dup = dup.exclude(pk=instance.pk)
                other = dup.first()
                if other is not None:
                    errors["credit_code"] = _("该统一社会信用代码已被供应商 %(code)s 使用。") % {
                        "code": other.code
                    }
    else:
        if code:
            errors["credit_code"] = _("境外供应商不填写统一社会信用代码，请填写注册号。")
        if not merged.get("registration_number"):
            errors["registration_number"] = _("境外供应商必须填写其注册号。")
        else:
            dup = Vendor.objects.filter(country=country, registration_number=merged["registration_number"])
            if instance is not None:
                dup = dup.exclude(pk=instance.pk)
            other = dup.first()
            if other is not None:
                errors["registration_number"] = _("该注册号已被供应商 %(code)s 使用。") % {"code": other.code}
    if merged.get("website"):
        try:
            URLValidator()(merged["website"])
        except ValidationError:
            errors["website"] = _("网址格式不正确，应以 http:// 或 https:// 开头。")
    _check_lengths(Vendor, data, errors)
    if errors:
        raise DomainError(
            _("供应商信息有误：%(fields)s") % {"fields": join_clauses(errors.values())}, fields=errors
        )
    return data


def _check_lengths(model: Any, data: dict[str, Any], errors: dict[str, str]) -> None:
    """Text longer than its column holds (an imported cell may hold 32,767 characters): refused here,
    by name, rather than by the database (PostgreSQL: an error; SQLite: stored whole)."""
    for key, value in data.items():
        limit = getattr(model._meta.get_field(key), "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            errors.setdefault(
                key,
                _("%(field)s最多 %(n)s 个字符（现为 %(len)s 个）。")
                % {"field": model._meta.get_field(key).verbose_name, "n": limit, "len": f"{len(value):,}"},
            )


def _credit_rule(message: str) -> str:
    # creditcode speaks English for its own tests; translate the rule for the user.
    if message.startswith("length"):
        return _("长度必须为 18 位（当前 %(n)s 位）") % {"n": message.rsplit(" ", 1)[-1]}
    if message.startswith("characters not allowed"):
        chars = message.split(": ", 1)[1].split(" (", 1)[0]
        return _("含有不允许的字符 %(c)s（不使用 I、O、S、V、Z）") % {"c": chars}
    if message.startswith("first character"):
        return _("第 1 位不是有效的登记管理部门代码")
    if message.startswith("characters 3"):
        return _("第 3–8 位必须是数字（行政区划码）")
    if message.startswith("check character"):
        expected = message.split("should be ", 1)[1].split(",", 1)[0]
        return _("校验码错误（第 18 位应为 %(c)s）") % {"c": expected}
    return message


def next_vendor_code() -> str:
    last = (
        Vendor.objects.filter(code__regex=r"^V-\d+$").order_by("-code").values_list("code", flat=True).first()
    )
    n = int(last.split("-")[1]) + 1 if last else 1
    return f"V-{n:04d}"


def _set_tags(vendor: Vendor, tags: Iterable[str] | None) -> list[str] | None:
    if tags is None:
        return None
    names = sorted({t.strip()[:40] for t in tags if t and t.strip()})
    objs = [Tag.objects.get_or_create(name=n)[0] for n in names]
    vendor.tags.set(objs)
    return names


# --- vendors -------------------------------------------------------------------------------------


@transaction.atomic
def create_vendor(
    *, actor: Any, tags: Iterable[str] | None = None, code: str | None = None, **values: Any
) -> Vendor:
    data = clean_vendor_values({"country": "CN", **values})
    vendor = Vendor(code=code or next_vendor_code(), status=VendorStatus.PROSPECT, **data)
    try:
        with transaction.atomic():
            vendor.save()
    except IntegrityError:
        raise DomainError(
            _("编号或代码重复，请重试。"), fields={"code": _("编号重复。")}, code="conflict", status=409
        )
    tag_names = _set_tags(vendor, tags)
    StatusChange.objects.create(
        vendor=vendor,
        from_status="",
        to_status=vendor.status,
        actor=_user(actor),
        at=clock.now(),
        reason=_("新建"),
    )
    changes = audit.created(vendor, ["code", *VENDOR_FIELDS, "status"])
    if tag_names:
        changes["tags"] = [None, tag_names]
    audit.record(actor, "vendors.vendor.created", vendor, changes=changes)
    return vendor


@transaction.atomic
def update_vendor(
    *,
    vendor: Vendor,
    actor: Any,
    expected_version: int | None = None,
    tags: Iterable[str] | None = None,
    **values: Any,
) -> Vendor:
    data = clean_vendor_values(values, instance=vendor)
    before = audit.snapshot(vendor, VENDOR_FIELDS)
    before_tags = sorted(vendor.tags.values_list("name", flat=True))
    version = vendor.version if expected_version is None else expected_version
    # Conditional update: if someone saved since this user loaded the form, refuse instead of overwriting.
    updated = Vendor.objects.filter(pk=vendor.pk, version=version).update(
        version=F("version") + 1, updated_at=clock.now(), **data
    )
    if not updated:
        raise ConflictError(_("该供应商已被其他人修改，请刷新后重试。"))
    vendor.refresh_from_db()
    tag_names = _set_tags(vendor, tags)
    changes = audit.diff(before, audit.snapshot(vendor, VENDOR_FIELDS))
    if tag_names is not None and tag_names != before_tags:
        changes["tags"] = [before_tags, tag_names]
    if changes:
        audit.record(actor, "vendors.vendor.updated", vendor, changes=changes)
    return vendor


@transaction.atomic
def change_vendor_status(*, vendor: Vendor, actor: Any, to: str, reason: str = "") -> Vendor:
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    if to not in VendorStatus.values:
        raise DomainError(_("未知状态 %(s)s。") % {"s": to}, fields={"to": _("未知状态。")})
    require_transition(TRANSITIONS, vendor.status, to, VendorStatus, field="to")
    reason = (reason or "").strip()
    if to in REASON_REQUIRED and not reason:
        raise DomainError(
            _("变更为“%(b)s”必须填写原因。") % {"b": VendorStatus(to).label},
            fields={"reason": _("必须填写原因。")},
        )
    old = vendor.status
    vendor.status = to
    vendor.version += 1
    vendor.save(update_fields=["status", "version", "updated_at"])
    StatusChange.objects.create(
        vendor=vendor, from_status=old, to_status=to, reason=reason, actor=_user(actor), at=clock.now()
    )
    audit.record(
        actor, "vendors.vendor.status_changed", vendor, changes={"status": [old, to]}, message=reason
    )
    return vendor


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# --- contacts ------------------------------------------------------------------------------------


def _clean_contact(values: dict[str, Any]) -> dict[str, Any]:
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if k in CONTACT_FIELDS}
    errors = {}
    if not data.get("name"):
        errors["name"] = _("姓名不能为空。")
    if data.get("email"):
        try:
            EmailValidator()(data["email"])
        except ValidationError:
            errors["email"] = _("邮箱格式不正确。")
    if data.get("phone") and not re.fullmatch(r"[0-9+\-() ]{5,40}", data["phone"]):
        errors["phone"] = _("电话只能包含数字、空格和 + - ( )。")
    _check_lengths(VendorContact, {k: v for k, v in data.items() if k != "is_primary"}, errors)
    if errors:
        raise DomainError(_("联系人信息有误。"), fields=errors)
    return data


@transaction.atomic
def add_contact(*, vendor: Vendor, actor: Any, **values: Any) -> VendorContact:
    data = _clean_contact(values)
    first = not vendor.contacts.exists()
    if data.get("is_primary") or first:
        vendor.contacts.filter(is_primary=True).update(is_primary=False)
        data["is_primary"] = True
    contact = VendorContact.objects.create(vendor=vendor, **data)
    audit.record(actor, "vendors.contact.created", contact, changes=audit.created(contact, CONTACT_FIELDS))
    return contact


@transaction.atomic
def update_contact(*, contact: VendorContact, actor: Any, **values: Any) -> VendorContact:
    merged = {**audit.snapshot(contact, CONTACT_FIELDS), **values}
    data = _clean_contact(merged)
    before = audit.snapshot(contact, CONTACT_FIELDS)
    if data.get("is_primary") and not contact.is_primary:
        contact.vendor.contacts.exclude(pk=contact.pk).filter(is_primary=True).update(is_primary=False)
    for k, v in data.items():
        setattr(contact, k, v)
    contact.version += 1
    contact.save(update_fields=[*data.keys(), "version", "updated_at"])
    changes = audit.diff(before, audit.snapshot(contact, CONTACT_FIELDS))
    if changes:
        audit.record(actor, "vendors.contact.updated", contact, changes=changes)
    return contact


@transaction.atomic
def delete_contact(*, contact: VendorContact, actor: Any) -> None:
    audit.record(
        actor,
        "vendors.contact.deleted",
        contact,
        changes={k: [v, None] for k, v in audit.snapshot(contact, CONTACT_FIELDS).items()},
    )
    was_primary, vendor = contact.is_primary, contact.vendor
    contact.delete()
    if was_primary:
        nxt = vendor.contacts.order_by("name").first()
        if nxt is not None:
            nxt.is_primary = True
            nxt.save(update_fields=["is_primary"])


# Uploads are checked and stored by waibao.core.files (Upload, check_upload, store), shared by every app.


# --- certificates --------------------------------------------------------------------------------


def _clean_certificate(values: dict[str, Any]) -> dict[str, Any]:
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if k in CERT_FIELDS}
    errors = {}
    if data.get("type") not in CertificateType.values:
        errors["type"] = _("证书类型无效。")
    if not data.get("number"):
        errors["number"] = _("证书编号不能为空。")
    level = data.get("level")
    if data.get("type") in CMMI_TYPES:
        if level in (None, ""):
            errors["level"] = _("CMMI 证书必须填写成熟度等级（1–5）。")
        elif not (1 <= int(str(level)) <= 5):
            errors["level"] = _("CMMI 等级必须在 1 到 5 之间。")
    elif level not in (None, ""):
        errors["level"] = _("只有 CMMI 证书有等级。")
    else:
        data["level"] = None
    vf, vu = data.get("valid_from"), data.get("valid_until")
    if isinstance(vf, date) and isinstance(vu, date) and vu < vf:
        errors["valid_until"] = _("有效期至不能早于生效日期。")
    if not vu:
        errors["valid_until"] = _("请填写有效期至。")
    if errors:
        raise DomainError(_("证书信息有误。"), fields=errors)
    return data


@transaction.atomic
def add_certificate(
    *, vendor: Vendor, actor: Any, upload: Upload | None = None, **values: Any
) -> Certificate:
    data = _clean_certificate(values)
    cert = Certificate(vendor=vendor, **data)
    if upload is not None:
        store(cert, upload)
    cert.save()
    audit.record(actor, "vendors.certificate.created", cert, changes=audit.created(cert, CERT_FIELDS))
    return cert


@transaction.atomic
def update_certificate(
    *, certificate: Certificate, actor: Any, upload: Upload | None = None, **values: Any
) -> Certificate:
    before = audit.snapshot(certificate, CERT_FIELDS)
    merged = {**{k: getattr(certificate, k) for k in CERT_FIELDS}, **values}
    data = _clean_certificate(merged)
    for k, v in data.items():
        setattr(certificate, k, v)
    if upload is not None:
        store(certificate, upload)
    certificate.version += 1
    certificate.save()
    changes = audit.diff(before, audit.snapshot(certificate, CERT_FIELDS))
    if changes:
        audit.record(actor, "vendors.certificate.updated", certificate, changes=changes)
    return certificate


@transaction.atomic
def delete_certificate(*, certificate: Certificate, actor: Any) -> None:
    audit.record(
        actor,
        "vendors.certificate.deleted",
        certificate,
        changes={k: [v, None] for k, v in audit.snapshot(certificate, CERT_FIELDS).items()},
    )
    f = certificate.file
    certificate.delete()
    if f:
        transaction.on_commit(lambda: f.storage.delete(f.name))


# --- documents -----------------------------------------------------------------------------------


@transaction.atomic
def upload_document(
    *, vendor: Vendor, actor: Any, upload: Upload, type: str, title: str = ""
) -> VendorDocument:
    if type not in DocumentType.values:
        raise DomainError(_("文档类型无效。"), fields={"type": _("文档类型无效。")})
    doc = VendorDocument(vendor=vendor, type=type, uploaded_by=_user(actor))
    store(doc, upload)
    doc.title = (title or doc.file_name).strip()[:200]
    doc.save()
    audit.record(
        actor,
        "vendors.document.uploaded",
        doc,
        changes=audit.created(doc, ["type", "title", "file_name", "file_type", "size"]),
    )
    return doc


@transaction.atomic
def delete_document(*, document: VendorDocument, actor: Any) -> None:
    audit.record(actor, "vendors.document.deleted", document, changes={"title": [document.title, None]})
    f = document.file
    document.delete()
    transaction.on_commit(lambda: f.storage.delete(f.name))


# --- import --------------------------------------------------------------------------------------

# Accepted headers for each field: English (as in the export) and Chinese.
IMPORT_COLUMNS: dict[str, list[str]] = {
    "name": ["name", "名称", "供应商名称"],
    "name_en": ["name_en", "英文名称"],
    "credit_code": ["credit_code", "统一社会信用代码"],
    "registration_number": ["registration_number", "注册号", "注册号（境外）"],
    "country": ["country", "国家/地区", "国家"],
    "region": ["region", "省份/地区", "省份"],
    "city": ["city", "城市"],
    "category": ["category", "类别"],
    "size": ["size", "规模"],
    "website": ["website", "网站"],
    "notes": ["notes", "备注"],
    "tags": ["tags", "标签"],
    "contact_name": ["contact_name", "联系人"],
    "contact_phone": ["contact_phone", "联系电话"],
    "contact_email": ["contact_email", "联系邮箱"],
}


def example_sheet_title() -> str:
    """The template's sheet with the example vendor and the column guide (never read by the import)."""
    return _("示例与说明")


@dataclass
class ImportReport:
    created: list[Vendor] = field(default_factory=list)
    updated: list[Vendor] = field(default_factory=list)
    unchanged: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected(self) -> int:
        """Rows with at least one error."""
        return len({r for r, _c, _m in self.errors})


@dataclass
class _ImportRow:
    row: int
    values: dict[str, Any]
    tags: list[str] | None
    contact: dict[str, str]
    vendor: Vendor | None = None  # the vendor this row updates (None: a new vendor)
    version: int = 0


def _choice_value(raw: Any, choices: Any) -> Any:
    """Accept a choice by its value or by its label in either language."""
    if raw in (None, ""):
        return ""
    text = str(raw).strip()
    from django.utils import translation

    for value, label in choices.choices:
        if text.lower() == str(value).lower():
            return value
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                if text == str(label):
                    return value
    return text  # left as given so validation names it


def _identity(values: dict[str, Any]) -> tuple[str, str] | None:
    """What names a vendor across files: its credit code (mainland China) or its country and
    registration number (elsewhere)."""
    country = (values.get("country") or "CN").strip().upper()
    if country == "CN":
        code = creditcode.normalize(values.get("credit_code") or "")
        return ("CN", code) if code else None
    number = (values.get("registration_number") or "").strip()
    return (country, number) if number else None


def _existing(identity: tuple[str, str] | None) -> Vendor | None:
    if identity is None:
        return None
    country, key = identity
    if country == "CN":
        return Vendor.objects.filter(credit_code=key).first()
    return Vendor.objects.filter(country=country, registration_number=key).first()


def _contact_changes(vendor: Vendor, contact: dict[str, str]) -> bool:
    """Whether the row's contact is new to the vendor, or gives it another phone or e-mail."""
    found = vendor.contacts.filter(name=contact["name"]).first()
    if found is None:
        return True
    return any(contact.get(k) and contact[k] != getattr(found, k) for k in ("phone", "email"))


def import_vendors(
    *,
    actor: Any,
    rows: Iterable[tuple[int, dict[str, Any]]],
    headers: list[str],
    progress: Callable[[int], None] | None = None,
    every: int = 200,
    finish: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Validate every row first; import nothing unless all rows are valid (all or nothing).

    A row whose credit code (or, abroad, country and registration number) belongs to a vendor already
    in the archive updates that vendor: its non-empty cells replace the stored values, an empty cell
    keeps the stored one, and a row that changes nothing counts as unchanged. ``progress(rows read)``
    is called every ``every`` rows while they are checked and once more before anything is stored (a
    background job reports, and may stop, there); ``finish(report)`` runs inside the transaction that
    stores the vendors (a job records its end in it: both, or neither)."""
    report = ImportReport()
    colmap: dict[str, str] = {}
    for key, names in IMPORT_COLUMNS.items():
        for h in headers:
            if h.strip().lower() in [n.lower() for n in names]:
                colmap[key] = h
    if "name" not in colmap:
        report.errors.append((1, "name", _("缺少“名称”列（name 或 名称）。")))
        return report
    if "category" not in colmap:
        report.errors.append((1, "category", _("缺少“类别”列（category 或 类别）。")))
        return report
    parsed: list[_ImportRow] = []
    seen: dict[tuple[str, str], int] = {}
    for rownum, row in rows:
        report.rows += 1
        if progress is not None and report.rows % every == 0:
            progress(report.rows)
        values: dict[str, Any] = {
            k: "" if row.get(col) is None else str(row.get(col)).strip() for k, col in colmap.items()
        }
        values["category"] = _choice_value(values.get("category"), Category)
        values["size"] = _choice_value(values.get("size"), Size)
        raw_tags = values.pop("tags", "") or ""
        tags = [t for t in re.split(r"[,，;；]", raw_tags) if t.strip()]
        contact: dict[str, str] = {k[8:]: values.pop(k) for k in list(values) if k.startswith("contact_")}
        identity = _identity(values)
        vendor = _existing(identity)
        item = _ImportRow(rownum, values, tags, contact)
        found: list[tuple[str, str]] = []  # (field, message)
        if vendor is None:
            values["country"] = values.get("country") or "CN"
            try:
                clean_vendor_values(values)
            except DomainError as exc:
                found += exc.fields.items()
        else:
            # Only what the row gives replaces the stored values.
            given = {k: v for k, v in values.items() if v != ""}
            try:
                data = clean_vendor_values(given, instance=vendor)
            except DomainError as exc:
                found += exc.fields.items()
                data = {}
            item.values = {k: v for k, v in data.items() if getattr(vendor, k) != v}
            stored_tags = sorted(vendor.tags.values_list("name", flat=True))
            if not raw_tags.strip() or sorted({t.strip()[:40] for t in tags}) == stored_tags:
                item.tags = None  # no tags given, or the same: left as they are
            item.vendor, item.version = vendor, vendor.version
        if identity is not None:
            if identity in seen:
                dup_field, dup_message = (
                    ("credit_code", _("与第 %(r)s 行的统一社会信用代码重复。"))
                    if identity[0] == "CN"
                    else ("registration_number", _("与第 %(r)s 行的注册号重复。"))
                )
                found.append((dup_field, dup_message % {"r": seen[identity]}))
            seen[identity] = rownum
        if contact.get("name"):
            try:
                _clean_contact(contact)
            except DomainError as exc:
                found += [("contact_" + f, m) for f, m in exc.fields.items()]
        for fname, message in found:
            report.errors.append((rownum, colmap.get(fname, fname), message))
        if item.vendor is not None and not (
            item.values
            or item.tags is not None
            or (contact.get("name") and _contact_changes(item.vendor, contact))
        ):
            report.unchanged += 1
            continue
        parsed.append(item)
    if report.rows == 0:
        report.errors.append(
            (
                2,
                "",
                _(
                    "没有导入任何供应商：第一个工作表的表头下面没有数据行（模板中的示例在“%(s)s”工作表中，不会被导入）。"
                )
                % {"s": example_sheet_title()},
            )
        )
    if report.errors:
        return report
    if progress is not None:
        progress(report.rows)
    with transaction.atomic():
        for item in parsed:
            if item.vendor is None:
                vendor = create_vendor(actor=actor, tags=item.tags, **item.values)
                report.created.append(vendor)
            else:
                try:
                    vendor = update_vendor(
                        vendor=item.vendor,
                        actor=actor,
                        expected_version=item.version,
                        tags=item.tags,
                        **item.values,
                    )
                except ConflictError:
                    raise ConflictError(
                        _("第 %(r)s 行的供应商 %(code)s 在导入期间被其他人修改，未导入任何数据。请重新导入。")
                        % {"r": item.row, "code": item.vendor.code}
                    ) from None
                report.updated.append(vendor)
            _import_contact(vendor, item.contact, actor)
        if finish is not None:
            finish(report)
    return report


def _import_contact(vendor: Vendor, contact: dict[str, str], actor: Any) -> None:
    """The row's contact becomes the vendor's primary contact; one of that name already there gets the
    row's phone and e-mail where the row gives them."""
    if not contact.get("name"):
        return
    found = vendor.contacts.filter(name=contact["name"]).first()
    if found is None:
        add_contact(vendor=vendor, actor=actor, **contact, is_primary=True)
        return
    changes = {
        k: contact[k] for k in ("phone", "email") if contact.get(k) and contact[k] != getattr(found, k)
    }
    if changes:
        update_contact(contact=found, actor=actor, **changes)
