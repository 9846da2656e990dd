"""Reads of the vendor archive that need care: filters, annotations, no N+1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet

from waibao.core import clock
from waibao.vendors.access import visible_vendors
from waibao.vendors.models import Certificate, CertificateState, Vendor, VendorContact

SORTS = {
    "code": "code",
    "-code": "-code",
    "name": "name",
    "-name": "-name",
    "status": "status",
    "-status": "-status",
    "category": "category",
    "-category": "-category",
    "updated": "updated_at",
    "-updated": "-updated_at",
    "cert": "next_expiry",
    "-cert": "-next_expiry",
}


@dataclass
class VendorFilter:
    q: str = ""
    category: str = ""
    status: str = ""
    region: str = ""
    country: str = ""
    cert_state: str = ""  # valid | expiring | expired | none
    tag: str = ""
    sort: str = "code"

    @classmethod
    def from_params(cls, params: Any) -> VendorFilter:
        return cls(**{k: (params.get(k) or "").strip() for k in cls.__dataclass_fields__ if params.get(k)})


def warn_days() -> int:
    return int(settings.WAIBAO_CERT_EXPIRING_DAYS)


def vendor_list(user: Any, f: VendorFilter) -> QuerySet[Vendor]:
    today = clock.today()
    horizon = today + timedelta(days=warn_days())
    qs = visible_vendors(user).annotate(
        next_expiry=Min("certificates__valid_until", filter=Q(certificates__valid_until__gte=today)),
        expired_count=Count("certificates", filter=Q(certificates__valid_until__lt=today), distinct=True),
        expiring_count=Count(
            "certificates",
            filter=Q(certificates__valid_until__gte=today, certificates__valid_until__lte=horizon),
            distinct=True,
        ),
    )
    if f.q:
        qs = qs.filter(
            Q(name__icontains=f.q)
            | Q(name_en__icontains=f.q)
            | Q(code__icontains=f.q)
            | Q(credit_code__icontains=f.q.upper())
            | Q(registration_number__icontains=f.q)
        )
    if f.category:
        qs = qs.filter(category=f.category)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.region:
        qs = qs.filter(Q(region__icontains=f.region) | Q(city__icontains=f.region))
    if f.country:
        qs = qs.filter(country=f.country.upper())
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    if f.cert_state:
        certs = Certificate.objects.filter(vendor=OuterRef("pk"))
        if f.cert_state == CertificateState.EXPIRED:
            qs = qs.filter(Exists(certs.filter(valid_until__lt=today)))
        elif f.cert_state == CertificateState.EXPIRING:
            qs = qs.filter(Exists(certs.filter(valid_until__gte=today, valid_until__lte=horizon)))
        elif f.cert_state == CertificateState.VALID:
            qs = qs.filter(Exists(certs.filter(valid_until__gt=horizon))).exclude(
                Exists(certs.filter(valid_until__lte=horizon))
            )
        elif f.cert_state == "none":
            qs = qs.exclude(Exists(certs))
    primary = VendorContact.objects.filter(is_primary=True)
    qs = qs.prefetch_related("tags", Prefetch("contacts", queryset=primary, to_attr="primary_contacts"))
    return qs.order_by(SORTS.get(f.sort, "code"), "code")


#: How far ahead (or back) the expiring-certificates list may look, in days.
DAYS_MAX = 36500


def expiring_certificates(
    user: Any, *, include_expired: bool = True, days: int | None = None
) -> QuerySet[Certificate]:
    today = clock.today()
    horizon = today + timedelta(days=warn_days() if days is None else days)
    qs = Certificate.objects.select_related("vendor").filter(valid_until__lte=horizon)
    if not include_expired:
        qs = qs.filter(valid_until__gte=today)
    scope = visible_vendors(user)
    return qs.filter(vendor__in=scope).order_by("valid_until", "vendor__code")


def status_counts(user: Any) -> dict[str, int]:
    rows = visible_vendors(user).order_by().values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def certificate_state(cert: Certificate, today: date | None = None) -> str:
    return cert.state(today or clock.today(), warn_days())
