"""A strict Content-Security-Policy on every response.

The pages are written for it: no inline scripts or event handlers (behaviour lives in static files such
as ``waibao/app.js``), no ``style`` attributes or ``<style>`` blocks (classes in ``app.css``), chart data
in ``json_script`` blocks that are read, never run. Scripts that style elements do so through the CSSOM
(``el.style.width = …``), which the policy allows; HTML with ``style`` attributes put into the page by a
script (ECharts' HTML tooltips, htmx's indicator ``<style>``) is avoided: ``app.js`` draws chart tooltips
on the canvas, and ``base.html`` tells htmx not to add its style block and never to evaluate code.

The policy is ``settings.WAIBAO_CSP`` (environment ``WAIBAO_CSP``, e.g. to add a static-files host; empty
turns it off). A view that sets its own header keeps it. In debug mode Django's own error pages (404 and 500, written with
inline scripts and styles) go without it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.WAIBAO_CSP
        if not policy or HEADER in response:
            return response
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django's technical error pages
        response[HEADER] = policy
        return response
