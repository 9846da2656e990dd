"""Home dashboard, health check and the audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from waibao.accounts import policy
from waibao.core import params
from waibao.core.models import AuditEvent
from waibao.core.registry import render_panels


@never_cache
def health(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"panels": render_panels("home", request)})


def audit_events_for(request: HttpRequest):  # type: ignore[no-untyped-def]
    events = AuditEvent.objects.select_related("actor")
    q = request.GET
    if q.get("actor"):
        events = events.filter(actor_name__icontains=q["actor"])
    if q.get("verb"):
        events = events.filter(verb__icontains=q["verb"])
    if q.get("object_type"):
        events = events.filter(object_type=q["object_type"])
    if q.get("vendor", "").isdigit():
        events = events.filter(vendor_id=int(q["vendor"]))
    if q.get("object"):
        events = events.filter(object_repr__icontains=q["object"])
    if since := params.date_param(request, "since"):
        events = events.filter(at__date__gte=since)
    if until := params.date_param(request, "until"):
        events = events.filter(at__date__lte=until)
    return events


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, "audit.read"):
        raise PermissionDenied
    page = Paginator(audit_events_for(request), 50).get_page(request.GET.get("page"))
    types = AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct()
    return render(request, "core/audit_log.html", {"page": page, "object_types": sorted(set(types))})
