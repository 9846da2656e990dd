from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

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
    return {
        "nav_items": items,
        "organization": org,
        "LANGUAGES": settings.LANGUAGES,
        "policy": policy,
        "language_next": language_next(request),
    }


def language_next(request: HttpRequest) -> str:
    """Where the language switch returns to. A page shown in answer to a POST (a refused action re-renders
    its page at the action's address) returns to the page the form was on, never to the POST-only address."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"
