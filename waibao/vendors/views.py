"""Vendor archive pages. Each view parses input, calls a service, and renders; rules live in services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from waibao.accounts import policy
from waibao.core import access as core_access
from waibao.core.actions import Refusal, act, refuse
from waibao.core.errors import DomainError
from waibao.core.files import attachment, from_uploaded
from waibao.core.forms import apply_domain_error
from waibao.core.models import AuditEvent
from waibao.core.registry import render_panels
from waibao.lib.spreadsheets import XLSX_MIME, write_xlsx
from waibao.vendors import access, imports, queries, services
from waibao.vendors.forms import (
    CertificateForm,
    ContactForm,
    DocumentForm,
    ImportForm,
    StatusForm,
    VendorForm,
)
from waibao.vendors.models import (
    Category,
    CertificateState,
    ImportStatus,
    Vendor,
    VendorImportJob,
    VendorStatus,
)


@login_required
def vendor_list(request: HttpRequest) -> HttpResponse:
    filters = queries.VendorFilter.from_params(request.GET)
    qs = queries.vendor_list(request.user, filters)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    ctx = {
        "page": page,
        "filters": filters,
        "categories": Category.choices,
        "statuses": VendorStatus.choices,
        "cert_states": [*CertificateState.choices, ("none", _("无证书"))],
        "warn_days": queries.warn_days(),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "vendors/vendor_list.html#results", ctx)
    return render(request, "vendors/vendor_list.html", ctx)


# Lazy: the list is built once at import, the headers are read in each reader's language.
EXPORT_HEADERS = [
    ("code", _lazy("编号")),
    ("name", _lazy("名称")),
    ("name_en", _lazy("英文名称")),
    ("credit_code", _lazy("统一社会信用代码")),
    ("registration_number", _lazy("注册号（境外）")),
    ("country", _lazy("国家/地区")),
    ("region", _lazy("省份/地区")),
    ("city", _lazy("城市")),
    ("category", _lazy("类别")),
    ("size", _lazy("规模")),
    ("status", _lazy("状态")),
    ("website", _lazy("网站")),
    ("tags", _lazy("标签")),
    ("contact_name", _lazy("联系人")),
    ("contact_phone", _lazy("联系电话")),
    ("contact_email", _lazy("联系邮箱")),
    ("expired_count", _lazy("已过期证书")),
    ("next_expiry", _lazy("有效证书下次到期")),
    ("notes", _lazy("备注")),
]


@login_required
def vendor_export(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "export")
    qs = queries.vendor_list(request.user, queries.VendorFilter.from_params(request.GET))

    def rows() -> Any:
        for v in qs:
            c = v.primary_contacts[0] if v.primary_contacts else None  # type: ignore[attr-defined]
            yield [
                v.code,
                v.name,
                v.name_en,
                v.credit_code,
                v.registration_number,
                v.country,
                v.region,
                v.city,
                v.get_category_display(),
                v.get_size_display(),
                v.get_status_display(),
                v.website,
                ", ".join(t.name for t in v.tags.all()),
                c.name if c else "",
                c.phone if c else "",
                c.email if c else "",
                v.expired_count,  # type: ignore[attr-defined]
                v.next_expiry,  # type: ignore[attr-defined]
                v.notes,
            ]

    data = write_xlsx([(_("供应商"), [str(h) for _k, h in EXPORT_HEADERS], rows())])
    response = HttpResponse(data, content_type=XLSX_MIME)
    response["Content-Disposition"] = 'attachment; filename="vendors.xlsx"'
    return response


@login_required
def vendor_import(request: HttpRequest) -> HttpResponse:
    """Upload a vendor list: checked for what can be answered at once (type, size, rows, a zip bomb),
    then imported in the background; the job's page follows it."""
    policy.require(request.user, "vendors.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.start_import(actor=request.user, upload=from_uploaded(form.cleaned_data["file"]))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("vendors:import-job", pk=job.pk)
    return render(
        request,
        "vendors/vendor_import.html",
        {
            "form": form,
            "columns": services.IMPORT_COLUMNS,
            "limits": imports.limits_in_words(),
            "recent": VendorImportJob.objects.select_related("created_by")[:5],
        },
    )


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = imports.current(access.get_import_job(request.user, pk))
    ctx = {"job": job}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "vendors/import_job.html#progress", ctx)
    return render(request, "vendors/import_job.html", ctx)


