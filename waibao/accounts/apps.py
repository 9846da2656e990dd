from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "waibao.accounts"
    label = "accounts"
    verbose_name = _("账户")

    def ready(self) -> None:
        from waibao.core import registry

        registry.panel("vendor", "accounts/_vendor_users_panel.html", 15, vendor_users_panel)


def vendor_users_panel(request: Any, vendor: Any = None, **kwargs: Any) -> dict[str, Any] | None:
    """The vendor page lists the vendor's own users (and how many invitations are open)."""
    from waibao.accounts import policy
    from waibao.accounts.models import Invitation, User
    from waibao.core import clock

    if vendor is None or not policy.can_read(request.user):
        return None
    scope = policy.vendor_scope(request.user)
    if scope is not None and scope != vendor.pk:
        return None
    users = list(User.objects.filter(vendor=vendor).order_by("-is_active", "full_name", "username")[:20])
    pending = Invitation.objects.filter(
        vendor=vendor, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=clock.now()
    ).count()
    return {"vendor": vendor, "users": users, "pending": pending, "can_invite": policy.can(request.user, "users.invite")}
