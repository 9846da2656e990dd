from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from waibao.accounts import policy


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """A vendor user's own archive page (the same page buyers see, scoped by access rules)."""
    scope = policy.vendor_scope(request.user)
    if scope is None:
        raise Http404
    return redirect("vendors:detail", pk=scope)
