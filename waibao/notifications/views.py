"""The notification centre: the signed-in user's own notifications only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from waibao.notifications import services
from waibao.notifications.models import Notification


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = services.for_user(request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    ctx = {"page": page, "unread_only": unread_only, "unread": services.unread_count(request.user)}
    return render(request, "notifications/list.html", ctx)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    n = Notification.objects.filter(user_id=int(request.user.pk or 0), pk=pk).first()
    if n is None:
        raise Http404
    services.mark_read(notification=n, actor=request.user)
    if (
        request.POST.get("go")
        and n.url
        and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()})
    ):
        return redirect(n.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(actor=request.user)
    return redirect("notifications:list")
