from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from waibao.accounts import policy
from waibao.core.registry import NAV


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        section = "vendor" if policy.is_vendor_user(user) else "buyer"
        for item in NAV:
            if item.section not in (section, "all") or not item.visible(user):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue  # an app that is not there yet shows no link (no dead links)
            active = request.path.startswith(item.match or url) if url != "/" else request.path == "/"
            items.append({"label": item.label, "url": url, "active": active})
    from waibao.core.models import Organization

    org = Organization.objects.first() if user is not None and user.is_authenticated else None
    return {"nav_items": items, "organization": org, "LANGUAGES": settings.LANGUAGES, "policy": policy}
