"""The only way a URL id becomes a vendor-archive object: the archive's rows in the one access table
(`core.access`), and typed wrappers the pages and endpoints call.

Buyer users see every vendor; a vendor user sees only its own, and anything else answers 404 (not 403),
so the existence of other vendors' records is not revealed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from waibao.accounts import policy
from waibao.core import access
from waibao.core.access import Rule
from waibao.vendors.models import Certificate, Vendor, VendorContact, VendorDocument, VendorImportJob

#: The archive's audit trail (the vendor page's history) carries buyers' internal notes: buyers only.
SCOPES = access.register(
    {
        Vendor: Rule(vendor="pk", code="code"),
        VendorContact: Rule(vendor="vendor_id", related=("vendor",)),
        Certificate: Rule(vendor="vendor_id", related=("vendor",)),
        VendorDocument: Rule(vendor="vendor_id", related=("vendor",)),
        # An import holds nothing of any one vendor's; who may open one is the "vendors.import" policy,
        # asked before the lookup (get_import_job).
        VendorImportJob: Rule(vendor=None, related=("created_by",)),
    }
)


def visible_vendors(user: Any) -> QuerySet[Vendor]:
    return access.visible(Vendor, user)


def get_vendor(user: Any, pk: object, *, write: bool = False, action: str = "vendors.write") -> Vendor:
    return access.get(Vendor, user, pk, write=write, action=action)


def get_vendor_by_code(user: Any, code: str, *, write: bool = False, action: str = "vendors.write") -> Vendor:
    # By code only (a numeric code is not an id here).
    vendor = visible_vendors(user).filter(code=code).first()
    if vendor is None:
        raise Http404("vendor")
    if write:
        access.require(user, action)
    return vendor


def get_contact(user: Any, pk: object, *, write: bool = False) -> VendorContact:
    return access.get(VendorContact, user, pk, write=write, action="vendors.archive.write")


def get_certificate(user: Any, pk: object, *, write: bool = False) -> Certificate:
    return access.get(Certificate, user, pk, write=write, action="vendors.archive.write")


def get_document(user: Any, pk: object, *, write: bool = False) -> VendorDocument:
    return access.get(VendorDocument, user, pk, write=write, action="vendors.archive.write")


def require_archive_write(user: Any, vendor: Vendor) -> None:
    """Contacts, certificates, documents: buyer managers, or the vendor's own users."""
    access.require(user, "vendors.archive.write")
    scope = policy.vendor_scope(user)
    if scope is not None and scope != vendor.pk:
        raise Http404


def get_import_job(user: Any, pk: object) -> VendorImportJob:
    """A vendor list import, for those who may import vendors (buyers' admins and managers); every other
    role is refused (403) as for the import page — a job holds nothing of any one vendor's."""
    access.require(user, "vendors.import")
    return access.get(VendorImportJob, user, pk)
