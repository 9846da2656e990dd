"""The only way a URL id becomes a vendor-archive object.

Buyer users see every vendor; a vendor user sees only its own, and anything else answers 404 (not 403),
so the existence of other vendors' records is not revealed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from waibao.accounts import policy
from waibao.vendors.models import Certificate, Vendor, VendorContact, VendorDocument, VendorImportJob


def visible_vendors(user: Any) -> QuerySet[Vendor]:
    if not policy.can_read(user):
        return Vendor.objects.none()
    scope = policy.vendor_scope(user)
    qs = Vendor.objects.all()
    return qs.filter(pk=scope) if scope is not None else qs


def get_vendor(user: Any, pk: Any, *, write: bool = False, action: str = "vendors.write") -> Vendor:
    try:
        vendor = visible_vendors(user).get(pk=int(pk))
    except (Vendor.DoesNotExist, ValueError, TypeError):
        raise Http404("vendor")
    if write:
        policy.require(user, action)
    return vendor


def get_vendor_by_code(user: Any, code: str, *, write: bool = False, action: str = "vendors.write") -> Vendor:
    vendor = visible_vendors(user).filter(code=code).first()
    if vendor is None:
        raise Http404("vendor")
    if write:
        policy.require(user, action)
    return vendor


def _child(model: Any, user: Any, pk: Any, write: bool) -> Any:
    qs = model.objects.select_related("vendor")
    scope = policy.vendor_scope(user)
    if scope is not None:
        qs = qs.filter(vendor_id=scope)
    elif not policy.can_read(user):
        raise Http404
    try:
        obj = qs.get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404
    if write and not policy.can(user, "vendors.archive.write"):
        raise PermissionDenied
    return obj


def get_contact(user: Any, pk: Any, *, write: bool = False) -> VendorContact:
    return _child(VendorContact, user, pk, write)  # type: ignore[no-any-return]


def get_certificate(user: Any, pk: Any, *, write: bool = False) -> Certificate:
    return _child(Certificate, user, pk, write)  # type: ignore[no-any-return]


def get_document(user: Any, pk: Any, *, write: bool = False) -> VendorDocument:
    return _child(VendorDocument, user, pk, write)  # type: ignore[no-any-return]


def require_archive_write(user: Any, vendor: Vendor) -> None:
    """Contacts, certificates, documents: buyer managers, or the vendor's own users."""
    policy.require(user, "vendors.archive.write")
    scope = policy.vendor_scope(user)
    if scope is not None and scope != vendor.pk:
        raise Http404


def get_import_job(user: Any, pk: Any) -> VendorImportJob:
    """A vendor list import, for those who may import vendors (buyers' admins and managers); every other
    role is refused (403) as for the import page — a job holds nothing of any one vendor's."""
    from waibao.core.access import pk_of

    policy.require(user, "vendors.import")
    key = pk_of(pk)
    job = VendorImportJob.objects.select_related("created_by").filter(pk=key).first() if key else None
    if job is None:
        raise Http404("import")
    return job
