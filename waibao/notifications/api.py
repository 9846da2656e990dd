"""/api/v1/notifications/ — the caller's own notifications only."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router

from waibao.core.apiutils import ERRORS, Page, never_conflicts, paginate
from waibao.notifications import services
from waibao.notifications.models import Notification
from waibao.notifications.schemas import MarkedOut, NotificationOut

router = Router(tags=["notifications"])


def _own(request: HttpRequest, pk: int) -> Notification:
    n = Notification.objects.filter(user_id=int(request.user.pk or 0), pk=pk).first()
    if n is None:
        raise Http404
    return n


@router.get("/", response={200: Page[NotificationOut], **ERRORS})
def list_notifications(request: HttpRequest, unread: bool = False, page: int = 1, page_size: int = 50) -> Any:
    qs = services.for_user(request.user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return paginate(request, qs, page=page, page_size=page_size)


@router.post("/{notification_id}/read", response={200: NotificationOut, **ERRORS})
@never_conflicts
def mark_read(request: HttpRequest, notification_id: int) -> Any:
    return services.mark_read(notification=_own(request, notification_id), actor=request.user)


@router.post("/read-all", response={200: MarkedOut, **ERRORS})
@never_conflicts
def mark_all_read(request: HttpRequest) -> Any:
    return {"marked": services.mark_all_read(actor=request.user)}
