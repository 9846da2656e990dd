"""The top bar's search: vendors, contracts, nonconformances and service records by external id.

Every kind is read through its app's access helper, so a user finds only what they may see (a vendor user:
its own vendor's). Records are looked up by external id through the (contract, external_id) index: exact
ids first, then ids that start with the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PER_KIND = 20
MAX_QUERY = 100


@dataclass
class SearchResults:
    q: str
    vendors: list[Any] = field(default_factory=list)
    contracts: list[Any] = field(default_factory=list)
    ncrs: list[Any] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.vendors) + len(self.contracts) + len(self.ncrs) + len(self.records)


def search(user: Any, q: str, *, limit: int = PER_KIND) -> SearchResults:
    from waibao.contracts.access import visible_contracts
    from waibao.delivery.access import visible_records
    from waibao.quality.access import scoped
    from waibao.quality.models import Nonconformance
    from waibao.vendors.access import visible_vendors

    q = " ".join((q or "").split())[:MAX_QUERY]
    out = SearchResults(q)
    if not q:
        return out
    out.vendors = list(
        visible_vendors(user)
        .filter(
            Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__iexact=q) | Q(credit_code__iexact=q.upper())
        )
        .order_by("code")[:limit]
    )
    out.contracts = list(
        visible_contracts(user)
        .filter(Q(code__icontains=q) | Q(title__icontains=q) | Q(vendor__name__icontains=q))
        .select_related("vendor")
        .order_by("-start_date", "-code")[:limit]
    )
    out.ncrs = list(
        scoped(Nonconformance, user)
        .filter(Q(code__icontains=q) | Q(title__icontains=q) | Q(source_ref__iexact=q))
        .select_related("vendor", "contract")
        .order_by("-raised_at", "-id")[:limit]
    )
    # Probes of the (contract_id, external_id) index for the contracts the user may see.
    contract_ids = list(visible_contracts(user).values_list("pk", flat=True))
    if contract_ids:
        records = visible_records(user).filter(contract_id__in=contract_ids)
        found = list(records.filter(external_id=q).order_by("contract_id")[:limit])
        if len(found) < limit:  # then ids that start with the text (a range, so the index is used)
            starts = records.filter(external_id__gt=q, external_id__lt=q + "\uffff")
            found += list(starts.order_by("external_id", "pk")[: limit - len(found)])
        out.records = found
    return out


@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    results = search(request.user, request.GET.get("q", ""))
    return render(request, "core/search.html", {"results": results, "q": results.q, "per_kind": PER_KIND})