@login_required
@require_POST
def import_job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.get_import_job(request.user, pk)
    try:
        imports.cancel_import(job=job, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if job.status == ImportStatus.RUNNING:
            messages.info(request, _("已请求取消；已检查的行不会写入。"))
    return redirect("vendors:import-job", pk=job.pk)


@login_required
def vendor_import_template(request: HttpRequest) -> HttpResponse:
    """The import template: the first sheet (the one imported) has the header row only; the example
    vendor and what each column takes are on a second sheet, which the import never reads — so an
    untouched template imports no vendor."""
    from waibao.vendors.models import Size

    headers = [names[1] if len(names) > 1 else names[0] for names in services.IMPORT_COLUMNS.values()]
    example = [
        "深圳示例科技有限公司",
        "Example Tech",
        "91440300708461136T",
        "",
        "CN",
        "广东",
        "深圳",
        str(Category.IT.label),
        str(Size.MEDIUM.label),
        "https://example.com",
        "",
        "运维, 7x24",
        "张三",
        "13800000000",
        "zhangsan@example.com",
    ]
    help_texts = {
        "name": _("必填。"),
        "credit_code": _("中国大陆供应商必填，18 位。"),
        "registration_number": _("境外供应商填写。"),
        "country": _("国家代码，例如 CN、US；不填为 CN。"),
        "category": _("必填。可选：%(c)s")
        % {"c": _("、").join(str(label) for _v, label in Category.choices)},
        "size": _("可选：%(c)s") % {"c": _("、").join(str(label) for _v, label in Size.choices)},
        "tags": _("多个标签用逗号分隔。"),
        "contact_name": _("填写后作为主要联系人。"),
    }
    guide = [
        [
            _("本工作表只是示例和说明，导入时不会读取。请在第一个工作表“%(s)s”中填写，每行一家供应商。")
            % {"s": _("供应商")},
            "",
            "",
        ],
        *[
            [header, value, help_texts.get(key, "")]
            for (key, _names), header, value in zip(
                services.IMPORT_COLUMNS.items(), headers, example, strict=True
            )
        ],
    ]
    data = write_xlsx(
        [
            (_("供应商"), headers, []),
            (services.example_sheet_title(), [_("列"), _("示例"), _("说明")], guide),
        ]
    )
    response = HttpResponse(data, content_type=XLSX_MIME)
    response["Content-Disposition"] = 'attachment; filename="vendor-import-template.xlsx"'
    return response


@login_required
def vendor_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "vendors.write")
    form = VendorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("tags", "version")}
        try:
            vendor = services.create_vendor(actor=request.user, tags=form.tag_list(), **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("供应商 %(code)s 已创建。") % {"code": vendor.code})
            return redirect("vendors:detail", pk=vendor.pk)
    return render(request, "vendors/vendor_form.html", {"form": form, "vendor": None})


