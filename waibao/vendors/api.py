"""/api/v1/vendors/ — the same services as the pages, with the same access rules."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from waibao.accounts import policy
from waibao.core.apiutils import ERRORS, ERRORS_409, Choice, ErrorOut, Page, paginate, patch_values
from waibao.core.files import attachment, from_uploaded
from waibao.vendors import access, imports, queries, services
from waibao.vendors.models import Category, CertificateState, VendorImportJob, VendorStatus
from waibao.vendors.schemas import (
    CertificateOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    StatusChangeOut,
    VendorDocumentOut,
    VendorImportOut,
    VendorIn,
    VendorOut,
    VendorPatch,
    VendorStatusIn,
)

router = Router(tags=["vendors"])


class VendorQuery(Schema):
    q: str = ""
    category: Annotated[str, Choice(Category, blank=True)] = ""
    status: Annotated[str, Choice(VendorStatus, blank=True)] = ""
    region: str = ""
    country: str = ""
    cert_state: Annotated[str, Choice([*CertificateState.values, "none"], blank=True)] = ""
    tag: str = ""
    sort: str = "code"
    page: int = 1
    page_size: int = 50


@router.get("/", response={200: Page[VendorOut], **ERRORS})
def list_vendors(request: HttpRequest, params: Query[VendorQuery]) -> Any:
    data = params.dict()
    page, size = data.pop("page"), data.pop("page_size")
    return paginate(
        request, queries.vendor_list(request.user, queries.VendorFilter(**data)), page=page, page_size=size
    )


@router.post("/", response={201: VendorOut, **ERRORS_409})
def create_vendor(request: HttpRequest, payload: VendorIn) -> Any:
    policy.require(request.user, "vendors.write")
    data = payload.dict()
    tags = data.pop("tags")
    return 201, services.create_vendor(actor=request.user, tags=tags, **data)


@router.get("/certificates/expiring", response={200: Page[CertificateOut], **ERRORS})
def expiring_certificates(
    request: HttpRequest,
    days: int | None = Query(None, ge=-queries.DAYS_MAX, le=queries.DAYS_MAX),
    page: int = 1,
    page_size: int = 50,
) -> Any:
    return paginate(
        request, queries.expiring_certificates(request.user, days=days), page=page, page_size=page_size
    )


# --- imports (before "/{vendor_id}", which would take "imports" for an id) ---------------------------


@router.get("/imports", response={200: Page[VendorImportOut], **ERRORS})
def list_imports(request: HttpRequest, page: int = 1, page_size: int = 50) -> Any:
    policy.require(request.user, "vendors.import")
    imports.reap_dead_imports()  # a job whose process died reads as failed, not running
    return paginate(request, VendorImportJob.objects.all(), page=page, page_size=page_size)


@router.post("/imports", response={202: VendorImportOut, **ERRORS, 413: ErrorOut})
def create_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """Upload a vendor list (.xlsx or .csv); it is imported in the background (poll
    GET /imports/{id}). Answered at once: a file of another type, over the size limit (413), with more
    rows than the limit (413) or an .xlsx file whose declared sizes break the reading limits (422).
    All or nothing: a row whose credit code (abroad: country and registration number) is a vendor's
    already updates it; any row with an error and nothing is stored (``errors`` name row, column, rule)."""
    policy.require(request.user, "vendors.import")
    return 202, imports.start_import(actor=request.user, upload=from_uploaded(file))


@router.get("/imports/{job_id}", response={200: VendorImportOut, **ERRORS})
def get_import(request: HttpRequest, job_id: int) -> Any:
    return imports.current(access.get_import_job(request.user, job_id))


@router.post("/imports/{job_id}/cancel", response={200: VendorImportOut, **ERRORS_409})
def cancel_import(request: HttpRequest, job_id: int) -> Any:
    """A queued import ends at once; a running one stops at its next step, storing nothing."""
    return imports.cancel_import(job=access.get_import_job(request.user, job_id), actor=request.user)


@router.get("/{vendor_id}", response={200: VendorOut, **ERRORS})
def get_vendor(request: HttpRequest, vendor_id: int) -> Any:
    return access.get_vendor(request.user, vendor_id)


@router.patch("/{vendor_id}", response={200: VendorOut, **ERRORS_409})
def update_vendor(request: HttpRequest, vendor_id: int, payload: VendorPatch) -> Any:
    vendor = access.get_vendor(request.user, vendor_id, write=True)
    data = patch_values(payload, vendor)
    version = data.pop("version", None)
    tags = data.pop("tags", None)
    return services.update_vendor(
        vendor=vendor, actor=request.user, expected_version=version, tags=tags, **data
    )


@router.post("/{vendor_id}/status", response={200: VendorOut, **ERRORS})
def change_status(request: HttpRequest, vendor_id: int, payload: VendorStatusIn) -> Any:
    vendor = access.get_vendor(request.user, vendor_id, write=True, action="vendors.status")
    return services.change_vendor_status(
        vendor=vendor, actor=request.user, to=payload.to, reason=payload.reason
    )


@router.get("/{vendor_id}/status-history", response={200: list[StatusChangeOut], **ERRORS})
def status_history(request: HttpRequest, vendor_id: int) -> Any:
    return access.get_vendor(request.user, vendor_id).status_changes.select_related("actor")


# --- contacts ------------------------------------------------------------------------------------


@router.get("/{vendor_id}/contacts", response={200: list[ContactOut], **ERRORS})
def list_contacts(request: HttpRequest, vendor_id: int) -> Any:
    return access.get_vendor(request.user, vendor_id).contacts.all()


@router.post("/{vendor_id}/contacts", response={201: ContactOut, **ERRORS})
def add_contact(request: HttpRequest, vendor_id: int, payload: ContactIn) -> Any:
    vendor = access.get_vendor(request.user, vendor_id)
    access.require_archive_write(request.user, vendor)
    return 201, services.add_contact(vendor=vendor, actor=request.user, **payload.dict())


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    contact = access.get_contact(request.user, contact_id, write=True)
    return services.update_contact(contact=contact, actor=request.user, **patch_values(payload, contact))


@router.delete("/contacts/{contact_id}", response={204: None, **ERRORS})
def delete_contact(request: HttpRequest, contact_id: int) -> Any:
    contact = access.get_contact(request.user, contact_id, write=True)
    services.delete_contact(contact=contact, actor=request.user)
    return 204, None


# --- certificates --------------------------------------------------------------------------------


@router.get("/{vendor_id}/certificates", response={200: list[CertificateOut], **ERRORS})
def list_certificates(request: HttpRequest, vendor_id: int) -> Any:
    return access.get_vendor(request.user, vendor_id).certificates.all()


@router.post("/{vendor_id}/certificates", response={201: CertificateOut, **ERRORS})
def add_certificate(
    request: HttpRequest,
    vendor_id: int,
    type: Form[str],
    number: Form[str],
    valid_until: Form[date],
    level: Form[int | None] = None,
    issuer: Form[str] = "",
    scope: Form[str] = "",
    valid_from: Form[date | None] = None,
    file: File[UploadedFile | None] = None,
) -> Any:
    vendor = access.get_vendor(request.user, vendor_id)
    access.require_archive_write(request.user, vendor)
    return 201, services.add_certificate(
        vendor=vendor,
        actor=request.user,
        upload=from_uploaded(file),
        type=type,
        number=number,
        valid_until=valid_until,
        level=level,
        issuer=issuer,
        scope=scope,
        valid_from=valid_from,
    )


@router.get("/certificates/{certificate_id}", response={200: CertificateOut, **ERRORS})
def get_certificate(request: HttpRequest, certificate_id: int) -> Any:
    return access.get_certificate(request.user, certificate_id)


@router.delete("/certificates/{certificate_id}", response={204: None, **ERRORS})
def delete_certificate(request: HttpRequest, certificate_id: int) -> Any:
    cert = access.get_certificate(request.user, certificate_id, write=True)
    services.delete_certificate(certificate=cert, actor=request.user)
    return 204, None


@router.get(
    "/certificates/{certificate_id}/file",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: {"description": "the file, as an attachment"}}},
)
def download_certificate(request: HttpRequest, certificate_id: int) -> Any:
    cert = access.get_certificate(request.user, certificate_id)
    return attachment(cert.file, cert.file_name)


# --- documents -----------------------------------------------------------------------------------


@router.get("/{vendor_id}/documents", response={200: list[VendorDocumentOut], **ERRORS})
def list_documents(request: HttpRequest, vendor_id: int) -> Any:
    return access.get_vendor(request.user, vendor_id).documents.all()


@router.post("/{vendor_id}/documents", response={201: VendorDocumentOut, **ERRORS})
def upload_document(
    request: HttpRequest, vendor_id: int, type: Form[str], file: File[UploadedFile], title: Form[str] = ""
) -> Any:
    vendor = access.get_vendor(request.user, vendor_id)
    access.require_archive_write(request.user, vendor)
    upload = from_uploaded(file)
    assert upload is not None
    return 201, services.upload_document(
        vendor=vendor, actor=request.user, upload=upload, type=type, title=title
    )


@router.get(
    "/documents/{document_id}/file",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: {"description": "the file, as an attachment"}}},
)
def download_document(request: HttpRequest, document_id: int) -> Any:
    doc = access.get_document(request.user, document_id)
    return attachment(doc.file, doc.file_name)


@router.delete("/documents/{document_id}", response={204: None, **ERRORS})
def delete_document(request: HttpRequest, document_id: int) -> Any:
    doc = access.get_document(request.user, document_id, write=True)
    services.delete_document(document=doc, actor=request.user)
    return 204, None
