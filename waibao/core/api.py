from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from waibao.accounts import policy
from waibao.core.apiutils import ERRORS, Page, paginate
from waibao.core.models import AuditEvent

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_name: str
    verb: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    message: str


class AuditFilter(Schema):
    verb: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1
    page_size: int = 50


@router.get("/events", response={200: Page[AuditEventOut], **ERRORS})
def list_events(request: HttpRequest, filters: Query[AuditFilter]) -> Any:
    policy.require(request.user, "audit.read")
    qs = AuditEvent.objects.all()
    if filters.verb:
        qs = qs.filter(verb__startswith=filters.verb)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.actor:
        qs = qs.filter(actor_name=filters.actor)
    if filters.since:
        qs = qs.filter(at__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(at__date__lte=filters.until)
    return paginate(request, qs, page=filters.page, page_size=filters.page_size)