@login_required
def vendor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = access.get_vendor(request.user, pk, write=True)
    form = VendorForm(request.POST or None, initial=VendorForm.initial_for(vendor))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("tags", "version")}
        try:
            services.update_vendor(
                vendor=vendor,
                actor=request.user,
                expected_version=form.cleaned_data.get("version") or vendor.version,
                tags=form.tag_list(),
                **data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("vendors:detail", pk=vendor.pk)
    return render(request, "vendors/vendor_form.html", {"form": form, "vendor": vendor})


@login_required
def vendor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _vendor_page(request, access.get_vendor(request.user, pk))


def _vendor_page(request: HttpRequest, vendor: Any, refused: Refusal | None = None) -> HttpResponse:
    """The vendor's 360° page; after a refused status change its form keeps the choice and the reason."""
    today = queries.clock.today()
    certs = [(c, c.state(today, queries.warn_days())) for c in vendor.certificates.all()]
    ctx: dict[str, Any] = {
        "vendor": vendor,
        "contacts": vendor.contacts.all(),
        "certificates": certs,
        "documents": vendor.documents.select_related("uploaded_by"),
        "status_changes": vendor.status_changes.select_related("actor"),
        # The whole archive's trail (the vendor and its contacts, certificates, documents), not only the
        # vendor row's: gated by the Vendor rule's `history` (buyers only).
        "history": AuditEvent.objects.filter(
            vendor_id=vendor.pk, object_type__startswith="vendors."
        ).select_related("actor")[:30]
        if core_access.may_see_history(request.user, Vendor)
        else [],
        "status_form": StatusForm(initial={"to": (vendor.allowed_moves() or [""])[0]}),
        "allowed_moves": [(s, VendorStatus(s).label) for s in vendor.allowed_moves()],
        "can_edit": policy.can(request.user, "vendors.write"),
        "can_edit_archive": policy.can(request.user, "vendors.archive.write"),
        "panels": render_panels("vendor", request, vendor=vendor),
        "refused": refused,
    }
    return render(request, "vendors/vendor_detail.html", ctx)


@login_required
@require_POST
def vendor_status(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = access.get_vendor(request.user, pk, write=True, action="vendors.status")
    form = StatusForm(request.POST)

    def page(refused: Refusal) -> HttpResponse:
        return _vendor_page(request, access.get_vendor(request.user, pk), refused)

    if not form.is_valid():
        msg = _("请选择有效的状态。")
        return refuse(request, "status", DomainError(msg, fields={"to": msg}), page)
    to = form.cleaned_data["to"]
    return act(
        request,
        "status",
        lambda: services.change_vendor_status(
            vendor=vendor, actor=request.user, to=to, reason=form.cleaned_data["reason"]
        ),
        ok=_("状态已变更为“%(s)s”。") % {"s": VendorStatus(to).label},
        done=lambda _r: redirect("vendors:detail", pk=vendor.pk),
        page=page,
    )


# --- contacts ------------------------------------------------------------------------------------


@login_required
def contact_edit(request: HttpRequest, pk: int, contact_pk: int | None = None) -> HttpResponse:
    vendor = access.get_vendor(request.user, pk)
    access.require_archive_write(request.user, vendor)
    contact = access.get_contact(request.user, contact_pk, write=True) if contact_pk else None
    if contact is not None and contact.vendor_id != vendor.pk:
        raise Http404
    initial = {f: getattr(contact, f) for f in services.CONTACT_FIELDS} if contact else {}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if contact is None:
                services.add_contact(vendor=vendor, actor=request.user, **form.cleaned_data)
            else:
                services.update_contact(contact=contact, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("联系人已保存。"))
            return redirect("vendors:detail", pk=vendor.pk)
    return render(
        request,
        "vendors/simple_form.html",
        {"form": form, "vendor": vendor, "title": _("联系人"), "multipart": False},
    )


@login_required
@require_POST
def contact_delete(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = access.get_contact(request.user, contact_pk, write=True)
    vendor_pk = contact.vendor_id
    services.delete_contact(contact=contact, actor=request.user)
    messages.success(request, _("联系人已删除。"))
    return redirect("vendors:detail", pk=vendor_pk)


# --- certificates --------------------------------------------------------------------------------


@login_required
def certificate_edit(request: HttpRequest, pk: int, cert_pk: int | None = None) -> HttpResponse:
    vendor = access.get_vendor(request.user, pk)
    access.require_archive_write(request.user, vendor)
    cert = access.get_certificate(request.user, cert_pk, write=True) if cert_pk else None
    if cert is not None and cert.vendor_id != vendor.pk:
        raise Http404
    initial = (
        {
            f: getattr(cert, f)
            for f in ["type", "level", "number", "issuer", "scope", "valid_from", "valid_until"]
        }
        if cert
        else {}
    )
    form = CertificateForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = from_uploaded(data.pop("file"))
        try:
            if cert is None:
                services.add_certificate(vendor=vendor, actor=request.user, upload=upload, **data)
            else:
                services.update_certificate(certificate=cert, actor=request.user, upload=upload, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("证书已保存。"))
            return redirect("vendors:detail", pk=vendor.pk)
    return render(
        request,
        "vendors/simple_form.html",
        {"form": form, "vendor": vendor, "title": _("资质证书"), "multipart": True},
    )


@login_required
@require_POST
def certificate_delete(request: HttpRequest, cert_pk: int) -> HttpResponse:
    cert = access.get_certificate(request.user, cert_pk, write=True)
    vendor_pk = cert.vendor_id
    services.delete_certificate(certificate=cert, actor=request.user)
    messages.success(request, _("证书已删除。"))
    return redirect("vendors:detail", pk=vendor_pk)


@login_required
def certificate_download(request: HttpRequest, cert_pk: int) -> HttpResponseBase:
    cert = access.get_certificate(request.user, cert_pk)
    return attachment(cert.file, cert.file_name or "certificate")


@login_required
def expiring(request: HttpRequest) -> HttpResponse:
    certs = queries.expiring_certificates(request.user)
    today = queries.clock.today()
    rows = [
        (c, c.state(today, queries.warn_days()), (c.valid_until - today).days if c.valid_until else None)
        for c in certs
    ]
    if request.GET.get("format") == "xlsx":
        policy.require(request.user, "export")
        data = write_xlsx(
            [
                (
                    _("证书到期"),
                    [
                        str(_("供应商")),
                        str(_("证书")),
                        str(_("编号")),
                        str(_("有效期至")),
                        str(_("状态")),
                        str(_("剩余天数")),
                    ],
                    (
                        [
                            c.vendor.code + " " + c.vendor.name,
                            c.get_type_display(),
                            c.number,
                            c.valid_until,
                            str(CertificateState(s).label),
                            d,
                        ]
                        for c, s, d in rows
                    ),
                )
            ]
        )
        response = HttpResponse(data, content_type=XLSX_MIME)
        response["Content-Disposition"] = 'attachment; filename="expiring-certificates.xlsx"'
        return response
    return render(request, "vendors/expiring.html", {"rows": rows, "warn_days": queries.warn_days()})


# --- documents -----------------------------------------------------------------------------------


@login_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = access.get_vendor(request.user, pk)
    access.require_archive_write(request.user, vendor)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = from_uploaded(form.cleaned_data["file"])
        assert upload is not None
        try:
            services.upload_document(
                vendor=vendor,
                actor=request.user,
                upload=upload,
                type=form.cleaned_data["type"],
                title=form.cleaned_data["title"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("文档已上传。"))
            return redirect("vendors:detail", pk=vendor.pk)
    return render(
        request,
        "vendors/simple_form.html",
        {"form": form, "vendor": vendor, "title": _("上传文档"), "multipart": True},
    )


@login_required
def document_download(request: HttpRequest, doc_pk: int) -> HttpResponseBase:
    doc = access.get_document(request.user, doc_pk)
    return attachment(doc.file, doc.file_name)


@login_required
@require_POST
def document_delete(request: HttpRequest, doc_pk: int) -> HttpResponse:
    doc = access.get_document(request.user, doc_pk, write=True)
    vendor_pk = doc.vendor_id
    services.delete_document(document=doc, actor=request.user)
    messages.success(request, _("文档已删除。"))
    return redirect("vendors:detail", pk=vendor_pk)
