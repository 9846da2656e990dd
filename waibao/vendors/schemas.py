from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema

from waibao.core.apiutils import Choice
from waibao.vendors.models import (
    Category,
    CertificateState,
    CertificateType,
    DocumentType,
    ImportStatus,
    Size,
    VendorStatus,
)


class ContactOut(Schema):
    id: int
    name: str
    role: str
    phone: str
    email: str
    is_primary: bool


class ContactIn(Schema):
    name: str
    role: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False


class ContactPatch(Schema):
    name: str | None = None
    role: str | None = None
    phone: str | None = None
    email: str | None = None
    is_primary: bool | None = None


class VendorOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    credit_code: str
    registration_number: str
    country: str
    region: str
    city: str
    category: Annotated[str, Choice(Category)]
    size: Annotated[str, Choice(Size, blank=True)]
    website: str
    status: Annotated[str, Choice(VendorStatus)]
    notes: str
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: object) -> list[str]:
        return [t.name for t in obj.tags.all()]  # type: ignore[attr-defined]


class VendorIn(Schema):
    name: str
    name_en: str = ""
    credit_code: str = ""
    registration_number: str = ""
    country: str = "CN"
    region: str = ""
    city: str = ""
    category: Annotated[str, Choice(Category)]
    size: Annotated[str, Choice(Size, blank=True)] = ""
    website: str = ""
    notes: str = ""
    tags: list[str] = []


class VendorPatch(Schema):
    name: str | None = None
    name_en: str | None = None
    credit_code: str | None = None
    registration_number: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    category: Annotated[str, Choice(Category)] | None = None
    size: Annotated[str, Choice(Size, blank=True)] | None = None
    website: str | None = None
    notes: str | None = None
    tags: list[str] | None = None
    version: int | None = None


class VendorStatusIn(Schema):
    to: Annotated[str, Choice(VendorStatus)]
    reason: str = ""


class StatusChangeOut(Schema):
    from_status: Annotated[str, Choice(VendorStatus, blank=True)]
    to_status: Annotated[str, Choice(VendorStatus)]
    reason: str
    at: datetime
    actor: str | None

    @staticmethod
    def resolve_actor(obj: object) -> str | None:
        actor = obj.actor  # type: ignore[attr-defined]
        return actor.username if actor else None


class CertificateOut(Schema):
    id: int
    vendor_id: int
    type: Annotated[str, Choice(CertificateType)]
    level: int | None
    number: str
    issuer: str
    scope: str
    valid_from: date | None
    valid_until: date | None
    state: Annotated[str, Choice(CertificateState)]
    has_file: bool
    file_name: str

    @staticmethod
    def resolve_state(obj: object) -> str:
        from waibao.vendors.queries import certificate_state

        return certificate_state(obj)  # type: ignore[arg-type]

    @staticmethod
    def resolve_has_file(obj: object) -> bool:
        return bool(obj.file)  # type: ignore[attr-defined]


class VendorDocumentOut(Schema):
    id: int
    vendor_id: int
    type: Annotated[str, Choice(DocumentType)]
    title: str
    file_name: str
    file_type: str
    size: int
    created_at: datetime


class VendorImportRowError(Schema):
    row: int
    column: str
    rule: str


class VendorImportOut(Schema):
    """A vendor list import: queued, running (``rows_done`` of ``rows_total``), or how it ended."""

    id: int
    file_name: str
    status: Annotated[str, Choice(ImportStatus)]
    #: the data rows the file declares, when it says (an .xlsx sheet's dimension, a CSV file's lines)
    rows_total: int | None
    rows_done: int
    count_created: int
    count_updated: int
    count_unchanged: int
    #: rows with at least one error (a rejected import stores nothing)
    count_rejected: int
    error_count: int
    #: the first errors, each naming its row, column and rule
    errors: list[VendorImportRowError]
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_errors(obj: Any) -> list[dict[str, Any]]:
        return [{"row": r, "column": c, "rule": m} for r, c, m in (obj.errors or [])]
